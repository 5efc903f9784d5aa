"""The VideoRoom plugin, typed: meeting rooms, their entry tokens, publishers, forwarders."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from summitry.errors import MediaUnavailable
from summitry.media.janus import JSON, JanusClientError, JanusUnavailable
from summitry.media.plugin import LOOPBACK, RoomPlugin

PLUGIN = "janus.plugin.videoroom"
MAX_PUBLISHERS = 100

# VideoRoom error codes (Janus 1.1.2), as observed.
NO_SUCH_ROOM = 426
ROOM_EXISTS = 427
NO_SUCH_PARTICIPANT = 428  # "No such user", "No such feed", "No such stream"
_GONE = frozenset({NO_SUCH_ROOM, NO_SUCH_PARTICIPANT})

AllowedAction = Literal["add", "remove", "enable", "disable"]


@dataclass(frozen=True)
class Participant:
    """Someone in a room, as Janus sees them (``id`` is the feed number)."""

    id: int
    display: str
    publisher: bool
    talking: bool


@dataclass(frozen=True)
class Publisher:
    """A feed in a room and the mids of its audio streams."""

    id: int
    audio_mids: tuple[str, ...]


@dataclass(frozen=True)
class RoomChange:
    """What a participant's handle was told: feeds that started, and one that went."""

    kind: str
    publishers: tuple[Publisher, ...] = ()
    gone: int | None = None


@dataclass(frozen=True)
class NewRoom:
    """A private room that only holders of an ``allowed`` token can enter."""

    room_id: int
    secret: str = field(repr=False)
    description: str
    allowed: tuple[str, ...] = field(repr=False)


def publishers_in(data: JSON) -> list[Publisher]:
    """The publishers a join reply or an event lists."""
    return [
        Publisher(
            int(p["id"]),
            tuple(
                str(s["mid"])
                for s in p.get("streams", [])
                if isinstance(s, dict) and s.get("type") == "audio" and "mid" in s
            ),
        )
        for p in data.get("publishers", [])
        if isinstance(p, dict) and isinstance(p.get("id"), int)
    ]


def _participant(data: dict[str, Any]) -> Participant:
    return Participant(
        id=int(data.get("id", 0)),
        display=str(data.get("display", "")),
        publisher=data.get("publisher") is True,
        talking=data.get("talking") is True,
    )


