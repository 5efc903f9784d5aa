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

import hashlib
import hmac
import logging
from dataclasses import dataclass, field, replace
from typing import TypeVar

from summitry.errors import MediaUnavailable
from summitry.media.audiobridge import PLUGIN as AUDIOBRIDGE
from summitry.media.audiobridge import AudioBridge, BridgeRoom, RtpEntry
from summitry.media.floor import FloorFeed, FloorSource, feed_publisher
from summitry.media.nodes import MediaNodes
from summitry.media.plugin import PluginAdapter
from summitry.media.rooms import moderator_token
from summitry.media.seats import Gate, Seat, close_seat, open_seat, set_seat_on_air
from summitry.media.streaming import Streaming

__all__ = ["AUDIOBRIDGE"]

PREBUFFER_PACKETS = 2
"""Each buffered 20 ms packet adds its 20 ms to the interpretation's delay: 2 was measured
here at 104–140 ms from the interpreter's mouth to the listener's ear."""

logger = logging.getLogger(__name__)

A = TypeVar("A", bound=PluginAdapter)


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
    node: str = "main"
    """The media node the channel is on: its engagement's (``media.nodes``)."""


@dataclass
class _Channel:
    spec: ChannelSpec
    feeds: dict[int, FloorFeed] = field(default_factory=dict)
    """Publisher feed number → the plain-RTP participant that brings its audio in."""
    gates: dict[int, Gate] = field(default_factory=dict)
    """Interpreter feed number → the gate that brings their seat's mix in."""


