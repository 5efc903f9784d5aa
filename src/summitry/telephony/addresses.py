"""Where a call out goes: a SIP address the secretariat gives (no SIP stack needed here)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from summitry.errors import InvalidInput

_SIP_URI = re.compile(
    r"^sips?:(?P<user>[A-Za-z0-9_.+*#-]{1,64})@(?P<host>[0-9.]{7,15})(:(?P<port>\d{1,5}))?$"
)


@dataclass(frozen=True)
class Target:
    """Where a call out goes: ``sip:user@host:port``."""

    user: str
    host: str
    port: int

    @classmethod
    def parse(cls, uri: str) -> Target:
        found = _SIP_URI.match(uri.strip())
        if found is None:
            raise InvalidInput(
                "give a SIP address like sip:+41225550100@192.0.2.10:5060", field="uri"
            )
        port = int(found["port"] or 5060)
        if not 0 < port < 65536:
            raise InvalidInput("the port must be between 1 and 65535", field="uri")
        return cls(found["user"], found["host"], port)
