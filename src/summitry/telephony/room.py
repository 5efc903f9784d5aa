"""A call in the meeting's media: joining it, joining again when Janus comes back, and
staying there (the keypad, and the meeting's events that end the call) until the end."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from summitry.errors import MediaUnavailable
from summitry.media.rooms import media_room_for
from summitry.meeting import operations as live
from summitry.meeting.events import Left, Removed
from summitry.telephony.call import Call, CallEnded, Stage
from summitry.telephony.keypad import Keypad
from summitry.telephony.leg import LegError, RoomAccess, TelephoneLeg
from summitry.telephony.reception import Events, next_digit, say_goodbye, unless_hung_up
from summitry.telephony.services import Services

logger = logging.getLogger(__name__)

REJOIN_SECONDS = 60.0
"""How long a call waits for the media server to come back before it ends."""


class Room:
    """Joins calls to the media and keeps them there."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.keypad = Keypad(services)

    async def join(self, call: Call) -> None:
        """Join the media as the attendee; goodbye if the media server cannot be reached."""
        try:
            await self._connect_leg(call)
        except (LegError, MediaUnavailable) as err:
            logger.error("call %s: %s", call.id, err)
            await say_goodbye(call, self.services.prompts, "media unavailable")
        call.relay.stop_prompt()
        call.relay.in_room = True
        await self.services.reach(call, Stage.ROOM)
        call.mark("room")

    async def _connect_leg(self, call: Call) -> None:
        """Enter the media as the attendee (again, after Janus came back)."""
        engagement_id, _ = call.seat()
        principal = call.acting()
        media = self.services.media
        async with self.services.db() as db:
            access = await live.media_access(db, principal, engagement_id, media)
            room = await media_room_for(db, engagement_id)
            node = await media.node_of(db, engagement_id)  # rejoining: the room may have moved
            await db.commit()
        leg = TelephoneLeg(
            RoomAccess(
                janus_url=node.rooms.url,
                admin_key=node.rooms.admin_key,
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
        async with self.services.db() as db:
            # Janus starts a new publisher unmuted: apply the mute the log says is in force.
            await live.published(db, principal, engagement_id, media)

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
                    await say_goodbye(call, self.services.prompts, "media lost")
                await asyncio.sleep(1.0)
                try:
                    await self._connect_leg(call)
                except (LegError, MediaUnavailable) as err:
                    logger.info("call %s: not back in the media yet: %s", call.id, err)
            call.relay.in_room = True
            call.mark("rejoined")

    async def stay(self, call: Call, events: Events) -> None:
        """The keypad, and the meeting's events that end the call (removed, left elsewhere)."""
        while not call.digits.empty():  # keys pressed while waiting are not commands
            call.digits.get_nowait()
        watcher = asyncio.create_task(self._watch_removal(call, events))
        keeper = asyncio.create_task(self._keep_media(call))
        try:
            while True:
                digit = await next_digit(call, 3600.0)
                if digit == "*":
                    command = await next_digit(call, 5.0)
                    if command is not None:
                        await self.keypad.command(call, command)
        finally:
            for task in (watcher, keeper):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, CallEnded):
                    await task

    async def _watch_removal(self, call: Call, events: Events) -> None:
        while True:
            envelope = await unless_hung_up(call, events.get(), 3600.0)
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
