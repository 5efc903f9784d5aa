"""Access that ends, ends everywhere: proven against the real Janus with aiortc peers.

A media token admits only the participant id it was granted for (the watcher puts anyone else
out and the log says so); a removal reaches the VideoRoom, the interpreter's seat and the
channel's mountpoint; and only the interpreter on the air is heard on a channel, whatever an
off-air partner sends to Janus.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.engagements.models import Engagement, Role
from summitry.interpretation.routing import ChannelRouter
from summitry.log.hub import LiveHub
from summitry.media.channels import LanguageChannels
from summitry.media.janus import JanusClient, JanusError, JanusEvent
from summitry.media.meetings import JanusMeetingMedia
from summitry.media.nodes import MediaNodes
from summitry.media.rooms import MeetingRooms, moderator_token, probe_ids
from summitry.media.watch import ParticipantWatch
from summitry.meeting.media_port import RecordedReports
from tests.support.channels import BoothMicrophone, ChannelEar
from tests.support.janus import JanusServer
from tests.support.peers import Publisher, Subscriber

Invite = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]
ON_AIR_TONE = 1000.0
OFF_AIR_TONE = 1500.0


@dataclass
class Media:
    app: Any
    rooms: MeetingRooms
    media: JanusMeetingMedia
    router: ChannelRouter


@pytest.fixture
async def media(
    app: Any, janus: JanusServer, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Media]:
    """The app on the test run's Janus, with its language channels.

    The router is given a hub of its own, so it follows nothing by itself: the test opens the
    channels when it is not using the database (the test's one connection is not shared).
    """
    await janus.start()
    rooms = MeetingRooms(janus.url, admin_key=janus.room_admin_key)
    meeting_media = JanusMeetingMedia(MediaNodes.one(rooms, janus.url))
    router = ChannelRouter(LanguageChannels(meeting_media.nodes), sessionmaker, LiveHub())
    app.state.runtime.media = meeting_media
    app.state.runtime.channels = router
    yield Media(app, rooms, meeting_media, router)
    await rooms.close()


async def _admitted(
    secretariat: httpx.AsyncClient, guest: httpx.AsyncClient, live: str, attendee_id: int
) -> dict[str, Any]:
    assert (await guest.post(f"{live}/enter")).status_code == 200
    admitted = await secretariat.post(f"{live}/participants/{attendee_id}/admit")
    assert admitted.status_code == 200, admitted.text
    access = await guest.get(f"{live}/media")
    assert access.status_code == 200, access.text
    body: dict[str, Any] = access.json()
    return body


def _kicked(event: JanusEvent) -> bool:
    return event.kind == "event" and event.data.get("reason") == "kicked"


async def test_a_token_used_under_another_id_is_put_out_within_a_second_and_recorded(
    media: Media,
    janus_client: JanusClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    speaker_client, speaker, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "DE")
    guest_client, guest, _ = await make_invitee(engagement, Role.DELEGATE, "CN")
    assert (await secretariat.post(f"{live}/enter")).status_code == 200
    speaking = await _admitted(secretariat, speaker_client, live, speaker.id)
    mine = await _admitted(secretariat, guest_client, live, guest.id)

    publisher = Publisher(janus_client, speaking["room_id"], token=speaking["token"], sender_id=3)
    honest = Subscriber(janus_client, mine["room_id"], token=mine["token"])
    # The guest's token, a second time, under a participant id nobody was given.
    intruder = Subscriber(janus_client, mine["room_id"], token=mine["token"])
    watch = ParticipantWatch(media.media.nodes, sessionmaker, RecordedReports(sessionmaker))
    watching: asyncio.Task[None] | None = None
    late: list[Publisher] = []
    try:
        await publisher.join(speaking["feed_id"])
        await publisher.publish()
        await honest.enter(mine["feed_id"], "Guest")
        await honest.subscribe([speaking["feed_id"]])
        await intruder.enter(display="Second screen")
        await intruder.subscribe([speaking["feed_id"]])
        await intruder.wait_frames(3, 10, within=15)

        # From here until the watch stops, only Janus is talked to: the watch has the
        # test's database connection to itself.
        watching = asyncio.create_task(watch.run())
        since = time.monotonic()
        await intruder.wait_event(_kicked, within=3.0)
        took = time.monotonic() - since
        print(f"\nput out after {took * 1000:.0f} ms")
        assert took < 1.0
        await asyncio.sleep(1.0)
        quiet = time.monotonic()
        await asyncio.sleep(1.0)
        # Its subscription went with it; the people Summitry admitted stay.
        assert intruder.frame_count(3, quiet) == 0
        assert honest.frame_count(3, quiet) > 5
        present = {p.id for p in await media.rooms.participants(mine["room_id"])}
        assert {speaking["feed_id"], mine["feed_id"]} <= present
        assert intruder.participant_id not in present

        # Once more while the watch runs: from the join to the kick, under a second.
        second = Publisher(janus_client, mine["room_id"], token=mine["token"], sender_id=6)
        late.append(second)
        joined = await second.join()
        since = time.monotonic()
        await second.wait_event(_kicked, within=3.0)
        took = time.monotonic() - since
        print(f"joined while watched: put out after {took * 1000:.0f} ms")
        assert took < 1.0
    finally:
        watch.stop()
        if watching is not None:
            await watching
        for peer in (*late, intruder, honest, publisher):
            await peer.close()

    events = (await secretariat.get(f"{live}/events")).json()
    alarms = [e["event"] for e in events if e["event"]["kind"] == "unexpected_participant"]
    assert alarms == [
        {
            "kind": "unexpected_participant",
            "room": "videoroom",
            "participant_id": intruder.participant_id,
            "display": "Second screen",
        },
        {
            "kind": "unexpected_participant",
            "room": "videoroom",
            "participant_id": joined,
            "display": "peer 6",
        },
    ]
    state = (await secretariat.get(live)).json()["state"]
    assert [a["participant_id"] for a in state["alarms"]] == [intruder.participant_id, joined]


async def test_after_removal_the_token_opens_no_room_and_the_old_pin_no_channel(
    media: Media,
    janus_client: JanusClient,
    db: AsyncSession,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    interpretation = f"/api/v1/engagements/{engagement.id}/interpretation"
    speaker_client, speaker, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "DE")
    listener_client, listener, _ = await make_invitee(engagement, Role.DELEGATE, "CN")
    booth_client, interpreter, _ = await make_invitee(engagement, Role.INTERPRETER, "EUCO", "de")
    assert (await secretariat.post(f"{live}/enter")).status_code == 200
    speaking = await _admitted(secretariat, speaker_client, live, speaker.id)
    await _admitted(secretariat, listener_client, live, listener.id)
    await _admitted(secretariat, booth_client, live, interpreter.id)
    await media.router.open(db, engagement.id)
    booth = (await booth_client.get(f"{interpretation}/access")).json()["booth"]
    heard = (await listener_client.get(f"{interpretation}/access")).json()["channels"][0]

    publisher = Publisher(janus_client, speaking["room_id"], token=speaking["token"], sender_id=4)
    viewer = Subscriber(janus_client, speaking["room_id"], token=speaking["token"])
    microphone = BoothMicrophone(janus_client, ON_AIR_TONE)
    ear = ChannelEar(janus_client)
    late: list[Any] = []
    try:
        await publisher.join(speaking["feed_id"])
        await publisher.publish()
        await microphone.join(booth["room_id"], booth["token"], booth["participant_id"], muted=True)
        await ear.watch(heard["mountpoint"], heard["pin"])

        # The speaker, the interpreter and the listener are put out.
        for who in (speaker, interpreter, listener):
            removed = await secretariat.post(f"{live}/participants/{who.id}/remove")
            assert removed.status_code == 200, removed.text

        # The VideoRoom: the feed is gone, and the token is refused.
        await publisher.wait_event(_kicked, within=2.0)
        again = Publisher(janus_client, speaking["room_id"], token=speaking["token"], sender_id=5)
        late.append(again)
        with pytest.raises(JanusError):
            await again.join()  # under any id
        # The interpreter's seat is gone with them, and the channel never took their token.
        bridge = await media.rooms.attach("janus.plugin.audiobridge")
        seat_left = await bridge.request({"request": "exists", "room": booth["room_id"]})
        assert seat_left["exists"] is False
        for room_id in (booth["room_id"], heard["mountpoint"]):
            seat = BoothMicrophone(janus_client, OFF_AIR_TONE)
            late.append(seat)
            with pytest.raises(JanusError):
                await seat.join(room_id, booth["token"], booth["participant_id"] + 1, muted=False)
        # The mountpoint: every viewer was put out, and the PIN the removed knew opens nothing.
        stale = ChannelEar(janus_client)
        late.append(stale)
        with pytest.raises(JanusError):
            await stale.watch(heard["mountpoint"], heard["pin"])
        # Those still in the meeting are given the new PIN and come back with it.
        fresh = (await secretariat.get(f"{interpretation}/access")).json()["channels"][0]
        assert fresh["pin"] != heard["pin"]
        back = ChannelEar(janus_client)
        late.append(back)
        await back.watch(fresh["mountpoint"], fresh["pin"])

        # Ending the meeting destroys every room of it.
        await media.media.close(db, engagement.id)
        assert not await media.rooms.room_exists(speaking["room_id"])
        gone = ChannelEar(janus_client)
        late.append(gone)
        with pytest.raises(JanusError):
            await gone.watch(fresh["mountpoint"], fresh["pin"])
    finally:
        for peer in (*late, ear, microphone, viewer, publisher):
            await peer.close()
        await media.media.close(db, engagement.id)


async def test_only_the_interpreter_on_the_air_is_heard_whatever_the_partner_sends(
    media: Media,
    janus_client: JanusClient,
    db: AsyncSession,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    interpretation = f"/api/v1/engagements/{engagement.id}/interpretation"
    listener_client, listener, _ = await make_invitee(engagement, Role.DELEGATE, "CN")
    first_client, first, _ = await make_invitee(engagement, Role.INTERPRETER, "EUCO", "de")
    partner_client, partner, _ = await make_invitee(engagement, Role.INTERPRETER, "EUCO", "de")
    assert (await secretariat.post(f"{live}/enter")).status_code == 200
    for client, who in ((listener_client, listener), (first_client, first)):
        await _admitted(secretariat, client, live, who.id)
    await _admitted(secretariat, partner_client, live, partner.id)
    await media.router.open(db, engagement.id)
    on_booth = (await first_client.get(f"{interpretation}/access")).json()["booth"]
    off_booth = (await partner_client.get(f"{interpretation}/access")).json()["booth"]
    heard = (await listener_client.get(f"{interpretation}/access")).json()["channels"][0]

    on_air = BoothMicrophone(janus_client, ON_AIR_TONE)
    off_air = BoothMicrophone(janus_client, OFF_AIR_TONE)
    ear = ChannelEar(janus_client)
    try:
        await on_air.join(
            on_booth["room_id"], on_booth["token"], on_booth["participant_id"], muted=True
        )
        await off_air.join(
            off_booth["room_id"], off_booth["token"], off_booth["participant_id"], muted=True
        )
        went = await first_client.post(f"{interpretation}/on-air", json={"on_air": True})
        assert went.status_code == 200, went.text
        await ear.watch(heard["mountpoint"], heard["pin"])
        # The partner opens their own microphone in Janus, as any page could.
        await off_air.unmute_self()
        await asyncio.sleep(1.0)
        since = time.monotonic()
        await asyncio.sleep(2.0)
        spoken, leaked = ear.level(ON_AIR_TONE, since), ear.level(OFF_AIR_TONE, since)
        print(f"\non the air {spoken:.1f} dBFS, the partner {leaked:.1f} dBFS")
        assert spoken > -20
        assert leaked < spoken - 50
    finally:
        for peer in (ear, off_air, on_air):
            await peer.close()
        await media.media.close(db, engagement.id)


async def test_listeners_keep_listening_when_someone_is_admitted(
    media: Media,
    janus_client: JanusClient,
    db: AsyncSession,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    interpretation = f"/api/v1/engagements/{engagement.id}/interpretation"
    listener_client, listener, _ = await make_invitee(engagement, Role.DELEGATE, "CN")
    first_client, first, _ = await make_invitee(engagement, Role.INTERPRETER, "EUCO", "de")
    partner_client, partner, _ = await make_invitee(engagement, Role.INTERPRETER, "EUCO", "de")
    assert (await secretariat.post(f"{live}/enter")).status_code == 200
    for client, who in ((listener_client, listener), (first_client, first)):
        await _admitted(secretariat, client, live, who.id)
    await media.router.open(db, engagement.id)
    booth = (await first_client.get(f"{interpretation}/access")).json()["booth"]
    heard = (await listener_client.get(f"{interpretation}/access")).json()["channels"][0]
    microphone = BoothMicrophone(janus_client, ON_AIR_TONE)
    ear = ChannelEar(janus_client)
    try:
        await microphone.join(booth["room_id"], booth["token"], booth["participant_id"], muted=True)
        went = await first_client.post(f"{interpretation}/on-air", json={"on_air": True})
        assert went.status_code == 200, went.text
        await ear.watch(heard["mountpoint"], heard["pin"])
        # The partner arrives: the PIN changes for those who come later, nobody is put out.
        await _admitted(secretariat, partner_client, live, partner.id)
        await media.router.open(db, engagement.id)
        await asyncio.sleep(0.5)
        since = time.monotonic()
        await asyncio.sleep(1.5)
        assert ear.level(ON_AIR_TONE, since) > -20
    finally:
        for peer in (ear, microphone):
            await peer.close()
        await media.media.close(db, engagement.id)


async def test_a_short_join_of_any_replica_is_spared_and_a_guessed_id_is_not(
    media: Media,
    janus_client: JanusClient,
    db: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    guest_client, guest, _ = await make_invitee(engagement, Role.DELEGATE, "CN")
    assert (await secretariat.post(f"{live}/enter")).status_code == 200
    mine = await _admitted(secretariat, guest_client, live, guest.id)
    room, _node = await media.media.nodes.placed(db, engagement.id)
    own = moderator_token(room.secret)
    # Another replica reading the publishers (it knows the room's secret, as every replica
    # does), and someone holding the server's token under an id of their own choosing.
    probe = Publisher(janus_client, mine["room_id"], token=own, sender_id=7)
    guessed = Publisher(janus_client, mine["room_id"], token=own, sender_id=8)
    watch = ParticipantWatch(media.media.nodes, sessionmaker, RecordedReports(sessionmaker))
    try:
        await probe.join(sorted(probe_ids(room.secret))[5])
        await guessed.join()
        strangers = await watch.sweep()
        assert [s.participant_id for s in strangers] == [guessed.participant_id]
        present = {p.id for p in await media.rooms.participants(mine["room_id"])}
        assert probe.participant_id in present
        assert guessed.participant_id not in present
    finally:
        for peer in (probe, guessed):
            await peer.close()
