"""One call's offer/answer (RFC 3264) over its whole life: the first answer, re-offers (hold,
resume, a new codec order, a new version), and our own offer when the phone sends none."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from summitry.telephony import sdp
from summitry.telephony.rtp import PCMA, PCMU

OUR_CODECS = (PCMU, PCMA)
"""What we offer, in our order of preference."""


@dataclass(frozen=True)
class Media:
    """What the relay does after a negotiation: where, in which codec, and whether to send."""

    host: str
    port: int
    codec: int
    event_pt: int | None
    sending: bool
    """False while the phone holds the call (we answered recvonly or inactive)."""
    rtcp: tuple[str, int] | None
    """Where our RTCP reports go: the RTP port + 1, ``a=rtcp``, or the RTP port (rtcp-mux)."""
    direction: str


class Negotiation:
    """Our side of the session description, kept between offers; used in sippy's thread."""

    def __init__(self, host: str, port: int, rtcp_port: int | None) -> None:
        self.host = host
        self.port = port
        self.rtcp_port = rtcp_port
        self._session = secrets.randbelow(2**31)
        self._version = self._session
        self._body = ""
        """Our last description without its ``o=`` line: a change bumps the version."""
        self.sdp = ""
        """Our last description as sent."""
        self.media: Media | None = None

    def _write(
        self, event_pt: int | None, codecs: tuple[int, ...], direction: str, rtcp_mux: bool
    ) -> str:
        def body(version: int) -> str:
            return sdp.describe(
                self.host,
                self.port,
                event_pt,
                codecs=codecs,
                direction=direction,
                rtcp_port=self.rtcp_port,
                rtcp_mux=rtcp_mux,
                origin=(self._session, version),
            )

        unversioned = "\n".join(line for line in body(0).splitlines() if not line.startswith("o="))
        if self.sdp and unversioned != self._body:
            self._version += 1  # RFC 3264 §8: a changed description has a higher version
        self._body = unversioned
        self.sdp = body(self._version)
        return self.sdp

    def answer(self, offer_text: str) -> tuple[str, Media]:
        """Our answer to the phone's offer; SdpError when nothing in it is usable (488)."""
        offer = sdp.parse(offer_text)
        codec = offer.codec()
        if codec is None:
            raise sdp.SdpError("no G.711 offered")
        direction = offer.answer_direction()
        text = self._write(
            event_pt=offer.event_pt, codecs=(codec,), direction=direction, rtcp_mux=offer.rtcp_mux
        )
        self.media = _media(offer, codec, direction)
        return text, self.media

    def offer(self) -> str:
        """Our offer (a call out, or a re-INVITE without SDP): both codecs, sendrecv."""
        return self._write(sdp.DEFAULT_EVENT_PT, OUR_CODECS, "sendrecv", rtcp_mux=False)

    def accept(self, answer_text: str) -> Media:
        """The phone's answer to our offer; SdpError when it is unusable."""
        answer = sdp.parse(answer_text)
        codec = answer.codec()
        if codec is None:
            raise sdp.SdpError("the answer has no codec we offered")
        self.media = _media(answer, codec, answer.answer_direction())
        return self.media


def _media(theirs: sdp.AudioOffer, codec: int, ours: str) -> Media:
    held = theirs.host == sdp.HOLD_ADDRESS
    if held:
        rtcp = None
    elif theirs.rtcp_mux:
        rtcp = (theirs.host, theirs.port)
    elif theirs.rtcp_port is not None:
        rtcp = (theirs.rtcp_host or theirs.host, theirs.rtcp_port)
    else:
        rtcp = (theirs.host, theirs.port + 1)
    return Media(
        host=theirs.host,
        port=theirs.port,
        codec=codec,
        event_pt=theirs.event_pt,
        sending=ours in ("sendrecv", "sendonly") and not held,
        rtcp=rtcp,
        direction=ours,
    )
