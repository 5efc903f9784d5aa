"""The telephone across two replicas: one replica holds the SIP listener, yet a secretary on
either places a call out, sees the calls in progress, and removes a caller; the phones ring,
are answered and admitted, and hear the hang-up. And with two Janus nodes: a call whose
meeting's node dies follows the meeting to the other node by itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from summitry.errors import MediaUnavailable
from summitry.media.janus import JanusError
from summitry.media.rooms import MeetingRooms
from tests.e2e.test_media_nodes import BACK, media_room, node_of
from tests.integration.test_replicas import secretariat_on
from tests.integration.test_replicas_interpretation import Replicas, invited, media_replicas
from tests.support.janus import JanusNode
from tests.support.phone import Phone, Sipp
from tests.support.postgres import free_port


def telephone() -> dict[str, str]:
    # One SIP address for both: whichever replica holds the telephone lease listens on it.
    return {"SUMMITRY_SIP_ENABLED": "true", "SUMMITRY_SIP_PORT": str(free_port())}


@pytest.fixture
def replicas(postgres_url: str, tmp_path: Path) -> Iterator[Replicas]:
    with media_replicas(postgres_url, tmp_path, telephone()) as both:
        yield both


@pytest.fixture
def two_nodes(postgres_url: str, tmp_path: Path) -> Iterator[Replicas]:
    with media_replicas(postgres_url, tmp_path, telephone(), nodes=2) as both:
        yield both


async def calls_reach(
    client: httpx.AsyncClient, path: str, expected: dict[int, str], within: float = 15.0
) -> list[dict[str, Any]]:
    """The calls in progress once they are exactly ``expected`` (attendee → stage)."""
    deadline = time.monotonic() + within
    while True:
        listed: list[dict[str, Any]] = (await client.get(path)).json()
        if {c["attendee_id"]: c["stage"] for c in listed} == expected:
            return listed
        assert time.monotonic() < deadline, f"calls in progress: {listed}, not {expected}"
        await asyncio.sleep(0.1)


async def test_a_secretary_on_either_replica_places_lists_and_ends_calls(
    replicas: Replicas, tmp_path: Path
) -> None:
    async with secretariat_on(replicas.a) as on_a:
        on_b = httpx.AsyncClient(base_url=replicas.b.url, cookies=on_a.cookies, timeout=20)
        made = await on_a.post(
            "/api/v1/engagements",
            json={
                "title": "Leaders' call on the vaccine alliance",
                "starts_at": "2026-12-14T14:00:00+01:00",
                "host": "EUCO",
                "delegations": ["DE", "FR", "EUCO"],
            },
        )
        assert made.status_code == 201, made.text
        engagement = made.json()["id"]
        live = f"/api/v1/engagements/{engagement}/live"
        calls = f"/api/v1/engagements/{engagement}/telephone/calls"
        guests = [
            await invited(on_a, replicas.a, engagement, code, "head_of_delegation")
            for code in ("DE", "FR")
        ]
        phones = [await Phone.open(1000.0), await Phone.open(1400.0)]
        sipps: list[Sipp] = []
        try:
            assert (await on_a.post(f"{live}/enter")).status_code == 200
            ports = [free_port(), free_port()]
            for phone, port in zip(phones, ports, strict=True):
                sipps.append(
                    await Sipp.run(
                        "answer.xml",
                        tmp_path,
                        local_port=port,
                        replacements={"PHONE_PORT": str(phone.port)},
                    )
                )
            await asyncio.sleep(0.3)  # SIPp listening
            (_, de), (_, fr) = guests
            # Each replica takes one request; only one of them runs the telephone.
            for client, attendee, port in ((on_b, de, ports[0]), (on_a, fr, ports[1])):
                placed = await client.post(
                    calls, json={"attendee_id": attendee, "uri": f"sip:head@127.0.0.1:{port}"}
                )
                assert placed.status_code == 202, placed.text
                assert placed.json()["stage"] == "requested"
                twice = await on_a.post(
                    calls, json={"attendee_id": attendee, "uri": f"sip:head@127.0.0.1:{port}"}
                )
                assert twice.status_code in (400, 409), "one call at a time to one person"
                assert (
                    "being called already" in twice.text or "already in the meeting" in twice.text
                )
            in_room = {de: "room", fr: "room"}
            listed = await calls_reach(on_b, calls, in_room)
            assert await calls_reach(on_a, calls, in_room) == listed
            assert {c["placed_by"] for c in listed} == {"Ms Helena Brandt"}
            state = (await on_b.get(live)).json()["state"]["participants"]
            for attendee in (de, fr):
                assert state[str(attendee)]["presence"] == "admitted"
                assert state[str(attendee)]["channel"] == "telephone"

            # A removal on the replica without the listener hangs up the phone.
            removed = await on_b.post(f"{live}/participants/{de}/remove")
            assert removed.status_code == 200, removed.text
            assert await sipps[0].finished() == 0, sipps[0].errors()
            await calls_reach(on_a, calls, {fr: "room"})
        finally:
            for sipp in sipps:
                await sipp.stop()
            for phone in phones:
                await phone.close()
            for client, _ in guests:
                await client.aclose()
            await on_b.aclose()


async def test_a_call_follows_its_meeting_to_another_node_when_its_node_dies(
    two_nodes: Replicas, tmp_path: Path
) -> None:
    replicas = two_nodes
    async with secretariat_on(replicas.b) as on_b:
        made = await on_b.post(
            "/api/v1/engagements",
            json={
                "title": "Telephone call between leaders",
                "starts_at": "2026-12-14T14:00:00+01:00",
                "host": "EUCO",
                "delegations": ["DE", "EUCO"],
            },
        )
        assert made.status_code == 201, made.text
        engagement = made.json()["id"]
        live = f"/api/v1/engagements/{engagement}/live"
        calls = f"/api/v1/engagements/{engagement}/telephone/calls"
        guest, callee = await invited(on_b, replicas.b, engagement, "DE", "head_of_delegation")
        phone = await Phone.open(1000.0)
        port = free_port()
        sipp = await Sipp.run(
            "answer.xml", tmp_path, local_port=port, replacements={"PHONE_PORT": str(phone.port)}
        )
        try:
            assert (await on_b.post(f"{live}/enter")).status_code == 200
            await asyncio.sleep(0.3)  # SIPp listening
            placed = await on_b.post(
                calls, json={"attendee_id": callee, "uri": f"sip:head@127.0.0.1:{port}"}
            )
            assert placed.status_code == 202, placed.text
            await calls_reach(on_b, calls, {callee: "room"})
            first = node_of(replicas.database_url, engagement)
            nodes = {node.name: node for node in replicas.nodes}
            other = next(name for name in nodes if name != first)
            assert await publishing(nodes[first], replicas.database_url, engagement)

            nodes[first].kill()
            killed = time.monotonic()
            rooms = MeetingRooms(
                nodes[other].config.ws_url, admin_key=nodes[other].settings()["admin_key"]
            )
            try:
                while not await publishing(nodes[other], replicas.database_url, engagement, rooms):
                    assert time.monotonic() - killed < BACK, "the call is not on the other node"
                    await asyncio.sleep(0.1)
            finally:
                await rooms.close()
            moved = time.monotonic() - killed
            print(f"\ntelephone leg on the other node {moved:.1f} s after the kill")
            assert node_of(replicas.database_url, engagement) == other
            # The call went on throughout: still in the room, the phone never hung up.
            await calls_reach(on_b, calls, {callee: "room"})
            assert sipp.process.returncode is None
        finally:
            await sipp.stop()
            await phone.close()
            await guest.aclose()


async def publishing(
    node: JanusNode, database_url: str, engagement: int, rooms: MeetingRooms | None = None
) -> bool:
    """Whether the engagement's room on ``node`` has a publisher (the telephone leg)."""
    own = rooms is None
    rooms = rooms or MeetingRooms(node.config.ws_url, admin_key=node.settings()["admin_key"])
    try:
        _, room_id = media_room(database_url, engagement)
        return any(p.publisher for p in await rooms.participants(room_id))
    except (JanusError, MediaUnavailable, OSError):
        return False
    finally:
        if own:
            await rooms.close()
