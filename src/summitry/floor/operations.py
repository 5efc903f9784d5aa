"""Running the floor: each request is checked against the rules, then recorded, then enforced.

The rules are those of ``speakers`` and ``timing``, applied to the state folded from the log;
enforcement is the media server's mute: while an agenda item is open, only the person with
the floor and the chair have an open microphone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from summitry.db import utcnow
from summitry.engagements.attendance import attendee_in, in_role
from summitry.engagements.models import Engagement, Role
from summitry.engagements.operations import get_engagement
from summitry.errors import Forbidden, InvalidInput, NotFound
from summitry.floor.events import (
    FloorGiven,
    FloorReleased,
    FloorRequested,
    FloorRequestSkipped,
    FloorRequestWithdrawn,
    ItemClosed,
    ItemOpened,
    RollCallAnswered,
    RollCallClosed,
    RollCallOpened,
    SpeakersListClosed,
    SpeakersReordered,
    TimeExtended,
)
from summitry.floor.inscriptions import (
    SPEAKING_ROLES,
    inscribe_everyone,
    refuse_double,
    speaking_for,
)
from summitry.floor.speakers import FloorRuleError, Request, RequestKind
from summitry.floor.state import floor_of
from summitry.floor.timing import Phase, SpeakingTime, phase
from summitry.log.events import Event, EventEnvelope
from summitry.meeting import operations as live
from summitry.meeting.events import MicrophoneSet
from summitry.meeting.grants import mute_on_media
from summitry.meeting.media_port import MeetingMedia
from summitry.meeting.state import MeetingState, Presence
from summitry.security.principals import Principal

MAX_EXTENSION_S = 600


@dataclass(frozen=True)
class Context:
    """Who acts, on which engagement, and the meeting as the log leaves it."""

    me: live.Participant
    engagement: Engagement
    """Loaded whole only where ``context`` was asked for it: otherwise its row alone."""
    state: MeetingState
    chairs: frozenset[int]
    """The attendees who chair: never muted by the floor."""

    @property
    def presides(self) -> bool:
        """The chair, or the secretariat running the floor for the chair."""
        return self.me.is_secretariat or self.me.attendee.role is Role.CHAIR

    @property
    def name(self) -> str:
        return self.me.attendee.person.display_name


async def context(
    db: AsyncSession, principal: Principal | None, engagement_id: int, *, whole: bool = False
) -> Context:
    """Who acts and the meeting as it stands; ``whole``: with the engagement's attendees,
    agenda and delegations loaded, which what the floor does all the time must not pay for."""
    if whole:
        me = await live.participant_of(db, principal, engagement_id)
        chairs = frozenset(a.id for a in me.engagement.attendees if a.role is Role.CHAIR)
    else:
        me = await live.acting_as(db, principal, engagement_id)
        chairs = await in_role(db, engagement_id, Role.CHAIR)
    return Context(me, me.engagement, await live.meeting_state(db, engagement_id), chairs)


def _presiding(ctx: Context) -> str:
    if not ctx.presides:
        raise Forbidden("only the chair (or the secretariat for the chair) can do this")
    return ctx.name


def _check(ctx: Context, body: Event) -> None:
    """Apply the event to a copy of the state: the rules raise here, before anything is written."""
    trial = floor_of(ctx.state).copy()
    trial.take(body, utcnow())


async def _record(
    db: AsyncSession, ctx: Context, bodies: list[Event], media: MeetingMedia | None
) -> list[EventEnvelope]:
    trial = floor_of(ctx.state).copy()
    for body in bodies:
        trial.take(body, utcnow())
    state = ctx.state.with_part(trial)
    bodies = bodies + await _enforce(db, ctx, state, media)
    return await live.append_all(db, ctx.engagement.id, bodies)


async def _enforce(
    db: AsyncSession, ctx: Context, state: MeetingState, media: MeetingMedia | None
) -> list[Event]:
    """Mute everyone who may not speak now, open the speaker's microphone; the events of it."""
    floor = floor_of(state)
    if floor.speakers.item is None:
        return []
    speaker = floor.turn.request.speaker_attendee_id if floor.turn else None
    chairs = ctx.chairs
    microphones: dict[int, bool] = {}
    for attendee_id, person in state.participants.items():
        if person.presence is not Presence.ADMITTED:
            continue
        if attendee_id == speaker and person.muted:
            microphones[attendee_id] = False
        elif attendee_id != speaker and attendee_id not in chairs and not person.muted:
            microphones[attendee_id] = True
    await mute_on_media(db, ctx.engagement.id, microphones, media)
    return [
        MicrophoneSet(attendee_id=attendee_id, muted=muted, by="floor")
        for attendee_id, muted in microphones.items()
    ]


