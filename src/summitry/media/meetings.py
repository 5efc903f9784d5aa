"""The media side of live meetings over Janus: rooms, admission tokens, mutes, and recovery
(rooms rebuilt on a node that came back, or moved off one that did not)."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.db import intend_to_write
from summitry.errors import MediaUnavailable
from summitry.media.ice import IceServers
from summitry.media.janus import JanusClientError, connect
from summitry.media.models import MediaRoom
from summitry.media.nodes import MediaNode, MediaNodes
from summitry.media.rooms import RoomSpec, media_room_for, spec_of
from summitry.meeting.grants import granted_tokens
from summitry.meeting.media_port import IceServer

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
    """Implements ``live.media_port.MeetingMedia`` with one VideoRoom per engagement, on the
    engagement's node."""

    def __init__(
        self,
        nodes: MediaNodes,
        on_restored: RestoredReport | None = None,
        ice: IceServers | None = None,
    ) -> None:
        self.nodes = nodes
        self.public_url = nodes.first.public_url
        """Where a page in the lobby meets the media server before its room is known."""
        self.ice = ice
        """The STUN and TURN servers pages are told of; None: none (a local network)."""
        self.on_restored = on_restored
        """The meeting's callback for rooms rebuilt (``live.media_events``); None: untold."""

    async def _spec(self, db: AsyncSession, room: MediaRoom) -> RoomSpec:
        tokens = await granted_tokens(db, room.engagement_id)
        return spec_of(room, f"engagement {room.engagement_id}", tokens)

    async def _room(self, db: AsyncSession, engagement_id: int) -> tuple[MediaRoom, MediaNode]:
        """The room and the node it is on, for acts on a room that may exist: never places."""
        room = await media_room_for(db, engagement_id)
        node = self.nodes.named(room.node)
        if node is None:
            raise MediaUnavailable(f"engagement {engagement_id} has no room on a media node")
        return room, node

    async def grant(self, db: AsyncSession, engagement_id: int, token: str) -> tuple[str, int]:
        # One round trip on the admission's path: the room's every token is read, and the
        # room made with them, only when Janus has lost it (or never had it).
        room, node = await self.nodes.placed(db, engagement_id)
        if not await node.rooms.allow(room.janus_room_id, room.secret, token):
            spec = await self._spec(db, room)
            if not await node.rooms.ensure_room(spec):  # made by someone else meanwhile
                await node.rooms.set_allowed(room.janus_room_id, room.secret, [token], "add")
        return node.public_url, room.janus_room_id

    async def revoke(self, db: AsyncSession, engagement_id: int, token: str, feed_id: int) -> None:
        room = await db.scalar(select(MediaRoom).where(MediaRoom.engagement_id == engagement_id))
        node = self.nodes.named(room.node) if room is not None else None
        if (
            room is not None
            and node is not None
            and await node.rooms.room_exists(room.janus_room_id)
        ):
            await node.rooms.set_allowed(room.janus_room_id, room.secret, [token], "remove")
            # With require_pvtid, Janus ends the subscriptions the feed made with it; whoever
            # else entered with the token is under an id not granted: the watcher's.
            await node.rooms.kick(room.janus_room_id, room.secret, feed_id)
        for extension in self.nodes.extensions:
            await extension.revoke(db, engagement_id, token, feed_id)

    async def close(self, db: AsyncSession, engagement_id: int) -> None:
        room = await db.scalar(select(MediaRoom).where(MediaRoom.engagement_id == engagement_id))
        node = self.nodes.named(room.node) if room is not None else None
        if room is not None and node is not None:
            await node.rooms.destroy_room(room.janus_room_id, room.secret)
        for extension in self.nodes.extensions:
            await extension.close(db, engagement_id)

    async def set_muted(
        self, db: AsyncSession, engagement_id: int, feed_id: int, muted: bool
    ) -> None:
        room, node = await self._room(db, engagement_id)
        await node.rooms.mute(room.janus_room_id, room.secret, feed_id, muted)

    async def room_of(self, db: AsyncSession, engagement_id: int) -> tuple[str, int]:
        # Only the record: the room was made in Janus when the first person was admitted, and
        # the supervisor rebuilds (or moves) it if Janus goes; asking Janus would slow joins.
        room, node = await self.nodes.placed(db, engagement_id)
        return node.public_url, room.janus_room_id

    async def node_of(self, db: AsyncSession, engagement_id: int) -> MediaNode:
        """The node that carries the engagement (placing it if it has none): for telephone legs."""
        return (await self.nodes.placed(db, engagement_id))[1]

    def ice_servers(self, label: str) -> tuple[IceServer, ...]:
        return () if self.ice is None else self.ice.for_holder(label)

    async def restore(self, sessionmaker: async_sessionmaker[AsyncSession], node: MediaNode) -> int:
        """Rebuild every room the node lost, with its tokens, and report each meeting; how many."""
        async with sessionmaker() as db:
            rooms = list(await db.scalars(select(MediaRoom).where(MediaRoom.node == node.name)))
            restored = await self._rebuild(db, rooms, node)
            await db.commit()
        await self._report(restored)
        return len(restored)

    async def move_off(
        self, sessionmaker: async_sessionmaker[AsyncSession], dead: MediaNode
    ) -> list[int]:
        """Move the live engagements of a node that stopped answering to the others, their
        rooms made there with every admitted token, and report each meeting (pages rejoin)."""
        async with sessionmaker() as db:
            await intend_to_write(db)
            moved = await self.nodes.move_off(db, dead)
            await db.commit()
            rooms = list(
                await db.scalars(select(MediaRoom).where(MediaRoom.engagement_id.in_(moved)))
            )
            for room in rooms:
                node = self.nodes.named(room.node)
                if node is not None:
                    await self._rebuild(db, [room], node)
        await self._report(moved)
        return moved

    async def _rebuild(
        self, db: AsyncSession, rooms: list[MediaRoom], node: MediaNode
    ) -> list[int]:
        made = []
        for room in rooms:
            spec = await self._spec(db, room)
            if spec.allowed and await node.rooms.ensure_room(spec):
                made.append(room.engagement_id)
        return made

    async def _report(self, engagement_ids: list[int]) -> None:
        if engagement_ids and self.on_restored is not None:
            await self.on_restored(engagement_ids)
