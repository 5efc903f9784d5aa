"""The call register's rules, on both databases, with no gateway running (as on a replica that
does not hold the telephone): what a secretary may ask for, what stays listed, and what a
withdrawal or the meeting's end does to calls still ringing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.engagements.models import Engagement, Role
from summitry.telephony.models import TelephoneCall

Invite = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]


@pytest.fixture
def telephone_on(app: Any) -> None:
    runtime = app.state.runtime
    runtime.settings = runtime.settings.model_copy(update={"sip_enabled": True, "media": True})


async def ask(client: httpx.AsyncClient, engagement: int, attendee: int) -> httpx.Response:
    return await client.post(
        f"/api/v1/engagements/{engagement}/telephone/calls",
        json={"attendee_id": attendee, "uri": "sip:+41225550100@192.0.2.10:5060"},
    )


@pytest.mark.usefixtures("telephone_on")
async def test_one_call_at_a_time_a_stale_request_lapses_and_the_list_shows_who_placed_it(
    db: AsyncSession,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement(("CN", "DE", "EUCO"))
    _, callee, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "DE")
    calls = f"/api/v1/engagements/{engagement.id}/telephone/calls"
    stranger = await ask(secretariat, engagement.id, 999_999)
    assert stranger.status_code == 404
    assert "no attendee with this id" in stranger.text
    first = await ask(secretariat, engagement.id, callee.id)
    assert first.status_code == 202, first.text
    assert first.json()["stage"] == "requested"
    second = await ask(secretariat, engagement.id, callee.id)
    assert second.status_code == 409
    assert "being called already" in second.text
    assert [c["id"] for c in (await secretariat.get(calls)).json()] == [first.json()["id"]]

    # No gateway took it up for a minute: it no longer blocks a new call, nor is it listed.
    await db.execute(
        update(TelephoneCall)
        .where(TelephoneCall.id == first.json()["id"])
        .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    )
    await db.commit()
    assert (await secretariat.get(calls)).json() == []
    third = await ask(secretariat, engagement.id, callee.id)
    assert third.status_code == 202, third.text
    listed = (await secretariat.get(calls)).json()
    assert [(c["id"], c["placed_by"]) for c in listed] == [(third.json()["id"], "Protocol Officer")]


@pytest.mark.usefixtures("telephone_on")
async def test_calls_still_ringing_end_with_the_meeting_and_none_can_be_asked_for_after(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement(("CN", "DE", "EUCO"))
    live = f"/api/v1/engagements/{engagement.id}/live"
    calls = f"/api/v1/engagements/{engagement.id}/telephone/calls"
    _, absent, _ = await make_invitee(engagement, Role.DELEGATE, "EUCO")
    browser, removed, _ = await make_invitee(engagement, Role.DELEGATE, "CN")
    _, callee, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "DE")
    assert (await secretariat.post(f"{live}/enter")).status_code == 200
    assert (await ask(secretariat, engagement.id, callee.id)).status_code == 202

    # Someone removed from the meeting is not called back into it.
    assert (await browser.post(f"{live}/enter")).status_code == 200
    put_out = await secretariat.post(f"{live}/participants/{removed.id}/remove")
    assert put_out.status_code == 200, put_out.text
    refused = await ask(secretariat, engagement.id, removed.id)
    assert refused.status_code == 422
    assert "removed from the meeting" in refused.text

    assert (await secretariat.post(f"{live}/end")).status_code == 200
    assert (await secretariat.get(calls)).json() == [], "the ringing call ended with the meeting"
    after = await ask(secretariat, engagement.id, absent.id)
    assert after.status_code == 409
    assert "nobody can be called into it" in after.text
