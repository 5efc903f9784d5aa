"""The Janus nodes that carry the media, and which node carries each engagement.

The placement policy (docs/architecture.md, "Several Janus nodes"): an engagement is placed
when its room is first needed, and stays on its node while that node lives. A confidential
engagement goes only to nodes reserved for confidential engagements, if any are configured
(else anywhere); the others never go to a reserved node. Among the nodes that answer, the one
with the most room left (its capacity less the live engagements it carries) is chosen, the
first listed on a tie. A node that stops answering for longer than its grace has its
engagements moved to others by the same rule; their pages and telephone legs rejoin on the
``media_restored`` event, as after a restart.

The node of a room is in the database (``MediaRoom.node``): every replica reads the same.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from summitry.engagements.models import Confidentiality
from summitry.engagements.operations import engagement_row
from summitry.errors import MediaUnavailable
from summitry.media.models import MediaRoom
from summitry.media.rooms import MeetingRooms, media_room_for
from summitry.meeting.grants import admitting_engagements

if TYPE_CHECKING:
    from summitry.media.server import JanusProcess
    from summitry.media.watch import RoomsExtension

DEFAULT_CAPACITY = 50
"""Live engagements a node takes unless told otherwise (a VideoRoom of 10–20 people each)."""


@dataclass(eq=False)
class MediaNode:
    """One Janus: how Summitry reaches it, how browsers do, and whether it answers now."""

    name: str
    rooms: MeetingRooms
    public_url: str
    capacity: int = DEFAULT_CAPACITY
    confidential: bool = False
    """Reserved for confidential engagements."""
    process: JanusProcess | None = None
    """The private Janus Summitry runs itself (one-node installations), or None."""
    healthy: bool | None = None
    """Whether this process reaches it now; None: not tried yet (placed on, as if it did)."""
    down_since: float | None = field(default=None, repr=False)
    """``time.monotonic()`` when this process lost it; None while it answers."""

    def answering(self) -> None:
        self.healthy, self.down_since = True, None

    def lost(self) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
        self.healthy = False

    def down_for(self) -> float:
        """Seconds since it stopped answering (0 while it answers)."""
        return 0.0 if self.down_since is None else time.monotonic() - self.down_since


class MediaNodes:
    """Every node, in the order configured, and the placement of engagements on them."""

    def __init__(self, nodes: list[MediaNode]) -> None:
        if not nodes:
            raise ValueError("at least one media node is needed")
        self._nodes = {node.name: node for node in nodes}
        self.extensions: list[RoomsExtension] = []
        """Rooms made beside the VideoRooms (language channels): revoked, closed and watched
        with them, on the engagement's node."""

    @classmethod
    def one(cls, rooms: MeetingRooms, public_url: str = "") -> MediaNodes:
        """A single node (the private Janus, or the one ``janus_url`` names)."""
        return cls([MediaNode("main", rooms, public_url or rooms.url)])

    def __iter__(self) -> Iterator[MediaNode]:
        return iter(self._nodes.values())

    def __len__(self) -> int:
        return len(self._nodes)

    @property
    def first(self) -> MediaNode:
        return next(iter(self._nodes.values()))

    def named(self, name: str | None) -> MediaNode | None:
        return self._nodes.get(name or "")

    def rooms_of(self, name: str) -> MeetingRooms:
        """The connection to a node by name; MediaUnavailable if no such node is configured."""
        node = self.named(name)
        if node is None:
            raise MediaUnavailable(f"no media node is named {name!r}")
        return node.rooms

    def origins(self) -> str:
        """Every node's public origin, for the pages' Content-Security-Policy."""
        return " ".join(dict.fromkeys(node.public_url for node in self))

    async def placed(self, db: AsyncSession, engagement_id: int) -> tuple[MediaRoom, MediaNode]:
        """The engagement's room record and the node that carries it, placing it if needed.

        Only the database: the caller commits, and makes the room on the node.
        """
        room = await media_room_for(db, engagement_id)
        node = self.named(room.node)
        if node is not None:
            return room, node
        return room, await self._place(db, room)

    async def carrying(self, db: AsyncSession, engagement_id: int) -> MediaNode | None:
        """The node the engagement is on, if it is placed on one still configured."""
        name = await db.scalar(
            select(MediaRoom.node).where(MediaRoom.engagement_id == engagement_id)
        )
        return self.named(name)

    async def _place(self, db: AsyncSession, room: MediaRoom, *, leaving: str = "") -> MediaNode:
        chosen = await self.choose(db, room.engagement_id, avoid=leaving)
        # Another replica may place it at the same moment: the first write stands.
        placed = await db.execute(
            update(MediaRoom)
            .where(MediaRoom.id == room.id, _node_is(room.node))
            .values(node=chosen.name)
            .execution_options(synchronize_session=False)
        )
        await db.refresh(room, ["node"])
        if getattr(placed, "rowcount", 1) == 0:
            node = self.named(room.node)
            if node is not None:
                return node
        return chosen

    async def choose(self, db: AsyncSession, engagement_id: int, *, avoid: str = "") -> MediaNode:
        """The node the policy gives an engagement now; MediaUnavailable if none can take it."""
        engagement = await engagement_row(db, engagement_id)
        confidential = engagement.confidentiality == Confidentiality.CONFIDENTIAL
        reserved = any(node.confidential for node in self)

        def may_carry(node: MediaNode) -> bool:
            if node.confidential:  # reserved: confidential engagements only
                return confidential
            return not (confidential and reserved)  # those go to a reserved node if any

        allowed = [node for node in self if node.name != avoid and may_carry(node)]
        answering = [node for node in allowed if node.healthy is not False]
        load = await self.load(db)
        free = [node for node in answering if load.get(node.name, 0) < node.capacity]
        if not free:
            kind = "confidential " if confidential and reserved else ""
            why = "full" if answering else "not answering"
            raise MediaUnavailable(
                f"every media node for {kind}engagements is {why}: the meeting has no media "
                "until one can take it"
            )
        # max() keeps the first of equals: the order configured breaks ties.
        return max(free, key=lambda node: node.capacity - load.get(node.name, 0))

    async def load(self, db: AsyncSession) -> dict[str, int]:
        """Live engagements (someone holds a media grant) on each node."""
        live = await admitting_engagements(db)
        if not live:
            return {}
        rows = await db.execute(
            select(MediaRoom.node, func.count())
            .where(MediaRoom.engagement_id.in_(live), MediaRoom.node.is_not(None))
            .group_by(MediaRoom.node)
        )
        return {name: count for name, count in rows.all() if name is not None}

    async def move_off(self, db: AsyncSession, dead: MediaNode) -> list[int]:
        """Place elsewhere every live engagement of a node that stopped answering, and set the
        others to be placed at their next use; the live engagements moved."""
        live = await admitting_engagements(db)
        rooms = list(await db.scalars(select(MediaRoom).where(MediaRoom.node == dead.name)))
        moved = []
        for room in rooms:
            if room.engagement_id in live:
                try:
                    await self._place(db, room, leaving=dead.name)
                except MediaUnavailable:
                    continue  # nowhere to go: it stays, and is tried again
                moved.append(room.engagement_id)
            else:
                room.node = None
        return moved


def _node_is(name: str | None) -> ColumnElement[bool]:
    return MediaRoom.node.is_(None) if name is None else MediaRoom.node == name
