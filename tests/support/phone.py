"""A telephone's media for tests: RTP with a µ-law tone and RFC 4733 keypad digits, the sound
it receives (µ-law or A-law), checked by FFT, and the RTCP reports it receives (on the RTP
port + 1, or muxed on the RTP port). SIPp does the signalling (scenarios in ``sipp/``)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import struct
import time
from functools import partial
from pathlib import Path
from typing import cast

import numpy as np

from summitry.telephony import g711, rtcp, rtp
from summitry.telephony.dtmf import EVENTS

RATE = 8000
FRAME = 160
EVENT_PT = 101
SCENARIOS = Path(__file__).parent / "sipp"


class Phone(asyncio.DatagramProtocol):
    """One RTP endpoint on 127.0.0.1: sends a tone (when asked) and records what arrives."""

    def __init__(self, frequency: float | None = None) -> None:
        self.frequency = frequency
        self.transport: asyncio.DatagramTransport | None = None
        self.peer: tuple[str, int] | None = None
        self.received: list[tuple[float, np.ndarray]] = []
        self.packets: list[tuple[float, int, int]] = []
        """Every RTP packet that arrived: when, its payload type and SSRC."""
        self.reports: list[tuple[float, bytes, bool]] = []
        """Every RTCP packet that arrived: when, the packet, and whether on the RTP port."""
        self.rtcp_transport: asyncio.DatagramTransport | None = None
        self._stamper = rtp.Stamper()
        self._sample = 0
        self._sender: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, frequency: float | None = None, *, rtcp_port: bool = False) -> Phone:
        """A phone on a free port; with ``rtcp_port``, one whose next port is free for RTCP."""
        loop = asyncio.get_running_loop()
        phone = cls(frequency)
        await loop.create_datagram_endpoint(lambda: phone, local_addr=("127.0.0.1", 0))
        while rtcp_port:
            try:
                _, reports = await loop.create_datagram_endpoint(
                    partial(_Reports, phone), local_addr=("127.0.0.1", phone.port + 1)
                )
                phone.rtcp_transport = reports.transport
                break
            except OSError:  # the next port is taken: another pair
                assert phone.transport is not None
                phone.transport.close()
                phone.transport = None
                await loop.create_datagram_endpoint(lambda: phone, local_addr=("127.0.0.1", 0))
        phone._sender = asyncio.create_task(phone._send_tone())
        return phone

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if rtcp.is_rtcp(data):  # rtcp-mux
            self.reports.append((time.monotonic(), data, True))
            return
        if self.peer is None:
            self.peer = addr  # symmetric RTP: answer where the gateway speaks from
        with contextlib.suppress(rtp.NotRtp):
            packet = rtp.parse(data)
            now = time.monotonic()
            self.packets.append((now, packet.payload_type, packet.ssrc))
            if packet.payload_type == rtp.PCMU:
                self.received.append((now, g711.decode(packet.payload)))
            elif packet.payload_type == rtp.PCMA:
                self.received.append((now, g711.decode_alaw(packet.payload)))

    def packets_between(self, start: float, end: float) -> list[tuple[float, int, int]]:
        return [p for p in self.packets if start <= p[0] < end]

    def sender_reports(self, *, muxed: bool) -> list[rtcp.SenderReport]:
        """The sender reports that came on the RTP port (``muxed``) or on the next one."""
        found = (rtcp.parse_sender_report(d) for _, d, on_rtp in self.reports if on_rtp == muxed)
        return [r for r in found if r is not None]

    def _send(self, data: bytes) -> None:
        if self.transport is not None and self.peer is not None:
            self.transport.sendto(data, self.peer)

    async def _send_tone(self) -> None:
        start = time.monotonic()
        frames = 0
        while True:
            frames += 1
            await asyncio.sleep(max(0.0, start + frames * 0.02 - time.monotonic()))
            if self.frequency is None:
                continue
            t = (np.arange(FRAME) + self._sample) / RATE
            self._sample += FRAME
            wave = (np.sin(2 * np.pi * self.frequency * t) * 0.3 * 32767).astype(np.int16)
            self._send(self._stamper.next(g711.encode(wave)))

    async def key(self, digits: str) -> None:
        """Press keys as RFC 4733 events: updates while held, then the end packet three times."""
        for digit in digits:
            code = EVENTS.index(digit)
            timestamp = secrets.randbits(32)
            sequence = secrets.randbits(16)
            ssrc = secrets.randbits(32)
            for i in range(6):
                end = i >= 3
                duration = 160 * min(i + 1, 4)
                payload = struct.pack("!BBH", code, (0x80 if end else 0) | 10, duration)
                packet = rtp.Packet(EVENT_PT, sequence + i, timestamp, ssrc, i == 0, payload)
                self._send(rtp.build(packet))
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.05)

    def heard(self, since: float = 0.0) -> np.ndarray:
        chunks = [s for at, s in self.received if at >= since]
        return np.concatenate(chunks).astype(np.float64) / 32768 if chunks else np.zeros(0)

    def level_db(self, frequency: float, since: float = 0.0) -> float:
        """The tone's level over the median of the spectrum of what arrived after ``since``."""
        samples = self.heard(since)
        if len(samples) < RATE // 4:
            return float("-inf")
        spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) + 1e-12
        freqs = np.fft.rfftfreq(len(samples), 1 / RATE)
        near = np.abs(freqs - frequency) <= 15
        return float(20 * np.log10(spectrum[near].max() / np.median(spectrum)))

    async def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
        if self.transport is not None:
            self.transport.close()
        if self.rtcp_transport is not None:
            self.rtcp_transport.close()


