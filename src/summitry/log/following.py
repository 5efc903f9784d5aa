"""Keeping something outside the log in line with it, one engagement at a time.

The channel router (language channels in Janus) and the recorder (Janus's recordings) each
follow the meeting's log this way: after an event of a kind they follow, or a change of the
media (``None``), ``settle`` runs for the engagement, once however often it was asked, and
again if asked while it ran. One replica leads at a time (the media lease); the others follow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.errors import SummitryError
from summitry.log.events import EventEnvelope
from summitry.log.hub import LiveHub
from summitry.log.listening import Subscription

logger = logging.getLogger(__name__)


class LogFollower:
    """Runs ``settle`` for each engagement whose log moved, while this replica leads."""

    followed: Collection[str] = frozenset()
    """The kinds of event after which the outside may no longer match the log."""
    what = "followed state"
    """What is kept in line, for the logs."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], hub: LiveHub, *, leading: bool
    ) -> None:
        self.sessionmaker = sessionmaker
        self.hub = hub
        self._locks: dict[int, asyncio.Lock] = {}
        self._due: set[int] = set()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._subscription: Subscription | None = None
        if leading:
            self._subscription = hub.listen(self._heard)

    async def settle(self, db: AsyncSession, engagement_id: int) -> None:
        """Bring the outside in line with the engagement's log and database."""
        raise NotImplementedError

    async def engagements_to_resume(self, db: AsyncSession) -> list[int]:
        """The engagements to settle on taking the lead (what another replica kept)."""
        return []

    async def let_go(self) -> None:
        """Forget what this replica kept: another one leads now."""

    @property
    def leading(self) -> bool:
        """Whether this replica keeps the outside in line (one at a time: the media lease)."""
        return self._subscription is not None

    async def lead(self) -> None:
        """Keep the outside in line from now on, starting with what was live."""
        if self._subscription is None:
            self._subscription = self.hub.listen(self._heard)
            async with self.sessionmaker() as db:
                for engagement_id in await self.engagements_to_resume(db):
                    self.catch_up(engagement_id)

    async def follow(self) -> None:
        """Leave it to the replica that leads now."""
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            subscription.close()
            await self._cancel()
            await self.let_go()

    def lock(self, engagement_id: int) -> asyncio.Lock:
        """Held while the engagement is settled: one change at a time reaches the outside."""
        return self._locks.setdefault(engagement_id, asyncio.Lock())

    def _heard(self, engagement_id: int, envelope: EventEnvelope | None) -> None:
        if envelope is None or envelope.event.kind in self.followed:
            self.catch_up(engagement_id)

    def catch_up(self, engagement_id: int) -> None:
        """Settle the engagement soon (once, however often this is called)."""
        self._due.add(engagement_id)
        if engagement_id not in self._tasks:
            task = asyncio.create_task(self._catch_up(engagement_id), name=self.what)
            self._tasks[engagement_id] = task

    async def _catch_up(self, engagement_id: int) -> None:
        try:
            while engagement_id in self._due:
                self._due.discard(engagement_id)
                try:
                    async with self.sessionmaker() as db:
                        await self.settle(db, engagement_id)
                except SummitryError as err:
                    logger.warning("%s of engagement %s: %s", self.what, engagement_id, err)
                except Exception:  # one meeting's failure must not stop the others'
                    logger.exception("%s of engagement %s failed", self.what, engagement_id)
        finally:
            self._tasks.pop(engagement_id, None)

    async def stop(self) -> None:
        """Stop following (the server stops)."""
        if self._subscription is not None:
            self._subscription.close()
        await self._cancel()

    async def _cancel(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
