"""Engagements' meetings as Janus VideoRooms: create, admit, revoke, kick, mute, recreate.

Janus itself checks who may enter. A room's ``allowed`` list holds one token per admitted
person, checked when someone joins as a participant; ``require_pvtid`` makes every
subscription name a participant who so joined. (Janus 1.1.2 does not check ``allowed`` for
subscribers: without ``require_pvtid`` anyone who knows a room and feed number can watch.)
The room's secret and the plugin's admin key stay on the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.errors import MediaUnavailable
from summitry.media.janus import (
    JSON,
    Handle,
    JanusClient,
    JanusClientError,
    JanusError,
    JanusUnavailable,
    Session,
    connect,
)
from summitry.media.models import MediaRoom

if TYPE_CHECKING:
    from summitry.media.watch import RoomsExtension

VIDEOROOM = "janus.plugin.videoroom"
MAX_PUBLISHERS = 100
ROOM_ID_LIMIT = 2**53
"""Room and participant numbers travel through JavaScript, where integers end at 2**53."""

# VideoRoom error codes (Janus 1.1.2), as observed.
NO_SUCH_ROOM = 426
ROOM_EXISTS = 427
NO_SUCH_PARTICIPANT = 428  # "No such user", "No such feed", "No such stream"
PROBE_MEMORY = 30.0
"""Seconds a probe's id is remembered as ours (the watcher may list it after it left)."""

AllowedAction = Literal["add", "remove", "enable", "disable"]


def new_room_id() -> int:
    return 1 + secrets.randbelow(ROOM_ID_LIMIT - 1)


def new_room_secret() -> str:
    return secrets.token_urlsafe(32)  # 43 characters


def new_join_token() -> str:
    return secrets.token_urlsafe(24)


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


@dataclass(frozen=True)
class Participant:
    """Someone in a room, as Janus sees them (``id`` is the feed number)."""

    id: int
    display: str
    publisher: bool
    talking: bool


