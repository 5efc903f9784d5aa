"""What every plugin adapter shares: one Janus handle, its failures as ``MediaUnavailable``.

The plugin adapters (``videoroom``, ``audiobridge``, ``streaming``) are the only code that
writes plugin requests; everything else asks them, in types, and never sees request JSON.
"""

from __future__ import annotations

import contextlib
from typing import ClassVar, Protocol

from summitry.errors import MediaUnavailable
from summitry.media.janus import (
    JSON,
    Handle,
    JanusClientError,
    JanusError,
    JanusUnavailable,
    PluginReply,
)

OPUS_PT = 111
"""The RTP payload type of Opus wherever Summitry moves audio between plugins."""
LOOPBACK = "127.0.0.1"
"""Where plugins forward plain RTP to each other: Janus's own machine."""


class NewPrivateRoom(Protocol):
    """What every private room is made with, whatever the plugin."""

    @property
    def room_id(self) -> int: ...
    @property
    def secret(self) -> str: ...
    @property
    def description(self) -> str: ...


class PluginAdapter:
    """Typed requests to one plugin over one handle; a refusal or silence is MediaUnavailable."""

    plugin: ClassVar[str]

    def __init__(self, handle: Handle, admin_key: str | None = None) -> None:
        self.handle = handle
        self.admin_key = admin_key
        """The plugin's admin key, added to the requests Janus guards with it."""

    @property
    def alive(self) -> bool:
        """Whether the handle still works (neither detached nor its connection closed)."""
        handle = self.handle
        return not handle.client.closed and handle.session.handles.get(handle.id) is handle

    def _admin(self, body: JSON) -> JSON:
        return body if self.admin_key is None else {**body, "admin_key": self.admin_key}

    async def _request(self, body: JSON, tolerate: frozenset[int] = frozenset()) -> JSON | None:
        """One synchronous request; None when Janus answers one of the ``tolerate`` codes."""
        try:
            return await self.handle.request(body)
        except JanusError as err:
            if err.code in tolerate:
                return None
            raise MediaUnavailable(
                f"the media server refused {body.get('request')}: {err.reason} ({err.code})"
            ) from err
        except JanusUnavailable as err:
            raise MediaUnavailable(f"the media server does not answer: {err}") from err

    async def _message(
        self,
        body: JSON,
        what: str,
        jsep: JSON | None = None,
        tolerate: frozenset[int] = frozenset(),
    ) -> PluginReply | None:
        """An asynchronous request (join, publish, configure); None on a ``tolerate`` code."""
        try:
            return await self.handle.message(body, jsep)
        except JanusError as err:
            if err.code in tolerate:
                return None
            raise MediaUnavailable(f"the media server refused {what}: {err}") from err
        except JanusUnavailable as err:
            raise MediaUnavailable(f"the media server does not answer: {err}") from err

    async def detach(self) -> None:
        """Let go of the handle; one already gone is fine."""
        with contextlib.suppress(JanusClientError):
            await self.handle.detach()


class RoomPlugin(PluginAdapter):
    """A plugin of rooms with secrets (VideoRoom, AudioBridge): made and asked about alike."""

    async def _create_room(self, room: NewPrivateRoom, settings: JSON, exists: int | None) -> bool:
        """Make a private room with ``settings``; False if Janus answers ``exists`` (the code
        for a room already there), which is then tolerated."""
        body: JSON = {
            "request": "create",
            "room": room.room_id,
            "permanent": False,  # Summitry's database is the record; Janus keeps nothing
            "description": room.description,
            "secret": room.secret,
            "is_private": True,
            **settings,
        }
        tolerate = frozenset() if exists is None else frozenset({exists})
        return await self._request(self._admin(body), tolerate) is not None

    async def exists(self, room_id: int) -> bool:
        """Whether Janus has the room (AudioBridge and VideoRoom ask alike)."""
        reply = await self._request({"request": "exists", "room": room_id})
        return bool(reply and reply.get("exists"))
