"""The database: one declarative base, the engine and sessions, on SQLite or PostgreSQL."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import DateTime, Enum, MetaData, TypeDecorator, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from summitry import sqlite_driver

# Named constraints so that migrations can alter them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A moment in time, stored in UTC and always returned aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing a naive datetime: give it a time zone")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def db_enum(kind: type[enum.Enum]) -> Enum:
    """An enum stored as its values (``video_meeting``), as a checked string on both databases."""
    return Enum(
        kind,
        native_enum=False,
        length=24,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


def utcnow() -> dt.datetime:
    """The current moment, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def create_engine(url: str) -> AsyncEngine:
    """An engine for ``url``; SQLite gets real transactions and enforced foreign keys."""
    if url.startswith("sqlite"):
        # The timeout is SQLite's busy wait: a writer queues behind another for up to 30 s.
        # The pool's reset is ours (``_make_sqlite_transactional``): rolled back only if open.
        engine = create_async_engine(
            url,
            connect_args={"timeout": 30},
            pool_reset_on_return=None,
            module=sqlite_driver.dbapi(),
        )
        _make_sqlite_transactional(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def _make_sqlite_transactional(engine: AsyncEngine) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; take it over,
    # as SQLAlchemy's documentation advises, and turn foreign keys on.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_SQLITE_WRITES)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, record: Any, reset_state: Any) -> None:
        # The session has ended its transaction already (committed or rolled back): the
        # pool's own rollback on return would be a second crossing to aiosqlite's thread
        # (see ``sqlite_driver``) for nothing.
        if not reset_state.terminate_only and record.driver_connection.in_transaction:
            dbapi_connection.rollback()  # what the pool's own reset does


_SQLITE_WRITES = "summitry_writes"


async def intend_to_write(session: AsyncSession) -> None:
    """Begin the session's transaction as one that will write.

    On SQLite a transaction that read and then writes fails at once with "database is
    locked" if another wrote in between (WAL gives it no busy wait); ``BEGIN IMMEDIATE`` takes
    the write lock first, so concurrent writers queue instead. Readers are not held up. Other
    databases ignore the option.
    """
    session.info[WRITES] = True
    await session.connection(execution_options={_SQLITE_WRITES: True})


WRITES = "summitry_writes"
"""Set in ``session.info`` for a session whose transactions may write (see ``intend_to_write``)."""


def writes(session: AsyncSession) -> bool:
    """Whether the session was begun as one that will write."""
    return bool(session.info.get(WRITES))


MAX_ID = 2**31 - 1
"""The largest id every supported database can hold (PostgreSQL's integer)."""


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
