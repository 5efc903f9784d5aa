"""The Streaming plugin, typed: the plain-RTP audio mountpoints listeners watch."""

from __future__ import annotations

from summitry.errors import MediaUnavailable
from summitry.media.janus import JSON
from summitry.media.plugin import OPUS_PT, PluginAdapter

PLUGIN = "janus.plugin.streaming"

# Streaming error codes (Janus 1.1.2), as observed.
NO_SUCH_MOUNTPOINT = 455
MOUNTPOINT_EXISTS = 456
_GONE = frozenset({NO_SUCH_MOUNTPOINT})


class Streaming(PluginAdapter):
    """Streaming requests over one handle."""

    plugin = PLUGIN

    async def create_audio(self, mountpoint: int, secret: str, description: str, pin: str) -> int:
        """A private mountpoint taking Opus as plain RTP; the port it receives on."""
        body: JSON = {
            "request": "create",
            "type": "rtp",
            "id": mountpoint,
            "description": description,
            "secret": secret,
            "pin": pin,
            "is_private": True,
            "permanent": False,
            "media": [{"type": "audio", "mid": "a", "port": 0, "pt": OPUS_PT, "codec": "opus"}],
        }
        reply = await self._request(self._admin(body))
        for port in (reply or {}).get("stream", {}).get("ports", []):
            if isinstance(port, dict) and port.get("type") == "audio":
                return int(port["port"])
        raise MediaUnavailable("the media server made a channel without a port")

    async def destroy(self, mountpoint: int, secret: str) -> bool:
        """Close the mountpoint; False if it was gone already."""
        body = {"request": "destroy", "id": mountpoint, "secret": secret}
        return await self._request(body, _GONE) is not None

    async def set_pin(self, mountpoint: int, secret: str, pin: str) -> None:
        """Change the PIN new viewers must give (those watching stay)."""
        body = {"request": "edit", "id": mountpoint, "secret": secret, "new_pin": pin}
        await self._request(body, _GONE)

    async def kick_all(self, mountpoint: int, secret: str) -> None:
        """Stop every viewer of the mountpoint."""
        await self._request({"request": "kick_all", "id": mountpoint, "secret": secret}, _GONE)
