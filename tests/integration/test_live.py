"""A live meeting through the API: lobby, admission, removal, lock; the log stays whole."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.engagements.models import Engagement, Role
from summitry.log.events import EventEnvelope, parse_event
from summitry.meeting.state import fold

Invite = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]


async def test_lobby_admission_and_removal(
    db: AsyncSession,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    guest, attendee, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "DE")
    other, _, _ = await make_invitee(engagement, Role.DELEGATE, "CN")

    entered = await guest.post(f"{live}/enter")
    assert entered.status_code == 200, entered.text
    assert [e["event"]["kind"] for e in entered.json()["events"]] == ["lobby_entered"]
    assert (await guest.get(f"{live}/media")).status_code == 403

    refused = await other.post(f"{live}/participants/{attendee.id}/admit")
    assert refused.status_code == 403
    assert "secretariat" in refused.json()["error"]["message"]

    host = await secretariat.post(f"{live}/enter")
    assert [e["event"]["kind"] for e in host.json()["events"]] == ["lobby_entered", "admitted"]
    admitted = await secretariat.post(f"{live}/participants/{attendee.id}/admit")
    assert admitted.status_code == 200, admitted.text
    again = await secretariat.post(f"{live}/participants/{attendee.id}/admit")
    assert again.status_code == 409

    snapshot = (await guest.get(live)).json()
    assert snapshot["state"]["participants"][str(attendee.id)]["presence"] == "admitted"
    assert snapshot["me"] == attendee.id
    names = [p["name"] for p in snapshot["roster"]]
    assert any("Protocol Officer" in n for n in names)

    muted = await secretariat.post(
        f"{live}/participants/{attendee.id}/microphone", json={"muted": False}
    )
    assert muted.status_code == 200
    by_other = await other.post(
        f"{live}/participants/{attendee.id}/microphone", json={"muted": True}
    )
    assert by_other.status_code == 403

    removed = await secretariat.post(f"{live}/participants/{attendee.id}/remove")
    assert removed.status_code == 200
    back = await guest.post(f"{live}/enter")
    assert back.status_code == 403
    assert "removed" in back.json()["error"]["message"]

    assert await log.verify_chain(db, engagement.id) is None


async def test_everyone_shown_waiting_is_admitted_at_once_and_nobody_unseen(
    db: AsyncSession,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    people = [
        await make_invitee(engagement, role, code)
        for role, code in (
            (Role.HEAD_OF_DELEGATION, "DE"),
            (Role.HEAD_OF_DELEGATION, "CN"),
            (Role.DELEGATE, "DE"),
        )
    ]
    for client, _, _ in people:
        assert (await client.post(f"{live}/enter")).status_code == 200
    assert (await secretariat.post(f"{live}/enter")).status_code == 200
    (_, germany, _), (_, china, _), (_, adviser, _) = people
    before = await log.last_seq(db, engagement.id)

    # Nothing is changed by a list that is empty, not a list, or names nobody waiting.
    for body in ({"attendee_ids": []}, {"attendee_ids": "all"}, {}):
        bad = await secretariat.post(f"{live}/participants/admit", json=body)
        assert bad.status_code == 422, bad.text
    nobody = await secretariat.post(f"{live}/participants/admit", json={"attendee_ids": [999_999]})
    assert nobody.status_code == 409
    assert "waiting" in nobody.json()["error"]["message"]
    by_a_delegate = await people[0][0].post(
        f"{live}/participants/admit", json={"attendee_ids": [china.id]}
    )
    assert by_a_delegate.status_code == 403
    assert await log.last_seq(db, engagement.id) == before

    # Germany and China were shown waiting (the adviser arrived after the page was drawn);
    # a colleague admits China just before the click.
    assert (await secretariat.post(f"{live}/participants/{china.id}/admit")).status_code == 200
    admitted = await secretariat.post(
        f"{live}/participants/admit", json={"attendee_ids": [germany.id, china.id, germany.id]}
    )
    assert admitted.status_code == 200, admitted.text
    events = [e["event"] for e in admitted.json()["events"]]
    assert [(e["kind"], e["attendee_id"]) for e in events] == [("admitted", germany.id)]
    presence = (await secretariat.get(live)).json()["state"]["participants"]
    assert presence[str(germany.id)]["presence"] == "admitted"
    assert presence[str(china.id)]["presence"] == "admitted"
    assert presence[str(adviser.id)]["presence"] == "lobby"
    assert await log.verify_chain(db, engagement.id) is None


async def test_a_locked_meeting_keeps_newcomers_out(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    guest, _, _ = await make_invitee(engagement, Role.DELEGATE, "CN")
    assert (await secretariat.post(f"{live}/lock", json={"locked": True})).status_code == 200
    refused = await guest.post(f"{live}/enter")
    assert refused.status_code == 403
    assert "locked" in refused.json()["error"]["message"]
    await secretariat.post(f"{live}/lock", json={"locked": False})
    assert (await guest.post(f"{live}/enter")).status_code == 200


async def test_outsiders_see_no_meeting(
    client: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    mine = await make_engagement()
    theirs = await make_engagement()
    guest, _, _ = await make_invitee(mine, Role.DELEGATE, "CN")
    assert (await guest.get(f"/api/v1/engagements/{theirs.id}/live")).status_code == 404
    assert (await guest.post(f"/api/v1/engagements/{theirs.id}/live/enter")).status_code == 404
    assert (await client.get(f"/api/v1/engagements/{mine.id}/live")).status_code == 401


async def test_resuming_from_any_cursor_gives_the_fresh_state(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    guests = [await make_invitee(engagement, Role.DELEGATE, code) for code in ("CN", "DE")]
    await secretariat.post(f"{live}/enter")
    for guest, attendee, _ in guests:
        await guest.post(f"{live}/enter")
        await secretariat.post(f"{live}/participants/{attendee.id}/admit")
        await guest.post(f"{live}/microphone", json={"muted": False})
    await guests[0][0].post(f"{live}/leave")

    everything = [_envelope(e) for e in (await secretariat.get(f"{live}/events")).json()]
    fresh = (await secretariat.get(live)).json()
    for cursor in range(len(everything) + 1):
        stale = fold(everything[:cursor])
        missed = [
            _envelope(e)
            for e in (await secretariat.get(f"{live}/events", params={"after": cursor})).json()
        ]
        assert fold(missed, stale).as_json() == fresh["state"]


def _envelope(data: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope(
        engagement_id=data["engagement_id"],
        seq=data["seq"],
        at=data["at"],
        event=parse_event(data["event"]),
    )


async def test_an_edited_event_breaks_the_chain_where_it_was_edited(
    db: AsyncSession,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
) -> None:
    from sqlalchemy import update

    from summitry.log.models import LiveEvent

    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    await secretariat.post(f"{live}/enter")
    await secretariat.post(f"{live}/lock", json={"locked": True})
    await secretariat.post(f"{live}/lock", json={"locked": False})
    assert await log.verify_chain(db, engagement.id) is None
    await db.execute(
        update(LiveEvent)
        .where(LiveEvent.engagement_id == engagement.id, LiveEvent.seq == 3)
        .values(payload={"kind": "room_locked", "locked": False, "by": "someone else"})
    )
    assert await log.verify_chain(db, engagement.id) == 3


async def test_events_reach_subscribers_only_after_commit(
    db: Any, sessionmaker: Any, make_engagement: Callable[..., Awaitable[Engagement]]
) -> None:
    from summitry.log.hub import LiveHub
    from summitry.log.store import HUB
    from summitry.meeting.events import RoomLocked

    engagement = await make_engagement()
    planned = await log.last_seq(db, engagement.id)  # its planning is in the log already
    hub = LiveHub()
    queue = hub.inbox(engagement.id).events
    async with sessionmaker() as session:
        session.info[HUB] = hub
        await log.append(session, engagement.id, RoomLocked(locked=True, by="x"))
        assert queue.empty()
        await session.rollback()
        assert queue.empty()
        await log.append(session, engagement.id, RoomLocked(locked=True, by="x"))
        await session.commit()
    delivered = queue.get_nowait()
    assert delivered.seq == planned + 1
