"""The log's table: an append-only chain of events, numbered per engagement."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from summitry.db import Base, UTCDateTime, utcnow


class LiveEvent(Base):
    """One change of a meeting, numbered and chained to the one before it by its hash."""

    __tablename__ = "live_event"
    __table_args__ = (
        UniqueConstraint("engagement_id", "seq"),
        # One capability's events of one engagement, read without the others (``events_of``).
        Index("ix_live_event_engagement_id_kind", "engagement_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
