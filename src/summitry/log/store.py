"""Appending to and reading an engagement's log; each event carries the hash of the one before."""

from __future__ import annotations

import hashlib
import json
import weakref
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.db import utcnow
from summitry.log.events import Event, EventEnvelope, parse_event
from summitry.log.models import LiveEvent

GENESIS = "0" * 64
PENDING = "live_pending"
HELD = "live_held"
LOCK_SPACE = 0x53554D  # "SUM": the first key of Summitry's advisory locks, the second an id
HUB = "live_hub"
"""The key, in a session's ``info``, of the hub its commits are published through
(``Runtime.use_database`` puts it in every session); ``None`` there says that no live
connection follows the log from this process (``offline``)."""


def offline(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> async_sessionmaker[AsyncSession]:
    """``sessionmaker``, whose sessions say that no live page follows what they commit: a
    command, a benchmark's setup, a test without an app. Without this (or a hub), appending
    to the log fails rather than leave pages silently behind."""
    sessionmaker.configure(info={HUB: None})
    return sessionmaker


class NoHub(RuntimeError):
    """An event appended in a session that says nothing of where its commit is published."""


def chain_hash(prev_hash: str, engagement_id: int, seq: int, at: str, body: dict[str, Any]) -> str:
    """The hash that links an event to its predecessor; any edit of either breaks the chain."""
    canonical = json.dumps(
        {"prev": prev_hash, "engagement": engagement_id, "seq": seq, "at": at, "body": body},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def hold(db: AsyncSession, engagement_id: int) -> None:
    """Serialise this transaction's changes of an engagement with everyone else's until it ends.

    Taken before the state a change is checked against is read, so that the check and the
    append see the same log, and two requests arriving together queue instead of racing for a
    sequence number. On PostgreSQL it is a transaction-level advisory lock on the engagement
    (ADR 0008); on SQLite a writing transaction holds the database's one write lock from its
    ``BEGIN IMMEDIATE``, which serialises it already.
    """
    held = _held(db)
    if held is not None and engagement_id in held:
        return
    connection = await db.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:space, :id)"),
            {"space": LOCK_SPACE, "id": engagement_id},
        )
    held = _held(db)
    if held is None:
        held = {}
        # The transaction weakly: the session holds its transactions, a cycle would keep every
        # session (and what it loaded) for the collector's full pass.
        db.info[HELD] = (weakref.ref(db.sync_session.get_transaction()), held)
    held.setdefault(engagement_id, None)


Head = tuple[int, str]
"""The last event's sequence number and hash."""


def _held(db: AsyncSession) -> dict[int, Head | None] | None:
    """The engagements this transaction holds, each with the chain's head where the
    transaction has read or made it: no one else can move it before the transaction ends, so
    appending need not read it again. (A savepoint rolled back after an append would leave it
    ahead of the log: nothing appends inside a savepoint.)"""
    held: tuple[weakref.ref[object], dict[int, Head | None]] | None = db.info.get(HELD)
    current = db.sync_session.get_transaction()
    if held is None or current is None or held[0]() is not current:
        return None
    return held[1]


async def append(db: AsyncSession, engagement_id: int, body: Event) -> EventEnvelope:
    """Add an event in the caller's transaction; it is published only once that commits."""
    return (await append_all(db, engagement_id, [body]))[0]


async def append_all(
    db: AsyncSession, engagement_id: int, bodies: list[Event]
) -> list[EventEnvelope]:
    """Add events in the caller's transaction, chained one after another, in one statement
    for them all; the chain's head is read once, or not at all where this transaction, holding
    the engagement, has read it already to fold the state (a floor change is four events, and
    each statement costs the request half a millisecond or more)."""
    if HUB not in db.info:
        raise NoHub(
            "this session has no live hub, so its events would reach no page: take it from "
            "the runtime's sessions (Runtime.sessions), or log.offline(...) where no live "
            "connection follows the log from this process"
        )
    if not bodies:
        return []
    await hold(db, engagement_id)
    held = _held(db)
    assert held is not None  # noqa: S101 - hold just took it
    head = held[engagement_id]
    if head is None:
        last = (
            await db.execute(
                select(LiveEvent.seq, LiveEvent.hash)
                .where(LiveEvent.engagement_id == engagement_id)
                .order_by(LiveEvent.seq.desc())
                .limit(1)
            )
        ).first()
        head = (last.seq, last.hash) if last else (0, GENESIS)
    seq, prev = head
    envelopes = []
    rows: list[dict[str, Any]] = []
    for body in bodies:
        seq += 1
        at = utcnow()
        data = body.model_dump(mode="json")
        link = chain_hash(prev, engagement_id, seq, at.isoformat(), data)
        rows.append(
            {
                "engagement_id": engagement_id,
                "seq": seq,
                "kind": body.kind,
                "payload": data,
                "at": at,
                "prev_hash": prev,
                "hash": link,
            }
        )
        prev = link
        envelopes.append(EventEnvelope(engagement_id=engagement_id, seq=seq, at=at, event=body))
    await db.flush()  # what the transaction made before is written before its events
    await db.execute(insert(LiveEvent), rows)  # one statement for them all
    held[engagement_id] = (seq, prev)
    db.info.setdefault(PENDING, []).extend(envelopes)
    return envelopes


