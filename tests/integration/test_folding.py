"""The meeting's state kept folded between requests: folded on with what follows, and never
onto a log that is not the one it was folded from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from summitry import log
from summitry.db import intend_to_write
from summitry.engagements.models import Engagement
from summitry.meeting.events import MeetingEnded, RoomLocked
from summitry.meeting.folding import folded_state
from summitry.meeting.operations import meeting_state
from summitry.meeting.state import MeetingState


async def test_the_kept_state_folds_on_and_never_onto_another_log(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_engagement: Callable[..., Awaitable[Engagement]],
) -> None:
    engagement = await make_engagement()
    eid = engagement.id

    async def write(*events: RoomLocked | MeetingEnded, commit: bool = True) -> None:
        async with sessionmaker() as db:
            for body in events:
                await log.append(db, eid, body)
            if commit:
                await db.commit()

    await write(RoomLocked(locked=True, by="test"))
    async with sessionmaker() as db:
        state = await folded_state(db, eid)
    assert state.locked
    first = state.seq

    # What follows is folded on.
    await write(RoomLocked(locked=False, by="test"))
    async with sessionmaker() as db:
        state = await folded_state(db, eid)
    assert (state.seq, state.locked) == (first + 1, False)

    # A state folded in a transaction that was then rolled back (it saw its own event)...
    async with sessionmaker() as db:
        await log.append(db, eid, MeetingEnded(by="test"))
        assert (await folded_state(db, eid)).ended
        await db.rollback()
    # ...is not folded onto the event committed under the same number instead.
    await write(RoomLocked(locked=True, by="test"))
    async with sessionmaker() as db:
        state = await folded_state(db, eid)
    assert (state.seq, state.locked, state.ended) == (first + 2, True, False)

    # Each caller's state is its own: changing it changes nobody else's.
    state.locked = False
    floor = state.parts["floor"]
    assert floor.copy() is not floor
    async with sessionmaker() as db:
        assert (await folded_state(db, eid)).locked


async def test_a_change_checked_against_the_folded_state_reads_the_log_once_and_writes_once(
    connection: AsyncConnection,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_engagement: Callable[..., Awaitable[Engagement]],
) -> None:
    """The floor's every request: the state folded in the transaction that holds the
    engagement, then its events appended. The head the fold read is the head appended to."""
    eid = (await make_engagement()).id
    async with sessionmaker() as db:
        await log.append(db, eid, RoomLocked(locked=True, by="test"))
        await db.commit()
    first = (await _folded(sessionmaker, eid)).seq

    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(connection.sync_connection, "before_cursor_execute", seen)
    try:
        async with sessionmaker() as db:
            await intend_to_write(db)
            assert (await meeting_state(db, eid)).locked
            await log.append_all(
                db,
                eid,
                [RoomLocked(locked=False, by="a"), RoomLocked(locked=True, by="b")],
            )
            await log.append(db, eid, MeetingEnded(by="c"))  # the head it left is known too
            await db.commit()
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", seen)

    reads = [s for s in statements if "FROM live_event" in s]
    writes = [s for s in statements if s.startswith("INSERT INTO live_event")]
    assert len(reads) == 1, reads
    assert len(writes) == 2, writes  # one per append_all, whatever its number of events
    state = await _folded(sessionmaker, eid)
    assert (state.seq, state.ended) == (first + 3, True)
    async with sessionmaker() as db:
        assert await log.verify_chain(db, eid) is None
        assert [e.seq for e in await log.events_after(db, eid, first)] == [
            first + 1,
            first + 2,
            first + 3,
        ]


async def _folded(sessionmaker: async_sessionmaker[AsyncSession], eid: int) -> MeetingState:
    async with sessionmaker() as db:
        return await folded_state(db, eid)
