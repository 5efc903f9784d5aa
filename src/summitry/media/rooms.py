"""Engagements' meetings as Janus VideoRooms: create, admit, revoke, kick, mute, recreate.

Janus itself checks who may enter. A room's ``allowed`` list holds one token per admitted
person, checked when someone joins as a participant; ``require_pvtid`` makes every
subscription name a participant who so joined. (Janus 1.1.2 does not check ``allowed`` for
subscribers: without ``require_pvtid`` anyone who knows a room and feed number can watch.)
The room's secret and the plugin's admin key stay on the server.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.errors import MediaUnavailable
from summitry.media.janus import (
    JSON,
    Handle,
    JanusClient,
    JanusClientError,
    JanusUnavailable,
    Session,
    connect,
)
from summitry.media.models import MediaRoom
from summitry.media.plugin import PluginAdapter
from summitry.media.videoroom import PLUGIN as VIDEOROOM
from summitry.media.videoroom import (
    AllowedAction,
    NewRoom,
    Participant,
    Publisher,
    VideoRoom,
    publishers_in,
)

if TYPE_CHECKING:
    from summitry.media.watch import RoomsExtension

__all__ = ["VIDEOROOM", "AllowedAction", "Participant"]

A = TypeVar("A", bound=PluginAdapter)

ROOM_ID_LIMIT = 2**53
"""Room and participant numbers travel through JavaScript, where integers end at 2**53."""
PROBE_IDS = 16
"""Participant ids the server's own short joins (``publishers``) may take in a room."""


def new_room_id() -> int:
    return 1 + secrets.randbelow(ROOM_ID_LIMIT - 1)


def new_room_secret() -> str:
    return secrets.token_urlsafe(32)  # 43 characters


def new_join_token() -> str:
    return secrets.token_urlsafe(24)


def derived_id(secret: str, what: str) -> int:
    """A room or participant number only the holder of the room's secret can know."""
    digest = hmac.new(secret.encode(), what.encode(), hashlib.sha256).digest()
    return 1 + int.from_bytes(digest[:8], "big") % (ROOM_ID_LIMIT - 1)


def probe_ids(secret: str) -> frozenset[int]:
    """The ids of the server's own short joins to a room: derived from its secret, so that the
    watch in any replica knows another replica's probe (and nobody else can take one)."""
    return frozenset(derived_id(secret, f"probe {n}") for n in range(PROBE_IDS))


