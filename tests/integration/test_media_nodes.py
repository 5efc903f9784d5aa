"""The placement policy of several Janus nodes, on both databases: room left, capacity,
nodes reserved for confidential engagements, moves off a node that stopped answering, and one
node for an engagement however many replicas place it at once.

These test the rule alone: which node answers is set by hand (no Janus is asked). That media
really moves, and pages follow, is tests/e2e/test_media_nodes.py's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from summitry.db import create_sessionmaker, intend_to_write
from summitry.engagements.models import Engagement, EngagementKind, Role
from summitry.engagements.operations import add_attendee, get_engagement
from summitry.errors import MediaUnavailable
from summitry.media.nodes import MediaNode, MediaNodes
from summitry.media.rooms import MeetingRooms, media_room_for
from summitry.meeting.models import MediaGrant

Make = Callable[..., Awaitable[Engagement]]


def nodes(*specs: tuple[str, int, bool]) -> MediaNodes:
    made = MediaNodes(
        [
            MediaNode(name, MeetingRooms(f"ws://127.0.0.1:1/{name}"), "", capacity, reserved)
            for name, capacity, reserved in specs
        ]
    )
    for node in made:
        node.answering()
    return made


async def go_live(
    db: AsyncSession, engagement: Engagement, make_person: Callable[..., Awaitable[object]]
) -> None:
    """Someone is admitted: the engagement counts against its node's capacity."""
    person = await make_person(engagement.delegations[0].delegation.code)
    attendee = await add_attendee(
        db, await get_engagement(db, engagement.id), person, Role.DELEGATE, by="Test"
    )
    db.add(
        MediaGrant(
            engagement_id=engagement.id,
            attendee_id=attendee.id,
            token=secrets.token_urlsafe(24),
            feed_id=1 + secrets.randbelow(2**52),
        )
    )
    await db.flush()


async def test_engagements_go_where_most_room_is_left_and_stop_at_capacity(
    db: AsyncSession, make_engagement: Make, make_person: Callable[..., Awaitable[object]]
) -> None:
    cluster = nodes(("geneva", 1, False), ("brussels", 2, False))
    chosen = []
    for _ in range(3):
        engagement = await make_engagement()
        _room, node = await cluster.placed(db, engagement.id)
        chosen.append(node.name)
        await go_live(db, engagement, make_person)
    # Brussels has most room; then a tie (one each), which the first listed takes; then the
    # only node with room left.
    assert chosen == ["brussels", "geneva", "brussels"]
    assert await cluster.load(db) == {"geneva": 1, "brussels": 2}
    refused = await make_engagement()
    with pytest.raises(MediaUnavailable, match="full"):
        await cluster.placed(db, refused.id)
    placed_before = (await cluster.placed(db, engagement.id))[1].name
    assert placed_before == "brussels"  # a placed engagement stays where it is


async def test_confidential_engagements_go_only_to_reserved_nodes(
    db: AsyncSession, make_engagement: Make
) -> None:
    cluster = nodes(("open", 50, False), ("vault", 5, True))
    secret = await make_engagement(confidentiality="confidential")
    public = await make_engagement(confidentiality="public")
    assert (await cluster.placed(db, secret.id))[1].name == "vault"
    assert (await cluster.placed(db, public.id))[1].name == "open"

    vault = cluster.named("vault")
    assert vault is not None
    vault.lost()
    other = await make_engagement(confidentiality="confidential")
    with pytest.raises(MediaUnavailable, match="confidential engagements is not answering"):
        await cluster.placed(db, other.id)
    # Without reserved nodes, a confidential engagement goes to any node.
    assert (await nodes(("open", 50, False)).placed(db, other.id))[1].name == "open"


async def test_a_lost_node_s_live_engagements_move_and_the_others_wait_for_their_next_use(
    db: AsyncSession, make_engagement: Make, make_person: Callable[..., Awaitable[object]]
) -> None:
    cluster = nodes(("geneva", 50, False), ("brussels", 10, False))
    live, idle = await make_engagement(), await make_engagement()
    for engagement in (live, idle):
        assert (await cluster.placed(db, engagement.id))[1].name == "geneva"
    await go_live(db, live, make_person)
    geneva = cluster.named("geneva")
    assert geneva is not None
    geneva.lost()
    assert await cluster.move_off(db, geneva) == [live.id]
    assert (await cluster.carrying(db, live.id)) is cluster.named("brussels")
    assert await cluster.carrying(db, idle.id) is None
    assert (await cluster.placed(db, idle.id))[1].name == "brussels"
    geneva.answering()  # back: what moved stays where it went
    assert (await cluster.placed(db, live.id))[1].name == "brussels"


async def test_forty_replicas_placing_one_engagement_at_once_agree_on_its_node(
    engine: AsyncEngine,
) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as db:
        made = Engagement(
            title="Forty at once",
            slug=f"forty-{secrets.token_hex(4)}",
            kind=EngagementKind.VIDEO_MEETING,
            held_on=dt.date(2020, 11, 15),
        )
        db.add(made)
        await db.flush()
        await media_room_for(db, made.id)  # a room placed nowhere, as after a move or upgrade
        await db.commit()
    try:
        # Forty processes: each its own view of the nodes (all equal: the tie-break alone
        # would agree, so each sees a different node as the emptiest).
        names = [f"node-{i}" for i in range(4)]

        async def place(replica: int) -> str:
            view = nodes(*((n, 50 + (i - replica) % 4, False) for i, n in enumerate(names)))
            async with sessions() as db:
                await intend_to_write(db)  # as a request that writes does (SQLite queues)
                _room, node = await view.placed(db, made.id)
                await db.commit()
                return node.name

        chosen = await asyncio.gather(*(place(i) for i in range(40)))
        assert len(set(chosen)) == 1, chosen
    finally:
        async with sessions() as db:
            await db.execute(delete(Engagement).where(Engagement.id == made.id))
            await db.commit()
