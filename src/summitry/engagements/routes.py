"""HTTP API for engagements: planning is the secretariat's, reading is for those invited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from summitry.delegations.operations import get_person
from summitry.delegations.schemas import PersonOut
from summitry.deps import CurrentPrincipal, Db, RecordId, media_of
from summitry.engagements import operations
from summitry.engagements.models import EngagementStatus
from summitry.engagements.presentation import engagement_summary
from summitry.engagements.schemas import (
    AgendaIn,
    AttendeeIn,
    AttendeeOut,
    EngagementIn,
    EngagementOut,
    EngagementPatch,
    EngagementSummary,
    ParticipationIn,
)
from summitry.meeting.access import strike_off
from summitry.security.principals import (
    require_engagement_access,
    require_secretariat,
    require_signed_in,
)
from summitry.security.visibility import engagement_as_seen, engagements_visible

router = APIRouter(prefix="/engagements", tags=["engagements"])


@router.get("")
async def list_engagements(
    db: Db,
    principal: CurrentPrincipal,
    status_: Annotated[EngagementStatus | None, Query(alias="status")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> list[EngagementSummary]:
    """The engagements you may see, soonest first."""
    who = require_signed_in(principal)
    found = await engagements_visible(db, who, status=status_, year=year)
    return [engagement_summary(e) for e in found]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_engagement(
    data: EngagementIn, db: Db, principal: CurrentPrincipal
) -> EngagementOut:
    """Plan an engagement with its delegations, languages and agenda."""
    who = require_secretariat(principal)
    return engagement_as_seen(await operations.create_engagement(db, data, by=who.name), who)


@router.get("/{engagement_id}")
async def get_engagement(
    engagement_id: RecordId, db: Db, principal: CurrentPrincipal
) -> EngagementOut:
    """One engagement, with each delegation's local time."""
    who = require_engagement_access(principal, engagement_id)
    return engagement_as_seen(await operations.get_engagement(db, engagement_id), who)


@router.patch("/{engagement_id}")
async def update_engagement(
    engagement_id: RecordId, data: EngagementPatch, db: Db, principal: CurrentPrincipal
) -> EngagementOut:
    """Change an engagement's title, times, host, languages, confidentiality or status."""
    who = require_secretariat(principal)
    engagement = await operations.get_engagement(db, engagement_id)
    updated = await operations.update_engagement(db, engagement, data, by=who.name)
    return engagement_as_seen(updated, who)


@router.post("/{engagement_id}/delegations", status_code=status.HTTP_201_CREATED)
async def add_delegation(
    engagement_id: RecordId, data: ParticipationIn, db: Db, principal: CurrentPrincipal
) -> EngagementOut:
    """Add a delegation at the end of the order of precedence."""
    who = require_secretariat(principal)
    engagement = await operations.get_engagement(db, engagement_id)
    added = await operations.add_participant(db, engagement, data.code, by=who.name)
    return engagement_as_seen(added, who)


@router.delete("/{engagement_id}/delegations/{code}")
async def remove_delegation(
    engagement_id: RecordId, code: str, db: Db, principal: CurrentPrincipal
) -> EngagementOut:
    """Withdraw a delegation nobody of which is invited."""
    who = require_secretariat(principal)
    engagement = await operations.get_engagement(db, engagement_id)
    removed = await operations.remove_participant(db, engagement, code, by=who.name)
    return engagement_as_seen(removed, who)


@router.post("/{engagement_id}/attendees", status_code=status.HTTP_201_CREATED)
async def add_attendee(
    engagement_id: RecordId, data: AttendeeIn, db: Db, principal: CurrentPrincipal
) -> AttendeeOut:
    """Invite a person of a participating delegation, in a role."""
    who = require_secretariat(principal)
    engagement = await operations.get_engagement(db, engagement_id)
    person = await get_person(db, data.person_id)
    attendee = await operations.add_attendee(
        db, engagement, person, data.role, data.booth, by=who.name
    )
    return AttendeeOut(
        id=attendee.id,
        role=attendee.role,
        person=PersonOut.model_validate(person),
        booth=attendee.booth,
    )


@router.delete("/{engagement_id}/attendees/{attendee_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_attendee(
    engagement_id: RecordId,
    attendee_id: RecordId,
    request: Request,
    db: Db,
    principal: CurrentPrincipal,
) -> None:
    """Strike a person off the engagement: they are put out of the meeting, and their links,
    PIN and media access stop working."""
    await strike_off(db, principal, engagement_id, attendee_id, media_of(request))


@router.put("/{engagement_id}/agenda")
async def set_agenda(
    engagement_id: RecordId, data: AgendaIn, db: Db, principal: CurrentPrincipal
) -> EngagementOut:
    """Replace the agenda with the items given, in order."""
    who = require_secretariat(principal)
    engagement = await operations.get_engagement(db, engagement_id)
    changed = await operations.set_agenda(db, engagement, data.items, by=who.name)
    return engagement_as_seen(changed, who)
