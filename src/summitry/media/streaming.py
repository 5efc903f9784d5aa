"""The Streaming plugin, typed: the plain-RTP audio mountpoints listeners watch."""

from __future__ import annotations

from summitry.errors import MediaUnavailable
from summitry.media.janus import JSON, JanusError, JanusUnavailable
from summitry.media.plugin import OPUS_PT, PluginAdapter

PLUGIN = "janus.plugin.streaming"

# Streaming error codes (Janus 1.1.2), as observed.
INVALID_REQUEST = 452  # also "Recording ... already started for this stream"
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

    async def record(self, mountpoint: int, secret: str, base: str | None) -> bool:
        """Record what the mountpoint receives into ``base`` + ``.mjr``, or stop (``None``);
        False if the mountpoint is gone. Asked again while it records, it records on."""
        media: JSON = {"mid": "a"} if base is None else {"mid": "a", "filename": base}
        body: JSON = {
            "request": "recording",
            "action": "stop" if base is None else "start",
            "id": mountpoint,
            "secret": secret,
            "media": [media],
        }
        try:
            await self.handle.request(body)
        except JanusError as err:
            if err.code == NO_SUCH_MOUNTPOINT:
                return False
            if err.code == INVALID_REQUEST:  # recording already (or, to stop, not recording)
                return True
            raise MediaUnavailable(f"the media server refused to record: {err.reason}") from err
        except JanusUnavailable as err:
            raise MediaUnavailable(f"the media server does not answer: {err}") from err
        return True

    async def set_pin(self, mountpoint: int, secret: str, pin: str) -> None:
        """Change the PIN new viewers must give (those watching stay)."""
        body = {"request": "edit", "id": mountpoint, "secret": secret, "new_pin": pin}
        await self._request(body, _GONE)

    async def kick_all(self, mountpoint: int, secret: str) -> None:
        """Stop every viewer of the mountpoint."""
        await self._request({"request": "kick_all", "id": mountpoint, "secret": secret}, _GONE)