def may_open_microphone(state: MeetingState, attendee_id: int, role: Role) -> bool:
    """While an item is open only the speaker and the chair may open their microphone."""
    if floor_of(state).speakers.item is None or role is Role.CHAIR:
        return True
    turn = floor_of(state).turn
    return turn is not None and turn.request.speaker_attendee_id == attendee_id


async def open_item(
    db: AsyncSession,
    principal: Principal | None,
    engagement_id: int,
    position: int,
    media: MeetingMedia | None,
    *,
    inscribe_all: bool = False,
) -> list[EventEnvelope]:
    """Open an agenda item; optionally inscribe every delegation in order of precedence."""
    ctx = await context(db, principal, engagement_id, whole=True)
    by = _presiding(ctx)
    item = next((i for i in ctx.engagement.agenda if i.position == position), None)
    if item is None:
        raise NotFound(f"the agenda has no item {position + 1}")
    bodies: list[Event] = [
        ItemOpened(
            item=position,
            title=item.title,
            limit_s=item.speaking_time_s,
            by=by,
        )
    ]
    if inscribe_all:
        floor = floor_of(ctx.state)
        bodies += inscribe_everyone(ctx.engagement, floor.speakers, floor.requests)
    return await _record(db, ctx, bodies, media)


async def close_item(
    db: AsyncSession, principal: Principal | None, engagement_id: int, media: MeetingMedia | None
) -> list[EventEnvelope]:
    ctx = await context(db, principal, engagement_id)
    by = _presiding(ctx)
    speakers = floor_of(ctx.state).speakers
    if speakers.item is None:
        raise FloorRuleError("no agenda item is open")
    bodies: list[Event] = []
    if speakers.current is not None:
        bodies.append(FloorReleased(reason="done", by=by))
    bodies.append(ItemClosed(dropped=list(speakers.pending_ids), by=by))
    return await live.append_all(db, engagement_id, bodies)


async def request_floor(
    db: AsyncSession,
    principal: Principal | None,
    engagement_id: int,
    kind: RequestKind,
    on_behalf_of: str | None,
    speaker: int | None = None,
) -> list[EventEnvelope]:
    """Inscribe: oneself, or (the chair) someone of a delegation."""
    ctx = await context(db, principal, engagement_id)
    target = speaker if speaker is not None else ctx.me.attendee.id
    if target != ctx.me.attendee.id:
        _presiding(ctx)
    attendee = await attendee_in(db, engagement_id, attendee_id=target)
    if attendee is None:
        raise NotFound(f"no attendee {target} in this engagement")
    if attendee.role not in SPEAKING_ROLES:
        raise Forbidden(
            f"a person attending as {attendee.role.value.replace('_', ' ')} does not take the floor"
        )
    if ctx.state.presence_of(target) is not Presence.ADMITTED:
        raise Forbidden("only a person in the room can ask for the floor")
    group = on_behalf_of.strip() if on_behalf_of else None
    refuse_double(floor_of(ctx.state).speakers, attendee, kind, group)
    body = FloorRequested(
        request_id=floor_of(ctx.state).requests + 1,
        attendee_id=target,
        delegation=speaking_for(attendee),
        request_kind=kind,
        on_behalf_of=group,
    )
    _check(ctx, body)
    return await live.append_all(db, engagement_id, [body])


def _pending(ctx: Context, request_id: int) -> Request:
    return floor_of(ctx.state).speakers.pending(request_id)


async def withdraw(
    db: AsyncSession, principal: Principal | None, engagement_id: int, request_id: int
) -> list[EventEnvelope]:
    ctx = await context(db, principal, engagement_id)
    request = _pending(ctx, request_id)
    if request.speaker_attendee_id != ctx.me.attendee.id:
        _presiding(ctx)
    return await live.append_all(db, engagement_id, [FloorRequestWithdrawn(request_id=request_id)])


async def skip(
    db: AsyncSession, principal: Principal | None, engagement_id: int, request_id: int
) -> list[EventEnvelope]:
    ctx = await context(db, principal, engagement_id)
    body = FloorRequestSkipped(request_id=request_id, by=_presiding(ctx))
    _check(ctx, body)
    return await live.append_all(db, engagement_id, [body])


async def reorder(
    db: AsyncSession, principal: Principal | None, engagement_id: int, request_ids: list[int]
) -> list[EventEnvelope]:
    ctx = await context(db, principal, engagement_id)
    body = SpeakersReordered(request_ids=request_ids, by=_presiding(ctx))
    _check(ctx, body)
    return await live.append_all(db, engagement_id, [body])


