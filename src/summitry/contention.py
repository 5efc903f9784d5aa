"""Requests that lose a race for the database are run again, inside the server.

Appends to an engagement's log are serialised (``live.log.hold``), so two requests arriving
together queue rather than collide. What can still happen is the database's own verdict on a
race: PostgreSQL's serialization failures and deadlocks, SQLite's "database is locked" for a
transaction that began as a reader, a unique key taken by a transaction that committed first.
None of these is a conflict of intent; the person who acted should not see them. The request
is run again from the start, with a fresh transaction that sees the winner's work, a few
times with a short random pause; a real conflict then surfaces as the operation's own 409.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

ATTEMPTS = 6
# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
# Unique keys that only a race can violate: the log's sequence numbers and one grant per person.
RACED_CONSTRAINTS = ("live_event", "media_grant")


def lost_race(error: BaseException) -> bool:
    """Whether ``error`` is the database saying that another transaction got there first."""
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    cause = getattr(original, "__cause__", None)
    sqlstate = sqlstate or getattr(cause, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    text = str(original).lower()
    if isinstance(error, OperationalError) and "database is locked" in text:
        return True
    return isinstance(error, IntegrityError) and any(name in text for name in RACED_CONSTRAINTS)


class RetryLostRaces:
    """ASGI middleware: runs an HTTP request again when it lost a race before answering.

    The body is kept as it arrives so that a second run reads the same one; the session
    dictionary is restored to what it was, so a failed run leaves no trace in the cookie.
    A response already begun is never run again.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = _KeptBody(receive)
        session = dict(scope.get("session") or {})
        for attempt in range(1, ATTEMPTS + 1):
            answer = _Answer(send)
            try:
                await self.app(scope, body.reader(), answer.send)
                return
            except Exception as error:
                if answer.started or attempt == ATTEMPTS or not lost_race(error):
                    raise
                logger.info("%s %s lost a race (%s); running it again", *_request(scope), error)
                if "session" in scope:
                    scope["session"].clear()
                    scope["session"].update(session)
                await asyncio.sleep(random.uniform(0.005, 0.02 * attempt))  # noqa: S311


class _KeptBody:
    """The request's messages, kept as they arrive so that each run reads them all."""

    def __init__(self, receive: Receive) -> None:
        self.receive = receive
        self.kept: list[Message] = []

    def reader(self) -> Receive:
        replay = list(self.kept)

        async def read() -> Message:
            if replay:
                return replay.pop(0)
            message = await self.receive()
            self.kept.append(message)
            return message

        return read


class _Answer:
    """Whether a response has begun: after that a run cannot be taken back."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def send(self, message: Message) -> None:
        self.started = True
        await self._send(message)


def _request(scope: Scope) -> tuple[Any, Any]:
    return scope.get("method"), scope.get("path")
