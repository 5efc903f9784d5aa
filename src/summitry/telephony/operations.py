"""The telephone's records: an engagement's dial-in number, personal PINs, callers found by PIN.

Only the secretariat gives numbers and PINs. A PIN is shown once, when it is issued (like an
invitation link), and only its Argon2 hash is kept.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry import log
from summitry.engagements.models import Attendee, Role
from summitry.engagements.operations import get_engagement
from summitry.errors import Conflict, InvalidInput, NotFound, SummitryError
from summitry.meeting import operations as live
from summitry.meeting.events import TelephoneRefused
from summitry.meeting.media_port import MeetingMedia
from summitry.meeting.state import Presence
from summitry.security.principals import Grant, Invitee, Principal, require_secretariat
from summitry.telephony import pins
from summitry.telephony.models import TelephoneLine, TelephonePin

logger = logging.getLogger(__name__)

NUMBER_DIGITS = 8
_CALLER_ROLES = frozenset(set(Role) - {Role.PRESS})
"""The press follow public meetings but never speak: no telephone leg for them."""


@dataclass(frozen=True)
class IssuedPin:
    attendee_id: int
    pin: str
    """Shown once; only its hash is stored."""


async def line_of(db: AsyncSession, engagement_id: int) -> TelephoneLine | None:
    found: TelephoneLine | None = await db.scalar(
        select(TelephoneLine).where(TelephoneLine.engagement_id == engagement_id)
    )
    return found


async def open_line(
    db: AsyncSession, principal: Principal | None, engagement_id: int
) -> TelephoneLine:
    """The engagement's dial-in number, made on first request (the secretariat only)."""
    require_secretariat(principal)
    await get_engagement(db, engagement_id)
    existing = await line_of(db, engagement_id)
    if existing is not None:
        return existing
    for _ in range(5):
        number = "".join(secrets.choice("0123456789") for _ in range(NUMBER_DIGITS))
        line = TelephoneLine(engagement_id=engagement_id, number=number)
        try:
            async with db.begin_nested():
                db.add(line)
        except IntegrityError:
            # A number another engagement holds, or another request opened the line first.
            existing = await line_of(db, engagement_id)
            if existing is not None:
                return existing
            continue
        await db.commit()
        return line
    raise Conflict("could not find a free dial-in number; try again")


async def engagement_of_number(db: AsyncSession, number: str) -> int | None:
    """The engagement a dialled number reaches, if any."""
    found: int | None = await db.scalar(
        select(TelephoneLine.engagement_id).where(TelephoneLine.number == number)
    )
    return found


async def _attendee(db: AsyncSession, engagement_id: int, attendee_id: int) -> Attendee:
    engagement = await get_engagement(db, engagement_id)
    attendee = next((a for a in engagement.attendees if a.id == attendee_id), None)
    if attendee is None:
        raise NotFound("no attendee with this id in this engagement")
    return attendee


async def issue_pin(
    db: AsyncSession, principal: Principal | None, engagement_id: int, attendee_id: int
) -> IssuedPin:
    """A new personal PIN for one attendee (any earlier one stops working)."""
    require_secretariat(principal)
    attendee = await _attendee(db, engagement_id, attendee_id)
    if attendee.role not in _CALLER_ROLES:
        raise InvalidInput("the press do not speak in meetings: they get no telephone PIN")
    others = list(
        await db.scalars(
            select(TelephonePin.pin_hash).where(
                TelephonePin.engagement_id == engagement_id,
                TelephonePin.attendee_id != attendee_id,
            )
        )
    )
    while True:
        pin = pins.new_pin()
        # Two people with one PIN would be indistinguishable on the line.
        if not any(await asyncio.gather(*(_matches(h, pin) for h in others))):
            break
    pin_hash = await asyncio.to_thread(pins.hash_pin, pin)
    existing = await db.scalar(select(TelephonePin).where(TelephonePin.attendee_id == attendee_id))
    if existing is None:
        db.add(
            TelephonePin(engagement_id=engagement_id, attendee_id=attendee_id, pin_hash=pin_hash)
        )
    else:
        existing.pin_hash = pin_hash
    await db.commit()
    return IssuedPin(attendee_id=attendee_id, pin=pin)


async def withdraw_pins(db: AsyncSession, engagement_id: int, attendee_id: int | None) -> None:
    """Strike out the PINs of one attendee (``None``: everyone) whose access was withdrawn;
    the caller's transaction carries it."""
    query = delete(TelephonePin).where(TelephonePin.engagement_id == engagement_id)
    if attendee_id is not None:
        query = query.where(TelephonePin.attendee_id == attendee_id)
    await db.execute(query)


async def has_pin(db: AsyncSession, engagement_id: int) -> set[int]:
    """The attendees of an engagement who have a PIN."""
    return set(
        await db.scalars(
            select(TelephonePin.attendee_id).where(TelephonePin.engagement_id == engagement_id)
        )
    )


async def _matches(pin_hash: str, pin: str) -> bool:
    # Argon2 takes tens of milliseconds on purpose: off the event loop.
    return await asyncio.to_thread(pins.pin_matches, pin_hash, pin)


async def attendee_for_pin(db: AsyncSession, engagement_id: int, pin: str) -> int | None:
    """The attendee whose PIN this is, in this engagement only; None for a wrong PIN."""
    if not pin.isdigit() or not pins.MIN_DIGITS <= len(pin) <= pins.MAX_DIGITS:
        return None
    rows = list(
        await db.execute(
            select(TelephonePin.attendee_id, TelephonePin.pin_hash).where(
                TelephonePin.engagement_id == engagement_id
            )
        )
    )
    matches = await asyncio.gather(*(_matches(h, pin) for _, h in rows))
    return next((a for (a, _), ok in zip(rows, matches, strict=True) if ok), None)


async def principal_of_caller(db: AsyncSession, engagement_id: int, attendee_id: int) -> Invitee:
    """The principal a caller acts as once their PIN is right: the attendee, as if they had
    opened their invitation link, so the meeting's own rules apply to them unchanged."""
    attendee = await _attendee(db, engagement_id, attendee_id)
    return Invitee(
        (
            Grant(
                invitation_id=0,  # no link was opened: the PIN stood in for it
                engagement_id=engagement_id,
                person_id=attendee.person_id,
                role=attendee.role,
                person_name=attendee.person.display_name,
            ),
        )
    )


async def record_refusal(db: AsyncSession, engagement_id: int, tries: int) -> None:
    """Put a refused call in the engagement's record (the caller's details are logged apart)."""
    await log.append(db, engagement_id, TelephoneRefused(tries=tries))
    await db.commit()


async def end_calls_cut_off(
    sessionmaker: async_sessionmaker[AsyncSession], media: MeetingMedia | None
) -> int:
    """Callers a previous run of Summitry left in meetings have left: their calls ended with
    that process. The record says so (``left``), so the lobby and the tiles are true again.
    How many were found."""
    ended = 0
    async with sessionmaker() as db:
        engagements = await log.engagements_with(db, "lobby_entered")
        for engagement_id in engagements:
            state = await live.meeting_state(db, engagement_id)
            cut_off = [
                who
                for who, person in state.participants.items()
                if person.channel == "telephone"
                and person.presence in (Presence.LOBBY, Presence.ADMITTED)
            ]
            for who in cut_off:
                try:
                    await live.drop(db, engagement_id, who, media)
                except SummitryError as err:
                    await db.rollback()
                    logger.warning("telephone: could not end %s's cut-off call: %s", who, err)
                    continue
                ended += 1
    return ended
