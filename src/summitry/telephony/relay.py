"""One call's RTP: the phone's side and the AudioBridge side, two UDP sockets on asyncio.

What the phone sends is read here: keypad digits (RFC 4733) go to the call, its voice (µ-law)
to the call's VideoRoom publisher and, to keep the plain-RTP leg open, to its AudioBridge leg.
What the phone hears is a spoken prompt before it is in the room, the room's mix after; both
leave on one re-stamped stream, in the codec negotiated (µ-law, or A-law turned from it), and
not at all while the phone holds the call. RTCP reports go out on the RTCP socket (our RTP
port + 1 when it is free) or, with rtcp-mux, on the RTP socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import cast

from summitry.telephony import g711, rtcp, rtp, sdp
from summitry.telephony.dtmf import TelephoneEvents
from summitry.telephony.negotiation import Media

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
        self.sent_octets = 0
        self.codec = rtp.PCMU
        self.sending = True
        """False while the phone holds the call: nothing is sent to it."""
        self.rtcp_peer: tuple[str, int] | None = None
        self.rtcp_sent = 0
        self._rtcp_mux = False
        self.reception = rtcp.ReceptionStats()
        self.reporter = rtcp.Reporter(self._report, self._send_report)
        self._events = TelephoneEvents()
        self._stamper = rtp.Stamper()
        self._phone_socket = _Socket(self._from_phone)
        self._rtcp_socket = _Socket(self._from_rtcp)
        self._bridge_socket = _Socket(self._from_bridge)
        self._prompt: asyncio.Task[None] | None = None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(
            lambda: self._phone_socket, local_addr=(self.media_host, 0)
        )
        try:
            await loop.create_datagram_endpoint(
                lambda: self._rtcp_socket, local_addr=(self.media_host, self.phone_port + 1)
            )
        except OSError:  # taken: any port will do, the SDP names it (RFC 3605)
            await loop.create_datagram_endpoint(
                lambda: self._rtcp_socket, local_addr=(self.media_host, 0)
            )
        await loop.create_datagram_endpoint(
            lambda: self._bridge_socket, local_addr=("127.0.0.1", 0)
        )

    @property
    def phone_port(self) -> int:
        return self._port(self._phone_socket)

    @property
    def rtcp_port(self) -> int:
        return self._port(self._rtcp_socket)

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
        self.reporter.stop()
        for socket in (self._phone_socket, self._rtcp_socket, self._bridge_socket):
            if socket.transport is not None:
                socket.transport.close()

    def apply(self, media: Media) -> None:
        """What an offer and answer settled: the phone's address, the codec, hold or not."""
        if media.host != sdp.HOLD_ADDRESS:
            self.phone = (media.host, media.port)
        self.codec = media.codec
        self.event_pt = media.event_pt
        self.sending = media.sending
        if media.rtcp is not None:
            self.rtcp_peer = media.rtcp
            self._rtcp_mux = media.rtcp == (media.host, media.port)
            self.reporter.start()

    # --- the phone's side -------------------------------------------------------------------
    def _from_phone(self, data: bytes, addr: tuple[str, int]) -> None:
        if addr[0] != self.peer_host:
            return
        if rtcp.is_rtcp(data):  # rtcp-mux
            self._from_rtcp(data, addr)
            return
        try:
            packet = rtp.parse(data)
        except rtp.NotRtp:
            return
        self.received_from_phone += 1
        self.reception.update(packet.ssrc, packet.sequence, packet.timestamp)
        if self.event_pt is not None and packet.payload_type == self.event_pt:
            digit = self._events.feed(packet.timestamp, packet.payload)
            if digit is not None:
                self.on_digit(digit)
            return
        if packet.payload_type not in (rtp.PCMU, rtp.PCMA):
            return
        payload = packet.payload
        if packet.payload_type == rtp.PCMA:
            payload = g711.alaw_to_ulaw(payload)  # the room and the publisher take µ-law
            data = rtp.build(replace(packet, payload_type=rtp.PCMU, payload=payload))
        self.on_voice(payload)
        if self.bridge is not None and self._bridge_socket.transport is not None:
            # Keeps the AudioBridge leg latched (it sends nothing before it receives); the
            # leg is muted there, so the caller is heard through the VideoRoom only.
            self._bridge_socket.transport.sendto(data, self.bridge)

    def send_to_phone(self, payload: bytes) -> None:
        """One frame of µ-law to the phone, in its codec; none while it holds the call."""
        if not self.sending:
            self._stamper.skip(len(payload))
            return
        if self.phone is not None and self._phone_socket.transport is not None:
            if self.codec == rtp.PCMA:
                payload = g711.ulaw_to_alaw(payload)
            self._stamper.payload_type = self.codec
            self._phone_socket.transport.sendto(self._stamper.next(payload), self.phone)
            self.sent_to_phone += 1
            self.sent_octets += len(payload)

    # --- RTCP -------------------------------------------------------------------------------
    def _from_rtcp(self, data: bytes, addr: tuple[str, int]) -> None:
        if addr[0] != self.peer_host:
            return
        report = rtcp.parse_sender_report(data)
        if report is not None and report.ssrc == self.reception.ssrc:
            self.reception.heard_report(report)

    def _report(self) -> bytes:
        # A sender report while we have sent since the last one, else a receiver report.
        sent = None
        if self.sending and self.sent_to_phone:
            sent = (self._stamper.timestamp_now(), self.sent_to_phone, self.sent_octets)
        cname = f"summitry@{self.media_host}"
        return rtcp.report(self._stamper.ssrc, sent, self.reception.block(), cname, time.time())

    def _send_report(self, data: bytes) -> None:
        socket = self._phone_socket if self._rtcp_mux else self._rtcp_socket
        if self.rtcp_peer is not None and socket.transport is not None:
            socket.transport.sendto(data, self.rtcp_peer)
            self.rtcp_sent += 1

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
