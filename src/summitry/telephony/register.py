"""The call register: every telephone call as a row, so that any replica places and lists calls.

A secretary's page may talk to any replica, but only one replica holds the telephone lease and
its SIP listener. Asking for a call out writes a *requested* row (after the checks a person can
act on); the gateway claims requests with a guarded update, so each is placed once, and writes
each stage the call reaches. The calls in progress are read from here by every replica.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.db import intend_to_write, utcnow
from summitry.engagements.models import EngagementStatus
from summitry.engagements.operations import get_engagement
from summitry.errors import Conflict, InvalidInput, NotFound
from summitry.meeting import operations as live
from summitry.meeting.state import Presence
from summitry.security.principals import Principal, Secretary, require_secretariat
from summitry.telephony.addresses import Target
from summitry.telephony.models import TelephoneCall

logger = logging.getLogger(__name__)

REQUESTED = "requested"
ENDED = "ended"
UNCLAIMED_SECONDS = 30.0
"""A call out no gateway took up within this is ended: ringing a person half a minute after
the secretary asked would surprise everyone."""
WRITE_SECONDS = 5.0
"""How long a stage's write may take before the call goes on without it."""
_UNPLACED: dict[str, object] = {
    "stage": ENDED,
    "end_reason": "not placed: no telephone gateway took it up in time",
}


async def ensure_callable(
    db: AsyncSession, engagement_id: int, attendee_id: int, excluding: int | None = None
) -> None:
    """Refuse a call in a meeting that is over, or to someone who is not an attendee, is
    already in the meeting, was removed from it, or is being called already (by a call other
    than ``excluding``)."""
    engagement = await get_engagement(db, engagement_id)
    if engagement.status in (EngagementStatus.ENDED, EngagementStatus.CANCELLED):
        raise Conflict(f"the engagement is {engagement.status.value}: nobody can be called into it")
    if all(a.id != attendee_id for a in engagement.attendees):
        raise NotFound("no attendee with this id in this engagement")
    state = await live.meeting_state(db, engagement_id)
    presence = state.presence_of(attendee_id)
    if presence in (Presence.ADMITTED, Presence.LOBBY):
        raise InvalidInput("this person is already in the meeting", field="attendee_id")
    if presence is Presence.REMOVED:
        raise InvalidInput("this person was removed from the meeting", field="attendee_id")
    ringing = await db.scalar(
        select(TelephoneCall.id).where(
            TelephoneCall.engagement_id == engagement_id,
            TelephoneCall.attendee_id == attendee_id,
            _under_way(),
            TelephoneCall.id != (excluding or 0),
        )
    )
    if ringing is not None:
        raise Conflict("this person is being called already: wait for the call to end")


async def request_call(
    db: AsyncSession, principal: Principal | None, engagement_id: int, attendee_id: int, uri: str
) -> TelephoneCall:
    """Ask the gateway, wherever it runs, to call a person from the meeting."""
    secretary = require_secretariat(principal)
    Target.parse(uri)
    await ensure_callable(db, engagement_id, attendee_id)
    call = TelephoneCall(
        engagement_id=engagement_id,
        attendee_id=attendee_id,
        direction="out",
        address=uri,
        stage=REQUESTED,
        placed_by=secretary.account_id,
        placed_by_name=secretary.name,
        placed_by_email=secretary.email,
    )
    db.add(call)
    await db.commit()
    return call


def _under_way() -> ColumnElement[bool]:
    """Ringing, or asked for recently enough to be placed still."""
    stale = utcnow() - dt.timedelta(seconds=UNCLAIMED_SECONDS)
    return or_(
        TelephoneCall.stage == "ringing",
        and_(TelephoneCall.stage == REQUESTED, TelephoneCall.created_at >= stale),
    )


def placed_by(call: TelephoneCall) -> Secretary:
    """The secretary who asked for a call out: they admit the callee who answers."""
    return Secretary(call.placed_by or 0, call.placed_by_name, call.placed_by_email)


