"""Pages with which the secretariat plans an engagement: the form, delegations, people, links."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from summitry.delegations import catalogue
from summitry.delegations.choices import (
    UN_LANGUAGES,
    all_zones,
    code_from_label,
    delegation_choices,
)
from summitry.delegations.operations import (
    list_delegations,
)
from summitry.deps import Db, PagePrincipal
from summitry.engagements import operations
from summitry.engagements.models import PLANNED_KINDS, Confidentiality, Engagement
from summitry.engagements.pages import engagement_context
from summitry.engagements.schemas import EngagementIn, EngagementPatch
from summitry.errors import InvalidInput, SummitryError
from summitry.security import operations as security
from summitry.security.principals import require_secretariat
from summitry.web.forms import FormErrors, read_form, text, texts
from summitry.web.rendering import render

router = APIRouter()

DELEGATION_ROWS = 6


async def _form_page(
    request: Request,
    db: AsyncSession,
    values: dict[str, Any],
    errors: FormErrors,
    engagement: Engagement | None = None,
    status_code: int = 200,
) -> Response:
    rows = list(values.get("delegations", []))
    rows += [""] * max(DELEGATION_ROWS - len(rows), 2)
    return render(
        request,
        "engagements/form.html",
        status_code=status_code,
        values=values,
        errors=errors,
        engagement=engagement,
        delegation_rows=rows,
        choices=delegation_choices(await list_delegations(db)),
        kinds=list(PLANNED_KINDS),
        levels=list(Confidentiality),
        un_languages=UN_LANGUAGES,
        zones=all_zones(),
    )


@router.get("/engagements/new")
async def new_engagement(request: Request, db: Db, principal: PagePrincipal) -> Response:
    require_secretariat(principal)
    values = {
        "kind": "video_meeting",
        "confidentiality": "restricted",
        "zone": "host",
        "languages": ["en"],
        "delegations": [],
    }
    return await _form_page(request, db, values, FormErrors())


@router.post("/engagements/new")
async def create_engagement(request: Request, db: Db, principal: PagePrincipal) -> Response:
    who = require_secretariat(principal)
    form = await read_form(request)
    values, errors = _values(form), FormErrors()
    choices = delegation_choices(await list_delegations(db))
    data = _engagement_data(values, choices, errors)
    if data is not None and not errors:
        try:
            engagement = await operations.create_engagement(
                db, EngagementIn.model_validate(data), by=who.name
            )
        except ValidationError as err:
            errors.add_validation(err)
        except SummitryError as err:
            await db.rollback()
            errors.add(err)
        else:
            return RedirectResponse(f"/engagements/{engagement.id}", status_code=303)
    return await _form_page(request, db, values, errors, status_code=422)


@router.get("/engagements/{engagement_id}/edit")
async def edit_engagement(
    engagement_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    require_secretariat(principal)
    engagement = await operations.get_engagement(db, engagement_id)
    return await _form_page(request, db, _values_of(engagement), FormErrors(), engagement)


@router.post("/engagements/{engagement_id}/edit")
async def update_engagement(
    engagement_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    who = require_secretariat(principal)
    engagement = await operations.get_engagement(db, engagement_id)
    form = await read_form(request)
    values, errors = _values(form), FormErrors()
    values["delegations"] = [p.delegation.code for p in engagement.delegations]
    choices = delegation_choices(await list_delegations(db))
    data = _engagement_data(values, choices, errors)
    if data is not None and not errors:
        data.pop("delegations")
        agenda = data.pop("agenda")
        data["status"] = values.get("status") or engagement.status.value
        try:
            patch = EngagementPatch.model_validate(data)
            engagement = await operations.update_engagement(db, engagement, patch, by=who.name)
            if agenda != [item.title for item in engagement.agenda]:
                await operations.set_agenda(db, engagement, agenda, by=who.name)
        except ValidationError as err:
            errors.add_validation(err)
        except SummitryError as err:
            await db.rollback()
            errors.add(err)
        else:
            return RedirectResponse(f"/engagements/{engagement.id}", status_code=303)
    engagement = await operations.get_engagement(db, engagement_id)
    return await _form_page(request, db, values, errors, engagement, status_code=422)


def _values(form: FormData) -> dict[str, Any]:
    """What the person entered, kept as entered so the form can be shown again."""
    return {
        "title": text(form, "title"),
        "kind": text(form, "kind"),
        "date": text(form, "date"),
        "start": text(form, "start"),
        "end": text(form, "end"),
        "zone": text(form, "zone"),
        "host": text(form, "host"),
        "delegations": texts(form, "delegation"),
        "languages": texts(form, "languages"),
        "other_languages": text(form, "other_languages"),
        "confidentiality": text(form, "confidentiality"),
        "agenda": text(form, "agenda"),
        "description": text(form, "description"),
        "status": text(form, "status"),
    }


def _values_of(engagement: Engagement) -> dict[str, Any]:
    zone = engagement.host.timezone if engagement.host else "UTC"
    start = engagement.starts_at.astimezone(ZoneInfo(zone)) if engagement.starts_at else None
    end = engagement.ends_at.astimezone(ZoneInfo(zone)) if engagement.ends_at else None
    return {
        "title": engagement.title,
        "kind": engagement.kind.value,
        "date": (start.date() if start else engagement.held_on).isoformat(),
        "start": start.strftime("%H:%M") if start else "",
        "end": end.strftime("%H:%M") if end else "",
        "zone": "host",
        "host": engagement.host.code if engagement.host else "",
        "delegations": [p.delegation.code for p in engagement.delegations],
        "languages": [c for c in engagement.languages if c in UN_LANGUAGES],
        "other_languages": ", ".join(c for c in engagement.languages if c not in UN_LANGUAGES),
        "confidentiality": engagement.confidentiality.value,
        "agenda": "\n".join(_agenda_line(item) for item in engagement.agenda),
        "description": engagement.description,
        "status": engagement.status.value,
    }


def _agenda_line(item: Any) -> str:
    """An agenda item as the form shows it, with its speaking time unless it is the default."""
    if item.speaking_time_s == operations.DEFAULT_SPEAKING_TIME_S:
        return str(item.title)
    if item.speaking_time_s is None:
        return f"{item.title} — no limit"
    minutes, seconds = divmod(item.speaking_time_s, 60)
    return (
        f"{item.title} — {minutes} min"
        if not seconds
        else f"{item.title} — {item.speaking_time_s} s"
    )


def _engagement_data(
    values: dict[str, Any], choices: list[Any], errors: FormErrors
) -> dict[str, Any] | None:
    """The API form of what was entered; times are read on the chosen clock."""
    host = code_from_label(values["host"], choices) if values["host"] else None
    codes = [code_from_label(v, choices) for v in values["delegations"]]
    if not values["title"]:
        errors.fields["title"] = "Give the engagement a title"
    try:
        day = dt.date.fromisoformat(values["date"])
    except ValueError:
        errors.fields["date"] = (
            "Give the date as shown: year-month-day, e.g. 2026-12-14"
            if values["date"]
            else "Give the date of the engagement as year-month-day, e.g. 2026-12-14"
        )
        return None
    zone_name = values["zone"] or "host"
    if zone_name == "host":
        host_delegation_zone = _zone_of(host)
        zone_name = host_delegation_zone or "UTC"
    try:
        zone = ZoneInfo(catalogue.check_timezone(zone_name, "zone"))
    except InvalidInput as err:
        errors.add(err)
        return None
    starts_at = ends_at = None
    try:
        if values["start"]:
            starts_at = dt.datetime.combine(day, dt.time.fromisoformat(values["start"]), zone)
        if values["end"]:
            if starts_at is None:
                errors.fields["start"] = "Give the start time as well as the end"
                return None
            ends_at = dt.datetime.combine(day, dt.time.fromisoformat(values["end"]), zone)
            if ends_at <= starts_at:
                errors.fields["ends_at"] = (
                    f"The end ({values['end']}) must come after the start ({values['start']})"
                )
    except ValueError:
        errors.fields["start"] = "Give times as hours and minutes, e.g. 14:00"
        return None
    others = [c.strip() for c in values["other_languages"].replace(";", ",").split(",")]
    return {
        "title": values["title"] or "untitled",
        "kind": values["kind"] or "video_meeting",
        "starts_at": starts_at,
        "ends_at": ends_at,
        "held_on": None if starts_at else day,
        "host": host,
        "confidentiality": values["confidentiality"] or "restricted",
        "languages": values["languages"] + [c for c in others if c],
        "description": values["description"],
        "delegations": codes,
        "agenda": [line.strip() for line in values["agenda"].splitlines() if line.strip()],
    }


def _zone_of(code: str | None) -> str | None:
    if not code:
        return None
    if len(code) == 2 and catalogue.country(code):
        zones = catalogue.country_timezones(code)
        return zones[0] if zones else None
    known = catalogue.organisation(code)
    return known.timezone if known else None


async def detail_with_errors(
    request: Request,
    db: AsyncSession,
    engagement_id: int,
    principal: Any,
    errors: FormErrors,
    status_code: int = 422,
    issued: dict[str, Any] | None = None,
    *,
    values: dict[str, str] | None = None,
    issued_all: list[dict[str, Any]] | None = None,
) -> Response:
    """The engagement page again, with what went wrong beside its field and what was typed
    (``values``) kept; or with the links just issued (one, or ``issued_all``)."""
    engagement = await operations.get_engagement(db, engagement_id)
    invitations = await security.list_invitations(db, engagement_id)
    return render(
        request,
        "engagements/detail.html",
        status_code=status_code,
        **engagement_context(engagement, principal),
        invitations=invitations,
        errors=errors,
        issued=issued,
        issued_all=issued_all,
        values=values or {},
        choices=delegation_choices(await list_delegations(db)),
    )
