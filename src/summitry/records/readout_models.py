"""Readouts: each delegation's own account of an engagement, every published version kept,
and the record's text as the full-text search reads it."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from summitry.db import Base, UTCDateTime, db_enum, utcnow

FULL_TEXT_TABLE = "record_text_fts"
"""SQLite's FTS5 table over ``record_text`` (with its shadow tables, named after it)."""
FULL_TEXT_INDEX = "ix_record_text_words"
"""PostgreSQL's GIN index on ``record_text``'s ``tsvector``. Each database's own, made by
migration 0015, not by the models, which cannot describe either."""


class ReadoutStage(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    """Approved by every party; ready to publish."""
    PUBLISHED = "published"
    """The text as it stands is the latest published version."""


class Audience(enum.StrEnum):
    PUBLIC = "public"
    """Anyone, signed in or not."""
    RESTRICTED = "restricted"
    """Whoever may see the engagement's details."""


class Readout(Base):
    """A delegation's (or, jointly, several delegations') readout of one engagement: the
    text being worked on, with its parties' approvals."""

    __tablename__ = "readout"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    delegation: Mapped[str] = mapped_column(String(12), index=True)
    """The code of the delegation that drafted it (its author in the feed)."""
    parties: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Every delegation (code) that must approve it: the author alone, or all of a joint one."""
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    audience: Mapped[Audience] = mapped_column(db_enum(Audience))
    embargo_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    stage: Mapped[ReadoutStage] = mapped_column(db_enum(ReadoutStage))
    approvals: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The parties that approved the text as it stands; an edit clears them."""
    drafted_by: Mapped[str] = mapped_column(String(200))
    updated_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReadoutVersion(Base):
    """One published version, kept for ever: a correction publishes the next one."""

    __tablename__ = "readout_version"
    __table_args__ = (UniqueConstraint("readout_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    readout_id: Mapped[int] = mapped_column(
        ForeignKey("readout.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    audience: Mapped[Audience] = mapped_column(db_enum(Audience))
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    visible_from: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    """Its embargo, or when it was published: before it, only its parties see it."""
    published_by: Mapped[str] = mapped_column(String(200))


class RecordText(Base):
    """What full-text search reads: a published readout's latest version, an adopted
    document's text, an engagement's title and description. SQLite indexes it with the FTS5
    table ``record_text_fts`` (kept by triggers), PostgreSQL with a GIN index on its
    ``tsvector``; both made by migration 0015."""

    __tablename__ = "record_text"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    """``readout``, ``document`` or ``engagement``."""
    ref_id: Mapped[int] = mapped_column(Integer)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    visible_from: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    audience: Mapped[Audience] = mapped_column(db_enum(Audience))
    source_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    """For an engagement, its ``updated_at`` when indexed: a later one is indexed again."""


class RecordIndexMark(Base):
    """How far in the log the index has read documents' adoptions and signatures."""

    __tablename__ = "record_index_mark"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
