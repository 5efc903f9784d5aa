"""Two `summitry serve` replicas on one PostgreSQL database, passing their commits on through
a real Redis: a page on either sees what the other commits at once, Redis killed costs a
moment and no event, and a page whose replica is killed resumes on the other with nothing
missed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.e2e.conftest import SECRETARY_EMAIL, SECRETARY_PASSWORD, LiveServer, serve
from tests.support.postgres import create_database
from tests.support.redis import RedisServer, redis_server

FAST = 1.0
"""Seconds within which a commit on one replica must reach a page on the other while Redis
runs (a page's own heartbeat, which would also find it, comes every 15 s)."""
DEGRADED = 2.0
"""Seconds within which it must arrive while Redis is down (the replicas read the log)."""


@dataclass
class Replicas:
    a: LiveServer
    b: LiveServer
    redis: RedisServer
    database_url: str


@pytest.fixture
def replicas(postgres_url: str, tmp_path: Path) -> Iterator[Replicas]:
    database_url = create_database(postgres_url, f"summitry_replicas_{secrets.token_hex(4)}")
    with redis_server(tmp_path / "redis") as redis:
        shared = {
            "SUMMITRY_REDIS_URL": redis.url,
            "SUMMITRY_SECRET_KEY": secrets.token_urlsafe(48),  # one key: sessions work on both
            "SUMMITRY_MEDIA": "false",
        }
        with (
            serve(tmp_path / "a", database_url=database_url, settings=shared) as a,
            serve(tmp_path / "b", database_url=database_url, settings=shared, account=False) as b,
        ):
            yield Replicas(a, b, redis, database_url)


@contextlib.asynccontextmanager
async def secretariat_on(
    server: LiveServer, cookies: httpx.Cookies | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=20, cookies=cookies) as client:
        if cookies is None:
            signed_in = await client.post(
                "/api/v1/session", json={"email": SECRETARY_EMAIL, "password": SECRETARY_PASSWORD}
            )
            assert signed_in.status_code == 200, signed_in.text
        yield client


async def live(
    server: LiveServer, client: httpx.AsyncClient, path: str, after: int | None = None
) -> ClientConnection:
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    query = "" if after is None else f"?after={after}"
    return await connect(
        f"{server.url.replace('http://', 'ws://')}{path}/ws{query}",
        additional_headers={"Cookie": cookie},
        proxy=None,
    )


class Page:
    """A live connection as a page holds it: the events it has seen, in order."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.seqs: list[int] = []
        self.cursor = 0

    async def until_locked(self, locked: bool, within: float) -> float:
        """Seconds until the room is seen locked (or unlocked); AssertionError after
        ``within``. Every event on the way is kept, in the order it came."""
        started = time.monotonic()
        async with asyncio.timeout(within):
            while True:
                message: dict[str, Any] = json.loads(await self.socket.recv())
                for envelope in message.get("events", []):
                    self.seqs.append(envelope["seq"])
                    self.cursor = envelope["seq"]
                    event = envelope["event"]
                    if event["kind"] == "room_locked" and event["locked"] == locked:
                        return time.monotonic() - started


async def lock(client: httpx.AsyncClient, live_path: str, locked: bool) -> None:
    response = await client.post(f"{live_path}/lock", json={"locked": locked})
    assert response.status_code == 200, response.text


async def test_pages_on_either_replica_see_every_commit_through_redis_and_without_it(
    replicas: Replicas,
) -> None:
    async with secretariat_on(replicas.a) as on_a:
        made = await on_a.post(
            "/api/v1/engagements",
            json={
                "title": "EU–China leaders' video meeting",
                "starts_at": "2020-09-14T14:00:00+02:00",
                "host": "EUCO",
                "delegations": ["CN", "EUCO"],
            },
        )
        assert made.status_code == 201, made.text
        path = f"/api/v1/engagements/{made.json()['id']}/live"
        assert (await on_a.post(f"{path}/enter")).status_code == 200
        async with secretariat_on(replicas.b, on_a.cookies) as on_b:
            page_b = Page(await live(replicas.b, on_b, path))
            page_a = Page(await live(replicas.a, on_a, path))
            await asyncio.sleep(0.3)  # both connections follow their hubs

            # Committed on A, seen on B at once (and the other way round).
            await lock(on_a, path, True)
            assert await page_b.until_locked(True, FAST) < FAST
            await lock(on_b, path, False)
            assert await page_a.until_locked(False, FAST) < FAST

            # Redis dies: the replicas read the log until it is back.
            replicas.redis.kill()
            await lock(on_a, path, True)
            assert await page_b.until_locked(True, DEGRADED) < DEGRADED
            replicas.redis.start()
            await asyncio.sleep(1.5)  # the relays subscribe again
            await lock(on_a, path, False)
            assert await page_b.until_locked(False, FAST) < FAST

            # A dies: its page resumes on B from the last event it saw, and misses nothing.
            await page_a.until_locked(False, FAST)
            replicas.a.kill()
            await lock(on_b, path, True)
            resumed = Page(await live(replicas.b, on_b, path, after=page_a.cursor))
            resumed.seqs = list(page_a.seqs)
            await resumed.until_locked(True, FAST)
            await page_b.until_locked(True, FAST)
            for page in (resumed, page_b):  # every event once, in order, up to the last
                assert page.seqs == list(range(page.seqs[0], page.seqs[-1] + 1))
            assert resumed.cursor == page_b.cursor
            for socket in (page_a.socket, page_b.socket, resumed.socket):
                await socket.close()
