"""One telephone leg's media in Janus: its voice in the VideoRoom, its ear an AudioBridge mix.

The caller's voice is published into the meeting's VideoRoom by an aiortc peer connection,
with the attendee's own token and feed number, so the floor's ``moderate`` mutes it exactly
as it mutes a browser (ADR 0005). The caller hears an AudioBridge room of the call's own,
into which the VideoRoom ``rtp_forward``s the audio of every other publisher; the room sends
its mix as G.711 to the relay's bridge socket.

Every request to Janus goes through media's plugin adapters; feeding a publisher into the
mix is ``media.floor``'s, as it is for interpretation's language channels.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import secrets
import time
from dataclasses import dataclass, field

import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame

from summitry.errors import MediaUnavailable
from summitry.media.audiobridge import AudioBridge, BridgeRoom, RtpEntry
from summitry.media.connection import MediaConnection
from summitry.media.floor import FloorFeed, FloorSource, feed_publisher
from summitry.media.plugin import LOOPBACK
from summitry.media.videoroom import Publisher, VideoRoom
from summitry.telephony import g711
from summitry.telephony.relay import FRAME_SECONDS

logger = logging.getLogger(__name__)

PHONE_RATE = 8000
_QUEUE_FRAMES = 10
"""About 200 ms of the caller's voice may wait for the encoder; older frames are dropped."""
FORWARD_PREBUFFER = 2
"""Packets the AudioBridge buffers per forwarded voice: about 20 ms each (fewer, less delay)."""


class LegError(Exception):
    """The leg could not be set up in Janus."""


class PhoneVoice(MediaStreamTrack):
    """The caller's voice as an audio track: 8 kHz frames, paced at 20 ms, silence in gaps."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._frames: asyncio.Queue[np.ndarray] = asyncio.Queue(_QUEUE_FRAMES)
        self._samples = int(PHONE_RATE * FRAME_SECONDS)
        self._pts = 0
        self._start: float | None = None

    def push(self, mulaw: bytes) -> None:
        if self._frames.full():
            self._frames.get_nowait()
        self._frames.put_nowait(g711.decode(mulaw))

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            await asyncio.sleep(max(0.0, self._start + self._pts / PHONE_RATE - time.monotonic()))
        try:
            samples = self._frames.get_nowait()
        except asyncio.QueueEmpty:
            samples = np.zeros(self._samples, dtype=np.int16)
        if len(samples) != self._samples:
            samples = np.resize(samples, self._samples)
        frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = PHONE_RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, PHONE_RATE)
        self._pts += self._samples
        return frame


@dataclass(frozen=True)
class RoomAccess:
    """What the leg needs to enter the meeting's VideoRoom as the caller."""

    janus_url: str
    admin_key: str | None = field(repr=False)
    room_id: int
    secret: str = field(repr=False)
    token: str = field(repr=False)
    feed_id: int
    display: str