async def claim_requests(db: AsyncSession) -> list[TelephoneCall]:
    """The calls out asked for and not yet taken up, now taken by this gateway (as ringing);
    those asked for too long ago are ended instead."""
    query = select(TelephoneCall).where(TelephoneCall.stage == REQUESTED)
    if await db.scalar(query.with_only_columns(TelephoneCall.id).limit(1)) is None:
        return []  # the usual answer, read without taking SQLite's write lock
    await db.commit()
    await intend_to_write(db)
    waiting = list(await db.scalars(query))
    stale = utcnow() - dt.timedelta(seconds=UNCLAIMED_SECONDS)
    claimed = []
    for call in waiting:
        fresh = call.created_at >= stale
        values = {"stage": "ringing"} if fresh else _UNPLACED | {"ended_at": utcnow()}
        # Guarded: a request is placed once, whichever gateway looked at it first.
        taken = await db.execute(
            update(TelephoneCall)
            .where(TelephoneCall.id == call.id, TelephoneCall.stage == REQUESTED)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if fresh and taken.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(call)
    await db.commit()
    return claimed


async def open_record(
    db: AsyncSession, engagement_id: int, direction: str, address: str, stage: str
) -> int:
    """Register a call the gateway answered; its number in the register."""
    call = TelephoneCall(
        engagement_id=engagement_id, direction=direction, address=address[:120], stage=stage
    )
    db.add(call)
    await db.commit()
    return call.id


async def record_stage(
    sessionmaker: async_sessionmaker[AsyncSession],
    record_id: int,
    stage: str,
    *,
    attendee_id: int | None = None,
    end_reason: str = "",
) -> bool:
    """Write the stage a call reached; an ended call stays ended. Whether the call is still
    wanted: False when the register had it ended already (its person's access withdrawn). A
    database that does not answer within seconds loses the figure, never the call."""
    values: dict[str, object] = {"stage": stage}
    if attendee_id is not None:
        values["attendee_id"] = attendee_id
    if stage == ENDED:
        values.update(end_reason=end_reason[:200], ended_at=utcnow())
    try:
        async with asyncio.timeout(WRITE_SECONDS), sessionmaker() as db:
            written = await db.execute(
                update(TelephoneCall)
                .where(TelephoneCall.id == record_id, TelephoneCall.stage != ENDED)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            await db.commit()
            return stage == ENDED or written.rowcount == 1  # type: ignore[attr-defined]
    except (SQLAlchemyError, OSError, TimeoutError) as err:
        # asyncpg's connection errors come as OSError; a hung database as the timeout.
        logger.warning("telephone: could not record call %s as %s: %s", record_id, stage, err)
        return True


async def withdraw_calls(db: AsyncSession, engagement_id: int, attendee_id: int | None) -> None:
    """End the calls out still to be answered by someone whose access was withdrawn
    (``None``: everyone's); the caller's transaction carries it, and the gateway hangs up."""
    query = (
        update(TelephoneCall)
        .where(
            TelephoneCall.engagement_id == engagement_id,
            TelephoneCall.stage.in_((REQUESTED, "ringing")),
        )
        .values(stage=ENDED, end_reason="access withdrawn", ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if attendee_id is not None:
        query = query.where(TelephoneCall.attendee_id == attendee_id)
    await db.execute(query)


async def in_progress(db: AsyncSession, engagement_id: int) -> list[TelephoneCall]:
    """The engagement's calls not yet ended, oldest first."""
    return list(
        await db.scalars(
            select(TelephoneCall)
            .where(
                TelephoneCall.engagement_id == engagement_id,
                TelephoneCall.stage != ENDED,
                or_(TelephoneCall.stage != REQUESTED, _under_way()),
            )
            .order_by(TelephoneCall.id)
        )
    )


async def end_unfinished(db: AsyncSession) -> int:
    """End the calls a gateway that stopped left in the register, and requests too old to
    place now; how many. Run by a gateway before it takes calls."""
    now = utcnow()
    stale = now - dt.timedelta(seconds=UNCLAIMED_SECONDS)
    cut_off = await db.execute(
        update(TelephoneCall)
        .where(TelephoneCall.stage.not_in((ENDED, REQUESTED)))
        .values(stage=ENDED, end_reason="cut off: the telephone gateway stopped", ended_at=now)
        .execution_options(synchronize_session=False)
    )
    unplaced = await db.execute(
        update(TelephoneCall)
        .where(TelephoneCall.stage == REQUESTED, TelephoneCall.created_at < stale)
        .values(**_UNPLACED, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    await db.commit()
    return int(cut_off.rowcount + unplaced.rowcount)  # type: ignore[attr-defined]
