"""The minutes in the browser: a meeting run through the API, then the secretariat draws the
minutes from its record, writes an item's summary, publishes, and a delegation reads them (and
their PDF, which is looked at too).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import SCREENSHOTS, LiveServer, screenshot, sign_in
from tests.e2e.test_floor_meeting import invite_heads

pytestmark = pytest.mark.e2e

HEADS = {
    "EUCO": ("Charles Michel", "President of the European Council"),
    "CN": ("李强", "Premier of the State Council"),
    "DE": ("Angela Merkel", "Federal Chancellor"),
}
SUMMARY = (
    "The President of the European Council opened the meeting and welcomed the Premier and "
    "the Federal Chancellor. Both leaders spoke on the state of the negotiations."
)


def run_the_meeting(
    secretariat: Page, server: LiveServer, new_page: Callable[..., Page]
) -> tuple[int, Page]:
    """An engagement whose meeting ran: three heads admitted, two of them spoke on item 1;
    and the German head's page, on a phone."""
    made = secretariat.request.post(
        f"{server.url}/api/v1/engagements",
        data={
            "title": "EU–China leaders' meeting by video conference",
            "starts_at": "2026-12-14T14:00:00+01:00",
            "host": "EUCO",
            "delegations": ["EUCO", "CN", "DE"],
            "languages": ["en", "zh"],
            "agenda": ["Opening", "Trade and investment"],
        },
    )
    assert made.status == 201, made.text()
    engagement = made.json()["id"]
    api = f"{server.url}/api/v1/engagements/{engagement}"
    assert secretariat.request.post(f"{api}/live/enter").ok
    heads = {}
    for code, (attendee, link) in invite_heads(secretariat, server, engagement, HEADS).items():
        head = new_page(390, 844) if code == "DE" else new_page(900, 700)
        head.goto(link)
        assert head.request.post(f"{api}/live/enter").ok
        assert secretariat.request.post(f"{api}/live/participants/{attendee}/admit").ok
        heads[code] = head
    booth = interpreter_on_the_air(secretariat, server, engagement, new_page)
    assert secretariat.request.post(f"{api}/floor/items/0/open", data={}).ok
    for code in ("CN", "DE"):
        assert heads[code].request.post(f"{api}/floor/requests", data={}).ok
        assert secretariat.request.post(f"{api}/floor/give", data={}).ok
        assert heads[code].request.post(f"{api}/floor/release", data={"cut": False}).ok
    assert secretariat.request.post(f"{api}/floor/items/close").ok
    assert booth.request.post(f"{api}/interpretation/on-air", data={"on_air": False}).ok
    booth.close()
    heads.pop("EUCO").close()
    heads.pop("CN").close()
    return engagement, heads["DE"]


def interpreter_on_the_air(
    secretariat: Page, server: LiveServer, engagement: int, new_page: Callable[..., Page]
) -> Page:
    """An interpreter of the Chinese booth, admitted and on the air."""
    api = f"{server.url}/api/v1"
    person = secretariat.request.post(
        f"{api}/delegations/EUCO/people", data={"name": "Wang Fang", "office": "Interpreter"}
    )
    attendee = secretariat.request.post(
        f"{api}/engagements/{engagement}/attendees",
        data={"person_id": person.json()["id"], "role": "interpreter", "booth": "zh"},
    ).json()["id"]
    link = secretariat.request.post(
        f"{api}/engagements/{engagement}/attendees/{attendee}/invitations"
    ).json()["url"]
    booth = new_page(900, 700)
    booth.goto(link)
    live = f"{api}/engagements/{engagement}/live"
    assert booth.request.post(f"{live}/enter").ok
    assert secretariat.request.post(f"{live}/participants/{attendee}/admit").ok
    on_air = booth.request.post(
        f"{api}/engagements/{engagement}/interpretation/on-air", data={"on_air": True}
    )
    assert on_air.ok, on_air.text()
    return booth


def test_the_secretariat_edits_and_publishes_the_minutes_and_a_delegation_reads_them(
    plain_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    secretariat = new_page(1280, 900)
    sign_in(secretariat, plain_server)
    engagement, germany = run_the_meeting(secretariat, plain_server, new_page)

    secretariat.goto(f"{plain_server.url}/engagements/{engagement}/minutes")
    secretariat.get_by_role("button", name="Draw the minutes from the record").click()
    speaking_log = secretariat.get_by_role("region", name="Speaking log", exact=True)
    expect(speaking_log).to_contain_text("H.E. 李强")
    expect(speaking_log).to_contain_text("H.E. Angela Merkel")
    expect(speaking_log).to_contain_text("Chinese")
    secretariat.get_by_label("Summary of item 1").fill(SUMMARY)
    secretariat.get_by_role("button", name="Save the text").click()
    expect(secretariat.get_by_role("status")).to_have_text("Saved.")
    expect(secretariat.get_by_label("Summary of item 1")).to_have_value(SUMMARY)
    screenshot(secretariat, "95-minutes-editing")

    secretariat.get_by_role("button", name="Publish").click()
    secretariat.get_by_role("dialog").get_by_role("button", name="Publish").click()
    secretariat.wait_for_url(f"{plain_server.url}/engagements/{engagement}/minutes/1")
    expect(secretariat.get_by_role("heading", level=1)).to_have_text(
        "Minutes of the EU–China leaders' meeting by video conference"
    )
    expect(secretariat.get_by_text(SUMMARY)).to_be_visible()
    screenshot(secretariat, "96-minutes-published")

    pdf = secretariat.request.get(
        f"{plain_server.url}/api/v1/engagements/{engagement}/minutes/versions/1/pdf"
    )
    assert pdf.ok
    assert pdf.body().startswith(b"%PDF-")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = SCREENSHOTS / "97-minutes-pdf"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", "-", str(prefix)],
        input=pdf.body(),
        check=True,
    )
    assert Path(f"{prefix}.png").stat().st_size > 10_000

    germany.goto(f"{plain_server.url}/engagements/{engagement}/minutes")
    germany.wait_for_url(f"{plain_server.url}/engagements/{engagement}/minutes/1")
    expect(germany.get_by_text(SUMMARY)).to_be_visible()
    expect(germany.get_by_role("region", name="Attendance", exact=True)).to_contain_text(
        "H.E. 李强"
    )
    expect(germany.get_by_role("button", name="Publish")).to_have_count(0)
    screenshot(germany, "98-minutes-read-on-a-phone")
