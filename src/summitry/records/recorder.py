"""The recorder: Janus records a live meeting's floor and each language channel while its log
says the meeting is recorded.

Janus writes the files itself, ``.mjr``: the packets as they came, appended as they come, so a
crash of Janus or of Summitry loses only what was never written. The floor is recorded as each
publisher sends it (their microphone and camera, one file per stream, named by Janus with their
feed number and the moment it began); each language channel as its listeners hear it. After
Janus comes back, its rooms and channels are made anew and their recordings begin again in new
files beside the old: parts. ``recordings`` turns them into standard files and names them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.engagements.models import EngagementStatus
from summitry.engagements.operations import get_engagement
from summitry.interpretation.channel_records import channels_of
from summitry.log.following import LogFollower
from summitry.log.hub import LiveHub
from summitry.media.nodes import MediaNodes
from summitry.media.streaming import Streaming
from summitry.meeting import operations as live
from summitry.meeting.grants import admitting_engagements, grants_in
from summitry.records.recording_state import is_recorded
from summitry.records.recordings import SPEAKERS, meeting_folder

FOLLOWED = frozenset(
    {
        "admitted",
        "media_restored",
        "meeting_ended",
        "recording_started",
        "recording_stopped",
    }
)
"""Events after which Janus may not be recording what the log says it should."""


class Recorder(LogFollower):
    """Keeps Janus recording every meeting that is recorded, and only those."""

    followed = FOLLOWED
    what = "recording"

    def __init__(
        self,
        nodes: MediaNodes,
        folder: Path,
        sessionmaker: async_sessionmaker[AsyncSession],
        hub: LiveHub,
        *,
        leading: bool = True,
    ) -> None:
        super().__init__(sessionmaker, hub, leading=leading)
        self.nodes = nodes
        self.folder = folder

    async def engagements_to_resume(self, db: AsyncSession) -> list[int]:
        """Meetings with people in them: Janus may have been restarted in between."""
        return sorted(await admitting_engagements(db))

    async def settle(self, db: AsyncSession, engagement_id: int) -> None:
        async with self.lock(engagement_id):
            await self._settle(db, engagement_id)

    async def _settle(self, db: AsyncSession, engagement_id: int) -> None:
        node = await self.nodes.carrying(db, engagement_id)
        if node is None:
            return  # never in Janus: nothing to record
        engagement = await get_engagement(db, engagement_id)
        state = await live.meeting_state(db, engagement_id)
        on = engagement.status is EngagementStatus.LIVE and is_recorded(engagement, state)
        folder = meeting_folder(self.folder, engagement_id)
        if on:
            folder.mkdir(parents=True, exist_ok=True)
            grants = await grants_in(db, engagement_id)
            people = {a.id: a for a in engagement.attendees}
            _remember(
                folder,
                {
                    str(g.feed_id): {
                        "name": people[who].person.display_name,
                        "delegation": people[who].person.delegation.name,
                    }
                    for who, g in grants.items()
                    if who in people
                },
            )
        room, _ = await self.nodes.placed(db, engagement_id)  # placed already: ``carrying``
        rooms = node.rooms
        await (await rooms.management()).record(
            room.janus_room_id, room.secret, str(folder) if on else None
        )
        rows = await channels_of(db, engagement_id)
        if not rows:
            return
        streaming = await rooms.adapter(Streaming)
        try:
            for row in rows:
                # Asked while it records, Janus records on into the file it began.
                base = folder / f"channel-{row.language}-{time.time_ns() // 1000}"
                await streaming.record(row.janus_room_id, row.secret, str(base) if on else None)
        finally:
            await streaming.detach()


def _remember(folder: Path, speakers: dict[str, dict[str, str]]) -> None:
    """Add who holds which feed to what the folder says (a feed's holder never changes)."""
    path = folder / SPEAKERS
    known: dict[str, dict[str, str]] = {}
    if path.exists():
        known = json.loads(path.read_text(encoding="utf-8"))
    if speakers.keys() <= known.keys():
        return
    fresh = path.with_suffix(".tmp")
    fresh.write_text(json.dumps(known | speakers, ensure_ascii=False, indent=1), encoding="utf-8")
    fresh.replace(path)