def moderator_token(secret: str) -> str:
    """The server's own entry token, derived from the room's secret: never given out."""
    return hmac.new(secret.encode(), b"summitry moderator", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class RoomSpec:
    """What it takes to (re)create a room exactly: number, secret and admitted tokens."""

    room_id: int
    secret: str = field(repr=False)
    description: str = ""
    allowed: tuple[str, ...] = field(default=(), repr=False)


class MeetingRooms:
    """VideoRoom requests over one management connection, opened again when it dropped."""

    def __init__(
        self, url: str, *, admin_key: str | None = None, request_timeout: float = 10.0
    ) -> None:
        self.url = url
        self.admin_key = admin_key
        self.request_timeout = request_timeout
        self._client: JanusClient | None = None
        self._session: Session | None = None
        self._handle: Handle | None = None
        self._lock = asyncio.Lock()
        self.extensions: list[RoomsExtension] = []
        """Rooms made beside the VideoRooms (language channels): revoked, closed and watched
        with them."""

    @property
    def connected(self) -> bool:
        return self._client is not None and not self._client.closed

    async def connect(self) -> None:
        """Open the connection now (it is otherwise opened by the first request)."""
        await self._management()

    async def close(self) -> None:
        async with self._lock:
            if self._client is not None:
                await self._client.close()
            self._client = self._session = self._handle = None

    async def wait_disconnected(self) -> None:
        """Return when the connection drops: Janus stopped, crashed or hung up on us."""
        if self._client is not None:
            await self._client.wait_closed()

    async def _management(self) -> Handle:
        async with self._lock:
            if self._handle is not None and self.connected:
                return self._handle
            if self._client is not None:
                await self._client.close()
            self._client = self._session = self._handle = None
            try:
                client = await connect(self.url, request_timeout=self.request_timeout)
            except JanusUnavailable as err:
                raise MediaUnavailable(f"the media server does not answer: {err}") from err
            try:
                session = await client.create_session()
                handle = await session.attach(VIDEOROOM)
            except JanusClientError as err:
                await client.close()
                raise MediaUnavailable(f"the media server does not answer: {err}") from err
            self._client, self._session, self._handle = client, session, handle
            return handle

    async def management(self) -> VideoRoom:
        """The VideoRoom adapter over the management handle."""
        return VideoRoom(await self._management(), self.admin_key)

    async def info(self) -> JSON:
        """Janus's ``server_info`` (for health checks)."""
        await self._management()
        client = self._client
        if client is None:
            raise MediaUnavailable("the media server does not answer")
        try:
            return await client.info()
        except JanusClientError as err:
            raise MediaUnavailable(f"the media server does not answer: {err}") from err

    async def create_room(
        self, room_id: int, secret: str, description: str, allowed: list[str]
    ) -> None:
        """A private room that only holders of an ``allowed`` token can enter."""
        await (await self.management()).create(_new_room(room_id, secret, description, allowed))

    async def ensure_room(self, spec: RoomSpec) -> bool:
        """Create the room unless Janus has it (after a restart it has none); True if created."""
        if await self.room_exists(spec.room_id):
            return False
        room = _new_room(spec.room_id, spec.secret, spec.description, list(spec.allowed))
        # Made by someone else in between: as good as made by us.
        return await (await self.management()).create(room, exist_ok=True)

    recreate_room = ensure_room

    async def room_exists(self, room_id: int) -> bool:
        return await (await self.management()).exists(room_id)

    async def destroy_room(self, room_id: int, secret: str) -> None:
        """Close the room and put everyone out; a room already gone is fine."""
        await (await self.management()).destroy(room_id, secret)

    async def set_allowed(
        self, room_id: int, secret: str, tokens: list[str], action: AllowedAction
    ) -> list[str]:
        """Add or remove entry tokens (or switch the check on or off); the tokens now allowed
        (none if Janus has no such room)."""
        allowed = await (await self.management()).allowed(room_id, secret, tokens, action)
        own = moderator_token(secret)
        return [t for t in allowed or [] if t != own]

    async def allow(self, room_id: int, secret: str, token: str) -> bool:
        """Let one more entry token in; False if Janus has no such room."""
        return await (await self.management()).allowed(room_id, secret, [token], "add") is not None

    async def kick(self, room_id: int, secret: str, participant_id: int) -> bool:
        """Put a participant out (their media stops); False if they were not there."""
        return await (await self.management()).kick(room_id, secret, participant_id)

    async def mute(self, room_id: int, secret: str, participant_id: int, muted: bool) -> bool:
        """Stop (or let through again) a publisher's audio in Janus; False if not publishing."""
        mids = (await self.publishers(room_id, secret)).get(participant_id, [])
        for mid in mids:
            await (await self.management()).moderate(room_id, secret, participant_id, mid, muted)
        return bool(mids)

    async def attach(self, plugin: str) -> Handle:
        """A handle of our own on ``plugin``, in the management session (gone if Janus goes)."""
        await self._management()
        session = self._session
        if session is None:
            raise MediaUnavailable("the media server does not answer")
        try:
            return await session.attach(plugin)
        except JanusClientError as err:
            raise MediaUnavailable(f"the media server does not answer: {err}") from err

    async def adapter(self, kind: type[A]) -> A:
        """A plugin adapter on a handle of its own (``AudioBridge``, ``Streaming``...)."""
        return kind(await self.attach(kind.plugin), self.admin_key)

    async def publishers(self, room_id: int, secret: str) -> dict[int, list[str]]:
        """Each publisher's feed number and the mids of its audio; empty if no such room."""
        # Only participants are told the streams: join for a moment with the server's own
        # token, read the publishers, leave.
        probe = await self.adapter(VideoRoom)
        # Another replica may be probing the same room with the same id: then another.
        ids = secrets.SystemRandom().sample(sorted(probe_ids(secret)), 3)
        try:
            for attempt, probe_id in enumerate(ids, 1):
                try:
                    joined = await probe.join_publisher(
                        room_id, probe_id, moderator_token(secret), "Summitry"
                    )
                    break
                except MediaUnavailable:
                    if attempt == len(ids):
                        raise
            if joined is not None:
                await probe.leave()
        finally:
            await probe.detach()
        return _mids(joined or [])

    async def participants(self, room_id: int) -> list[Participant]:
        """Who is in the room now; empty if Janus has no such room."""
        return await (await self.management()).list_participants(room_id)


def _mids(publishers: list[Publisher]) -> dict[int, list[str]]:
    return {p.id: list(p.audio_mids) for p in publishers}


def _audio_mids_of(joined: JSON) -> dict[int, list[str]]:
    """Each publisher a join reply lists, with the mids of its audio."""
    return _mids(publishers_in(joined))


def _new_room(room_id: int, secret: str, description: str, allowed: list[str]) -> NewRoom:
    # The server's own token is always in: it reads the publishers (``publishers``).
    return NewRoom(room_id, secret, description, (*allowed, moderator_token(secret)))


async def media_room_for(db: AsyncSession, engagement_id: int) -> MediaRoom:
    """The engagement's room record, made with a fresh number and secret on first use.

    Only the database: the caller commits, and creates the room in Janus with ``RoomSpec``.
    """
    found = await db.scalar(select(MediaRoom).where(MediaRoom.engagement_id == engagement_id))
    if found is not None:
        return found
    room = MediaRoom(
        engagement_id=engagement_id, janus_room_id=new_room_id(), secret=new_room_secret()
    )
    try:
        async with db.begin_nested():
            db.add(room)
    except IntegrityError:
        # Another request made it first (engagement_id is unique): use theirs.
        made = await db.scalar(select(MediaRoom).where(MediaRoom.engagement_id == engagement_id))
        if made is None:
            raise
        return made
    return room


def spec_of(room: MediaRoom, description: str, allowed: list[str]) -> RoomSpec:
    return RoomSpec(room.janus_room_id, room.secret, description, tuple(allowed))
