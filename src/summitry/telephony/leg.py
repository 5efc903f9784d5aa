"""One telephone leg's media in Janus: its voice in the VideoRoom, its ear an AudioBridge mix.

The caller's voice is published into the meeting's VideoRoom by an aiortc peer connection,
with the attendee's own token and feed number, so the floor's ``moderate`` mutes it exactly
as it mutes a browser (ADR 0005). The caller hears an AudioBridge room of the call's own,
into which the VideoRoom ``rtp_forward``s the audio of every other publisher; the room sends
its mix as G.711 to the relay's bridge socket.

(The same "forward every publisher into an AudioBridge room" is what interpretation's
language channels need; this module keeps the smallest version a telephone needs.)
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

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

from summitry.media.janus import (
    JSON,
    Handle,
    JanusClient,
    JanusClientError,
    Session,
    connect,
)
from summitry.media.rooms import VIDEOROOM
from summitry.telephony import g711
from summitry.telephony.relay import FRAME_SECONDS

logger = logging.getLogger(__name__)

AUDIOBRIDGE = "janus.plugin.audiobridge"
OPUS_PT = 111
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
        self._client: JanusClient | None = None
        self._session: Session | None = None
        self._publisher: Handle | None = None
        self._pc: RTCPeerConnection | None = None
        self._mix_room = 1 + secrets.randbelow(2**52)
        self._mix_secret = secrets.token_urlsafe(24)
        self._forwards: dict[int, Handle] = {}
        self._listener: Handle | None = None
        self._pump: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> tuple[str, int]:
        """Enter the room, publish the voice, make the mix; the AudioBridge's RTP address."""
        try:
            self._client = await connect(self.access.janus_url)
            self._session = await self._client.create_session()
            await self._make_mix_room()
            self.bridge_address = await self._hear(self._mix_room)
            publishers = await self._publish()
            for publisher in publishers:
                await self._forward(publisher)
            self._pump = asyncio.create_task(self._follow(), name="telephone leg events")
        except (JanusClientError, KeyError, ValueError) as err:
            await self.close()
            raise LegError(f"the media server refused the telephone leg: {err}") from err
        return self.bridge_address

    async def _hear(self, room_id: int, token: str | None = None) -> tuple[str, int]:
        """Join ``room_id`` as the caller's ear (a muted plain-RTP leg sending its mix to the
        relay), then leave the room heard before; Janus's address for the new leg."""
        assert self._session is not None  # noqa: S101 - set by start()
        listener = await self._session.attach(AUDIOBRIDGE)
        body: JSON = {
            "request": "join",
            "room": room_id,
            "display": f"{self.access.display} (ear)",
            "muted": True,  # the caller is heard through the VideoRoom, not here
            "codec": "pcmu",
            "rtp": {"ip": "127.0.0.1", "port": self.bridge_port, "payload_type": 0},
        }
        if token is not None:
            body["token"] = token
        try:
            joined = await listener.message(body)
        except JanusClientError:
            with contextlib.suppress(JanusClientError):
                await listener.detach()
            raise
        rtp_info = joined.data.get("rtp", {})
        address = (str(rtp_info.get("ip")), int(rtp_info.get("port", 0)))
        before, self._listener = self._listener, listener
        if before is not None:
            with contextlib.suppress(JanusClientError):
                await before.detach()
        return address

    async def hear_floor(self) -> tuple[str, int]:
        """The caller hears the floor again (the call's own mix)."""
        try:
            return await self._hear(self._mix_room)
        except JanusClientError as err:
            raise LegError(f"the media server refused the floor's mix: {err}") from err

    async def hear_channel(self, room_id: int, token: str) -> tuple[str, int]:
        """The caller hears a language channel's AudioBridge room (its booth over the floor),
        entering with the server's own token: only interpreters' tokens are let in otherwise."""
        try:
            return await self._hear(room_id, token)
        except JanusClientError as err:
            raise LegError(f"the media server refused the language channel: {err}") from err

    async def wait_lost(self) -> None:
        """Return when the connection to Janus closes (Janus stopped or crashed)."""
        if self._client is not None:
            await self._client.wait_closed()

    async def _make_mix_room(self) -> None:
        assert self._session is not None  # noqa: S101 - set by start()
        handle = await self._session.attach(AUDIOBRIDGE)
        body: JSON = {
            "request": "create",
            "room": self._mix_room,
            "secret": self._mix_secret,
            "permanent": False,
            "is_private": True,
            "allow_rtp_participants": True,
            "sampling_rate": 16000,
            "description": f"telephone {self.access.feed_id}",
        }
        if self.access.admin_key:
            body["admin_key"] = self.access.admin_key
        await handle.request(body)
        await handle.detach()

    async def _publish(self) -> list[JSON]:
        assert self._session is not None  # noqa: S101
        handle = self._publisher = await self._session.attach(VIDEOROOM)
        joined = await handle.message(
            {
                "request": "join",
                "ptype": "publisher",
                "room": self.access.room_id,
                "id": self.access.feed_id,
                "token": self.access.token,
                "display": self.access.display,
            }
        )
        pc = self._pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        pc.addTransceiver(self.voice, direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        offer = {"type": "offer", "sdp": pc.localDescription.sdp}
        reply = await handle.message({"request": "publish", "audio": True}, jsep=offer)
        if reply.jsep is None:
            raise LegError("Janus answered the publication without an SDP")
        await pc.setRemoteDescription(RTCSessionDescription(**reply.jsep))
        await handle.trickle()  # aiortc does not trickle: every candidate is in the offer
        events: list[Any] = []
        async with asyncio.timeout(self.media_within):
            while True:
                event = await handle.next_event()
                if event.kind == "webrtcup":
                    break
                events.append(event)
        publishers = list(joined.data.get("publishers", []))
        for event in events:
            publishers += list(event.data.get("publishers", []))
        return [p for p in publishers if isinstance(p, dict)]

    async def _follow(self) -> None:
        handle = self._publisher
        if handle is None:
            return
        async for event in handle.events():
            data = event.data
            try:
                for publisher in data.get("publishers", []) if event.kind == "event" else []:
                    await self._forward(publisher)
                gone = data.get("unpublished") or data.get("leaving")
                if isinstance(gone, int):
                    await self._unforward(gone)
            except JanusClientError as err:
                logger.warning("telephone leg %s: %s", self.access.feed_id, err)

    async def _forward(self, publisher: JSON) -> None:
        """Bring one publisher's audio into the caller's mix (never the caller's own)."""
        feed = publisher.get("id")
        if not isinstance(feed, int) or feed == self.access.feed_id:
            return
        mids = [
            str(s["mid"])
            for s in publisher.get("streams", [])
            if isinstance(s, dict) and s.get("type") == "audio" and "mid" in s
        ]
        async with self._lock:
            if not mids or feed in self._forwards or self._session is None:
                return
            handle = await self._session.attach(AUDIOBRIDGE)
            joined = await handle.message(
                {
                    "request": "join",
                    "room": self._mix_room,
                    "secret": self._mix_secret,
                    "display": f"feed {feed}",
                    "codec": "opus",
                    "prebuffer": FORWARD_PREBUFFER,
                    "rtp": {"payload_type": OPUS_PT},  # no address: Janus only receives
                }
            )
            port = int(joined.data.get("rtp", {}).get("port", 0))
            body: JSON = {
                "request": "rtp_forward",
                "room": self.access.room_id,
                "secret": self.access.secret,
                "publisher_id": feed,
                "host": "127.0.0.1",
                "host_family": "ipv4",
                "streams": [{"mid": mids[0], "port": port, "pt": OPUS_PT}],
            }
            if self.access.admin_key:
                body["admin_key"] = self.access.admin_key
            assert self._publisher is not None  # noqa: S101
            await self._publisher.request(body)
            self._forwards[feed] = handle

    async def _unforward(self, feed: int) -> None:
        # The publisher's forwarders went with it; its AudioBridge leg is ours to end.
        async with self._lock:
            handle = self._forwards.pop(feed, None)
        if handle is not None:
            with contextlib.suppress(JanusClientError):
                await handle.detach()

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        if self._pc is not None:
            await self._pc.close()
        if self._session is not None:
            with contextlib.suppress(JanusClientError):
                handle = await self._session.attach(AUDIOBRIDGE)
                await handle.request(
                    {"request": "destroy", "room": self._mix_room, "secret": self._mix_secret}
                )
            with contextlib.suppress(JanusClientError):
                await self._session.destroy()
        if self._client is not None:
            await self._client.close()
