"""HTTP API of outcome documents: drafts, versions, amendments, the screen, adoption, signing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.deps import CurrentPrincipal, Db, RecordId
from summitry.documents import drafting, screens, signing
from summitry.documents.actors import Actor, actor_of, refusing
from summitry.documents.models import OutcomeDocument
from summitry.documents.presentation import (
    amendment_out,
    document_detail,
    document_out,
    on_screen,
    version_out,
)
from summitry.documents.schemas import (
    AmendmentIn,
    AmendmentOut,
    ComparedOut,
    DecisionIn,
    DocumentDetail,
    DocumentOut,
    DraftIn,
    EditIn,
    ScreenIn,
    ScreenOut,
    VersionOut,
)
from summitry.documents.texts import Change, as_paragraphs, compare
from summitry.errors import InvalidInput, NotFound

router = APIRouter(prefix="/engagements/{engagement_id}/documents", tags=["documents"])
T = TypeVar("T")


async def document_asked(
    db: AsyncSession, principal: CurrentPrincipal, engagement_id: int, document_id: int
) -> tuple[Actor, OutcomeDocument]:
    """Who asks, and the document if they may read it."""
    actor = await actor_of(db, principal, engagement_id)
    return actor, await drafting.document_of(db, actor, engagement_id, document_id)


async def act(
    db: AsyncSession,
    actor: Actor,
    document: OutcomeDocument,
    action: str,
    work: Callable[[], Awaitable[T]],
) -> T:
    """Do ``work`` for ``actor``; a refusal is recorded in the log and passed on."""
    return await refusing(db, document.engagement_id, document.id, action, actor, work)


@router.get("")
async def list_documents(
    engagement_id: RecordId, db: Db, principal: CurrentPrincipal
) -> list[DocumentOut]:
    """The engagement's documents you may read."""
    actor = await actor_of(db, principal, engagement_id)
    return [
        await document_out(db, d) for d in await drafting.documents_of(db, actor, engagement_id)
    ]


@router.post("", status_code=201)
async def draft_document(
    engagement_id: RecordId, data: DraftIn, db: Db, principal: CurrentPrincipal
) -> DocumentDetail:
    """Begin a document (the secretariat): its first version, in each language given."""
    actor = await actor_of(db, principal, engagement_id)
    draft = drafting.Draft(**data.model_dump())
    document = await drafting.draft(db, actor, engagement_id, draft)
    return await document_detail(db, document)


@router.get("/screen")
async def screen(engagement_id: RecordId, db: Db, principal: CurrentPrincipal) -> ScreenOut:
    """The text the chair has put on the meeting's screens, and at which paragraph."""
    actor = await actor_of(db, principal, engagement_id)
    shown = await on_screen(db, engagement_id)
    if shown.document_id is not None:
        try:
            await drafting.document_of(db, actor, engagement_id, shown.document_id)
        except NotFound:
            return ScreenOut(document_id=None, version=None, paragraph=None)
    return shown


@router.get("/{document_id}")
async def read_document(
    engagement_id: RecordId, document_id: RecordId, db: Db, principal: CurrentPrincipal
) -> DocumentDetail:
    """The document with its latest text, amendments, procedures and signatures."""
    _, document = await document_asked(db, principal, engagement_id, document_id)
    return await document_detail(db, document)


@router.get("/{document_id}/versions")
async def list_versions(
    engagement_id: RecordId, document_id: RecordId, db: Db, principal: CurrentPrincipal
) -> list[VersionOut]:
    """Every version, first to latest (without the texts)."""
    _, document = await document_asked(db, principal, engagement_id, document_id)
    versions = await drafting.versions_of(db, document.id)
    return [version_out(v, with_texts=False) for v in versions]


@router.get("/{document_id}/versions/{number}")
async def read_version(
    engagement_id: RecordId,
    document_id: RecordId,
    number: RecordId,
    db: Db,
    principal: CurrentPrincipal,
) -> VersionOut:
    """One version with its texts."""
    _, document = await document_asked(db, principal, engagement_id, document_id)
    return version_out(await drafting.version_of(db, document.id, number))


