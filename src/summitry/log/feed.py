"""One socket following one engagement's log: an opening, then every commit's events,
resumable after any interruption, with heartbeats, closed as soon as access ends.

What is shown and to whom belongs to the capability that serves the feed (the meeting's is
``meeting.feed``): it says who may follow (``admit``, ``still_allowed``), what a new or
resuming connection is sent first (``open``), and how people the events name are introduced
(``introduce``). This module keeps the rest: the queue the hub fills, the wire it writes to
once the connection has caught up, gaps filled from the log, pings and heartbeats.
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.db import utcnow
from summitry.log import store
from summitry.log.events import EventEnvelope
from summitry.log.hub import CLOSED, RECHECK, Follower, LiveHub, Outgoing, events_message
from summitry.log.wire import WIRE, Wire

HEARTBEAT_SECONDS = 15.0
CATCH_UP_LIMIT = 5000
"""The most events a resuming connection is sent; further behind, it starts afresh."""
CATCH_UP_AGE = 1.0
"""How old, in seconds, the last sequence number a heartbeat checks against may be: 1,000
connections each reading it every 15 s made 67 reads a second; now about one does."""


class Feed(Follower):
    """A live connection: the hub's follower, and the task that serves its socket.

    A meeting may have 1,000 of these. Each commit's events are encoded once, and once this
    connection has caught up the hub writes them to its socket itself (``Follower``); only
    what the hub could not write (a gap, someone not yet introduced, a socket behind) passes
    through this task.
    """

    def __init__(
        self,
        websocket: WebSocket,
        engagement_id: int,
        hub: LiveHub,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        super().__init__(engagement_id)
        self.websocket = websocket
        self.hub = hub
        self.sessionmaker = sessionmaker
        self.own_wire: Wire | None = (websocket.scope.get("extensions") or {}).get(WIRE)
        self.hub.follow(self)

    def close(self) -> None:
        self.hub.unfollow(self)

    async def admit(self) -> bool:
        """Whether the socket may follow (checked in full); if not, close it and say why."""
        raise NotImplementedError

    async def still_allowed(self) -> bool:
        """At a heartbeat: whether the socket may stay open (if not, it is closed)."""
        return await self.admit()

    async def open(self) -> None:
        """Send what a connection is shown first and set ``cursor``: a hello, or (``?after=``)
        what it missed."""
        raise NotImplementedError

    async def introduce(self) -> None:
        """Send whom the events may name (and set ``known``): the events that follow name
        someone this connection has not been shown."""
        raise NotImplementedError

    def asked_after(self) -> int | None:
        """The sequence number a resuming connection asks to go on from (``?after=``)."""
        after = self.websocket.query_params.get("after")
        return int(after) if after is not None and after.isdigit() else None

    def resumes_from(self, last: int) -> int | None:
        """The sequence number a resuming connection asks to go on from, if the log still
        has everything after it; ``None``: it starts afresh."""
        after = self.asked_after()
        if after is None or not last - CATCH_UP_LIMIT <= after <= last:
            return None
        return after

    async def kept_since(self) -> tuple[int, list[Outgoing]] | None:
        """Where a resuming connection goes on from and the commits it missed, encoded, if
        the hub holds them all; ``None``: they are read from the log (or it starts afresh).
        Under churn, resumptions come in waves: each reading and encoding its own copy of
        the same few events kept the server saturated. One read of the last number, shared
        by the wave, tells whether something was committed that the hub has not published
        (another process wrote it, or its commit hook has yet to run)."""
        after = self.asked_after()
        if after is None:
            return None
        kept = self.hub.published_after(self.engagement_id, after)
        if kept is None:
            return None
        last = await self._last_seq()
        return (after, kept) if last == (kept[-1].last if kept else after) else None

    async def run(self) -> None:
        if not await self.admit():
            return
        await self.open()
        receiver = asyncio.create_task(self._receive())
        # The socket closed (the page went, the server shuts down): the loop below learns it
        # now, not at its next heartbeat, and its task ends with the connection.
        receiver.add_done_callback(lambda _: self._wake())
        try:
            while not receiver.done():
                try:
                    outgoing = self.queue.get_nowait()
                except asyncio.QueueEmpty:
                    # Caught up: from here the hub writes to the socket itself.
                    self.wire = self.own_wire
                    try:
                        # A timer, not the task per wait that ``wait_for`` makes on Python 3.11.
                        async with asyncio.timeout(HEARTBEAT_SECONDS):
                            outgoing = await self.queue.get()
                    except TimeoutError:
                        # The hub goes on writing meanwhile: a heartbeat must not hold up
                        # the floor's news for as long as its reads take.
                        if not await self.still_allowed():
                            return
                        await self._catch_up()
                        await self.websocket.send_json(
                            {"type": "ping", "cursor": self.cursor, "now": utcnow().isoformat()}
                        )
                        continue
                if outgoing is CLOSED:
                    return
                if outgoing is RECHECK:
                    if not await self.admit():
                        return
                    continue
                await self._deliver(outgoing)
        finally:
            receiver.cancel()
            await _settled(receiver)

    def _wake(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):  # full: the loop is not waiting
            self.queue.put_nowait(CLOSED)

    async def _receive(self) -> None:
        while True:
            message = await self.websocket.receive_json()
            if isinstance(message, dict) and message.get("type") == "ping":
                await self.websocket.send_json({"type": "pong", "cursor": self.cursor})

    async def send_events(self, envelopes: list[EventEnvelope], text: str | None = None) -> None:
        """Send ``envelopes`` (``text``: their message, if encoded already), after an
        introduction if they name someone this connection has not been shown."""
        if not envelopes:
            return
        named = (getattr(e.event, "attendee_id", None) for e in envelopes)
        if any(who is not None and who not in self.known for who in named):
            await self.introduce()
        await self.websocket.send_text(text or events_message(envelopes))
        self.cursor = envelopes[-1].seq

    async def _deliver(self, outgoing: Outgoing) -> None:
        if not outgoing.envelopes:
            await self.websocket.send_text(outgoing.text)  # a word for this person alone
            return
        if outgoing.last <= self.cursor:
            return
        if outgoing.first == self.cursor + 1:
            await self.send_events(outgoing.envelopes, outgoing.text)
            return
        # A gap: events committed but not seen here (another replica, a dropped queue).
        await self.send_events(await self.events_after(self.cursor))

    async def events_after(self, seq: int) -> list[EventEnvelope]:
        """The engagement's events after ``seq``, read in a session of their own."""
        async with self.sessionmaker() as db:
            return await store.events_after(db, self.engagement_id, seq)

    async def _last_seq(self, max_age: float | None = None) -> int:
        """The engagement's last sequence number, from a read shared with every connection
        asking meanwhile (``max_age``: or from one at most that old)."""
        key = ("last seq", self.engagement_id)
        load = partial(_read_last_seq, self.sessionmaker, self.engagement_id)
        if max_age is None:
            return await self.hub.shared(key, load)
        return await self.hub.recent(key, load, max_age)

    async def _catch_up(self) -> None:
        """Send what was committed but never reached this connection: it was dropped for not
        reading, or another process wrote to the log."""
        if self.hub.follows(self):
            # Only another process's commits can be missing: a moment old will do (they come
            # with the gap before the next commit here, or at the next heartbeat).
            last = await self._last_seq(CATCH_UP_AGE)
        else:
            while not self.queue.empty():  # stale: what it held is read from the log below
                self.queue.get_nowait()
            self.hub.follow(self)
            last = await self._last_seq()
        # While the hub writes, the cursor is never behind what this process committed.
        if last > self.cursor:
            self.wire = None
            await self.send_events(await self.events_after(self.cursor))


async def _settled(task: asyncio.Task[None]) -> None:
    """Wait for ``task`` to end without raising what ended it here. Raised here, the exception
    would hold this frame in its traceback, the frame the task, and the task the exception: a
    cycle through the whole connection, left for the collector's full pass to free (under
    churn, hundreds of connections at once, stopping the server for half a second)."""
    await asyncio.wait([task])
    error = None if task.cancelled() else task.exception()
    if error is not None and not isinstance(error, WebSocketDisconnect):
        raise error  # not a socket that closed: a fault, to be seen


async def _read_last_seq(sessionmaker: Any, engagement_id: int) -> int:
    async with sessionmaker() as db:
        return await store.last_seq(db, engagement_id)
