"""SQLite through ``sqlite_driver``: one crossing to aiosqlite's thread per statement, and
everything SQLAlchemy reads of a cursor still right."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from summitry.db import create_engine, create_sessionmaker, intend_to_write


@pytest.fixture
def crossings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of each function sent to aiosqlite's thread, in order."""
    sent: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", type(fn).__name__))
        return await original(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE plate (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)")
        )
    yield engine
    await engine.dispose()


async def test_a_session_that_reads_one_row_crosses_three_times(
    engine: AsyncEngine, crossings: list[str]
) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as db:
        await db.execute(text("SELECT 1"))  # the pool's connection opened beforehand
    crossings.clear()
    async with sessions() as db:
        assert (await db.execute(text("SELECT 41 + 1"))).scalar_one() == 42
    # BEGIN, the statement, the rollback: not four per statement and a second rollback.
    assert crossings == ["_run", "_run", "rollback"]


async def test_what_sqlalchemy_reads_of_a_cursor_is_kept(engine: AsyncEngine) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as db:
        await intend_to_write(db)
        inserted = await db.execute(text("INSERT INTO plate (name) VALUES ('France')"))
        assert inserted.lastrowid == 1
        await db.execute(
            text("INSERT INTO plate (name) VALUES (:name)"),
            [{"name": "Germany"}, {"name": "Japan"}],
        )
        renamed = await db.execute(text("UPDATE plate SET name = name || ' ' WHERE id > 1"))
        assert renamed.rowcount == 2
        await db.commit()
    async with sessions() as db:
        rows = await db.execute(text("SELECT id, name FROM plate ORDER BY id"))
        assert list(rows.keys()) == ["id", "name"]
        assert [tuple(r) for r in rows] == [(1, "France"), (2, "Germany "), (3, "Japan ")]


async def test_a_refused_statement_is_sqlalchemys_error_and_changes_nothing(
    engine: AsyncEngine,
) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as db:
        await intend_to_write(db)
        await db.execute(text("INSERT INTO plate (name) VALUES ('France')"))
        await db.commit()
    async with sessions() as db:
        await intend_to_write(db)
        await db.execute(text("INSERT INTO plate (name) VALUES ('Italy')"))
        with pytest.raises(IntegrityError, match="UNIQUE"):
            await db.execute(text("INSERT INTO plate (name) VALUES ('France')"))
    async with sessions() as db:
        names = (await db.execute(text("SELECT name FROM plate"))).scalars().all()
    assert names == ["France"]


async def test_a_connection_returned_inside_a_transaction_is_rolled_back(
    engine: AsyncEngine,
) -> None:
    raw = await engine.raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, aiosqlite.Connection)
    await driver.execute("BEGIN IMMEDIATE")
    await driver.execute("INSERT INTO plate (name) VALUES ('Left open')")
    # Back to the pool with its transaction and the write lock (as a session's connection
    # returns: inside SQLAlchemy's greenlet).
    await greenlet_spawn(raw.close)
    async with engine.connect() as connection:
        again = (await connection.get_raw_connection()).driver_connection
        assert again is driver  # the same connection, its transaction ended
        assert not driver.in_transaction
        count = (await connection.execute(text("SELECT count(*) FROM plate"))).scalar_one()
    assert count == 0
