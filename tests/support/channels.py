"""aiortc peers for language channels: an interpreter speaking into a booth, a listener on one."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from summitry.media.janus import Handle, JanusClient, JanusError, JanusUnavailable, Session
from tests.support.peers import SAMPLE_RATE, ToneTrack, _configuration

AUDIOBRIDGE = "janus.plugin.audiobridge"
STREAMING = "janus.plugin.streaming"
FRAME = 960  # 20 ms at 48 kHz


def band_dbfs(samples: np.ndarray, frequency: float) -> float:
    """The level of the tone at ``frequency`` in ``samples``, in dB of full scale (a full-scale
    sine is 0 dBFS); -120 when nothing arrived."""
    if len(samples) < SAMPLE_RATE // 100:
        return -120.0
    window = np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(samples * window))
    freqs = np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)
    near = np.abs(freqs - frequency) <= 15
    # A full-scale sine gives a peak of N/4 through a Hann window: normalise to it.
    amplitude = float(np.sqrt((spectrum[near] ** 2).sum())) / (len(samples) / 4)
    return 20 * float(np.log10(max(amplitude, 1e-6)))


class _Peer:
    def __init__(self, client: JanusClient) -> None:
        self.client = client
        self.pc = RTCPeerConnection(_configuration())
        self.session: Session | None = None
        self.handle: Handle | None = None

    async def _attach(self, plugin: str) -> Handle:
        self.session = await self.client.create_session()
        self.session.start_keepalive()
        self.handle = await self.session.attach(plugin)
        return self.handle

    async def _up(self, handle: Handle, within: float = 10.0) -> None:
        await handle.trickle()
        async with asyncio.timeout(within):
            while True:
                event = await handle.next_event()
                if event.kind == "webrtcup":
                    return

    async def close(self) -> None:
        await self.pc.close()
        if self.session is not None:
            with contextlib.suppress(JanusUnavailable, JanusError):
                await self.session.destroy()


class BoothMicrophone(_Peer):
    """An interpreter's console speaking a tone into a booth's AudioBridge room."""

    def __init__(self, client: JanusClient, frequency: float, amplitude: float = 0.3) -> None:
        super().__init__(client)
        self.tone = ToneTrack(frequency, amplitude)
        self.pc.addTrack(self.tone)

    async def join(self, room_id: int, token: str, participant_id: int, *, muted: bool) -> None:
        """Join as the console does (``muted`` unless on the air); JanusError if refused."""
        handle = await self._attach(AUDIOBRIDGE)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        reply = await handle.message(
            {
                "request": "join",
                "room": room_id,
                "token": token,
                "id": participant_id,
                "display": "booth",
                "muted": muted,
            },
            jsep={"type": "offer", "sdp": self.pc.localDescription.sdp},
        )
        if reply.jsep is None:
            raise RuntimeError(f"the AudioBridge answered the join without an SDP: {reply.data}")
        await self.pc.setRemoteDescription(RTCSessionDescription(**reply.jsep))
        await self._up(handle)

    async def unmute_self(self) -> None:
        """What a page could send to Janus whatever Summitry decided."""
        assert self.handle is not None
        await self.handle.message({"request": "configure", "muted": False})


class ChannelEar(_Peer):
    """A listener watching a channel's mountpoint; records what arrives, with arrival times."""

    def __init__(self, client: JanusClient) -> None:
        super().__init__(client)
        self.audio: list[tuple[float, np.ndarray]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.pc.on("track", self._on_track)

    async def watch(self, mountpoint: int, pin: str) -> None:
        handle = await self._attach(STREAMING)
        reply = await handle.message({"request": "watch", "id": mountpoint, "pin": pin})
        if reply.jsep is None:
            raise RuntimeError(f"the mountpoint offered no SDP: {reply.data}")
        await self.pc.setRemoteDescription(RTCSessionDescription(**reply.jsep))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await handle.message(
            {"request": "start"}, jsep={"type": "answer", "sdp": self.pc.localDescription.sdp}
        )
        await self._up(handle)

    async def switch(self, mountpoint: int) -> dict[str, Any]:
        """Change channel on the same connection, as the listener's menu does."""
        assert self.handle is not None
        reply = await self.handle.message({"request": "switch", "id": mountpoint})
        return reply.data

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._tasks.append(asyncio.create_task(self._listen(track)))

    async def _listen(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                channels = len(frame.layout.channels)
                samples = frame.to_ndarray().reshape(-1, channels).mean(axis=1) / 32768
                self.audio.append((time.monotonic(), samples))

    def recorded(self, since: float = 0.0, until: float = float("inf")) -> np.ndarray:
        chunks = [s for at, s in self.audio if since <= at < until]
        return np.concatenate(chunks) if chunks else np.zeros(0)

    def level(self, frequency: float, since: float, until: float = float("inf")) -> float:
        return band_dbfs(self.recorded(since, until), frequency)

    def onsets(self, frequency: float, threshold_dbfs: float = -40.0) -> list[tuple[float, bool]]:
        """(arrival time, tone present) of each 20 ms frame received."""
        return [(at, band_dbfs(s, frequency) > threshold_dbfs) for at, s in self.audio]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await super().close()
