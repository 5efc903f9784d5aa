"""The secretariat plans an engagement in the browser and the invitee opens their link."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_secretariat_plans_invites_and_the_invitee_opens_the_link(
    live_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    sign_in(page, live_server)
    screenshot(page, "01-engagements-empty")

    page.get_by_role("link", name="Plan an engagement").first.click()
    expect(page.get_by_role("heading", name="Plan an engagement")).to_be_visible()
    page.get_by_label("Title").fill("Leaders' video meeting on vaccine cooperation")
    page.get_by_label("Kind").select_option("video_meeting")
    page.get_by_label("Date").fill("2026-12-14")
    page.get_by_label("Starts").fill("14:00")
    page.get_by_label("Ends").fill("12:00")
    page.get_by_label("Host", exact=True).fill("European Council (EUCO)")
    page.get_by_label("Delegation 1", exact=True).fill("China (CN)")
    page.get_by_label("Delegation 2", exact=True).fill("Germany (DE)")
    page.get_by_label("Delegation 3", exact=True).fill("South Africa (ZA)")
    page.get_by_label("Chinese").check()
    page.get_by_label("French").check()
    page.get_by_label("Agenda").fill("Opening by the host\nVaccine production and supply")
    page.get_by_role("button", name="Plan the engagement").click()

    # An end before the start is refused beside the field, and what was entered is kept.
    expect(page.get_by_text("must come after the start")).to_be_visible()
    title = "Leaders' video meeting on vaccine cooperation"
    expect(page.get_by_label("Title")).to_have_value(title)
    screenshot(page, "02-plan-engagement-error")

    page.get_by_label("Ends").fill("16:00")
    screenshot(page, "03-plan-engagement-form")
    page.get_by_role("button", name="Plan the engagement").click()
    page.wait_for_url(re.compile(r"/engagements/\d+$"))
    engagement_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Leaders' video meeting on vaccine cooperation"
    )
    times = page.locator("table.times tbody tr")
    expect(times).to_have_count(4)
    expect(times.filter(has_text="China")).to_contain_text("21:00")  # 14:00 CET in Beijing
    expect(times.filter(has_text="European Council")).to_contain_text("14:00–16:00")
    expect(times.filter(has_text="South Africa")).to_contain_text("15:00")
    delegations = page.locator("ol.delegations > li .plate-name")
    expect(delegations).to_have_text(["European Council", "China", "Germany", "South Africa"])

    # In French, alphabetical order puts Afrique du Sud first; host first keeps the host ahead.
    page.get_by_label("Order of precedence", exact=True).select_option("alphabetical")
    page.get_by_label("Names in").select_option("fr")
    page.get_by_role("button", name="Apply").click()
    expect(delegations).to_have_text(["South Africa", "Germany", "China", "European Council"])
    page.get_by_label("Order of precedence", exact=True).select_option("host_first")
    page.get_by_role("button", name="Apply").click()
    expect(delegations).to_have_text(["European Council", "South Africa", "Germany", "China"])

    page.get_by_label("Delegation", exact=True).select_option("DE")
    page.get_by_label("Form of address").fill("H.E. Ms")
    page.get_by_label("Full name").fill("Angela Merkel")
    page.get_by_label("Office").fill("Federal Chancellor")
    page.get_by_label("Role").select_option("head_of_delegation")
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.locator("ol.delegations")).to_contain_text("H.E. Ms Angela Merkel")
    screenshot(page, "04-engagement-secretariat")

    page.get_by_role("button", name="Issue link", exact=True).click()
    link_field = page.get_by_role("textbox", name="Invitation link")
    expect(link_field).to_have_attribute("type", "password")  # hidden from screenshots
    link = link_field.input_value()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/invitation/[A-Za-z0-9_-]{{43}}", link)
    screenshot(page, "05-invitation-issued")
    assert link.split("/")[-1] not in page.content().replace(f'value="{link}"', "")

    guest = new_page()
    guest.goto(link)
    guest.wait_for_url(re.compile(r"/engagements/\d+$"))
    assert "/invitation/" not in guest.url
    expect(guest.get_by_text("You attend as head of delegation")).to_be_visible()
    expect(guest.locator("tr.own")).to_contain_text("Germany")
    expect(guest.get_by_role("button", name="Issue link")).to_have_count(0)
    screenshot(guest, "06-engagement-invitee")

    guest.get_by_role("link", name="My engagements").click()
    card = guest.locator("article.engagement-card")
    expect(card).to_contain_text("In your capital")
    expect(card).to_contain_text("14:00")
    screenshot(guest, "07-my-engagements")

    # The secretariat withdraws the link: the invitee's session ends at once.
    page.goto(engagement_url)
    page.get_by_role("button", name="Withdraw link").click()
    confirm = page.get_by_role("dialog", name="Withdraw H.E. Ms Angela Merkel's link?")
    expect(confirm).to_contain_text("The link stops working at once")
    confirm.get_by_role("button", name="Withdraw the link").click()
    expect(page.get_by_text("Withdrawn")).to_be_visible()
    guest.reload()
    expect(guest.get_by_role("heading", name="Please sign in")).to_be_visible()
    guest.goto(link)
    expect(guest.get_by_text("this invitation link is not valid", exact=False)).to_be_visible()
    screenshot(guest, "08-invitation-withdrawn")

    page.goto(f"{live_server.url}/engagements/calendar?month=2026-12")
    expect(page.locator("table.calendar")).to_contain_text("Leaders' video meeting")
    screenshot(page, "09-calendar")


def test_phone_sized_screen_reads_well(
    live_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page(width=390, height=844)
    page.goto(f"{live_server.url}/login")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    screenshot(page, "10-login-phone")
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/engagements/new")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the form must not scroll sideways on a phone"
    screenshot(page, "11-plan-engagement-phone")
