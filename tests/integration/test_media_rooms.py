"""Meeting rooms on a real Janus in the test namespace, with aiortc peers whose media is checked.

Each peer sends frames that carry its sender id and a counter, and a tone; a viewer decodes
them, so "admitted" means frames from that sender arrive in order and the tone is heard, and
"refused" means Janus itself said no. The media tests run one after another, a few seconds each.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import numpy as np
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.engagements.models import Engagement
from summitry.errors import MediaUnavailable
from summitry.media.janus import JanusClient, JanusError, connect
from summitry.media.rooms import (
    MeetingRooms,
    RoomSpec,
    media_room_for,
    moderator_token,
    new_join_token,
    new_room_id,
    new_room_secret,
    spec_of,
)
from tests.support.janus import JanusServer
from tests.support.peers import Publisher, Subscriber, decode_luma, encode_luma, tone_level_db
from tests.support.postgres import free_port

TONE = 440.0
OTHER_TONE = 1250.0
UNAUTHORIZED = 433  # VideoRoom: "Unauthorized (not in the allowed list)", "... valid private_id"
AUDIBLE_DB = 30.0


def new_feed_id() -> int:
    return new_room_id()  # the same 53-bit space: Summitry chooses feed numbers itself


class Peers:
    """Makes test peers on one client connection and closes them all at the end."""

    def __init__(self, client: JanusClient, room: RoomSpec) -> None:
        self.client = client
        self.room = room
        self._made: list[Publisher | Subscriber] = []

    def publisher(self, token: str | None, sender_id: int, frequency: float = TONE) -> Publisher:
        peer = Publisher(
            self.client, self.room.room_id, token=token, sender_id=sender_id, frequency=frequency
        )
        self._made.append(peer)
        return peer

    def subscriber(self, token: str | None) -> Subscriber:
        peer = Subscriber(self.client, self.room.room_id, token=token)
        self._made.append(peer)
        return peer

    async def publishing(self, token: str, sender_id: int, frequency: float = TONE) -> Publisher:
        peer = self.publisher(token, sender_id, frequency)
        await peer.join(new_feed_id())
        await peer.publish()
        return peer

    async def close(self) -> None:
        for peer in reversed(self._made):
            await peer.close()


@pytest.fixture
async def room(meeting_rooms: MeetingRooms) -> AsyncIterator[RoomSpec]:
    """A room with four admitted people's tokens."""
    spec = RoomSpec(
        new_room_id(),
        new_room_secret(),
        "Leaders' video meeting",
        tuple(new_join_token() for _ in range(4)),
    )
    await meeting_rooms.create_room(spec.room_id, spec.secret, spec.description, list(spec.allowed))
    yield spec
    await meeting_rooms.destroy_room(spec.room_id, spec.secret)


@pytest.fixture
async def peers(janus_client: JanusClient, room: RoomSpec) -> AsyncIterator[Peers]:
    made = Peers(janus_client, room)
    yield made
    await made.close()


def assert_in_order(counters: list[int]) -> None:
    """Frame counters rise (a few decoding hiccups are tolerated)."""
    steps = list(itertools.pairwise(counters))
    rising = sum(1 for a, b in steps if b > a)
    assert rising >= 0.95 * len(steps), f"counters out of order: {counters[:60]}"


async def heard_since(viewer: Subscriber, feed: int, seconds: float) -> float:
    """Listen for ``seconds`` (skipping the first 0.3 s in flight), then the tone's level."""
    start = time.monotonic() + 0.3
    await asyncio.sleep(seconds + 0.3)
    return viewer.tone_level_db(TONE, feed, since=start)


# --- no media ----------------------------------------------------------------------------------


def test_frame_marks_survive_noise_and_reject_damage() -> None:
    luma = encode_luma(sender_id=201, counter=123456).astype(np.int16)
    noisy = np.clip(luma + np.random.default_rng(1).normal(0, 25, luma.shape), 0, 255)
    assert decode_luma(noisy.astype(np.uint8)) == (201, 123456)
    damaged = luma.copy()
    damaged[32:48, 0:160] = 255 - damaged[32:48, 0:160]
    assert decode_luma(damaged.astype(np.uint8)) is None


def test_tone_level_finds_the_tone_and_not_others() -> None:
    t = np.arange(48000) / 48000
    tone = 0.3 * np.sin(2 * np.pi * TONE * t) + np.random.default_rng(2).normal(0, 1e-4, t.size)
    assert tone_level_db(tone, TONE) > 60
    assert tone_level_db(tone, OTHER_TONE) < 20
    assert tone_level_db(np.zeros(100), TONE) == float("-inf")


async def test_media_room_record_is_made_once_per_engagement(
    db: AsyncSession, make_engagement: Callable[..., Awaitable[Engagement]]
) -> None:
    engagement = await make_engagement()
    first = await media_room_for(db, engagement.id)
    again = await media_room_for(db, engagement.id)
    await db.commit()
    assert again is first
    assert 0 < first.janus_room_id < 2**53
    assert len(first.secret) >= 40
    assert first.secret not in repr(first)
    other = await media_room_for(db, (await make_engagement()).id)
    assert other.janus_room_id != first.janus_room_id
    spec = spec_of(first, "Call", ["t1"])
    assert (spec.room_id, spec.allowed) == (first.janus_room_id, ("t1",))
    assert first.secret not in repr(spec)


