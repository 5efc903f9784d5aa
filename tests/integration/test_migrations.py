"""Migrations go up and down on both databases, and the models match the newest revision."""

from __future__ import annotations

import itertools

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from summitry import schema
from summitry.db import Base, create_engine
from summitry.models import described
from tests.support.postgres import create_database

_fresh = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('mig') / 'fresh.db'}"
    server = request.getfixturevalue("postgres_url")
    return create_database(server, f"summitry_migrations_{next(_fresh)}")


async def _tables_and_diff(url: str) -> tuple[set[str], list[object]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            def read(sync_conn: object) -> tuple[set[str], list[object]]:
                context = MigrationContext.configure(
                    sync_conn,
                    opts={"compare_type": True, "include_name": described},  # type: ignore[arg-type]
                )
                tables = set(inspect(sync_conn).get_table_names())  # type: ignore[arg-type]
                return tables, compare_metadata(context, Base.metadata)

            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def test_upgrade_downgrade_upgrade_leaves_the_schema_the_models_describe(
    empty_url: str,
) -> None:
    import asyncio

    await asyncio.to_thread(schema.upgrade, empty_url)
    tables, diff = await _tables_and_diff(empty_url)
    assert {"engagement", "delegation", "person", "invitation", "account"} <= tables
    assert diff == [], f"the models and the newest migration differ: {diff}"

    await asyncio.to_thread(schema.downgrade, empty_url, "base")
    tables, _ = await _tables_and_diff(empty_url)
    assert tables <= {"alembic_version"}

    await asyncio.to_thread(schema.upgrade, empty_url)
    tables, diff = await _tables_and_diff(empty_url)
    assert "engagement" in tables
    assert diff == []
