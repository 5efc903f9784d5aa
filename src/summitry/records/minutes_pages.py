"""Pages of the minutes: the secretariat's editing view, and each published version.

The editing view is a plain form: the written parts sit where they will stand in the minutes,
between the parts drawn from the log, and are saved, drawn again or published by posting it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from summitry.deps import Db, PagePrincipal
from summitry.engagements.operations import get_engagement
from summitry.errors import SummitryError
from summitry.records import minutes_drafting as drafting
from summitry.records.minutes_drafting import Written
from summitry.records.minutes_rendering import context, title_of
from summitry.security.principals import Secretary, require_secretariat
from summitry.web.forms import FormErrors, read_form, text
from summitry.web.rendering import render

router = APIRouter()

BASE = "/engagements/{engagement_id}/minutes"


@router.get(BASE)
async def minutes_page(
    engagement_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    """The secretariat edits the draft here; everyone else is shown the latest version."""
    if isinstance(principal, Secretary):
        return await _editing(request, db, principal, engagement_id, FormErrors())
    latest = await drafting.version_of(db, principal, engagement_id)
    return RedirectResponse(f"/engagements/{engagement_id}/minutes/{latest.number}", 303)


async def _editing(
    request: Request,
    db: Db,
    principal: PagePrincipal,
    engagement_id: int,
    errors: FormErrors,
    status_code: int = 200,
    notice: str = "",
    typed: Written | None = None,
) -> Response:
    """The editing view; ``typed``: the text as submitted, shown again where it was refused."""
    require_secretariat(principal)
    engagement = await get_engagement(db, engagement_id)
    versions = await drafting.versions_of(db, principal, engagement_id)
    draft = None
    if await drafting.has_draft(db, engagement_id):
        draft = await drafting.draft_of(db, principal, engagement_id)
        if typed is not None:
            draft = draft.model_copy(update={"written": typed})
    return render(
        request,
        "records/minutes_draft.html",
        status_code=status_code,
        engagement=engagement,
        versions=versions,
        draft=draft,
        errors=errors,
        notice=notice,
        editing=True,
        **(context(draft, None) if draft else {}),
    )


@router.post(BASE + "/generate")
async def generate(
    engagement_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    require_secretariat(principal)
    await read_form(request)
    await drafting.generate(db, principal, engagement_id)
    return RedirectResponse(f"/engagements/{engagement_id}/minutes", status_code=303)


@router.post(BASE + "/edit")
async def edit(engagement_id: int, request: Request, db: Db, principal: PagePrincipal) -> Response:
    require_secretariat(principal)
    form = await read_form(request)
    summaries = {
        name.removeprefix("summary-"): text(form, name)
        for name in form
        if name.startswith("summary-")
    }
    errors = FormErrors()
    try:
        await drafting.edit(
            db,
            principal,
            engagement_id,
            introduction=text(form, "introduction"),
            summaries=summaries,
        )
    except SummitryError as err:
        await db.rollback()
        if err.field and err.field.startswith("summaries."):
            errors.beside(err.field.replace("summaries.", "summary-"), err)
        else:
            errors.add(err)
        typed = Written(introduction=text(form, "introduction"), summaries=summaries)
        return await _editing(request, db, principal, engagement_id, errors, 422, typed=typed)
    return await _editing(request, db, principal, engagement_id, errors, notice="Saved.")


async def _publish(
    request: Request, db: Db, principal: PagePrincipal, engagement_id: int
) -> Response:
    try:
        version = await drafting.publish(db, principal, engagement_id)
    except SummitryError as err:
        await db.rollback()
        errors = FormErrors()
        errors.add(err)
        return await _editing(request, db, principal, engagement_id, errors, err.status)
    return RedirectResponse(
        f"/engagements/{engagement_id}/minutes/{version.number}", status_code=303
    )


@router.post(BASE + "/publish")
async def publish(
    engagement_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    require_secretariat(principal)
    await read_form(request)
    return await _publish(request, db, principal, engagement_id)


@router.get(BASE + "/{number}")
async def published_page(
    engagement_id: int, number: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    """One published version, as a document; the PDF beside it."""
    found = await drafting.version_of(db, principal, engagement_id, number)
    versions = await drafting.versions_of(db, principal, engagement_id)
    minutes = drafting.version_minutes(found)
    engagement = await get_engagement(db, engagement_id)
    return render(
        request,
        "records/minutes.html",
        engagement=engagement,
        versions=versions,
        title=title_of(minutes, found),
        editing=False,
        **context(minutes, found),
    )
