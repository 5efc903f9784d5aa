"""Two replicas on PostgreSQL and Redis, two Janus nodes: a meeting whose node is killed moves
to the other node, and both pages — each on its own replica — are back in the room, seeing
each other, within five seconds, with every event of the record once and in order."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, screenshot, serve
from tests.e2e.test_meeting import DECODED, meet_between
from tests.support.janus import JanusNode, janus_node
from tests.support.netns import NotInTestNamespace, current_test_namespace
from tests.support.postgres import create_database
from tests.support.redis import redis_server

BACK = 5.0
"""Seconds within which both pages must see each other again after their node dies."""


@dataclass
class Cluster:
    a: LiveServer
    b: LiveServer
    nodes: dict[str, JanusNode]
    database_url: str


@pytest.fixture
def cluster(postgres_url: str, tmp_path: Path) -> Iterator[Cluster]:
    try:
        current_test_namespace()
    except NotInTestNamespace as err:
        pytest.fail(str(err), pytrace=False)
    database_url = create_database(postgres_url, f"summitry_nodes_{secrets.token_hex(4)}")
    (tmp_path / "n1").mkdir()
    (tmp_path / "n2").mkdir()
    with (
        redis_server(tmp_path / "redis") as redis,
        janus_node(tmp_path / "n1", "media-1", 0) as first,
        janus_node(tmp_path / "n2", "media-2", 1) as second,
    ):
        shared = {
            "SUMMITRY_REDIS_URL": redis.url,
            "SUMMITRY_SECRET_KEY": secrets.token_urlsafe(48),
            "SUMMITRY_MEDIA": "true",
            "SUMMITRY_JANUS_NODES": json.dumps([first.settings(), second.settings()]),
        }
        with (
            serve(tmp_path / "a", database_url=database_url, settings=shared) as a,
            serve(tmp_path / "b", database_url=database_url, settings=shared, account=False) as b,
        ):
            yield Cluster(a, b, {first.name: first, second.name: second}, database_url)


def media_room(database_url: str, engagement: int) -> tuple[str, int]:
    """The node the database says carries the engagement's room, and the room's number."""

    async def read() -> tuple[str, int]:
        url = database_url.replace("postgresql+asyncpg://", "postgresql://")
        connection = await asyncpg.connect(url)
        try:
            row = await connection.fetchrow(
                "SELECT node, janus_room_id FROM media_room WHERE engagement_id = $1", engagement
            )
        finally:
            await connection.close()
        assert row is not None, "the engagement has no media room"
        return str(row["node"]), int(row["janus_room_id"])

    with ThreadPoolExecutor(1) as thread:  # Playwright runs an event loop in this one
        return thread.submit(asyncio.run, read()).result()


def node_of(database_url: str, engagement: int) -> str:
    """The node the database says carries the engagement's room."""
    return media_room(database_url, engagement)[0]


def flowing_again(watched: list[tuple[Page, int]], since: float, timeout: float) -> list[float]:
    """Seconds from ``since`` until each page plays the attendee's video again: frames rising
    in two successive looks, a quarter of a second apart, after the old stream stopped with its
    node. The pages are looked at in turn, so that each is timed alike."""
    watched[0][0].wait_for_timeout(400)  # what the dead node sent has been played by now
    before = [page.evaluate(DECODED, attendee) for page, attendee in watched]
    rising = [0] * len(watched)
    back: list[float | None] = [None] * len(watched)
    while time.monotonic() - since < timeout:
        watched[0][0].wait_for_timeout(250)
        for i, (page, attendee) in enumerate(watched):
            now = page.evaluate(DECODED, attendee)
            grew = now["width"] > 0 and now["frames"] > before[i]["frames"] + 2
            rising[i] = rising[i] + 1 if grew else 0
            if rising[i] == 2 and back[i] is None:
                back[i] = time.monotonic() - since
            before[i] = now
        if all(b is not None for b in back):
            return [b for b in back if b is not None]
    raise AssertionError(f"no video again after {timeout} s: {back}")


def test_a_janus_node_dies_and_its_meeting_moves_to_the_other_node_within_seconds(
    cluster: Cluster, new_page: Callable[..., Page]
) -> None:
    host, guest = new_page(), new_page()
    # Her session, opened on one replica, holds on the other (one key, one database).
    engagement, host_id, guest_id = meet_between(host, guest, cluster.a, meeting_at=cluster.b.url)

    first = node_of(cluster.database_url, engagement)
    assert first in cluster.nodes
    cluster.nodes[first].kill()
    killed = time.monotonic()
    guest_back, host_back = flowing_again([(guest, host_id), (host, guest_id)], killed, 20)

    second = node_of(cluster.database_url, engagement)
    assert second != first
    assert second in cluster.nodes
    print(f"back in the room after {guest_back:.2f} s (guest), {host_back:.2f} s (host)")
    assert max(guest_back, host_back) < BACK, (guest_back, host_back)
    expect(host.locator('[data-mark="connection"]')).to_have_text("Connected")
    screenshot(guest, "37-meeting-after-its-media-node-died")

    # One record on both replicas: the move is in it once, every event once and in order.
    events = guest.evaluate(
        """async (id) => (await (await fetch(`/api/v1/engagements/${id}/live/events`)).json())""",
        engagement,
    )
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["event"]["kind"] for e in events].count("media_restored") == 1
    assert host.evaluate("window.summitryMeeting.state.seq") == events[-1]["seq"]
    assert guest.evaluate("window.summitryMeeting.state.seq") == events[-1]["seq"]
