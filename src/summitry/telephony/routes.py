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
from summitry.telephony import operations
from summitry.telephony.addresses import Target

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
    encrypted: bool = False
    """SIP over UDP and RTP: never end-to-end encrypted (see the architecture notes)."""


def _gateway(request: Request) -> TelephoneGateway:
    gateway: TelephoneGateway | None = runtime_of(request).telephony
    if gateway is None:
        # Not a 503: nothing is down, this installation simply has no telephone.
        raise Conflict(
            "this Summitry has no telephone gateway: the operator turns it on with "
            "SUMMITRY_SIP_ENABLED"
        )
    return gateway


def _sip_uri(request: Request, number: str) -> str | None:
    gateway: TelephoneGateway | None = runtime_of(request).telephony
    if gateway is None:
        return None
    return f"sip:{number}@{gateway.endpoint.host}:{gateway.endpoint.port}"


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
    """Call a person from the meeting; they are admitted when they answer."""
    secretary = require_secretariat(principal)
    await get_engagement(db, engagement_id)
    Target.parse(data.uri)  # a malformed address is the caller's to fix, gateway or not
    gateway = _gateway(request)
    call = await gateway.dial_out(secretary, engagement_id, data.attendee_id, data.uri)
    return CallOut(
        id=call.id, direction=call.direction, attendee_id=call.attendee_id, stage=call.stage
    )


@router.get("/calls")
async def calls(
    engagement_id: RecordId, request: Request, principal: CurrentPrincipal
) -> list[CallOut]:
    """The telephone calls in progress for this engagement (the secretariat)."""
    require_secretariat(principal)
    gateway: TelephoneGateway | None = runtime_of(request).telephony
    if gateway is None:
        return []
    return [
        CallOut(id=c.id, direction=c.direction, attendee_id=c.attendee_id, stage=c.stage)
        for c in gateway.calls.values()
        if c.engagement_id == engagement_id
    ]
