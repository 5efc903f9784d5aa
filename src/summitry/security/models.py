"""Secretariat accounts and personal invitations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from summitry.db import Base, UTCDateTime, utcnow
from summitry.engagements.models import Attendee


class Account(Base):
    """A member of the host's secretariat, who signs in with a password."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Invitation(Base):
    """A personal link for one attendee; only the SHA-256 of its token is kept."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendee.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    attendee: Mapped[Attendee] = relationship()

    def usable_at(self, moment: dt.datetime) -> bool:
        """Whether the link still admits its holder at ``moment``."""
        return self.revoked_at is None and moment < self.expires_at


class BrowserSession(Base):
    """A signed-in browser, kept on the server so that signing out ends it everywhere.

    The cookie carries a random key; only its SHA-256 is kept. A cookie whose key is unknown
    or ended names nobody, however well it is signed.
    """

    __tablename__ = "browser_session"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
