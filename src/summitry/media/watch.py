"""Who is in each media room, looked at every 0.4 s: anyone under an id nobody was given goes.

Janus checks a token when someone joins, but does not bind it to a participant id: a token
used twice under another id would let a second participant in, and removing the person
(their token withdrawn, their feed kicked) would leave that one behind. So Summitry looks:
in each live engagement's VideoRoom only the feed numbers it granted (and its own short joins)
may be present, in each interpreter's seat only that interpreter. Anyone else is kicked at
once and reported to the meeting, which records it; the media side writes no log.

Language channels' rooms are not looked at: only the server's own token enters them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.errors import MediaUnavailable
from summitry.media.audiobridge import AudioBridge
from summitry.media.models import MediaRoom
from summitry.media.rooms import Participant, probe_ids
from summitry.meeting.grants import admitting_engagements, granted_feeds
from summitry.meeting.media_port import MediaReports, Stranger

if TYPE_CHECKING:
    from summitry.media.nodes import MediaNodes

logger = logging.getLogger(__name__)

INTERVAL = 0.4
"""Seconds between two looks: a stranger is out within about half a second."""
QUIET = 5.0
"""Seconds during which the same stranger is not reported again (a kick still on its way)."""


@dataclass(frozen=True)
class WatchedRoom:
    """A room beside the VideoRooms and the only participant ids it may hold."""

    engagement_id: int
    plugin: str
    room_id: int
    secret: str = field(repr=False)
    expected: frozenset[int]
    node: str
    """The media node the room is on: the engagement's."""


class RoomsExtension(Protocol):
    """Rooms made beside an engagement's VideoRoom (language channels): they share its fate."""

    async def revoke(self, db: AsyncSession, engagement_id: int, token: str, feed_id: int) -> None:
        """Put out of these rooms whoever entered with ``token``."""

    async def close(self, db: AsyncSession, engagement_id: int) -> None:
        """Destroy the engagement's rooms for good."""

    def watched(self) -> list[WatchedRoom]:
        """The rooms to look into, each with the ids allowed in it."""


class ParticipantWatch:
    """Looks into every live room and puts out whoever Summitry did not let in."""

    def __init__(
        self,
        nodes: MediaNodes,
        sessionmaker: async_sessionmaker[AsyncSession],
        reports: MediaReports,
        interval: float = INTERVAL,
    ) -> None:
        self.nodes = nodes
        self.sessionmaker = sessionmaker
        self.reports = reports
        self.interval = interval
        self._recent: dict[int, tuple[int, str, str]] = {}
        """VideoRooms that were live in this process: room → (engagement, secret, node)."""
        self._reported: dict[tuple[int, int], float] = {}
        self._bridges: dict[str, AudioBridge] = {}
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Look again and again until ``stop``; Janus being away only skips a turn."""
        while not self._stopping.is_set():
            try:
                await self.sweep()
            except MediaUnavailable:
                pass
            except Exception:  # the watch must outlive any one failure
                logger.exception("looking into the media rooms failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._stopping.wait()

    def stop(self) -> None:
        self._stopping.set()

    async def sweep(self) -> list[Stranger]:
        """One look into every room; the strangers put out."""
        found = await self._videorooms()
        for watched in _extension_rooms(self.nodes):
            if self._answering(watched.node):
                found += await self._audiobridge(watched)
        now = time.monotonic()
        self._reported = {k: t for k, t in self._reported.items() if now - t < QUIET}
        fresh = []
        for stranger, room_id in found:
            key = (room_id, stranger.participant_id)
            if key in self._reported:
                continue
            self._reported[key] = now
            fresh.append(stranger)
            logger.warning(
                "put out of engagement %s's %s: participant %s (%r), an id nobody was given",
                stranger.engagement_id,
                stranger.room,
                stranger.participant_id,
                stranger.display,
            )
            try:
                await self.reports.stranger_put_out(stranger)
            except Exception:  # the kick stands; the record is what failed
                logger.exception("could not record an unexpected participant")
        return fresh

    async def _videorooms(self) -> list[tuple[Stranger, int]]:
        async with self.sessionmaker() as db:
            admitting = await admitting_engagements(db)
            live = (
                await db.execute(
                    select(
                        MediaRoom.engagement_id,
                        MediaRoom.janus_room_id,
                        MediaRoom.secret,
                        MediaRoom.node,
                    ).where(MediaRoom.engagement_id.in_(admitting), MediaRoom.node.is_not(None))
                )
            ).all()
        for engagement_id, room_id, secret, node in live:
            self._recent[room_id] = (engagement_id, secret, node or "")
        present: dict[int, list[Participant]] = {}
        for room_id, (_, _, node) in list(self._recent.items()):
            if not self._answering(node):
                continue  # never the one to reconnect: the supervisor does
            people = await self.nodes.rooms_of(node).participants(room_id)
            if people:
                present[room_id] = people
            elif all(room_id != row[1] for row in live):
                del self._recent[room_id]  # empty, and nobody may enter it any more
        if not present:
            return []
        # Read after the listing: whoever was listed was admitted before it, so their grant
        # is seen here unless it has been withdrawn since.
        async with self.sessionmaker() as db:
            granted = await granted_feeds(db, {self._recent[r][0] for r in present})
        found = []
        for room_id, people in present.items():
            engagement_id, secret, node = self._recent[room_id]
            rooms = self.nodes.rooms_of(node)
            probes = probe_ids(secret)  # any replica's short joins to read the publishers
            for person in people:
                if (engagement_id, person.id) in granted or person.id in probes:
                    continue
                await rooms.kick(room_id, secret, person.id)
                stranger = Stranger(engagement_id, "videoroom", person.id, person.display)
                found.append((stranger, room_id))
        return found

    async def _audiobridge(self, watched: WatchedRoom) -> list[tuple[Stranger, int]]:
        bridge = await self._bridge(watched.node)
        found = []
        for person in await bridge.list_participants(watched.room_id):
            if person.id in watched.expected:
                continue
            await bridge.kick(watched.room_id, watched.secret, person.id)
            stranger = Stranger(watched.engagement_id, "audiobridge", person.id, person.display)
            found.append((stranger, watched.room_id))
        return found

    def _answering(self, name: str) -> bool:
        node = self.nodes.named(name)
        return node is not None and node.rooms.connected

    async def _bridge(self, node: str) -> AudioBridge:
        bridge = self._bridges.get(node)
        if bridge is None or not bridge.alive:
            bridge = self._bridges[node] = await self.nodes.rooms_of(node).adapter(AudioBridge)
        return bridge


def _extension_rooms(nodes: MediaNodes) -> list[WatchedRoom]:
    return [w for extension in nodes.extensions for w in extension.watched()]
