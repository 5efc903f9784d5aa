"""The minutes through the API, on both databases: drawn from the log of a meeting run through
the API, each line checked against the log's own events; edited, drawn again, published and
corrected; refused where they should be, with nothing changed; printed to PDF.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import re
import subprocess
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.delegations.models import Person
from summitry.engagements.models import Attendee, Engagement, Role
from summitry.records.minutes_models import MinutesDraft, MinutesVersion
from tests.integration.test_floor import seated

Invite = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]
TEXT = "1. The Parties welcome the conclusion of the negotiations.\n\n2. They meet again."


def _at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _refused(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert words in response.json()["error"]["message"], response.text


async def _adopted_by_consensus(
    secretariat: httpx.AsyncClient, chair: httpx.AsyncClient, api: str, **draft: Any
) -> dict[str, Any]:
    body = {"kind": "communique", "texts": {"en": TEXT}, **draft}
    made = await secretariat.post(f"{api}/documents", json=body)
    assert made.status_code == 201, made.text
    document: dict[str, Any] = made.json()
    opened = await chair.post(
        f"{api}/documents/{document['id']}/procedures", json={"kind": "consensus"}
    )
    assert opened.status_code == 201, opened.text
    gavel = await chair.post(
        f"{api}/documents/{document['id']}/procedures/{opened.json()['id']}/gavel"
    )
    assert gavel.json()["status"] == "adopted", gavel.text
    return document


async def _names(db: AsyncSession, engagement: Engagement) -> dict[int, str]:
    rows = await db.execute(
        select(Attendee.id, Person.name)
        .join(Person, Person.id == Attendee.person_id)
        .where(Attendee.engagement_id == engagement.id)
    )
    return dict(rows.all())  # type: ignore[arg-type]


async def _expected(db: AsyncSession, engagement: Engagement) -> dict[str, list[Any]]:
    """What the log's events say, folded here without the minutes' code."""
    stays: list[list[Any]] = []
    turns: list[list[Any]] = []
    decisions: dict[int, list[Any]] = {}
    booths: list[list[Any]] = []
    item = None
    for envelope in await log.events_after(db, engagement.id):
        body = envelope.event.model_dump()
        kind = body["kind"]
        if kind == "admitted":
            stays.append([body["attendee_id"], envelope.at, None])
        elif kind in ("left", "removed"):
            stay = next(s for s in reversed(stays) if s[0] == body["attendee_id"])
            stay[2] = envelope.at
        elif kind == "item_opened":
            item = body["item"] + 1
        elif kind == "floor_given":
            turns.append([body["attendee_id"], item, envelope.at, None])
        elif kind == "floor_released":
            turns[-1][3] = envelope.at
        elif kind == "interpreter_live":
            for turn in booths:
                if turn[0] == body["booth"] and turn[3] is None:
                    turn[3] = envelope.at
            if body["attendee_id"] is not None:
                booths.append([body["booth"], body["attendee_id"], envelope.at, None])
        elif kind == "procedure_opened":
            decisions[body["procedure_id"]] = [body["document_id"], "pending", envelope.at, None]
        elif kind == "text_adopted":
            decisions[body["procedure_id"]][1:4:2] = ["adopted", envelope.at]
    return {
        "stays": stays,
        "turns": turns,
        "decisions": list(decisions.values()),
        "booths": booths,
    }


async def test_the_minutes_match_the_log_keep_the_secretariats_text_and_publish_frozen(
    db: AsyncSession,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement(("CN", "DE", "EUCO"), agenda=["Opening", "Trade"])
    api = f"/api/v1/engagements/{engagement.id}"
    people = await seated(
        secretariat,
        engagement,
        make_invitee,
        {"EUCO": Role.CHAIR, "CN": Role.HEAD_OF_DELEGATION, "DE": Role.HEAD_OF_DELEGATION},
    )
    (chair, _), (china, china_id), (germany, _) = (
        people["EUCO"],
        people["CN"],
        people["DE"],
    )
    # A Chinese name, which the PDF must shape and keep as text.
    await db.execute(
        update(Person)
        .where(
            Person.id == select(Attendee.person_id).where(Attendee.id == china_id).scalar_subquery()
        )
        .values(name="李强")
    )
    await db.commit()

    interpreter, in_booth, _ = await make_invitee(engagement, Role.INTERPRETER, "EUCO", "zh")
    assert (await interpreter.post(f"{api}/live/enter")).status_code == 200
    admitted = await secretariat.post(f"{api}/live/participants/{in_booth.id}/admit")
    assert admitted.status_code == 200, admitted.text
    on_air = f"{api}/interpretation/on-air"

    assert (await chair.post(f"{api}/floor/items/0/open", json={})).status_code == 200
    assert (await interpreter.post(on_air, json={"on_air": True})).status_code == 200
    for speaker in (china, germany):
        assert (await speaker.post(f"{api}/floor/requests", json={})).status_code == 200
    assert (await chair.post(f"{api}/floor/give", json={})).status_code == 200
    assert (await china.post(f"{api}/floor/release", json={"cut": False})).status_code == 200
    assert (await interpreter.post(on_air, json={"on_air": False})).status_code == 200
    assert (await chair.post(f"{api}/floor/give", json={})).status_code == 200
    assert (await chair.post(f"{api}/floor/release", json={"cut": True})).status_code == 200
    assert (await chair.post(f"{api}/floor/items/close")).status_code == 200
    communique = await _adopted_by_consensus(
        secretariat, chair, api, title="Joint communiqué", confidential=False
    )
    secret = await _adopted_by_consensus(
        secretariat,
        chair,
        api,
        title="Secret side letter",
        confidential=True,
        parties=["CN", "EUCO"],
    )
    assert (await germany.post(f"{api}/live/leave")).status_code == 200

    drawn = await secretariat.post(f"{api}/minutes/draft")
    assert drawn.status_code == 200, drawn.text
    record = drawn.json()["record"]
    expected = await _expected(db, engagement)
    names = await _names(db, engagement)
    assert [
        [s["attendee_id"], _at(s["admitted_at"]), s["left_at"] and _at(s["left_at"])]
        for s in record["attendance"]
    ] == expected["stays"]
    assert {s["attendee_id"]: s["name"] for s in record["attendance"]} == {
        s[0]: names[s[0]] for s in expected["stays"]
    }
    roles = {s["attendee_id"]: (s["delegation"], s["role"]) for s in record["attendance"]}
    assert roles[china_id] == ("CN", "head_of_delegation")
    assert [
        [s["speaker"], s["item"], _at(s["started_at"]), _at(s["ended_at"])]
        for s in record["speeches"]
    ] == [[names[a], item, start, end] for a, item, start, end in expected["turns"]]
    assert len(expected["turns"]) == 2
    assert [
        [b["booth"], b["interpreter"], _at(b["started_at"]), _at(b["ended_at"])]
        for b in record["interpretation"]
    ] == [[booth, names[a], start, end] for booth, a, start, end in expected["booths"]]
    assert len(expected["booths"]) == 1
    assert record["speeches"][1]["ended"] == "cut"
    assert [
        [d["document_id"], d["outcome"], _at(d["opened_at"]), _at(d["decided_at"])]
        for d in record["decisions"]
    ] == expected["decisions"]
    assert [(a["title"], a["version"]) for a in record["adopted"]] == [
        ("Joint communiqué", communique["latest"]["number"]),
        (f"A confidential communique (no. {secret['id']})", secret["latest"]["number"]),
    ]
    assert "Secret side letter" not in drawn.text
    assert [a["sittings"] != [] for a in record["agenda"]] == [True, False]

    written = {"introduction": "The leaders met by video.", "summaries": {"1": "Opened warmly."}}
    saved = await secretariat.patch(f"{api}/minutes/draft", json=written)
    assert saved.status_code == 200, saved.text

    # More happens; drawing again adds it and keeps what the secretariat wrote.
    assert (await chair.post(f"{api}/floor/items/1/open", json={})).status_code == 200
    assert (await china.post(f"{api}/floor/requests", json={})).status_code == 200
    assert (await chair.post(f"{api}/floor/give", json={})).status_code == 200
    again = (await secretariat.post(f"{api}/minutes/draft")).json()
    assert [s["item"] for s in again["record"]["speeches"]] == [1, 1, 2]
    assert again["record"]["speeches"][2]["ended_at"] is None
    assert again["written"] == written

    published = await secretariat.post(f"{api}/minutes/versions")
    assert published.status_code == 201, published.text
    first = published.json()
    stored = await db.scalar(
        select(MinutesVersion).where(MinutesVersion.engagement_id == engagement.id)
    )
    assert stored is not None
    canonical = json.dumps(
        stored.content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert first["sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    [event] = await log.events_of(db, engagement.id, ("minutes_published",))
    assert event.event.model_dump() == {
        "kind": "minutes_published",
        "version_id": stored.id,
        "number": 1,
        "sha256": first["sha256"],
    }
    _refused(await secretariat.post(f"{api}/minutes/versions"), 409, "version 1 already holds")

    # A correction publishes version 2; version 1 stays as it was, for every reader.
    correction = {"summaries": {"1": "Opened warmly; the chair welcomed both leaders."}}
    assert (await secretariat.patch(f"{api}/minutes/draft", json=correction)).status_code == 200
    second = await secretariat.post(f"{api}/minutes/versions")
    assert second.json()["number"] == 2
    kept = (await germany.get(f"{api}/minutes/versions/1")).json()
    assert kept["sha256"] == first["sha256"]
    assert kept["minutes"]["written"]["summaries"]["1"] == "Opened warmly."
    listed = (await germany.get(f"{api}/minutes/versions")).json()
    assert [v["number"] for v in listed] == [1, 2]
    page = await germany.get(f"/engagements/{engagement.id}/minutes/2")
    assert page.status_code == 200
    assert "the chair welcomed both leaders" in page.text
    assert "李强" in page.text
    assert "Into Chinese:" in page.text  # the booth on the air during the first turn
    _refused(await germany.get(f"{api}/minutes/draft"), 403, "only the secretariat")

    pdf = await germany.get(f"{api}/minutes/versions/1/pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")
    text = await asyncio.to_thread(
        subprocess.run,
        ["pdftotext", "-layout", "-", "-"],
        input=pdf.content,
        capture_output=True,
        check=True,
    )
    words = " ".join(text.stdout.decode().split())
    for speech in again["record"]["speeches"]:
        assert speech["speaker"] in words
        assert _at(speech["started_at"]).strftime("%H:%M:%S UTC") in words
    assert "Opened warmly." in words
    assert "Secret side letter" not in words


async def test_bad_requests_are_refused_in_words_and_change_nothing(
    db: AsyncSession,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement(("CN", "EUCO"))
    api = f"/api/v1/engagements/{engagement.id}/minutes"
    delegate, _, _ = await make_invitee(engagement, Role.DELEGATE, "CN")

    _refused(await secretariat.post(f"{api}/versions"), 404, "generate it first")
    assert (await secretariat.post(f"{api}/draft")).status_code == 200
    _refused(await secretariat.post(f"{api}/versions"), 409, "the minutes are empty")
    _refused(
        await delegate.patch(f"{api}/draft", json={"introduction": "Ours."}),
        403,
        "only the secretariat",
    )
    _refused(await delegate.post(f"{api}/versions"), 403, "only the secretariat")
    _refused(
        await secretariat.patch(f"{api}/draft", json={"introduction": "x" * 10_001}),
        422,
        "keep it to 10,000 or fewer",
    )
    _refused(
        await secretariat.patch(f"{api}/draft", json={"summaries": {"9": "Nothing."}}),
        422,
        "the agenda has no item 9",
    )
    _refused(await secretariat.post("/api/v1/engagements/999999/minutes/draft"), 404, "999999")

    # The editing page says what is wrong beside the box, and keeps what was typed.
    page = await secretariat.get(f"/engagements/{engagement.id}/minutes")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    too_long = "The leaders spoke at length. " * 400
    refused = await secretariat.post(
        f"/engagements/{engagement.id}/minutes/edit",
        data={"csrf_token": token[1], "introduction": "Met.", "summary-1": too_long},
    )
    assert refused.status_code == 422
    assert 'id="summary-1-error"' in refused.text
    assert "keep it to 10,000 or fewer" in refused.text
    assert too_long.strip() in refused.text
    _refused(await delegate.get(f"{api}/versions/1"), 404, "no version 1")

    draft = await db.scalar(select(MinutesDraft).where(MinutesDraft.engagement_id == engagement.id))
    assert draft is not None
    assert draft.written == {"introduction": "", "summaries": {}}
    assert await db.scalar(select(func.count(MinutesVersion.id))) == 0
    assert await log.events_of(db, engagement.id, ("minutes_published",)) == []
