"""Alembic environment: runs migrations on the async engine of the configured database."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from alembic import context
from sqlalchemy.engine import Connection

import summitry.models  # registers every table on Base.metadata
from summitry.db import Base, create_engine

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=summitry.models.described,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        await connection.run_sync(_run)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_run_async())
    else:
        # Called from code that already runs an event loop (the test suite, say): migrate on
        # a thread of its own, which may start its own loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(lambda: asyncio.run(_run_async())).result()
