"""The floor through the API: items, the speakers' list, the microphones it governs, the log."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.engagements.models import Engagement, Role
from summitry.floor import operations

Invite = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]


async def seated(
    secretariat: httpx.AsyncClient,
    engagement: Engagement,
    make_invitee: Invite,
    roles: dict[str, Role],
) -> dict[str, tuple[httpx.AsyncClient, int]]:
    """People of each delegation, admitted to the meeting."""
    live = f"/api/v1/engagements/{engagement.id}/live"
    await secretariat.post(f"{live}/enter")
    people = {}
    for code, role in roles.items():
        client, attendee, _ = await make_invitee(engagement, role, code)
        await client.post(f"{live}/enter")
        admitted = await secretariat.post(f"{live}/participants/{attendee.id}/admit")
        assert admitted.status_code == 200, admitted.text
        people[code] = (client, attendee.id)
    return people


def microphones(snapshot: dict[str, Any]) -> dict[int, bool]:
    return {
        int(k): not v["muted"]
        for k, v in snapshot["state"]["participants"].items()
        if v["presence"] == "admitted"
    }


async def test_a_chair_runs_an_item_with_three_delegations(
    db: AsyncSession,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement(("CN", "DE", "ZA", "EUCO"), agenda=["Opening", "Vaccines"])
    api = f"/api/v1/engagements/{engagement.id}"
    people = await seated(
        secretariat,
        engagement,
        make_invitee,
        {
            "EUCO": Role.CHAIR,
            "CN": Role.HEAD_OF_DELEGATION,
            "DE": Role.HEAD_OF_DELEGATION,
            "ZA": Role.HEAD_OF_DELEGATION,
        },
    )
    chair, chair_id = people["EUCO"]
    china, china_id = people["CN"]
    germany, germany_id = people["DE"]
    africa, africa_id = people["ZA"]

    # Before any item, people open their own microphones.
    assert (await germany.post(f"{api}/live/microphone", json={"muted": False})).status_code == 200

    opened = await chair.post(f"{api}/floor/items/1/open", json={})
    assert opened.status_code == 200, opened.text
    snapshot = (await chair.get(f"{api}/live")).json()
    assert microphones(snapshot)[germany_id] is False, "opening an item mutes all but the chair"
    assert snapshot["state"]["floor"]["item_title"] == "Vaccines"

    refused = await germany.post(f"{api}/live/microphone", json={"muted": False})
    assert refused.status_code == 403
    assert "do not have the floor" in refused.json()["error"]["message"]

    for client in (china, germany):
        assert (await client.post(f"{api}/floor/requests", json={})).status_code == 200
    reply = await africa.post(f"{api}/floor/requests", json={"kind": "right_of_reply"})
    assert reply.status_code == 200
    point = await africa.post(f"{api}/floor/requests", json={"kind": "point_of_order"})
    assert point.status_code == 200
    twice = await china.post(f"{api}/floor/requests", json={})
    assert twice.status_code == 409

    queue = (await chair.get(f"{api}/live")).json()["state"]["floor"]["queue"]
    assert [(q["delegation"], q["kind"]) for q in queue] == [
        ("ZA", "point_of_order"),
        ("CN", "statement"),
        ("DE", "statement"),
        ("ZA", "right_of_reply"),
    ]
    not_chair = await china.post(f"{api}/floor/give", json={})
    assert not_chair.status_code == 403

    given = await chair.post(f"{api}/floor/give", json={})
    assert given.status_code == 200, given.text
    mics = microphones((await chair.get(f"{api}/live")).json())
    assert mics[africa_id] is True
    assert mics[china_id] is False
    assert mics[germany_id] is False

    # The point of order is over; the chair gives the floor to China, Germany stays muted.
    await chair.post(f"{api}/floor/give", json={})
    mics = microphones((await chair.get(f"{api}/live")).json())
    assert mics[china_id] is True
    assert mics[africa_id] is False

    closed = await chair.post(f"{api}/floor/list", json={"closed": True})
    assert closed.status_code == 200
    late = await chair.post(f"{api}/floor/requests", json={"attendee_id": chair_id})
    assert late.status_code == 409
    assert "closed" in late.json()["error"]["message"]

    assert (await chair.post(f"{api}/floor/extend", json={"seconds": 60})).status_code == 200
    # The clock's automatic mute, as it would fire once time and grace are over.
    far = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    expired = await operations.expire(db, engagement.id, None, far)
    assert [e.event.kind for e in expired][:1] == ["floor_released"]
    mics = microphones((await chair.get(f"{api}/live")).json())
    assert mics[china_id] is False

    await chair.post(f"{api}/floor/give", json={})
    cut = await chair.post(f"{api}/floor/release", json={"cut": True})
    assert cut.status_code == 200
    assert (await chair.post(f"{api}/floor/items/close")).status_code == 200

    spoken = (await chair.get(f"{api}/floor/log")).json()
    assert [(s["delegation"], s["kind"], s["ended"]) for s in spoken] == [
        ("ZA", "point_of_order", "done"),
        ("CN", "statement", "expired"),
        ("DE", "statement", "cut"),
    ]
    assert all(s["item"] == 2 and s["item_title"] == "Vaccines" for s in spoken)
    exported = await chair.get(f"{api}/floor/log.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["delegation"] for r in rows] == ["ZA", "CN", "DE"]
    assert await log.verify_chain(db, engagement.id) is None


async def test_roll_call_records_attendance(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement(("CN", "DE", "EUCO"))
    api = f"/api/v1/engagements/{engagement.id}"
    people = await seated(
        secretariat,
        engagement,
        make_invitee,
        {
            "EUCO": Role.CHAIR,
            "CN": Role.HEAD_OF_DELEGATION,
        },
    )
    chair, _ = people["EUCO"]
    china, _ = people["CN"]
    assert (await china.post(f"{api}/floor/roll-call/answer", json={})).status_code == 409
    assert (await chair.post(f"{api}/floor/roll-call/open")).status_code == 200
    assert (await china.post(f"{api}/floor/roll-call/answer", json={})).status_code == 200
    other = await china.post(f"{api}/floor/roll-call/answer", json={"delegation": "DE"})
    assert other.status_code == 403
    await chair.post(f"{api}/floor/roll-call/answer", json={"delegation": "DE", "present": False})
    await chair.post(f"{api}/floor/roll-call/close")
    calls = (await chair.get(f"{api}/floor/attendance")).json()
    assert calls[0]["called"] == ["CN", "DE", "EUCO"]  # the order of precedence
    assert calls[0]["answers"] == {"CN": True, "DE": False}


async def test_precedence_in_french_puts_afrique_du_sud_before_allemagne(
    secretariat: httpx.AsyncClient, make_engagement: Callable[..., Awaitable[Engagement]]
) -> None:
    engagement = await make_engagement(("DE", "ZA", "CN"), host="CN")
    api = f"/api/v1/engagements/{engagement.id}/precedence"
    french = await secretariat.put(api, json={"rule": "alphabetical", "language": "fr"})
    assert french.status_code == 200, french.text
    assert [d["code"] for d in french.json()["delegations"]] == ["ZA", "DE", "CN"]
    english = await secretariat.put(api, json={"rule": "alphabetical", "language": "en"})
    assert [d["code"] for d in english.json()["delegations"]] == ["CN", "DE", "ZA"]
    host = await secretariat.put(api, json={"rule": "host_first", "language": "fr"})
    assert [d["code"] for d in host.json()["delegations"]] == ["CN", "ZA", "DE"]
    bad = await secretariat.put(api, json={"rule": "manual", "manual_codes": ["DE", "CN"]})
    assert bad.status_code == 422
    assert "ZA" in bad.json()["error"]["message"]


async def test_an_item_without_a_limit_gives_speakers_unlimited_time(
    secretariat: httpx.AsyncClient,
) -> None:
    made = await secretariat.post(
        "/api/v1/engagements",
        json={
            "title": "Open debate",
            "starts_at": "2026-12-14T14:00:00+01:00",
            "delegations": ["CN", "DE"],
            "agenda": ["General debate — no limit", "Replies — 90 s", "Closing"],
        },
    )
    assert made.status_code == 201, made.text
    limits = [item["speaking_time_s"] for item in made.json()["agenda"]]
    assert limits == [None, 90, 180]
    api = f"/api/v1/engagements/{made.json()['id']}"
    await secretariat.post(f"{api}/live/enter")
    opened = await secretariat.post(f"{api}/floor/items/0/open", json={})
    assert opened.json()["events"][0]["event"]["limit_s"] is None
