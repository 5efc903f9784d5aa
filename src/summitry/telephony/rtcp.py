"""RTCP (RFC 3550 §6) for a telephone leg's one RTP stream: sender reports with a reception
report of the phone's stream and our CNAME, every few seconds; the phone's reports are read
for the round-trip fields (LSR, DLSR)."""

from __future__ import annotations

import asyncio
import random
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

SR = 200
RR = 201
SDES = 202
INTERVAL_SECONDS = 5.0
"""RFC 3550 §6.2's minimum interval; each one is drawn from half to one and a half of it."""
_NTP_EPOCH = 2_208_988_800  # seconds from 1900 (NTP) to 1970 (Unix)
_SEQ_MOD = 1 << 16


def ntp_time(unix: float) -> tuple[int, int]:
    """NTP seconds and fraction of a Unix time."""
    seconds = int(unix) + _NTP_EPOCH
    return seconds & 0xFFFFFFFF, int((unix % 1.0) * (1 << 32)) & 0xFFFFFFFF


def is_rtcp(data: bytes) -> bool:
    """RFC 5761 §4: on a muxed port, RTCP's packet types 200–204 tell it from RTP."""
    return len(data) >= 8 and data[0] >> 6 == 2 and 200 <= data[1] <= 204


@dataclass(frozen=True)
class SenderReport:
    ssrc: int
    ntp: tuple[int, int]
    rtp_timestamp: int
    packets: int
    octets: int


def parse_sender_report(data: bytes) -> SenderReport | None:
    """The sender report at the head of a compound RTCP packet, if it starts with one."""
    if len(data) < 28 or not is_rtcp(data) or data[1] != SR:
        return None
    ssrc, seconds, fraction, timestamp, packets, octets = struct.unpack_from("!IIIIII", data, 4)
    return SenderReport(ssrc, (seconds, fraction), timestamp, packets, octets)


class ReceptionStats:
    """What RFC 3550 Appendix A asks a receiver to keep of one source, for its report block."""

    def __init__(self) -> None:
        self.ssrc: int | None = None
        self._start(0)
        self._last_sr: tuple[int, float] | None = None
        """The middle 32 bits of the phone's last report's NTP time, and when it came."""

    def _start(self, sequence: int) -> None:
        self.received = 0
        self._base = self._max = sequence
        self._cycles = 0
        self._expected_prior = 0
        self._received_prior = 0
        self._transit: float | None = None
        self.jitter = 0.0

    def update(self, ssrc: int, sequence: int, timestamp: int, clock_rate: int = 8000) -> None:
        arrival = time.monotonic() * clock_rate
        if ssrc != self.ssrc:  # a new source starts afresh (A.1's probation left out)
            self.ssrc = ssrc
            self._start(sequence)
        delta = (sequence - self._max) % _SEQ_MOD
        if 0 < delta < _SEQ_MOD // 2:
            if sequence < self._max:
                self._cycles += _SEQ_MOD
            self._max = sequence
        self.received += 1
        transit = arrival - timestamp
        if self._transit is not None:
            d = abs(transit - self._transit)
            self.jitter += (d - self.jitter) / 16  # A.8
        self._transit = transit

    def heard_report(self, report: SenderReport) -> None:
        seconds, fraction = report.ntp
        middle = ((seconds & 0xFFFF) << 16) | (fraction >> 16)
        self._last_sr = (middle, time.monotonic())

    def block(self) -> bytes:
        """A report block (RFC 3550 §6.4.1) of this source since the last one."""
        if self.ssrc is None:
            return b""
        extended = self._cycles + self._max
        expected = extended - self._base + 1
        lost = max(-(1 << 23), min((1 << 23) - 1, expected - self.received))
        interval_expected = expected - self._expected_prior
        interval_lost = interval_expected - (self.received - self._received_prior)
        self._expected_prior, self._received_prior = expected, self.received
        fraction = 0
        if interval_expected > 0 and interval_lost > 0:
            fraction = (interval_lost << 8) // interval_expected
        lsr, dlsr = 0, 0
        if self._last_sr is not None:
            lsr = self._last_sr[0]
            dlsr = int((time.monotonic() - self._last_sr[1]) * 65536)
        return struct.pack(
            "!IIIIII",
            self.ssrc,
            (min(fraction, 255) << 24) | (lost & 0xFFFFFF),
            extended & 0xFFFFFFFF,
            int(self.jitter) & 0xFFFFFFFF,
            lsr,
            dlsr & 0xFFFFFFFF,
        )


def _header(count: int, packet_type: int, body: bytes) -> bytes:
    return struct.pack("!BBH", 0x80 | count, packet_type, len(body) // 4) + body


def report(
    ssrc: int, sent: tuple[int, int, int] | None, block: bytes, cname: str, unix: float
) -> bytes:
    """A compound packet: SR (``sent`` is RTP timestamp, packets, octets) or RR, then SDES."""
    blocks = 1 if block else 0
    if sent is not None:
        seconds, fraction = ntp_time(unix)
        timestamp, packets, octets = sent
        info = struct.pack("!IIIIII", ssrc, seconds, fraction, timestamp, packets, octets)
        first = _header(blocks, SR, info + block)
    else:
        first = _header(blocks, RR, struct.pack("!I", ssrc) + block)
    name = cname.encode()[:255]
    item = struct.pack("!IBB", ssrc, 1, len(name)) + name + b"\x00"  # CNAME, then the end
    item += b"\x00" * (-len(item) % 4)
    return first + _header(1, SDES, item)


class Reporter:
    """Sends ``make()``'s report to wherever ``destination()`` says, a few seconds apart."""

    def __init__(
        self,
        make: Callable[[], bytes],
        send: Callable[[bytes], None],
        interval: float | None = None,
    ) -> None:
        self._make = make
        self._send = send
        self.interval = INTERVAL_SECONDS if interval is None else interval
        self.sent = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="telephone RTCP")

    async def _run(self) -> None:
        # The first report after half the interval (RFC 3550 §6.2), each one randomised.
        wait = self.interval / 2
        while True:
            await asyncio.sleep(wait * random.uniform(0.5, 1.5))  # noqa: S311 - timing only
            self._send(self._make())
            self.sent += 1
            wait = self.interval

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
