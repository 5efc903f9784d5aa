"""The meeting's record of what the media engine reports of its own accord.

The media side (``media/``) writes no log: it reports, and this writes each report as an event
in the engagement's log, which the hub then broadcasts.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry import log
from summitry.db import intend_to_write
from summitry.meeting.events import MediaRestored


class MediaEvents:
    """Records the media engine's reports: ``media_restored`` after Janus came back."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker  # the runtime's: its sessions publish what they commit

    async def media_restored(self, engagement_ids: list[int]) -> None:
        """Each engagement's rooms were rebuilt in Janus: pages and legs rejoin on this event."""
        async with self.sessionmaker() as db:
            await intend_to_write(db)  # a background writer: queue for SQLite's write lock
            for engagement_id in engagement_ids:
                await log.append(db, engagement_id, MediaRestored())
            await db.commit()
