"""Forty parties acting on one outcome document at the same moment, on a real `summitry serve`
over SQLite and PostgreSQL: forty amendments all kept, forty ballots each counted once (and a
second ballot from each refused), forty signatures one after another on the same file, which
verifies with every one of them.
"""

from __future__ import annotations

import asyncio
import collections

from sqlalchemy import select

from summitry.db import create_engine, create_sessionmaker
from summitry.documents import seals
from summitry.documents.models import SignedCopy
from summitry.log.store import verify_chain
from tests.e2e.conftest import LiveServer
from tests.integration.test_concurrency import (
    CODES,
    Call,
    _require_all_2xx,
    at_once,
    planned_meeting,
    served,
)

__all__ = ["served"]  # the fixture, both databases

TEXT = "\n\n".join(f"{n}. Paragraph {n} of the declaration." for n in range(1, 6))


async def test_forty_parties_amend_vote_and_sign_at_once_and_each_counts_once(
    served: tuple[LiveServer, str],
) -> None:
    server, database_url = served
    async with planned_meeting(server, database_url) as meeting:
        database = "sqlite" if database_url.startswith("sqlite") else "postgresql"
        opened = await at_once(
            "open the invitation links",
            [Call(d.attendee_id, d.client, "GET", d.link) for d in meeting.delegates],
        )
        _require_all_2xx(opened, database)
        drafted = await meeting.secretariat.post(
            f"{meeting.api}/documents",
            json={
                "kind": "declaration",
                "title": "Declaration of the forty",
                "texts": {"en": TEXT},
            },
        )
        assert drafted.status_code == 201, drafted.text
        document = f"{meeting.api}/documents/{drafted.json()['id']}"

        amended = await at_once(
            "forty amendments",
            [
                Call(d.attendee_id, d.client, "POST", f"{document}/amendments", {
                    "language": "en", "paragraph": 1 + i % 5, "action": "replace",
                    "text": f"Wording proposed by {d.code}.",
                })
                for i, d in enumerate(meeting.delegates)
            ],
        )  # fmt: skip
        _require_all_2xx(amended, database)
        detail = (await meeting.secretariat.get(document)).json()
        assert sorted(a["delegation"] for a in detail["amendments"]) == sorted(CODES)
        assert len({a["id"] for a in detail["amendments"]}) == 40

        vote = await meeting.secretariat.post(
            f"{document}/procedures", json={"kind": "written_vote", "hours": 1}
        )
        assert vote.status_code == 201, vote.text
        ballots = f"{document}/procedures/{vote.json()['id']}/ballots"
        choices = ("yes", "no", "abstain")

        def choice(i: int) -> str:  # more yes than no, whatever the race below decides
            return choices[0] if i % 4 < 2 else choices[1 + i % 2]

        cast = await at_once(
            "forty ballots",
            [
                Call(d.attendee_id, d.client, "POST", ballots, {"choice": choice(i)})
                for i, d in enumerate(meeting.delegates[:39])
            ]
            + [
                Call(d.attendee_id, d.client, "POST", ballots, {"choice": "no"})
                for d in meeting.delegates[:1]  # the first party's second ballot, at once
            ],
        )
        statuses = collections.Counter(o.status for o in cast.outcomes)
        print(cast.figures(database))
        assert statuses == {201: 39, 409: 1}, statuses
        again = await at_once(
            "a second ballot from each",
            [
                Call(d.attendee_id, d.client, "POST", ballots, {"choice": "no"})
                for d in meeting.delegates[:39]
            ],
        )
        assert {o.status for o in again.outcomes} == {409}
        last = await meeting.delegates[39].client.post(ballots, json={"choice": "yes"})
        assert last.status_code == 201, last.text
        procedure = (
            await meeting.secretariat.get(f"{document}/procedures/{vote.json()['id']}")
        ).json()
        # The first party's two ballots raced: whichever was taken first is its ballot.
        first = next(b for b in procedure["ballots"] if b["delegation"] == CODES[0])
        expected = collections.Counter([first["choice"], *(choice(i) for i in range(1, 39)), "yes"])
        assert procedure["tally"] == {**{k: expected[k] for k in choices}, "absent": 0}
        assert procedure["status"] == "adopted", procedure

        prepared = await meeting.secretariat.post(f"{document}/copy")
        assert prepared.status_code == 201, prepared.text
        signed = await at_once(
            "forty signatures",
            [
                Call(d.attendee_id, d.client, "POST", f"{document}/signatures")
                for d in meeting.delegates
            ],
        )
        _require_all_2xx(signed, database)
        root = (await meeting.secretariat.get("/api/v1/signing/root.pem")).content

    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as db:
            copies = list(await db.scalars(select(SignedCopy).order_by(SignedCopy.revision)))
            assert [c.revision for c in copies] == list(range(41))
            assert sorted(c.delegation for c in copies[1:]) == sorted(CODES)
            assert await verify_chain(db, meeting.engagement_id) is None
    finally:
        await engine.dispose()
    found = await asyncio.to_thread(seals.verify, copies[-1].pdf, [root])  # pyHanko's own loop
    assert len(found.signatures) == 40
    assert all(s.intact and s.valid and s.trusted for s in found.signatures), "\n".join(
        found.explain()
    )
    assert found.all_good
