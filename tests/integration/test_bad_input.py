"""What the API says to bad input: a 4xx whose message names what to fix, and nothing written.

Each case sends one refused request as the secretariat and then checks that the number of
engagements, delegations, people and the rest is what it was before.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.delegations.models import Delegation, Person
from summitry.engagements.models import Engagement

MakeEngagement = Callable[..., Awaitable[Engagement]]

TABLES = ("engagement", "participation", "attendee", "agenda_item", "delegation", "person")


async def counts(db: AsyncSession) -> dict[str, int]:
    return {
        name: int(await db.scalar(text(f"SELECT count(*) FROM {name}")) or 0)  # noqa: S608
        for name in TABLES
    }


def engagement(**changes: Any) -> dict[str, Any]:
    """A valid engagement to plan, with ``changes`` (a value of ``...`` removes the field)."""
    body: dict[str, Any] = {
        "title": "China–EU leaders' meeting",
        "starts_at": "2020-09-14T14:00:00+02:00",
        "ends_at": "2020-09-14T16:00:00+02:00",
        "host": "EUCO",
        "delegations": ["CN", "DE"],
        "languages": ["zh", "de", "en"],
        "agenda": ["Opening"],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    status: int
    says: tuple[str, ...]
    """Pieces of text the message must contain (the offending value, or the field)."""
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    field: str | None = None


CASES: dict[str, Case] = {
    # Dates and times
    "an impossible date": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("starts_at",),
        json=engagement(starts_at="2020-13-45T14:00:00+02:00", ends_at=...),
        field="starts_at",
    ),
    "an impossible day": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("held_on",),
        json=engagement(starts_at=..., ends_at=..., held_on="2021-02-29"),
        field="held_on",
    ),
    "an end before its start": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("2020-09-14T11:00:00", "2020-09-14T12:00:00", "after"),
        json=engagement(starts_at="2020-09-14T12:00:00Z", ends_at="2020-09-14T11:00:00Z"),
        field="ends_at",
    ),
    "an end without a start": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("starts_at",),
        json=engagement(starts_at=..., held_on="2020-09-14"),
        field="ends_at",
    ),
    "neither a start nor a day": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("starts_at", "held_on"),
        json=engagement(starts_at=..., ends_at=...),
        field="starts_at",
    ),
    "a time without its offset": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("starts_at", "+02:00"),
        json=engagement(starts_at="2020-09-14T14:00:00", ends_at=...),
        field="starts_at",
    ),
    "a year out of range": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("year",),
        json=engagement(starts_at="0001-01-01T00:00:00+00:00", ends_at=...),
        field="starts_at",
    ),
    # Codes from the catalogues
    "an unknown country among the delegations": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("XQ", "ISO 3166"),
        json=engagement(delegations=["FR", "XQ"]),
        field="delegations",
    ),
    "an unknown host": Case(
        "POST", "/api/v1/engagements", 422, ("XQ",), json=engagement(host="XQ"), field="host"
    ),
    "an unknown country": Case(
        "POST", "/api/v1/delegations", 422, ("XQ", "ISO 3166"), json={"code": "XQ"}, field="code"
    ),
    "an unknown language": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("xx-invalid", "language"),
        json=engagement(languages=["en", "xx-invalid"]),
        field="languages",
    ),
    "a language listed twice": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("twice", "en"),
        json=engagement(languages=["en", "EN"]),
        field="languages",
    ),
    "a person's unknown language": Case(
        "POST",
        "/api/v1/delegations/DE/people",
        422,
        ("qqq", "language"),
        json={"name": "A. Person", "office": "Minister", "language": "qqq"},
        field="language",
    ),
    "a time zone that does not exist": Case(
        "POST",
        "/api/v1/delegations",
        422,
        ("Mars/Olympus_Mons", "Europe/Berlin"),
        json={
            "code": "MARS",
            "kind": "organisation",
            "name": "Mars",
            "timezone": "Mars/Olympus_Mons",
        },
        field="timezone",
    ),
    "a misspelt time zone of a state": Case(
        "POST",
        "/api/v1/delegations",
        422,
        ("Europe/Pariss",),
        json={"code": "FR", "timezone": "Europe/Pariss"},
        field="timezone",
    ),
    "an organisation without a name": Case(
        "POST",
        "/api/v1/delegations",
        422,
        ("ACME", "name"),
        json={"code": "ACME", "kind": "organisation", "timezone": "Europe/Vienna"},
        field="name",
    ),
    # Duplicates
    "a delegation listed twice": Case(
        "POST",
        "/api/v1/engagements",
        409,
        ("CN", "twice"),
        json=engagement(delegations=["CN", "DE", "cn"]),
        field="delegations",
    ),
    "a delegation recorded twice": Case(
        "POST", "/api/v1/delegations", 409, ("DE", "exists"), json={"code": "DEU"}, field="code"
    ),
    # Sizes
    "a title of 10,000 characters": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("title", "300"),
        json=engagement(title="T" * 10_000),
        field="title",
    ),
    "a title of blanks": Case(
        "POST", "/api/v1/engagements", 422, ("title",), json=engagement(title="   "), field="title"
    ),
    "an agenda item of 301 characters": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("agenda", "300"),
        json=engagement(agenda=["Opening", "x" * 301]),
        field="agenda",
    ),
    "a body over 256 KiB": Case(
        "POST",
        "/api/v1/engagements",
        413,
        ("256 KiB",),
        json=engagement(description="x" * (300 * 1024)),
    ),
    # The shape of the request
    "malformed JSON": Case(
        "POST",
        "/api/v1/engagements",
        400,
        ("JSON",),
        content=b'{"title": "Summit",',
        headers={"content-type": "application/json"},
    ),
    "JSON that is not an object": Case(
        "POST", "/api/v1/engagements", 422, ("object",), json=["title", "Summit"]
    ),
    "no body at all": Case("POST", "/api/v1/engagements", 422, ("body", "JSON")),
    "a text body": Case(
        "POST",
        "/api/v1/delegations",
        415,
        ("application/json",),
        content=b'{"code": "FR"}',
        headers={"content-type": "text/plain"},
    ),
    "a form body": Case(
        "POST",
        "/api/v1/delegations",
        415,
        ("application/json",),
        content=b"code=FR&kind=state",
        headers={"content-type": "application/x-www-form-urlencoded"},
    ),
    "an unknown field": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("colour",),
        json=engagement(colour="blue"),
        field="colour",
    ),
    "a missing field": Case(
        "POST",
        "/api/v1/delegations/DE/people",
        422,
        ("office", "required"),
        json={"name": "A. Person"},
        field="office",
    ),
    "a wrong type": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("delegations",),
        json=engagement(delegations="CN, DE"),
        field="delegations",
    ),
    "an unknown kind": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("kind", "video_meeting"),
        json=engagement(kind="seance"),
        field="kind",
    ),
    "a text where an id belongs": Case(
        "GET", "/api/v1/engagements/first", 422, ("engagement_id",), field="engagement_id"
    ),
    "an id no database can hold": Case(
        "GET", f"/api/v1/engagements/{2**63}", 422, ("engagement_id",), field="engagement_id"
    ),
    "an unknown status filter": Case(
        "GET", "/api/v1/engagements?status=postponed", 422, ("status",), field="status"
    ),
    "a NUL character": Case(
        "POST",
        "/api/v1/engagements",
        422,
        ("title", "control character"),
        json=engagement(title="Summit\x00"),
        field="title",
    ),
    "a NUL character in a name": Case(
        "POST",
        "/api/v1/delegations/DE/people",
        422,
        ("name", "U+0000"),
        json={"name": "Heiko\u0000Maas", "office": "Foreign Minister"},
        field="name",
    ),
    "a NUL character in a code": Case(
        "GET", "/api/v1/delegations/D%00E/people", 404, ("no delegation has the code",)
    ),
}


@pytest.fixture
async def recorded(make_delegation: Callable[..., Awaitable[Delegation]]) -> None:
    for code in ("CN", "DE", "EUCO"):
        await make_delegation(code)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
async def test_bad_input_is_refused_with_a_message_that_says_what_to_fix(
    case: Case, recorded: None, secretariat: httpx.AsyncClient, db: AsyncSession
) -> None:
    before = await counts(db)

    response = await secretariat.request(
        case.method, case.path, json=case.json, content=case.content, headers=case.headers
    )

    assert response.status_code == case.status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    for piece in case.says:
        assert piece in error["message"], error
    if case.field is not None:
        assert error.get("field") == case.field, error
    assert await counts(db) == before, "a refused request left something behind"


async def test_a_large_body_is_refused_even_without_its_length(
    recorded: None, secretariat: httpx.AsyncClient, db: AsyncSession
) -> None:
    before = await counts(db)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "Summit", "held_on": "2020-09-14", "description": "'
        for _ in range(300):
            yield b"x" * 1024
        yield b'"}'

    response = await secretariat.post(
        "/api/v1/engagements", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413, response.text
    assert "256 KiB" in response.json()["error"]["message"]
    assert await counts(db) == before


async def test_a_text_body_is_refused_even_without_its_length(
    secretariat: httpx.AsyncClient, db: AsyncSession
) -> None:
    before = await counts(db)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"code": "FR"}'

    response = await secretariat.post(
        "/api/v1/delegations", content=chunks(), headers={"content-type": "text/plain"}
    )

    assert response.status_code == 415, response.text
    assert await counts(db) == before


async def test_a_body_of_exactly_256_kib_is_accepted(
    recorded: None, secretariat: httpx.AsyncClient
) -> None:
    body = engagement(description="")
    padding = 256 * 1024 - len(httpx.Request("POST", "/", json=body).content)
    # JSON allows blanks between tokens: pad the body up to the limit without a longer field.
    content = httpx.Request("POST", "/", json=body).content[:-1] + b" " * padding + b"}"
    assert len(content) == 256 * 1024

    response = await secretariat.post(
        "/api/v1/engagements", content=content, headers={"content-type": "application/json"}
    )

    assert response.status_code == 201, response.text


# --- the same thing twice --------------------------------------------------------------------


async def test_a_delegation_added_twice_to_an_engagement_is_a_conflict(
    make_engagement: MakeEngagement, secretariat: httpx.AsyncClient, db: AsyncSession
) -> None:
    planned = await make_engagement(("CN", "DE", "EUCO"))
    before = await counts(db)

    response = await secretariat.post(
        f"/api/v1/engagements/{planned.id}/delegations", json={"code": "de"}
    )

    assert response.status_code == 409
    assert "Germany already takes part" in response.json()["error"]["message"]
    assert await counts(db) == before
    shown = await secretariat.get(f"/api/v1/engagements/{planned.id}")
    assert [d["code"] for d in shown.json()["delegations"]] == ["CN", "DE", "EUCO"]


async def test_a_person_recorded_twice_is_a_conflict(
    recorded: None, secretariat: httpx.AsyncClient, db: AsyncSession
) -> None:
    person = {"name": "Dr. Angela Merkel", "office": "Federal Chancellor", "language": "de"}
    first = await secretariat.post("/api/v1/delegations/DE/people", json=person)
    assert first.status_code == 201, first.text
    before = await counts(db)

    again = await secretariat.post(
        "/api/v1/delegations/DE/people", json={**person, "name": " Dr. Angela Merkel "}
    )

    assert again.status_code == 409
    assert "Dr. Angela Merkel" in again.json()["error"]["message"]
    assert "Federal Chancellor" in again.json()["error"]["message"]
    assert await counts(db) == before


async def test_a_person_invited_twice_is_a_conflict(
    make_engagement: MakeEngagement,
    make_person: Callable[..., Awaitable[Person]],
    secretariat: httpx.AsyncClient,
    db: AsyncSession,
) -> None:
    planned = await make_engagement(("CN", "DE", "EUCO"))
    person = await make_person("DE", name="Heiko Maas")
    url = f"/api/v1/engagements/{planned.id}/attendees"
    assert (await secretariat.post(url, json={"person_id": person.id})).status_code == 201
    before = await counts(db)

    again = await secretariat.post(url, json={"person_id": person.id, "role": "observer"})

    assert again.status_code == 409
    assert "Heiko Maas is already invited" in again.json()["error"]["message"]
    assert await counts(db) == before


async def test_an_attendee_whose_delegation_does_not_take_part_is_refused(
    make_engagement: MakeEngagement,
    make_person: Callable[..., Awaitable[Person]],
    secretariat: httpx.AsyncClient,
    db: AsyncSession,
) -> None:
    planned = await make_engagement(("CN", "DE", "EUCO"))
    outsider = await make_person("JP", name="Motegi Toshimitsu")
    before = await counts(db)

    response = await secretariat.post(
        f"/api/v1/engagements/{planned.id}/attendees", json={"person_id": outsider.id}
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert "Motegi Toshimitsu's delegation does not take part" in error["message"]
    assert error["field"] == "person_id"
    assert await counts(db) == before


async def test_a_refused_engagement_records_none_of_its_new_delegations(
    secretariat: httpx.AsyncClient, db: AsyncSession
) -> None:
    # FR and JP would be recorded on first use; the unknown code after them stops everything.
    before = await counts(db)

    response = await secretariat.post(
        "/api/v1/engagements",
        json=engagement(host="FR", delegations=["FR", "JP", "XQ"], languages=["fr"]),
    )

    assert response.status_code == 422
    assert await counts(db) == before
    assert (await secretariat.get("/api/v1/delegations/FR")).status_code == 404


# --- changing an engagement -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"ends_at": "2020-09-14T11:00:00Z"}, 422, "must come after the start"),
        ({"title": None}, 422, "title cannot be emptied"),
        ({"title": ""}, 422, "title"),
        ({"host": "XQ"}, 422, "XQ"),
        ({"languages": ["en", "xx-invalid"]}, 422, "xx-invalid"),
        ({"status": "postponed"}, 422, "status"),
        ({"starts_at": None, "held_on": None}, 422, "starts_at"),
    ],
    ids=[
        "end before start",
        "no title",
        "empty title",
        "unknown host",
        "bad language",
        "status",
        "no time",
    ],
)
async def test_a_refused_change_leaves_the_engagement_as_it_was(
    change: dict[str, Any],
    status: int,
    says: str,
    make_engagement: MakeEngagement,
    secretariat: httpx.AsyncClient,
) -> None:
    planned = await make_engagement(("CN", "DE", "EUCO"))
    url = f"/api/v1/engagements/{planned.id}"
    before = (await secretariat.get(url)).json()

    response = await secretariat.patch(url, json=change)

    assert response.status_code == status, response.text
    assert says in response.json()["error"]["message"]
    assert (await secretariat.get(url)).json() == before


async def test_a_change_touches_only_the_fields_given(
    make_engagement: MakeEngagement, secretariat: httpx.AsyncClient
) -> None:
    planned = await make_engagement(("CN", "DE", "EUCO"), description="Agreed in June")
    url = f"/api/v1/engagements/{planned.id}"
    before = (await secretariat.get(url)).json()

    response = await secretariat.patch(url, json={"status": "live"})

    assert response.status_code == 200, response.text
    after = response.json()
    assert after["status"] == "live"
    assert {k: v for k, v in after.items() if k != "status"} == {
        k: v for k, v in before.items() if k != "status"
    }


async def test_a_description_can_be_cleared(
    make_engagement: MakeEngagement, secretariat: httpx.AsyncClient
) -> None:
    planned = await make_engagement(("CN", "DE", "EUCO"), description="Draft readout")
    url = f"/api/v1/engagements/{planned.id}"

    response = await secretariat.patch(url, json={"description": None})

    assert response.status_code == 200, response.text
    assert response.json()["description"] == ""


async def test_a_new_host_from_iso_3166_is_recorded_as_on_planning(
    make_engagement: MakeEngagement, secretariat: httpx.AsyncClient
) -> None:
    planned = await make_engagement(("CN", "DE", "EUCO"))

    response = await secretariat.patch(f"/api/v1/engagements/{planned.id}", json={"host": "FR"})

    assert response.status_code == 200, response.text
    assert response.json()["host"]["code"] == "FR"
    assert "FR" in [d["code"] for d in response.json()["delegations"]]


async def test_every_answer_carries_the_security_headers(secretariat: httpx.AsyncClient) -> None:
    """A page, an API answer, a refusal before any route runs, and a route's own error."""
    answers = [
        await secretariat.get("/engagements"),
        await secretariat.get("/api/v1/engagements"),
        await secretariat.post(
            "/api/v1/delegations", content=b"code=FR", headers={"content-type": "text/plain"}
        ),
        await secretariat.get("/api/v1/engagements/999999"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 415, 404]
    for answer in answers:
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
