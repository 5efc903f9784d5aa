"""The meeting's state kept folded between requests: folded on with what follows, and never
onto a log that is not the one it was folded from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry import log
from summitry.engagements.models import Engagement
from summitry.meeting.events import MeetingEnded, RoomLocked
from summitry.meeting.folding import folded_state


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
