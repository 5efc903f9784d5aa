"""The AudioBridge plugin, typed: mixing rooms, plain-RTP participants, forwarders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from summitry.errors import MediaUnavailable
from summitry.media.janus import JSON
from summitry.media.plugin import LOOPBACK, OPUS_PT, RoomPlugin

PLUGIN = "janus.plugin.audiobridge"

# AudioBridge error codes (Janus 1.1.2), as observed.
NO_SUCH_ROOM = 485
ROOM_EXISTS = 486
NO_SUCH_USER = 492
GONE = frozenset({NO_SUCH_ROOM, NO_SUCH_USER})

AllowedAction = Literal["add", "remove"]


@dataclass(frozen=True)
class BridgeRoom:
    """How to make one mixing room; ``None`` leaves a setting to the plugin's default."""

    room_id: int
    secret: str = field(repr=False)
    description: str
    allowed: tuple[str, ...] | None = field(default=None, repr=False)
    """Entry tokens; None makes a room entered with its secret."""
    sampling_rate: int = 48000
    allow_rtp_participants: bool = False
    prebuffering: int | None = None
    bitrate: int | None = None
    audiolevel_event: bool | None = None


@dataclass(frozen=True)
class BridgeParticipant:
    """Someone in a mixing room."""

    id: int
    display: str


@dataclass(frozen=True)
class RtpEntry:
    """How a plain-RTP participant enters: with a token or the room's secret, and its mix's
    destination (None: Janus only receives on this leg)."""

    display: str
    token: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    participant_id: int | None = None
    muted: bool = False
    volume: int | None = None
    prebuffer: int | None = None
    codec: str = "opus"
    payload_type: int = OPUS_PT
    send_to: tuple[str, int] | None = None


class AudioBridge(RoomPlugin):
    """AudioBridge requests over one handle."""

    plugin = PLUGIN

    async def create(self, room: BridgeRoom, *, exist_ok: bool = False) -> bool:
        """Make the room; False if it existed already and ``exist_ok``."""
        optional = {
            "allowed": list(room.allowed) if room.allowed is not None else None,
            "allow_rtp_participants": room.allow_rtp_participants or None,
            "default_prebuffering": room.prebuffering,
            "default_bitrate": room.bitrate,
            "audiolevel_event": room.audiolevel_event,
        }
        settings: JSON = {"sampling_rate": room.sampling_rate}
        settings.update({k: v for k, v in optional.items() if v is not None})
        return await self._create_room(room, settings, ROOM_EXISTS if exist_ok else None)

    async def destroy(self, room_id: int, secret: str) -> bool:
        """Close the room and put everyone out; False if it was gone already."""
        body = {"request": "destroy", "room": room_id, "secret": secret}
        return await self._request(body, GONE) is not None

    async def allowed(
        self,
        room_id: int,
        secret: str,
        action: AllowedAction,
        tokens: Sequence[str],
        *,
        missing_ok: bool = False,
    ) -> None:
        """Add or remove entry tokens; a room gone is fine only if ``missing_ok``."""
        body = {
            "request": "allowed",
            "room": room_id,
            "secret": secret,
            "action": action,
            "allowed": list(tokens),
        }
        await self._request(body, GONE if missing_ok else frozenset())

    async def kick(self, room_id: int, secret: str, participant_id: int) -> bool:
        """Put a participant out; False if they (or the room) were not there."""
        body = {"request": "kick", "room": room_id, "secret": secret, "id": participant_id}
        return await self._request(body, GONE) is not None

    async def mute(self, room_id: int, secret: str, participant_id: int, muted: bool) -> bool:
        """Mute or unmute a participant for the mix; False if they were not there."""
        verb = "mute" if muted else "unmute"
        body = {"request": verb, "room": room_id, "secret": secret, "id": participant_id}
        return await self._request(body, GONE) is not None

    async def list_participants(self, room_id: int) -> list[BridgeParticipant]:
        """Who is in the room; empty if there is no such room."""
        reply = await self._request(
            {"request": "listparticipants", "room": room_id}, frozenset({NO_SUCH_ROOM})
        )
        return [
            BridgeParticipant(int(p.get("id", 0)), str(p.get("display", "")))
            for p in (reply or {}).get("participants", [])
            if isinstance(p, dict)
        ]

    async def rtp_forward(self, room_id: int, secret: str, port: int) -> None:
        """Send the room's mix as Opus to ``LOOPBACK:port``."""
        body: JSON = {
            "request": "rtp_forward",
            "room": room_id,
            "secret": secret,
            "host": LOOPBACK,
            "host_family": "ipv4",
            "port": port,
            "codec": "opus",
            "ptype": OPUS_PT,
        }
        await self._request(self._admin(body))

    async def join_rtp(self, room_id: int, entry: RtpEntry, what: str) -> tuple[str, int]:
        """Enter this handle into the room as a plain-RTP participant; Janus's RTP address."""
        rtp: JSON = {"payload_type": entry.payload_type}
        if entry.send_to is not None:
            rtp = {"ip": entry.send_to[0], "port": entry.send_to[1], **rtp}
        body: JSON = {
            "request": "join",
            "room": room_id,
            "display": entry.display,
            "muted": entry.muted,
            "codec": entry.codec,
            "rtp": rtp,
        }
        optional = {
            "id": entry.participant_id,
            "token": entry.token,
            "secret": entry.secret,
            "volume": entry.volume,
            "prebuffer": entry.prebuffer,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        joined = await self._message(body, what)
        rtp_info = joined.data.get("rtp", {}) if joined is not None else {}
        port = int(rtp_info.get("port", 0))
        if not port:
            raise MediaUnavailable(f"the media server gave {what} no port")
        return str(rtp_info.get("ip")), port

    async def set_volume(self, volume: int) -> None:
        """This handle's participant's gain in the mix, in percent."""
        await self._message({"request": "configure", "volume": volume}, "a volume")
