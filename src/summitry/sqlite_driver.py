"""SQLite through aiosqlite, one crossing to its thread per statement.

SQLAlchemy's aiosqlite adapter makes four calls into aiosqlite's thread for each statement
(open a cursor, execute, fetch the rows, close the cursor), and in a busy server each crossing
waits its turn in the event loop on the way back: a page resuming under churn made some thirty.
Here a statement is one call, run in the thread from start to end; what SQLAlchemy reads of the
cursor afterwards (description, row count, last row id, the rows) is kept on this side.

It leans on two names aiosqlite keeps to itself (``Connection._execute``, which runs a function
in the connection's thread, and ``_conn``, the sqlite3 connection there): the test suite runs
every statement through it, and ``tests/unit/test_sqlite_driver.py`` counts the crossings.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_cursor
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
)


class _Outcome:
    """What a statement left for SQLAlchemy to read: its cursor's attributes, once closed."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(self) -> None:
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1


_Ran = tuple[Any, int, int | None, list[Any] | None]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Ran:
    """In aiosqlite's thread: the statement executed, its rows fetched, its cursor closed."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else None
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneCrossingCursor(AsyncAdapt_dbapi_cursor):
    """A cursor whose statement crosses to aiosqlite's thread once, and whose close does not."""

    __slots__ = ()
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: Any) -> None:  # no cursor opened in the thread
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = _Outcome()  # type: ignore[assignment]
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()

    def close(self) -> None:  # the thread closed the cursor when the statement ended
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._cross(operation, () if parameters is None else parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._cross(operation, seq_of_parameters, many=True)

    async def _cross(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            ran: _Ran = await connection._execute(  # type: ignore[no-untyped-call]
                _run, connection._conn, operation, parameters, many
            )
        outcome: _Outcome = self._cursor  # type: ignore[assignment]
        outcome.description, outcome.rowcount, outcome.lastrowid, rows = ran
        self._rows = collections.deque(rows or ())


class _OneCrossingConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneCrossingCursor  # type: ignore[assignment]


class _OneCrossingDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _OneCrossingConnection:
        # SQLAlchemy's own connect starts aiosqlite's thread as it should (a daemon); only
        # the adapter around the connection differs.
        adapted = super().connect(*arg, **kw)
        return _OneCrossingConnection(self, adapted._connection)


def dbapi() -> Any:
    """The DBAPI module for ``create_async_engine(url, module=...)`` on SQLite."""
    return _OneCrossingDBAPI(aiosqlite, sqlite3)
