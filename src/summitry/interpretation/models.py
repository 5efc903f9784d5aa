"""The language channels of an engagement: one Janus AudioBridge room per interpreted language."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from summitry.db import Base, UTCDateTime, utcnow


class LanguageChannel(Base):
    """One booth's channel: its AudioBridge room's number and secret, kept server-side.

    Like the VideoRoom, Janus keeps it in memory only; Summitry makes it again after a restart.
    """

    __tablename__ = "language_channel"
    __table_args__ = (UniqueConstraint("engagement_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(16))
    janus_room_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    secret: Mapped[str] = mapped_column(String(64))
    generation: Mapped[str] = mapped_column(String(32), default="", server_default="")
    """Its listening PIN is derived from the secret and this, drawn anew (for every channel of
    the engagement) when someone leaves: kept here so that every replica gives out the same."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:  # the secret stays out of logs and tracebacks
        return f"LanguageChannel(engagement_id={self.engagement_id}, language={self.language!r})"