class VideoRoom(RoomPlugin):
    """VideoRoom requests over one handle."""

    plugin = PLUGIN

    async def create(self, room: NewRoom, *, exist_ok: bool = False) -> bool:
        """Make the room; False if it existed already and ``exist_ok``."""
        settings: JSON = {
            "allowed": list(room.allowed),
            "require_pvtid": True,
            "publishers": MAX_PUBLISHERS,
            "audiolevel_event": True,
            "audio_active_packets": 50,
            "audio_level_average": 25,
            "notify_joining": True,
            # Only Summitry (with the room's secret) starts or stops recording, not a publisher.
            "lock_record": True,
        }
        return await self._create_room(room, settings, ROOM_EXISTS if exist_ok else None)

    async def destroy(self, room_id: int, secret: str) -> None:
        """Close the room and put everyone out; a room already gone is fine."""
        body = {"request": "destroy", "room": room_id, "secret": secret, "permanent": False}
        await self._request(body, frozenset({NO_SUCH_ROOM}))

    async def record(self, room_id: int, secret: str, folder: str | None) -> bool:
        """Record every publisher's streams into ``folder`` (one file per stream, named by
        Janus with the feed's number and the time it began), or stop (``None``); False if the
        room is gone."""
        if folder is not None:
            edit = {"request": "edit", "room": room_id, "secret": secret, "new_rec_dir": folder}
            if await self._request(edit, frozenset({NO_SUCH_ROOM})) is None:
                return False
        body = {"request": "enable_recording", "room": room_id, "secret": secret}
        body["record"] = folder is not None
        return await self._request(body, frozenset({NO_SUCH_ROOM})) is not None

    async def allowed(
        self, room_id: int, secret: str, tokens: Sequence[str], action: AllowedAction
    ) -> list[str] | None:
        """Add or remove entry tokens (or switch the check on or off); the tokens now allowed,
        or None if Janus has no such room."""
        body: JSON = {"request": "allowed", "room": room_id, "secret": secret, "action": action}
        if action in ("add", "remove"):
            body["allowed"] = list(tokens)
        reply = await self._request(body, frozenset({NO_SUCH_ROOM}))
        if reply is None:
            return None
        return [t for t in reply.get("allowed", []) if isinstance(t, str)]

    async def kick(self, room_id: int, secret: str, participant_id: int) -> bool:
        """Put a participant out (their media stops); False if they were not there."""
        body = {"request": "kick", "room": room_id, "secret": secret, "id": participant_id}
        return await self._request(body, _GONE) is not None

    async def moderate(
        self, room_id: int, secret: str, participant_id: int, mid: str, muted: bool
    ) -> None:
        """Stop (or let through again) one stream of a publisher; one who left is fine."""
        body = {
            "request": "moderate",
            "room": room_id,
            "secret": secret,
            "id": participant_id,
            "mid": mid,
            "mute": muted,
        }
        await self._request(body, frozenset({NO_SUCH_PARTICIPANT}))

    async def list_participants(self, room_id: int) -> list[Participant]:
        """Who is in the room now; empty if Janus has no such room."""
        body = {"request": "listparticipants", "room": room_id}
        reply = await self._request(body, frozenset({NO_SUCH_ROOM}))
        listed = reply.get("participants", []) if reply else []
        return [_participant(p) for p in listed if isinstance(p, dict)]

    async def rtp_forward(
        self, room_id: int, secret: str, publisher_id: int, mid: str, port: int, pt: int
    ) -> int | None:
        """Send a publisher's audio as plain RTP to ``LOOPBACK:port``; the forwarder's id, or
        None if the publisher has gone."""
        body: JSON = {
            "request": "rtp_forward",
            "room": room_id,
            "secret": secret,
            "publisher_id": publisher_id,
            "host": LOOPBACK,
            "host_family": "ipv4",
            "streams": [{"mid": mid, "port": port, "pt": pt}],
        }
        reply = await self._request(self._admin(body), _GONE)
        for stream in (reply or {}).get("forwarders", []):
            if isinstance(stream, dict) and "stream_id" in stream:
                return int(stream["stream_id"])
        return None

    async def join_publisher(
        self, room_id: int, feed_id: int, token: str, display: str
    ) -> list[Publisher] | None:
        """Enter as a publisher with ``token``; the feeds already there, or None if no room."""
        body = {
            "request": "join",
            "ptype": "publisher",
            "room": room_id,
            "id": feed_id,
            "token": token,
            "display": display,
        }
        joined = await self._message(body, "a join", tolerate=frozenset({NO_SUCH_ROOM}))
        return None if joined is None else publishers_in(joined.data)

    async def leave(self) -> None:
        """Leave the room this handle joined; already out is fine."""
        with contextlib.suppress(MediaUnavailable):
            await self._message({"request": "leave"}, "a leave")

    async def publish_audio(self, offer: JSON) -> JSON:
        """Publish the audio ``offer`` describes (every candidate in it); Janus's answer."""
        reply = await self._message({"request": "publish", "audio": True}, "a publication", offer)
        if reply is None or reply.jsep is None:
            raise MediaUnavailable("Janus answered the publication without an SDP")
        try:
            await self.handle.trickle()
        except JanusClientError as err:
            raise MediaUnavailable(f"the media server refused a trickle: {err}") from err
        return reply.jsep

    async def wait_up(self, within: float) -> list[Publisher]:
        """Wait until the publication's media flows; the feeds announced meanwhile."""
        found: list[Publisher] = []
        try:
            async with asyncio.timeout(within):
                while True:
                    event = await self.handle.next_event()
                    if event.kind == "webrtcup":
                        return found
                    found += publishers_in(event.data)
        except TimeoutError as err:
            raise MediaUnavailable(f"no media flowed within {within} s") from err
        except JanusUnavailable as err:
            raise MediaUnavailable(f"the media server does not answer: {err}") from err

    async def changes(self) -> AsyncIterator[RoomChange]:
        """Every feed started or gone, until the handle ends."""
        async for event in self.handle.events():
            data = event.data
            started = publishers_in(data) if event.kind == "event" else []
            gone = data.get("unpublished") or data.get("leaving")
            yield RoomChange(event.kind, tuple(started), gone if isinstance(gone, int) else None)
