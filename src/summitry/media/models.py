"""The media room of an engagement: the VideoRoom's number and its secret, kept server-side."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from summitry.db import Base, UTCDateTime, utcnow


class MediaRoom(Base):
    """One engagement's Janus VideoRoom. The secret never leaves the server.

    Janus keeps rooms in memory only: after a restart Summitry creates the room again with the
    same number and secret (and the admitted people's tokens), so browsers can rejoin it.
    """

    __tablename__ = "media_room"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), unique=True
    )
    janus_room_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    secret: Mapped[str] = mapped_column(String(64))
    node: Mapped[str | None] = mapped_column(String(64), default=None)
    """The Janus node that carries it (``media.nodes``); None: placed at its next use."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:  # the secret stays out of logs and tracebacks
        return f"MediaRoom(engagement_id={self.engagement_id}, janus_room_id={self.janus_room_id})"
