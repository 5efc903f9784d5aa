"""Access that is taken away ends everywhere and at once: signing out, withdrawing a link,
striking someone off, ending the meeting. Each is tried as an outsider holding on to what
they had would try it: the old cookie, the old socket, the old link."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.exceptions import ConnectionClosed

from summitry import log
from summitry.engagements.models import Engagement, Role
from summitry.log.models import LiveEvent
from summitry.meeting.models import MediaGrant
from summitry.security.models import Invitation
from summitry.security.tokens import token_hash
from tests.integration.test_live_wire import live_socket, serving, until

Invite = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]
MakeEngagement = Callable[..., Awaitable[Engagement]]


def copy_of(client: httpx.AsyncClient, make_client: Callable[[], httpx.AsyncClient]) -> Any:
    """Another client holding the same cookie, as someone who copied it would."""
    thief = make_client()
    thief.cookies.set("summitry_session", client.cookies["summitry_session"])
    return thief


async def closed_within(socket: Any, seconds: float) -> float:
    """How long the socket took to be closed by the server; fails after ``seconds``."""
    started = time.monotonic()
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(seconds):
            await until(socket, lambda m: False)
    return time.monotonic() - started


async def test_signing_out_ends_the_session_on_the_server_and_its_socket(
    app: Any,
    secretariat: httpx.AsyncClient,
    make_client: Callable[[], httpx.AsyncClient],
    make_engagement: MakeEngagement,
) -> None:
    engagement = await make_engagement()
    thief = copy_of(secretariat, make_client)
    assert (await thief.get("/api/v1/me")).status_code == 200
    async with serving(app) as base, live_socket(base, engagement.id, secretariat) as socket:
        assert (await secretariat.delete("/api/v1/session")).status_code == 204
        took = await closed_within(socket, 1.0)
        assert socket.close_code == 4401
    assert took < 1.0
    refused = await thief.get("/api/v1/me")
    assert refused.status_code == 401, "a copied cookie outlived signing out"
    assert (await thief.get(f"/api/v1/engagements/{engagement.id}")).status_code == 401


async def test_signing_out_of_the_pages_ends_the_session_too(
    secretariat: httpx.AsyncClient, make_client: Callable[[], httpx.AsyncClient]
) -> None:
    thief = copy_of(secretariat, make_client)
    page = await secretariat.get("/engagements")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    signed_out = await secretariat.post("/logout", data={"csrf_token": csrf})
    assert signed_out.status_code == 303
    assert (await thief.get("/api/v1/me")).status_code == 401


async def test_an_invitee_who_signs_out_cannot_come_back_with_the_old_cookie(
    make_engagement: MakeEngagement,
    make_invitee: Invite,
    make_client: Callable[[], httpx.AsyncClient],
) -> None:
    engagement = await make_engagement()
    invited, _attendee, _token = await make_invitee(engagement, Role.HEAD_OF_DELEGATION)
    thief = copy_of(invited, make_client)
    assert (await invited.delete("/api/v1/session")).status_code == 204
    assert (await thief.get(f"/api/v1/engagements/{engagement.id}")).status_code == 401


async def test_withdrawing_a_link_puts_its_holder_out_and_closes_their_socket_at_once(
    app: Any,
    db: AsyncSession,
    secretariat: httpx.AsyncClient,
    make_engagement: MakeEngagement,
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    invited, attendee, token = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "DE")
    assert (await secretariat.post(f"{live}/enter")).status_code == 200
    assert (await invited.post(f"{live}/enter")).status_code == 200
    assert (await secretariat.post(f"{live}/participants/{attendee.id}/admit")).is_success
    invitation = await db.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(token))
    )
    assert invitation is not None
    async with serving(app) as base, live_socket(base, engagement.id, invited) as socket:
        withdrawn = await secretariat.delete(f"/api/v1/invitations/{invitation.id}")
        assert withdrawn.status_code == 200, withdrawn.text
        took = await closed_within(socket, 1.0)
    assert took < 1.0
    state = (await secretariat.get(live)).json()["state"]
    assert state["participants"][str(attendee.id)]["presence"] == "left"
    grant = await db.scalar(select(MediaGrant).where(MediaGrant.attendee_id == attendee.id))
    assert grant is None, "the media grant outlived the invitation"
    assert (await invited.post(f"{live}/enter")).status_code == 401
    reopened = await invited.post("/api/v1/session/invitation", json={"token": token})
    assert reopened.status_code == 403


async def test_ending_the_meeting_puts_everyone_out_and_closes_the_record(
    app: Any,
    db: AsyncSession,
    secretariat: httpx.AsyncClient,
    make_engagement: MakeEngagement,
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    guests = [await make_invitee(engagement, Role.HEAD_OF_DELEGATION, c) for c in ("CN", "DE")]
    assert (await secretariat.post(f"{live}/enter")).status_code == 200
    for client, attendee, _token in guests:
        assert (await client.post(f"{live}/enter")).status_code == 200
        assert (await secretariat.post(f"{live}/participants/{attendee.id}/admit")).is_success
    assert (await secretariat.get(f"/api/v1/engagements/{engagement.id}")).json()[
        "status"
    ] == "live"

    async with serving(app) as base, live_socket(base, engagement.id, guests[0][0]) as socket:
        ended = await secretariat.post(f"{live}/end")
        assert ended.status_code == 200, ended.text
        seen = await until(
            socket,
            lambda m: (
                m["type"] == "events"
                and any(e["event"]["kind"] == "meeting_ended" for e in m["events"])
            ),
        )
        took = await closed_within(socket, 1.0)
    assert took < 1.0
    kinds = [e["event"]["kind"] for m in seen if m["type"] == "events" for e in m["events"]]
    assert kinds.count("left") == 3
    assert kinds[-1] == "meeting_ended"

    shown = (await secretariat.get(f"/api/v1/engagements/{engagement.id}")).json()
    assert shown["status"] == "ended"
    state = (await secretariat.get(live)).json()["state"]
    assert state["ended"] is True
    assert all(p["presence"] == "left" for p in state["participants"].values())
    assert (
        await db.scalar(select(MediaGrant).where(MediaGrant.engagement_id == engagement.id)) is None
    )
    for client, _attendee, token in guests:
        assert (await client.get(f"/api/v1/engagements/{engagement.id}")).status_code == 401
        again = await client.post("/api/v1/session/invitation", json={"token": token})
        assert again.status_code == 403
    before = await log.last_seq(db, engagement.id)
    for action in ("enter", "lock"):
        refused = await secretariat.post(f"{live}/{action}", json={"locked": True})
        assert refused.status_code == 409, refused.text
        assert "ended" in refused.json()["error"]["message"]
    assert (await secretariat.post(f"{live}/end")).status_code == 409
    assert await log.last_seq(db, engagement.id) == before, "an ended meeting took more events"
    assert await log.verify_chain(db, engagement.id) is None
    page = await secretariat.get(f"/engagements/{engagement.id}/meeting")
    assert "Join the meeting" not in page.text
    assert "This meeting has ended" in page.text


@pytest.mark.parametrize("status", ["ended"])
async def test_an_engagement_is_not_ended_by_a_mere_edit(
    status: str, secretariat: httpx.AsyncClient, make_engagement: MakeEngagement
) -> None:
    engagement = await make_engagement()
    url = f"/api/v1/engagements/{engagement.id}"
    refused = await secretariat.patch(url, json={"status": status})
    assert refused.status_code == 409
    assert "End for everyone" in refused.json()["error"]["message"]
    assert (await secretariat.get(url)).json()["status"] == "planned"


async def test_planning_changes_are_recorded_with_who_and_when(
    db: AsyncSession,
    secretariat: httpx.AsyncClient,
    make_engagement: MakeEngagement,
    make_invitee: Invite,
    make_delegation: Callable[..., Awaitable[Any]],
) -> None:
    engagement = await make_engagement()
    await make_delegation("JP")
    url = f"/api/v1/engagements/{engagement.id}"
    _client, attendee, token = await make_invitee(engagement, Role.DELEGATE, "DE")
    assert (await secretariat.patch(url, json={"title": "Renamed"})).status_code == 200
    assert (await secretariat.post(f"{url}/delegations", json={"code": "JP"})).status_code == 201
    order = {"rule": "alphabetical", "language": "fr"}
    assert (await secretariat.put(f"{url}/precedence", json=order)).status_code == 200
    invitation = await db.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(token))
    )
    assert invitation is not None
    assert (await secretariat.delete(f"/api/v1/invitations/{invitation.id}")).status_code == 200

    rows = list(
        await db.scalars(
            select(LiveEvent)
            .where(LiveEvent.engagement_id == engagement.id, LiveEvent.kind == "planning_changed")
            .order_by(LiveEvent.seq)
        )
    )
    changes = [(r.payload["change"], r.payload["by"], r.payload["subject"]) for r in rows]
    assert [c for c, _, _ in changes] == [
        "engagement_planned",
        "attendee_invited",
        "invitation_issued",
        "engagement_edited",
        "delegation_added",
        "precedence_set",
        "invitation_withdrawn",
    ]
    assert changes[3] == ("engagement_edited", "Protocol Officer", "title")
    assert changes[4][2] == "Japan"
    assert str(invitation.id) in changes[6][2]
    assert changes[6][1] == "Protocol Officer"
    assert all(r.at is not None for r in rows)
    assert await log.verify_chain(db, engagement.id) is None
    del attendee