async def give_floor(
    db: AsyncSession,
    principal: Principal | None,
    engagement_id: int,
    request_id: int | None,
    media: MeetingMedia | None,
) -> list[EventEnvelope]:
    """Give the floor to the next request (or the one named); the speaker's mic opens."""
    ctx = await context(db, principal, engagement_id)
    by = _presiding(ctx)
    speakers = floor_of(ctx.state).speakers
    if speakers.item is None:
        raise FloorRuleError("open an agenda item before giving the floor")
    chosen = speakers.give_floor(request_id).current
    assert chosen is not None  # noqa: S101 - give_floor sets it or raises
    if ctx.state.presence_of(chosen.speaker_attendee_id) is not Presence.ADMITTED:
        raise FloorRuleError(f"the speaker of {chosen.describe()} is not in the room")
    bodies: list[Event] = []
    if speakers.current is not None:
        bodies.append(FloorReleased(reason="done", by=by))
    bodies.append(
        FloorGiven(
            request_id=chosen.id,
            attendee_id=chosen.speaker_attendee_id,
            delegation=chosen.delegation,
            by=by,
        )
    )
    return await _record(db, ctx, bodies, media)


async def release(
    db: AsyncSession,
    principal: Principal | None,
    engagement_id: int,
    cut: bool,
    media: MeetingMedia | None,
) -> list[EventEnvelope]:
    """End the turn: the speaker yields (done), or the chair cuts it."""
    ctx = await context(db, principal, engagement_id)
    turn = floor_of(ctx.state).turn
    if turn is None:
        raise FloorRuleError("no one has the floor")
    own = turn.request.speaker_attendee_id == ctx.me.attendee.id
    by = ctx.name if own and not cut else _presiding(ctx)
    return await _record(db, ctx, [FloorReleased(reason="cut" if cut else "done", by=by)], media)


async def extend(
    db: AsyncSession, principal: Principal | None, engagement_id: int, seconds: int
) -> list[EventEnvelope]:
    ctx = await context(db, principal, engagement_id)
    by = _presiding(ctx)
    turn = floor_of(ctx.state).turn
    if turn is None:
        raise FloorRuleError("no one has the floor")
    if turn.limit_s is None:
        raise FloorRuleError("this item has no time limit to extend")
    if not 1 <= seconds <= MAX_EXTENSION_S:
        raise InvalidInput(f"extend by 1 to {MAX_EXTENSION_S} seconds", field="seconds")
    return await live.append_all(db, engagement_id, [TimeExtended(seconds=seconds, by=by)])


async def close_list(
    db: AsyncSession, principal: Principal | None, engagement_id: int, closed: bool
) -> list[EventEnvelope]:
    ctx = await context(db, principal, engagement_id)
    body = SpeakersListClosed(closed=closed, by=_presiding(ctx))
    _check(ctx, body)
    return await live.append_all(db, engagement_id, [body])


async def expire(
    db: AsyncSession, engagement_id: int, media: MeetingMedia | None, now: dt.datetime
) -> list[EventEnvelope]:
    """The clock's automatic mute, when a turn's time and grace are over (else nothing)."""
    engagement = await get_engagement(db, engagement_id)
    state = await live.meeting_state(db, engagement_id)
    turn = floor_of(state).turn
    if turn is None or turn.limit_s is None:
        return []
    if phase(turn.started_at, now, SpeakingTime(turn.limit_s), turn.extensions) is not (
        Phase.EXPIRED
    ):
        return []
    chairs = frozenset(a.id for a in engagement.attendees if a.role is Role.CHAIR)
    me = live.Participant(engagement.attendees[0], True, engagement)
    ctx = Context(me, engagement, state, chairs)
    return await _record(db, ctx, [FloorReleased(reason="expired", by="speaking time")], media)


async def open_roll_call(
    db: AsyncSession, principal: Principal | None, engagement_id: int
) -> list[EventEnvelope]:
    ctx = await context(db, principal, engagement_id, whole=True)
    by = _presiding(ctx)
    order = [p.delegation.code for p in ctx.engagement.delegations]
    return await live.append_all(db, engagement_id, [RollCallOpened(order=order, by=by)])


async def answer_roll_call(
    db: AsyncSession,
    principal: Principal | None,
    engagement_id: int,
    delegation: str | None,
    present: bool,
) -> list[EventEnvelope]:
    """A delegation answers "present" (or the chair records an answer for it)."""
    ctx = await context(db, principal, engagement_id)
    called = floor_of(ctx.state).roll_call
    if called is None:
        raise FloorRuleError("no roll call is open")
    own = ctx.me.attendee.person.delegation.code
    code = (delegation or own).strip().upper()
    if code != own:
        _presiding(ctx)
    if code not in called:
        raise InvalidInput(f"{code} is not called in this roll call", field="delegation")
    return await live.append_all(
        db, engagement_id, [RollCallAnswered(delegation=code, present=present, by=ctx.name)]
    )


async def close_roll_call(
    db: AsyncSession, principal: Principal | None, engagement_id: int
) -> list[EventEnvelope]:
    ctx = await context(db, principal, engagement_id)
    by = _presiding(ctx)
    if floor_of(ctx.state).roll_call is None:
        raise FloorRuleError("no roll call is open")
    return await live.append_all(db, engagement_id, [RollCallClosed(by=by)])
