"""The minutes of an engagement: the secretariat's draft, and each version it published."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from summitry.db import Base, UTCDateTime, utcnow


class MinutesDraft(Base):
    """The draft: what the log gave when last drawn, and what the secretariat wrote."""

    __tablename__ = "minutes_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), unique=True
    )
    drawn: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The record drawn from the log (``minutes.Record``), refreshed at each regeneration."""
    drawn_through: Mapped[int] = mapped_column(Integer)
    """The log's last sequence number the record was drawn through."""
    written: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The secretariat's own text (``minutes.Written``): kept across regenerations."""
    drawn_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    edited_by: Mapped[str] = mapped_column(String(200), default="")


class MinutesVersion(Base):
    """Minutes as published: frozen, with the SHA-256 of their content; never changed."""

    __tablename__ = "minutes_version"
    __table_args__ = (UniqueConstraint("engagement_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    """``{"drawn": ..., "written": ...}`` exactly as hashed."""
    sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200))