def envelope_of(row: LiveEvent) -> EventEnvelope:
    return EventEnvelope(
        engagement_id=row.engagement_id,
        seq=row.seq,
        at=row.at,
        event=parse_event(row.payload),
    )


async def events_after(
    db: AsyncSession, engagement_id: int, after: int = 0, limit: int = 10_000
) -> list[EventEnvelope]:
    """The events of an engagement with a sequence number above ``after``, in order."""
    rows = await db.scalars(
        select(LiveEvent)
        .where(LiveEvent.engagement_id == engagement_id, LiveEvent.seq > after)
        .order_by(LiveEvent.seq)
        .limit(limit)
    )
    return [envelope_of(row) for row in rows]


async def events_of(
    db: AsyncSession, engagement_id: int, kinds: tuple[str, ...]
) -> list[EventEnvelope]:
    """The engagement's events of these kinds, in order: what one capability recounts from
    the log (a written vote's ballots) without reading every other event."""
    rows = await db.scalars(
        select(LiveEvent)
        .where(LiveEvent.engagement_id == engagement_id, LiveEvent.kind.in_(kinds))
        .order_by(LiveEvent.seq)
    )
    return [envelope_of(row) for row in rows]


async def latest_events_of(
    db: AsyncSession, engagement_id: int, kinds: tuple[str, ...], limit: int
) -> list[EventEnvelope]:
    """The engagement's newest events of these kinds, newest first, at most ``limit``."""
    rows = await db.scalars(
        select(LiveEvent)
        .where(LiveEvent.engagement_id == engagement_id, LiveEvent.kind.in_(kinds))
        .order_by(LiveEvent.seq.desc())
        .limit(limit)
    )
    return [envelope_of(row) for row in rows]


async def events_following(
    db: AsyncSession, engagement_id: int, seq: int, link: str
) -> tuple[list[EventEnvelope], str] | None:
    """The events after ``seq`` and the hash of the last of them (``link`` if none), provided
    the log's event ``seq`` has the hash ``link`` (``seq`` 0: the genesis): whatever was
    folded up to that event may then be folded on with these. ``None``: the log under these
    numbers is not the one that was folded (a database restored, a transaction rolled back)."""
    rows = list(
        await db.scalars(
            select(LiveEvent)
            .where(LiveEvent.engagement_id == engagement_id, LiveEvent.seq >= seq)
            .order_by(LiveEvent.seq)
        )
    )
    if seq > 0:
        if not rows or rows[0].seq != seq or rows[0].hash != link:
            return None
        rows = rows[1:]
    elif link != GENESIS:
        return None
    head = (rows[-1].seq, rows[-1].hash) if rows else (seq, link)
    held = _held(db)
    if held is not None and engagement_id in held:
        held[engagement_id] = head
    return [envelope_of(row) for row in rows], head[1]


async def last_seq(db: AsyncSession, engagement_id: int) -> int:
    value = await db.scalar(
        select(func.max(LiveEvent.seq)).where(LiveEvent.engagement_id == engagement_id)
    )
    return int(value or 0)


async def verify_chain(db: AsyncSession, engagement_id: int) -> int | None:
    """The first sequence number whose hash does not hold, or ``None`` if the chain is whole."""
    from summitry.log.audit import audit  # the audit builds on this module

    return (await audit(db, engagement_id)).seq


async def engagements_with(db: AsyncSession, kind: str, after_id: int = 0) -> list[int]:
    """The engagements whose log holds at least one event of ``kind`` (stored after the event
    numbered ``after_id`` in the whole table, see ``newest_event_id``): where background work
    that follows the log (the floor clock, the telephone) picks up after a restart, and what
    it missed since it last looked."""
    ids = await db.scalars(
        select(LiveEvent.engagement_id)
        .where(LiveEvent.kind == kind, LiveEvent.id > after_id)
        .distinct()
    )
    return list(ids)


async def newest_event_id(db: AsyncSession) -> int:
    """The number of the newest event stored, across engagements (0 for an empty log)."""
    return int(await db.scalar(select(func.max(LiveEvent.id))) or 0)