class LanguageChannels:
    """Makes and feeds the channels of every engagement, over the meeting rooms' connection."""

    def __init__(self, nodes: MediaNodes) -> None:
        self.nodes = nodes
        self._channels: dict[int, _Channel] = {}
        self._adapters: dict[tuple[str, str], PluginAdapter] = {}

    async def _shared(self, kind: type[A], node: str) -> A:
        """The adapter of ``kind`` all the channels on a node share, attached again if it went."""
        found = self._adapters.get((node, kind.plugin))
        if isinstance(found, kind) and found.alive:
            return found
        made = await self.nodes.rooms_of(node).adapter(kind)
        self._adapters[node, kind.plugin] = made
        return made

    async def _ab(self, node: str) -> AudioBridge:
        return await self._shared(AudioBridge, node)

    async def _st(self, node: str) -> Streaming:
        return await self._shared(Streaming, node)

    async def ensure(self, spec: ChannelSpec) -> bool:
        """Make the channel's room, mountpoint and mix forwarder unless made; True if made now."""
        known = self._channels.get(spec.room_id)
        if known is not None and known.spec.node != spec.node:
            # The engagement moved off a node that stopped answering: made anew on its new one.
            del self._channels[spec.room_id]
            known = None
        if known is not None and await (await self._ab(spec.node)).exists(spec.room_id):
            if known.spec != spec:
                await self._update(known, spec)
            return False
        # Whatever an earlier Summitry left in Janus feeds from a session that is dying: start
        # clean (pages rejoin by themselves).
        await self.destroy(spec)
        room = BridgeRoom(
            spec.room_id,
            spec.secret,
            f"channel {spec.language}",
            allowed=(*spec.interpreters, moderator_token(spec.secret)),
            allow_rtp_participants=True,
            prebuffering=PREBUFFER_PACKETS,
            audiolevel_event=False,
        )
        await (await self._ab(spec.node)).create(room, exist_ok=True)
        streaming = await self._st(spec.node)
        await streaming.destroy(spec.room_id, spec.secret)
        port = await streaming.create_audio(
            spec.room_id, spec.secret, f"channel {spec.language}", spec.pin
        )
        await (await self._ab(spec.node)).rtp_forward(spec.room_id, spec.secret, port)
        channel = self._channels[spec.room_id] = _Channel(spec)
        for seat in spec.seats:
            await self._seat(channel, seat)
        return True

    async def _seat(self, channel: _Channel, seat: Seat) -> None:
        spec = channel.spec
        on = seat.feed_id == spec.on_air
        gate = await open_seat(
            lambda: self.nodes.rooms_of(spec.node).adapter(AudioBridge),
            await self._ab(spec.node),
            spec.room_id,
            spec.secret,
            seat,
            on,
        )
        channel.gates[seat.feed_id] = gate

    async def _update(self, channel: _Channel, spec: ChannelSpec) -> None:
        old = channel.spec
        added = sorted(set(spec.interpreters) - set(old.interpreters))
        gone = sorted(set(old.interpreters) - set(spec.interpreters))
        if added:
            await (await self._ab(spec.node)).allowed(spec.room_id, spec.secret, "add", added)
        if gone:
            await (await self._ab(spec.node)).allowed(spec.room_id, spec.secret, "remove", gone)
        seated = {s.feed_id for s in spec.seats}
        for feed_id in sorted(set(channel.gates) - seated):
            gate = channel.gates.pop(feed_id)
            await close_seat(await self._ab(spec.node), spec.room_id, spec.secret, feed_id, gate)
        channel.spec = spec
        for seat in spec.seats:
            if seat.feed_id not in channel.gates or not channel.gates[seat.feed_id].bridge.alive:
                await self._seat(channel, seat)
        if spec.on_air != old.on_air:
            await self._switch(spec, old.on_air, spec.on_air)
        if spec.pin != old.pin:
            await self._new_pin(spec, kick=bool(old.admitted - spec.admitted))

    async def _new_pin(self, spec: ChannelSpec, *, kick: bool) -> None:
        # A new PIN keeps out whoever left; the others are given it and come back.
        streaming = await self._st(spec.node)
        await streaming.set_pin(spec.room_id, spec.secret, spec.pin)
        if kick:
            await streaming.kick_all(spec.room_id, spec.secret)

    async def _switch(self, spec: ChannelSpec, off: int | None, on: int | None) -> None:
        # Close first, then open: two interpreters are never heard at once.
        if off is not None:
            await set_seat_on_air(await self._ab(spec.node), spec.room_id, spec.secret, off, False)
        if on is not None:
            await set_seat_on_air(await self._ab(spec.node), spec.room_id, spec.secret, on, True)

    async def revoke(self, spec: ChannelSpec, token: str, feed_id: int) -> None:
        """Put out whoever entered with ``token``: out of the room and the seat, and every
        listener made to come back with ``spec``'s new PIN; ``spec`` is the channel after."""
        bridge = await self._ab(spec.node)
        await bridge.allowed(spec.room_id, spec.secret, "remove", [token], missing_ok=True)
        await bridge.kick(spec.room_id, spec.secret, feed_id)
        channel = self._channels.get(spec.room_id)
        gate = channel.gates.pop(feed_id, None) if channel is not None else None
        await close_seat(bridge, spec.room_id, spec.secret, feed_id, gate)
        await self._new_pin(spec, kick=True)
        if channel is not None:
            channel.spec = spec

    async def forget(self) -> None:
        """Let go of every channel without destroying it: another replica keeps them now (and
        makes them afresh, so what this one fed them with goes)."""
        channels, self._channels = self._channels, {}
        for channel in channels.values():
            for handle in [f.bridge for f in channel.feeds.values()] + [
                g.bridge for g in channel.gates.values()
            ]:
                await handle.detach()  # one already gone with its Janus is fine

    def seats(self) -> list[tuple[ChannelSpec, Seat]]:
        """Every seat made, with its channel: the watcher checks who is in them."""
        return [(c.spec, s) for c in self._channels.values() for s in c.spec.seats]

    async def destroy(self, spec: ChannelSpec) -> None:
        """Close the channel: its room, seats and mountpoint go, and everyone in them."""
        channel = self._channels.pop(spec.room_id, None)
        if channel is not None:
            for feed in channel.feeds.values():
                await feed.bridge.detach()
        gates = channel.gates if channel is not None else {}
        for feed_id in {s.feed_id for s in spec.seats} | set(gates):
            await close_seat(
                await self._ab(spec.node), spec.room_id, spec.secret, feed_id, gates.get(feed_id)
            )
        await (await self._st(spec.node)).destroy(spec.room_id, spec.secret)
        await (await self._ab(spec.node)).destroy(spec.room_id, spec.secret)

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
                await channel.feeds.pop(publisher).bridge.detach()
        rooms = self.nodes.rooms_of(spec.node)  # the engagement's VideoRoom is on it too
        source = FloorSource(await rooms.management(), video_room, video_secret)
        entry = RtpEntry("floor", token=moderator_token(spec.secret), volume=volume)
        for publisher, mids in publishers.items():
            feed = channel.feeds.get(publisher)
            if feed is not None and feed.bridge.alive:
                if feed.volume != volume:
                    await feed.bridge.set_volume(volume)
                    feed.volume = volume
                continue
            if not mids:
                continue
            bridge = await rooms.adapter(AudioBridge)
            made = await feed_publisher(bridge, source, spec.room_id, entry, publisher, mids[0])
            if made is not None:
                channel.feeds[publisher] = made

    async def set_on_air(self, spec: ChannelSpec, participant_id: int, on_air: bool) -> bool:
        """Open or close an interpreter's gate into the channel; False if they have none."""
        channel = self._channels.get(spec.room_id)
        if channel is not None:  # the log will say so too: the next update must not undo it
            was = channel.spec.on_air
            if on_air or was == participant_id:
                channel.spec = replace(channel.spec, on_air=participant_id if on_air else None)
        return await set_seat_on_air(
            await self._ab(spec.node), spec.room_id, spec.secret, participant_id, on_air
        )
