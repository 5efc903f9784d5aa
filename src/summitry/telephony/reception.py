"""The spoken dialogue before the room: the welcome and the PIN, then the lobby until the
secretariat admits the caller. Every wait of a call is the same race, ``unless_hung_up``:
this, unless the caller hangs up first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

from summitry.errors import SummitryError
from summitry.log.events import EventEnvelope
from summitry.meeting import operations as live
from summitry.meeting.events import Admitted, Left, Removed, TurnedAway
from summitry.meeting.state import Presence
from summitry.security.principals import Secretary
from summitry.telephony import operations, pins
from summitry.telephony.call import Call, CallEnded, Stage
from summitry.telephony.prompts import Prompts
from summitry.telephony.ratelimit import Lockouts
from summitry.telephony.services import Services

logger = logging.getLogger(__name__)

PIN_SECONDS = 30.0
"""How long a caller has to key each PIN."""
LOBBY_SECONDS = 15 * 60.0
"""How long a caller may wait in the lobby before the call ends."""

T = TypeVar("T")
Events = asyncio.Queue[EventEnvelope]


async def unless_hung_up(call: Call, waiting: Coroutine[Any, Any, T], within: float) -> T | None:
    """What ``waiting`` gives within ``within`` seconds, else ``None``; ``CallEnded`` if the
    call ends first."""
    if within <= 0:
        waiting.close()
        return None
    result = asyncio.ensure_future(waiting)
    ended = asyncio.ensure_future(call.ended.wait())
    try:
        done, _ = await asyncio.wait(
            {result, ended}, timeout=within, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for future in (result, ended):
            future.cancel()
    if ended in done or call.ended.is_set():
        raise CallEnded
    return result.result() if result in done else None


async def next_digit(call: Call, within: float) -> str | None:
    """The next key the caller presses within ``within`` seconds, else ``None``."""
    return await unless_hung_up(call, call.digits.get(), within)


async def say_goodbye(call: Call, prompts: Prompts, reason: str) -> NoReturn:
    """Say goodbye, hang up and end the call for ``reason``."""
    call.end_reason = reason
    await call.relay.play(prompts["goodbye"])
    call.dialog.hang_up()
    call.on_ended(reason)  # wakes whatever else of the call is waiting
    raise CallEnded


class Reception:
    """The PIN and the lobby, for every call."""

    def __init__(self, services: Services, lockouts: Lockouts) -> None:
        self.services = services
        self.lockouts = lockouts
        self.pin_seconds = PIN_SECONDS

    async def ask_pin(self, call: Call) -> None:
        """The welcome, then PINs until one is an attendee's; after too many, goodbye."""
        assert call.engagement_id is not None  # noqa: S101 - set before
        prompts = self.services.prompts
        await self.services.reach(call, Stage.PIN)
        call.relay.play(prompts["welcome"])
        for tries in range(1, pins.MAX_TRIES + 1):
            pin = await self._read_pin(call)
            if pin:
                async with self.services.db() as db:
                    found = await operations.attendee_for_pin(db, call.engagement_id, pin)
                if found is not None:
                    call.attendee_id = found
                    call.mark("pin_ok")
                    return
            if tries < pins.MAX_TRIES:
                call.relay.play(prompts["wrong_pin"])
        logger.warning(
            "call %s from %s (%s): %s wrong PINs for engagement %s; ended",
            call.id,
            call.source,
            call.caller,
            pins.MAX_TRIES,
            call.engagement_id,
        )
        self.lockouts.failed(call.source)
        async with self.services.db() as db:
            await operations.record_refusal(db, call.engagement_id, pins.MAX_TRIES)
        await say_goodbye(call, prompts, "wrong PIN")

    async def _read_pin(self, call: Call) -> str:
        """Digits up to ``#`` (or the longest PIN); empty after the time is up."""
        keyed = ""
        deadline = time.monotonic() + self.pin_seconds
        while True:
            digit = await next_digit(call, deadline - time.monotonic())
            if digit is None:
                return keyed if len(keyed) >= pins.MIN_DIGITS else ""
            call.relay.stop_prompt()  # the caller knows what to do: stop talking over them
            if digit == "#":
                return keyed
            if digit.isdigit():
                keyed += digit
            if len(keyed) > pins.MAX_DIGITS:
                return ""

    async def enter(self, call: Call, events: Events, admitted_by: Secretary | None) -> None:
        """Enter as the attendee (the lobby, like a browser) and wait there to be admitted;
        a call out is admitted at once by the secretary who placed it."""
        engagement_id, attendee_id = call.seat()
        media = self.services.media
        async with self.services.db() as db:
            call.principal = await operations.principal_of_caller(db, engagement_id, attendee_id)
            await live.enter(db, call.principal, engagement_id, media, "telephone")
            if admitted_by is not None:
                with contextlib.suppress(SummitryError):
                    await live.admit(db, admitted_by, engagement_id, attendee_id, media)
            state = await live.meeting_state(db, engagement_id)
        presence = state.presence_of(attendee_id)
        if presence is Presence.REMOVED or presence is Presence.TURNED_AWAY:
            await say_goodbye(call, self.services.prompts, "not admitted")
        if presence is not Presence.ADMITTED:
            await self.services.reach(call, Stage.LOBBY)
            call.mark("lobby")
            call.relay.play(self.services.prompts["lobby"], repeat=True)
            await self._wait_admission(call, events)

    async def _wait_admission(self, call: Call, events: Events) -> None:
        deadline = time.monotonic() + LOBBY_SECONDS
        while True:
            envelope = await unless_hung_up(call, events.get(), deadline - time.monotonic())
            if envelope is None:
                await say_goodbye(call, self.services.prompts, "not admitted in time")
            event = envelope.event
            if getattr(event, "attendee_id", None) != call.attendee_id:
                continue
            if isinstance(event, Admitted):
                return
            if isinstance(event, TurnedAway | Removed | Left):
                await say_goodbye(call, self.services.prompts, f"{event.kind}")
