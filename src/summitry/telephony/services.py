"""What the parts of a call act through: the database, the live hub, the media, the prompts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.log.hub import LiveHub
from summitry.media.meetings import JanusMeetingMedia
from summitry.telephony import register
from summitry.telephony.call import Call, Stage
from summitry.telephony.prompts import Prompts


@dataclass(frozen=True)
class Services:
    """Shared by the gateway, the reception, the room and the keypad of every call."""

    sessionmaker: async_sessionmaker[AsyncSession]
    hub: LiveHub
    media: JanusMeetingMedia
    prompts: Prompts

    def db(self) -> AsyncSession:
        """A session of the runtime's, whose events reach live pages on commit."""
        return self.sessionmaker()

    async def reach(self, call: Call, stage: Stage) -> bool:
        """Move the call to ``stage``, written to the register first: whoever sees the stage
        here finds it in the register too, on any replica. False if the register had ended
        the call meanwhile (its person's access withdrawn): the caller hangs up."""
        wanted = True
        if call.record_id is not None:
            # Who called in is known once their PIN was right; written then, and never with
            # the end (an attendee struck off meanwhile is no longer there to point at).
            known = call.direction == "in" and stage in (Stage.LOBBY, Stage.ROOM)
            wanted = await register.record_stage(
                self.sessionmaker,
                call.record_id,
                stage.value,
                attendee_id=call.attendee_id if known else None,
                end_reason=call.end_reason or "hung up",
            )
        call.set_stage(stage)
        return wanted
