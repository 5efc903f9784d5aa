"""`summitry audit verify` against a record tampered with behind Summitry's back: rows altered,
deleted and slipped in directly in the database, on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from summitry.db import create_engine, create_sessionmaker
from summitry.log.models import LiveEvent
from summitry.log.store import chain_hash
from tests.integration.test_cli import run
from tests.support.postgres import create_database

_names = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The environment naming a fresh database of that kind."""
    if request.param == "sqlite":
        return {}
    server: str = request.getfixturevalue("postgres_url")
    return {"SUMMITRY_DATABASE_URL": create_database(server, f"summitry_audit_{next(_names)}")}


async def test_audit_verify_names_the_first_event_altered_deleted_or_inserted(
    database: dict[str, str], tmp_path: Path
) -> None:
    loaded = run(tmp_path, "demo", **database)  # the practice meeting's planning is logged
    assert loaded.returncode == 0, loaded.stderr
    url = database.get("SUMMITRY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'summitry.db'}")
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as db:
            first = await db.scalar(select(LiveEvent.engagement_id).order_by(LiveEvent.id))
            rows = list(
                await db.scalars(
                    select(LiveEvent)
                    .where(LiveEvent.engagement_id == first)
                    .order_by(LiveEvent.seq)
                )
            )
        assert len(rows) >= 6
        engagement = rows[0].engagement_id
        intact = run(tmp_path, "audit", "verify", **database)
        assert intact.returncode == 0, intact.stderr
        assert f"{len(rows)} event(s), chain intact" in intact.stdout

        async def tamper(statement: Any) -> None:
            async with sessions() as db:
                await db.execute(statement)
                await db.commit()

        where = (LiveEvent.engagement_id == engagement, LiveEvent.seq == 3)
        forged = {**rows[2].payload, "by": "someone else"}
        await tamper(update(LiveEvent).where(*where).values(payload=forged))
        altered = run(tmp_path, "audit", "verify", str(engagement), **database)
        assert altered.returncode == 1
        assert "BROKEN" in altered.stdout
        assert "event 3 was altered" in altered.stdout
        assert "tampered" in altered.stderr
        assert "Traceback" not in altered.stderr
        await tamper(update(LiveEvent).where(*where).values(payload=rows[2].payload))
        assert run(tmp_path, "audit", "verify", **database).returncode == 0

        await tamper(delete(LiveEvent).where(LiveEvent.id == rows[4].id))
        deleted = run(tmp_path, "audit", "verify", str(engagement), **database)
        assert deleted.returncode == 1
        assert "event 5 is missing" in deleted.stdout

        async with sessions() as db:
            last = rows[-1]
            at = last.at
            body = {"kind": "room_locked", "locked": True, "by": "an intruder"}
            prev = "f" * 64
            db.add(
                LiveEvent(
                    engagement_id=engagement,
                    seq=last.seq + 1,
                    kind="room_locked",
                    payload=body,
                    at=at,
                    prev_hash=prev,
                    hash=chain_hash(prev, engagement, last.seq + 1, at.isoformat(), body),
                )
            )
            # Put the deleted event back, so that the slipped-in one is the first breach.
            original = rows[4]
            db.add(
                LiveEvent(
                    engagement_id=engagement,
                    seq=original.seq,
                    kind=original.kind,
                    payload=original.payload,
                    at=original.at,
                    prev_hash=original.prev_hash,
                    hash=original.hash,
                )
            )
            await db.commit()
        inserted = run(tmp_path, "audit", "verify", **database)
        assert inserted.returncode == 1
        assert f"event {last.seq + 1} was inserted" in inserted.stdout

        unknown = run(tmp_path, "audit", "verify", "999999", **database)
        assert unknown.returncode == 2
        assert "Traceback" not in unknown.stderr
    finally:
        await engine.dispose()
