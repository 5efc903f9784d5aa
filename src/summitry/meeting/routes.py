"""HTTP and WebSocket API of a live meeting; every change goes through live.operations."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field

from summitry import log
from summitry.db import MAX_ID
from summitry.deps import CurrentPrincipal, Db, RecordId, media_of, runtime_of
from summitry.engagements.attendance import attendance
from summitry.log.events import Applied, EventEnvelope
from summitry.log.feed import CATCH_UP_LIMIT
from summitry.meeting import operations
from summitry.meeting.access import end_meeting
from summitry.meeting.feed import LiveConnection
from summitry.meeting.media_port import IceServer
from summitry.meeting.presentation import roster
from summitry.snapshot import MeetingSnapshot, snapshot_of

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/engagements/{engagement_id}/live", tags=["live"])


class MicrophoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    muted: bool


class CameraIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: bool


class WaitingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attendee_ids: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_ID)]], Field(min_length=1, max_length=1000)
    ]
    """The people to let in: those the secretariat's page shows waiting."""


class LockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locked: bool


class Snapshot(BaseModel):
    """The whole state of a meeting at ``cursor``, with its roster."""

    cursor: int
    state: MeetingSnapshot
    roster: list[dict[str, Any]]
    me: int


class MediaAccessOut(BaseModel):
    server_url: str
    room_id: int
    token: str
    feed_id: int
    ice_servers: list[IceServer]
    """STUN and TURN servers for the page's peer connections (TURN: this person's own)."""


@router.get("")
async def snapshot(engagement_id: RecordId, db: Db, principal: CurrentPrincipal) -> Snapshot:
    """The meeting as it stands: presence, microphones, lock, and who is invited."""
    me = await operations.participant_of(db, principal, engagement_id)
    state = await operations.meeting_state(db, engagement_id)
    people = roster(await attendance(db, engagement_id))
    return Snapshot(cursor=state.seq, state=snapshot_of(state), roster=people, me=me.attendee.id)


@router.get("/events")
async def events(
    engagement_id: RecordId,
    db: Db,
    principal: CurrentPrincipal,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[EventEnvelope]:
    """The events after sequence number ``after``, for a client that resumes."""
    await operations.require_follower(db, principal, engagement_id)
    return await log.events_after(db, engagement_id, after, CATCH_UP_LIMIT)


@router.post("/enter")
async def enter(
    engagement_id: RecordId, request: Request, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Come to the meeting (the lobby, or straight in for the secretariat)."""
    return Applied(events=await operations.enter(db, principal, engagement_id, media_of(request)))


@router.post("/leave")
async def leave(
    engagement_id: RecordId, request: Request, db: Db, principal: CurrentPrincipal
) -> Applied:
    return Applied(events=await operations.leave(db, principal, engagement_id, media_of(request)))


@router.post("/published")
async def published(
    engagement_id: RecordId, request: Request, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Tell Summitry the page's media is up, so that a mute in force is applied again."""
    await operations.published(db, principal, engagement_id, media_of(request))
    runtime_of(request).hub.media_changed(engagement_id)
    return Applied(events=[])


@router.get("/media")
async def media_access(
    engagement_id: RecordId, request: Request, db: Db, principal: CurrentPrincipal
) -> MediaAccessOut:
    """Room and personal token for the media server; only for a person admitted."""
    access = await operations.media_access(db, principal, engagement_id, media_of(request))
    return MediaAccessOut(
        server_url=access.server_url,
        room_id=access.room_id,
        token=access.token,
        feed_id=access.feed_id,
        ice_servers=list(access.ice_servers),
    )


@router.post("/participants/admit")
async def admit_waiting(
    engagement_id: RecordId, data: WaitingIn, request: Request, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Admit at once everyone named who is still waiting in the lobby (secretariat)."""
    events = await operations.admit_waiting(
        db, principal, engagement_id, data.attendee_ids, media_of(request)
    )
    return Applied(events=events)


@router.post("/participants/{attendee_id}/admit")
async def admit(
    engagement_id: RecordId,
    attendee_id: RecordId,
    request: Request,
    db: Db,
    principal: CurrentPrincipal,
) -> Applied:
    """Admit a person waiting in the lobby (secretariat)."""
    return Applied(
        events=await operations.admit(db, principal, engagement_id, attendee_id, media_of(request))
    )


@router.post("/participants/{attendee_id}/turn-away")
async def turn_away(
    engagement_id: RecordId, attendee_id: RecordId, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Turn away a person waiting in the lobby (secretariat)."""
    return Applied(events=await operations.turn_away(db, principal, engagement_id, attendee_id))


@router.post("/participants/{attendee_id}/remove")
async def remove(
    engagement_id: RecordId,
    attendee_id: RecordId,
    request: Request,
    db: Db,
    principal: CurrentPrincipal,
) -> Applied:
    """Put a person out of the meeting, on the media server too (secretariat)."""
    return Applied(
        events=await operations.remove(db, principal, engagement_id, attendee_id, media_of(request))
    )


@router.post("/participants/{attendee_id}/microphone")
async def microphone_of(
    engagement_id: RecordId,
    attendee_id: RecordId,
    data: MicrophoneIn,
    request: Request,
    db: Db,
    principal: CurrentPrincipal,
) -> Applied:
    """Mute or open someone's microphone on the media server (secretariat, or oneself)."""
    return Applied(
        events=await operations.set_microphone(
            db, principal, engagement_id, attendee_id, data.muted, media_of(request)
        )
    )


@router.post("/microphone")
async def my_microphone(
    engagement_id: RecordId,
    data: MicrophoneIn,
    request: Request,
    db: Db,
    principal: CurrentPrincipal,
) -> Applied:
    """Mute or open one's own microphone."""
    return Applied(
        events=await operations.set_microphone(
            db, principal, engagement_id, None, data.muted, media_of(request)
        )
    )


@router.post("/camera")
async def my_camera(
    engagement_id: RecordId, data: CameraIn, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Turn one's own camera on or off."""
    return Applied(events=await operations.set_camera(db, principal, engagement_id, data.on))


@router.post("/lock")
async def lock(
    engagement_id: RecordId, data: LockIn, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Lock the meeting so nobody new can enter the lobby, or open it again (secretariat)."""
    return Applied(events=await operations.lock(db, principal, engagement_id, data.locked))


@router.post("/end")
async def end(
    engagement_id: RecordId, request: Request, db: Db, principal: CurrentPrincipal
) -> Applied:
    """End the meeting for everyone (secretariat): all are put out, the media rooms
    destroyed, every invitation and PIN withdrawn, and the engagement marked ended."""
    return Applied(events=await end_meeting(db, principal, engagement_id, media_of(request)))


@router.websocket("/ws")
async def live_socket(websocket: WebSocket, engagement_id: RecordId) -> None:
    """Snapshot then events; a client that reconnects with ``after`` gets what it missed."""
    await websocket.accept()
    runtime = runtime_of(websocket)
    connection = LiveConnection(websocket, engagement_id, runtime.hub, runtime.sessions)
    try:
        await connection.run()
    except WebSocketDisconnect:
        pass
    finally:
        connection.close()
