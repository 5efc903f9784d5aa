"""The runtime: every session it makes publishes what it commits, and only what it commits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from summitry import log
from summitry.engagements.models import Engagement
from summitry.meeting.events import RoomLocked


async def test_every_session_of_the_runtime_publishes_its_commits(
    app: Any, make_engagement: Callable[..., Awaitable[Engagement]]
) -> None:
    """Background work opens sessions without saying where events go: they still arrive."""
    engagement = await make_engagement()
    runtime = app.state.runtime
    heard = runtime.hub.subscribe(engagement.id)
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
    assert published is not None
    assert published.event == RoomLocked(locked=True, by="test")
