"""The SIP-facing part of the telephone: it screens and answers calls in, places calls out,
and runs each call from the first ring to the hang-up.

A call in: the number dialled names the engagement (else 404). The caller hears the welcome
prompt and keys a PIN (RFC 4733 or SIP INFO) ended by ``#``; three wrong PINs, or none in
time, end the call and are recorded. With the right PIN the caller *enters the meeting as that
attendee* through ``live.operations.enter`` (the lobby, like a browser) and waits to be
admitted; once admitted, the leg joins the media. A call out is placed by the secretariat; when
the callee answers, they enter and are admitted by the secretary who placed it. The reception
(``reception.py``) says and hears what comes before the room, the room (``room.py``) keeps the
call in the media with its keypad (``keypad.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Coroutine
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.errors import MediaUnavailable, NotFound, SummitryError
from summitry.log.hub import LiveHub
from summitry.media.meetings import JanusMeetingMedia
from summitry.meeting import operations as live
from summitry.security.principals import Secretary
from summitry.telephony import operations, register, sdp
from summitry.telephony.addresses import Target
from summitry.telephony.call import Call, CallEnded, Stage
from summitry.telephony.models import TelephoneCall
from summitry.telephony.negotiation import Negotiation
from summitry.telephony.prompts import Prompts
from summitry.telephony.ratelimit import CallSlots, Lockouts, TokenBuckets
from summitry.telephony.reception import Reception, unless_hung_up
from summitry.telephony.relay import Relay
from summitry.telephony.room import Room
from summitry.telephony.services import Services
from summitry.telephony.sessiontimer import MIN_SE
from summitry.telephony.sip import Dialog, Invite, SipEndpoint

logger = logging.getLogger(__name__)

ANSWER_SECONDS = 45.0
"""How long a call out may ring."""
CLAIM_EVERY = 0.5
"""How often the gateway looks for calls out asked for on other replicas (seconds)."""
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
        claim_every: float | None = CLAIM_EVERY,
    ) -> None:
        """``claim_every``: how often to look for calls out asked for on other replicas;
        ``None``: only when ``wake`` says one was asked for here (a single process)."""
        self.media_host = media_host
        self.services = Services(sessionmaker, hub, media, prompts)
        self.media = media
        self.prompts = prompts
        self.calls: dict[int, Call] = {}
        self.finished: list[Call] = []
        """The last calls that ended (newest last), for the secretariat and for tests."""
        self.refused_invites = 0
        """INVITEs refused by the limits (counted in sippy's thread: a statistic, not exact)."""
        self.buckets = TokenBuckets(invites_per_second, invite_burst)
        self.slots = CallSlots(max_calls, calls_per_source)
        self.lockouts = Lockouts()
        self.reception = Reception(self.services, self.lockouts)
        self.room = Room(self.services)
        self.endpoint = SipEndpoint(
            host, port, self._on_invite, self._screen, min_session_expires=min_session_expires
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self.claim_every = claim_every
        self._claiming: asyncio.Task[None] | None = None

    @property
    def pin_seconds(self) -> float:
        """How long a caller has to key each PIN."""
        return self.reception.pin_seconds

    @pin_seconds.setter
    def pin_seconds(self, seconds: float) -> None:
        self.reception.pin_seconds = seconds

    async def start(self) -> None:
        """Record the end of calls cut off by the last run, then listen for SIP."""
        services = self.services
        ended = await operations.end_calls_cut_off(services.sessionmaker, self.media)
        async with services.db() as db:
            ended += await register.end_unfinished(db)
        if ended:
            logger.warning("telephone: %s call(s) ended with the previous run; recorded", ended)
        await self.prompts.prepare()
        await self.endpoint.start()
        self._claiming = asyncio.create_task(self._claim(), name="telephone: calls out asked for")
        logger.info("telephone: SIP on %s:%s", self.endpoint.host, self.endpoint.port)

    async def stop(self) -> None:
        """Hang up every call and stop listening."""
        if self._claiming is not None:
            self._claiming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._claiming
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

        self.calls[call.id] = call
        self._spawn(run(), f"telephone call {call.id}")

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
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
        async with self.services.db() as db:
            engagement_id = await operations.engagement_of_number(db, invite.called)
        if engagement_id is None:
            # Unknown numbers learn nothing, and never reach a room.
            call.end_reason = "unknown number"
            call.dialog.refuse(404, "Not Found")
            raise CallEnded
        call.engagement_id = engagement_id
        async with self.services.db() as db:
            call.record_id = await register.open_record(
                db, engagement_id, "in", invite.caller, call.stage.value
            )
        await call.relay.open()
        negotiation = Negotiation(self.media_host, call.relay.phone_port, call.relay.rtcp_port)
        answer, media = negotiation.answer(invite.sdp or "")
        call.on_media(media)
        call.dialog.answer(answer, negotiation)
        call.mark("answered")
        await self.reception.ask_pin(call)
        await self._into_meeting(call)

    async def _into_meeting(self, call: Call, admitted_by: Secretary | None = None) -> None:
        """The lobby until admitted, then the room until the end."""
        engagement_id, _ = call.seat()
        # Subscribed before entering, so that no admission or removal slips past the call.
        with self.services.hub.inbox(engagement_id) as inbox:
            await self.reception.enter(call, inbox.events, admitted_by)
            await self.room.join(call)
            await self.room.stay(call, inbox.events)

    # --- calls out ------------------------------------------------------------------------
    def wake(self) -> None:
        """A call out was just asked for on this replica: look now, not at the next round."""
        self._wake.set()

    async def _claim(self) -> None:
        """Place the calls out asked for on any replica, as they come."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.claim_every)
            self._wake.clear()
            try:
                await self._claim_once()
            except Exception:  # the database away for a moment: the requests wait for it
                logger.exception("telephone: could not take up the calls asked for")

    async def _claim_once(self) -> None:
        async with self.services.db() as db:
            requests = await register.claim_requests(db)
        for request in requests:
            try:
                await self.place(request)
            except SummitryError as err:
                logger.info("telephone: call %s not placed: %s", request.id, err)
                reason = str(err)
            except Exception:
                logger.exception("telephone: call %s not placed", request.id)
                reason = "the telephone gateway could not place the call"
            else:
                continue
            await register.record_stage(
                self.services.sessionmaker, request.id, register.ENDED, end_reason=reason
            )

    async def place(self, request: TelephoneCall) -> Call:
        """Call a person's telephone from the meeting; they are admitted when they answer."""
        engagement_id, attendee_id = request.engagement_id, request.attendee_id
        if attendee_id is None:
            raise NotFound("the attendee called is no longer in the engagement")
        target = Target.parse(request.address)
        async with self.services.db() as db:
            await register.ensure_callable(db, engagement_id, attendee_id, excluding=request.id)
        if not self.slots.take("dial-out"):
            raise MediaUnavailable("too many telephone calls at once; try again shortly")
        relay = Relay(self.media_host, target.host, lambda d: None, lambda v: None)
        try:
            await relay.open()
            negotiation = Negotiation(self.media_host, relay.phone_port, relay.rtcp_port)
            dialog = self.endpoint.dial(
                target.host, target.port, target.user, "summitry", negotiation
            )
        except BaseException:
            relay.close()
            self.slots.give_back("dial-out")
            raise
        call = Call(
            id=next(_ids),
            direction="out",
            source="dial-out",
            caller=target.user,
            dialog=dialog,
            relay=relay,
            engagement_id=engagement_id,
            attendee_id=attendee_id,
            record_id=request.id,
        )
        self._wire(call)
        self._run(call, self._outgoing(call, register.placed_by(request)))
        return call

    async def _outgoing(self, call: Call, secretary: Secretary) -> None:
        # A callee who hangs up before answering is a call not answered, like one that rings on.
        with contextlib.suppress(CallEnded):
            await unless_hung_up(call, call.answered.wait(), ANSWER_SECONDS)
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
        if not await self.services.reach(call, Stage.RINGING):
            # Withdrawn while it rang: the callee is not let in.
            call.end_reason = "access withdrawn"
            call.dialog.hang_up()
            raise CallEnded
        await self._into_meeting(call, admitted_by=secretary)

    # --- the end --------------------------------------------------------------------------
    async def _finish(self, call: Call) -> None:
        call.dialog.hang_up()
        call.relay.close()
        if call.leg is not None:
            await call.leg.close()
        try:
            if call.principal is not None and call.engagement_id is not None:
                try:
                    async with self.services.db() as db:
                        await live.leave(db, call.principal, call.engagement_id, self.media)
                except SummitryError as err:
                    logger.warning("call %s: could not record leaving: %s", call.id, err)
                except Exception:  # the database away: the next gateway start records it
                    logger.exception("call %s: could not record leaving", call.id)
            await self.services.reach(call, Stage.ENDED)
        finally:
            # Whatever failed above, the call is over here: its slot and its place are free.
            self.slots.give_back(call.source)
            call.ended.set()
            self.calls.pop(call.id, None)
            self.finished = [*self.finished[-49:], call]
        logger.info("call %s ended (%s) after %s", call.id, call.end_reason, call.timings)

    def find(self, call_id: int) -> Call:
        """The call in progress with this number."""
        call = self.calls.get(call_id)
        if call is None:
            raise NotFound("no such telephone call")
        return call
