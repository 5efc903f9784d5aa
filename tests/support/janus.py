"""A real Janus for the test run, inside the test network namespace, and clients of it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from summitry.media.janus import JanusClient, connect
from summitry.media.rooms import MeetingRooms
from summitry.media.server import JanusConfig, JanusProcess
from tests.support.netns import NotInTestNamespace, current_test_namespace
from tests.support.postgres import free_port

__all__ = ["JanusNode", "janus", "janus_client", "janus_node", "meeting_rooms"]


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


@dataclass
class JanusNode:
    """A Janus run by a test as one node of several (its own ports), killed at will."""

    name: str
    config: JanusConfig
    process: subprocess.Popen[bytes]

    def settings(self) -> dict[str, str]:
        """This node as an entry of ``SUMMITRY_JANUS_NODES``."""
        return {
            "name": self.name,
            "url": self.config.ws_url,
            "admin_key": self.config.room_admin_key,
        }

    def kill(self) -> None:
        """SIGKILL, as a crash of the machine's Janus would."""
        self.process.kill()
        self.process.wait(timeout=10)


@contextlib.contextmanager
def janus_node(folder: Path, name: str, index: int) -> Iterator[JanusNode]:
    """A node as an operator runs one, with ``summitry janus node`` (``index`` keeps its UDP
    port ranges apart from the others'), inside the test namespace; stopped after."""
    namespace = current_test_namespace()
    base = 20000 + index * 6000
    # What the command is told, kept to reach the node; the command writes the files.
    config = JanusConfig(
        folder.resolve(),
        ws_port=free_port(),
        rtp_port_range=(base, base + 3999),
        plain_rtp_port_range=(base + 4000, base + 4999),
        channel_port_range=(base + 5000, base + 5999),
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUMMITRY_")}
    env.update(
        SUMMITRY_DATA_DIR=str(folder / "data"),
        SUMMITRY_JANUS_ICE_INTERFACE=namespace.ice_iface,
        SUMMITRY_JANUS_ADMIN_KEY=config.room_admin_key,
    )
    ranges = (config.rtp_port_range, config.plain_rtp_port_range, config.channel_port_range)
    low_high = [f"{low}-{high}" for low, high in ranges]
    with (folder / "node.out").open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "summitry.cli", "janus", "node", str(folder),
             "--ws-port", str(config.ws_port), "--rtp-ports", low_high[0],
             "--plain-rtp-ports", low_high[1], "--channel-ports", low_high[2]],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    node = JanusNode(name, config, process)
    try:
        deadline = time.monotonic() + 20
        while not _accepts(config.ws_port):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"janus node {name} did not start; see {folder}/node.out")
            time.sleep(0.1)
        yield node
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0
