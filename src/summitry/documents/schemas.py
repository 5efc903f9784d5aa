"""What the documents API reads and answers."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from summitry.documents.models import (
    AmendmentAction,
    AmendmentStatus,
    Choice,
    DocumentKind,
    DocumentStage,
    ProcedureKind,
    ProcedureStatus,
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftIn(_In):
    kind: DocumentKind
    title: str = Field(min_length=1, max_length=300)
    texts: dict[str, str] = Field(
        min_length=1,
        max_length=12,
        description="Language → the text; paragraphs are separated by a blank line",
        examples=[{"en": "1. The Parties welcome ...\n\n2. They agree ..."}],
    )
    authentic: list[str] | None = Field(
        default=None, max_length=12, description="Authentic languages (default: all)"
    )
    parties: list[str] | None = Field(
        default=None, max_length=250, description="Delegation codes (default: every one)"
    )
    confidential: bool = Field(
        default=True, description="Read only by the secretariat, the chair and the parties"
    )


class EditIn(_In):
    texts: dict[str, str] | None = Field(default=None, max_length=12)
    language: str | None = Field(default=None, max_length=16)
    paragraph: int | None = Field(default=None, ge=1, le=1000)
    action: AmendmentAction = AmendmentAction.REPLACE
    text: str = Field(default="", max_length=8000)
    note: str = Field(default="", max_length=500)


class AmendmentIn(_In):
    language: str = Field(max_length=16)
    paragraph: int = Field(ge=1, le=1000)
    action: AmendmentAction
    text: str = Field(default="", max_length=8000)
    bracketed: bool = Field(
        default=False, description="Put the proposed wording in square brackets: contested"
    )


class DecisionIn(_In):
    decision: Literal["accepted", "merged", "rejected"]
    text: str | None = Field(default=None, max_length=8000, description="The merged wording")


class ScreenIn(_In):
    paragraph: int | None = Field(ge=1, le=1000, description="None takes the text down")


class ProcedureIn(_In):
    kind: ProcedureKind
    deadline: AwareDatetime | None = Field(default=None, description="When it ends (UTC)")
    hours: float | None = Field(
        default=None, gt=0, le=24 * 60, description="Or: how many hours from now it runs"
    )


class SilenceBreakIn(_In):
    reason: str = Field(min_length=1, max_length=2000)


class BallotIn(_In):
    choice: Choice


class VersionOut(BaseModel):
    number: int
    sha256: str
    made_by: str
    made_at: dt.datetime
    note: str
    texts: dict[str, list[str]] | None = None


class AmendmentOut(BaseModel):
    id: int
    version: int
    language: str
    paragraph: int
    action: AmendmentAction
    text: str
    bracketed: bool
    delegation: str
    proposed_by: str
    proposed_at: dt.datetime
    status: AmendmentStatus
    decided_by: str | None
    decided_in: int | None


class LocalTime(BaseModel):
    delegation: str
    name: str
    timezone: str
    local: str
    """The moment in the capital's time, with its offset: 2020-03-30 14:00 (UTC+02:00)."""


class BallotOut(BaseModel):
    delegation: str
    choice: Choice
    cast_by: str
    cast_at: dt.datetime


class ProcedureOut(BaseModel):
    id: int
    kind: ProcedureKind
    version: int
    text_sha256: str
    opened_by: str
    opened_at: dt.datetime
    deadline: dt.datetime | None
    deadline_in_capitals: list[LocalTime]
    status: ProcedureStatus
    closed_at: dt.datetime | None
    outcome: str
    reason: str
    """Why silence was broken, in the delegation's own words."""
    ballots: list[BallotOut]
    tally: dict[str, int] | None
    """For a written vote: recounted from the log."""


class SignatureOut(BaseModel):
    revision: int
    delegation: str
    signatory: str
    sha256: str
    made_at: dt.datetime


class DocumentOut(BaseModel):
    id: int
    engagement_id: int
    kind: DocumentKind
    title: str
    languages: list[str]
    authentic: list[str]
    parties: list[str]
    confidential: bool
    stage: DocumentStage
    adopted_version: int | None
    latest_version: int


class DocumentDetail(DocumentOut):
    latest: VersionOut
    amendments: list[AmendmentOut]
    procedures: list[ProcedureOut]
    copy_sha256: str | None
    """The file as prepared for signature (revision 0), once it is."""
    signatures: list[SignatureOut]


class ComparedOut(BaseModel):
    language: str
    older: int
    newer: int
    paragraphs: list[list[tuple[Literal["same", "added", "removed"], str]]]


class ScreenOut(BaseModel):
    document_id: int | None
    version: int | None
    paragraph: int | None


class CheckIn(_In):
    pdf_base64: str = Field(
        min_length=4, max_length=22_000_000, description="The PDF, in base64 (at most 16 MiB)"
    )


class CheckOut(BaseModel):
    """A copy brought back, compared with the record and verified."""

    sha256: str
    revision: int
    """Which recorded revision it is: 0 as prepared, then one more per signature."""
    latest: bool
    all_good: bool
    explanation: list[str]


class CertificateIn(_In):
    attendee_id: int = Field(ge=1, le=2**31 - 1, description="Who will sign with it")
    pkcs12_base64: str = Field(
        min_length=4, max_length=200_000, description="A .p12 or .pfx file, in base64"
    )
    password: str | None = Field(default=None, max_length=200, description="The file's password")


class ServiceCertificateIn(_In):
    attendee_id: int = Field(ge=1, le=2**31 - 1, description="Who will sign with it")
    service: str = Field(min_length=1, max_length=40, description="A configured service's name")
    credential_id: str = Field(
        min_length=1, max_length=200, description="The credential's identifier at the service"
    )
    token: str = Field(
        min_length=1, max_length=8000, description="The OAuth token the service issued them"
    )


class SignIn(_In):
    pin: str | None = Field(
        default=None, max_length=200, description="At a signing service: the signatory's PIN"
    )


class CertificateOut(BaseModel):
    """A signatory's certificate as kept (never its key)."""

    id: int
    person_id: int
    subject: str
    fingerprint: str
    source: str
    """``host``, ``imported`` or ``service``."""
    service: str | None = None
    """The signing service that keeps its key, for ``service``."""
    not_after: dt.datetime
