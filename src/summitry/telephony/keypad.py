"""The keypad in the room: ``*1`` asks for the floor, ``*6`` opens or mutes the microphone,
``*2`` + digit chooses what to hear. Each command acts through the public operations of the
meeting, the floor and interpretation, as the caller, and is answered by a spoken prompt."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from summitry.errors import SummitryError
from summitry.floor import operations as floor_operations
from summitry.floor.speakers import RequestKind
from summitry.interpretation import operations as interpretation
from summitry.meeting import operations as live
from summitry.telephony.call import Call
from summitry.telephony.leg import LegError
from summitry.telephony.reception import next_digit
from summitry.telephony.services import Services

logger = logging.getLogger(__name__)


class Keypad:
    """Carries out the keypad commands of calls in the room."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def command(self, call: Call, command: str) -> None:
        """Carry out ``*`` + ``command`` and say what came of it (``refused`` if nothing)."""
        engagement_id, attendee_id = call.seat()
        principal = call.acting()
        media = self.services.media
        prompt = "refused"
        try:
            async with self.services.db() as db:
                if command == "1":
                    await floor_operations.request_floor(
                        db, principal, engagement_id, RequestKind.STATEMENT, None
                    )
                    prompt = "floor_requested"
                elif command == "6":
                    state = await live.meeting_state(db, engagement_id)
                    person = state.participants.get(attendee_id)
                    muted = not (person.muted if person else True)
                    await live.set_microphone(db, principal, engagement_id, None, muted, media)
                    prompt = "microphone_closed" if muted else "microphone_open"
                elif command == "2":
                    choice = await next_digit(call, 5.0)
                    prompt = await self._choose_channel(db, call, engagement_id, choice)
        except SummitryError as err:
            logger.info("call %s: keypad *%s refused: %s", call.id, command, err)
        call.keyed.append(f"*{command} {prompt}")
        call.changed.set()
        # Spoken over the room's sound, briefly: the room comes back after it.
        call.relay.in_room = False
        await call.relay.play(self.services.prompts[prompt])
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
            rooms = await interpretation.channel_rooms(db, engagement_id)
            index = int(choice) - 1
            if index >= len(rooms):
                return "no_channels"
            chosen = rooms[index]
            call.relay.bridge = await leg.hear_channel(chosen.room_id, chosen.token)
        except LegError as err:
            logger.info("call %s: %s", call.id, err)
            return "no_channels"
        call.relay.latch_bridge()
        return "channel_chosen"
