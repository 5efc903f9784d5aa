"""The media side of live meetings over Janus: rooms, admission tokens, mutes, and recovery."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.errors import MediaUnavailable
from summitry.media.ice import IceServers
from summitry.media.janus import JanusClientError, connect
from summitry.media.models import MediaRoom
from summitry.media.rooms import MeetingRooms, RoomSpec, media_room_for, spec_of
from summitry.media.server import JanusProcess
from summitry.media.watch import ParticipantWatch
from summitry.meeting.grants import granted_tokens
from summitry.meeting.media_port import IceServer, MediaReports, RecordedReports

logger = logging.getLogger(__name__)

RestoredReport = Callable[[list[int]], Awaitable[None]]
"""Told the engagements whose rooms were rebuilt; the meeting records it (media writes no log)."""


async def answers(url: str) -> bool:
    """Whether a Janus answers at ``url`` (one left running by an earlier Summitry, say)."""
    try:
        async with await connect(url, request_timeout=2.0) as client:
            await client.info()
    except JanusClientError:
        return False
    return True


def janus_keys(config_dir: Path) -> dict[str, str]:
    """The private Janus's admin secret and room key, kept so a restarted Summitry can reuse
    the Janus that outlived it."""
    path = config_dir / "keys.json"
    if path.exists():
        keys: dict[str, str] = json.loads(path.read_text())
        return keys
    config_dir.mkdir(parents=True, exist_ok=True)
    config_dir.chmod(0o700)
    keys = {"admin_secret": secrets.token_urlsafe(32), "room_admin_key": secrets.token_urlsafe(32)}
    path.write_text(json.dumps(keys))
    path.chmod(0o600)
    return keys


class JanusMeetingMedia:
    """Implements ``live.media_port.MeetingMedia`` with one VideoRoom per engagement."""

    def __init__(
        self,
        rooms: MeetingRooms,
        public_url: str,
        on_restored: RestoredReport | None = None,
        ice: IceServers | None = None,
    ) -> None:
        self.rooms = rooms
        self.public_url = public_url
        self.ice = ice
        """The STUN and TURN servers pages are told of; None: none (a local network)."""
        self.on_restored = on_restored
        """The meeting's callback for rooms rebuilt (``live.media_events``); None: untold."""

    async def _spec(self, db: AsyncSession, engagement_id: int) -> tuple[MediaRoom, RoomSpec]:
        room = await media_room_for(db, engagement_id)
        tokens = await granted_tokens(db, engagement_id)
        return room, spec_of(room, f"engagement {engagement_id}", tokens)

    async def grant(self, db: AsyncSession, engagement_id: int, token: str) -> tuple[str, int]:
        # One round trip on the admission's path: the room's every token is read, and the
        # room made with them, only when Janus has lost it (or never had it).
        room = await media_room_for(db, engagement_id)
        if not await self.rooms.allow(room.janus_room_id, room.secret, token):
            _, spec = await self._spec(db, engagement_id)
            if not await self.rooms.ensure_room(spec):  # made by someone else meanwhile
                await self.rooms.set_allowed(room.janus_room_id, room.secret, [token], "add")
        return self.public_url, room.janus_room_id

    async def revoke(self, db: AsyncSession, engagement_id: int, token: str, feed_id: int) -> None:
        room = await media_room_for(db, engagement_id)
        if await self.rooms.room_exists(room.janus_room_id):
            await self.rooms.set_allowed(room.janus_room_id, room.secret, [token], "remove")
            # With require_pvtid, Janus ends the subscriptions the feed made with it; whoever
            # else entered with the token is under an id not granted: the watcher's.
            await self.rooms.kick(room.janus_room_id, room.secret, feed_id)
        for extension in self.rooms.extensions:
            await extension.revoke(db, engagement_id, token, feed_id)

    async def close(self, db: AsyncSession, engagement_id: int) -> None:
        room = await db.scalar(select(MediaRoom).where(MediaRoom.engagement_id == engagement_id))
        if room is not None:
            await self.rooms.destroy_room(room.janus_room_id, room.secret)
        for extension in self.rooms.extensions:
            await extension.close(db, engagement_id)

    async def set_muted(
        self, db: AsyncSession, engagement_id: int, feed_id: int, muted: bool
    ) -> None:
        room = await media_room_for(db, engagement_id)
        await self.rooms.mute(room.janus_room_id, room.secret, feed_id, muted)

    async def room_of(self, db: AsyncSession, engagement_id: int) -> tuple[str, int]:
        # Only the record: the room was made in Janus when the first person was admitted, and
        # the supervisor rebuilds it if Janus restarts; asking Janus here would slow each join.
        room = await media_room_for(db, engagement_id)
        return self.public_url, room.janus_room_id

    def ice_servers(self, label: str) -> tuple[IceServer, ...]:
        return () if self.ice is None else self.ice.for_holder(label)

    async def restore(self, sessionmaker: async_sessionmaker[AsyncSession]) -> int:
        """Rebuild every room Janus lost, with its tokens, and report each meeting; how many."""
        restored = []
        async with sessionmaker() as db:
            rooms = list(await db.scalars(select(MediaRoom)))
            for room in rooms:
                _, spec = await self._spec(db, room.engagement_id)
                if spec.allowed and await self.rooms.ensure_room(spec):
                    restored.append(room.engagement_id)
            await db.commit()
        if restored and self.on_restored is not None:
            await self.on_restored(restored)
        return len(restored)


