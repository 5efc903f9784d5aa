"""Turning a meeting's recording on and off, and who may hear what it recorded."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from summitry.documents.actors import DELEGATION_ROLES, Actor, actor_of
from summitry.engagements.operations import engagement_row
from summitry.errors import Conflict, Forbidden
from summitry.log.events import EventEnvelope
from summitry.meeting import operations as live
from summitry.records.recording_events import RecordingStarted, RecordingStopped
from summitry.records.recording_state import recording_of
from summitry.security.principals import Principal, require_secretariat


async def set_recording(
    db: AsyncSession, principal: Principal | None, engagement_id: int, on: bool
) -> list[EventEnvelope]:
    """The secretariat records the meeting, or stops; said in the log for everyone to see."""
    secretary = require_secretariat(principal)
    await engagement_row(db, engagement_id)  # 404 for an engagement that is not there
    state = await live.meeting_state(db, engagement_id)
    if state.ended:
        raise Conflict("the meeting has ended: nothing more is recorded in it")
    if recording_of(state).on == on:
        return []  # asked twice: said once
    body = RecordingStarted(by=secretary.name) if on else RecordingStopped(by=secretary.name)
    return await live.append_all(db, engagement_id, [body])


async def listener_of(db: AsyncSession, principal: Principal | None, engagement_id: int) -> Actor:
    """Who asks for the recordings: the secretariat, the chair, and the delegations' members
    (not the press, nor the interpreters, whose words are in them)."""
    actor = await actor_of(db, principal, engagement_id)
    if not actor.is_secretariat and actor.role not in DELEGATION_ROLES:
        raise Forbidden(
            "only the secretariat and the delegations (chair, heads, delegates) may hear "
            "the recordings"
        )
    return actor