@router.post("/{document_id}/versions", status_code=201)
async def edit_text(
    engagement_id: RecordId,
    document_id: RecordId,
    data: EditIn,
    db: Db,
    principal: CurrentPrincipal,
) -> VersionOut:
    """A new version (the secretariat): the whole texts, or one paragraph as agreed."""
    actor, document = await document_asked(db, principal, engagement_id, document_id)
    change = None
    if data.paragraph is not None:
        change = Change(
            data.language or document.languages[0], data.paragraph, data.action.value, data.text
        )

    async def work() -> VersionOut:
        made = await drafting.edit(
            db, actor, document, texts=data.texts, change=change, note=data.note
        )
        return version_out(made)

    return await act(db, actor, document, "edit", work)


@router.get("/{document_id}/compare", response_model=None)
async def compare_versions(
    engagement_id: RecordId,
    document_id: RecordId,
    db: Db,
    principal: CurrentPrincipal,
    older: Annotated[
        int | None, Query(ge=1, alias="from", description="Default: the one before")
    ] = None,
    newer: Annotated[int | None, Query(ge=1, alias="to", description="Default: the latest")] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    format: Annotated[str, Query(pattern="^(json|pdf)$")] = "json",
) -> ComparedOut | Response:
    """Two versions compared word by word, as JSON or as a PDF to print."""
    _, document = await document_asked(db, principal, engagement_id, document_id)
    language = language or document.languages[0]
    if language not in document.languages:
        raise InvalidInput(f"the document has no {language} text", field="language")
    b = await drafting.version_of(db, document.id, newer)
    older = older or max(1, b.number - 1)
    a = await drafting.version_of(db, document.id, older)
    compared = ComparedOut(
        language=language,
        older=older,
        newer=b.number,
        paragraphs=as_paragraphs(compare(a.texts[language], b.texts[language])),
    )
    if format == "pdf":
        pdf = await signing.comparison_pdf(document, compared)
        name = f"document-{document.id}-v{older}-v{b.number}-{language}.pdf"
        return Response(pdf, media_type="application/pdf", headers=attachment(name))
    return compared


@router.post("/{document_id}/amendments", status_code=201)
async def propose_amendment(
    engagement_id: RecordId,
    document_id: RecordId,
    data: AmendmentIn,
    db: Db,
    principal: CurrentPrincipal,
) -> AmendmentOut:
    """A delegation proposes to insert, delete or replace a paragraph (bracketed if contested)."""
    actor, document = await document_asked(db, principal, engagement_id, document_id)
    change = Change(data.language, data.paragraph, data.action.value, data.text, data.bracketed)

    async def work() -> AmendmentOut:
        return amendment_out(await drafting.propose(db, actor, document, change))

    return await act(db, actor, document, "amend", work)


@router.post("/{document_id}/amendments/{amendment_id}/decision")
async def decide_amendment(
    engagement_id: RecordId,
    document_id: RecordId,
    amendment_id: RecordId,
    data: DecisionIn,
    db: Db,
    principal: CurrentPrincipal,
) -> AmendmentOut:
    """The secretariat accepts, merges (with its own wording) or rejects an amendment."""
    actor, document = await document_asked(db, principal, engagement_id, document_id)

    async def work() -> AmendmentOut:
        decided = await drafting.decide(db, actor, document, amendment_id, data.decision, data.text)
        return amendment_out(decided)

    return await act(db, actor, document, "decide amendment", work)


@router.post("/{document_id}/screen", status_code=204)
async def put_on_screen(
    engagement_id: RecordId,
    document_id: RecordId,
    data: ScreenIn,
    db: Db,
    principal: CurrentPrincipal,
) -> None:
    """The chair shows the text on every screen at a paragraph (or takes it down)."""
    actor, document = await document_asked(db, principal, engagement_id, document_id)
    await screens.show(db, actor, document, data.paragraph)


def attachment(name: str) -> dict[str, str]:
    """Headers that have the browser save the file under ``name``."""
    return {"Content-Disposition": f'attachment; filename="{name}"'}
