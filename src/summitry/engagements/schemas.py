"""What the API accepts and returns about engagements."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from summitry.db import MAX_ID
from summitry.delegations.schemas import DelegationOut, InputModel, PersonOut
from summitry.engagements.models import (
    Channel,
    Confidentiality,
    EngagementKind,
    EngagementStatus,
    Role,
)

MAX_TOPICS = 12
MAX_OUTCOMES = 40
Topic = Annotated[str, Field(min_length=1, max_length=40)]
Outcome = Annotated[str, Field(min_length=1, max_length=1000)]

"""The largest id a record can have (PostgreSQL's ``integer``); larger ones are refused early."""


class EngagementIn(InputModel):
    """An engagement to plan. Give ``starts_at``, or only ``held_on`` where the hour is open."""

    title: str = Field(min_length=1, max_length=300)
    kind: EngagementKind = EngagementKind.VIDEO_MEETING
    starts_at: AwareDatetime | None = Field(
        default=None, description="With its offset, e.g. 2020-09-14T14:00:00+02:00"
    )
    ends_at: AwareDatetime | None = None
    held_on: dt.date | None = Field(default=None, description="The day, where no hour is set")
    host: str | None = Field(default=None, max_length=12, description="Host delegation's code")
    confidentiality: Confidentiality = Confidentiality.RESTRICTED
    languages: list[str] = Field(
        default_factory=list, max_length=24, description="ISO 639 codes: en, fr, zh"
    )
    description: str = Field(default="", max_length=5000)
    delegations: list[str] = Field(
        default_factory=list, max_length=250, description="Codes in order of precedence"
    )
    agenda: list[str] = Field(default_factory=list, max_length=100)
    channel: Channel | None = Field(default=None, description="Unless given: from the kind")
    topics: list[Topic] = Field(default_factory=list, max_length=MAX_TOPICS)
    outcomes: list[Outcome] = Field(default_factory=list, max_length=MAX_OUTCOMES)


class EngagementPatch(InputModel):
    """Changes to an engagement; fields left out stay as they are."""

    title: str | None = Field(default=None, min_length=1, max_length=300)
    kind: EngagementKind | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    held_on: dt.date | None = None
    host: str | None = Field(default=None, max_length=12)
    confidentiality: Confidentiality | None = None
    status: EngagementStatus | None = None
    languages: list[str] | None = Field(default=None, max_length=24)
    description: str | None = Field(default=None, max_length=5000)
    channel: Channel | None = None
    topics: list[Topic] | None = Field(default=None, max_length=MAX_TOPICS)
    outcomes: list[Outcome] | None = Field(default=None, max_length=MAX_OUTCOMES)


class ParticipationIn(InputModel):
    code: str = Field(min_length=2, max_length=12)


class AttendeeIn(InputModel):
    person_id: int = Field(ge=1, le=MAX_ID)
    role: Role = Role.DELEGATE
    booth: str | None = Field(
        default=None,
        max_length=16,
        description="For an interpreter: the working language they interpret into",
        examples=["fr"],
    )


class AgendaIn(InputModel):
    items: list[str] = Field(max_length=100)


class AttendeeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    role: Role
    person: PersonOut
    booth: str | None = None


class AgendaItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    title: str
    speaking_time_s: int | None


class LocalTime(BaseModel):
    """The start of an engagement as the clock reads in one delegation's seat."""

    delegation: str
    timezone: str
    starts_local: dt.datetime | None


class _EngagementHead(BaseModel):
    """What every showing of an engagement begins with: which it is, what, and when."""

    id: int
    slug: str
    kind: EngagementKind
    title: str
    held_on: dt.date
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None


class EngagementOut(_EngagementHead):
    """An engagement as its reader may see it; ``details_withheld`` hides people and agenda."""

    host: DelegationOut | None
    confidentiality: Confidentiality
    status: EngagementStatus
    languages: list[str]
    description: str
    delegations: list[DelegationOut]
    local_times: list[LocalTime]
    details_withheld: bool
    attendees: list[AttendeeOut]
    agenda: list[AgendaItemOut]
    sources: list[str]
    channel: Channel
    topics: list[str]
    outcomes: list[str]


class EngagementSummary(_EngagementHead):
    """One line of the list of engagements."""

    model_config = ConfigDict(from_attributes=True)

    confidentiality: Confidentiality
    status: EngagementStatus
    host_code: str | None
    delegation_codes: list[str]
    channel: Channel