class _Reports(asyncio.DatagramProtocol):
    """The phone's RTCP port."""

    def __init__(self, phone: Phone) -> None:
        self.phone = phone
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.phone.reports.append((time.monotonic(), data, False))


class Sipp:
    """SIPp running one scenario against the gateway, as a real SIP peer."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    @classmethod
    async def run(
        cls,
        scenario: str,
        folder: Path,
        *,
        local_port: int,
        remote: str | None = None,
        service: str = "",
        replacements: dict[str, str] | None = None,
        seconds: int = 40,
    ) -> Sipp:
        sipp = shutil.which("sipp")
        assert sipp, "SIPp is missing: apt-get install sip-tester (./scripts/bootstrap does)"
        text = (SCENARIOS / scenario).read_text()
        for key, value in (replacements or {}).items():
            text = text.replace(key, value)
        path = folder / f"{local_port}-{scenario}"
        path.write_text(text)
        args = [
            "-sf",
            str(path),
            "-i",
            "127.0.0.1",
            "-p",
            str(local_port),
            "-m",
            "1",
            "-timeout",
            f"{seconds}s",
            "-timeout_error",
            "-nostdin",
            "-trace_err",
            "-trace_msg",
            "-message_file",
            str(folder / f"{local_port}-messages.log"),
            "-error_file",
            str(folder / f"{local_port}-errors.log"),
        ]
        if service:
            args += ["-s", service]
        if remote:
            args.append(remote)
        process = await asyncio.create_subprocess_exec(
            sipp,
            *args,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            cwd=folder,
        )
        return cls(process, folder / f"{local_port}-errors.log")

    async def finished(self, within: float = 30.0) -> int:
        """SIPp's exit status: 0 when every message of the scenario went as written."""
        async with asyncio.timeout(within):
            await self.process.wait()
        assert self.process.returncode is not None
        return self.process.returncode

    def errors(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def messages(self) -> str:
        """Every SIP message SIPp sent and received (its -trace_msg log)."""
        path = self.log.with_name(self.log.name.replace("-errors.log", "-messages.log"))
        return path.read_text() if path.exists() else ""

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
