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
