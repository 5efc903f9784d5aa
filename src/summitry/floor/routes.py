"""HTTP API of the floor: items, the speakers' list, turns, speaking time, the roll call."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from summitry.db import MAX_ID
from summitry.deps import CurrentPrincipal, Db, RecordId, media_of, runtime_of
from summitry.engagements.operations import get_engagement
from summitry.engagements.schemas import EngagementOut
from summitry.floor import operations, ordering, records
from summitry.floor.precedence import PrecedenceRule
from summitry.floor.speakers import RequestKind
from summitry.log.events import Applied
from summitry.meeting import operations as live_operations
from summitry.security.principals import (
    require_secretariat,
)
from summitry.security.visibility import engagement_as_seen

router = APIRouter(prefix="/engagements/{engagement_id}", tags=["floor"])


class OpenItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inscribe_all: bool = Field(
        default=False, description="Inscribe every delegation's head in order of precedence"
    )


class FloorRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: RequestKind = RequestKind.STATEMENT
    on_behalf_of: str | None = Field(default=None, max_length=120, examples=["G77 and China"])
    attendee_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Inscribe someone else (the chair only)"
    )


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_ids: list[int] = Field(max_length=1000)


class GiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Omit for the next in line"
    )


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cut: bool = Field(default=False, description="The chair cuts the speaker off")


class ExtendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: int = Field(ge=1, le=operations.MAX_EXTENSION_S)


class ListIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    closed: bool


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delegation: str | None = Field(default=None, max_length=12)
    present: bool = True


class PrecedenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: PrecedenceRule
    language: str = Field(
        default="en",
        max_length=16,
        description="The language of the names and its order; zh-u-co-stroke orders Chinese "
        "names by strokes",
    )
    draw_lot: bool = False
    start_code: str | None = Field(default=None, max_length=12)
    manual_codes: list[str] | None = Field(default=None, max_length=250)


@router.post("/floor/items/{position}/open")
async def open_item(
    engagement_id: RecordId,
    position: int,
    data: OpenItemIn,
    request: Request,
    db: Db,
    principal: CurrentPrincipal,
) -> Applied:
    """Open an agenda item (numbered from 0); the floor then governs the microphones."""
    return Applied(
        events=await operations.open_item(
            db,
            principal,
            engagement_id,
            position,
            media_of(request),
            inscribe_all=data.inscribe_all,
        )
    )


@router.post("/floor/items/close")
async def close_item(
    engagement_id: RecordId, request: Request, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Close the open item: the turn ends and the list is emptied."""
    return Applied(
        events=await operations.close_item(db, principal, engagement_id, media_of(request))
    )


