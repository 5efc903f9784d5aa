"""A connection to Janus of one's own, with one session: what a telephone leg holds.

The meeting rooms share one management connection (``rooms.MeetingRooms``); a caller's leg
has its own, so that everything it made in Janus goes when the call or Janus does.
"""

from __future__ import annotations

import contextlib
from typing import TypeVar

from summitry.errors import MediaUnavailable
from summitry.media.janus import JanusClient, JanusClientError, Session, connect
from summitry.media.plugin import PluginAdapter

A = TypeVar("A", bound=PluginAdapter)


class MediaConnection:
    """One WebSocket and one session; plugin adapters attached in it end with it."""

    def __init__(self, client: JanusClient, session: Session, admin_key: str | None) -> None:
        self._client = client
        self._session = session
        self.admin_key = admin_key

    @classmethod
    async def open(cls, url: str, admin_key: str | None = None) -> MediaConnection:
        """Connect to Janus at ``url`` and open a session there."""
        try:
            client = await connect(url)
        except JanusClientError as err:
            raise MediaUnavailable(f"the media server does not answer: {err}") from err
        try:
            session = await client.create_session()
        except JanusClientError as err:
            await client.close()
            raise MediaUnavailable(f"the media server does not answer: {err}") from err
        return cls(client, session, admin_key)

    async def adapter(self, kind: type[A]) -> A:
        """A plugin adapter (``VideoRoom``, ``AudioBridge``...) on a handle of its own."""
        try:
            handle = await self._session.attach(kind.plugin)
        except JanusClientError as err:
            raise MediaUnavailable(f"the media server does not answer: {err}") from err
        return kind(handle, self.admin_key)

    async def wait_closed(self) -> None:
        """Return when the connection closes (Janus stopped or crashed)."""
        await self._client.wait_closed()

    async def close(self) -> None:
        """End the session (and all it holds in Janus) and the connection."""
        with contextlib.suppress(JanusClientError):
            await self._session.destroy()
        await self._client.close()
