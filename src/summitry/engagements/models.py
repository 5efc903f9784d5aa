"""Engagements: meetings, calls, summits and ceremonies, with who takes part and in what role."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Date, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from summitry.db import Base, UTCDateTime, db_enum, utcnow
from summitry.delegations.models import Delegation, Person


def _enum(kind: type[enum.Enum]) -> Enum:
    return db_enum(kind)


class EngagementKind(enum.StrEnum):
    VIDEO_MEETING = "video_meeting"
    TELEPHONE_CALL = "telephone_call"
    VIDEO_SUMMIT = "video_summit"
    CEREMONY = "ceremony"
    IN_PERSON_MEETING = "in_person_meeting"
    """Held face to face, not in Summitry: it enters the calendar by import, never as a
    meeting, and no planning form offers it."""


PLANNED_KINDS = tuple(k for k in EngagementKind if k is not EngagementKind.IN_PERSON_MEETING)
"""The kinds Summitry holds, offered when planning."""


class Channel(enum.StrEnum):
    """How the parties met: what an analyst of the calendar counts engagements by."""

    VIDEO = "video"
    TELEPHONE = "telephone"
    IN_PERSON = "in_person"


CHANNEL_OF_KIND: dict[EngagementKind, Channel] = {
    EngagementKind.VIDEO_MEETING: Channel.VIDEO,
    EngagementKind.VIDEO_SUMMIT: Channel.VIDEO,
    EngagementKind.TELEPHONE_CALL: Channel.TELEPHONE,
    # A ceremony is held in a hall unless the record says it was held online.
    EngagementKind.CEREMONY: Channel.IN_PERSON,
    EngagementKind.IN_PERSON_MEETING: Channel.IN_PERSON,
}


class Confidentiality(enum.StrEnum):
    PUBLIC = "public"
    RESTRICTED = "restricted"
    CONFIDENTIAL = "confidential"


class EngagementStatus(enum.StrEnum):
    PLANNED = "planned"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


class Role(enum.StrEnum):
    """What a person does in one engagement."""

    SECRETARIAT = "secretariat"
    CHAIR = "chair"
    HEAD_OF_DELEGATION = "head_of_delegation"
    DELEGATE = "delegate"
    INTERPRETER = "interpreter"
    OBSERVER = "observer"
    PRESS = "press"
    TECHNICIAN = "technician"


MEETING_ROLES = frozenset({Role.SECRETARIAT, Role.INTERPRETER, Role.PRESS, Role.TECHNICIAN})
"""Roles that serve the meeting rather than a delegation. Their people keep a ``Person`` row
(every attendee has one, under some delegation), but they are never listed among a
delegation's people, in the order of precedence or as a delegation's member."""


class Engagement(Base):
    """One meeting, call, summit or ceremony between delegations."""

    __tablename__ = "engagement"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[EngagementKind] = mapped_column(_enum(EngagementKind))
    title: Mapped[str] = mapped_column(String(300))
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    """The day, in the host's time zone; known even where the hour is not."""
    starts_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    host_id: Mapped[int | None] = mapped_column(ForeignKey("delegation.id", ondelete="SET NULL"))
    confidentiality: Mapped[Confidentiality] = mapped_column(
        _enum(Confidentiality), default=Confidentiality.RESTRICTED
    )
    status: Mapped[EngagementStatus] = mapped_column(
        _enum(EngagementStatus), default=EngagementStatus.PLANNED
    )
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Working languages, as ISO 639 / BCP 47 codes in the order the host lists them."""
    description: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    channel: Mapped[Channel] = mapped_column(_enum(Channel), default=Channel.VIDEO, index=True)
    """Set from the kind (``CHANNEL_OF_KIND``) unless the record says otherwise."""
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Short tags, lower case ("covid-19", "trade"), for the archive's filter."""
    outcomes: Mapped[list[str]] = mapped_column(JSON, default=list)
    """What was agreed or done, a sentence each."""
    precedence_rule: Mapped[str] = mapped_column(String(24), default="manual")
    """How ``Participation.position`` was set: a ``floor.precedence.PrecedenceRule`` value."""
    precedence_language: Mapped[str] = mapped_column(String(16), default="en")
    precedence_lot: Mapped[str | None] = mapped_column(String(12))
    """The delegation drawn by lot to head the alphabetical order, if any."""
    floor_level: Mapped[int] = mapped_column(Integer, default=18)
    """How loud the floor stays under an interpretation, in percent of its own level."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    host: Mapped[Delegation | None] = relationship()
    delegations: Mapped[list[Participation]] = relationship(
        back_populates="engagement", order_by="Participation.position", cascade="all, delete-orphan"
    )
    attendees: Mapped[list[Attendee]] = relationship(
        back_populates="engagement", order_by="Attendee.id", cascade="all, delete-orphan"
    )
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="engagement", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )


class Participation(Base):
    """A delegation taking part in an engagement, at its place in the order of precedence."""

    __tablename__ = "participation"
    __table_args__ = (UniqueConstraint("engagement_id", "delegation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegation.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer)

    engagement: Mapped[Engagement] = relationship(back_populates="delegations")
    delegation: Mapped[Delegation] = relationship()


class Attendee(Base):
    """A person invited to an engagement, in a role, for a delegation."""

    __tablename__ = "attendee"
    __table_args__ = (UniqueConstraint("engagement_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"))
    role: Mapped[Role] = mapped_column(_enum(Role))
    booth: Mapped[str | None] = mapped_column(String(16))
    """For an interpreter, the language of the booth they work in (they interpret into it)."""

    engagement: Mapped[Engagement] = relationship(back_populates="attendees")
    person: Mapped[Person] = relationship()

    @property
    def serves_meeting(self) -> bool:
        """Whether this attendee serves the meeting rather than a delegation."""
        return self.role in MEETING_ROLES


class AgendaItem(Base):
    """One item of an engagement's agenda."""

    __tablename__ = "agenda_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    speaking_time_s: Mapped[int | None] = mapped_column(Integer)
    """Each speaker's time on this item, in seconds; ``None``: no limit. (No column default:
    SQLAlchemy would put it in place of an explicit ``None``. Three minutes unless set is the
    rule of ``operations.agenda_item``.)"""

    engagement: Mapped[Engagement] = relationship(back_populates="agenda")
