"""A real Janus for the test run, inside the test network namespace, and clients of it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from summitry.media.janus import JanusClient, connect
from summitry.media.rooms import MeetingRooms
from summitry.media.server import JanusConfig, JanusProcess
from tests.support.netns import NotInTestNamespace, current_test_namespace
from tests.support.postgres import free_port

__all__ = ["janus", "janus_client", "meeting_rooms"]


class JanusServer:
    """The test run's Janus: where it listens, its secrets, and crash-and-restart controls."""

    def __init__(self, process: JanusProcess) -> None:
        self.process = process
        self.config = process.config

    @property
    def url(self) -> str:
        return self.config.ws_url

    @property
    def admin_secret(self) -> str:
        return self.config.admin_secret

    @property
    def room_admin_key(self) -> str:
        return self.config.room_admin_key

    async def kill(self) -> None:
        """SIGKILL, as a crash would."""
        await self.process.kill()

    async def start(self) -> None:
        await self.process.start()

    async def restart(self) -> None:
        """Kill Janus and start it again on the same ports (its rooms are gone)."""
        await self.process.kill()
        await self.process.start()


@pytest.fixture(scope="session")
async def janus(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[JanusServer]:
    try:
        namespace = current_test_namespace()
    except NotInTestNamespace as err:
        pytest.fail(str(err), pytrace=False)
    config = JanusConfig(
        tmp_path_factory.mktemp("janus"),
        ws_port=free_port(),
        ice_enforce_list=namespace.ice_iface,
    )
    process = JanusProcess(config)
    await process.start()
    try:
        yield JanusServer(process)
    finally:
        await process.stop()


@pytest.fixture
async def janus_client(janus: JanusServer) -> AsyncIterator[JanusClient]:
    """A connection of its own to the running Janus (started again if a test killed it)."""
    await janus.start()
    client = await connect(janus.url)
    yield client
    await client.close()


@pytest.fixture
async def meeting_rooms(janus: JanusServer) -> AsyncIterator[MeetingRooms]:
    """The room adapter as Summitry uses it, with the plugin's admin key."""
    await janus.start()
    rooms = MeetingRooms(janus.url, admin_key=janus.room_admin_key)
    yield rooms
    await rooms.close()
