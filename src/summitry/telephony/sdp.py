"""The few lines of SDP (RFC 4566) a telephone leg offers, answers and reads."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from summitry.telephony.rtp import PCMU

DEFAULT_EVENT_PT = 101


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

    @property
    def speaks_pcmu(self) -> bool:
        return PCMU in self.payload_types


def parse(sdp: str) -> AudioOffer:
    """The first audio stream of an SDP, with its connection address."""
    session_host = ""
    media_host = ""
    port = None
    types: tuple[int, ...] = ()
    event_pt = None
    in_audio = False
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
        elif line.startswith("c="):
            parts = line[2:].split()
            if len(parts) == 3 and parts[1] == "IP4":
                if in_audio:
                    media_host = parts[2]
                elif port is None:
                    session_host = parts[2]
        elif in_audio and line.lower().startswith("a=rtpmap:"):
            number, _, name = line[len("a=rtpmap:") :].partition(" ")
            if name.lower().startswith("telephone-event/8000") and number.isdigit():
                event_pt = int(number)
    host = media_host or session_host
    if port is None or not host:
        raise SdpError("no audio stream with an IPv4 address")
    if not 0 < port < 65536:
        raise SdpError("the audio port is out of range")
    return AudioOffer(host=host, port=port, payload_types=types, event_pt=event_pt)


def describe(host: str, port: int, event_pt: int | None = DEFAULT_EVENT_PT) -> str:
    """Our audio: G.711 µ-law, and telephone-events when the phone has them."""
    session = secrets.randbelow(2**31)
    formats = f"{PCMU}" + (f" {event_pt}" if event_pt is not None else "")
    lines = [
        "v=0",
        f"o=Summitry {session} {session} IN IP4 {host}",
        "s=Summitry",
        f"c=IN IP4 {host}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {formats}",
        f"a=rtpmap:{PCMU} PCMU/8000",
    ]
    if event_pt is not None:
        lines += [f"a=rtpmap:{event_pt} telephone-event/8000", f"a=fmtp:{event_pt} 0-15"]
    lines += ["a=ptime:20", "a=sendrecv"]
    return "\r\n".join(lines) + "\r\n"
