"""Fan-out of committed events to the live connections of this process."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict, defaultdict

from sqlalchemy import event
from sqlalchemy.orm import Session

from summitry.live.events import EventEnvelope
from summitry.live.log import PENDING

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1024
ENCODED_LIMIT = 256  # messages of the latest events kept encoded, for every connection to send


def events_message(envelopes: list[EventEnvelope]) -> str:
    """The ``events`` message of ``envelopes``, as Starlette's ``send_json`` would write it."""
    return json.dumps(
        {"type": "events", "events": [e.model_dump(mode="json") for e in envelopes]},
        separators=(",", ":"),
        ensure_ascii=False,
    )


class LiveHub:
    """Subscribers per engagement; a slow subscriber is dropped, never waited for."""

    def __init__(self) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[EventEnvelope | None]]] = defaultdict(set)
        # id(envelope) -> (envelope, its message); holding the envelope keeps its id unique.
        self._encoded: OrderedDict[int, tuple[EventEnvelope, str]] = OrderedDict()

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

    def holds(self, engagement_id: int, queue: asyncio.Queue[EventEnvelope | None]) -> bool:
        return queue in self._subscribers.get(engagement_id, ())

    def connections(self, engagement_id: int) -> int:
        return len(self._subscribers.get(engagement_id, ()))


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
