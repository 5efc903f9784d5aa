"""The events of outcome documents, in the engagement's log.

They carry hashes, ids and who acted, never a text, a title or a reason: the meeting's feed
reaches everyone who follows the meeting, and a confidential draft is for the parties'
delegations alone (the text reaches its readers apart: ``readers``, and the API). The
hashes fix which text was adopted and which file was signed; anyone in the engagement can
recount a vote from ``ballot_cast``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from summitry.log.events import Event, register


class _DocumentEvent(Event):
    document_id: int


class DocumentDrafted(_DocumentEvent):
    """A document begun (its title is on its row: a confidential title says too much)."""

    kind: Literal["document_drafted"] = "document_drafted"
    document_kind: str
    languages: list[str]
    confidential: bool
    by: str


class VersionMade(_DocumentEvent):
    """A new version of the text: from the secretariat's hand, or taking in amendments."""

    kind: Literal["version_made"] = "version_made"
    number: int
    sha256: str
    by: str
    note: str = ""
    amendments: tuple[int, ...] = ()


class AmendmentProposed(_DocumentEvent):
    kind: Literal["amendment_proposed"] = "amendment_proposed"
    amendment_id: int
    version: int
    language: str
    paragraph: int
    action: str
    bracketed: bool
    delegation: str
    by: str


class AmendmentDecided(_DocumentEvent):
    kind: Literal["amendment_decided"] = "amendment_decided"
    amendment_id: int
    decision: Literal["accepted", "rejected", "merged"]
    version: int | None
    by: str


class TextShown(_DocumentEvent):
    """The chair puts the text on every screen of the meeting, at one paragraph."""

    kind: Literal["text_shown"] = "text_shown"
    version: int
    paragraph: int
    by: str


class TextHidden(_DocumentEvent):
    kind: Literal["text_hidden"] = "text_hidden"
    by: str


class ProcedureOpened(_DocumentEvent):
    kind: Literal["procedure_opened"] = "procedure_opened"
    procedure_id: int
    procedure: Literal["consensus", "silence", "written_vote"]
    version: int
    text_sha256: str
    deadline: dt.datetime | None
    parties: list[str]
    by: str


class SilenceBroken(_DocumentEvent):
    """A party broke silence; its written reason is on the procedure's row (it may quote the
    text, which the log does not carry)."""

    kind: Literal["silence_broken"] = "silence_broken"
    procedure_id: int
    delegation: str
    by: str


class BallotCast(_DocumentEvent):
    kind: Literal["ballot_cast"] = "ballot_cast"
    procedure_id: int
    delegation: str
    choice: Literal["yes", "no", "abstain"]
    by: str


class TextAdopted(_DocumentEvent):
    """The exact text adopted (its hash), how, and when it took effect."""

    kind: Literal["text_adopted"] = "text_adopted"
    procedure_id: int
    procedure: Literal["consensus", "silence", "written_vote"]
    version: int
    text_sha256: str
    effective_at: dt.datetime
    by: str
    tally: dict[str, int] | None = None


class ProcedureEnded(_DocumentEvent):
    """A procedure that did not adopt the text: silence broken, a vote lost, withdrawn."""

    kind: Literal["procedure_ended"] = "procedure_ended"
    procedure_id: int
    outcome: Literal["broken", "rejected", "withdrawn"]
    effective_at: dt.datetime
    by: str
    tally: dict[str, int] | None = None


class CopyPrepared(_DocumentEvent):
    """The adopted text rendered to PDF/A for signature: the file's hash is fixed here."""

    kind: Literal["copy_prepared"] = "copy_prepared"
    version: int
    sha256: str
    by: str


class DocumentSigned(_DocumentEvent):
    kind: Literal["document_signed"] = "document_signed"
    revision: int
    delegation: str
    signatory: str
    certificate: str
    """The SHA-256 fingerprint of the signatory's certificate."""
    previous_sha256: str
    sha256: str


class CertificateKept(Event):
    """A signatory's certificate imported (from a ministry's own authority, or a signing
    service): which key was given to whom is part of the record."""

    kind: Literal["certificate_kept"] = "certificate_kept"
    attendee_id: int
    fingerprint: str
    subject: str
    by: str
    source: str = "imported"
    """``imported`` (a PKCS#12 file) or ``service`` (kept with its key at a signing service)."""


class ActionRefused(_DocumentEvent):
    """Something asked of a document and refused: recorded, and nothing else changed."""

    kind: Literal["document_action_refused"] = "document_action_refused"
    action: str
    by: str
    delegation: str | None = None
    reason: str


register(
    DocumentDrafted,
    VersionMade,
    AmendmentProposed,
    AmendmentDecided,
    TextShown,
    TextHidden,
    ProcedureOpened,
    SilenceBroken,
    BallotCast,
    TextAdopted,
    ProcedureEnded,
    CopyPrepared,
    DocumentSigned,
    CertificateKept,
    ActionRefused,
)