class TelephoneLeg:
    """A caller's presence in Janus: publisher, private mix room, forwarders."""

    media_within = 10.0

    def __init__(self, access: RoomAccess, bridge_port: int) -> None:
        self.access = access
        self.bridge_port = bridge_port
        self.voice = PhoneVoice()
        self.bridge_address: tuple[str, int] | None = None
        self._media: MediaConnection | None = None
        self._publisher: VideoRoom | None = None
        self._pc: RTCPeerConnection | None = None
        self._mix_room = 1 + secrets.randbelow(2**52)
        self._mix_secret = secrets.token_urlsafe(24)
        self._forwards: dict[int, FloorFeed] = {}
        self._listener: AudioBridge | None = None
        self._pump: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> tuple[str, int]:
        """Enter the room, publish the voice, make the mix; the AudioBridge's RTP address."""
        try:
            self._media = await MediaConnection.open(
                self.access.janus_url, self.access.admin_key or None
            )
            await self._make_mix_room()
            self.bridge_address = await self._hear(self._mix_room)
            publishers = await self._publish()
            for publisher in publishers:
                await self._forward(publisher)
            self._pump = asyncio.create_task(self._follow(), name="telephone leg events")
        except (MediaUnavailable, KeyError, ValueError) as err:
            await self.close()
            raise LegError(f"the media server refused the telephone leg: {err}") from err
        return self.bridge_address

    def _connection(self) -> MediaConnection:
        if self._media is None:
            raise MediaUnavailable("the telephone leg has not started")
        return self._media

    async def _hear(self, room_id: int, token: str | None = None) -> tuple[str, int]:
        """Join ``room_id`` as the caller's ear (a muted plain-RTP leg sending its mix to the
        relay), then leave the room heard before; Janus's address for the new leg."""
        listener = await self._connection().adapter(AudioBridge)
        entry = RtpEntry(
            f"{self.access.display} (ear)",
            token=token,
            muted=True,  # the caller is heard through the VideoRoom, not here
            codec="pcmu",
            payload_type=0,
            send_to=(LOOPBACK, self.bridge_port),
        )
        try:
            address = await listener.join_rtp(room_id, entry, "the caller's ear")
        except MediaUnavailable:
            await listener.detach()
            raise
        before, self._listener = self._listener, listener
        if before is not None:
            await before.detach()
        return address

    async def hear_floor(self) -> tuple[str, int]:
        """The caller hears the floor again (the call's own mix)."""
        try:
            return await self._hear(self._mix_room)
        except MediaUnavailable as err:
            raise LegError(f"the media server refused the floor's mix: {err}") from err

    async def hear_channel(self, room_id: int, token: str) -> tuple[str, int]:
        """The caller hears a language channel's AudioBridge room (its booth over the floor),
        entering with the server's own token: only interpreters' tokens are let in otherwise."""
        try:
            return await self._hear(room_id, token)
        except MediaUnavailable as err:
            raise LegError(f"the media server refused the language channel: {err}") from err

    async def wait_lost(self) -> None:
        """Return when the connection to Janus closes (Janus stopped or crashed)."""
        if self._media is not None:
            await self._media.wait_closed()

    async def _make_mix_room(self) -> None:
        bridge = await self._connection().adapter(AudioBridge)
        room = BridgeRoom(
            self._mix_room,
            self._mix_secret,
            f"telephone {self.access.feed_id}",
            sampling_rate=16000,
            allow_rtp_participants=True,
        )
        await bridge.create(room)
        await bridge.detach()

    async def _publish(self) -> list[Publisher]:
        videoroom = self._publisher = await self._connection().adapter(VideoRoom)
        access = self.access
        joined = await videoroom.join_publisher(
            access.room_id, access.feed_id, access.token, access.display
        )
        if joined is None:
            raise MediaUnavailable("the meeting's room is not in the media server")
        pc = self._pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        pc.addTransceiver(self.voice, direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        # aiortc does not trickle: every candidate is in the offer.
        answer = await videoroom.publish_audio({"type": "offer", "sdp": pc.localDescription.sdp})
        await pc.setRemoteDescription(RTCSessionDescription(**answer))
        return joined + await videoroom.wait_up(self.media_within)

    async def _follow(self) -> None:
        videoroom = self._publisher
        if videoroom is None:
            return
        async for change in videoroom.changes():
            try:
                for publisher in change.publishers:
                    await self._forward(publisher)
                if change.gone is not None:
                    await self._unforward(change.gone)
            except MediaUnavailable as err:
                logger.warning("telephone leg %s: %s", self.access.feed_id, err)

    async def _forward(self, publisher: Publisher) -> None:
        """Bring one publisher's audio into the caller's mix (never the caller's own)."""
        if publisher.id == self.access.feed_id or not publisher.audio_mids:
            return
        async with self._lock:
            if publisher.id in self._forwards or self._publisher is None:
                return
            source = FloorSource(self._publisher, self.access.room_id, self.access.secret)
            entry = RtpEntry("floor", secret=self._mix_secret, prebuffer=FORWARD_PREBUFFER)
            bridge = await self._connection().adapter(AudioBridge)
            feed = await feed_publisher(
                bridge, source, self._mix_room, entry, publisher.id, publisher.audio_mids[0]
            )
            if feed is not None:
                self._forwards[publisher.id] = feed

    async def _unforward(self, feed: int) -> None:
        # The publisher's forwarders went with it; its AudioBridge leg is ours to end.
        async with self._lock:
            gone = self._forwards.pop(feed, None)
        if gone is not None:
            await gone.bridge.detach()

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        if self._pc is not None:
            await self._pc.close()
        if self._media is not None:
            with contextlib.suppress(MediaUnavailable):
                bridge = await self._media.adapter(AudioBridge)
                await bridge.destroy(self._mix_room, self._mix_secret)
            await self._media.close()
