"""Background work that must run in one replica at a time, held by a lease in the database.

A lease is a row: its name, who holds it, and when it lapses. The holder renews it every
third of its life; any replica may take it once it has lapsed. So the work moves when its
holder dies (within ``LEASE_SECONDS`` and a try), and a holder that cannot renew it in time
stops the work before the lease can lapse, so that two never run it at once. Expiry is each
replica's wall clock: replicas keep their clocks in step (NTP). One process alone (no
replicas) runs its work without a lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import BigInteger, String, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from summitry.db import Base

log = logging.getLogger(__name__)

LEASE_SECONDS = 6.0
"""How long a lease lasts unless renewed: the longest the work goes undone after its holder
dies."""

_CLAIM = text(
    "INSERT INTO lease (name, holder, expires_ms) VALUES (:name, :holder, :expires) "
    "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms "
    "WHERE lease.holder = excluded.holder OR lease.expires_ms < :now "
    "RETURNING holder"
)


class LeaseRow(Base):
    """Who runs a piece of background work, until when (milliseconds since the epoch)."""

    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_ms: Mapped[int] = mapped_column(BigInteger)


class Lease:
    """Runs ``start`` while this process holds the lease ``name``, and ``stop`` when it
    stops holding it (lost, or released at shutdown)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        name: str,
        start: Callable[[], Awaitable[None]],
        stop: Callable[[], Awaitable[None]],
        *,
        seconds: float = LEASE_SECONDS,
        alone: bool = False,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.name = name
        self.holder = secrets.token_hex(8)
        self._start, self._stop = start, stop
        self.seconds = seconds
        self.alone = alone
        """The only process (no replicas): the work simply runs, whatever the database does."""
        self.held = False
        self._renewed = 0.0
        self._task: asyncio.Task[None] | None = None

    async def begin(self) -> None:
        """Try for the lease now (so that one process starts its work at once), then keep
        trying, or renewing, in the background. Alone, start the work (its failure is
        raised, as it was before there were replicas)."""
        if self.alone:
            await self._start()
            self.held = True
            return
        await self._turn()
        self._task = asyncio.create_task(self._run(), name=f"lease {self.name}")

    async def end(self) -> None:
        """Stop the work and give the lease up, so that another replica takes it at once."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.held:
            await self._let_go()
            if self.alone:
                return
            with contextlib.suppress(SQLAlchemyError, OSError):
                async with self.sessionmaker() as db:
                    await db.execute(
                        text("DELETE FROM lease WHERE name = :name AND holder = :holder"),
                        {"name": self.name, "holder": self.holder},
                    )
                    await db.commit()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.seconds / 3)
            await self._turn()

    async def _turn(self) -> None:
        asked = time.monotonic()  # the lease runs from before the claim, never from after
        try:
            async with asyncio.timeout(self.seconds / 3):
                claimed = await self._claim()
        except (SQLAlchemyError, OSError, TimeoutError) as err:
            # No word from the database: once the lease may have lapsed, another replica may
            # hold it; stop first.
            if self.held and time.monotonic() - self._renewed > self.seconds * 2 / 3:
                log.warning("lease %s not renewed (%s): stopping its work", self.name, err)
                await self._let_go()
            return
        if claimed:
            self._renewed = asked
            if not self.held:
                self.held = True
                log.info("lease %s taken: starting its work here", self.name)
                try:
                    await self._start()
                except Exception:  # tried again at the next turn, here or elsewhere
                    log.exception("lease %s: starting its work failed", self.name)
                    await self._let_go()
        elif self.held:
            log.warning("lease %s held elsewhere: stopping its work here", self.name)
            await self._let_go()

    async def _claim(self) -> bool:
        now = int(time.time() * 1000)
        async with self.sessionmaker() as db:
            found = await db.scalar(
                _CLAIM,
                {
                    "name": self.name,
                    "holder": self.holder,
                    "expires": now + int(self.seconds * 1000),
                    "now": now,
                },
            )
            await db.commit()
        return bool(found == self.holder)

    async def _let_go(self) -> None:
        self.held = False
        try:
            await self._stop()
        except Exception:  # the lease is let go whatever the work does on its way out
            log.exception("lease %s: stopping its work failed", self.name)
