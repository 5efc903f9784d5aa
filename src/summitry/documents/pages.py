"""Pages of outcome documents: the list, drafting, a comparison, a procedure, the signing.

Each page is whole as the server renders it; its script sends what people do to the API and,
hearing the document's events on the meeting's live feed, renders the page's live part again,
so that an amendment, a ballot or a signature appears on every screen as it is made.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from summitry.config import Settings
from summitry.delegations.models import Delegation
from summitry.deps import Db, PagePrincipal, runtime_of
from summitry.documents import adoption, drafting, signing
from summitry.documents.actors import Actor, actor_of
from summitry.documents.models import DocumentKind, OutcomeDocument, ProcedureStatus
from summitry.documents.presentation import document_detail, procedure_out
from summitry.documents.texts import as_paragraphs, compare
from summitry.engagements.operations import get_engagement
from summitry.errors import InvalidInput
from summitry.web.rendering import render

router = APIRouter()

BASE = "/engagements/{engagement_id}/documents"


async def _context(
    db: Db, principal: PagePrincipal, engagement_id: int, document_id: int
) -> dict[str, Any]:
    actor = await actor_of(db, principal, engagement_id)
    document = await drafting.document_of(db, actor, engagement_id, document_id)
    engagement = await get_engagement(db, engagement_id)
    detail = await document_detail(db, document)
    names = {p.delegation.code: p.delegation.name for p in engagement.delegations}
    return {
        "actor": actor,
        "engagement": engagement,
        "document": document,
        "detail": detail,
        "names": names,
        "may": _may(actor, document),
        "zone": engagement.host.timezone if engagement.host else "UTC",
    }


def _may(actor: Actor, document: OutcomeDocument) -> dict[str, object]:
    """What the page offers this person (the API checks again)."""
    return {
        "edit": actor.is_secretariat,
        "preside": actor.presides,
        "amend": actor.speaks_for(document.parties),
        "vote": actor.authorised_for(document.parties),
    }


@router.get(BASE)
async def documents_page(
    engagement_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    actor = await actor_of(db, principal, engagement_id)
    engagement = await get_engagement(db, engagement_id)
    documents = await drafting.documents_of(db, actor, engagement_id)
    return render(
        request,
        "documents/list.html",
        engagement=engagement,
        documents=documents,
        actor=actor,
        kinds=list(DocumentKind),
    )


@router.get(BASE + "/{document_id}")
async def document_page(
    engagement_id: int, document_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    context = await _context(db, principal, engagement_id, document_id)
    return render(request, "documents/drafting.html", **context)


@router.get(BASE + "/{document_id}/compare")
async def compare_page(
    engagement_id: int,
    document_id: int,
    request: Request,
    db: Db,
    principal: PagePrincipal,
    older: Annotated[int | None, Query(ge=1, alias="from")] = None,
    newer: Annotated[int | None, Query(ge=1, alias="to")] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    context = await _context(db, principal, engagement_id, document_id)
    document = context["document"]
    assert isinstance(document, OutcomeDocument)  # noqa: S101 - made by _context
    versions = await drafting.versions_of(db, document.id)
    newer = newer or versions[-1].number
    older = older or max(1, newer - 1)
    language = language or document.languages[0]
    if language not in document.languages:
        raise InvalidInput(f"the document has no {language} text")
    a = await drafting.version_of(db, document.id, older)
    b = await drafting.version_of(db, document.id, newer)
    paragraphs = as_paragraphs(compare(a.texts[language], b.texts[language]))
    return render(
        request,
        "documents/compare.html",
        **context,
        versions=versions,
        older=a,
        newer=b,
        language=language,
        paragraphs=paragraphs,
    )


@router.get(BASE + "/{document_id}/procedures/{procedure_id}")
async def procedure_page(
    engagement_id: int,
    document_id: int,
    procedure_id: int,
    request: Request,
    db: Db,
    principal: PagePrincipal,
) -> Response:
    context = await _context(db, principal, engagement_id, document_id)
    document = context["document"]
    assert isinstance(document, OutcomeDocument)  # noqa: S101 - made by _context
    procedure = await adoption.procedure_of(db, document, procedure_id)
    shown = await procedure_out(db, document, procedure)
    version = await drafting.version_of(db, document.id, procedure.version)
    ballots = {b.delegation: b for b in shown.ballots}
    return render(
        request,
        "documents/procedure.html",
        **context,
        procedure=shown,
        put_text=version,
        vote_rule=adoption.VOTE_RULE,
        ballots=ballots,
        is_open=procedure.status is ProcedureStatus.OPEN,
    )


@router.get(BASE + "/{document_id}/signing")
async def signing_page(
    engagement_id: int, document_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    context = await _context(db, principal, engagement_id, document_id)
    document = context["document"]
    assert isinstance(document, OutcomeDocument)  # noqa: S101 - made by _context
    rows = await db.execute(
        select(Delegation.code, Delegation.timezone).where(Delegation.code.in_(document.parties))
    )
    zones = {code: zone for code, zone in rows.all()}  # noqa: C416 - dict() takes a Result for a mapping
    return render(
        request,
        "documents/signing.html",
        **context,
        zones=zones,
        pin_for=await _pin_for(db, context["actor"], runtime_of(request).settings),
    )


async def _pin_for(db: Db, actor: Actor, settings: Settings) -> str | None:
    """The signing service whose PIN the sign button asks for, if this person's key is at one."""
    current = await signing.current_certificate(db, actor.person_id) if actor.person_id else None
    if current is None or current.source != "service":
        return None
    found = [s for s in settings.signing_services if s.name == current.service]
    return found[0].shown_as if found else current.service
