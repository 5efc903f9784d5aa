"""One call's RTP: the phone's side and the AudioBridge side, two UDP sockets on asyncio.

What the phone sends is read here: keypad digits (RFC 4733) go to the call, its voice (µ-law)
to the call's VideoRoom publisher and, to keep the plain-RTP leg open, to its AudioBridge leg.
What the phone hears is a spoken prompt before it is in the room, the room's mix after; both
leave on one re-stamped stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import cast

from summitry.telephony import g711, rtp
from summitry.telephony.dtmf import TelephoneEvents

logger = logging.getLogger(__name__)

FRAME_SECONDS = 0.020
FRAME_BYTES = rtp.SAMPLES_PER_FRAME  # µ-law: one byte per sample


class _Socket(asyncio.DatagramProtocol):
    def __init__(self, receive: Callable[[bytes, tuple[str, int]], None]) -> None:
        self.receive = receive
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A UDP endpoint's transport (Python 3.11's does not subclass DatagramTransport).
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.receive(data, addr)

    def error_received(self, exc: Exception) -> None:
        logger.debug("RTP socket error: %s", exc)  # ICMP unreachable while a peer starts


class Relay:
    """The two sockets of one call, and what flows between them."""

    def __init__(
        self,
        media_host: str,
        peer_host: str,
        on_digit: Callable[[str], None],
        on_voice: Callable[[bytes], None],
    ) -> None:
        self.media_host = media_host
        self.peer_host = peer_host
        """Only RTP from the signalling peer's address is accepted (no RTP bleed)."""
        self.on_digit = on_digit
        self.on_voice = on_voice
        self.event_pt: int | None = None
        self.phone: tuple[str, int] | None = None
        self.bridge: tuple[str, int] | None = None
        self.in_room = False
        """Once in the room the phone hears the room's mix; before, the prompts."""
        self.received_from_phone = 0
        self.sent_to_phone = 0
        self._events = TelephoneEvents()
        self._stamper = rtp.Stamper()
        self._phone_socket = _Socket(self._from_phone)
        self._bridge_socket = _Socket(self._from_bridge)
        self._prompt: asyncio.Task[None] | None = None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(
            lambda: self._phone_socket, local_addr=(self.media_host, 0)
        )
        await loop.create_datagram_endpoint(
            lambda: self._bridge_socket, local_addr=("127.0.0.1", 0)
        )

    @property
    def phone_port(self) -> int:
        return self._port(self._phone_socket)

    @property
    def bridge_port(self) -> int:
        return self._port(self._bridge_socket)

    @staticmethod
    def _port(socket: _Socket) -> int:
        if socket.transport is None:
            raise RuntimeError("the relay is not open")
        port: int = socket.transport.get_extra_info("sockname")[1]
        return port

    def close(self) -> None:
        self.stop_prompt()
        for socket in (self._phone_socket, self._bridge_socket):
            if socket.transport is not None:
                socket.transport.close()

    # --- the phone's side -------------------------------------------------------------------
    def _from_phone(self, data: bytes, addr: tuple[str, int]) -> None:
        if addr[0] != self.peer_host:
            return
        try:
            packet = rtp.parse(data)
        except rtp.NotRtp:
            return
        self.received_from_phone += 1
        if self.event_pt is not None and packet.payload_type == self.event_pt:
            digit = self._events.feed(packet.timestamp, packet.payload)
            if digit is not None:
                self.on_digit(digit)
            return
        if packet.payload_type != rtp.PCMU:
            return
        self.on_voice(packet.payload)
        if self.bridge is not None and self._bridge_socket.transport is not None:
            # Keeps the AudioBridge leg latched (it sends nothing before it receives); the
            # leg is muted there, so the caller is heard through the VideoRoom only.
            self._bridge_socket.transport.sendto(data, self.bridge)

    def send_to_phone(self, payload: bytes) -> None:
        if self.phone is not None and self._phone_socket.transport is not None:
            self._phone_socket.transport.sendto(self._stamper.next(payload), self.phone)
            self.sent_to_phone += 1

    # --- the room's side --------------------------------------------------------------------
    def _from_bridge(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.bridge is None or addr != self.bridge or not self.in_room:
            return
        try:
            packet = rtp.parse(data)
        except rtp.NotRtp:
            return
        if packet.payload_type == rtp.PCMU:
            self.send_to_phone(packet.payload)

    def latch_bridge(self) -> None:
        """One silent packet towards the AudioBridge leg, so that it starts sending."""
        if self.bridge is not None and self._bridge_socket.transport is not None:
            silence = rtp.Stamper()
            self._bridge_socket.transport.sendto(
                silence.next(bytes([g711.SILENCE]) * FRAME_BYTES), self.bridge
            )

    # --- prompts ----------------------------------------------------------------------------
    def play(self, audio: bytes, *, repeat: bool = False) -> asyncio.Task[None]:
        """Play µ-law ``audio`` to the phone (instead of any prompt playing)."""
        self.stop_prompt()
        self._prompt = asyncio.create_task(self._play(audio, repeat), name="telephone prompt")
        return self._prompt

    def stop_prompt(self) -> None:
        if self._prompt is not None and not self._prompt.done():
            self._prompt.cancel()
        self._prompt = None

    async def _play(self, audio: bytes, repeat: bool) -> None:
        start = time.monotonic()
        sent = 0
        while True:
            for offset in range(0, len(audio), FRAME_BYTES):
                frame = audio[offset : offset + FRAME_BYTES]
                frame += bytes([g711.SILENCE]) * (FRAME_BYTES - len(frame))
                self.send_to_phone(frame)
                sent += 1
                # Paced against the start, so that the stream does not drift slower.
                await asyncio.sleep(max(0.0, start + sent * FRAME_SECONDS - time.monotonic()))
            if not repeat:
                return

    async def wait_prompt(self) -> None:
        if self._prompt is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._prompt
