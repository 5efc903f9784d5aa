"""Fan-out of committed events to the live connections of this process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from summitry.log.committed import Recheck
from summitry.log.events import EventEnvelope
from summitry.log.listening import QUEUE_LIMIT, Listeners
from summitry.log.wire import WINDOW_BITS, Wire, frame_of

log = logging.getLogger(__name__)
T = TypeVar("T")

KEPT_COMMITS = 512
"""Commits of each engagement kept here, encoded, for the connections that resume: a page
back after a blip of a few seconds is sent what it missed without a read or an encoding."""


def events_message(envelopes: list[EventEnvelope]) -> str:
    """The ``events`` message of ``envelopes``, as Starlette's ``send_json`` would write it."""
    return _json({"type": "events", "events": [e.model_dump(mode="json") for e in envelopes]})


def _json(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


class Outgoing:
    """One message of the live feed, encoded once for every connection that gets it: the
    events of one commit, or a word for one person's connections alone."""

    def __init__(self, text: str, envelopes: list[EventEnvelope] | None = None) -> None:
        self.text = text
        self.envelopes = envelopes or []
        self.first = self.envelopes[0].seq if self.envelopes else 0
        self.last = self.envelopes[-1].seq if self.envelopes else 0
        named = (getattr(e.event, "attendee_id", None) for e in self.envelopes)
        self.named = frozenset(who for who in named if who is not None)
        self._frames: dict[int | None, bytes] = {}

    def frame(self, window_bits: int | None) -> bytes:
        """The message as a WebSocket frame for sockets of that compression, made once."""
        found = self._frames.get(window_bits)
        if found is None:
            found = self._frames[window_bits] = frame_of(self.text, window_bits)
        return found


RECHECK = Outgoing("")
"""Put in a follower's queue to have it check its access again; never sent."""
CLOSED = Outgoing("")
"""Put in a follower's queue when its socket has closed; never sent."""


class Follower:
    """A live connection as the hub sees it.

    While ``wire`` is set the hub writes each commit's frame to the socket itself, in the
    publishing call: nothing per connection is scheduled, so 1,000 followers cost 1,000
    writes. Whatever the hub cannot write at once (a gap, an attendee the connection has not
    been shown, a socket that is behind, a server without wires) it queues, clears ``wire``
    and leaves to the connection's own task, which sets ``wire`` again once it has caught up.
    """

    def __init__(self, engagement_id: int) -> None:
        self.engagement_id = engagement_id
        self.queue: asyncio.Queue[Outgoing] = asyncio.Queue(QUEUE_LIMIT)
        self.cursor = 0
        self.known: set[int] = set()
        self.attendee_id: int | None = None
        self.wire: Wire | None = None
        self.session_key: str | None = None
        """The key of the browser session it was opened with: signing out closes it."""
        self.invitation_id: int | None = None
        """The invitation it follows the meeting by, if any: withdrawing it closes it."""

    def recheck(self) -> None:
        """Check access again now: it was taken away somewhere (a sign-out, a withdrawal)."""
        # A full queue is dropped at its next heartbeat, which checks access first anyway.
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(RECHECK)


class _Flight:
    """The shared reads of one key: the one under way, and the one due after it."""

    def __init__(self) -> None:
        self.running: asyncio.Future[Any] | None = None
        self.started = False  # whether the run under way has begun to read
        self.following: asyncio.Future[Any] | None = None
        self.following_load: Callable[[], Awaitable[Any]] | None = None


class LiveHub(Listeners):
    """The followers and listeners of each engagement; a slow one is dropped, never waited for."""

    def __init__(self) -> None:
        super().__init__()
        self._followers: dict[int, set[Follower]] = defaultdict(set)
        self._flights: dict[Hashable, _Flight] = {}
        self._recent: dict[Hashable, tuple[float, Any]] = {}
        self._kept: dict[int, deque[Outgoing]] = {}
        self.outbox: Callable[[dict[str, Any]], None] | None = None
        """Where what this process commits goes besides its own connections (the replicas'
        relay); given plain data: events, words for one person, rechecks, media changes."""

    def followed(self) -> list[int]:
        """The engagements someone follows here."""
        return list(self._followers)

    def published(self, engagement_id: int, seq: int) -> bool:
        """Whether this hub has published event ``seq``: among the commits it keeps, or older
        than the oldest of them (long since shown)."""
        kept = self._kept.get(engagement_id)
        if not kept:
            return False
        return seq < min(o.first for o in kept) or any(o.first <= seq <= o.last for o in kept)

    def seen_up_to(self, engagement_id: int) -> int | None:
        """The number up to which every event has been published here or shown to every
        connection following the engagement; ``None`` if no connection has been shown any."""
        # A connection still opening has been shown nothing yet (cursor 0): what it is shown
        # comes from the log when it opens.
        cursors = [f.cursor for f in self._followers.get(engagement_id, ()) if f.cursor]
        if not cursors:
            return None
        seen = min(cursors)
        for outgoing in sorted(self._kept.get(engagement_id, ()), key=lambda o: o.first):
            if outgoing.first <= seen + 1:
                seen = max(seen, outgoing.last)
        return seen

    def media_changed(self, engagement_id: int) -> None:
        super().media_changed(engagement_id)
        if self.outbox is not None:
            self.outbox({"kind": "media", "engagement_id": engagement_id})

    def follow(self, follower: Follower) -> None:
        """Give ``follower`` what is published from now on (queued until it takes a wire)."""
        self._followers[follower.engagement_id].add(follower)

    def unfollow(self, follower: Follower) -> None:
        followers = self._followers.get(follower.engagement_id)
        if followers is not None:
            followers.discard(follower)
            if not followers:
                del self._followers[follower.engagement_id]

    def follows(self, follower: Follower) -> bool:
        return follower in self._followers.get(follower.engagement_id, ())

    def publish(self, envelopes: list[EventEnvelope]) -> None:
        """Hand the events of one commit to everyone following their engagement."""
        for envelope in envelopes:
            self.notify(envelope.engagement_id, envelope)
        by_engagement: dict[int, list[EventEnvelope]] = defaultdict(list)
        for envelope in envelopes:
            by_engagement[envelope.engagement_id].append(envelope)
        for engagement_id, of_one in by_engagement.items():
            outgoing = Outgoing(events_message(of_one), of_one)
            kept = self._kept.get(engagement_id)
            if kept is None:
                kept = self._kept[engagement_id] = deque(maxlen=KEPT_COMMITS)
            kept.append(outgoing)
            self._send(engagement_id, outgoing)

    def published_after(self, engagement_id: int, seq: int) -> list[Outgoing] | None:
        """The commits this hub published after ``seq``, in order, if it holds every one of
        them; ``None`` when the log must be read instead (``seq`` older than what is kept or
        beyond the last published, or a commit published elsewhere).

        A follower that began following before asking misses nothing by it: whatever is
        published later reaches its queue."""
        kept = self._kept.get(engagement_id)
        if not kept:
            return None
        # Commits of one engagement are published in the order of their numbers but for a
        # race between two sessions' commit hooks: sorted, and a hole sends to the log.
        found = sorted((o for o in kept if o.last > seq), key=lambda o: o.first)
        if not found:
            return [] if any(o.last == seq for o in kept) else None
        expected = seq + 1
        for outgoing in found:
            if outgoing.first != expected:
                return None
            expected = outgoing.last + 1
        return found

    def recheck(self, recheck: Recheck) -> None:
        """Have the followers ``recheck`` concerns check their access now rather than at their
        next heartbeat: access taken away ends within a second."""
        if recheck.engagement_id is None:
            groups = list(self._followers.values())
        else:
            groups = [self._followers.get(recheck.engagement_id, set())]
        for group in groups:
            for follower in list(group):
                if recheck.concerns(follower):
                    follower.recheck()

    def tell(self, engagement_id: int, attendee_id: int, message: dict[str, Any]) -> None:
        """Send ``message`` to that person's own connections only (never into the log)."""
        outgoing = Outgoing(_json(message))
        self._send(engagement_id, outgoing, lambda f: f.attendee_id == attendee_id)

    def _send(
        self,
        engagement_id: int,
        outgoing: Outgoing,
        to: Callable[[Follower], bool] | None = None,
    ) -> None:
        # The loop runs for every socket of the meeting in one go: kept to the bare checks.
        events, first, last, named = (
            bool(outgoing.envelopes),
            outgoing.first,
            outgoing.last,
            outgoing.named,
        )
        followers = self._followers.get(engagement_id)
        if not followers:
            return
        late = []
        bits, frame = WINDOW_BITS, outgoing.frame(WINDOW_BITS)  # what nearly every socket has
        for follower in followers:
            if to is not None and not to(follower):
                continue
            wire = follower.wire
            if (
                wire is not None
                and (not events or (follower.cursor == first - 1 and named <= follower.known))
                and wire.write(
                    frame if wire.window_bits == bits else outgoing.frame(wire.window_bits)
                )
            ):
                if events:
                    follower.cursor = last
                continue
            late.append(follower)
        for follower in late:
            follower.wire = None  # what follows must wait behind this in the queue
            try:
                follower.queue.put_nowait(outgoing)
            except asyncio.QueueFull:
                # Not reading: it catches up from the log at its next heartbeat, if ever.
                self.unfollow(follower)
                log.warning("dropped a slow live follower of engagement %s", engagement_id)

    async def shared(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """What ``load()`` returns, from a run of it that began after this call: as fresh as
        if the caller had read for itself, but callers that come while a run is under way share
        the next one, so 1,000 connections arriving together read a few times, not 1,000.
        Every ``load`` given for one key must read the same thing (its own session)."""
        flight = self._flights.setdefault(key, _Flight())
        if flight.running is None:
            waiter = self._take_off(key, flight, load)
        elif not flight.started:
            waiter = flight.running  # due to begin after this call: fresh enough to share
        else:
            if flight.following is None:
                flight.following = asyncio.get_running_loop().create_future()
                flight.following_load = load
            waiter = flight.following
        result: T = await asyncio.shield(waiter)
        return result

    async def recent(self, key: Hashable, load: Callable[[], Awaitable[T]], max_age: float) -> T:
        """What ``load()`` returned from a run asked for at most ``max_age`` seconds ago, or
        else from a fresh shared run: for checks that may be a moment old (a heartbeat's) and
        that 1,000 connections, each on its own clock, would otherwise make one by one."""
        asked = time.monotonic()
        found = self._recent.get(key)
        if found is not None and asked - found[0] <= max_age:
            result: T = found[1]
            return result
        result = await self.shared(key, load)
        self._recent[key] = (asked, result)
        return result

    def _take_off(
        self, key: Hashable, flight: _Flight, load: Callable[[], Awaitable[Any]]
    ) -> asyncio.Future[Any]:
        async def run() -> Any:
            flight.started = True
            return await load()

        running = asyncio.ensure_future(run())
        flight.running, flight.started = running, False
        running.add_done_callback(lambda done: self._landed(key, flight, done))
        return running

    def _landed(self, key: Hashable, flight: _Flight, done: asyncio.Future[Any]) -> None:
        flight.running = None
        following, load = flight.following, flight.following_load
        flight.following = flight.following_load = None
        if following is None or load is None:
            if self._flights.get(key) is flight:
                del self._flights[key]
            return
        self._take_off(key, flight, load).add_done_callback(lambda run: _settle(following, run))


def _settle(waiter: asyncio.Future[Any], run: asyncio.Future[Any]) -> None:
    if waiter.cancelled():
        return
    if run.cancelled():
        waiter.cancel()
    elif run.exception() is not None:
        waiter.set_exception(run.exception())  # type: ignore[arg-type]
    else:
        waiter.set_result(run.result())
