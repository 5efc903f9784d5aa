"""RTP packets (RFC 3550) as far as a telephone leg needs: the fixed header and a payload."""

from __future__ import annotations

import secrets
import struct
import time
from dataclasses import dataclass

HEADER = struct.Struct("!BBHII")
VERSION = 2
PCMU = 0
PCMA = 8
SAMPLE_RATE = 8000
SAMPLES_PER_FRAME = 160
"""20 ms at 8 kHz: the frame every telephone sends and expects."""


class NotRtp(ValueError):
    """A datagram that is not an RTP packet we can read."""


@dataclass(frozen=True)
class Packet:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    marker: bool
    payload: bytes


def parse(data: bytes) -> Packet:
    """Read one RTP packet; CSRCs, a header extension and padding are skipped."""
    if len(data) < HEADER.size:
        raise NotRtp("shorter than an RTP header")
    first, second, sequence, timestamp, ssrc = HEADER.unpack_from(data)
    if first >> 6 != VERSION:
        raise NotRtp("not RTP version 2")
    offset = HEADER.size + 4 * (first & 0x0F)
    if first & 0x10:  # a header extension: 16-bit profile, 16-bit length in words
        if len(data) < offset + 4:
            raise NotRtp("truncated header extension")
        (words,) = struct.unpack_from("!H", data, offset + 2)
        offset += 4 + 4 * words
    end = len(data)
    if first & 0x20 and end > offset:
        end -= data[-1]
    if end < offset:
        raise NotRtp("truncated packet")
    return Packet(
        payload_type=second & 0x7F,
        sequence=sequence,
        timestamp=timestamp,
        ssrc=ssrc,
        marker=bool(second & 0x80),
        payload=data[offset:end],
    )


def build(packet: Packet) -> bytes:
    second = (0x80 if packet.marker else 0) | (packet.payload_type & 0x7F)
    return (
        HEADER.pack(
            VERSION << 6,
            second,
            packet.sequence & 0xFFFF,
            packet.timestamp & 0xFFFFFFFF,
            packet.ssrc,
        )
        + packet.payload
    )


class Stamper:
    """One outgoing stream: whatever its source (prompt, room), one SSRC and continuous
    sequence numbers and timestamps, because some phones drop a stream whose SSRC changes."""

    def __init__(self, payload_type: int = PCMU) -> None:
        self.payload_type = payload_type
        self.ssrc = secrets.randbits(32)
        self._sequence = secrets.randbits(16)
        self._timestamp = secrets.randbits(32)
        self._first = True
        self._sent: tuple[float, int] | None = None

    def next(self, payload: bytes) -> bytes:
        packet = Packet(
            payload_type=self.payload_type,
            sequence=self._sequence,
            timestamp=self._timestamp,
            ssrc=self.ssrc,
            marker=self._first,
            payload=payload,
        )
        self._first = False
        self._sent = (time.monotonic(), self._timestamp)
        self._sequence = (self._sequence + 1) & 0xFFFF
        self._timestamp = (self._timestamp + len(payload)) & 0xFFFFFFFF
        return build(packet)

    def skip(self, samples: int) -> None:
        """Time passes without a packet (on hold): the next one's timestamp says so, its
        sequence number does not (nothing was lost), and its marker starts a new talkspurt."""
        self._timestamp = (self._timestamp + samples) & 0xFFFFFFFF
        self._first = True

    def timestamp_now(self) -> int:
        """The RTP timestamp of this instant, for an RTCP sender report (RFC 3550 §6.4.1)."""
        if self._sent is None:
            return self._timestamp
        at, timestamp = self._sent
        return (timestamp + int((time.monotonic() - at) * SAMPLE_RATE)) & 0xFFFFFFFF