# --- rooms without media -----------------------------------------------------------------------


async def test_room_lifecycle_and_refusals(
    janus: JanusServer, meeting_rooms: MeetingRooms, room: RoomSpec
) -> None:
    info = await meeting_rooms.info()
    assert info["version_string"] == "1.1.2"
    assert set(info["plugins"]) == {
        "janus.plugin.videoroom",
        "janus.plugin.audiobridge",
        "janus.plugin.streaming",
    }
    assert set(info["transports"]) == {"janus.transport.websockets"}

    assert await meeting_rooms.room_exists(room.room_id)
    assert not await meeting_rooms.ensure_room(room)  # already there
    with pytest.raises(MediaUnavailable, match=r"427"):
        await meeting_rooms.create_room(room.room_id, room.secret, "again", [])

    extra = new_join_token()
    allowed = await meeting_rooms.set_allowed(room.room_id, room.secret, [extra], "add")
    assert set(allowed) == {*room.allowed, extra}  # the server's own token is not shown
    allowed = await meeting_rooms.set_allowed(room.room_id, room.secret, [extra], "remove")
    assert set(allowed) == set(room.allowed)
    with pytest.raises(MediaUnavailable, match=r"wrong secret"):
        await meeting_rooms.set_allowed(room.room_id, "not-the-secret", [extra], "add")

    assert await meeting_rooms.participants(room.room_id) == []
    assert not await meeting_rooms.kick(room.room_id, room.secret, 12345)
    assert not await meeting_rooms.mute(room.room_id, room.secret, 12345, True)

    # Without the plugin's admin key nobody (a browser, say) can create rooms.
    outsider = MeetingRooms(janus.url)
    try:
        with pytest.raises(MediaUnavailable, match=r"admin_key"):
            await outsider.create_room(new_room_id(), new_room_secret(), "mine", [])
    finally:
        await outsider.close()

    await meeting_rooms.destroy_room(room.room_id, room.secret)
    assert not await meeting_rooms.room_exists(room.room_id)
    await meeting_rooms.destroy_room(room.room_id, room.secret)  # gone already: fine
    assert await meeting_rooms.participants(room.room_id) == []


async def test_unreachable_janus_is_media_unavailable() -> None:
    rooms = MeetingRooms(f"ws://127.0.0.1:{free_port()}", request_timeout=1.0)
    with pytest.raises(MediaUnavailable, match="does not answer") as raised:
        await rooms.room_exists(1)
    assert raised.value.status == 503
    assert raised.value.code == "media_unavailable"


# --- media -------------------------------------------------------------------------------------


async def test_admitted_viewer_receives_the_publishers_frames_and_tone(
    meeting_rooms: MeetingRooms, room: RoomSpec, peers: Peers
) -> None:
    publisher = await peers.publishing(room.allowed[0], sender_id=7)
    feed = publisher.participant_id
    assert feed is not None
    viewer = peers.subscriber(room.allowed[1])
    await viewer.join([feed])

    await viewer.wait_frames(7, 45, within=10)
    counters = viewer.counters(7)
    assert_in_order(counters)
    assert viewer.corrupted <= 0.05 * (len(counters) + viewer.corrupted)
    assert set(viewer.frames) == {7}

    level = await heard_since(viewer, feed, 1.0)
    assert level >= AUDIBLE_DB, f"tone {level:.1f} dB over the noise floor"
    assert viewer.tone_level_db(OTHER_TONE, feed) < level - AUDIBLE_DB

    listed = {p.id: p for p in await meeting_rooms.participants(room.room_id)}
    assert listed[feed].publisher
    assert listed[feed].display == publisher.display
    assert viewer.participant_id in listed
    assert not listed[viewer.participant_id].publisher


@pytest.mark.parametrize("token", [None, "a-guessed-token"], ids=["no-token", "wrong-token"])
async def test_janus_refuses_whoever_was_not_admitted(
    room: RoomSpec, peers: Peers, token: str | None
) -> None:
    publisher = await peers.publishing(room.allowed[0], sender_id=3)
    feed = publisher.participant_id
    assert feed is not None
    assert publisher.private_id is not None

    intruder = peers.publisher(token, sender_id=66)
    with pytest.raises(JanusError) as refused:
        await intruder.join()
    assert refused.value.code == UNAUTHORIZED, refused.value

    watcher = peers.subscriber(token)
    with pytest.raises(JanusError) as refused:
        await watcher.join([feed])
    assert refused.value.code == UNAUTHORIZED, refused.value

    # Straight to a subscription, without entering: Janus wants a participant's private id.
    for private_id in (None, publisher.private_id ^ 0x5A5A5A5A):
        sneak = peers.subscriber(token)
        with pytest.raises(JanusError) as refused:
            await sneak.subscribe([feed], private_id=private_id)
        assert refused.value.code == UNAUTHORIZED, refused.value
    assert all(not p.frames for p in (watcher, sneak))