@router.post("/floor/requests")
async def request_floor(
    engagement_id: RecordId, data: FloorRequestIn, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Ask for the floor: a statement, a point of order (heard first) or a right of reply."""
    return Applied(
        events=await operations.request_floor(
            db, principal, engagement_id, data.kind, data.on_behalf_of, data.attendee_id
        )
    )


@router.delete("/floor/requests/{request_id}")
async def withdraw(
    engagement_id: RecordId, request_id: RecordId, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Withdraw a request (one's own, or any for the chair)."""
    return Applied(events=await operations.withdraw(db, principal, engagement_id, request_id))


@router.post("/floor/requests/{request_id}/skip")
async def skip(
    engagement_id: RecordId, request_id: RecordId, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Pass over a request (the chair)."""
    return Applied(events=await operations.skip(db, principal, engagement_id, request_id))


@router.put("/floor/requests/order")
async def reorder(
    engagement_id: RecordId, data: OrderIn, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Put the waiting requests in a new order (the chair); points of order stay in front."""
    return Applied(events=await operations.reorder(db, principal, engagement_id, data.request_ids))


@router.post("/floor/give")
async def give(
    engagement_id: RecordId, data: GiveIn, request: Request, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Give the floor (the chair): the speaker's microphone opens, every other is muted."""
    events = await operations.give_floor(
        db, principal, engagement_id, data.request_id, media_of(request)
    )
    clock = runtime_of(request).floor_clock
    if clock is not None:
        clock.watch(engagement_id)
    return Applied(events=events)


@router.post("/floor/release")
async def release(
    engagement_id: RecordId, data: ReleaseIn, request: Request, db: Db, principal: CurrentPrincipal
) -> Applied:
    """End the turn: the speaker yields, or the chair cuts."""
    return Applied(
        events=await operations.release(db, principal, engagement_id, data.cut, media_of(request))
    )


@router.post("/floor/extend")
async def extend(
    engagement_id: RecordId, data: ExtendIn, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Give the speaker more time (the chair)."""
    return Applied(events=await operations.extend(db, principal, engagement_id, data.seconds))


@router.post("/floor/list")
async def close_list(
    engagement_id: RecordId, data: ListIn, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Close the speakers' list to new statements, or reopen it (the chair)."""
    return Applied(events=await operations.close_list(db, principal, engagement_id, data.closed))


@router.post("/floor/roll-call/open")
async def open_roll_call(engagement_id: RecordId, db: Db, principal: CurrentPrincipal) -> Applied:
    """Call the roll, in order of precedence (the chair)."""
    return Applied(events=await operations.open_roll_call(db, principal, engagement_id))


@router.post("/floor/roll-call/answer")
async def answer_roll_call(
    engagement_id: RecordId, data: AnswerIn, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Answer the roll call for one's delegation (or the chair records an answer)."""
    return Applied(
        events=await operations.answer_roll_call(
            db, principal, engagement_id, data.delegation, data.present
        )
    )


@router.post("/floor/roll-call/close")
async def close_roll_call(engagement_id: RecordId, db: Db, principal: CurrentPrincipal) -> Applied:
    return Applied(events=await operations.close_roll_call(db, principal, engagement_id))


@router.get("/floor/log")
async def speaking_log(
    engagement_id: RecordId, db: Db, principal: CurrentPrincipal
) -> list[records.Statement]:
    """Who spoke, for which delegation, on which item, from when to when."""
    # Who spoke for whom is a detail: the press see it of public engagements only.
    await live_operations.require_follower(db, principal, engagement_id)
    return await records.speaking_log(db, engagement_id)


@router.get(
    "/floor/log.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The speaking log"}},
)
async def speaking_log_csv(
    engagement_id: RecordId, db: Db, principal: CurrentPrincipal
) -> Response:
    """The speaking log as CSV, for a spreadsheet."""
    # Who spoke for whom is a detail: the press see it of public engagements only.
    await live_operations.require_follower(db, principal, engagement_id)
    rows = await records.speaking_log(db, engagement_id)
    return Response(
        records.as_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="speaking-log-{engagement_id}.csv"'},
    )


@router.get("/floor/attendance")
async def attendance(
    engagement_id: RecordId, db: Db, principal: CurrentPrincipal
) -> list[records.RollCallRecord]:
    """Every roll call and its answers."""
    # Who answered for whom is a detail: the press see it of public engagements only.
    await live_operations.require_follower(db, principal, engagement_id)
    return await records.roll_calls(db, engagement_id)


@router.put("/precedence")
async def set_precedence(
    engagement_id: RecordId, data: PrecedenceIn, db: Db, principal: CurrentPrincipal
) -> EngagementOut:
    """Order the delegations: alphabetically in a language (from a lot), host first, by the
    protocol rank of their heads, or by hand."""
    who = require_secretariat(principal)
    engagement = await get_engagement(db, engagement_id)
    updated = await ordering.set_precedence(
        db,
        engagement,
        data.rule,
        data.language,
        draw_lot=data.draw_lot,
        start_code=data.start_code,
        manual_codes=data.manual_codes,
        by=who.name,
    )
    return engagement_as_seen(updated, who)
