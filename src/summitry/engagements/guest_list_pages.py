"""The guest list of an engagement, as the secretariat keeps it in pages: its delegations and
their order of precedence, the people invited, and their personal links."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.config import Settings
from summitry.db import utcnow
from summitry.delegations.choices import code_from_label, delegation_choices
from summitry.delegations.models import Person
from summitry.delegations.operations import (
    add_person,
    ensure_delegation,
    find_delegation,
    list_delegations,
)
from summitry.delegations.schemas import PersonIn
from summitry.deps import Db, PagePrincipal, media_of, runtime_of
from summitry.engagements import operations
from summitry.engagements.models import Role
from summitry.engagements.planning_pages import detail_with_errors
from summitry.errors import InvalidInput, SummitryError
from summitry.floor.ordering import set_precedence as set_precedence_of
from summitry.floor.precedence import PrecedenceRule
from summitry.meeting.access import strike_off, withdraw_invitation
from summitry.security import operations as security
from summitry.security.principals import Secretary, require_secretariat
from summitry.web.forms import FormErrors, read_form, text

router = APIRouter()

INVITE_FIELDS = (
    "person_delegation",
    "form_of_address",
    "name",
    "office",
    "role",
    "language",
    "booth",
)
"""The fields of the invite form, shown again as typed when it is refused."""


@router.post("/engagements/{engagement_id}/delegations")
async def add_delegation(
    engagement_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    who = require_secretariat(principal)
    form = await read_form(request)
    engagement = await operations.get_engagement(db, engagement_id)
    errors = FormErrors()
    choices = delegation_choices(await list_delegations(db))
    code = code_from_label(text(form, "delegation"), choices)
    try:
        if not code:
            raise InvalidInput("Choose a delegation to add", field="delegation")
        await ensure_delegation(db, code)
        await operations.add_participant(db, engagement, code, by=who.name)
    except SummitryError as err:
        await db.rollback()
        errors.add(err, "delegation")
        return await detail_with_errors(request, db, engagement_id, who, errors)
    return RedirectResponse(f"/engagements/{engagement_id}#delegations", status_code=303)


@router.post("/engagements/{engagement_id}/precedence")
async def set_precedence(
    engagement_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    """Order the delegations by a rule; a new lot is drawn each time it is asked for."""
    who = require_secretariat(principal)
    form = await read_form(request)
    engagement = await operations.get_engagement(db, engagement_id)
    try:
        rule = PrecedenceRule(text(form, "rule"))
        manual = [p.delegation.code for p in engagement.delegations]
        await set_precedence_of(
            db,
            engagement,
            rule,
            text(form, "language") or "en",
            draw_lot=bool(text(form, "draw_lot")) and rule is not PrecedenceRule.MANUAL,
            manual_codes=manual if rule is PrecedenceRule.MANUAL else None,
            by=who.name,
        )
    except SummitryError as err:
        errors = FormErrors()
        errors.add(err, "rule")
        return await detail_with_errors(request, db, engagement_id, who, errors)
    except ValueError:
        errors = FormErrors()
        errors.fields["rule"] = "Choose one of the rules in the list"
        return await detail_with_errors(request, db, engagement_id, who, errors)
    return RedirectResponse(f"/engagements/{engagement_id}#delegations", status_code=303)


@router.post("/engagements/{engagement_id}/delegations/{code}/remove")
async def remove_delegation(
    engagement_id: int, code: str, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    who = require_secretariat(principal)
    await read_form(request)
    engagement = await operations.get_engagement(db, engagement_id)
    try:
        await operations.remove_participant(db, engagement, code, by=who.name)
    except SummitryError as err:
        errors = FormErrors()
        errors.beside(f"withdraw-{code.upper()}", err)  # shown on the delegation's own row
        return await detail_with_errors(request, db, engagement_id, who, errors, 409)
    return RedirectResponse(f"/engagements/{engagement_id}#delegations", status_code=303)


@router.post("/engagements/{engagement_id}/people")
async def add_attendee(
    engagement_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    who = require_secretariat(principal)
    form = await read_form(request)
    engagement = await operations.get_engagement(db, engagement_id)
    errors = FormErrors()
    code = text(form, "person_delegation")
    try:
        role = Role(text(form, "role") or "delegate")
        delegation = await find_delegation(db, code) if code else None
        if delegation is None or all(
            p.delegation_id != delegation.id for p in engagement.delegations
        ):
            raise InvalidInput(
                "Choose one of the engagement's delegations", field="person_delegation"
            )
        data = PersonIn(
            name=text(form, "name"),
            office=text(form, "office"),
            form_of_address=text(form, "form_of_address"),
            language=text(form, "language") or None,
        )
        person = await _find_or_add_person(db, delegation.id, data, delegation)
        booth = text(form, "booth") or None
        await operations.add_attendee(db, engagement, person, role, booth, by=who.name)
    except ValidationError as err:
        errors.add_validation(err)
    except (SummitryError, ValueError) as err:
        await db.rollback()
        if isinstance(err, SummitryError):
            errors.add(err)
        else:
            errors.fields["role"] = "Choose a role from the list"
    if errors:
        typed = {name: text(form, name) for name in INVITE_FIELDS}
        return await detail_with_errors(request, db, engagement_id, who, errors, values=typed)
    return RedirectResponse(f"/engagements/{engagement_id}#people", status_code=303)


async def _find_or_add_person(
    db: AsyncSession, delegation_id: int, data: PersonIn, delegation: Any
) -> Person:
    existing = await db.scalar(
        select(Person).where(
            Person.delegation_id == delegation_id,
            Person.name == data.name,
            Person.office == data.office,
        )
    )
    return existing if existing is not None else await add_person(db, delegation, data)


@router.post("/engagements/{engagement_id}/attendees/{attendee_id}/remove")
async def remove_attendee(
    engagement_id: int, attendee_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    await read_form(request)
    await strike_off(db, principal, engagement_id, attendee_id, media_of(request))
    return RedirectResponse(f"/engagements/{engagement_id}#people", status_code=303)


@router.post("/engagements/{engagement_id}/attendees/{attendee_id}/invitations")
async def issue_invitation(
    engagement_id: int, attendee_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    """Issue a link and show it this once; nothing keeps the token after this response."""
    who = require_secretariat(principal)
    await read_form(request)
    settings: Settings = runtime_of(request).settings
    engagement = await operations.get_engagement(db, engagement_id)
    issued = await security.issue_invitation(
        db, engagement, attendee_id, settings.invitation_days, by=who.name
    )
    person = next(a.person for a in engagement.attendees if a.id == attendee_id)
    shown = {
        "url": security.invitation_url(settings.effective_base_url, issued.token),
        "person": person.display_name,
        "expires_at": issued.invitation.expires_at,
    }
    return await detail_with_errors(request, db, engagement_id, who, FormErrors(), 201, shown)


@router.post("/engagements/{engagement_id}/invitations/everyone")
async def issue_for_everyone(
    engagement_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    """A link for every invitee without a usable one, all shown (masked) on one page."""
    who = require_secretariat(principal)
    await read_form(request)
    return await _issued_for_all(request, db, engagement_id, who)


@router.post("/engagements/{engagement_id}/invitations/reissue")
async def reissue_for_everyone(
    engagement_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    """Withdraw every usable link (their sessions end, their holders leave the meeting), then
    issue a new one to everyone; the page asks for a confirmation first."""
    who = require_secretariat(principal)
    await read_form(request)
    now = utcnow()
    for invitation in await security.list_invitations(db, engagement_id):
        if invitation.usable_at(now):
            await withdraw_invitation(db, principal, invitation.id, media_of(request))
    return await _issued_for_all(request, db, engagement_id, who)


async def _issued_for_all(
    request: Request, db: AsyncSession, engagement_id: int, who: Secretary
) -> Response:
    settings: Settings = runtime_of(request).settings
    engagement = await operations.get_engagement(db, engagement_id)
    issued = await security.issue_for_everyone(
        db, engagement, settings.invitation_days, by=who.name
    )
    shown = [
        {
            "attendee_id": attendee.id,
            "person": attendee.person.display_name,
            "url": security.invitation_url(settings.effective_base_url, made.token),
            "expires_at": made.invitation.expires_at,
        }
        for attendee, made in issued
    ]
    return await detail_with_errors(
        request, db, engagement_id, who, FormErrors(), 201, issued_all=shown
    )


@router.post("/invitations/{invitation_id}/revoke")
async def revoke_invitation(
    invitation_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    await read_form(request)
    invitation = await withdraw_invitation(db, principal, invitation_id, media_of(request))
    return RedirectResponse(
        f"/engagements/{invitation.attendee.engagement_id}#invitations", status_code=303
    )
