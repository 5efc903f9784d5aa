"""Outcome documents: their texts and versions, amendments, adoption procedures, ballots,
the signed copies, and the signing authority with each signatory's certificate.

The tables hold the texts and files; the engagement's log holds every change as an event
with the hashes that fix what was adopted and signed (``events``).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from summitry.db import Base, UTCDateTime, db_enum, utcnow


class DocumentKind(enum.StrEnum):
    JOINT_STATEMENT = "joint_statement"
    DECLARATION = "declaration"
    AGREEMENT = "agreement"
    COMMUNIQUE = "communique"
    CHAIRS_SUMMARY = "chairs_summary"


class DocumentStage(enum.StrEnum):
    DRAFT = "draft"
    UNDER_PROCEDURE = "under_procedure"
    ADOPTED = "adopted"
    SIGNED = "signed"


class AmendmentAction(enum.StrEnum):
    INSERT = "insert"
    DELETE = "delete"
    REPLACE = "replace"


class AmendmentStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MERGED = "merged"


class ProcedureKind(enum.StrEnum):
    CONSENSUS = "consensus"
    SILENCE = "silence"
    WRITTEN_VOTE = "written_vote"


class ProcedureStatus(enum.StrEnum):
    OPEN = "open"
    ADOPTED = "adopted"
    BROKEN = "broken"
    """Silence broken by a delegation: the text is not adopted."""
    REJECTED = "rejected"
    """A written vote that did not carry the text."""
    WITHDRAWN = "withdrawn"


class Choice(enum.StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


class OutcomeDocument(Base):
    """A text an engagement works towards: a joint statement, a declaration, an agreement."""

    __tablename__ = "outcome_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        ForeignKey("engagement.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DocumentKind] = mapped_column(db_enum(DocumentKind))
    title: Mapped[str] = mapped_column(String(300))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    authentic: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The languages whose texts are equally authentic (a subset of ``languages``)."""
    parties: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The delegations (codes) that adopt and sign it, in the engagement's order."""
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    stage: Mapped[DocumentStage] = mapped_column(db_enum(DocumentStage))
    adopted_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DocumentVersion(Base):
    """One version of the text in every language, kept for ever."""

    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("outcome_document.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    texts: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    """Language → its paragraphs, in order."""
    sha256: Mapped[str] = mapped_column(String(64))
    made_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(500), default="")
    made_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Amendment(Base):
    """A delegation's proposal to change one paragraph of one version."""

    __tablename__ = "amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("outcome_document.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    """The version it was proposed against."""
    language: Mapped[str] = mapped_column(String(16))
    paragraph: Mapped[int] = mapped_column(Integer)
    """Numbered from 1; for an insertion, the new paragraph's place."""
    action: Mapped[AmendmentAction] = mapped_column(db_enum(AmendmentAction))
    original: Mapped[str] = mapped_column(Text, default="")
    """The paragraph as it stood when proposed (empty for an insertion): taken in only if
    the text still has it there."""
    text: Mapped[str] = mapped_column(Text, default="")
    bracketed: Mapped[bool] = mapped_column(Boolean, default=False)
    delegation: Mapped[str] = mapped_column(String(12))
    proposed_by: Mapped[str] = mapped_column(String(200))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[AmendmentStatus] = mapped_column(db_enum(AmendmentStatus))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_in: Mapped[int | None] = mapped_column(Integer)
    """The version that took it in (accepted or merged)."""


class Procedure(Base):
    """An adoption procedure on one version: consensus, silence or a written vote."""

    __tablename__ = "adoption_procedure"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("outcome_document.id", ondelete="CASCADE"), index=True
    )
    engagement_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[ProcedureKind] = mapped_column(db_enum(ProcedureKind))
    version: Mapped[int] = mapped_column(Integer)
    text_sha256: Mapped[str] = mapped_column(String(64))
    opened_by: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[ProcedureStatus] = mapped_column(db_enum(ProcedureStatus), index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(500), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    """Why silence was broken, in the delegation's words (not in the log: it may quote a
    confidential text)."""


class Ballot(Base):
    """One delegation's ballot in a written vote; a second one is refused by the key."""

    __tablename__ = "ballot"
    __table_args__ = (UniqueConstraint("procedure_id", "delegation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(
        ForeignKey("adoption_procedure.id", ondelete="CASCADE"), index=True
    )
    delegation: Mapped[str] = mapped_column(String(12))
    choice: Mapped[Choice] = mapped_column(db_enum(Choice))
    cast_by: Mapped[str] = mapped_column(String(200))
    cast_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SignedCopy(Base):
    """The adopted text as a PDF: revision 0 as rendered, each next one with one more
    signature appended to the one before."""

    __tablename__ = "signed_copy"
    __table_args__ = (UniqueConstraint("document_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("outcome_document.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    delegation: Mapped[str | None] = mapped_column(String(12))
    signatory: Mapped[str | None] = mapped_column(String(200))
    made_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SigningAuthority(Base):
    """The host's own certificate authority (one row), its key sealed under the secret key."""

    __tablename__ = "signing_authority"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_pem: Mapped[bytes] = mapped_column(LargeBinary)
    key_pem: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SigningCertificate(Base):
    """A signatory's certificate and sealed key: issued by the host's authority, imported, or
    kept at a signing service (its key there, the token to reach it sealed here)."""

    __tablename__ = "signing_certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    certificate_pem: Mapped[bytes] = mapped_column(LargeBinary)
    key_pem: Mapped[bytes] = mapped_column(LargeBinary)
    chain_pem: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(16))
    """``host``: issued by the host's authority; ``imported``: from a PKCS#12 file;
    ``service``: at a signing service (``key_pem`` empty)."""
    service: Mapped[str | None] = mapped_column(String(40))
    """The configured signing service's name, for ``service``."""
    credential_id: Mapped[str | None] = mapped_column(String(200))
    """The credential's identifier at that service."""
    service_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    """The OAuth token the service issued the signatory, sealed (``services.seal_token``)."""
    not_after: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
