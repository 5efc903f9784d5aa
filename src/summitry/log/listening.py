"""The one way work in this process follows the log: a subscription to the hub.

The floor clock, the channel router and the telephone each hold one. A subscription is a
synchronous callback (cheap, never blocking: it is called in the commit's own publishing
call); an ``Inbox`` is the queue form built on it, for a task that awaits events one by one.
Either way a consumer that cannot keep up is dropped and logged, never waited for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from summitry.log.events import EventEnvelope

log = logging.getLogger(__name__)

QUEUE_LIMIT = 1024
"""How many commits (a live follower) or events (an inbox) may wait before it is dropped."""


Listener = Callable[[int, EventEnvelope | None], None]
"""Called with an engagement's id and each of its committed events, in order; or with
``None`` when its media changed without an event (someone began publishing)."""


class Subscription:
    """One listener's hold on the hub, for one engagement or for all; ``close`` ends it.

    This is the one way work in this process follows the log (the floor clock, the channel
    router, the telephone): a listener is called synchronously, in the publishing call, so it
    must not block; what needs to await takes an ``Inbox``, the queue form built on this.
    """

    def __init__(self, hub: Listeners, listener: Listener, engagement_id: int | None) -> None:
        self.hub = hub
        self.listener = listener
        self.engagement_id = engagement_id

    @property
    def closed(self) -> bool:
        """Whether it hears nothing more: closed by its holder, or dropped by the hub."""
        return not self.hub.hears(self)

    def close(self) -> None:
        """Hear nothing more (closing twice is harmless)."""
        self.hub.forget(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class Inbox:
    """The queue form of a subscription: one engagement's events, in order, for a task that
    awaits them (a telephone call waiting to be admitted, then watching for its removal).

    It holds events only: a media notice (``None``) is nothing its reader waits for, and
    ``None`` is what a timed-out wait returns. Bounded: an inbox that fills is closed and
    logged, never waited for, so a stuck reader holds up no commit.
    """

    def __init__(self, hub: Listeners, engagement_id: int) -> None:
        self.events: asyncio.Queue[EventEnvelope] = asyncio.Queue(QUEUE_LIMIT)
        self.subscription = hub.listen(self._put, engagement_id)

    def _put(self, engagement_id: int, envelope: EventEnvelope | None) -> None:
        if envelope is None:
            return
        try:
            self.events.put_nowait(envelope)
        except asyncio.QueueFull:
            self.subscription.close()
            log.warning("dropped a slow listener of engagement %s", engagement_id)

    def close(self) -> None:
        """Queue nothing more; what is queued stays readable."""
        self.subscription.close()

    def __enter__(self) -> Inbox:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class Listeners:
    """The subscriptions of each engagement, and of every engagement (under ``None``)."""

    def __init__(self) -> None:
        self._listeners: dict[int | None, list[Subscription]] = {}

    def listen(self, listener: Listener, engagement_id: int | None = None) -> Subscription:
        """Call ``listener`` with each committed event of ``engagement_id`` (of every
        engagement if ``None``) and with ``None`` when its media changed without an event,
        until the returned subscription is closed."""
        subscription = Subscription(self, listener, engagement_id)
        self._listeners.setdefault(engagement_id, []).append(subscription)
        return subscription

    def hears(self, subscription: Subscription) -> bool:
        """Whether that subscription's listener is still called."""
        return subscription in self._listeners.get(subscription.engagement_id, ())

    def forget(self, subscription: Subscription) -> None:
        """Stop calling that subscription's listener (``Subscription.close`` does this)."""
        listeners = self._listeners.get(subscription.engagement_id)
        if listeners is not None and subscription in listeners:
            listeners.remove(subscription)
            if not listeners:
                del self._listeners[subscription.engagement_id]

    def inbox(self, engagement_id: int) -> Inbox:
        """A queue of the engagement's committed events from now on; close it when done."""
        return Inbox(self, engagement_id)

    def media_changed(self, engagement_id: int) -> None:
        """Tell the listeners of that engagement that its media changed without an event."""
        self.notify(engagement_id, None)

    def notify(self, engagement_id: int, envelope: EventEnvelope | None) -> None:
        """Call every listener of that engagement, and of all, with ``envelope``."""
        # Copies: a listener may close its own subscription (an inbox that filled) meanwhile.
        listeners = [*self._listeners.get(None, ()), *self._listeners.get(engagement_id, ())]
        for subscription in listeners:
            try:
                subscription.listener(engagement_id, envelope)
            except Exception:  # one listener's fault must not keep the others from hearing
                log.exception("a listener of engagement %s failed", engagement_id)
