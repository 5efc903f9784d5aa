"""What the live meeting needs from the media engine; media/ provides it over Janus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry import log
from summitry.db import intend_to_write
from summitry.meeting.events import UnexpectedParticipant


@dataclass(frozen=True)
class IceServer:
    """A STUN or TURN server a page may use to reach the media server (``RTCIceServer``)."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None


@dataclass(frozen=True)
class MediaAccess:
    """What one admitted person's browser needs to enter the media room."""

    server_url: str
    room_id: int
    token: str
    feed_id: int
    ice_servers: tuple[IceServer, ...] = ()
    """Where the page may relay its media; TURN credentials are this person's own."""


def ice_label(engagement_id: int, attendee_id: int) -> str:
    """How a person's TURN credentials name them: the engagement and attendee numbers only."""
    return f"e{engagement_id}a{attendee_id}"


RoomKind = Literal["videoroom", "audiobridge"]


@dataclass(frozen=True)
class Stranger:
    """Someone the media engine found in an engagement's room and put out."""

    engagement_id: int
    room: RoomKind
    participant_id: int
    display: str


class MeetingMedia(Protocol):
    """The media side of admission; every call raises MediaUnavailable if Janus is away."""

    public_url: str
    """The URL browsers use for the media server (public: pages connect while in the lobby)."""

    async def grant(self, db: AsyncSession, engagement_id: int, token: str) -> tuple[str, int]:
        """Let ``token`` into the engagement's room (creating the room if needed); the URL
        browsers use for the media server, and the room's number."""

    async def revoke(self, db: AsyncSession, engagement_id: int, token: str, feed_id: int) -> None:
        """Take ``token`` out of every room of the engagement and put out whoever used it."""

    async def close(self, db: AsyncSession, engagement_id: int) -> None:
        """Destroy every room of the engagement: everyone in them is put out."""

    async def set_muted(
        self, db: AsyncSession, engagement_id: int, feed_id: int, muted: bool
    ) -> None:
        """Mute or unmute a participant's audio on the media server itself."""

    async def room_of(self, db: AsyncSession, engagement_id: int) -> tuple[str, int]:
        """The URL browsers use for the media server, and the room's number."""

    def ice_servers(self, label: str) -> tuple[IceServer, ...]:
        """The STUN and TURN servers for one person's page (TURN credentials of their own,
        short-lived); ``label`` is an opaque name for them in the TURN server's log."""


class MediaReports(Protocol):
    """What the media engine tells the meeting of its own accord."""

    async def stranger_put_out(self, stranger: Stranger) -> None:
        """Someone was in a room under an id nobody was given; they are out already."""


class RecordedReports:
    """The meeting's side of ``MediaReports``: each report an event in the engagement's log."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker  # the runtime's: its sessions publish what they commit

    async def stranger_put_out(self, stranger: Stranger) -> None:
        body = UnexpectedParticipant(
            room=stranger.room, participant_id=stranger.participant_id, display=stranger.display
        )
        async with self.sessionmaker() as db:
            await intend_to_write(db)  # a background writer: queue for SQLite's write lock
            await log.append(db, stranger.engagement_id, body)
            await db.commit()
