"""The server-rendered pages, as a browser would use them: forms, CSRF, errors beside fields."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from summitry.engagements.models import Engagement, Role
from tests.conftest import SECRETARY_PASSWORD


def csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "every form carries a CSRF token"
    return found.group(1)


async def signed_in_browser(client: httpx.AsyncClient, email: str) -> str:
    token = csrf(await client.get("/login"))
    response = await client.post(
        "/login", data={"csrf_token": token, "email": email, "password": SECRETARY_PASSWORD}
    )
    assert response.status_code == 303
    return csrf(await client.get("/engagements"))


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
    make_account: Callable[..., Awaitable[Any]],
    make_engagement: Callable[..., Awaitable[Engagement]],
) -> None:
    account = await make_account()
    await signed_in_browser(client, account.email)
    engagement = await make_engagement()
    response = await client.post(
        f"/engagements/{engagement.id}/delegations", data={"delegation": "FR"}
    )
    assert response.status_code == 403
    assert "did not come from Summitry" in response.text
    page = await client.get(f"/engagements/{engagement.id}")
    assert "France" not in page.text


async def test_wrong_password_is_said_plainly(
    client: httpx.AsyncClient, make_account: Callable[..., Awaitable[Any]]
) -> None:
    account = await make_account()
    token = csrf(await client.get("/login"))
    response = await client.post(
        "/login", data={"csrf_token": token, "email": account.email, "password": "not it"}
    )
    assert response.status_code == 401
    assert "the password is not right" in response.text
    assert (await client.get("/engagements")).status_code == 401


async def test_editing_changes_the_agenda_and_a_person_can_be_removed(
    client: httpx.AsyncClient,
    make_account: Callable[..., Awaitable[Any]],
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Callable[..., Awaitable[Any]],
) -> None:
    account = await make_account()
    token = await signed_in_browser(client, account.email)
    engagement = await make_engagement()
    invited, attendee, _ = await make_invitee(engagement, Role.DELEGATE, "DE")
    assert (await invited.get(f"/api/v1/engagements/{engagement.id}")).status_code == 200

    form = {
        "csrf_token": token,
        "title": "Renamed meeting",
        "kind": "video_meeting",
        "date": "2020-09-14",
        "start": "14:00",
        "end": "16:00",
        "zone": "Europe/Berlin",
        "host": "EUCO",
        "confidentiality": "restricted",
        "status": "planned",
        "languages": ["en", "zh"],
        "other_languages": "de",
        "description": "",
        "agenda": "Opening\nTrade — 5 min\nClimate — 90 s",
    }
    response = await client.post(f"/engagements/{engagement.id}/edit", data=form)
    assert response.status_code == 303
    page = await client.get(f"/engagements/{engagement.id}")
    assert "Renamed meeting" in page.text
    items = re.findall(r'<ol class="agenda">(.*?)</ol>', page.text, re.S)[0]
    assert re.findall(r"<li>([^<]+?)\s*<span", items) == ["Opening", "Trade", "Climate"]
    assert "5:00 per speaker" in items
    assert "1:30 per speaker" in items
    assert "3:00 per speaker" in items

    response = await client.post(
        f"/engagements/{engagement.id}/attendees/{attendee.id}/remove",
        data={"csrf_token": token},
    )
    assert response.status_code == 303
    assert (await invited.get(f"/api/v1/engagements/{engagement.id}")).status_code == 401


async def test_a_bad_date_is_shown_beside_its_field_and_nothing_is_planned(
    client: httpx.AsyncClient, make_account: Callable[..., Awaitable[Any]]
) -> None:
    account = await make_account()
    token = await signed_in_browser(client, account.email)
    before = (await client.get("/engagements")).text.count('href="/engagements/')
    response = await client.post(
        "/engagements/new",
        data={
            "csrf_token": token,
            "title": "A meeting",
            "date": "14/09/2020",
            "delegation": ["DE", "FR"],
        },
    )
    assert response.status_code == 422
    assert "Give the date as shown" in response.text
    assert 'value="A meeting"' in response.text
    after = (await client.get("/engagements")).text.count('href="/engagements/')
    assert after == before


async def test_unknown_delegation_in_the_form_is_named(
    client: httpx.AsyncClient, make_account: Callable[..., Awaitable[Any]]
) -> None:
    account = await make_account()
    token = await signed_in_browser(client, account.email)
    response = await client.post(
        "/engagements/new",
        data={
            "csrf_token": token,
            "title": "A meeting",
            "date": "2020-09-14",
            "delegation": ["DE", "Atlantis"],
        },
    )
    assert response.status_code == 422
    assert "ATLANTIS" in response.text
    listing = await client.get("/engagements")
    assert "A meeting" not in listing.text
