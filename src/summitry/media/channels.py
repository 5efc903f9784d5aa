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
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
from dataclasses import dataclass, field

from summitry.errors import MediaUnavailable
from summitry.media.janus import JSON, Handle, JanusClientError, JanusError, JanusUnavailable
from summitry.media.rooms import MeetingRooms, moderator_token, plugin_request

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


def listening_pin(secret: str, generation: int) -> str:
    """The mountpoint's PIN: derived from the channel's secret, changed when someone is removed."""
    return hmac.new(secret.encode(), f"listen {generation}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ChannelSpec:
    """What it takes to (re)create one channel exactly."""

    room_id: int
    secret: str = field(repr=False)
    language: str
    interpreters: tuple[str, ...] = field(default=(), repr=False)
    """Entry tokens of the booth's interpreters: nobody else can speak into the channel."""
    pin: str = field(default="", repr=False)


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
        self._channels[spec.room_id] = _Channel(spec)
        return True

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
        if spec.pin != old.pin:
            # A new PIN keeps out whoever was removed; the others are given it and come back.
            await self._request(
                STREAMING,
                {"request": "edit", "id": spec.room_id, "secret": spec.secret, "new_pin": spec.pin},
            )
            await self._request(
                STREAMING,
                {"request": "kick_all", "id": spec.room_id, "secret": spec.secret},
                tolerate=frozenset({ST_NO_SUCH_MOUNTPOINT}),
            )
        channel.spec = spec

    async def destroy(self, spec: ChannelSpec) -> None:
        channel = self._channels.pop(spec.room_id, None)
        if channel is not None:
            for feed in channel.feeds.values():
                await _detach(feed.handle)
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
        """Open or close an interpreter's microphone in the channel; False if not there."""
        reply = await self._request(
            AUDIOBRIDGE,
            {
                "request": "unmute" if on_air else "mute",
                "room": spec.room_id,
                "secret": spec.secret,
                "id": participant_id,
            },
            tolerate=frozenset({AB_NO_SUCH_USER, AB_NO_SUCH_ROOM}),
        )
        return reply is not None


def _alive(handle: Handle) -> bool:
    return not handle.client.closed and handle.session.handles.get(handle.id) is handle


async def _detach(handle: Handle) -> None:
    with contextlib.suppress(JanusClientError):
        await handle.detach()
