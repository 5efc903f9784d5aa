"""Language channels on Janus: a booth's AudioBridge mix, the floor fed in, listeners outside.

One channel is three things in Janus, all made by Summitry with the channel's secret:

- an **AudioBridge room** where the booth's interpreters speak (only their tokens are in its
  ``allowed`` list) and where every floor publisher's audio arrives at reduced gain: the
  VideoRoom ``rtp_forward``s it to a receive-only plain-RTP participant that Summitry holds
  (``volume`` is a clean linear gain there);
- a **Streaming mountpoint** that takes the room's mix (the AudioBridge ``rtp_forward``s it);
- listeners **watch the mountpoint**. They receive and cannot send: an AudioBridge participant
  can unmute itself whatever a moderator did (Janus 1.1.2, found by trying), a viewer of a
  mountpoint has nothing to unmute. It also costs Janus no mix per listener.

Interpreters are not in the room either, for the same reason: each speaks into a seat of their
own, heard in the room through a gate that only Summitry opens (``media.seats``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field, replace

from summitry.errors import MediaUnavailable
from summitry.media.janus import JSON, Handle, JanusClientError, JanusError, JanusUnavailable
from summitry.media.rooms import MeetingRooms, moderator_token, plugin_request
from summitry.media.seats import Gate, Seat, close_seat, open_seat, set_seat_on_air

AUDIOBRIDGE = "janus.plugin.audiobridge"
STREAMING = "janus.plugin.streaming"
OPUS_PT = 111
PREBUFFER_PACKETS = 2
"""Each buffered 20 ms packet adds its 20 ms to the interpretation's delay: 2 was measured
here at 104–140 ms from the interpreter's mouth to the listener's ear."""
SAMPLING_RATE = 48000

# Error codes as observed with Janus 1.1.2.
AB_NO_SUCH_ROOM = 485
AB_ROOM_EXISTS = 486
AB_NO_SUCH_USER = 492
ST_NO_SUCH_MOUNTPOINT = 455
ST_MOUNTPOINT_EXISTS = 456

logger = logging.getLogger(__name__)


def listening_pin(secret: str, generation: int | str) -> str:
    """The mountpoint's PIN: derived from the channel's secret, changed when someone is removed."""
    return hmac.new(secret.encode(), f"listen {generation}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChannelSpec:
    """What it takes to (re)create one channel exactly."""

    room_id: int
    secret: str = field(repr=False)
    language: str
    interpreters: tuple[str, ...] = field(default=(), repr=False)
    """Tokens let straight into the room (benchmarks, tests); the router seats interpreters."""
    pin: str = field(default="", repr=False)
    seats: tuple[Seat, ...] = ()
    """The booth's interpreters in the meeting, each speaking from a seat of their own."""
    on_air: int | None = None
    """The feed number of the interpreter whose gate is open."""
    admitted: frozenset[str] = field(default=frozenset(), repr=False)
    """Everyone's media tokens: when one is gone, so is the PIN its holder knew."""


@dataclass
class _Feed:
    handle: Handle
    forwarder: int
    publisher: int
    volume: int


@dataclass
class _Channel:
    spec: ChannelSpec
    feeds: dict[int, _Feed] = field(default_factory=dict)
    """Publisher feed number → the plain-RTP participant that brings its audio in."""
    gates: dict[int, Gate] = field(default_factory=dict)
    """Interpreter feed number → the gate that brings their seat's mix in."""


