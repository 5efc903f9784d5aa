"""A notice to one delegation of an engagement, and each e-mail that carries it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from summitry.db import Base, UTCDateTime, utcnow


class Notice(Base):
    """What one delegation is told about an engagement, and who in it is told."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_engagement_delegation", "engagement_id", "delegation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegation.id", ondelete="CASCADE"))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The roles in the delegation it is for (those who act on it)."""
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(String(300))
    """Where in Summitry to act on it (``/engagements/3/documents/2``)."""
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    """Sent by e-mail without its subject or body: only that there is a notice to read."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NoticeMail(Base):
    """One e-mail carrying a notice to one person, sent once (tried again while it fails)."""

    __tablename__ = "notice_mail"
    __table_args__ = (
        UniqueConstraint("notice_id", "person_id"),
        Index("ix_notice_mail_pending", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(254))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    dropped: Mapped[str | None] = mapped_column(String(300))
    """Why it will not be sent (the person no longer attends, or the server refused it)."""
    last_error: Mapped[str | None] = mapped_column(String(500))
