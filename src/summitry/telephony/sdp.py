"""The few lines of SDP (RFC 4566) a telephone leg offers, answers and reads."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from summitry.telephony.rtp import PCMA, PCMU

DEFAULT_EVENT_PT = 101
CODECS = {PCMU: "PCMU", PCMA: "PCMA"}
"""The codecs the relay speaks (it turns A-law into µ-law and back), by static payload type."""
HOLD_ADDRESS = "0.0.0.0"  # noqa: S104 - RFC 2543's hold: an address, never bound
"""A connection address that says the phone holds the call."""
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_MIRROR = {"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly"}


class SdpError(ValueError):
    """An offer or answer we cannot use."""


@dataclass(frozen=True)
class AudioOffer:
    """Where the phone wants its RTP, and which payload types it speaks."""

    host: str
    port: int
    payload_types: tuple[int, ...]
    event_pt: int | None
    """The payload type of ``telephone-event/8000`` the phone offered, if any."""
    names: tuple[tuple[int, str], ...] = ()
    """``a=rtpmap`` names by payload type (``PCMU``), for dynamic numbers."""
    direction: str = "sendrecv"
    rtcp_mux: bool = False
    rtcp_port: int | None = None
    rtcp_host: str | None = None
    origin: str = ""
    """The ``o=`` line's session id and version: a new version is a changed description."""

    @property
    def speaks_pcmu(self) -> bool:
        return PCMU in self.payload_types

    @property
    def on_hold(self) -> bool:
        """RFC 3264 §8.4: sendonly or inactive; RFC 2543's hold is the address 0.0.0.0."""
        return self.direction in ("sendonly", "inactive") or self.host == HOLD_ADDRESS

    def codec(self) -> int | None:
        """The first of the offer's payload types the relay speaks, in the offer's order."""
        names = dict(self.names)
        for pt in self.payload_types:
            name = names.get(pt, CODECS.get(pt, "")).upper()
            if pt in CODECS and name == CODECS[pt]:
                return pt
        return None

    def answer_direction(self) -> str:
        """Ours, as RFC 3264 §6.1 mirrors it; we never send to 0.0.0.0."""
        ours = _MIRROR.get(self.direction, "inactive")
        if self.host == HOLD_ADDRESS:
            ours = {"sendrecv": "recvonly", "sendonly": "inactive"}.get(ours, ours)
        return ours


def parse(sdp: str) -> AudioOffer:
    """The first audio stream of an SDP, with its connection address."""
    session_host = ""
    media_host = ""
    port = None
    types: tuple[int, ...] = ()
    event_pt = None
    in_audio = False
    names: list[tuple[int, str]] = []
    session_direction = media_direction = ""
    rtcp_mux = False
    rtcp_port: int | None = None
    rtcp_host: str | None = None
    origin = ""
    for raw in sdp.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            if port is not None:
                break  # only the first audio stream is ours
            fields = line[2:].split()
            in_audio = len(fields) >= 4 and fields[0] == "audio"
            if in_audio:
                try:
                    port = int(fields[1])
                    types = tuple(int(f) for f in fields[3:])
                except ValueError as err:
                    raise SdpError("unreadable m= line") from err
        elif line.startswith("o="):
            fields = line[2:].split()
            origin = " ".join(fields[1:3])
        elif line.startswith("c="):
            parts = line[2:].split()
            if len(parts) == 3 and parts[1] == "IP4":
                if in_audio:
                    media_host = parts[2]
                elif port is None:
                    session_host = parts[2]
        elif line[2:] in DIRECTIONS and line.startswith("a="):
            if in_audio:
                media_direction = line[2:]
            elif port is None:
                session_direction = line[2:]
        elif in_audio and line == "a=rtcp-mux":
            rtcp_mux = True
        elif in_audio and line.startswith("a=rtcp:"):
            fields = line[len("a=rtcp:") :].split()
            if fields and fields[0].isdigit():
                rtcp_port = int(fields[0])
            if len(fields) == 4 and fields[2] == "IP4":
                rtcp_host = fields[3]
        elif in_audio and line.lower().startswith("a=rtpmap:"):
            number, _, name = line[len("a=rtpmap:") :].partition(" ")
            if not number.isdigit():
                continue
            names.append((int(number), name.split("/")[0]))
            if name.lower().startswith("telephone-event/8000"):
                event_pt = int(number)
    host = media_host or session_host
    if port is None or not host:
        raise SdpError("no audio stream with an IPv4 address")
    if not 0 < port < 65536:
        raise SdpError("the audio port is out of range")
    return AudioOffer(
        host=host,
        port=port,
        payload_types=types,
        event_pt=event_pt,
        names=tuple(names),
        direction=media_direction or session_direction or "sendrecv",
        rtcp_mux=rtcp_mux,
        rtcp_port=rtcp_port,
        rtcp_host=rtcp_host,
        origin=origin,
    )


def describe(
    host: str,
    port: int,
    event_pt: int | None = DEFAULT_EVENT_PT,
    *,
    codecs: tuple[int, ...] = (PCMU,),
    direction: str = "sendrecv",
    rtcp_port: int | None = None,
    rtcp_mux: bool = False,
    origin: tuple[int, int] | None = None,
) -> str:
    """Our audio: G.711 (µ-law unless told), and telephone-events when the phone has them."""
    session, version = origin or (secrets.randbelow(2**31),) * 2
    formats = " ".join(str(c) for c in codecs) + (f" {event_pt}" if event_pt is not None else "")
    lines = [
        "v=0",
        f"o=Summitry {session} {version} IN IP4 {host}",
        "s=Summitry",
        f"c=IN IP4 {host}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {formats}",
    ]
    lines += [f"a=rtpmap:{c} {CODECS[c]}/8000" for c in codecs]
    if event_pt is not None:
        lines += [f"a=rtpmap:{event_pt} telephone-event/8000", f"a=fmtp:{event_pt} 0-15"]
    lines.append("a=ptime:20")
    if rtcp_mux:
        lines.append("a=rtcp-mux")
    elif rtcp_port is not None:
        lines.append(f"a=rtcp:{rtcp_port}")  # RFC 3605: it need not be the RTP port + 1
    lines.append(f"a={direction}")
    return "\r\n".join(lines) + "\r\n"
