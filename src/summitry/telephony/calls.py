"""One telephone call, from the first ring to the hang-up, and the gateway that holds them.

A call in: the number dialled names the engagement (else 404). The caller hears the welcome
prompt and keys a PIN (RFC 4733 or SIP INFO) ended by ``#``; three wrong PINs, or none in
time, end the call and are recorded. With the right PIN the caller *enters the meeting as that
attendee* through ``live.operations.enter`` (the lobby, like a browser) and waits to be
admitted; once admitted, the leg joins the media. A call out is placed by the secretariat; when
the callee answers, they enter and are admitted by the secretary who placed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Coroutine
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.errors import InvalidInput, MediaUnavailable, NotFound, SummitryError
from summitry.floor import operations as floor_operations
from summitry.floor.speakers import RequestKind
from summitry.interpretation.models import LanguageChannel
from summitry.log.events import EventEnvelope
from summitry.log.hub import HUB, LiveHub
from summitry.media.meetings import JanusMeetingMedia
from summitry.media.rooms import media_room_for, moderator_token
from summitry.meeting import operations as live
from summitry.meeting.events import Admitted, Left, Removed, TurnedAway
from summitry.meeting.state import Presence
from summitry.security.principals import Secretary
from summitry.telephony import operations, pins, sdp
from summitry.telephony.addresses import Target
from summitry.telephony.call import Call, CallEnded, Stage
from summitry.telephony.leg import LegError, RoomAccess, TelephoneLeg
from summitry.telephony.negotiation import Negotiation
from summitry.telephony.prompts import Prompts
from summitry.telephony.ratelimit import CallSlots, Lockouts, TokenBuckets
from summitry.telephony.relay import Relay
from summitry.telephony.sessiontimer import MIN_SE
from summitry.telephony.sip import Dialog, Invite, SipEndpoint

logger = logging.getLogger(__name__)

PIN_SECONDS = 30.0
"""How long a caller has to key each PIN."""
LOBBY_SECONDS = 15 * 60.0
"""How long a caller may wait in the lobby before the call ends."""
ANSWER_SECONDS = 45.0
"""How long a call out may ring."""
REJOIN_SECONDS = 60.0
"""How long a call waits for the media server to come back before it ends."""
_ids = itertools.count(1)


class TelephoneGateway:
    """The SIP listener and every call in progress."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        media_host: str,
        sessionmaker: async_sessionmaker[AsyncSession],
        hub: LiveHub,
        media: JanusMeetingMedia,
        prompts: Prompts,
        max_calls: int = 20,
        calls_per_source: int = 4,
        invites_per_second: float = 2.0,
        invite_burst: int = 5,
        min_session_expires: int = MIN_SE,
    ) -> None:
        self.media_host = media_host
        self.sessionmaker = sessionmaker
        self.hub = hub
        self.media = media
        self.prompts = prompts
        self.pin_seconds = PIN_SECONDS
        self.calls: dict[int, Call] = {}
        self.finished: list[Call] = []
        """The last calls that ended (newest last), for the secretariat and for tests."""
        self.refused_invites = 0
        """INVITEs refused by the limits (counted in sippy's thread: a statistic, not exact)."""
        self.buckets = TokenBuckets(invites_per_second, invite_burst)
        self.slots = CallSlots(max_calls, calls_per_source)
        self.lockouts = Lockouts()
        self.endpoint = SipEndpoint(
            host, port, self._on_invite, self._screen, min_session_expires=min_session_expires
        )
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        ended = await operations.end_calls_cut_off(self.sessionmaker, self.hub, self.media)
        if ended:
            logger.warning("telephone: %s call(s) ended with the previous run; recorded", ended)
        await self.prompts.prepare()
        await self.endpoint.start()
        logger.info("telephone: SIP on %s:%s", self.endpoint.host, self.endpoint.port)

    async def stop(self) -> None:
        for call in list(self.calls.values()):
            call.dialog.hang_up()
            call.on_ended("shutdown")
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.endpoint.stop()

    # --- admission of calls, in sippy's thread ------------------------------------------------
    def _screen(self, source: str) -> int | None:
        """Rate and concurrency limits, checked before anything is allocated for a call."""
        if self.lockouts.locked(source):
            self.refused_invites += 1
            return 403
        if not self.buckets.allow(source):
            self.refused_invites += 1
            return 503
        if not self.slots.take(source):
            self.refused_invites += 1
            return 486 if self.slots.in_use < self.slots.total else 503
        return None

    def _db(self) -> AsyncSession:
        db = self.sessionmaker()
        db.info[HUB] = self.hub  # events the gateway writes reach live pages on commit
        return db

    def _run(self, call: Call, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run one call to its end; whatever happens, ``_finish`` cleans up after it."""

        async def run() -> None:
            try:
                await coroutine
            except CallEnded:
                pass
            except Exception:
                logger.exception("call %s failed", call.id)
            finally:
                await self._finish(call)

        task = asyncio.create_task(run(), name=f"telephone call {call.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- calls in -------------------------------------------------------------------------
    def _on_invite(self, invite: Invite, dialog: Dialog) -> None:
        relay = Relay(self.media_host, invite.source[0], lambda d: None, lambda v: None)
        call = Call(
            id=next(_ids),
            direction="in",
            source=invite.source[0],
            caller=invite.caller,
            dialog=dialog,
            relay=relay,
        )
        self._wire(call)
        self.calls[call.id] = call
        self._run(call, self._incoming(call, invite))

    def _wire(self, call: Call) -> None:
        call.dialog.listener = call
        call.relay.on_digit = call.digits.put_nowait

        def voice(payload: bytes) -> None:
            if call.leg is not None:
                call.leg.voice.push(payload)

        call.relay.on_voice = voice

    async def _incoming(self, call: Call, invite: Invite) -> None:
        try:
            offer = sdp.parse(invite.sdp or "")
        except sdp.SdpError:
            offer = None
        if offer is None or offer.codec() is None:
            call.end_reason = "no G.711 offered"
            call.dialog.refuse(488, "Not Acceptable Here")
            raise CallEnded
        async with self._db() as db:
            engagement_id = await operations.engagement_of_number(db, invite.called)
        if engagement_id is None:
            # Unknown numbers learn nothing, and never reach a room.
            call.end_reason = "unknown number"
            call.dialog.refuse(404, "Not Found")
            raise CallEnded
        call.engagement_id = engagement_id
        await call.relay.open()
        negotiation = Negotiation(self.media_host, call.relay.phone_port, call.relay.rtcp_port)
        answer, media = negotiation.answer(invite.sdp or "")
        call.on_media(media)
        call.dialog.answer(answer, negotiation)
        call.mark("answered")
        await self._ask_pin(call)
        await self._into_meeting(call)

    async def _ask_pin(self, call: Call) -> None:
        assert call.engagement_id is not None  # noqa: S101 - set before
        call.set_stage(Stage.PIN)
        call.relay.play(self.prompts["welcome"])
        for tries in range(1, pins.MAX_TRIES + 1):
            pin = await self._read_pin(call)
            if pin:
                async with self._db() as db:
                    found = await operations.attendee_for_pin(db, call.engagement_id, pin)
                if found is not None:
                    call.attendee_id = found
                    call.mark("pin_ok")
                    return
            if tries < pins.MAX_TRIES:
                call.relay.play(self.prompts["wrong_pin"])
        logger.warning(
            "call %s from %s (%s): %s wrong PINs for engagement %s; ended",
            call.id,
            call.source,
            call.caller,
            pins.MAX_TRIES,
            call.engagement_id,
        )
        self.lockouts.failed(call.source)
        async with self._db() as db:
            await operations.record_refusal(db, call.engagement_id, pins.MAX_TRIES)
        await self._say_goodbye(call, "wrong PIN")

    async def _read_pin(self, call: Call) -> str:
        """Digits up to ``#`` (or the longest PIN); empty after the time is up."""
        keyed = ""
        deadline = time.monotonic() + self.pin_seconds
        while True:
            digit = await self._next_digit(call, deadline - time.monotonic())
            if digit is None:
                return keyed if len(keyed) >= pins.MIN_DIGITS else ""
            call.relay.stop_prompt()  # the caller knows what to do: stop talking over them
            if digit == "#":
                return keyed
            if digit.isdigit():
                keyed += digit
            if len(keyed) > pins.MAX_DIGITS:
                return ""

    async def _next_digit(self, call: Call, within: float) -> str | None:
        if within <= 0:
            return None
        digit = asyncio.ensure_future(call.digits.get())
        ended = asyncio.ensure_future(call.ended.wait())
        try:
            done, _ = await asyncio.wait(
                {digit, ended}, timeout=within, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for future in (digit, ended):
                future.cancel()
        if ended in done or call.ended.is_set():
            raise CallEnded
        return digit.result() if digit in done else None

    async def _say_goodbye(self, call: Call, reason: str) -> None:
        call.end_reason = reason
        await call.relay.play(self.prompts["goodbye"])
        call.dialog.hang_up()
        call.on_ended(reason)  # wakes whatever else of the call is waiting
        raise CallEnded

    # --- in the meeting -------------------------------------------------------------------
    async def _into_meeting(self, call: Call, admitted_by: Secretary | None = None) -> None:
        """Enter as the attendee (the lobby), wait for admission, join the media, keypad."""
        engagement_id, attendee_id = call.seat()
        queue = self.hub.subscribe(engagement_id)
        try:
            async with self._db() as db:
                call.principal = await operations.principal_of_caller(
                    db, engagement_id, attendee_id
                )
                await live.enter(db, call.principal, engagement_id, self.media, "telephone")
                if admitted_by is not None:
                    with contextlib.suppress(SummitryError):
                        await live.admit(db, admitted_by, engagement_id, attendee_id, self.media)
                state = await live.meeting_state(db, engagement_id)
            presence = state.presence_of(attendee_id)
            if presence is Presence.REMOVED or presence is Presence.TURNED_AWAY:
                await self._say_goodbye(call, "not admitted")
            if presence is not Presence.ADMITTED:
                call.set_stage(Stage.LOBBY)
                call.mark("lobby")
                call.relay.play(self.prompts["lobby"], repeat=True)
                await self._wait_admission(call, queue)
            await self._join_media(call)
            while not call.digits.empty():  # keys pressed while waiting are not commands
                call.digits.get_nowait()
            await self._in_room(call, queue)
        finally:
            self.hub.unsubscribe(engagement_id, queue)

    async def _wait_admission(self, call: Call, queue: asyncio.Queue[EventEnvelope | None]) -> None:
        deadline = time.monotonic() + LOBBY_SECONDS
        while True:
            envelope = await self._next_event(call, queue, deadline - time.monotonic())
            if envelope is None:
                await self._say_goodbye(call, "not admitted in time")
                return
            event = envelope.event
            if getattr(event, "attendee_id", None) != call.attendee_id:
                continue
            if isinstance(event, Admitted):
                return
            if isinstance(event, TurnedAway | Removed | Left):
                await self._say_goodbye(call, f"{event.kind}")

    async def _next_event(
        self, call: Call, queue: asyncio.Queue[EventEnvelope | None], within: float
    ) -> EventEnvelope | None:
        if within <= 0:
            return None
        event = asyncio.ensure_future(queue.get())
        ended = asyncio.ensure_future(call.ended.wait())
        try:
            done, _ = await asyncio.wait(
                {event, ended}, timeout=within, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for future in (event, ended):
                future.cancel()
        if ended in done or call.ended.is_set():
            raise CallEnded
        if event not in done:
            return None
        return event.result()

    async def _join_media(self, call: Call) -> None:
        try:
            await self._connect_leg(call)
        except (LegError, MediaUnavailable) as err:
            logger.error("call %s: %s", call.id, err)
            await self._say_goodbye(call, "media unavailable")
        call.relay.stop_prompt()
        call.relay.in_room = True
        call.set_stage(Stage.ROOM)
        call.mark("room")

    async def _connect_leg(self, call: Call) -> None:
        """Enter the media as the attendee (again, after Janus came back)."""
        engagement_id, _ = call.seat()
        principal = call.acting()
        async with self._db() as db:
            access = await live.media_access(db, principal, engagement_id, self.media)
            room = await media_room_for(db, engagement_id)
            await db.commit()
        rooms = self.media.rooms
        leg = TelephoneLeg(
            RoomAccess(
                janus_url=rooms.url,
                admin_key=rooms.admin_key,
                room_id=access.room_id,
                secret=room.secret,
                token=access.token,
                feed_id=access.feed_id,
                display=f"☎ {principal.name}",
            ),
            call.relay.bridge_port,
        )
        call.relay.bridge = await leg.start()
        call.leg = leg
        call.relay.latch_bridge()
        async with self._db() as db:
            # Janus starts a new publisher unmuted: apply the mute the log says is in force.
            await live.published(db, principal, engagement_id, self.media)

    async def _keep_media(self, call: Call) -> None:
        """If Janus goes away, join again once the supervisor has rebuilt the room, as pages
        do; a caller is not left in a silent call."""
        while True:
            leg = call.leg
            if leg is None:
                return
            await leg.wait_lost()
            if call.ended.is_set():
                return
            logger.warning("call %s: lost the media server; joining again", call.id)
            call.relay.in_room = False
            call.leg = None
            await leg.close()
            deadline = time.monotonic() + REJOIN_SECONDS
            while call.leg is None:
                if time.monotonic() > deadline:
                    await self._say_goodbye(call, "media lost")
                await asyncio.sleep(1.0)
                try:
                    await self._connect_leg(call)
                except (LegError, MediaUnavailable) as err:
                    logger.info("call %s: not back in the media yet: %s", call.id, err)
            call.relay.in_room = True
            call.mark("rejoined")

    async def _in_room(self, call: Call, queue: asyncio.Queue[EventEnvelope | None]) -> None:
        """The keypad, and the meeting's events that end the call (removed, left elsewhere)."""
        watcher = asyncio.create_task(self._watch_removal(call, queue))
        keeper = asyncio.create_task(self._keep_media(call))
        try:
            while True:
                digit = await self._next_digit(call, 3600.0)
                if digit == "*":
                    command = await self._next_digit(call, 5.0)
                    if command is not None:
                        await self._keypad(call, command)
        finally:
            for task in (watcher, keeper):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, CallEnded):
                    await task

    async def _watch_removal(self, call: Call, queue: asyncio.Queue[EventEnvelope | None]) -> None:
        while True:
            envelope = await self._next_event(call, queue, 3600.0)
            if envelope is None:
                continue
            event = envelope.event
            if getattr(event, "attendee_id", None) == call.attendee_id and isinstance(
                event, Removed | Left
            ):
                call.end_reason = event.kind
                call.dialog.hang_up()
                call.on_ended(event.kind)
                return

    async def _keypad(self, call: Call, command: str) -> None:
        """``*1`` asks for the floor, ``*6`` opens or mutes the microphone, ``*2`` + digit
        chooses what to hear: ``0`` the floor, ``1``–``9`` a language channel."""
        engagement_id, attendee_id = call.seat()
        principal = call.acting()
        prompt = "refused"
        try:
            async with self._db() as db:
                if command == "1":
                    await floor_operations.request_floor(
                        db, principal, engagement_id, RequestKind.STATEMENT, None
                    )
                    prompt = "floor_requested"
                elif command == "6":
                    state = await live.meeting_state(db, engagement_id)
                    person = state.participants.get(attendee_id)
                    muted = not (person.muted if person else True)
                    await live.set_microphone(db, principal, engagement_id, None, muted, self.media)
                    prompt = "microphone_closed" if muted else "microphone_open"
                elif command == "2":
                    choice = await self._next_digit(call, 5.0)
                    prompt = await self._choose_channel(db, call, engagement_id, choice)
        except SummitryError as err:
            logger.info("call %s: keypad *%s refused: %s", call.id, command, err)
        call.keyed.append(f"*{command} {prompt}")
        call.changed.set()
        # Spoken over the room's sound, briefly: the room comes back after it.
        call.relay.in_room = False
        await call.relay.play(self.prompts[prompt])
        call.relay.in_room = True

    async def _choose_channel(
        self, db: AsyncSession, call: Call, engagement_id: int, choice: str | None
    ) -> str:
        """``*2`` then ``0`` is the floor; ``1``–``9`` the engagement's language channels in the
        order of their language codes. The prompt to say."""
        leg = call.leg
        if leg is None or choice is None or not choice.isdigit():
            return "refused"
        try:
            if choice == "0":
                call.relay.bridge = await leg.hear_floor()
                call.relay.latch_bridge()
                return "floor_chosen"
            channels = list(
                await db.scalars(
                    select(LanguageChannel)
                    .where(LanguageChannel.engagement_id == engagement_id)
                    .order_by(LanguageChannel.language)
                )
            )
            index = int(choice) - 1
            if index >= len(channels):
                return "no_channels"
            chosen = channels[index]
            call.relay.bridge = await leg.hear_channel(
                chosen.janus_room_id, moderator_token(chosen.secret)
            )
        except LegError as err:
            logger.info("call %s: %s", call.id, err)
            return "no_channels"
        call.relay.latch_bridge()
        return "channel_chosen"

    # --- calls out ------------------------------------------------------------------------
    async def dial_out(
        self, secretary: Secretary, engagement_id: int, attendee_id: int, uri: str
    ) -> Call:
        """Call a person's telephone from the meeting; they are admitted when they answer."""
        target = Target.parse(uri)
        async with self._db() as db:
            await operations.principal_of_caller(db, engagement_id, attendee_id)
            state = await live.meeting_state(db, engagement_id)
        if state.presence_of(attendee_id) in (Presence.ADMITTED, Presence.LOBBY):
            raise InvalidInput("this person is already in the meeting", field="attendee_id")
        if not self.slots.take("dial-out"):
            raise MediaUnavailable("too many telephone calls at once; try again shortly")
        relay = Relay(self.media_host, target.host, lambda d: None, lambda v: None)
        await relay.open()
        negotiation = Negotiation(self.media_host, relay.phone_port, relay.rtcp_port)
        dialog = self.endpoint.dial(target.host, target.port, target.user, "summitry", negotiation)
        call = Call(
            id=next(_ids),
            direction="out",
            source="dial-out",
            caller=target.user,
            dialog=dialog,
            relay=relay,
            engagement_id=engagement_id,
            attendee_id=attendee_id,
        )
        self._wire(call)
        self.calls[call.id] = call
        self._run(call, self._outgoing(call, secretary))
        return call

    async def _outgoing(self, call: Call, secretary: Secretary) -> None:
        answered = asyncio.ensure_future(call.answered.wait())
        ended = asyncio.ensure_future(call.ended.wait())
        try:
            await asyncio.wait(
                {answered, ended}, timeout=ANSWER_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            answered.cancel()
            ended.cancel()
        if not call.answered.is_set():
            call.end_reason = call.end_reason or "no answer"
            call.dialog.hang_up()
            raise CallEnded
        if call.media is None:  # the dialog accepted no answer: none usable
            call.end_reason = "unusable answer"
            call.dialog.hang_up()
            raise CallEnded
        call.relay.peer_host = call.media.host
        call.mark("answered")
        await self._into_meeting(call, admitted_by=secretary)

    # --- the end --------------------------------------------------------------------------
    async def _finish(self, call: Call) -> None:
        call.dialog.hang_up()
        call.relay.close()
        if call.leg is not None:
            await call.leg.close()
        if call.principal is not None and call.engagement_id is not None:
            try:
                async with self._db() as db:
                    await live.leave(db, call.principal, call.engagement_id, self.media)
            except SummitryError as err:
                logger.warning("call %s: could not record leaving: %s", call.id, err)
        self.slots.give_back(call.source)
        call.set_stage(Stage.ENDED)
        call.ended.set()
        self.calls.pop(call.id, None)
        self.finished = [*self.finished[-49:], call]
        logger.info("call %s ended (%s) after %s", call.id, call.end_reason, call.timings)

    def find(self, call_id: int) -> Call:
        call = self.calls.get(call_id)
        if call is None:
            raise NotFound("no such telephone call")
        return call
