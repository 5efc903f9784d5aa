"""Commits of every replica to the live connections of every other, through Redis.

Each replica publishes what it commits (events, a word for one person, a recheck, a media
change) on one Redis channel and applies what the others publish to its own hub. Redis's
publish and subscribe keeps nothing for a subscriber that is away, so the log stays the
truth: whenever the subscription is (re)made, and every ``POLL_SECONDS`` while it is down,
the relay reads each followed engagement's last sequence number and publishes to its hub what
it had not seen. A message lost on the way costs a moment, never an event; a connection that
misses one mends the gap from the log itself (``feed.LiveConnection``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.log import store
from summitry.log.committed import Recheck
from summitry.log.events import EventEnvelope
from summitry.log.hub import LiveHub

log = logging.getLogger(__name__)

CHANNEL = "summitry:live"
POLL_SECONDS = 0.5
"""While Redis is away: how often the log is read for what other replicas committed."""
SAFETY_SECONDS = 5.0
"""While Redis is here: how often the log is read all the same (Redis drops the messages of a
subscriber that falls behind, and says nothing)."""
HEALTH_SECONDS = 5
"""How often redis-py checks that a quiet subscription is still alive."""
RETRY_SECONDS = 0.5
OUTBOX_LIMIT = 10_000


class Relay:
    """This replica's end of the fan-out between replicas."""

    def __init__(
        self,
        hub: LiveHub,
        sessionmaker: async_sessionmaker[AsyncSession],
        url: str,
        key: bytes,
        channel: str = CHANNEL,
    ) -> None:
        self.hub = hub
        self.key = key
        """Signs and checks every message: only a replica holding the installation's secret
        can speak on the channel (whoever else reaches Redis cannot inject events)."""
        self.sessionmaker = sessionmaker
        self.url = url
        self.channel = channel
        self.origin = secrets.token_hex(8)
        """Names this replica on the channel: it ignores its own messages."""
        self.connected = asyncio.Event()
        self._outbox: asyncio.Queue[str] = asyncio.Queue(OUTBOX_LIMIT)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Send this hub's commits out and take the others' in, until ``stop``."""
        self.hub.outbox = self._post
        self._tasks = [
            asyncio.create_task(self._listen(), name="relay: listen"),
            asyncio.create_task(self._send(), name="relay: send"),
            asyncio.create_task(self._poll(), name="relay: poll"),
        ]

    async def stop(self) -> None:
        self.hub.outbox = None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _post(self, message: dict[str, Any]) -> None:
        try:
            self._outbox.put_nowait(self.sign(json.dumps({"origin": self.origin, **message})))
        except asyncio.QueueFull:
            # Redis is away and has been for long: the others read the log meanwhile.
            log.warning("relay outbox full: a message to the other replicas was dropped")

    async def _send(self) -> None:
        redis: Redis | None = None
        while True:
            text = await self._outbox.get()
            while True:
                try:
                    redis = redis or Redis.from_url(self.url)
                    await redis.publish(self.channel, text)
                    break
                except (RedisError, OSError):
                    # The other replicas find this commit in the log (they poll meanwhile);
                    # what follows waits for Redis in order.
                    if redis is not None:
                        await redis.aclose()
                    redis = None
                    if self._outbox.qsize() >= OUTBOX_LIMIT - 1:
                        break
                    await asyncio.sleep(RETRY_SECONDS)

    async def _listen(self) -> None:
        while True:
            redis = Redis.from_url(self.url, health_check_interval=HEALTH_SECONDS)
            try:
                async with redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    async for message in pubsub.listen():
                        if message.get("type") == "subscribe":
                            # Also after redis-py subscribed again by itself: what was
                            # committed meanwhile is read from the log.
                            self.connected.set()
                            await self.catch_up()
                        elif message.get("type") == "message":
                            self._apply(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as err:  # Redis, or a read of the log: try again, never give up
                if self.connected.is_set():
                    log.warning("lost Redis (%s): reading the log until it is back", err)
                self.connected.clear()
            finally:
                await redis.aclose()
            await asyncio.sleep(RETRY_SECONDS)

    async def _poll(self) -> None:
        """Read the log every ``POLL_SECONDS`` while Redis is away, and every
        ``SAFETY_SECONDS`` while it is here (a message Redis dropped for a slow subscriber)."""
        since = 0.0
        while True:
            await asyncio.sleep(POLL_SECONDS)
            since += POLL_SECONDS
            if not self.connected.is_set() or since >= SAFETY_SECONDS:
                since = 0.0
                try:
                    await self.catch_up()
                except Exception:  # the database away too: the next turn tries again
                    log.exception("reading the log for the other replicas' commits failed")

    def _apply(self, data: bytes | str) -> None:
        try:
            self._apply_one(data)
        except Exception:  # one bad message (a kind this version does not know) is skipped
            log.exception("a message from another replica could not be applied")

    def sign(self, text: str) -> str:
        """The message as sent: its HMAC-SHA256 under the relay key, a dot, the JSON."""
        return f"{hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()}.{text}"

    def _apply_one(self, data: bytes | str) -> None:
        text = data.decode() if isinstance(data, bytes) else data
        signature, _, body = text.partition(".")
        expected = hmac.new(self.key, body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature, expected):
            log.warning("a message on %s without a valid signature was ignored", self.channel)
            return
        try:
            message = json.loads(body)
        except ValueError:
            return
        if not isinstance(message, dict) or message.get("origin") == self.origin:
            return
        kind = message.get("kind")
        if kind == "events":
            envelopes = [EventEnvelope.model_validate(e) for e in message["events"]]
            self._publish_new(envelopes)
        elif kind == "tell":
            self.hub.tell(message["engagement_id"], message["attendee_id"], message["message"])
        elif kind == "recheck":
            fields = {k: message.get(k) for k in Recheck.__dataclass_fields__}
            self.hub.recheck(Recheck(**fields))
        elif kind == "media":
            self.hub.notify(message["engagement_id"], None)

    def _publish_new(self, envelopes: list[EventEnvelope]) -> None:
        """Publish to the hub what it has not published yet (a poll may have been first)."""
        fresh = [e for e in envelopes if not self.hub.published(e.engagement_id, e.seq)]
        if fresh:
            self.hub.publish(fresh)

    async def catch_up(self) -> int:
        """Publish to the hub what the log holds beyond what its connections have seen, for
        every engagement followed here; how many events."""
        found = 0
        async with self.sessionmaker() as db:
            for engagement_id in self.hub.followed():
                seen = self.hub.seen_up_to(engagement_id)
                if seen is None or await store.last_seq(db, engagement_id) <= seen:
                    continue
                missed = await store.events_after(db, engagement_id, seen)
                self._publish_new(missed)
                found += len(missed)
        return found


def relay_key(secret: str) -> bytes:
    """The key replicas sign their messages with, derived from the installation's secret."""
    return hmac.new(secret.encode(), b"summitry relay", hashlib.sha256).digest()
