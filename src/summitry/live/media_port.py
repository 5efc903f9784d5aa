"""What the live meeting needs from the media engine; media/ provides it over Janus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class MediaAccess:
    """What one admitted person's browser needs to enter the media room."""

    server_url: str
    room_id: int
    token: str
    feed_id: int


class MeetingMedia(Protocol):
    """The media side of admission; every call raises MediaUnavailable if Janus is away."""

    public_url: str
    """The URL browsers use for the media server (public: pages connect while in the lobby)."""

    async def grant(self, db: AsyncSession, engagement_id: int, token: str) -> None:
        """Let ``token`` into the engagement's room (creating the room if needed)."""

    async def revoke(self, db: AsyncSession, engagement_id: int, token: str, feed_id: int) -> None:
        """Take ``token`` out of the room and put out whoever entered with it."""

    async def set_muted(
        self, db: AsyncSession, engagement_id: int, feed_id: int, muted: bool
    ) -> None:
        """Mute or unmute a participant's audio on the media server itself."""

    async def room_of(self, db: AsyncSession, engagement_id: int) -> tuple[str, int]:
        """The URL browsers use for the media server, and the room's number."""
