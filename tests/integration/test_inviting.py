"""Inviting at scale on the engagement page: links for everyone at once, forms that keep what
was typed and say beside each field what to fix, confirmations described in the page."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.delegations.models import Person
from summitry.engagements.models import Engagement, Role
from summitry.engagements.operations import add_attendee, get_engagement
from summitry.security.operations import list_invitations
from tests.integration.test_pages import signed_in_browser

Invite = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]


async def _secretary(client: httpx.AsyncClient, make_account: Callable[..., Awaitable[Any]]) -> str:
    """Sign ``client`` in as a new member of the secretariat; the page's CSRF token."""
    account = await make_account()
    return await signed_in_browser(client, account.email)


def _links(page: str) -> dict[str, str]:
    """The links a page shows for everyone: each holder's name and the (masked) link."""
    found = re.findall(
        r'<label for="invitation-link-\d+">([^<]+)</label>\s*'
        r'<input id="invitation-link-\d+" type="password" readonly value="([^"]+)"',
        page,
    )
    return dict(found)


async def test_links_for_everyone_at_once_then_reissued_behind_a_confirmation(
    db: AsyncSession,
    client: httpx.AsyncClient,
    make_client: Callable[[], httpx.AsyncClient],
    make_account: Callable[..., Awaitable[Any]],
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_person: Callable[..., Awaitable[Person]],
    make_invitee: Invite,
) -> None:
    token = await _secretary(client, make_account)
    engagement = await make_engagement(("CN", "DE", "FR"))
    _, holder, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "FR")  # has a link
    for code, name in (("CN", "Mr Wang Yi"), ("DE", "Ms Annalena Baerbock")):
        person = await make_person(code, name=name)
        await add_attendee(
            db, await get_engagement(db, engagement.id), person, Role.HEAD_OF_DELEGATION, None,
            by="Test",
        )  # fmt: skip
    page = (await client.get(f"/engagements/{engagement.id}")).text
    assert "Issue links for everyone" in page
    assert 'data-confirm-title="Reissue every link?"' in page
    before = len(await list_invitations(db, engagement.id))

    issued = await client.post(
        f"/engagements/{engagement.id}/invitations/everyone", data={"csrf_token": token}
    )
    assert issued.status_code == 201
    links = _links(issued.text)
    assert sorted(links) == ["Mr Wang Yi", "Ms Annalena Baerbock"], links
    assert holder.person.display_name not in links  # France's link still works
    assert len(await list_invitations(db, engagement.id)) == before + 2
    assert 'aria-label="Show: Mr Wang Yi"' in issued.text
    # Each link works, once opened by its holder.
    async with make_client() as wang:
        opened = await wang.get(links["Mr Wang Yi"].removeprefix("http://testserver"))
        assert opened.status_code in (200, 303), opened.text

    again = await client.post(
        f"/engagements/{engagement.id}/invitations/everyone", data={"csrf_token": token}
    )
    assert again.status_code == 201
    assert "Everyone has a link" in again.text
    assert _links(again.text) == {}
    assert len(await list_invitations(db, engagement.id)) == before + 2

    reissued = await client.post(
        f"/engagements/{engagement.id}/invitations/reissue", data={"csrf_token": token}
    )
    assert reissued.status_code == 201
    fresh = _links(reissued.text)
    assert sorted(fresh) == sorted(
        ["Mr Wang Yi", "Ms Annalena Baerbock", holder.person.display_name]
    )
    assert not set(fresh.values()) & set(links.values())
    async with make_client() as late:
        old = await late.get(links["Mr Wang Yi"].removeprefix("http://testserver"))
        assert old.status_code >= 400, "a reissued link's predecessor no longer works"


async def test_a_refused_invitation_keeps_what_was_typed_and_says_what_to_fix(
    db: AsyncSession,
    client: httpx.AsyncClient,
    make_account: Callable[..., Awaitable[Any]],
    make_engagement: Callable[..., Awaitable[Engagement]],
) -> None:
    token = await _secretary(client, make_account)
    engagement = await make_engagement(("CN", "DE", "FR"))
    refused = await client.post(
        f"/engagements/{engagement.id}/people",
        data={
            "csrf_token": token,
            "person_delegation": "DE",
            "form_of_address": "H.E. Ms",
            "name": "",
            "office": "Federal Minister for Foreign Affairs",
            "role": "head_of_delegation",
            "language": "de",
        },
    )
    assert refused.status_code == 422
    page = refused.text
    assert "String should" not in page
    name_field = re.search(r'<label for="name">.*?</div>', page, re.S)
    assert name_field
    assert "This is required" in name_field.group(0)
    assert 'aria-describedby="name-error"' in name_field.group(0)
    assert 'value="Federal Minister for Foreign Affairs"' in page
    assert 'value="H.E. Ms"' in page
    assert re.search(r'<option value="DE"\s+selected>', page)
    assert re.search(r'<option value="head_of_delegation"\s+selected>', page)
    assert 'value="de"' in page
    assert len((await get_engagement(db, engagement.id)).attendees) == 0


async def test_withdrawing_the_host_is_refused_beside_the_host_s_row(
    client: httpx.AsyncClient,
    make_account: Callable[..., Awaitable[Any]],
    make_engagement: Callable[..., Awaitable[Engagement]],
) -> None:
    token = await _secretary(client, make_account)
    engagement = await make_engagement(("CN", "DE", "FR"))  # France hosts
    refused = await client.post(
        f"/engagements/{engagement.id}/delegations/FR/remove", data={"csrf_token": token}
    )
    assert refused.status_code == 409
    row = re.search(
        r'<li>\s*<div class="delegation-head">(?:(?!</li>).)*?France.*?</ul>', refused.text, re.S
    )
    assert row
    assert 'id="withdraw-FR-error"' in row.group(0)
    assert "France hosts this engagement: choose another host" in row.group(0)
    adding = re.search(r'<label for="add-delegation">.*?</div>', refused.text, re.S)
    assert adding
    assert "host" not in adding.group(0)
    assert "France" in (await client.get(f"/engagements/{engagement.id}")).text


async def test_the_date_field_and_its_error_name_the_same_format(
    client: httpx.AsyncClient, make_account: Callable[..., Awaitable[Any]]
) -> None:
    token = await _secretary(client, make_account)
    form = (await client.get("/engagements/new")).text
    assert 'placeholder="2026-12-14"' in form
    assert "(year-month-day)" in form
    for typed in ("14/09/2020", ""):
        refused = await client.post(
            "/engagements/new",
            data={"csrf_token": token, "title": "A meeting", "date": typed, "delegation": ["DE"]},
        )
        assert refused.status_code == 422
        error = re.search(r'<p class="field-error" id="date-error">([^<]+)</p>', refused.text)
        assert error
        assert "year-month-day, e.g. 2026-12-14" in error.group(1)


async def test_the_favicon_answers_and_sorted_columns_say_so_on_their_header(
    client: httpx.AsyncClient,
    make_account: Callable[..., Awaitable[Any]],
    make_engagement: Callable[..., Awaitable[Engagement]],
) -> None:
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in icon.content
    account = await make_account()
    await signed_in_browser(client, account.email)
    await make_engagement()
    listing = (await client.get("/engagements?sort=-title")).text
    assert re.search(r'<th scope="col" aria-sort="descending"><a href="[^"]*sort=title"', listing)
    assert not re.search(r"<a [^>]*aria-sort", listing)
