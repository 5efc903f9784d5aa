"""Pages of readouts: an engagement's readouts (and its delegation's draft from the record),
one readout with its versions and, for its parties, the draft to edit, approve and publish;
every published readout, and the record's search.

The forms are plain HTML posted to these pages (no script needed), each checked for its
CSRF token, answered with a redirect, or with the page again and what to fix.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from summitry.delegations.operations import find_delegation
from summitry.deps import Db, PagePrincipal, RecordId
from summitry.engagements.operations import get_engagement
from summitry.errors import InvalidInput, SummitryError
from summitry.records import readouts, search
from summitry.records.readout_models import Audience
from summitry.records.readout_reading import of_engagement, published, readout_seen
from summitry.records.readout_schemas import ReadoutEdit
from summitry.records.readout_template import from_the_record
from summitry.security.principals import require_engagement_access
from summitry.web.forms import read_form, text, texts
from summitry.web.rendering import render

router = APIRouter()


@router.get("/engagements/{engagement_id}/readouts")
async def engagement_readouts(
    request: Request, engagement_id: RecordId, db: Db, principal: PagePrincipal
) -> Response:
    require_engagement_access(principal, engagement_id)
    engagement = await get_engagement(db, engagement_id)
    member = await readouts.member_of(db, principal, engagement_id)
    return render(
        request,
        "records/readouts.html",
        engagement=engagement,
        seen=await of_engagement(db, principal, engagement_id),
        member=member,
    )


@router.post("/engagements/{engagement_id}/readouts")
async def draft_readout(
    request: Request, engagement_id: RecordId, db: Db, principal: PagePrincipal
) -> Response:
    form = await read_form(request)
    actor = await readouts.drafter(db, principal, engagement_id)
    start = await from_the_record(db, actor, engagement_id)
    readout = await readouts.draft(db, actor, engagement_id, start, texts(form, "parties"))
    return RedirectResponse(f"/readouts/{readout.id}", status_code=303)


@router.get("/readouts")
async def all_published(request: Request, db: Db, principal: PagePrincipal) -> Response:
    seen = await published(db, principal)
    names = {}
    for code in {c for s in seen for c in s.readout.parties}:
        found = await find_delegation(db, code)
        names[code] = found.name if found else code
    return render(request, "records/readouts_published.html", seen=seen, names=names)


@router.get("/readouts/{readout_id}")
async def readout_page(
    request: Request, readout_id: RecordId, db: Db, principal: PagePrincipal
) -> Response:
    return await _readout(request, db, principal, readout_id)


async def _readout(
    request: Request,
    db: Db,
    principal: PagePrincipal,
    readout_id: int,
    *,
    refused: SummitryError | None = None,
    entered: dict[str, Any] | None = None,
) -> Response:
    seen = await readout_seen(db, principal, readout_id)
    engagement = await get_engagement(db, seen.readout.engagement_id)
    names = {p.delegation.code: p.delegation.name for p in engagement.delegations}
    return render(
        request,
        "records/readout.html",
        status_code=refused.status if refused else 200,
        seen=seen,
        engagement=engagement,
        names=names,
        party_names=[names.get(code, code) for code in seen.readout.parties],
        refused=refused,
        entered=entered or {},
        sees_engagement=principal is not None and _may_open(principal, engagement.id),
    )


def _may_open(principal: Any, engagement_id: int) -> bool:
    try:
        require_engagement_access(principal, engagement_id)
    except SummitryError:
        return False
    return True


@router.post("/readouts/{readout_id}")
async def act_on_readout(
    request: Request, readout_id: RecordId, db: Db, principal: PagePrincipal
) -> Response:
    form = await read_form(request)
    readout, actor = await readouts.readout_for_party(db, principal, readout_id)
    action = text(form, "action")
    entered: dict[str, Any] = {}
    try:
        if action == "save":
            entered = {k: text(form, k) for k in ("title", "body", "audience", "embargo_until")}
            await readouts.edit(db, actor, readout, _text_of(entered))
        elif action == "approve":
            await readouts.approve(db, actor, readout)
        elif action == "publish":
            await readouts.publish(db, actor, readout)
        else:
            raise InvalidInput("choose to save, approve or publish", field="action")
    except SummitryError as refusal:
        await db.rollback()
        return await _readout(request, db, principal, readout_id, refused=refusal, entered=entered)
    return RedirectResponse(f"/readouts/{readout_id}", status_code=303)


def _text_of(entered: dict[str, Any]) -> readouts.Text:
    """The form's fields read as the API reads its body (printable text, a known audience),
    the embargo's date and time taken as UTC."""
    embargo = entered["embargo_until"]
    if embargo and len(embargo) <= len("2020-01-01T00:00:00"):
        embargo += "Z"
    try:
        edit = ReadoutEdit.model_validate(
            {
                "title": entered["title"],
                "body": entered["body"],
                "audience": entered["audience"] or Audience.PUBLIC,
                "embargo_until": embargo or None,
            }
        )
    except ValidationError as err:
        first = err.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else None
        raise InvalidInput(f"{field}: {first['msg']}", field=field) from err
    return readouts.Text(edit.title, edit.body, edit.audience, edit.embargo_until)


@router.get("/search")
async def search_page(
    request: Request,
    db: Db,
    principal: PagePrincipal,
    q: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    hits = await search.find(db, principal, q) if q else []
    return render(
        request,
        "records/search.html",
        q=q,
        hits=hits,
        words=search.words_of(q),
    )
