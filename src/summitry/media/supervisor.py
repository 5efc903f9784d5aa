"""Keeps every Janus node answering: starts the private one, rebuilds rooms on a node that came
back, and moves the engagements of a node that did not to the others."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.errors import MediaUnavailable
from summitry.media.meetings import JanusMeetingMedia, answers
from summitry.media.nodes import MediaNode
from summitry.media.watch import ParticipantWatch
from summitry.meeting.media_port import MediaReports, RecordedReports

logger = logging.getLogger(__name__)

MOVE_AFTER = 1.5
"""Seconds a node may be away before its engagements move (a private Janus restarts in less)."""
RETRY = 0.5
"""Seconds between two attempts to reach a node, or to move engagements off it."""


class MediaSupervisor:
    """One watcher per node in every replica; the room watch and the moves in one replica."""

    def __init__(
        self,
        media: JanusMeetingMedia,
        sessionmaker: async_sessionmaker[AsyncSession],
        reports: MediaReports | None = None,
        move_after: float = MOVE_AFTER,
    ) -> None:
        self.media = media
        self.sessionmaker = sessionmaker
        self.move_after = move_after
        self._tasks: list[asyncio.Task[None]] = []
        self.watch = ParticipantWatch(
            media.nodes, sessionmaker, reports or RecordedReports(sessionmaker)
        )
        self._leading: list[asyncio.Task[None]] = []

    @property
    def health(self) -> str:
        """``ok`` (every node answers), ``degraded`` (some do) or ``unavailable`` (none)."""
        answering = [node.healthy is True for node in self.media.nodes]
        return "ok" if all(answering) else "degraded" if any(answering) else "unavailable"

    @property
    def healthy(self) -> bool:
        return self.health == "ok"

    async def start(self) -> None:
        """Start the private Janus if there is one; Summitry serves on (media unavailable) if
        it cannot."""
        for node in self.media.nodes:
            process = node.process
            if process is not None and not await answers(process.config.ws_url):
                try:
                    await process.start()
                except (OSError, RuntimeError) as err:
                    logger.error("could not start Janus: %s; no media until it runs", err)
            self._tasks.append(asyncio.create_task(self._keep(node), name=f"node {node.name}"))

    async def lead(self) -> None:
        """Watch the rooms for strangers and move engagements off lost nodes: one replica at a
        time (its lease), so that each is done, and recorded, once."""
        if not self._leading:
            self._leading = [
                asyncio.create_task(self.watch.run(), name="media room watch"),
                asyncio.create_task(self._move(), name="media node moves"),
            ]

    async def follow(self) -> None:
        """Leave the watch and the moves to the replica that holds their lease now."""
        leading, self._leading = self._leading, []
        if leading:
            self.watch.stop()
            for task in leading[1:]:
                task.cancel()
            for task in leading:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            done = self.watch
            self.watch = ParticipantWatch(
                done.nodes, self.sessionmaker, done.reports, done.interval
            )

    async def stop(self) -> None:
        await self.follow()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for node in self.media.nodes:
            await node.rooms.close()
            if node.process is not None:
                await node.process.stop()

    async def _keep(self, node: MediaNode) -> None:
        first = True
        while True:
            try:
                await node.rooms.connect()
                node.answering()
                if not first:
                    count = await self.media.restore(self.sessionmaker, node)
                    logger.warning("Janus node %s is back; %s room(s) rebuilt", node.name, count)
                first = False
                await node.rooms.wait_disconnected()
                node.lost()
                logger.warning("lost the connection to Janus node %s", node.name)
            except MediaUnavailable:
                node.lost()
            except Exception:  # the supervisor must outlive any single failure
                node.lost()
                logger.exception("the supervisor of Janus node %s failed; trying again", node.name)
            process = node.process
            if (
                process is not None
                and not process.running
                and not await answers(process.config.ws_url)
            ):
                with contextlib.suppress(Exception):
                    logger.warning("Janus has stopped; starting it again")
                    await process.start()
            await asyncio.sleep(RETRY)

    async def _move(self) -> None:
        if len(self.media.nodes) < 2:
            return  # nowhere to move to: the node's own supervisor waits for it
        while True:
            for node in self.media.nodes:
                if node.healthy is not False or node.down_for() < self.move_after:
                    continue
                try:
                    moved = await self.media.move_off(self.sessionmaker, node)
                except Exception:  # tried again at the next turn
                    logger.exception("moving engagements off Janus node %s failed", node.name)
                    continue
                if moved:
                    logger.warning(
                        "Janus node %s is away: engagement(s) %s moved to other nodes",
                        node.name,
                        ", ".join(map(str, moved)),
                    )
            await asyncio.sleep(RETRY)
