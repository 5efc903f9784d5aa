"""Outcome documents through the API, on both databases: drafting, amendments, the comparison,
the three adoption procedures and every refusal the issue names (each recorded, nothing changed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry import log
from summitry.documents.clock import close_due
from summitry.documents.models import Procedure
from summitry.engagements.models import Engagement, Role

Invitee = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]

TEXT = (
    "1. The Parties welcome the conclusion of the negotiations.\n\n"
    "2. They agree to protect [one hundred] geographical indications of each side.\n\n"
    "3. The Agreement enters into force once both Parties have completed their procedures."
)


async def _draft(secretariat: httpx.AsyncClient, engagement: Engagement, **extra: Any) -> Any:
    body = {
        "kind": "agreement",
        "title": "Agreement on geographical indications",
        "texts": {"en": TEXT},
    }
    body.update(extra)
    response = await secretariat.post(f"/api/v1/engagements/{engagement.id}/documents", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _refused(response: httpx.Response, status: int, words: str) -> None:
    """The request was refused with ``status`` and a message that says ``words``."""
    assert response.status_code == status, response.text
    assert words in response.json()["error"]["message"]


def _url(engagement: Engagement, document: Any, path: str = "") -> str:
    return f"/api/v1/engagements/{engagement.id}/documents/{document['id']}{path}"


async def _kinds(db: AsyncSession, engagement: Engagement) -> list[str]:
    return [e.event.kind for e in await log.events_after(db, engagement.id)]


async def _refusals(db: AsyncSession, engagement: Engagement) -> list[str]:
    found = await log.events_of(db, engagement.id, ("document_action_refused",))
    return [e.event.reason for e in found]  # type: ignore[attr-defined]


@pytest.fixture
async def bilateral(make_engagement: Callable[..., Awaitable[Engagement]]) -> Engagement:
    return await make_engagement(("CN", "EUCO"), languages=["en", "zh"])


async def test_a_draft_is_amended_by_a_delegation_and_every_version_compares_by_word(
    secretariat: httpx.AsyncClient, bilateral: Engagement, make_invitee: Invitee, db: AsyncSession
) -> None:
    document = await _draft(secretariat, bilateral)
    assert document["latest"]["texts"]["en"][1].startswith("2. They agree to protect [one hundred]")
    chinese, _, _ = await make_invitee(bilateral, Role.DELEGATE, "CN")

    proposed = await chinese.post(
        _url(bilateral, document, "/amendments"),
        json={
            "language": "en",
            "paragraph": 2,
            "action": "replace",
            "text": "2. They agree to protect one hundred geographical indications of each "
            "side, and another one hundred four years later.",
        },
    )
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["delegation"] == "CN"
    decided = await secretariat.post(
        _url(bilateral, document, f"/amendments/{proposed.json()['id']}/decision"),
        json={"decision": "accepted"},
    )
    assert decided.json()["decided_in"] == 2

    compared = (await secretariat.get(_url(bilateral, document, "/compare?from=1&to=2"))).json()
    pieces = [piece for paragraph in compared["paragraphs"] for piece in paragraph]
    assert ["removed", "[one hundred] "] in pieces
    assert any(kind == "added" and "four years later" in words for kind, words in pieces)
    assert [
        "same",
        "3. The Agreement enters into force once both Parties have completed their procedures.",
    ] in pieces

    pdf = await secretariat.get(_url(bilateral, document, "/compare?from=1&to=2&format=pdf"))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")
    versions = (await secretariat.get(_url(bilateral, document, "/versions"))).json()
    assert [v["number"] for v in versions] == [1, 2]
    kinds = await _kinds(db, bilateral)
    assert kinds[-3:] == ["amendment_proposed", "version_made", "amendment_decided"]


async def test_a_confidential_draft_is_read_by_the_parties_delegations_alone(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invitee,
) -> None:
    engagement = await make_engagement(("CN", "EUCO", "DE"), confidentiality="public")
    document = await _draft(secretariat, engagement, confidential=True, parties=["CN", "EUCO"])
    delegate, _, _ = await make_invitee(engagement, Role.DELEGATE, "CN")
    press, _, _ = await make_invitee(engagement, Role.PRESS, "EUCO")
    observer, _, _ = await make_invitee(engagement, Role.DELEGATE, "DE")
    assert (await delegate.get(_url(engagement, document))).status_code == 200
    for outsider in (press, observer):
        response = await outsider.get(_url(engagement, document))
        assert response.status_code == 404
        assert "Agreement" not in response.text
        listed = await outsider.get(f"/api/v1/engagements/{engagement.id}/documents")
        assert listed.json() == []


async def test_consensus_adopts_the_exact_text_under_the_gavel_and_it_is_not_amended_after(
    secretariat: httpx.AsyncClient, bilateral: Engagement, make_invitee: Invitee, db: AsyncSession
) -> None:
    document = await _draft(secretariat, bilateral)
    opened = await secretariat.post(
        _url(bilateral, document, "/procedures"), json={"kind": "consensus"}
    )
    _refused(opened, 409, "square brackets")
    await secretariat.post(
        _url(bilateral, document, "/versions"),
        json={
            "language": "en",
            "paragraph": 2,
            "text": "2. They agree to protect one hundred geographical indications of each side.",
        },
    )
    chair, _, _ = await make_invitee(bilateral, Role.CHAIR, "EUCO")
    opened = await chair.post(_url(bilateral, document, "/procedures"), json={"kind": "consensus"})
    assert opened.status_code == 201, opened.text
    gavel = await chair.post(_url(bilateral, document, f"/procedures/{opened.json()['id']}/gavel"))
    assert gavel.json()["status"] == "adopted"
    detail = (await chair.get(_url(bilateral, document))).json()
    assert detail["stage"] == "adopted"
    assert detail["adopted_version"] == 2
    adopted = [e.event for e in await log.events_of(db, bilateral.id, ("text_adopted",))]
    assert adopted[0].text_sha256 == detail["latest"]["sha256"]  # type: ignore[attr-defined]

    delegate, _, _ = await make_invitee(bilateral, Role.DELEGATE, "CN")
    late = await delegate.post(
        _url(bilateral, document, "/amendments"),
        json={"language": "en", "paragraph": 1, "action": "delete"},
    )
    _refused(late, 409, "adopted")
    assert (await chair.get(_url(bilateral, document))).json()["latest"]["number"] == 2
    assert any("adopted" in r for r in await _refusals(db, bilateral))


async def _agreed(secretariat: httpx.AsyncClient, engagement: Engagement, **extra: Any) -> Any:
    return await _draft(
        secretariat, engagement, texts={"en": TEXT.replace("[one hundred]", "one hundred")}, **extra
    )


async def test_silence_kept_to_the_deadline_adopts_the_text_as_of_the_deadline(
    secretariat: httpx.AsyncClient,
    bilateral: Engagement,
    sessionmaker: async_sessionmaker[AsyncSession],
    db: AsyncSession,
) -> None:
    document = await _agreed(secretariat, bilateral)
    opened = await secretariat.post(
        _url(bilateral, document, "/procedures"), json={"kind": "silence", "hours": 72}
    )
    assert opened.status_code == 201, opened.text
    procedure = opened.json()
    deadline = dt.datetime.fromisoformat(procedure["deadline"])
    assert [c["delegation"] for c in procedure["deadline_in_capitals"]] == ["CN", "EUCO"]
    assert await close_due(sessionmaker, deadline - dt.timedelta(seconds=1)) == 0
    assert await close_due(sessionmaker, deadline + dt.timedelta(hours=5)) == 1
    shown = (
        await secretariat.get(_url(bilateral, document, f"/procedures/{procedure['id']}"))
    ).json()
    assert shown["status"] == "adopted"
    assert shown["closed_at"] == procedure["deadline"]
    adopted = [e.event for e in await log.events_of(db, bilateral.id, ("text_adopted",))]
    assert adopted[0].effective_at == deadline  # type: ignore[attr-defined]


async def test_a_party_breaks_silence_in_writing_but_not_after_the_deadline_nor_for_another(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invitee,
    db: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    engagement = await make_engagement(("CN", "EUCO", "DE"))
    # Not confidential: Germany, not a party, may read it, and tries to break silence.
    document = await _agreed(secretariat, engagement, parties=["CN", "EUCO"], confidential=False)
    german, _, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "DE")
    chinese, _, _ = await make_invitee(engagement, Role.DELEGATE, "CN")
    procedure = (
        await secretariat.post(
            _url(engagement, document, "/procedures"), json={"kind": "silence", "hours": 24}
        )
    ).json()
    path = _url(engagement, document, f"/procedures/{procedure['id']}/silence-breaks")

    outsider = await german.post(path, json={"reason": "We object."})
    _refused(outsider, 403, "CN, EUCO")
    empty = await chinese.post(path, json={"reason": "  "})
    assert empty.status_code == 422

    await db.execute(
        update(Procedure)
        .where(Procedure.id == procedure["id"])
        .values(deadline=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    await db.commit()
    late = await chinese.post(path, json={"reason": "Paragraph 2 needs more work."})
    _refused(late, 409, "can no longer be broken")
    await db.execute(
        update(Procedure)
        .where(Procedure.id == procedure["id"])
        .values(deadline=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    )
    await db.commit()

    broken = await chinese.post(path, json={"reason": "Paragraph 2 needs more work."})
    assert broken.status_code == 200, broken.text
    assert broken.json()["status"] == "broken"
    assert "CN" in broken.json()["outcome"]
    assert (await secretariat.get(_url(engagement, document))).json()["stage"] == "draft"
    assert await close_due(sessionmaker, dt.datetime.now(dt.UTC) + dt.timedelta(days=2)) == 0
    breaks = [e.event for e in await log.events_of(db, engagement.id, ("silence_broken",))]
    assert [b.delegation for b in breaks] == ["CN"]  # type: ignore[attr-defined]
    assert broken.json()["reason"] == "Paragraph 2 needs more work."
    assert "Paragraph 2" not in str([e.event for e in await log.events_after(db, engagement.id)])
    reasons = await _refusals(db, engagement)
    assert len(reasons) == 3
    assert any("no longer" in r for r in reasons)


async def test_a_written_vote_counts_each_partys_one_ballot_and_the_absent_and_refuses_the_rest(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invitee,
    db: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    engagement = await make_engagement(("CN", "EUCO", "DE", "FR"))
    document = await _agreed(secretariat, engagement)
    heads = {
        code: (await make_invitee(engagement, Role.HEAD_OF_DELEGATION, code))[0]
        for code in ("CN", "EUCO", "DE")
    }
    delegate, _, _ = await make_invitee(engagement, Role.DELEGATE, "FR")
    procedure = (
        await secretariat.post(
            _url(engagement, document, "/procedures"), json={"kind": "written_vote", "hours": 24}
        )
    ).json()
    path = _url(engagement, document, f"/procedures/{procedure['id']}/ballots")

    assert (await heads["CN"].post(path, json={"choice": "yes"})).status_code == 201
    again = await heads["CN"].post(path, json={"choice": "no"})
    _refused(again, 409, "voted already")
    unauthorised = await delegate.post(path, json={"choice": "no"})
    _refused(unauthorised, 403, "authorised")
    assert (await secretariat.post(path, json={"choice": "yes"})).status_code == 403
    assert (await heads["EUCO"].post(path, json={"choice": "abstain"})).status_code == 201

    await db.execute(
        update(Procedure)
        .where(Procedure.id == procedure["id"])
        .values(deadline=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    await db.commit()
    late = await heads["DE"].post(path, json={"choice": "no"})
    _refused(late, 409, "after the deadline")
    assert await close_due(sessionmaker) == 1

    shown = (
        await secretariat.get(_url(engagement, document, f"/procedures/{procedure['id']}"))
    ).json()
    assert shown["tally"] == {"yes": 1, "no": 0, "abstain": 1, "absent": 2}
    assert shown["status"] == "adopted"
    assert "2 absent" in shown["outcome"]
    assert [(b["delegation"], b["choice"]) for b in shown["ballots"]] == [
        ("CN", "yes"),
        ("EUCO", "abstain"),
    ]
    assert len(await _refusals(db, engagement)) == 4


async def test_a_vote_closes_when_every_party_has_voted_and_a_lost_vote_leaves_a_draft(
    secretariat: httpx.AsyncClient, bilateral: Engagement, make_invitee: Invitee
) -> None:
    document = await _agreed(secretariat, bilateral)
    procedure = (
        await secretariat.post(
            _url(bilateral, document, "/procedures"), json={"kind": "written_vote", "hours": 1}
        )
    ).json()
    path = _url(bilateral, document, f"/procedures/{procedure['id']}/ballots")
    for code, choice in (("CN", "no"), ("EUCO", "yes")):
        head, _, _ = await make_invitee(bilateral, Role.HEAD_OF_DELEGATION, code)
        assert (await head.post(path, json={"choice": choice})).status_code == 201
    shown = (
        await secretariat.get(_url(bilateral, document, f"/procedures/{procedure['id']}"))
    ).json()
    assert shown["status"] == "rejected"
    assert shown["tally"]["absent"] == 0
    assert (await secretariat.get(_url(bilateral, document))).json()["stage"] == "draft"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"kind": "silence"}, "needs a deadline"),
        ({"kind": "silence", "deadline": "2020-03-27T12:00:00Z"}, "has passed"),
        ({"kind": "written_vote", "hours": 24, "deadline": "2030-01-01T00:00:00Z"}, "not both"),
        ({"kind": "silence", "deadline": "2030-01-01T00:00:00"}, "offset"),
    ],
)
async def test_a_procedure_without_a_sensible_deadline_is_refused_and_nothing_opens(
    secretariat: httpx.AsyncClient, bilateral: Engagement, body: dict[str, Any], words: str
) -> None:
    document = await _agreed(secretariat, bilateral)
    response = await secretariat.post(_url(bilateral, document, "/procedures"), json=body)
    _refused(response, 422, words)
    assert (await secretariat.get(_url(bilateral, document))).json()["procedures"] == []


async def test_a_72_hour_silence_over_the_change_of_clocks_is_shown_in_every_capital(
    secretariat: httpx.AsyncClient, bilateral: Engagement, db: AsyncSession
) -> None:
    # The procedure's moments are set as if opened on 27 March 2020 at 12:00 UTC for 72 hours.
    document = await _agreed(secretariat, bilateral)
    opened = await secretariat.post(
        _url(bilateral, document, "/procedures"), json={"kind": "silence", "hours": 72}
    )
    procedure = opened.json()
    await db.execute(
        update(Procedure)
        .where(Procedure.id == procedure["id"])
        .values(
            opened_at=dt.datetime(2020, 3, 27, 12, tzinfo=dt.UTC),
            deadline=dt.datetime(2020, 3, 27, 12, tzinfo=dt.UTC) + dt.timedelta(hours=72),
        )
    )
    await db.commit()
    shown = (
        await secretariat.get(_url(bilateral, document, f"/procedures/{procedure['id']}"))
    ).json()
    assert shown["deadline"] == "2020-03-30T12:00:00Z"
    local = {c["delegation"]: c["local"] for c in shown["deadline_in_capitals"]}
    assert local == {"EUCO": "2020-03-30 14:00 (UTC+02:00)", "CN": "2020-03-30 20:00 (UTC+08:00)"}


async def test_an_amendment_to_a_paragraph_changed_since_is_refused_not_applied_elsewhere(
    secretariat: httpx.AsyncClient, bilateral: Engagement, make_invitee: Invitee, db: AsyncSession
) -> None:
    document = await _draft(secretariat, bilateral)
    chinese, _, _ = await make_invitee(bilateral, Role.DELEGATE, "CN")
    proposed = await chinese.post(
        _url(bilateral, document, "/amendments"),
        json={
            "language": "en",
            "paragraph": 3,
            "action": "replace",
            "text": "It enters into force at once.",
        },
    )
    # The secretariat inserts a paragraph before it: the old third paragraph is now the fourth.
    await secretariat.post(
        _url(bilateral, document, "/versions"),
        json={
            "language": "en",
            "paragraph": 2,
            "action": "insert",
            "text": "A new second paragraph.",
        },
    )
    accepted = await secretariat.post(
        _url(bilateral, document, f"/amendments/{proposed.json()['id']}/decision"),
        json={"decision": "accepted"},
    )
    _refused(accepted, 409, "paragraph 3 has changed since amendment")
    latest = (await secretariat.get(_url(bilateral, document))).json()["latest"]
    assert latest["number"] == 2
    assert latest["texts"]["en"][2].startswith("2. They agree to protect")


async def test_a_silence_procedure_past_its_deadline_is_closed_not_withdrawn(
    secretariat: httpx.AsyncClient, bilateral: Engagement, db: AsyncSession
) -> None:
    document = await _agreed(secretariat, bilateral)
    procedure = (
        await secretariat.post(
            _url(bilateral, document, "/procedures"), json={"kind": "silence", "hours": 1}
        )
    ).json()
    await db.execute(
        update(Procedure)
        .where(Procedure.id == procedure["id"])
        .values(deadline=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    await db.commit()
    withdrawn = await secretariat.post(
        _url(bilateral, document, f"/procedures/{procedure['id']}/withdraw")
    )
    _refused(withdrawn, 409, "closed as of its deadline, not withdrawn")


def test_a_confidential_text_is_sent_on_the_feed_only_to_those_who_may_read_it() -> None:
    from summitry.documents.models import OutcomeDocument
    from summitry.documents.readers import _reads

    document = OutcomeDocument(confidential=True, parties=["CN", "EUCO"])
    assert _reads(Role.DELEGATE, "CN", document)
    assert _reads(Role.CHAIR, "DE", document)
    assert _reads(Role.SECRETARIAT, "EUCO", document)
    for role, delegation in (
        (Role.DELEGATE, "DE"),
        (Role.INTERPRETER, "CN"),
        (Role.PRESS, "CN"),
        (Role.OBSERVER, "CN"),
    ):
        assert not _reads(role, delegation, document), (role, delegation)
    document.confidential = False
    assert _reads(Role.PRESS, "DE", document)
