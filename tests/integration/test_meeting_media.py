"""aiortc peers join through the product's own path: lobby, admission, the token Summitry gives.

What a user would notice: an admitted person is seen and heard; one never admitted, or put
out, gets nothing from Janus even with the room's number; the secretariat's mute is silence.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from summitry.engagements.models import Engagement, Role
from summitry.media.janus import JanusClient, JanusError
from summitry.media.meetings import JanusMeetingMedia
from summitry.media.nodes import MediaNodes
from summitry.media.rooms import MeetingRooms
from tests.support.janus import JanusServer
from tests.support.peers import Publisher, Subscriber

TONE = 660.0


@pytest.fixture
async def media_app(app: Any, janus: JanusServer) -> AsyncIterator[Any]:
    """The test app, with Summitry's media adapter on the test run's Janus."""
    await janus.start()
    rooms = MeetingRooms(janus.url, admin_key=janus.room_admin_key)
    app.state.runtime.media = JanusMeetingMedia(MediaNodes.one(rooms, janus.url))
    yield app
    await rooms.close()


async def admitted_access(
    secretariat: httpx.AsyncClient,
    guest: httpx.AsyncClient,
    engagement_id: int,
    attendee_id: int,
) -> dict[str, Any]:
    live = f"/api/v1/engagements/{engagement_id}/live"
    assert (await guest.post(f"{live}/enter")).status_code == 200
    admitted = await secretariat.post(f"{live}/participants/{attendee_id}/admit")
    assert admitted.status_code == 200, admitted.text
    access = await guest.get(f"{live}/media")
    assert access.status_code == 200, access.text
    body: dict[str, Any] = access.json()
    return body


async def test_admitted_people_see_and_hear_each_other_and_nobody_else_gets_in(
    media_app: Any,
    janus_client: JanusClient,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]],
) -> None:
    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    speaker_client, speaker, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "DE")
    viewer_client, viewer, _ = await make_invitee(engagement, Role.DELEGATE, "CN")
    outsider_client, _, _ = await make_invitee(engagement, Role.DELEGATE, "CN")
    await secretariat.post(f"{live}/enter")

    speaking = await admitted_access(secretariat, speaker_client, engagement.id, speaker.id)
    watching = await admitted_access(secretariat, viewer_client, engagement.id, viewer.id)
    assert speaking["room_id"] == watching["room_id"]
    assert speaking["token"] != watching["token"]

    # The one still in the lobby gets no media access from Summitry ...
    await outsider_client.post(f"{live}/enter")
    assert (await outsider_client.get(f"{live}/media")).status_code == 403

    publisher = Publisher(
        janus_client, speaking["room_id"], token=speaking["token"], sender_id=7, frequency=TONE
    )
    subscriber = Subscriber(janus_client, watching["room_id"], token=watching["token"])
    try:
        assert await publisher.join(speaking["feed_id"]) == speaking["feed_id"]
        await publisher.publish()
        await subscriber.join([speaking["feed_id"]])
        await subscriber.wait_frames(7, 30, within=15)
        counters = subscriber.counters(7)
        assert counters == sorted(counters)
        await asyncio.sleep(1.0)
        assert subscriber.tone_level_db(TONE, speaking["feed_id"]) > 30

        # ... and Janus itself refuses whoever talks to it with the room's number only.
        for guess in (None, "guessed-token-000000000000000000000000"):
            intruder = Publisher(janus_client, speaking["room_id"], token=guess, sender_id=9)
            with pytest.raises(JanusError):
                await intruder.join()
            await intruder.close()

        # The secretariat's mute is silence at Janus: the tone stops arriving.
        muted = await secretariat.post(
            f"{live}/participants/{speaker.id}/microphone", json={"muted": True}
        )
        assert muted.status_code == 200, muted.text
        await asyncio.sleep(0.6)
        since = time.monotonic()
        await asyncio.sleep(1.5)
        assert subscriber.tone_level_db(TONE, speaking["feed_id"], since) < 10
        await secretariat.post(
            f"{live}/participants/{speaker.id}/microphone", json={"muted": False}
        )
        await asyncio.sleep(0.6)
        since = time.monotonic()
        await asyncio.sleep(1.5)
        assert subscriber.tone_level_db(TONE, speaking["feed_id"], since) > 30

        # Put out by the secretariat: the pictures stop and the old token opens nothing.
        removed = await secretariat.post(f"{live}/participants/{speaker.id}/remove")
        assert removed.status_code == 200
        await asyncio.sleep(1.0)
        since = time.monotonic()
        await asyncio.sleep(1.5)
        assert subscriber.frame_count(7, since) == 0
        again = Publisher(janus_client, speaking["room_id"], token=speaking["token"], sender_id=8)
        with pytest.raises(JanusError):
            await again.join()
        await again.close()
        assert (await speaker_client.get(f"{live}/media")).status_code == 403
    finally:
        await subscriber.close()
        await publisher.close()


async def test_only_the_person_with_the_floor_is_heard(
    media_app: Any,
    janus_client: JanusClient,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]],
) -> None:
    engagement = await make_engagement(("CN", "DE", "ZA", "EUCO"), agenda=["General debate"])
    api = f"/api/v1/engagements/{engagement.id}"
    await secretariat.post(f"{api}/live/enter")
    people = {}
    for code, tone in (("DE", 440.0), ("ZA", 880.0), ("CN", None)):
        client, attendee, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, code)
        access = await admitted_access(secretariat, client, engagement.id, attendee.id)
        people[code] = (client, attendee.id, access, tone)
    publishers = []
    listener = Subscriber(janus_client, people["CN"][2]["room_id"], token=people["CN"][2]["token"])
    try:
        for sender, code in enumerate(("DE", "ZA"), start=1):
            client, _, access, tone = people[code]
            publisher = Publisher(
                janus_client,
                access["room_id"],
                token=access["token"],
                sender_id=sender,
                frequency=tone or 0,
            )
            await publisher.join(access["feed_id"])
            await publisher.publish()
            publishers.append(publisher)
            # Both open their microphones before the item: both are heard.
            assert (
                await client.post(f"{api}/live/microphone", json={"muted": False})
            ).status_code == 200
        feeds = {code: people[code][2]["feed_id"] for code in ("DE", "ZA")}
        await listener.join(list(feeds.values()))

        async def heard(code: str, tone: float) -> float:
            await asyncio.sleep(0.8)  # let the change reach the media
            since = time.monotonic()
            await asyncio.sleep(1.5)
            return listener.tone_level_db(tone, feeds[code], since)

        assert await heard("DE", 440.0) > 30
        assert await heard("ZA", 880.0) > 30

        # The item opens: nobody has the floor, so nobody is heard (Janus mutes them).
        assert (await secretariat.post(f"{api}/floor/items/0/open", json={})).status_code == 200
        assert await heard("DE", 440.0) < 10
        assert await heard("ZA", 880.0) < 10

        for code in ("DE", "ZA"):
            assert (await people[code][0].post(f"{api}/floor/requests", json={})).status_code == 200
        await secretariat.post(f"{api}/floor/give", json={})
        assert await heard("DE", 440.0) > 30
        assert await heard("ZA", 880.0) < 10

        await secretariat.post(f"{api}/floor/give", json={})
        assert await heard("ZA", 880.0) > 30
        assert await heard("DE", 440.0) < 10
    finally:
        await listener.close()
        for publisher in publishers:
            await publisher.close()
