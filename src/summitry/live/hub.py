"""Fan-out of committed events to the live connections of this process."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

from summitry.live.events import EventEnvelope
from summitry.live.log import PENDING

log = logging.getLogger(__name__)
T = TypeVar("T")

QUEUE_LIMIT = 1024
ENCODED_LIMIT = 256  # messages of the latest events kept encoded, for every connection to send


def events_message(envelopes: list[EventEnvelope]) -> str:
    """The ``events`` message of ``envelopes``, as Starlette's ``send_json`` would write it."""
    return json.dumps(
        {"type": "events", "events": [e.model_dump(mode="json") for e in envelopes]},
        separators=(",", ":"),
        ensure_ascii=False,
    )


class _Flight:
    """The shared reads of one key: the one under way, and the one due after it."""

    def __init__(self) -> None:
        self.running: asyncio.Future[Any] | None = None
        self.started = False  # whether the run under way has begun to read
        self.following: asyncio.Future[Any] | None = None
        self.following_load: Callable[[], Awaitable[Any]] | None = None


class LiveHub:
    """Subscribers per engagement; a slow subscriber is dropped, never waited for."""

    def __init__(self) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[EventEnvelope | None]]] = defaultdict(set)
        # id(envelope) -> (envelope, its message); holding the envelope keeps its id unique.
        self._encoded: OrderedDict[int, tuple[EventEnvelope, str]] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}
        self._taps: list[Callable[[int, EventEnvelope | None], None]] = []

    def tap(self, listener: Callable[[int, EventEnvelope | None], None]) -> None:
        """Call ``listener`` with every committed event of every engagement, and with ``None``
        when an engagement's media changed without an event (someone began publishing)."""
        self._taps.append(listener)

    def media_changed(self, engagement_id: int) -> None:
        for listener in self._taps:
            listener(engagement_id, None)

    def subscribe(self, engagement_id: int) -> asyncio.Queue[EventEnvelope | None]:
        queue: asyncio.Queue[EventEnvelope | None] = asyncio.Queue(QUEUE_LIMIT)
        self._subscribers[engagement_id].add(queue)
        return queue

    def unsubscribe(self, engagement_id: int, queue: asyncio.Queue[EventEnvelope | None]) -> None:
        self._subscribers[engagement_id].discard(queue)
        if not self._subscribers[engagement_id]:
            del self._subscribers[engagement_id]

    def publish(self, envelope: EventEnvelope) -> None:
        """Hand a committed event to every subscriber of its engagement."""
        for listener in self._taps:
            listener(envelope.engagement_id, envelope)
        for queue in list(self._subscribers.get(envelope.engagement_id, ())):
            try:
                queue.put_nowait(envelope)
            except asyncio.QueueFull:
                # The connection is not reading; it will resume from the log when it does.
                self._subscribers[envelope.engagement_id].discard(queue)
                log.warning(
                    "dropped a slow live subscriber of engagement %s", envelope.engagement_id
                )

    def message_of(self, envelope: EventEnvelope) -> str:
        """The ``events`` message of one published envelope: encoded once, not per connection."""
        cached = self._encoded.get(id(envelope))
        if cached is not None and cached[0] is envelope:
            return cached[1]
        text = events_message([envelope])
        self._encoded[id(envelope)] = (envelope, text)
        if len(self._encoded) > ENCODED_LIMIT:
            self._encoded.popitem(last=False)
        return text

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

    def holds(self, engagement_id: int, queue: asyncio.Queue[EventEnvelope | None]) -> bool:
        return queue in self._subscribers.get(engagement_id, ())

    def connections(self, engagement_id: int) -> int:
        return len(self._subscribers.get(engagement_id, ()))


def _settle(waiter: asyncio.Future[Any], run: asyncio.Future[Any]) -> None:
    if waiter.cancelled():
        return
    if run.cancelled():
        waiter.cancel()
    elif run.exception() is not None:
        waiter.set_exception(run.exception())  # type: ignore[arg-type]
    else:
        waiter.set_result(run.result())


HUB = "live_hub"


@event.listens_for(Session, "after_commit")
def _publish_committed(session: Session) -> None:
    """Publish what a session appended once, and only once, its transaction has committed."""
    pending: list[EventEnvelope] = session.info.pop(PENDING, [])
    hub: LiveHub | None = session.info.get(HUB)
    if hub is not None:
        for envelope in pending:
            hub.publish(envelope)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)