async def test_removed_person_is_put_out_and_cannot_return(
    meeting_rooms: MeetingRooms, room: RoomSpec, peers: Peers
) -> None:
    staying = await peers.publishing(room.allowed[0], sender_id=1)
    leaving = await peers.publishing(room.allowed[1], sender_id=2, frequency=OTHER_TONE)
    assert staying.participant_id is not None
    assert leaving.participant_id is not None
    viewer = peers.subscriber(room.allowed[2])
    await viewer.join([staying.participant_id, leaving.participant_id])
    # The person being removed also watches, through their own participant.
    their_view = peers.subscriber(room.allowed[1])
    await their_view.subscribe([staying.participant_id], private_id=leaving.private_id)
    await viewer.wait_frames(1, 15, within=10)
    await viewer.wait_frames(2, 15, within=10)
    await their_view.wait_frames(1, 15, within=10)

    allowed = await meeting_rooms.set_allowed(
        room.room_id, room.secret, [room.allowed[1]], "remove"
    )
    assert room.allowed[1] not in allowed
    assert await meeting_rooms.kick(room.room_id, room.secret, leaving.participant_id)
    kicked = await leaving.wait_event(lambda e: e.data.get("reason") == "kicked", within=5)
    assert kicked.data.get("leaving") == "ok"

    cut = time.monotonic() + 0.5
    await asyncio.sleep(1.5)
    assert viewer.frame_count(2, since=cut) == 0
    assert their_view.frame_count(1, since=cut) == 0  # they no longer see the meeting
    assert viewer.frame_count(1, since=cut) >= 15  # the others go on

    returning = peers.publisher(room.allowed[1], sender_id=2)
    with pytest.raises(JanusError) as refused:
        await returning.join(leaving.participant_id)
    assert refused.value.code == UNAUTHORIZED
    # Nor can the removed person keep watching through their old participant's private id.
    watching = peers.subscriber(room.allowed[1])
    with pytest.raises(JanusError) as refused:
        await watching.subscribe([staying.participant_id], private_id=leaving.private_id)
    assert refused.value.code == UNAUTHORIZED
    listed = {p.id for p in await meeting_rooms.participants(room.room_id)}
    assert leaving.participant_id not in listed


async def test_mute_silences_the_publisher_at_janus_and_unmute_restores_it(
    meeting_rooms: MeetingRooms, room: RoomSpec, peers: Peers
) -> None:
    publisher = await peers.publishing(room.allowed[0], sender_id=4)
    feed = publisher.participant_id
    assert feed is not None
    viewer = peers.subscriber(room.allowed[1])
    await viewer.join([feed])
    await viewer.wait_frames(4, 10, within=10)
    assert await heard_since(viewer, feed, 0.8) >= AUDIBLE_DB

    assert await meeting_rooms.mute(room.room_id, room.secret, feed, muted=True)
    start = time.monotonic() + 0.3
    muted_level = await heard_since(viewer, feed, 1.0)
    assert muted_level < 10, f"tone still {muted_level:.1f} dB over the floor while muted"
    assert viewer.frame_count(4, since=start) >= 15  # only the audio is muted

    assert await meeting_rooms.mute(room.room_id, room.secret, feed, muted=False)
    assert await heard_since(viewer, feed, 1.0) >= AUDIBLE_DB


async def test_rooms_come_back_after_janus_is_killed(
    janus: JanusServer, meeting_rooms: MeetingRooms, room: RoomSpec, peers: Peers
) -> None:
    before = await peers.publishing(room.allowed[0], sender_id=5)
    feed = before.participant_id
    assert feed is not None

    await janus.kill()
    async with asyncio.timeout(5):
        await meeting_rooms.wait_disconnected()  # how Summitry notices
    with pytest.raises(MediaUnavailable):
        await meeting_rooms.room_exists(room.room_id)

    await janus.start()
    assert not await meeting_rooms.room_exists(room.room_id)  # Janus keeps rooms in memory
    assert await meeting_rooms.recreate_room(room)
    assert not await meeting_rooms.recreate_room(room)

    client = await connect(janus.url)
    again = Peers(client, room)
    try:
        publisher = again.publisher(room.allowed[0], sender_id=5)
        assert await publisher.join(feed) == feed  # same room, same token, same feed number
        await publisher.publish()
        viewer = again.subscriber(room.allowed[1])
        await viewer.join([feed])
        await viewer.wait_frames(5, 15, within=10)
        assert await heard_since(viewer, feed, 0.8) >= AUDIBLE_DB

        intruder = again.publisher(secrets.token_urlsafe(24), sender_id=99)
        with pytest.raises(JanusError) as refused:
            await intruder.join()
        assert refused.value.code == UNAUTHORIZED  # the allowed list came back too
        moderator = again.publisher(moderator_token(room.secret), sender_id=98)
        await moderator.join()  # ... with the server's own token in it
    finally:
        await again.close()
        await client.close()
