"""After Janus restarts, the media side rebuilds the rooms and reports them; the meeting
records ``media_restored`` (``live.media_events``), and the media side writes no log itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.engagements.models import Engagement, Role
from summitry.log.store import events_after, last_seq
from summitry.media.meetings import JanusMeetingMedia
from summitry.media.nodes import MediaNodes
from summitry.media.rooms import MeetingRooms
from summitry.meeting.events import MediaRestored
from summitry.meeting.media_events import MediaEvents
from tests.support.janus import JanusServer


async def test_rooms_rebuilt_after_a_janus_restart_are_reported_and_recorded(
    app: Any,
    janus: JanusServer,
    sessionmaker: async_sessionmaker[AsyncSession],
    db: AsyncSession,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]],
    secretariat: httpx.AsyncClient,
) -> None:
    await janus.start()
    rooms = MeetingRooms(janus.url, admin_key=janus.room_admin_key)
    reported: list[list[int]] = []
    events = MediaEvents(sessionmaker)

    async def report(engagement_ids: list[int]) -> None:
        reported.append(engagement_ids)
        await events.media_restored(engagement_ids)

    media = app.state.runtime.media = JanusMeetingMedia(MediaNodes.one(rooms, janus.url), report)
    try:
        engagement = await make_engagement()
        live = f"/api/v1/engagements/{engagement.id}/live"
        guest, attendee, _ = await make_invitee(engagement, Role.DELEGATE, "CN")
        await secretariat.post(f"{live}/enter")
        assert (await guest.post(f"{live}/enter")).status_code == 200
        admitted = await secretariat.post(f"{live}/participants/{attendee.id}/admit")
        assert admitted.status_code == 200, admitted.text
        before = await last_seq(db, engagement.id)

        assert (
            await media.restore(sessionmaker, media.nodes.first) == 0
        )  # Janus lost nothing: nothing to say
        assert reported == []

        await janus.restart()
        assert await media.restore(sessionmaker, media.nodes.first) == 1
        assert reported == [[engagement.id]]
        recorded = [e.event for e in await events_after(db, engagement.id, before)]
        assert recorded == [MediaRestored()]
    finally:
        await rooms.close()
