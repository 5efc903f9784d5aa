"""The telephone in the API: an engagement's dial-in number, personal PINs, calls out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from summitry.db import MAX_ID
from summitry.deps import CurrentPrincipal, Db, RecordId, runtime_of
from summitry.engagements.operations import get_engagement
from summitry.errors import Conflict
from summitry.security.principals import require_secretariat
from summitry.telephony import operations, register
from summitry.telephony.addresses import Target
from summitry.telephony.models import TelephoneCall

if TYPE_CHECKING:  # the gateway (sippy, aiortc) is imported only where it runs
    from summitry.telephony.gateway import TelephoneGateway

router = APIRouter(prefix="/engagements/{engagement_id}/telephone", tags=["telephone"])


class LineOut(BaseModel):
    number: str | None
    """Dial this number (through the operator's trunk), or ``sip:<number>@<Summitry>``;
    ``null`` until the secretariat opens the line."""
    sip_uri: str | None
    """The SIP address, when this Summitry has a SIP listener."""


class PinOut(BaseModel):
    attendee_id: int
    pin: str
    """Shown this once: give it to the person. Only its hash is kept."""


class DialOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attendee_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    uri: Annotated[str, Field(min_length=5, max_length=120)]
    """``sip:<number or user>@<address>[:port]``: the person's phone, or the trunk's."""


class CallOut(BaseModel):
    id: int
    direction: str
    attendee_id: int | None
    stage: str
    """``requested`` (waiting for the gateway), ``ringing``, ``pin``, ``lobby``, ``room``,
    ``ended``."""
    end_reason: str = ""
    placed_by: str | None = None
    """The secretary who placed a call out."""
    encrypted: bool = False
    """SIP over UDP and RTP: never end-to-end encrypted (see the architecture notes)."""


def _telephone_on(request: Request) -> None:
    runtime = runtime_of(request)
    settings = runtime.settings
    # The gateway runs (on the lease holder) only with the media engine beside it.
    if runtime.telephony is None and not (settings.sip_enabled and settings.media):
        # Not a 503: nothing is down, this installation simply has no telephone.
        raise Conflict(
            "this Summitry has no telephone gateway: the operator turns it on with "
            "SUMMITRY_SIP_ENABLED"
        )


def _sip_uri(request: Request, number: str) -> str | None:
    runtime = runtime_of(request)
    gateway: TelephoneGateway | None = runtime.telephony
    if gateway is not None:
        return f"sip:{number}@{gateway.endpoint.host}:{gateway.endpoint.port}"
    if runtime.settings.sip_enabled:  # the listener runs on another replica, same address
        return f"sip:{number}@{runtime.settings.sip_host}:{runtime.settings.sip_port}"
    return None


def _call_out(call: TelephoneCall) -> CallOut:
    return CallOut(
        id=call.id,
        direction=call.direction,
        attendee_id=call.attendee_id,
        stage=call.stage,
        end_reason=call.end_reason,
        placed_by=call.placed_by_name or None,
    )


@router.get("/line")
async def line(
    engagement_id: RecordId, request: Request, db: Db, principal: CurrentPrincipal
) -> LineOut:
    """The engagement's dial-in number (the secretariat)."""
    require_secretariat(principal)
    await get_engagement(db, engagement_id)
    found = await operations.line_of(db, engagement_id)
    if found is None:
        return LineOut(number=None, sip_uri=None)
    return LineOut(number=found.number, sip_uri=_sip_uri(request, found.number))


@router.post("/line")
async def open_line(
    engagement_id: RecordId, request: Request, db: Db, principal: CurrentPrincipal
) -> LineOut:
    """Give the engagement a dial-in number (or return the one it has)."""
    made = await operations.open_line(db, principal, engagement_id)
    return LineOut(number=made.number, sip_uri=_sip_uri(request, made.number))


@router.post("/pins/{attendee_id}")
async def issue_pin(
    engagement_id: RecordId, attendee_id: RecordId, db: Db, principal: CurrentPrincipal
) -> PinOut:
    """A new personal PIN for one attendee; any earlier one stops working."""
    issued = await operations.issue_pin(db, principal, engagement_id, attendee_id)
    return PinOut(attendee_id=issued.attendee_id, pin=issued.pin)


@router.post("/calls", status_code=202)
async def dial_out(
    engagement_id: RecordId,
    data: DialOutIn,
    request: Request,
    db: Db,
    principal: CurrentPrincipal,
) -> CallOut:
    """Call a person from the meeting; they are admitted when they answer. Any replica takes
    the request; the one running the telephone places the call within half a second."""
    require_secretariat(principal)
    Target.parse(data.uri)  # a malformed address is the caller's to fix, telephone or not
    _telephone_on(request)
    call = await register.request_call(db, principal, engagement_id, data.attendee_id, data.uri)
    gateway: TelephoneGateway | None = runtime_of(request).telephony
    if gateway is not None:
        gateway.wake()
    return _call_out(call)


@router.get("/calls")
async def calls(engagement_id: RecordId, db: Db, principal: CurrentPrincipal) -> list[CallOut]:
    """The telephone calls in progress for this engagement (the secretariat)."""
    require_secretariat(principal)
    await get_engagement(db, engagement_id)
    return [_call_out(call) for call in await register.in_progress(db, engagement_id)]
