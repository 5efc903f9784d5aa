"""Background work done every so many seconds, in a task of its own, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class Ticking:
    """Runs ``tick`` every ``seconds`` (and once at ``start`` itself if ``at_start``); nothing
    it raises, and no tick longer than ``timeout``, ends the loop (the next tick tries again)."""

    def __init__(
        self,
        name: str,
        tick: Callable[[], Awaitable[object]],
        seconds: float,
        timeout: float,
        *,
        at_start: bool = False,
    ) -> None:
        self.name = name
        self.tick = tick
        self.seconds = seconds
        self.timeout = timeout
        self.at_start = at_start
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.at_start:
            await self._once()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.seconds)
            await self._once()

    async def _once(self) -> None:
        try:
            await asyncio.wait_for(self.tick(), timeout=self.timeout)
        except Exception:  # nothing may end the loop
            logger.warning("%s: this round failed; trying again", self.name, exc_info=True)
