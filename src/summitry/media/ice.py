"""The STUN and TURN servers a page is told to use, with TURN credentials of its own.

TURN credentials follow the TURN REST API scheme coturn implements with ``use-auth-secret``:
the user name is ``<expiry as Unix time>:<label>`` and the password the base64 of the
HMAC-SHA1 of that name under the secret Summitry shares with the TURN server. The TURN server
checks them without asking Summitry, and refuses them once the expiry has passed; a relay
already open stays open (coturn checks credentials when a relay is made, not while it runs).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable

from summitry.config import Settings, split_list
from summitry.meeting.media_port import IceServer


def turn_password(secret: str, username: str) -> str:
    """The password the TURN server expects for ``username`` under the shared ``secret``."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class IceServers:
    """Hands each person the installation's STUN servers and TURN servers with credentials."""

    def __init__(
        self,
        stun_urls: list[str],
        turn_urls: list[str],
        turn_secret: str,
        lifetime_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.stun_urls = tuple(stun_urls)
        self.turn_urls = tuple(turn_urls)
        self._secret = turn_secret
        self.lifetime_seconds = lifetime_seconds
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> IceServers:
        """The servers the settings name (none: pages reach the media server directly)."""
        return cls(
            split_list(settings.stun_urls),
            split_list(settings.turn_urls),
            settings.turn_secret,
            settings.turn_credential_minutes * 60,
        )

    def for_holder(self, label: str) -> tuple[IceServer, ...]:
        """What one person's page passes to its peer connections; ``label`` names them in the
        TURN server's own log (an opaque label: no name, no e-mail address)."""
        servers = []
        if self.stun_urls:
            servers.append(IceServer(urls=self.stun_urls))
        if self.turn_urls:
            expiry = int(self._clock()) + self.lifetime_seconds
            username = f"{expiry}:{label}"
            servers.append(
                IceServer(
                    urls=self.turn_urls,
                    username=username,
                    credential=turn_password(self._secret, username),
                )
            )
        return tuple(servers)
