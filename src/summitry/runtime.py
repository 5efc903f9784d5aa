"""The running parts of one Summitry process, built once in the app's lifespan.

Routes reach them through one dependency (``deps.Rt``); background work is handed what it
needs when the lifespan builds it. Every session made by ``sessionmaker`` carries the hub, so
the events it commits reach this process's live connections: no code sets it, and a session
made elsewhere cannot append (``log.store.NoHub``) unless it says no live page follows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# Every process that folds the log builds a runtime: importing the capabilities here means
# none of them can fold a log with kinds (or parts of the state) it does not know.
from summitry import capabilities  # noqa: F401 - every event kind and state part registered
from summitry.config import Settings
from summitry.log.hub import LiveHub
from summitry.log.store import HUB
from summitry.meeting.media_port import MeetingMedia

if TYPE_CHECKING:  # the types of parts built only where they are configured
    from summitry.floor.clock import FloorClock
    from summitry.interpretation.routing import ChannelRouter
    from summitry.media.supervisor import MediaSupervisor
    from summitry.records.recorder import Recorder
    from summitry.telephony.gateway import TelephoneGateway


@dataclass
class Runtime:
    """Settings, database, hub, and whichever of media, channels, recorder, clock and telephone
    run."""

    settings: Settings
    hub: LiveHub
    sessionmaker: async_sessionmaker[AsyncSession] | None = None
    media: MeetingMedia | None = None
    media_origin: str = ""
    """The media server's origin, allowed in the pages' Content-Security-Policy."""
    media_supervisor: MediaSupervisor | None = None
    channels: ChannelRouter | None = None
    recorder: Recorder | None = None
    floor_clock: FloorClock | None = None
    telephony: TelephoneGateway | None = None

    def use_database(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        """Make every session of ``sessionmaker`` publish what it commits through the hub."""
        sessionmaker.configure(info={HUB: self.hub})
        self.sessionmaker = sessionmaker

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """The database's sessions; the lifespan has set them before any request."""
        if self.sessionmaker is None:
            raise RuntimeError("the database is not open yet")
        return self.sessionmaker
