"""What the parts of a call act through: the database, the live hub, the media, the prompts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.log.hub import LiveHub
from summitry.media.meetings import JanusMeetingMedia
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
