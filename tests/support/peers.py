"""aiortc peers for Janus VideoRoom that check content: frames that name their sender, tones.

A publisher sends video whose luma blocks carry its sender id and a frame counter (with a
checksum, so frames damaged by the codec are counted as corrupted rather than misread) and an
audio tone; a subscriber decodes both, so a test proves what arrived, not just "connected".
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import time
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, VideoFrame

from summitry.media.janus import (
    Handle,
    JanusClient,
    JanusError,
    JanusEvent,
    JanusUnavailable,
    Session,
)

VIDEOROOM = "janus.plugin.videoroom"
WIDTH, HEIGHT = 320, 240
BLOCK = 16  # one bit per 16×16 macroblock: survives VP8 at the rates aiortc starts with
SAMPLE_RATE = 48000
AUDIO_PTIME = 0.020
_ID_BITS, _COUNTER_BITS, _CHECK_BITS = 8, 24, 16
_BITS = _ID_BITS + _COUNTER_BITS + _CHECK_BITS
_COLUMNS = WIDTH // BLOCK
_FIRST_ROW = 2  # keep the marks away from the frame's edge
_DARK, _LIGHT, _GREY = 32, 224, 128


def _checksum(sender_id: int, counter: int) -> int:
    return zlib.crc32(f"{sender_id}:{counter}".encode()) & ((1 << _CHECK_BITS) - 1)


def _bits(sender_id: int, counter: int) -> list[int]:
    word = (sender_id << (_COUNTER_BITS + _CHECK_BITS)) | (counter << _CHECK_BITS)
    word |= _checksum(sender_id, counter)
    return [(word >> (_BITS - 1 - i)) & 1 for i in range(_BITS)]


def _block(i: int) -> tuple[int, int]:
    return _FIRST_ROW + i // _COLUMNS, i % _COLUMNS


def encode_luma(sender_id: int, counter: int) -> np.ndarray:
    """A grey luma plane with the marks: one dark or light block per bit."""
    luma = np.full((HEIGHT, WIDTH), _GREY, dtype=np.uint8)
    for i, bit in enumerate(_bits(sender_id, counter % (1 << _COUNTER_BITS))):
        row, column = _block(i)
        luma[row * BLOCK : (row + 1) * BLOCK, column * BLOCK : (column + 1) * BLOCK] = (
            _LIGHT if bit else _DARK
        )
    return luma


def decode_luma(luma: np.ndarray) -> tuple[int, int] | None:
    """(sender id, counter) from a decoded luma plane, or None if the marks are damaged."""
    height, width = luma.shape
    sy, sx = height / HEIGHT, width / WIDTH  # the receiver may get a scaled frame
    word = 0
    for i in range(_BITS):
        row, column = _block(i)
        # The centre of the block only: its edges blur into the neighbours.
        top, left = (row * BLOCK + BLOCK // 4) * sy, (column * BLOCK + BLOCK // 4) * sx
        bottom, right = top + (BLOCK // 2) * sy, left + (BLOCK // 2) * sx
        patch = luma[
            int(top) : max(int(bottom), int(top) + 1), int(left) : max(int(right), int(left) + 1)
        ]
        word = (word << 1) | int(float(patch.mean()) > _GREY)
    check = word & ((1 << _CHECK_BITS) - 1)
    counter = (word >> _CHECK_BITS) & ((1 << _COUNTER_BITS) - 1)
    sender_id = word >> (_COUNTER_BITS + _CHECK_BITS)
    if check != _checksum(sender_id, counter):
        return None
    return sender_id, counter


class MarkedVideoTrack(VideoStreamTrack):
    """30 frames a second, each carrying the sender id and its own number."""

    def __init__(self, sender_id: int) -> None:
        super().__init__()
        self.sender_id = sender_id
        self.counter = 0
        self._chroma = np.full((HEIGHT // 2, WIDTH), 128, dtype=np.uint8)

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        planes = np.vstack([encode_luma(self.sender_id, self.counter), self._chroma])
        frame = VideoFrame.from_ndarray(planes, format="yuv420p")
        frame.pts, frame.time_base = pts, time_base
        self.counter += 1
        return frame


class ToneTrack(MediaStreamTrack):
    """A sine tone at ``frequency`` Hz, 48 kHz mono, in 20 ms frames; silence while ``on`` is
    false, and the moment of each onset kept in ``onsets`` (for latency measures)."""

    kind = "audio"

    def __init__(self, frequency: float, amplitude: float = 0.3) -> None:
        super().__init__()
        self.frequency = frequency
        self.amplitude = amplitude
        self.on = True
        self.onsets: list[float] = []
        self._sounding = False
        self._samples = int(SAMPLE_RATE * AUDIO_PTIME)
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            await asyncio.sleep(self._start + self._pts / SAMPLE_RATE - time.monotonic())
        t = (np.arange(self._samples) + self._pts) / SAMPLE_RATE
        wave = np.sin(2 * np.pi * self.frequency * t) * self.amplitude * 32767 * self.on
        if self.on and not self._sounding:
            self.onsets.append(time.monotonic())
        self._sounding = self.on
        frame = AudioFrame.from_ndarray(
            wave.astype(np.int16).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._pts += self._samples
        return frame


def tone_level_db(samples: np.ndarray, frequency: float) -> float:
    """How far the tone at ``frequency`` stands over the median of the spectrum, in dB."""
    if len(samples) < SAMPLE_RATE // 4:
        return float("-inf")  # nothing (or almost nothing) arrived
    window = np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(samples * window)) + 1e-12
    freqs = np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)
    near = np.abs(freqs - frequency) <= 20
    return float(20 * np.log10(spectrum[near].max() / np.median(spectrum)))


def _configuration() -> RTCConfiguration:
    # No ICE servers: aiortc would otherwise reach for a public STUN server. One bundle: with
    # the default policy a multistream subscriber gets audio from the first feed only.
    return RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


class _Peer:
    """One Janus session, its VideoRoom handles, one peer connection, and the events seen."""

    media_within = 10.0
    """Seconds a negotiation may take until Janus reports ``webrtcup``."""

    def __init__(self, client: JanusClient, room_id: int, token: str | None) -> None:
        self.client = client
        self.room_id = room_id
        self.token = token
        self.pc = RTCPeerConnection(_configuration())
        self.events: list[JanusEvent] = []
        self.participant_id: int | None = None
        self.private_id: int | None = None
        self._session: Session | None = None
        self._participant: Handle | None = None
        self._pumps: list[asyncio.Task[None]] = []
        self._changed = asyncio.Event()

    async def _attach(self) -> Handle:
        if self._session is None:
            self._session = await self.client.create_session()
        handle = await self._session.attach(VIDEOROOM)
        self._pumps.append(asyncio.create_task(self._collect(handle)))
        return handle

    async def _collect(self, handle: Handle) -> None:
        async for event in handle.events():
            self.events.append(event)
            self._changed.set()

    async def enter(self, feed_id: int | None = None, display: str = "") -> int:
        """Join the room as a participant; Janus checks the token here. Returns the id."""
        if self._participant is None:
            self._participant = await self._attach()
        body: dict[str, Any] = {
            "request": "join",
            "ptype": "publisher",
            "room": self.room_id,
            "display": display,
        }
        if feed_id is not None:
            body["id"] = feed_id
        if self.token is not None:
            body["token"] = self.token
        reply = await self._participant.message(body)
        self.participant_id = int(reply.data["id"])
        self.private_id = int(reply.data["private_id"])
        return self.participant_id

    def events_of(self, handle: Handle, kind: str) -> list[JanusEvent]:
        return [e for e in self.events if e.kind == kind and e.message.get("sender") == handle.id]

    async def wait_event(
        self, match: Callable[[JanusEvent], bool], within: float = 10.0
    ) -> JanusEvent:
        """The first event (already received or still to come) that ``match`` accepts."""
        deadline = time.monotonic() + within
        while True:
            for event in self.events:
                if match(event):
                    return event
            self._changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                kinds = [e.kind for e in self.events]
                raise TimeoutError(f"no matching Janus event in {within} s; got {kinds}")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await self._changed.wait()

    async def _negotiated(self, handle: Handle) -> None:
        # aiortc gathers every candidate before the SDP is sent and does not trickle.
        await handle.trickle()
        await self.wait_event(
            lambda e: e.kind == "webrtcup" and e.message.get("sender") == handle.id,
            self.media_within,
        )

    async def close(self) -> None:
        await self.pc.close()
        if self._session is not None:
            with contextlib.suppress(JanusUnavailable, JanusError):
                await self._session.destroy()
        for pump in self._pumps:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump


class Publisher(_Peer):
    """Enters a VideoRoom with its token and sends marked video and a tone."""

    def __init__(
        self,
        client: JanusClient,
        room_id: int,
        *,
        token: str | None,
        sender_id: int,
        display: str = "",
        frequency: float = 440.0,
    ) -> None:
        super().__init__(client, room_id, token)
        self.sender_id = sender_id
        self.display = display or f"peer {sender_id}"
        self.tone = ToneTrack(frequency)

    async def join(self, feed_id: int | None = None) -> int:
        """Join as a participant (Janus checks the token); returns the feed id."""
        return await self.enter(feed_id, self.display)

    @property
    def handle(self) -> Handle:
        if self._participant is None:
            raise RuntimeError("join first")
        return self._participant

    async def publish(self) -> None:
        """Send audio (mid 0) and video (mid 1); returns once Janus reports ``webrtcup``."""
        self.pc.addTransceiver(self.tone, direction="sendonly")
        self.pc.addTransceiver(MarkedVideoTrack(self.sender_id), direction="sendonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = {"type": "offer", "sdp": self.pc.localDescription.sdp}
        reply = await self.handle.message({"request": "publish"}, jsep=offer)
        if reply.jsep is None:
            raise RuntimeError(f"Janus answered publish without an SDP: {reply.data}")
        await self.pc.setRemoteDescription(RTCSessionDescription(**reply.jsep))
        await self._negotiated(self.handle)


class Subscriber(_Peer):
    """Enters as a participant, then one multistream subscription tied to it by private id.

    Decodes frames by sender (from their marks) and records audio by feed.
    """

    def __init__(self, client: JanusClient, room_id: int, *, token: str | None) -> None:
        super().__init__(client, room_id, token)
        self.frames: dict[int, list[tuple[float, int]]] = {}
        """Sender id → (arrival time, counter) of each frame whose marks were intact."""
        self.corrupted = 0
        self.audio: dict[int, list[tuple[float, np.ndarray]]] = {}
        """Feed id → (arrival time, mono samples) of each decoded audio frame."""
        self.streams: list[dict[str, Any]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.pc.on("track", self._on_track)

    async def join(self, feeds: list[int]) -> None:
        """Enter with the token, then subscribe to ``feeds``; return once media flows."""
        await self.enter(display="viewer")
        await self.subscribe(feeds)

    async def subscribe(
        self, feeds: list[int], private_id: int | None = None, *, audio_only: bool = False
    ) -> None:
        """Subscribe as the participant entered (or as ``private_id``, to try a forged one);
        ``audio_only`` takes each feed's audio alone (a Publisher's mid 0), as a light client."""
        handle = await self._attach()
        streams = [{"feed": f, "mid": "0"} if audio_only else {"feed": f} for f in feeds]
        body: dict[str, Any] = {
            "request": "join",
            "ptype": "subscriber",
            "room": self.room_id,
            "streams": streams,
        }
        if (private_id or self.private_id) is not None:
            body["private_id"] = private_id or self.private_id
        if self.token is not None:
            body["token"] = self.token
        reply = await handle.message(body)
        if reply.jsep is None:
            raise RuntimeError(f"Janus answered the subscription without an SDP: {reply.data}")
        self.streams = list(reply.data.get("streams", []))
        await self.pc.setRemoteDescription(RTCSessionDescription(**reply.jsep))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        answer = {"type": "answer", "sdp": self.pc.localDescription.sdp}
        await handle.message({"request": "start"}, jsep=answer)
        await self._negotiated(handle)

    def _feed_of(self, track: MediaStreamTrack) -> int:
        mid = next((t.mid for t in self.pc.getTransceivers() if t.receiver.track is track), None)
        for stream in self.streams:
            if stream.get("mid") == mid:
                return int(stream.get("feed_id", 0))
        return 0

    def _on_track(self, track: MediaStreamTrack) -> None:
        consume = self._watch if track.kind == "video" else self._listen
        self._tasks.append(asyncio.create_task(consume(track)))

    async def _watch(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                luma = frame.to_ndarray(format="yuv420p")[: frame.height]
                marks = decode_luma(luma)
                if marks is None:
                    self.corrupted += 1
                    continue
                sender_id, counter = marks
                self.frames.setdefault(sender_id, []).append((time.monotonic(), counter))

    async def _listen(self, track: MediaStreamTrack) -> None:
        feed = self._feed_of(track)
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                channels = len(frame.layout.channels)
                samples = frame.to_ndarray().reshape(-1, channels).mean(axis=1) / 32768
                self.audio.setdefault(feed, []).append((time.monotonic(), samples))

    def frame_count(self, sender_id: int, since: float = 0.0) -> int:
        return sum(1 for at, _ in self.frames.get(sender_id, []) if at >= since)

    def counters(self, sender_id: int, since: float = 0.0) -> list[int]:
        return [counter for at, counter in self.frames.get(sender_id, []) if at >= since]

    async def wait_frames(
        self, sender_id: int, n: int, within: float = 10.0, since: float = 0.0
    ) -> None:
        """Wait until ``n`` intact frames from ``sender_id`` arrived (after ``since``)."""
        deadline = time.monotonic() + within
        while self.frame_count(sender_id, since) < n:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.frame_count(sender_id, since)} of {n} frames from sender "
                    f"{sender_id} in {within} s (senders seen: {sorted(self.frames)}, "
                    f"corrupted: {self.corrupted})"
                )
            await asyncio.sleep(0.05)

    def recorded(self, feed_id: int, since: float = 0.0) -> np.ndarray:
        chunks = [samples for at, samples in self.audio.get(feed_id, []) if at >= since]
        return np.concatenate(chunks) if chunks else np.zeros(0)

    def tone_level_db(self, frequency: float, feed_id: int, since: float = 0.0) -> float:
        """The tone's level over the noise floor in what ``feed_id`` sent after ``since``."""
        return tone_level_db(self.recorded(feed_id, since), frequency)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await super().close()
