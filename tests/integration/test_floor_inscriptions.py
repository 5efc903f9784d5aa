"""A delegation is on the speakers' list once: refusals a diplomat reads, nothing changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from summitry.engagements.models import Engagement, Role
from summitry.floor.inscriptions import ordinal

Invite = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]


async def _opened(
    secretariat: httpx.AsyncClient, make: Callable[..., Awaitable[Engagement]], *codes: str
) -> tuple[Engagement, str]:
    """An engagement of ``codes`` (the last hosts) whose meeting the secretariat has opened."""
    engagement = await make(codes)
    api = f"/api/v1/engagements/{engagement.id}"
    assert (await secretariat.post(f"{api}/live/enter")).status_code == 200
    return engagement, api


async def _admitted(
    secretariat: httpx.AsyncClient, engagement: Engagement, make_invitee: Invite, code: str
) -> tuple[httpx.AsyncClient, int]:
    live = f"/api/v1/engagements/{engagement.id}/live"
    client, attendee, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, code)
    assert (await client.post(f"{live}/enter")).status_code == 200
    admitted = await secretariat.post(f"{live}/participants/{attendee.id}/admit")
    assert admitted.status_code == 200, admitted.text
    return client, attendee.id


async def _queue(client: httpx.AsyncClient, api: str) -> list[tuple[str, str]]:
    floor = (await client.get(f"{api}/live")).json()["state"]["floor"]
    return [(q["delegation"], q["kind"]) for q in floor["queue"]]


async def _cursor(client: httpx.AsyncClient, api: str) -> int:
    cursor: int = (await client.get(f"{api}/live")).json()["cursor"]
    return cursor


def test_places_are_said_as_ordinals() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st",
        "111th",
    ]  # fmt: skip


async def test_a_delegation_asking_twice_is_told_its_place_and_nothing_changes(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement, api = await _opened(secretariat, make_engagement, "CN", "DE", "FR", "EUCO")
    china, _ = await _admitted(secretariat, engagement, make_invitee, "CN")
    germany, _ = await _admitted(secretariat, engagement, make_invitee, "DE")
    france, _ = await _admitted(secretariat, engagement, make_invitee, "FR")
    minister, minister_id = await _admitted(secretariat, engagement, make_invitee, "FR")
    for client in (china, germany, france):
        assert (await client.post(f"{api}/floor/requests", json={})).status_code == 200
    before = (await _queue(secretariat, api), await _cursor(secretariat, api))

    again = await france.post(f"{api}/floor/requests", json={})
    assert again.status_code == 409
    message = again.json()["error"]["message"]
    assert message.startswith("France is already on the speakers' list (3rd)."), message
    # Another person of the same delegation is the same delegation.
    colleague = await minister.post(f"{api}/floor/requests", json={})
    assert colleague.status_code == 409
    assert colleague.json()["error"]["message"] == message
    # The chair inscribing France for it is refused the same way.
    chair = await secretariat.post(f"{api}/floor/requests", json={"attendee_id": minister_id})
    assert chair.status_code == 409
    assert chair.json()["error"]["message"] == message
    assert (await _queue(secretariat, api), await _cursor(secretariat, api)) == before

    # Speaking for a group is another capacity; a second time in it is refused by name.
    group = {"on_behalf_of": "the European Union"}
    assert (await france.post(f"{api}/floor/requests", json=group)).status_code == 200
    twice = await minister.post(f"{api}/floor/requests", json=group)
    assert twice.status_code == 409
    assert twice.json()["error"]["message"].startswith(
        "France is already on the speakers' list on behalf of the European Union (4th)."
    )
    # Points of order and rights of reply keep their own rules: they are received.
    for kind in ("point_of_order", "point_of_order", "right_of_reply", "right_of_reply"):
        assert (await france.post(f"{api}/floor/requests", json={"kind": kind})).status_code == 200


async def test_inscribing_every_delegation_keeps_those_already_waiting_once(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement, api = await _opened(secretariat, make_engagement, "CN", "DE", "FR", "EUCO")
    people = {
        code: await _admitted(secretariat, engagement, make_invitee, code)
        for code in ("CN", "DE", "FR", "EUCO")
    }
    france, _ = people["FR"]
    # Before any item: an inscription made in advance, carried over to the item.
    assert (await france.post(f"{api}/floor/requests", json={})).status_code == 200
    opened = await secretariat.post(f"{api}/floor/items/0/open", json={"inscribe_all": True})
    assert opened.status_code == 200, opened.text
    assert await _queue(secretariat, api) == [
        ("FR", "statement"),
        ("CN", "statement"),
        ("DE", "statement"),
        ("EUCO", "statement"),
    ]
    germany, _ = people["DE"]
    late = await germany.post(f"{api}/floor/requests", json={})
    assert late.status_code == 409
    assert late.json()["error"]["message"].startswith(
        "Germany is already on the speakers' list (3rd)."
    )


async def test_the_secretariat_speaks_for_the_meeting_not_for_the_host(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement, api = await _opened(secretariat, make_engagement, "CN", "FR")  # France hosts
    france, _ = await _admitted(secretariat, engagement, make_invitee, "FR")
    assert (await secretariat.post(f"{api}/floor/requests", json={})).status_code == 200
    assert (await france.post(f"{api}/floor/requests", json={})).status_code == 200
    assert await _queue(secretariat, api) == [("SEC", "statement"), ("FR", "statement")]
    twice = await secretariat.post(f"{api}/floor/requests", json={})
    assert twice.status_code == 409
    assert twice.json()["error"]["message"].startswith(
        "The secretariat is already on the speakers' list (1st)."
    )
