"""Keypad digits from a telephone: RFC 4733 telephone-events in RTP, and SIP INFO bodies."""

from __future__ import annotations

import struct
from collections import OrderedDict

EVENTS = "0123456789*#ABCD"
"""RFC 4733 event codes 0–15 in order."""

_REMEMBERED = 64


def event_digit(code: int) -> str | None:
    return EVENTS[code] if 0 <= code < len(EVENTS) else None


class TelephoneEvents:
    """Digits from RFC 4733 packets, each reported once.

    A sender repeats the packets of one key press while it is held and sends its end packet
    three times (RFC 4733 §2.5.1.4): a digit is reported on its first end packet, and the
    key (RTP timestamp, event) is remembered so the repeats are dropped.
    """

    def __init__(self) -> None:
        self._seen: OrderedDict[tuple[int, int], None] = OrderedDict()

    def feed(self, timestamp: int, payload: bytes) -> str | None:
        """The digit this packet completes, if any."""
        if len(payload) < 4:
            return None
        code, flags, _duration = struct.unpack_from("!BBH", payload)
        if not flags & 0x80:  # not an end packet: the key is still down
            return None
        key = (timestamp, code)
        if key in self._seen:
            return None
        self._seen[key] = None
        if len(self._seen) > _REMEMBERED:
            self._seen.popitem(last=False)
        return event_digit(code)


def info_digit(content_type: str, body: str) -> str | None:
    """The digit a SIP INFO carries (``application/dtmf-relay`` or ``application/dtmf``)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/dtmf-relay":
        for line in body.splitlines():
            name, _, value = line.partition("=")
            if name.strip().lower() == "signal":
                return _digit(value.strip())
        return None
    if kind == "application/dtmf":
        return _digit(body.strip())
    return None


def _digit(value: str) -> str | None:
    if value.isdigit() and len(value) == 2 and 10 <= int(value) <= 15:
        return event_digit(int(value))  # some phones send "10" for "*" and "11" for "#"
    value = value.upper()
    return value if len(value) == 1 and value in EVENTS else None