class LanguageChannels:
    """Makes and feeds the channels of every engagement, over the meeting rooms' connection."""

    def __init__(self, rooms: MeetingRooms) -> None:
        self.rooms = rooms
        self._channels: dict[int, _Channel] = {}
        self._handles: dict[str, Handle] = {}

    async def _handle(self, plugin: str) -> Handle:
        found = self._handles.get(plugin)
        if found is not None and _alive(found):
            return found
        handle = await self.rooms.attach(plugin)
        self._handles[plugin] = handle
        return handle

    async def _request(
        self, plugin: str, body: JSON, *, tolerate: frozenset[int] = frozenset()
    ) -> JSON | None:
        handle = await self._handle(plugin)
        if self.rooms.admin_key is not None and body.get("request") in (
            "create",
            "rtp_forward",
        ):
            body = {**body, "admin_key": self.rooms.admin_key}
        return await plugin_request(handle, body, tolerate)

    async def ensure(self, spec: ChannelSpec) -> bool:
        """Make the channel's room, mountpoint and mix forwarder unless made; True if made now."""
        known = self._channels.get(spec.room_id)
        if known is not None and await self._room_exists(spec.room_id):
            if known.spec != spec:
                await self._update(known, spec)
            return False
        # Whatever an earlier Summitry left in Janus feeds from a session that is dying: start
        # clean (pages rejoin by themselves).
        await self.destroy(spec)
        await self._create_room(spec)
        port = await self._create_mountpoint(spec)
        await self._request(
            AUDIOBRIDGE,
            {
                "request": "rtp_forward",
                "room": spec.room_id,
                "secret": spec.secret,
                "host": "127.0.0.1",
                "host_family": "ipv4",
                "port": port,
                "codec": "opus",
                "ptype": OPUS_PT,
            },
        )
        channel = self._channels[spec.room_id] = _Channel(spec)
        for seat in spec.seats:
            await self._seat(channel, seat)
        return True

    def _ab(self, body: JSON, tolerate: frozenset[int]) -> Awaitable[JSON | None]:
        return self._request(AUDIOBRIDGE, body, tolerate=tolerate)

    async def _seat(self, channel: _Channel, seat: Seat) -> None:
        spec = channel.spec
        on = seat.feed_id == spec.on_air
        gate = await open_seat(
            lambda: self.rooms.attach(AUDIOBRIDGE), self._ab, spec.room_id, spec.secret, seat, on
        )
        channel.gates[seat.feed_id] = gate

    async def _room_exists(self, room_id: int) -> bool:
        reply = await self._request(AUDIOBRIDGE, {"request": "exists", "room": room_id})
        return bool(reply and reply.get("exists"))

    async def _create_room(self, spec: ChannelSpec) -> None:
        await self._request(
            AUDIOBRIDGE,
            {
                "request": "create",
                "room": spec.room_id,
                "permanent": False,
                "description": f"channel {spec.language}",
                "secret": spec.secret,
                "is_private": True,
                "allowed": [*spec.interpreters, moderator_token(spec.secret)],
                "sampling_rate": SAMPLING_RATE,
                "allow_rtp_participants": True,
                "default_prebuffering": PREBUFFER_PACKETS,
                "audiolevel_event": False,
            },
            tolerate=frozenset({AB_ROOM_EXISTS}),
        )

    async def _create_mountpoint(self, spec: ChannelSpec) -> int:
        await self._request(
            STREAMING,
            {"request": "destroy", "id": spec.room_id, "secret": spec.secret},
            tolerate=frozenset({ST_NO_SUCH_MOUNTPOINT}),
        )
        reply = await self._request(
            STREAMING,
            {
                "request": "create",
                "type": "rtp",
                "id": spec.room_id,
                "description": f"channel {spec.language}",
                "secret": spec.secret,
                "pin": spec.pin,
                "is_private": True,
                "permanent": False,
                "media": [{"type": "audio", "mid": "a", "port": 0, "pt": OPUS_PT, "codec": "opus"}],
            },
        )
        ports = (reply or {}).get("stream", {}).get("ports", [])
        for port in ports:
            if isinstance(port, dict) and port.get("type") == "audio":
                return int(port["port"])
        raise MediaUnavailable("the media server made a channel without a port")

    async def _update(self, channel: _Channel, spec: ChannelSpec) -> None:
        old = channel.spec
        added = sorted(set(spec.interpreters) - set(old.interpreters))
        gone = sorted(set(old.interpreters) - set(spec.interpreters))
        for action, tokens in (("add", added), ("remove", gone)):
            if tokens:
                await self._request(
                    AUDIOBRIDGE,
                    {
                        "request": "allowed",
                        "room": spec.room_id,
                        "secret": spec.secret,
                        "action": action,
                        "allowed": tokens,
                    },
                )
        seated = {s.feed_id for s in spec.seats}
        for feed_id in sorted(set(channel.gates) - seated):
            await close_seat(
                self._ab, spec.room_id, spec.secret, feed_id, channel.gates.pop(feed_id)
            )
        channel.spec = spec
        for seat in spec.seats:
            if seat.feed_id not in channel.gates or not _alive(channel.gates[seat.feed_id].handle):
                await self._seat(channel, seat)
        if spec.on_air != old.on_air:
            await self._switch(spec, old.on_air, spec.on_air)
        if spec.pin != old.pin:
            await self._new_pin(spec, kick=bool(old.admitted - spec.admitted))

    async def _new_pin(self, spec: ChannelSpec, *, kick: bool) -> None:
        # A new PIN keeps out whoever left; the others are given it and come back.
        await self._request(
            STREAMING,
            {"request": "edit", "id": spec.room_id, "secret": spec.secret, "new_pin": spec.pin},
            tolerate=frozenset({ST_NO_SUCH_MOUNTPOINT}),
        )
        if kick:
            await self._request(
                STREAMING,
                {"request": "kick_all", "id": spec.room_id, "secret": spec.secret},
                tolerate=frozenset({ST_NO_SUCH_MOUNTPOINT}),
            )

    async def _switch(self, spec: ChannelSpec, off: int | None, on: int | None) -> None:
        # Close first, then open: two interpreters are never heard at once.
        if off is not None:
            await set_seat_on_air(self._ab, spec.room_id, spec.secret, off, False)
        if on is not None:
            await set_seat_on_air(self._ab, spec.room_id, spec.secret, on, True)

    async def revoke(self, spec: ChannelSpec, token: str, feed_id: int) -> None:
        """Put out whoever entered with ``token``: out of the room and the seat, and every
        listener made to come back with ``spec``'s new PIN; ``spec`` is the channel after."""
        gone = frozenset({AB_NO_SUCH_ROOM, AB_NO_SUCH_USER})
        await self._ab(
            {
                "request": "allowed",
                "room": spec.room_id,
                "secret": spec.secret,
                "action": "remove",
                "allowed": [token],
            },
            gone,
        )
        await self._ab(
            {"request": "kick", "room": spec.room_id, "secret": spec.secret, "id": feed_id}, gone
        )
        channel = self._channels.get(spec.room_id)
        gate = channel.gates.pop(feed_id, None) if channel is not None else None
        await close_seat(self._ab, spec.room_id, spec.secret, feed_id, gate)
        await self._new_pin(spec, kick=True)
        if channel is not None:
            channel.spec = spec

    def seats(self) -> list[tuple[ChannelSpec, Seat]]:
        """Every seat made, with its channel: the watcher checks who is in them."""
        return [(c.spec, s) for c in self._channels.values() for s in c.spec.seats]

    async def destroy(self, spec: ChannelSpec) -> None:
        """Close the channel: its room, seats and mountpoint go, and everyone in them."""
        channel = self._channels.pop(spec.room_id, None)
        if channel is not None:
            for feed in channel.feeds.values():
                await _detach(feed.handle)
        gates = channel.gates if channel is not None else {}
        for feed_id in {s.feed_id for s in spec.seats} | set(gates):
            await close_seat(self._ab, spec.room_id, spec.secret, feed_id, gates.get(feed_id))
        await self._request(
            STREAMING,
            {"request": "destroy", "id": spec.room_id, "secret": spec.secret},
            tolerate=frozenset({ST_NO_SUCH_MOUNTPOINT}),
        )
        await self._request(
            AUDIOBRIDGE,
            {"request": "destroy", "room": spec.room_id, "secret": spec.secret},
            tolerate=frozenset({AB_NO_SUCH_ROOM}),
        )

    async def feed_floor(
        self,
        spec: ChannelSpec,
        video_room: int,
        video_secret: str,
        publishers: dict[int, list[str]],
        volume: int,
    ) -> None:
        """Bring every publisher's audio into the channel at ``volume`` percent; drop those
        who stopped publishing."""
        channel = self._channels.get(spec.room_id)
        if channel is None:
            raise MediaUnavailable(f"the {spec.language} channel is not open")
        for publisher in list(channel.feeds):
            if publisher not in publishers:
                await _detach(channel.feeds.pop(publisher).handle)
        for publisher, mids in publishers.items():
            feed = channel.feeds.get(publisher)
            if feed is not None and _alive(feed.handle):
                if feed.volume != volume:
                    await self._set_volume(feed, volume)
                continue
            if not mids:
                continue
            made = await self._feed(spec, video_room, video_secret, publisher, mids[0], volume)
            if made is not None:
                channel.feeds[publisher] = made

    async def _feed(
        self,
        spec: ChannelSpec,
        video_room: int,
        video_secret: str,
        publisher: int,
        mid: str,
        volume: int,
    ) -> _Feed | None:
        handle = await self.rooms.attach(AUDIOBRIDGE)
        try:
            # No address of ours: Janus only receives on this leg.
            joined = await handle.message(
                {
                    "request": "join",
                    "room": spec.room_id,
                    "token": moderator_token(spec.secret),
                    "display": f"floor {publisher}",
                    "muted": False,
                    "volume": volume,
                    "rtp": {"payload_type": OPUS_PT},
                    "codec": "opus",
                }
            )
            port = int(joined.data.get("rtp", {}).get("port", 0))
            if not port:
                raise MediaUnavailable("the media server gave the floor feed no port")
            forwarder = await self.rooms.forward_audio(
                video_room, video_secret, publisher, mid, port, OPUS_PT
            )
        except JanusError as err:
            await _detach(handle)
            raise MediaUnavailable(f"the media server refused a floor feed: {err}") from err
        except (JanusUnavailable, MediaUnavailable):
            await _detach(handle)
            raise
        if forwarder is None:  # the publisher left in between
            await _detach(handle)
            return None
        return _Feed(handle, forwarder, publisher, volume)

    async def _set_volume(self, feed: _Feed, volume: int) -> None:
        try:
            await feed.handle.message({"request": "configure", "volume": volume})
        except JanusClientError as err:
            raise MediaUnavailable(f"the media server refused a volume: {err}") from err
        feed.volume = volume

    async def set_on_air(self, spec: ChannelSpec, participant_id: int, on_air: bool) -> bool:
        """Open or close an interpreter's gate into the channel; False if they have none."""
        channel = self._channels.get(spec.room_id)
        if channel is not None:  # the log will say so too: the next update must not undo it
            was = channel.spec.on_air
            if on_air or was == participant_id:
                channel.spec = replace(channel.spec, on_air=participant_id if on_air else None)
        return await set_seat_on_air(self._ab, spec.room_id, spec.secret, participant_id, on_air)


def _alive(handle: Handle) -> bool:
    return not handle.client.closed and handle.session.handles.get(handle.id) is handle


async def _detach(handle: Handle) -> None:
    with contextlib.suppress(JanusClientError):
        await handle.detach()
