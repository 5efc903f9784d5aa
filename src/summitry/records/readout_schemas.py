"""What the readouts' API reads and writes."""

from __future__ import annotations

import datetime as dt

from pydantic import AwareDatetime, BaseModel, Field

from summitry.delegations.schemas import InputModel
from summitry.records.readout_models import Audience, ReadoutStage


class ReadoutIn(InputModel):
    """A new readout: from the record's template where no title or text is given."""

    parties: list[str] = Field(default_factory=list, max_length=40)
    """Other delegations (codes) of a joint readout; the drafter's own is always one."""
    title: str | None = Field(default=None, max_length=300)
    body: str | None = Field(default=None, max_length=20_000)
    audience: Audience = Audience.PUBLIC
    embargo_until: AwareDatetime | None = None


class ReadoutEdit(InputModel):
    title: str = Field(max_length=300)
    body: str = Field(max_length=20_000)
    audience: Audience = Audience.PUBLIC
    embargo_until: AwareDatetime | None = None


class VersionOut(BaseModel):
    number: int
    title: str
    body: str
    audience: Audience
    published_at: dt.datetime
    visible_from: dt.datetime
    published_by: str
    superseded: bool


class ReadoutOut(BaseModel):
    id: int
    engagement_id: int
    delegation: str
    parties: list[str]
    link: str
    versions: list[VersionOut]
    """The published versions open to the reader, first to latest; all but the last superseded."""
    draft: DraftOut | None = None
    """The text being worked on, for its parties only."""


class DraftOut(BaseModel):
    title: str
    body: str
    audience: Audience
    embargo_until: dt.datetime | None
    stage: ReadoutStage
    approvals: list[str]
    drafted_by: str
    updated_by: str


class HitOut(BaseModel):
    kind: str
    title: str
    snippet: str
    """HTML: the text around the words found, each in ``<mark>``, the rest escaped."""
    link: str
    engagement_id: int


ReadoutOut.model_rebuild()
