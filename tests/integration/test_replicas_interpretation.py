"""Language channels across two replicas: one replica keeps the channels in Janus, and a
listener whose page talks to the other is given a PIN that opens the channel; a removal handled
on either replica closes the channel to the PIN the removed person knew, and both replicas
give those still in the meeting the same new one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from summitry.media.janus import JanusClient, JanusError, connect
from tests.e2e.conftest import LiveServer, serve
from tests.integration.test_replicas import secretariat_on
from tests.support.channels import ChannelEar
from tests.support.janus import JanusNode, janus_node
from tests.support.netns import NotInTestNamespace, current_test_namespace
from tests.support.postgres import create_database
from tests.support.redis import redis_server


@dataclass
class Replicas:
    a: LiveServer
    b: LiveServer
    nodes: list[JanusNode]
    database_url: str

    @property
    def janus(self) -> JanusNode:
        return self.nodes[0]


@contextlib.contextmanager
def media_replicas(
    postgres_url: str, folder: Path, settings: dict[str, str] | None = None, nodes: int = 1
) -> Iterator[Replicas]:
    """Two ``summitry serve`` replicas on one PostgreSQL database, one Redis and ``nodes``
    Janus nodes, inside the test namespace; ``settings`` are more ``SUMMITRY_*`` for both."""
    try:
        current_test_namespace()
    except NotInTestNamespace as err:
        pytest.fail(str(err), pytrace=False)
    database_url = create_database(postgres_url, f"summitry_replicas_{secrets.token_hex(4)}")
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(redis_server(folder / "redis"))
        started = []
        for index in range(nodes):
            (folder / f"janus-{index}").mkdir()
            node = janus_node(folder / f"janus-{index}", f"media-{index + 1}", index)
            started.append(stack.enter_context(node))
        shared = {
            "SUMMITRY_REDIS_URL": redis.url,
            "SUMMITRY_SECRET_KEY": secrets.token_urlsafe(48),
            "SUMMITRY_MEDIA": "true",
            "SUMMITRY_JANUS_NODES": json.dumps([node.settings() for node in started]),
            **(settings or {}),
        }
        a = stack.enter_context(serve(folder / "a", database_url=database_url, settings=shared))
        b = stack.enter_context(
            serve(folder / "b", database_url=database_url, settings=shared, account=False)
        )
        yield Replicas(a, b, started, database_url)


@pytest.fixture
def replicas(postgres_url: str, tmp_path: Path) -> Iterator[Replicas]:
    with media_replicas(postgres_url, tmp_path) as both:
        yield both


@pytest.fixture
async def janus_client(replicas: Replicas) -> AsyncIterator[JanusClient]:
    client = await connect(replicas.janus.config.ws_url)
    yield client
    await client.close()


async def invited(
    secretariat: httpx.AsyncClient,
    on: LiveServer,
    engagement: int,
    code: str,
    role: str,
    booth: str | None = None,
) -> tuple[httpx.AsyncClient, int]:
    """A person of ``code``'s delegation invited in ``role``, signed in on replica ``on``."""
    person = await secretariat.post(
        f"/api/v1/delegations/{code}/people",
        json={"name": f"{role.title()} {secrets.token_hex(2)}", "office": "Minister"},
    )
    assert person.status_code == 201, person.text
    body: dict[str, Any] = {"person_id": person.json()["id"], "role": role}
    if booth is not None:
        body["booth"] = booth
    attendee = await secretariat.post(f"/api/v1/engagements/{engagement}/attendees", json=body)
    assert attendee.status_code == 201, attendee.text
    attendee_id: int = attendee.json()["id"]
    issued = await secretariat.post(
        f"/api/v1/engagements/{engagement}/attendees/{attendee_id}/invitations"
    )
    assert issued.status_code == 201, issued.text
    token = issued.json()["url"].rsplit("/", 1)[-1]
    client = httpx.AsyncClient(base_url=on.url, timeout=20)
    opened = await client.post("/api/v1/session/invitation", json={"token": token})
    assert opened.status_code == 200, opened.text
    return client, attendee_id


async def hear(
    client: JanusClient, channel: dict[str, Any], opened: list[ChannelEar]
) -> ChannelEar:
    """Watch the channel as a page does: a page whose channel is not made yet (the leading
    replica hears of the admission through Redis) tries again; within 3 s it must hold."""
    deadline = asyncio.get_running_loop().time() + 3.0
    while True:
        ear = ChannelEar(client)
        opened.append(ear)
        try:
            await ear.watch(channel["mountpoint"], channel["pin"])
            return ear
        except JanusError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_a_listener_on_either_replica_hears_the_channel_and_a_removal_on_either_ends_its_pin(
    replicas: Replicas, janus_client: JanusClient
) -> None:
    async with secretariat_on(replicas.a) as secretariat:
        made = await secretariat.post(
            "/api/v1/engagements",
            json={
                "title": "Ministerial meeting with interpretation",
                "starts_at": "2026-12-14T14:00:00+01:00",
                "host": "EUCO",
                "delegations": ["CN", "DE", "EUCO"],
                "languages": ["en", "de"],
            },
        )
        assert made.status_code == 201, made.text
        engagement = made.json()["id"]
        live = f"/api/v1/engagements/{engagement}/live"
        interpretation = f"/api/v1/engagements/{engagement}/interpretation"
        guests = [
            await invited(secretariat, replicas.b, engagement, "CN", "delegate"),
            await invited(secretariat, replicas.a, engagement, "DE", "delegate"),
            await invited(secretariat, replicas.b, engagement, "EUCO", "interpreter", "de"),
        ]
        (listener, _), (leaving, leaving_id), (_booth, _) = guests
        opened: list[ChannelEar] = []
        stale = ChannelEar(janus_client)
        opened.append(stale)
        try:
            assert (await secretariat.post(f"{live}/enter")).status_code == 200
            for client, attendee_id in guests:
                assert (await client.post(f"{live}/enter")).status_code == 200
                admitted = await secretariat.post(f"{live}/participants/{attendee_id}/admit")
                assert admitted.status_code == 200, admitted.text
            # Her page talks to replica b; the channel is kept by whichever replica leads.
            heard = (await listener.get(f"{interpretation}/access")).json()["channels"][0]
            await hear(janus_client, heard, opened)

            known = (await leaving.get(f"{interpretation}/access")).json()["channels"][0]
            assert known["pin"] == heard["pin"]  # the same PIN from both replicas
            on_b = httpx.AsyncClient(base_url=replicas.b.url, cookies=secretariat.cookies)
            async with on_b:
                removed = await on_b.post(f"{live}/participants/{leaving_id}/remove")
                assert removed.status_code == 200, removed.text
            with pytest.raises(JanusError):
                await stale.watch(known["mountpoint"], known["pin"])
            again_a = (await secretariat.get(f"{interpretation}/access")).json()["channels"][0]
            again_b = (await listener.get(f"{interpretation}/access")).json()["channels"][0]
            assert again_a["pin"] == again_b["pin"] != known["pin"]
            await hear(janus_client, again_b, opened)
        finally:
            for peer in opened:
                await peer.close()
            for client, _ in guests:
                await client.aclose()
