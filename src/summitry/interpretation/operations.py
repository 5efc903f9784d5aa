"""Interpretation in a live meeting: each request checked, enforced on the media, recorded.

Who is on air in a booth is enforced in Janus: the outgoing interpreter is muted in the
channel's AudioBridge room before the incoming one is opened, so two never speak at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.delegations.catalogue import check_language
from summitry.engagements.models import Role
from summitry.errors import Conflict, Forbidden, InvalidInput
from summitry.floor.operations import Context, context
from summitry.interpretation.booths import Booth, booth_of, booths_of
from summitry.interpretation.events import (
    ChannelChosen,
    FloorLanguageDeclared,
    FloorLevelSet,
    InterpreterLive,
    RelayTaken,
    SlowDownAsked,
)
from summitry.interpretation.models import LanguageChannel
from summitry.interpretation.routing import ChannelRouter
from summitry.interpretation.state import interpretation_of
from summitry.log.events import EventEnvelope
from summitry.media.rooms import moderator_token
from summitry.meeting import operations as live
from summitry.meeting.state import Presence
from summitry.security.principals import Principal


@dataclass(frozen=True)
class _Booth:
    ctx: Context
    booth: Booth


def _channels(ctx: Context) -> list[str]:
    return [b.language for b in booths_of(ctx.engagement)]


async def _my_booth(db: AsyncSession, principal: Principal | None, engagement_id: int) -> _Booth:
    ctx = await context(db, principal, engagement_id, whole=True)
    booth = booth_of(ctx.engagement, ctx.me.attendee.id)
    if booth is None:
        raise Forbidden("only an interpreter assigned to a booth can do this")
    if ctx.state.presence_of(ctx.me.attendee.id) is not Presence.ADMITTED:
        raise Conflict("wait until the secretariat admits you")
    return _Booth(ctx, booth)


async def choose_channel(
    db: AsyncSession, principal: Principal | None, engagement_id: int, channel: str | None
) -> list[EventEnvelope]:
    """Listen to the floor (``None``) or to a language channel; the choice is remembered."""
    ctx = await context(db, principal, engagement_id, whole=True)
    channels = _channels(ctx)
    if channel is not None and channel not in channels:
        offered = ", ".join(channels) or "none: this engagement has no interpretation"
        raise InvalidInput(
            f"there is no '{channel}' channel; choose the floor or one of: {offered}",
            field="channel",
        )
    me = ctx.me.attendee.id
    if interpretation_of(ctx.state).channels.get(me) == channel:
        return []
    return await live.append_all(
        db, engagement_id, [ChannelChosen(attendee_id=me, channel=channel)]
    )


async def go_on_air(
    db: AsyncSession,
    principal: Principal | None,
    engagement_id: int,
    on_air: bool,
    router: ChannelRouter | None,
) -> list[EventEnvelope]:
    """Take the booth's channel (from the partner, if they had it), or go off the air."""
    mine = await _my_booth(db, principal, engagement_id)
    me = mine.ctx.me.attendee.id
    language = mine.booth.language
    current = interpretation_of(mine.ctx.state).live.get(language)
    if on_air == (current == me):
        return []
    if on_air:
        await _switch(db, mine, current, me, router)
        body = InterpreterLive(booth=language, attendee_id=me, handover_from=current)
    else:
        await _switch(db, mine, me, None, router)
        body = InterpreterLive(booth=language, attendee_id=None)
    return await live.append_all(db, engagement_id, [body])


async def hand_over(
    db: AsyncSession,
    principal: Principal | None,
    engagement_id: int,
    to: int,
    router: ChannelRouter | None,
) -> list[EventEnvelope]:
    """Give the booth's channel to a partner in the same booth who is in the meeting."""
    mine = await _my_booth(db, principal, engagement_id)
    me = mine.ctx.me.attendee.id
    language = mine.booth.language
    if interpretation_of(mine.ctx.state).live.get(language) != me:
        raise Conflict("you are not on the air: only the interpreter on the air hands over")
    if to == me or all(a.id != to for a in mine.booth.interpreters):
        raise InvalidInput(
            f"hand over to a partner in the {mine.booth.english_name} booth", field="to"
        )
    if mine.ctx.state.presence_of(to) is not Presence.ADMITTED:
        raise Conflict("your partner is not in the meeting")
    await _switch(db, mine, me, to, router)
    body = InterpreterLive(booth=language, attendee_id=to, handover_from=me)
    return await live.append_all(db, engagement_id, [body])