class MediaSupervisor:
    """Keeps Janus answering: starts a private one if ours, and rebuilds rooms after a crash."""

    def __init__(
        self,
        media: JanusMeetingMedia,
        sessionmaker: async_sessionmaker[AsyncSession],
        process: JanusProcess | None = None,
        reports: MediaReports | None = None,
    ) -> None:
        self.media = media
        self.sessionmaker = sessionmaker
        self.process = process
        self._task: asyncio.Task[None] | None = None
        self.healthy = False
        self.watch = ParticipantWatch(
            media.rooms, sessionmaker, reports or RecordedReports(sessionmaker)
        )
        self._watching: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start Janus if it is ours; Summitry serves on (media unavailable) if it cannot."""
        if self.process is not None and not await answers(self.process.config.ws_url):
            try:
                await self.process.start()
            except (OSError, RuntimeError) as err:
                logger.error("could not start Janus: %s; meetings have no media until it runs", err)
        self._task = asyncio.create_task(self._watch(), name="janus supervisor")

    async def lead(self) -> None:
        """Watch the rooms for unexpected participants: one replica at a time (its lease), so
        that each is put out, and recorded, once."""
        if self._watching is None:
            self._watching = asyncio.create_task(self.watch.run(), name="media room watch")

    async def follow(self) -> None:
        """Leave the watch to the replica that holds its lease now."""
        watching, self._watching = self._watching, None
        if watching is not None:
            self.watch.stop()
            await watching
            done = self.watch
            self.watch = ParticipantWatch(
                done.rooms, self.sessionmaker, done.reports, done.interval
            )

    async def stop(self) -> None:
        await self.follow()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.media.rooms.close()
        if self.process is not None:
            await self.process.stop()

    async def _watch(self) -> None:
        first = True
        while True:
            try:
                await self.media.rooms.connect()
                self.healthy = True
                if not first:
                    count = await self.media.restore(self.sessionmaker)
                    logger.warning("Janus is back; %s meeting room(s) rebuilt", count)
                first = False
                await self.media.rooms.wait_disconnected()
                self.healthy = False
                logger.warning("lost the connection to Janus")
            except MediaUnavailable:
                self.healthy = False
            except Exception:  # the supervisor must outlive any single failure
                self.healthy = False
                logger.exception("the Janus supervisor failed; trying again")
            if (
                self.process is not None
                and not self.process.running
                and not await answers(self.process.config.ws_url)
            ):
                with contextlib.suppress(Exception):
                    logger.warning("Janus has stopped; starting it again")
                    await self.process.start()
            await asyncio.sleep(0.5)
