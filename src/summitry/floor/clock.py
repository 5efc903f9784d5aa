"""The automatic mute: a turn whose time and grace are over is ended on the media server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry import log
from summitry.db import intend_to_write, utcnow
from summitry.errors import SummitryError
from summitry.floor import operations
from summitry.floor.state import floor_of
from summitry.log.events import EventEnvelope
from summitry.log.hub import LiveHub
from summitry.meeting import operations as live_operations
from summitry.meeting.media_port import MeetingMedia
from summitry.meeting.state import MeetingState

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.25
VERIFY_SECONDS = 2.0
"""How stale the kept state may be for events the hub did not bring (another process's)."""
RESCAN_SECONDS = 2.0
"""How often the log is asked which meetings gave the floor since the last look: a floor given
on another replica whose message never came (Redis away, the relay behind) is watched all
the same."""
RESCAN_OVERLAP_SECONDS = 10.0
"""Each look goes back this far: on PostgreSQL an event may be committed after one numbered
above it was read, never this long after."""


class FloorClock:
    """Watches every timed turn; the log, not this object, is what survives a restart.

    Each watched meeting's state is folded from the log once, then moved forward by the
    events the hub publishes; every ``VERIFY_SECONDS`` a tick reads the log's last sequence
    number, and folds again if that is not where the kept state stands (events from another
    process). Folding the whole log four times a second, in a meeting of 1,000, took the CPU
    the fan-out of the floor's changes needed; reading the last number four times a second
    landed in the middle of the chair's requests.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        hub: LiveHub,
        media: MeetingMedia | None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.hub = hub
        self.media = media
        self.due: dict[int, object] = {}
        self._states: dict[int, MeetingState] = {}
        self._verified: dict[int, float] = {}
        """When each kept state was last checked against the log (the loop's clock)."""
        self._task: asyncio.Task[None] | None = None
        self._looks: deque[tuple[float, int]] = deque()
        """(when, the newest event's number then) of the recent looks at the log."""
        self._subscription = hub.listen(self._follow)

    def _follow(self, engagement_id: int, envelope: EventEnvelope | None) -> None:
        if envelope is not None and envelope.event.kind == "floor_given":
            # Given on any replica: the one that runs the clock hears of it here.
            self.due[engagement_id] = None
        state = self._states.get(engagement_id)
        if state is None or envelope is None or envelope.seq <= state.seq:
            return
        try:
            state.apply(envelope)
        except Exception:  # a gap (ValueError): fold from the log at the next tick
            del self._states[engagement_id]

    async def start(self) -> None:
        # After a restart: every engagement that ever gave the floor is looked at once.
        await self.rescan()
        self._task = asyncio.create_task(self._run(), name="floor clock")

    async def rescan(self) -> None:
        """Watch every meeting that gave the floor since the last look (all, the first time)."""
        now = asyncio.get_running_loop().time()
        # Back to a look the overlap before the last one that succeeded (not before now: after
        # a pause in the looks, that would leave no overlap at all).
        while (
            len(self._looks) > 1
            and self._looks[-1][0] - self._looks[1][0] >= RESCAN_OVERLAP_SECONDS
        ):
            self._looks.popleft()
        after = self._looks[0][1] if self._looks else 0
        async with self.sessionmaker() as db:
            newest = await log.newest_event_id(db)
            found = await log.engagements_with(db, "floor_given", after)
        self.due.update(dict.fromkeys(found))
        self._looks.append((now, newest))

    def watch(self, engagement_id: int) -> None:
        """Look at this engagement's turn from now on (called when the floor is given)."""
        self.due[engagement_id] = None

    async def _state(self, engagement_id: int) -> MeetingState:
        """The kept state, checked against the log at most every ``VERIFY_SECONDS``."""
        state = self._states.get(engagement_id)
        now = asyncio.get_running_loop().time()
        if state is not None and now - self._verified.get(engagement_id, 0.0) < VERIFY_SECONDS:
            return state
        async with self.sessionmaker() as db:
            if state is None or state.seq != await log.last_seq(db, engagement_id):
                state = await live_operations.meeting_state(db, engagement_id)
                self._states[engagement_id] = state
        self._verified[engagement_id] = now
        return state

    async def stop(self) -> None:
        self._subscription.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(TICK_SECONDS)
            if loop.time() - self._looks[-1][0] >= RESCAN_SECONDS:
                try:
                    await self.rescan()
                except Exception:  # the database away for a moment: look again next time
                    logger.exception("floor clock: could not look at the log")
            await self.tick()

    async def tick(self) -> None:
        """Look once at every watched turn, and end those whose time and grace are over."""
        for engagement_id in list(self.due):
            try:
                await self._check(engagement_id)
            except SummitryError as err:
                logger.warning("speaking time of engagement %s: %s", engagement_id, err)
            except Exception:  # the clock must keep ticking for every other meeting
                logger.exception("speaking time of engagement %s failed", engagement_id)

    async def _check(self, engagement_id: int) -> None:
        state = await self._state(engagement_id)
        turn = floor_of(state).turn
        if turn is None or turn.limit_s is None:
            if turn is None:
                self.due.pop(engagement_id, None)
                self._states.pop(engagement_id, None)
                self._verified.pop(engagement_id, None)
            return
        due = turn.mute_at()
        if due is not None and utcnow() >= due:
            # A transaction of its own that writes from its start: on SQLite a reader that
            # turns writer fails at once if anyone wrote meanwhile, instead of waiting.
            async with self.sessionmaker() as db:
                await intend_to_write(db)
                await operations.expire(db, engagement_id, self.media, utcnow())
