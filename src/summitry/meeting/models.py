"""Each admitted person's media grant: the token that lets them into the meeting's rooms."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from summitry.db import Base, UTCDateTime, utcnow


class MediaGrant(Base):
    """The token with which one admitted person may enter the meeting's media room.

    Janus needs the token itself in its ``allowed`` list, and Summitry must give it back to
    Janus after a restart, so it is kept here; it leaves the server only to its holder.
    """

    __tablename__ = "media_grant"
    __table_args__ = (UniqueConstraint("engagement_id", "attendee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    feed_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
