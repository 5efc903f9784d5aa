"""The runtime: every session it makes publishes what it commits, and only what it commits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker

from summitry import log
from summitry.engagements.models import Engagement
from summitry.log.store import NoHub
from summitry.meeting.events import RoomLocked


async def test_every_session_of_the_runtime_publishes_its_commits(
    app: Any, make_engagement: Callable[..., Awaitable[Engagement]]
) -> None:
    """Background work opens sessions without saying where events go: they still arrive."""
    engagement = await make_engagement()
    runtime = app.state.runtime
    heard = runtime.hub.inbox(engagement.id).events
    async with runtime.sessions() as db:
        await log.append(db, engagement.id, RoomLocked(locked=True, by="test"))
        await db.rollback()
    assert heard.empty(), "a rolled-back event must never be published"
    async with runtime.sessions() as db:
        appended = await log.append(db, engagement.id, RoomLocked(locked=True, by="test"))
        assert heard.empty(), "nothing is published before the commit"
        await db.commit()
    published = heard.get_nowait()
    assert published == appended
    assert published.event == RoomLocked(locked=True, by="test")


async def test_a_session_that_says_nothing_of_a_hub_cannot_append(
    connection: AsyncConnection, make_engagement: Callable[..., Awaitable[Engagement]]
) -> None:
    """A session made apart from the runtime would commit events no page hears: it fails at
    once, before anything is written, naming where sessions should come from."""
    engagement = await make_engagement()
    sessions = async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    async with sessions() as db:
        before = await log.last_seq(db, engagement.id)
        with pytest.raises(NoHub, match=r"Runtime\.sessions"):
            await log.append(db, engagement.id, RoomLocked(locked=True, by="test"))
        assert await log.last_seq(db, engagement.id) == before, "nothing was written"
    async with log.offline(sessions)() as db:  # said plainly: no live page follows it
        await log.append(db, engagement.id, RoomLocked(locked=True, by="test"))
