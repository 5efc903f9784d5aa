"""Documents as the API and the pages show them: with each deadline in every capital's time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.delegations.models import Delegation
from summitry.documents.adoption import ballots_of, procedures_of, tally
from summitry.documents.deadlines import local_time
from summitry.documents.drafting import amendments_of, version_of
from summitry.documents.events import TextShown
from summitry.documents.models import (
    Amendment,
    DocumentVersion,
    OutcomeDocument,
    Procedure,
    ProcedureKind,
    SignedCopy,
)
from summitry.documents.schemas import (
    AmendmentOut,
    BallotOut,
    DocumentDetail,
    DocumentOut,
    LocalTime,
    ProcedureOut,
    ScreenOut,
    SignatureOut,
    VersionOut,
)


async def in_capitals(db: AsyncSession, moment: dt.datetime, codes: list[str]) -> list[LocalTime]:
    """The moment in the capital of each delegation, in the order given."""
    rows = {
        d.code: d for d in await db.scalars(select(Delegation).where(Delegation.code.in_(codes)))
    }
    return [
        LocalTime(
            delegation=code,
            name=rows[code].name,
            timezone=rows[code].timezone,
            local=local_time(moment, rows[code].timezone),
        )
        for code in codes
        if code in rows
    ]


async def document_out(db: AsyncSession, document: OutcomeDocument) -> DocumentOut:
    latest = await version_of(db, document.id, None)
    return DocumentOut(**_fields(document), latest_version=latest.number)


def _fields(document: OutcomeDocument) -> dict[str, object]:
    return {
        "id": document.id,
        "engagement_id": document.engagement_id,
        "kind": document.kind,
        "title": document.title,
        "languages": document.languages,
        "authentic": document.authentic,
        "parties": document.parties,
        "confidential": document.confidential,
        "stage": document.stage,
        "adopted_version": document.adopted_version,
    }


def version_out(version: DocumentVersion, *, with_texts: bool = True) -> VersionOut:
    return VersionOut(
        number=version.number,
        sha256=version.sha256,
        made_by=version.made_by,
        made_at=version.made_at,
        note=version.note,
        texts=version.texts if with_texts else None,
    )


def amendment_out(amendment: Amendment) -> AmendmentOut:
    return AmendmentOut.model_validate(amendment, from_attributes=True)


async def procedure_out(
    db: AsyncSession, document: OutcomeDocument, procedure: Procedure
) -> ProcedureOut:
    ballots = await ballots_of(db, procedure.id)
    counted = None
    if procedure.kind is ProcedureKind.WRITTEN_VOTE:
        counted = await tally(db, procedure.engagement_id, procedure.id)
    capitals = []
    if procedure.deadline is not None:
        capitals = await in_capitals(db, procedure.deadline, document.parties)
    return ProcedureOut(
        id=procedure.id,
        kind=procedure.kind,
        version=procedure.version,
        text_sha256=procedure.text_sha256,
        opened_by=procedure.opened_by,
        opened_at=procedure.opened_at,
        deadline=procedure.deadline,
        deadline_in_capitals=capitals,
        status=procedure.status,
        closed_at=procedure.closed_at,
        outcome=procedure.outcome,
        reason=procedure.reason,
        ballots=[BallotOut.model_validate(b, from_attributes=True) for b in ballots],
        tally=counted,
    )


async def copies_of(db: AsyncSession, document_id: int) -> list[SignedCopy]:
    """The document's PDF revisions without their bytes: as prepared, then each signature."""
    rows = await db.execute(
        select(
            SignedCopy.revision,
            SignedCopy.sha256,
            SignedCopy.delegation,
            SignedCopy.signatory,
            SignedCopy.made_at,
        )
        .where(SignedCopy.document_id == document_id)
        .order_by(SignedCopy.revision)
    )
    return [
        SignedCopy(revision=r, sha256=s, delegation=d, signatory=n, made_at=at)
        for r, s, d, n, at in rows
    ]


async def document_detail(db: AsyncSession, document: OutcomeDocument) -> DocumentDetail:
    latest = await version_of(db, document.id, None)
    copies = await copies_of(db, document.id)
    return DocumentDetail(
        **_fields(document),
        latest_version=latest.number,
        latest=version_out(latest),
        amendments=[amendment_out(a) for a in await amendments_of(db, document.id)],
        procedures=[
            await procedure_out(db, document, p) for p in await procedures_of(db, document.id)
        ],
        copy_sha256=copies[0].sha256 if copies else None,
        signatures=[
            SignatureOut(
                revision=c.revision,
                delegation=c.delegation or "",
                signatory=c.signatory or "",
                sha256=c.sha256,
                made_at=c.made_at,
            )
            for c in copies[1:]
        ],
    )


async def on_screen(db: AsyncSession, engagement_id: int) -> ScreenOut:
    """What the chair has put on the meeting's screens, from the log."""
    shown = await log.latest_events_of(db, engagement_id, ("text_shown", "text_hidden"), 1)
    last = shown[0].event if shown else None
    if isinstance(last, TextShown):
        return ScreenOut(
            document_id=last.document_id, version=last.version, paragraph=last.paragraph
        )
    return ScreenOut(document_id=None, version=None, paragraph=None)