async def _switch(
    db: AsyncSession,
    mine: _Booth,
    outgoing: int | None,
    incoming: int | None,
    router: ChannelRouter | None,
) -> None:
    if router is None:
        return
    engagement_id = mine.ctx.engagement.id
    language = mine.booth.language
    # Mute first, then open: at most one 20 ms frame of overlap, and no gap to speak of.
    if outgoing is not None:
        await router.set_on_air(db, engagement_id, language, outgoing, False)
    if incoming is not None:
        await router.set_on_air(db, engagement_id, language, incoming, True)


async def take_relay(
    db: AsyncSession, principal: Principal | None, engagement_id: int, booth: str | None
) -> list[EventEnvelope]:
    """Listen to another booth's channel instead of the floor (``None``: back to the floor)."""
    mine = await _my_booth(db, principal, engagement_id)
    others = [c for c in _channels(mine.ctx) if c != mine.booth.language]
    if booth is not None and booth not in others:
        offered = ", ".join(others) or "none"
        raise InvalidInput(
            f"take relay from another booth of this engagement: {offered}", field="booth"
        )
    me = mine.ctx.me.attendee.id
    if interpretation_of(mine.ctx.state).relays.get(me) == booth:
        return []
    return await live.append_all(db, engagement_id, [RelayTaken(attendee_id=me, booth=booth)])


async def ask_slow_down(
    db: AsyncSession, principal: Principal | None, engagement_id: int
) -> list[EventEnvelope]:
    """The booth asks the chair to have the speaker slow down."""
    mine = await _my_booth(db, principal, engagement_id)
    body = SlowDownAsked(booth=mine.booth.language, attendee_id=mine.ctx.me.attendee.id)
    return await live.append_all(db, engagement_id, [body])


async def declare_language(
    db: AsyncSession, principal: Principal | None, engagement_id: int, language: str
) -> list[EventEnvelope]:
    """The language one speaks at the floor; its listeners then hear the floor itself."""
    ctx = await context(db, principal, engagement_id, whole=True)
    code = check_language(language, field="language")
    me = ctx.me.attendee.id
    if ctx.me.attendee.role in (Role.INTERPRETER, Role.PRESS, Role.TECHNICIAN):
        raise Forbidden(
            f"a person attending as {ctx.me.attendee.role.value} does not take the floor; "
            "only speakers declare the language they speak"
        )
    if interpretation_of(ctx.state).languages.get(me) == code:
        return []
    body = FloorLanguageDeclared(attendee_id=me, language=code)
    return await live.append_all(db, engagement_id, [body])


async def set_floor_level(
    db: AsyncSession, principal: Principal | None, engagement_id: int, percent: int
) -> list[EventEnvelope]:
    """How loud the floor stays under the interpretation (the chair or the secretariat)."""
    ctx = await context(db, principal, engagement_id, whole=True)
    if not ctx.presides:
        raise Forbidden("only the chair (or the secretariat for the chair) can do this")
    if not 0 <= percent <= 100:
        raise InvalidInput("give the floor's level as a percentage from 0 to 100", field="percent")
    body = FloorLevelSet(percent=percent, by=ctx.name)
    return await live.append_all(db, engagement_id, [body])


@dataclass(frozen=True)
class ChannelRoom:
    """A language channel's AudioBridge room, as the server itself enters it to listen."""

    language: str
    room_id: int
    token: str
    """The server's own entry token (derived from the channel's secret, never given out)."""


async def channel_rooms(db: AsyncSession, engagement_id: int) -> list[ChannelRoom]:
    """The engagement's language channels in the order of their language codes, for a listener
    that Summitry itself places in them (a telephone leg)."""
    rows = await db.scalars(
        select(LanguageChannel)
        .where(LanguageChannel.engagement_id == engagement_id)
        .order_by(LanguageChannel.language)
    )
    return [ChannelRoom(r.language, r.janus_room_id, moderator_token(r.secret)) for r in rows]
