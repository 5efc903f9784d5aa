"""A chair runs an agenda item with three delegations in the browser."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import LiveServer, screenshot, sign_in

pytestmark = pytest.mark.e2e

HEADS = {
    "ZA": ("Cyril Ramaphosa", "President of the Republic of South Africa"),
    "DE": ("Angela Merkel", "Federal Chancellor"),
    "CN": ("Xi Jinping", "President of the People's Republic of China"),
}


def plan(page: Page, server: LiveServer) -> tuple[int, dict[str, str]]:
    api = f"{server.url}/api/v1"
    made = page.request.post(
        f"{api}/engagements",
        data={
            "title": "Extraordinary summit on vaccine supply",
            "starts_at": "2026-12-14T14:00:00+01:00",
            "delegations": ["CN", "DE", "ZA"],
            "agenda": ["Opening statements — 8 s", "Vaccine production"],
        },
    )
    assert made.status == 201, made.text()
    engagement = made.json()["id"]
    french = page.request.put(
        f"{api}/engagements/{engagement}/precedence",
        data={"rule": "alphabetical", "language": "fr"},
    )
    assert french.status == 200, french.text()
    links = {code: url for code, (_, url) in invite_heads(page, server, engagement, HEADS).items()}
    return engagement, links


def microphone(page: Page) -> Locator:
    """The microphone button: named "Microphone", pressed while live, its state in words."""
    return page.get_by_role("button", name="Microphone", exact=True)


def invite_heads(
    page: Page, server: LiveServer, engagement: int, heads: dict[str, tuple[str, str]]
) -> dict[str, tuple[int, str]]:
    """Each head of delegation (code: name, office) invited, with their attendee id and link."""
    api = f"{server.url}/api/v1"
    links = {}
    for code, (name, office) in heads.items():
        person = page.request.post(
            f"{api}/delegations/{code}/people",
            data={"name": name, "office": office, "form_of_address": "H.E."},
        )
        assert person.status == 201, person.text()
        attendee = page.request.post(
            f"{api}/engagements/{engagement}/attendees",
            data={"person_id": person.json()["id"], "role": "head_of_delegation"},
        )
        attendee_id = attendee.json()["id"]
        issued = page.request.post(
            f"{api}/engagements/{engagement}/attendees/{attendee_id}/invitations"
        )
        links[code] = (attendee_id, issued.json()["url"])
    return links


def test_chair_runs_an_item_with_three_delegations(
    plain_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    chair = new_page(1280, 900)
    sign_in(chair, plain_server)
    engagement, links = plan(chair, plain_server)
    meeting = f"{plain_server.url}/engagements/{engagement}/meeting"

    heads: dict[str, Page] = {}
    for code, link in links.items():
        page = new_page(900, 800)
        page.goto(link)
        page.goto(meeting)
        page.get_by_role("button", name="Join the meeting").click()
        expect(page.get_by_role("heading", name="Waiting to be admitted")).to_be_visible()
        heads[code] = page

    chair.goto(meeting)
    chair.get_by_role("button", name="Join the meeting").click()
    for name, _ in HEADS.values():
        chair.get_by_role("button", name=re.compile(f"Admit: .*{name}")).click()
    for page in heads.values():
        expect(page.locator("main.room")).to_be_visible()

    # The chair opens the first item with every delegation inscribed in order of precedence,
    # which in French puts Afrique du Sud before Allemagne before Chine.
    chair.get_by_label("Agenda item").select_option(value="0")
    chair.get_by_label("Inscribe every delegation in order of precedence").check()
    chair.get_by_role("button", name="Open the item").click()
    speakers = chair.locator("#speakers-list .request .plate-code")
    expect(speakers).to_have_text(["ZA", "DE", "CN"])
    expect(chair.locator("#floor-item")).to_contain_text("Item 1: Opening statements")

    # Germany raises a point of order: it goes to the front.
    heads["DE"].get_by_role("button", name="Point of order").click()
    expect(speakers).to_have_text(["DE", "ZA", "DE", "CN"])
    expect(chair.locator("#speakers-list .request").first).to_contain_text("Point of order")

    chair.get_by_role("button", name="Give the floor to the next").click()
    germany = heads["DE"]
    expect(germany.locator("#floor-speaker")).to_contain_text("Angela Merkel")
    expect(microphone(germany)).to_have_attribute("aria-pressed", "true")
    expect(microphone(germany)).to_have_attribute("data-state", "Live")
    expect(germany.locator("#my-state")).to_have_text("You have the floor — you are live")
    expect(microphone(heads["CN"])).to_have_attribute("aria-pressed", "false")
    expect(microphone(heads["CN"])).to_have_attribute("data-state", "Muted")
    screenshot(chair, "40-floor-point-of-order")
    germany.get_by_role("button", name="Yield the floor").click()
    expect(chair.locator("#floor-speaker")).to_contain_text("No one has the floor")

    # South Africa speaks; eight seconds and five of grace later the microphone is muted.
    chair.get_by_role("button", name="Give the floor to the next").click()
    africa = heads["ZA"]
    expect(microphone(africa)).to_have_attribute("aria-pressed", "true")
    expect(chair.locator("#floor-speaker .digits")).to_have_text(re.compile(r"^0:0\d$"))
    screenshot(chair, "41-floor-countdown")
    expect(chair.locator("#floor-speaker")).to_contain_text("No one has the floor", timeout=30000)
    expect(microphone(africa)).to_have_attribute("aria-pressed", "false")
    expect(microphone(africa)).to_have_attribute("data-state", "Muted")

    # A delegate without the floor cannot open the microphone while the item is open.
    china = heads["CN"]
    microphone(china).click()
    expect(china.get_by_role("alert")).to_contain_text("You do not have the floor")
    expect(microphone(china)).to_have_attribute("aria-pressed", "false")

    chair.get_by_role("button", name="Close the item").click()
    expect(chair.locator("#floor-item")).to_have_text("No agenda item is open.")
    screenshot(china, "42-floor-delegate-view")

    chair.goto(f"{plain_server.url}/engagements/{engagement}/speaking-log")
    rows = chair.locator("table.data tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Angela Merkel")
    expect(rows.nth(0)).to_contain_text("Point of order")
    expect(rows.nth(1)).to_contain_text("Cyril Ramaphosa")
    expect(rows.nth(1)).to_contain_text("Expired")
    screenshot(chair, "43-speaking-log")
