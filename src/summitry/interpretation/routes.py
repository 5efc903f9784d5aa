"""HTTP API of interpretation: channels, interpreters on air, relay, the floor's language."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from summitry.db import MAX_ID
from summitry.deps import CurrentPrincipal, Db, RecordId, runtime_of
from summitry.errors import Forbidden, NotFound
from summitry.interpretation import operations
from summitry.interpretation.routing import ChannelRouter
from summitry.log.events import Applied
from summitry.meeting import operations as live_operations
from summitry.meeting.media_port import IceServer
from summitry.meeting.state import Presence

router = APIRouter(prefix="/engagements/{engagement_id}/interpretation", tags=["interpretation"])


def router_of(request: Request) -> ChannelRouter | None:
    """The channel router this app drives, or ``None`` when it runs without a media server."""
    found: ChannelRouter | None = runtime_of(request).channels
    return found


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str | None = Field(
        max_length=16, description="A booth's language, or null for the floor", examples=["fr"]
    )


class OnAirIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on_air: bool


class HandOverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: int = Field(ge=1, le=MAX_ID, description="The booth partner's attendee id")


class RelayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    booth: str | None = Field(
        max_length=16, description="Another booth's language, or null for the floor"
    )


class LanguageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: str = Field(min_length=2, max_length=16, examples=["de"])


class FloorLevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    percent: int = Field(ge=0, le=100)


class ChannelOut(BaseModel):
    language: str
    mountpoint: int
    pin: str


class BoothOut(BaseModel):
    language: str
    room_id: int
    token: str
    participant_id: int


class ChannelAccessOut(BaseModel):
    server_url: str
    channels: list[ChannelOut]
    booth: BoothOut | None
    ice_servers: list[IceServer]


@router.get("/access")
async def access(
    engagement_id: RecordId, request: Request, db: Db, principal: CurrentPrincipal
) -> ChannelAccessOut:
    """The language channels to listen to, and an interpreter's booth; only when admitted."""
    me = await live_operations.participant_of(db, principal, engagement_id)
    state = await live_operations.meeting_state(db, engagement_id)
    if state.presence_of(me.attendee.id) is not Presence.ADMITTED:
        raise Forbidden("wait until the secretariat admits you")
    channels = router_of(request)
    if channels is None:
        raise NotFound("this Summitry runs without a media server")
    found = await channels.access(db, engagement_id, me.attendee.id)
    return ChannelAccessOut(
        server_url=found.server_url,
        channels=[ChannelOut(language=c, mountpoint=m, pin=p) for c, m, p in found.channels],
        booth=None
        if found.booth is None
        else BoothOut(
            language=found.booth[0],
            room_id=found.booth[1],
            token=found.booth[2],
            participant_id=found.booth[3],
        ),
        ice_servers=list(found.ice_servers),
    )


@router.put("/channel")
async def choose_channel(
    engagement_id: RecordId, data: ChannelIn, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Listen to the floor or to a language channel; kept across reconnections."""
    return Applied(
        events=await operations.choose_channel(db, principal, engagement_id, data.channel)
    )


@router.post("/on-air")
async def on_air(
    engagement_id: RecordId, data: OnAirIn, request: Request, db: Db, principal: CurrentPrincipal
) -> Applied:
    """An interpreter goes on the air (taking over from the partner) or off it."""
    return Applied(
        events=await operations.go_on_air(
            db, principal, engagement_id, data.on_air, router_of(request)
        )
    )


@router.post("/hand-over")
async def hand_over(
    engagement_id: RecordId,
    data: HandOverIn,
    request: Request,
    db: Db,
    principal: CurrentPrincipal,
) -> Applied:
    """The interpreter on the air gives the channel to their booth partner."""
    return Applied(
        events=await operations.hand_over(db, principal, engagement_id, data.to, router_of(request))
    )


@router.put("/relay")
async def relay(
    engagement_id: RecordId, data: RelayIn, db: Db, principal: CurrentPrincipal
) -> Applied:
    """An interpreter takes relay from another booth, or goes back to the floor."""
    return Applied(events=await operations.take_relay(db, principal, engagement_id, data.booth))


@router.post("/slow-down")
async def slow_down(engagement_id: RecordId, db: Db, principal: CurrentPrincipal) -> Applied:
    """Ask the chair to have the speaker slow down."""
    return Applied(events=await operations.ask_slow_down(db, principal, engagement_id))


@router.put("/language")
async def language(
    engagement_id: RecordId, data: LanguageIn, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Declare the language one speaks at the floor."""
    return Applied(
        events=await operations.declare_language(db, principal, engagement_id, data.language)
    )


@router.put("/floor-level")
async def floor_level(
    engagement_id: RecordId, data: FloorLevelIn, db: Db, principal: CurrentPrincipal
) -> Applied:
    """How loud the floor stays under the interpretation, in percent (the chair)."""
    return Applied(
        events=await operations.set_floor_level(db, principal, engagement_id, data.percent)
    )
