"""Full-text search of the record on both databases: readouts by a word in them (not a draft,
not a restricted one for those who may not see it, not one under embargo), adopted
documents and engagements; a query in anybody's syntax is only words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.db import utcnow
from summitry.engagements.models import Engagement, Role
from summitry.records import search
from summitry.records.readout_models import ReadoutVersion, RecordText

MakeEngagement = Callable[..., Awaitable[Engagement]]
MakeInvitee = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]


async def published(
    head: httpx.AsyncClient, engagement: Engagement, title: str, body: str, **more: Any
) -> int:
    made = await head.post(
        f"/api/v1/engagements/{engagement.id}/readouts", json={"title": title, "body": body, **more}
    )
    assert made.status_code == 201, made.text
    readout = int(made.json()["id"])
    await head.post(f"/api/v1/readouts/{readout}/approval")
    assert (await head.post(f"/api/v1/readouts/{readout}/publication")).status_code == 200
    return readout


@pytest.fixture
async def head(make_engagement: MakeEngagement, make_invitee: MakeInvitee) -> Any:
    engagement = await make_engagement(("CN", "DE", "EUCO"), description="Talks on oceans.")
    client, _attendee, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "CN")
    return engagement, client


async def test_a_readout_is_found_by_a_word_in_it(head: Any, client: httpx.AsyncClient) -> None:
    engagement, chinese = head
    readout = await published(
        chinese, engagement, "Readout on fisheries", "Both sides welcomed the mangrove initiative."
    )
    found = await client.get("/api/v1/search", params={"q": "Mangrove"})
    assert found.status_code == 200
    hits = found.json()
    assert [(h["kind"], h["link"]) for h in hits] == [("readout", f"/readouts/{readout}")]
    assert "<mark>mangrove</mark>" in hits[0]["snippet"]
    # Every word must be there.
    assert (await client.get("/api/v1/search", params={"q": "mangrove volcano"})).json() == []


async def test_not_a_draft_not_restricted_for_anyone_not_under_embargo(
    head: Any, client: httpx.AsyncClient, secretariat: httpx.AsyncClient, db: AsyncSession
) -> None:
    engagement, chinese = head
    await chinese.post(
        f"/api/v1/engagements/{engagement.id}/readouts",
        json={"title": "A draft", "body": "The heliotrope draft."},
    )
    restricted = await published(
        chinese, engagement, "Restricted", "The heliotrope restricted.", audience="restricted"
    )
    later = (utcnow() + dt.timedelta(hours=3)).isoformat()
    embargoed = await published(
        chinese, engagement, "Embargoed", "The heliotrope embargoed.", embargo_until=later
    )

    def links(response: httpx.Response) -> set[str]:
        return {h["link"] for h in response.json()}

    assert links(await client.get("/api/v1/search?q=heliotrope")) == set()
    assert links(await secretariat.get("/api/v1/search?q=heliotrope")) == {
        f"/readouts/{restricted}"
    }
    await db.execute(
        update(ReadoutVersion)
        .where(ReadoutVersion.readout_id == embargoed)
        .values(visible_from=utcnow() - dt.timedelta(seconds=1))
    )
    await db.execute(
        update(RecordText)
        .where(RecordText.kind == "readout", RecordText.ref_id == embargoed)
        .values(visible_from=utcnow() - dt.timedelta(seconds=1))
    )
    await db.commit()
    assert links(await client.get("/api/v1/search?q=heliotrope")) == {f"/readouts/{embargoed}"}


async def test_the_embargo_ends_in_the_query_itself(head: Any, db: AsyncSession) -> None:
    engagement, chinese = head
    until = utcnow() + dt.timedelta(hours=1)
    await published(chinese, engagement, "Later", "The quokka.", embargo_until=until.isoformat())
    assert await search.find(db, None, "quokka") == []
    after = await search.find(db, None, "quokka", now=until + dt.timedelta(seconds=1))
    assert [h.title for h in after] == ["Later"]


async def test_adopted_documents_and_engagements_are_found(
    head: Any, secretariat: httpx.AsyncClient, db: AsyncSession
) -> None:
    from summitry.documents import adoption, drafting
    from summitry.documents.actors import Actor
    from summitry.documents.models import DocumentKind, ProcedureKind

    engagement, _chinese = head
    chair = Actor("Secretariat", True)
    text = {"en": "The Parties protect the albatross.\n\nThey meet again."}
    draft = drafting.Draft(DocumentKind.COMMUNIQUE, "Communiqué", text, confidential=False)
    document = await drafting.draft(db, chair, engagement.id, draft)
    hidden = drafting.Draft(DocumentKind.COMMUNIQUE, "Secret", {"en": "albatross"})
    await drafting.draft(db, chair, engagement.id, hidden)  # confidential, and not adopted
    assert (await secretariat.get("/api/v1/search?q=albatross")).json() == []
    procedure = await adoption.open_procedure(db, chair, document, ProcedureKind.CONSENSUS, None)
    await adoption.gavel(db, chair, document, procedure)

    hits = (await secretariat.get("/api/v1/search?q=albatross")).json()
    assert [(h["kind"], h["title"]) for h in hits] == [("document", "Communiqué")]
    oceans = (await secretariat.get("/api/v1/search?q=oceans")).json()
    assert [(h["kind"], h["link"]) for h in oceans] == [
        ("engagement", f"/engagements/{engagement.id}")
    ]


BAD = ["", "   ", '"', 'NEAR("', "a AND", "(((", "-", "*", "'; DROP TABLE x; --", "^~:", 'x" OR "y']


async def test_a_query_in_any_syntax_is_only_words(head: Any, client: httpx.AsyncClient) -> None:
    engagement, chinese = head
    await published(chinese, engagement, "Readout", "Plain words, far from all.")
    for typed in BAD:
        response = await client.get("/api/v1/search", params={"q": typed})
        assert response.status_code == 200, (typed, response.text)
        assert response.json() == [], typed
        page = await client.get("/search", params={"q": typed})
        assert page.status_code == 200, typed
    near = await client.get("/api/v1/search", params={"q": '("Plain*'})
    assert [h["title"] for h in near.json()] == ["Readout"]


ATOM = "{http://www.w3.org/2005/Atom}"


async def test_the_atom_feed_carries_public_readouts_past_their_embargo(
    head: Any, client: httpx.AsyncClient
) -> None:
    from lxml import etree  # type: ignore[import-untyped]

    engagement, chinese = head
    shown = await published(chinese, engagement, "China's readout", "Both sides spoke.")
    await published(chinese, engagement, "Restricted one", "x", audience="restricted")
    until = (utcnow() + dt.timedelta(hours=3)).isoformat()
    await published(chinese, engagement, "Embargoed one", "x", embargo_until=until)

    response = await client.get("/readouts.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = etree.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == "http://summitry.test/readouts.atom"
    assert feed.findtext(f"{ATOM}updated")
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["China's readout"]
    entry = entries[0]
    link = f"http://summitry.test/readouts/{shown}"
    assert entry.findtext(f"{ATOM}id") == link
    assert entry.find(f"{ATOM}link").get("href") == link
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == "China"
    assert entry.findtext(f"{ATOM}published")
    assert entry.findtext(f"{ATOM}updated")

    china = etree.fromstring((await client.get("/delegations/CN/readouts.atom")).content)
    assert len(china.findall(f"{ATOM}entry")) == 1
    germany = etree.fromstring((await client.get("/delegations/de/readouts.atom")).content)
    assert germany.findall(f"{ATOM}entry") == []
    assert (await client.get("/delegations/ZZ/readouts.atom")).status_code == 404
