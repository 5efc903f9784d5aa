"""The demo as a new user meets it: the 2020 engagements, with each capital's local time."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_china_eu_meeting_shows_each_participants_local_time(
    demo_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    sign_in(page, demo_server)
    # The 34 engagements of 2020, and the practice meeting planned for the coming hour.
    expect(page.locator("table.data tbody tr")).to_have_count(35)
    expect(page.get_by_role("link", name="Practice meeting: a leaders' video call")).to_be_visible()
    screenshot(page, "20-demo-engagements")

    page.get_by_label("Search").fill("China–EU")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="China–EU leaders' meeting by video conference").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("China–EU leaders' meeting")
    times = page.locator("table.times tbody tr")
    expect(times.filter(has_text="China")).to_contain_text("20:00")
    expect(times.filter(has_text="Germany")).to_contain_text("14:00")
    expect(times.filter(has_text="European Council")).to_contain_text("14:00")
    expect(times.filter(has_text="European Commission")).to_contain_text("14:00")
    people = page.locator("ol.delegations")
    for name in ("Xi Jinping", "Angela Merkel", "Charles Michel", "Ursula von der Leyen"):
        expect(people).to_contain_text(name)
    screenshot(page, "21-demo-china-eu-meeting")

    page.goto(f"{demo_server.url}/engagements/calendar?month=2020-03")
    calendar = page.locator("table.calendar")
    expect(calendar).to_contain_text("G20")
    expect(page.locator(".month-strip a[aria-current=page]")).to_contain_text("Mar")
    screenshot(page, "22-demo-calendar-march-2020")


def test_unknown_hour_is_shown_as_unknown(
    demo_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    sign_in(page, demo_server)
    page.get_by_label("Search").fill("Guterres")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role(
        "link", name="Telephone call between Xi Jinping and UN Secretary-General"
    ).click()
    expect(page.get_by_text("hour not recorded")).to_be_visible()
    expect(page.get_by_text("The hour of this engagement is not recorded")).to_be_visible()
    screenshot(page, "23-demo-telephone-call")
