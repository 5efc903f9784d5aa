"""Readouts: drafted from the record, approved by the head of delegation (every party's, for
a joint one), published public or restricted, perhaps under an embargo; what is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.db import utcnow
from summitry.engagements.models import Engagement, Role
from summitry.records.readout_models import Readout, ReadoutVersion

MakeEngagement = Callable[..., Awaitable[Engagement]]
MakeInvitee = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]


def later(hours: float = 2) -> str:
    return (utcnow() + dt.timedelta(hours=hours)).isoformat()


async def snapshot(db: AsyncSession) -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    fresh = select(Readout).order_by(Readout.id).execution_options(populate_existing=True)
    rows = (await db.scalars(fresh)).all()
    versions = await db.scalar(select(func.count(ReadoutVersion.id)))
    return (
        [(r.title, r.body, r.stage, r.approvals, r.audience, r.embargo_until) for r in rows],
        versions,
    )


@pytest.fixture
async def meeting(make_engagement: MakeEngagement, make_invitee: MakeInvitee) -> dict[str, Any]:
    engagement = await make_engagement(
        ("CN", "DE", "EUCO"), kind="telephone_call", title="Leaders' call on trade"
    )
    cn_head, head_attendee, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "CN")
    cn_delegate, _, _ = await make_invitee(engagement, Role.DELEGATE, "CN")
    de_head, _, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "DE")
    press, _, _ = await make_invitee(engagement, Role.PRESS, "EUCO")
    return {
        "engagement": engagement,
        "head_name": head_attendee.person.display_name,
        "cn_head": cn_head,
        "cn_delegate": cn_delegate,
        "de_head": de_head,
        "press": press,
    }


async def test_a_draft_from_the_record_says_when_with_whom_and_on_which_channel(
    meeting: dict[str, Any],
) -> None:
    engagement = meeting["engagement"]
    response = await meeting["cn_delegate"].post(
        f"/api/v1/engagements/{engagement.id}/readouts", json={}
    )
    assert response.status_code == 201, response.text
    draft = response.json()["draft"]
    assert draft["stage"] == "draft"
    assert "readout of the telephone call with Germany" in draft["title"]
    # 12:00 UTC is 20:00 in Beijing, and the zone says so.
    assert "Monday 14 September 2020 at 20:00" in draft["body"]
    assert "China Standard Time" in draft["body"]
    assert meeting["head_name"] in draft["body"]
    assert "Geographical indications" in draft["body"]
    assert response.json()["versions"] == []


async def test_the_head_approves_and_publishes_and_a_correction_keeps_the_first(
    meeting: dict[str, Any], client: httpx.AsyncClient
) -> None:
    engagement, head = meeting["engagement"], meeting["cn_head"]
    made = await head.post(
        f"/api/v1/engagements/{engagement.id}/readouts",
        json={"title": "China's readout of the call", "body": "Both sides spoke of trade."},
    )
    readout = made.json()["id"]
    approved = await head.post(f"/api/v1/readouts/{readout}/approval")
    assert approved.json()["draft"]["stage"] == "approved"
    published = await head.post(f"/api/v1/readouts/{readout}/publication")
    assert published.status_code == 200, published.text
    assert [v["number"] for v in published.json()["versions"]] == [1]

    seen = await client.get(f"/api/v1/readouts/{readout}")
    assert seen.status_code == 200
    assert seen.json()["versions"][0]["title"] == "China's readout of the call"
    assert seen.json()["draft"] is None  # the working text is its delegation's alone

    corrected = {"title": "China's readout of the call (corrected)", "body": "Both spoke."}
    edited = await meeting["cn_delegate"].patch(f"/api/v1/readouts/{readout}", json=corrected)
    assert edited.json()["draft"]["stage"] == "draft"
    assert (await client.get(f"/api/v1/readouts/{readout}")).json()["versions"][0]["number"] == 1
    await head.post(f"/api/v1/readouts/{readout}/approval")
    await head.post(f"/api/v1/readouts/{readout}/publication")
    versions = (await client.get(f"/api/v1/readouts/{readout}")).json()["versions"]
    assert [(v["number"], v["superseded"]) for v in versions] == [(1, True), (2, False)]
    assert versions[1]["title"].endswith("(corrected)")


async def test_a_joint_readout_needs_every_party(meeting: dict[str, Any], db: AsyncSession) -> None:
    engagement, cn, de = meeting["engagement"], meeting["cn_head"], meeting["de_head"]
    made = await cn.post(
        f"/api/v1/engagements/{engagement.id}/readouts",
        json={"parties": ["DE"], "title": "Joint readout", "body": "Agreed to meet again."},
    )
    readout = made.json()["id"]
    assert made.json()["parties"] == ["CN", "DE"]
    await cn.post(f"/api/v1/readouts/{readout}/approval")

    early = await cn.post(f"/api/v1/readouts/{readout}/publication")
    assert early.status_code == 409
    assert "still to approve it: DE" in early.json()["error"]["message"]

    # An edit after an approval clears it.
    await de.patch(
        f"/api/v1/readouts/{readout}", json={"title": "Joint readout", "body": "Agreed."}
    )
    assert (await cn.get(f"/api/v1/readouts/{readout}")).json()["draft"]["approvals"] == []
    await de.post(f"/api/v1/readouts/{readout}/approval")
    assert (await de.post(f"/api/v1/readouts/{readout}/publication")).status_code == 409
    last = await cn.post(f"/api/v1/readouts/{readout}/approval")
    assert last.json()["draft"]["stage"] == "approved"
    assert (await de.post(f"/api/v1/readouts/{readout}/publication")).status_code == 200


async def test_an_embargoed_readout_is_its_delegations_alone_until_its_time(
    meeting: dict[str, Any],
    client: httpx.AsyncClient,
    secretariat: httpx.AsyncClient,
    db: AsyncSession,
) -> None:
    engagement, head = meeting["engagement"], meeting["cn_head"]
    made = await head.post(
        f"/api/v1/engagements/{engagement.id}/readouts",
        json={"title": "Embargoed readout", "body": "Quietly agreed.", "embargo_until": later()},
    )
    readout = made.json()["id"]
    await head.post(f"/api/v1/readouts/{readout}/approval")
    assert (await head.post(f"/api/v1/readouts/{readout}/publication")).status_code == 200

    for reader in (client, secretariat, meeting["de_head"], meeting["press"]):
        assert (await reader.get(f"/api/v1/readouts/{readout}")).status_code == 404
        assert "Embargoed readout" not in (await reader.get("/api/v1/readouts")).text
    assert (await meeting["cn_delegate"].get(f"/api/v1/readouts/{readout}")).status_code == 200

    await db.execute(
        update(ReadoutVersion)
        .where(ReadoutVersion.readout_id == readout)
        .values(visible_from=utcnow() - dt.timedelta(seconds=1))
    )
    await db.commit()
    for reader in (client, secretariat, meeting["de_head"], meeting["press"]):
        assert (await reader.get(f"/api/v1/readouts/{readout}")).status_code == 200


async def test_a_restricted_readout_is_for_those_who_see_the_details(
    meeting: dict[str, Any], client: httpx.AsyncClient, secretariat: httpx.AsyncClient
) -> None:
    engagement, head = meeting["engagement"], meeting["cn_head"]
    made = await head.post(
        f"/api/v1/engagements/{engagement.id}/readouts",
        json={"title": "For the parties", "body": "Details.", "audience": "restricted"},
    )
    readout = made.json()["id"]
    await head.post(f"/api/v1/readouts/{readout}/approval")
    await head.post(f"/api/v1/readouts/{readout}/publication")
    assert (await client.get(f"/api/v1/readouts/{readout}")).status_code == 404
    # The fixtures' engagement is restricted: the press do not see its details.
    assert (await meeting["press"].get(f"/api/v1/readouts/{readout}")).status_code == 404
    assert (await secretariat.get(f"/api/v1/readouts/{readout}")).status_code == 200
    assert (await meeting["de_head"].get(f"/api/v1/readouts/{readout}")).status_code == 200


REFUSALS = [
    ("cn_head", "draft", {"title": " ", "body": "x"}, 422, "give the readout a title"),
    (
        "cn_head",
        "draft",
        {"title": "T", "body": "x", "embargo_until": "2020-01-01T00:00:00Z"},
        422,
        "embargo has already passed",
    ),
    ("cn_head", "draft", {"parties": ["JP"], "title": "T", "body": "x"}, 422, "does not take"),
    ("press", "draft", {}, 403, "only a delegation taking part"),
    ("secretariat", "draft", {}, 403, "only a delegation taking part"),
    ("cn_head", "publish", None, 409, "publish only an approved text"),
    ("cn_delegate", "approve", None, 403, "only the head of delegation"),
    ("de_head", "edit", {"title": "Mine now", "body": "x"}, 404, "no readout"),
    ("cn_head", "edit", {"title": "", "body": "x"}, 422, "give the readout a title"),
    ("cn_head", "edit", {"title": "A\x00", "body": "x"}, 422, "control character"),
]


async def test_what_is_refused_says_why_and_changes_nothing(
    meeting: dict[str, Any], secretariat: httpx.AsyncClient, db: AsyncSession
) -> None:
    engagement, head = meeting["engagement"], meeting["cn_head"]
    made = await head.post(
        f"/api/v1/engagements/{engagement.id}/readouts", json={"title": "Ours", "body": "Text."}
    )
    readout = made.json()["id"]
    for who, action, body, status, says in REFUSALS:
        caller = secretariat if who == "secretariat" else meeting[who]
        before = await snapshot(db)
        if action == "draft":
            url = f"/api/v1/engagements/{engagement.id}/readouts"
            response = await caller.post(url, json=body)
        elif action == "edit":
            response = await caller.patch(f"/api/v1/readouts/{readout}", json=body)
        else:
            verb = {"approve": "approval", "publish": "publication"}[action]
            response = await caller.post(f"/api/v1/readouts/{readout}/{verb}")
        assert response.status_code == status, (who, action, response.text)
        assert says in response.json()["error"]["message"], (who, action)
        assert await snapshot(db) == before, (who, action)


async def test_another_delegation_cannot_edit_a_published_readout(
    meeting: dict[str, Any], db: AsyncSession
) -> None:
    engagement, head = meeting["engagement"], meeting["cn_head"]
    made = await head.post(
        f"/api/v1/engagements/{engagement.id}/readouts", json={"title": "Ours", "body": "Text."}
    )
    readout = made.json()["id"]
    await head.post(f"/api/v1/readouts/{readout}/approval")
    await head.post(f"/api/v1/readouts/{readout}/publication")
    before = await snapshot(db)
    response = await meeting["de_head"].patch(
        f"/api/v1/readouts/{readout}", json={"title": "Theirs", "body": "x"}
    )
    assert response.status_code == 403
    assert "parties to this readout" in response.json()["error"]["message"]
    assert await snapshot(db) == before


# --- an embargo holds on every route ---------------------------------------------------------

SECRET_TITLE = "Zephyrine accord readout"
SECRET_WORD = "quillwort"
OTHER_WORD = "marramgrass"


def get_routes(app: Any) -> list[str]:
    """Every GET path the application answers, pages and API alike."""
    from fastapi.routing import APIRoute, iter_route_contexts

    found = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and "GET" in (context.methods or ()) and context.path:
            found.add(context.path)
    return sorted(found)


async def test_an_embargoed_readout_is_reached_by_no_route_before_its_time(
    meeting: dict[str, Any],
    app: Any,
    client: httpx.AsyncClient,
    secretariat: httpx.AsyncClient,
    db: AsyncSession,
) -> None:
    engagement, head = meeting["engagement"], meeting["cn_head"]
    made = await head.post(
        f"/api/v1/engagements/{engagement.id}/readouts",
        json={
            "title": SECRET_TITLE,
            "body": f"The {SECRET_WORD} and the {OTHER_WORD} were discussed.",
            "embargo_until": later(),
        },
    )
    readout = made.json()["id"]
    await head.post(f"/api/v1/readouts/{readout}/approval")
    assert (await head.post(f"/api/v1/readouts/{readout}/publication")).status_code == 200
    values = {
        "engagement_id": engagement.id,
        "readout_id": readout,
        "code": "CN",
    }
    # Its own delegation sees it, under embargo, where everyone else will look.
    assert SECRET_TITLE in (await head.get(f"/readouts/{readout}")).text
    assert SECRET_TITLE in (await head.get(f"/engagements/{engagement.id}/readouts")).text
    paths = get_routes(app)
    assert len(paths) > 50
    assert "/readouts/{readout_id}" in paths
    assert "/api/v1/search" in paths
    callers = {
        "anonymous": client,
        "another delegation's head": meeting["de_head"],
        "the press": meeting["press"],
        "the secretariat": secretariat,
    }
    for path in paths:
        if "{token" in path:
            continue  # opening a link signs in: not a way to read
        url = path.format_map(_Defaults(values))
        # A search page shows the words asked for: it is asked for one, and must not show
        # the other.
        asked, secret = (SECRET_WORD, OTHER_WORD) if "search" in path else ("", SECRET_WORD)
        for who, caller in callers.items():
            response = await caller.get(url, params={"q": asked} if asked else None)
            assert response.status_code < 500, (who, url, response.text[:300])
            assert SECRET_TITLE not in response.text, (who, url)
            assert secret not in response.text, (who, url)

    # Its time comes: page, API, search and feed show it, with no job run.
    passed = utcnow() - dt.timedelta(seconds=1)
    await db.execute(
        update(ReadoutVersion)
        .where(ReadoutVersion.readout_id == readout)
        .values(visible_from=passed)
    )
    from summitry.records.readout_models import RecordText

    await db.execute(
        update(RecordText).where(RecordText.kind == "readout").values(visible_from=passed)
    )
    await db.commit()
    assert SECRET_TITLE in (await client.get(f"/readouts/{readout}")).text
    assert SECRET_TITLE in (await client.get(f"/api/v1/readouts/{readout}")).text
    assert SECRET_TITLE in (await client.get(f"/api/v1/search?q={SECRET_WORD}")).text
    assert SECRET_TITLE in (await client.get(f"/search?q={SECRET_WORD}")).text
    assert SECRET_TITLE in (await client.get("/readouts.atom")).text
    assert SECRET_TITLE in (await client.get("/delegations/CN/readouts.atom")).text


class _Defaults(dict[str, Any]):
    """Path values: the test's where it has them, 1 for any other id."""

    def __missing__(self, key: str) -> Any:
        return 1