async def plugin_request(
    handle: Handle, body: JSON, tolerate: frozenset[int] = frozenset()
) -> JSON | None:
    """One synchronous plugin request, its failures as ``MediaUnavailable`` with Janus's reason;
    None when Janus answers one of the ``tolerate`` codes."""
    try:
        return await handle.request(body)
    except JanusError as err:
        if err.code in tolerate:
            return None
        raise MediaUnavailable(
            f"the media server refused {body.get('request')}: {err.reason} ({err.code})"
        ) from err
    except JanusUnavailable as err:
        raise MediaUnavailable(f"the media server does not answer: {err}") from err


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
        self._probes: dict[int, float] = {}
        self.extensions: list[RoomsExtension] = []
        """Rooms made beside the VideoRooms (language channels): revoked, closed and watched
        with them."""

    def probed(self, participant_id: int) -> bool:
        """Whether ``participant_id`` was one of our own short joins to read the publishers."""
        now = time.monotonic()
        self._probes = {k: t for k, t in self._probes.items() if now - t < PROBE_MEMORY}
        return participant_id in self._probes

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

    async def _request(self, body: JSON, *, tolerate: frozenset[int] = frozenset()) -> JSON | None:
        """One synchronous VideoRoom request; None when Janus answers a ``tolerate`` code."""
        return await plugin_request(await self._management(), body, tolerate)

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
        await self._request(self._create_body(room_id, secret, description, allowed))

    async def ensure_room(self, spec: RoomSpec) -> bool:
        """Create the room unless Janus has it (after a restart it has none); True if created."""
        if await self.room_exists(spec.room_id):
            return False
        body = self._create_body(spec.room_id, spec.secret, spec.description, list(spec.allowed))
        # Made by someone else in between: as good as made by us.
        return await self._request(body, tolerate=frozenset({ROOM_EXISTS})) is not None

    recreate_room = ensure_room

    def _create_body(self, room_id: int, secret: str, description: str, allowed: list[str]) -> JSON:
        body: JSON = {
            "request": "create",
            "room": room_id,
            "permanent": False,  # Summitry's database is the record; Janus keeps nothing
            "description": description,
            "secret": secret,
            "is_private": True,
            "allowed": [*allowed, moderator_token(secret)],
            "require_pvtid": True,
            "publishers": MAX_PUBLISHERS,
            "audiolevel_event": True,
            "audio_active_packets": 50,
            "audio_level_average": 25,
            "notify_joining": True,
        }
        if self.admin_key is not None:
            body["admin_key"] = self.admin_key
        return body

    async def room_exists(self, room_id: int) -> bool:
        reply = await self._request({"request": "exists", "room": room_id})
        return bool(reply and reply.get("exists"))

    async def destroy_room(self, room_id: int, secret: str) -> None:
        """Close the room and put everyone out; a room already gone is fine."""
        await self._request(
            {"request": "destroy", "room": room_id, "secret": secret, "permanent": False},
            tolerate=frozenset({NO_SUCH_ROOM}),
        )

    async def set_allowed(
        self, room_id: int, secret: str, tokens: list[str], action: AllowedAction
    ) -> list[str]:
        """Add or remove entry tokens (or switch the check on or off); the tokens now allowed."""
        body: JSON = {"request": "allowed", "room": room_id, "secret": secret, "action": action}
        if action in ("add", "remove"):
            body["allowed"] = tokens
        reply = await self._request(body) or {}
        own = moderator_token(secret)
        return [t for t in reply.get("allowed", []) if isinstance(t, str) and t != own]

    async def kick(self, room_id: int, secret: str, participant_id: int) -> bool:
        """Put a participant out (their media stops); False if they were not there."""
        reply = await self._request(
            {"request": "kick", "room": room_id, "secret": secret, "id": participant_id},
            tolerate=frozenset({NO_SUCH_ROOM, NO_SUCH_PARTICIPANT}),
        )
        return reply is not None

    async def mute(self, room_id: int, secret: str, participant_id: int, muted: bool) -> bool:
        """Stop (or let through again) a publisher's audio in Janus; False if not publishing."""
        mids = await self._audio_mids(room_id, secret, participant_id)
        for mid in mids:
            await self._request(
                {
                    "request": "moderate",
                    "room": room_id,
                    "secret": secret,
                    "id": participant_id,
                    "mid": mid,
                    "mute": muted,
                },
                tolerate=frozenset({NO_SUCH_PARTICIPANT}),  # left in between
            )
        return bool(mids)

    async def _audio_mids(self, room_id: int, secret: str, participant_id: int) -> list[str]:
        return (await self.publishers(room_id, secret)).get(participant_id, [])

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

    async def publishers(self, room_id: int, secret: str) -> dict[int, list[str]]:
        """Each publisher's feed number and the mids of its audio; empty if no such room."""
        # Only participants are told the streams: join for a moment with the server's own
        # token, read the publishers, leave.
        handle = await self.attach(VIDEOROOM)
        probe = new_room_id()
        self._probes[probe] = time.monotonic()  # noted before the join: the watcher spares it
        try:
            joined = await handle.message(
                {
                    "request": "join",
                    "ptype": "publisher",
                    "room": room_id,
                    "id": probe,
                    "token": moderator_token(secret),
                    "display": "Summitry",
                }
            )
            with contextlib.suppress(JanusError):
                await handle.message({"request": "leave"})
        except JanusError as err:
            if err.code == NO_SUCH_ROOM:
                return {}
            raise MediaUnavailable(f"the media server refused a join: {err}") from err
        except JanusUnavailable as err:
            raise MediaUnavailable(f"the media server does not answer: {err}") from err
        finally:
            with contextlib.suppress(JanusClientError):
                await handle.detach()
        return _audio_mids_of(joined.data)

    async def forward_audio(
        self, room_id: int, secret: str, publisher_id: int, mid: str, port: int, pt: int
    ) -> int | None:
        """Send a publisher's audio as plain RTP to ``127.0.0.1:port``; the forwarder's id, or
        None if the publisher has gone."""
        body: JSON = {
            "request": "rtp_forward",
            "room": room_id,
            "secret": secret,
            "publisher_id": publisher_id,
            "host": "127.0.0.1",
            "host_family": "ipv4",
            "streams": [{"mid": mid, "port": port, "pt": pt}],
        }
        if self.admin_key is not None:
            body["admin_key"] = self.admin_key
        reply = await self._request(body, tolerate=frozenset({NO_SUCH_ROOM, NO_SUCH_PARTICIPANT}))
        if reply is None:
            return None
        for stream in reply.get("forwarders", []):
            if isinstance(stream, dict) and "stream_id" in stream:
                return int(stream["stream_id"])
        return None

    async def participants(self, room_id: int) -> list[Participant]:
        """Who is in the room now; empty if Janus has no such room."""
        reply = await self._request(
            {"request": "listparticipants", "room": room_id},
            tolerate=frozenset({NO_SUCH_ROOM}),
        )
        listed = reply.get("participants", []) if reply else []
        return [_participant(p) for p in listed if isinstance(p, dict)]


def _audio_mids_of(joined: JSON) -> dict[int, list[str]]:
    return {
        int(publisher["id"]): [
            str(s["mid"])
            for s in publisher.get("streams", [])
            if isinstance(s, dict) and s.get("type") == "audio" and "mid" in s
        ]
        for publisher in joined.get("publishers", [])
        if isinstance(publisher, dict) and "id" in publisher
    }


def _participant(data: dict[str, Any]) -> Participant:
    return Participant(
        id=int(data.get("id", 0)),
        display=str(data.get("display", "")),
        publisher=data.get("publisher") is True,
        talking=data.get("talking") is True,
    )


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
