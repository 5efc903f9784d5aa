"""What the telephone needs stored: an engagement's dial-in number and each person's PIN."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from summitry.db import Base, UTCDateTime, utcnow


class TelephoneLine(Base):
    """The number (the user part of the SIP request URI) that reaches one engagement.

    An operator's SIP trunk routes a public number to ``sip:<number>@<summitry>``; the number
    says which engagement is called, the caller's PIN says who is calling.
    """

    __tablename__ = "telephone_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), unique=True
    )
    number: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TelephonePin(Base):
    """One attendee's personal PIN for one engagement, as an Argon2 hash (shown once)."""

    __tablename__ = "telephone_pin"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendee.id", ondelete="CASCADE"), unique=True
    )
    pin_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TelephoneCall(Base):
    """One telephone call, in or out: the register every replica reads and writes.

    A call out is *requested* here by whichever replica the secretary's page talks to; the
    gateway (on the replica holding the telephone lease) claims it, places it, and writes each
    stage as the call moves, so any replica can list the calls in progress.
    """

    __tablename__ = "telephone_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendee.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(String(3))
    address: Mapped[str] = mapped_column(String(120))
    """The address dialled (a call out) or the caller's number as SIP gave it (a call in)."""
    stage: Mapped[str] = mapped_column(String(16), index=True)
    end_reason: Mapped[str] = mapped_column(String(200), default="")
    placed_by: Mapped[int | None] = mapped_column()
    """The secretary's account (a call out): who admits the callee when they answer."""
    placed_by_name: Mapped[str] = mapped_column(String(200), default="")
    placed_by_email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
