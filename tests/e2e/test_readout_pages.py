"""Readouts in the browser: a head of delegation drafts China's readout of a telephone call
from the record, approves and publishes it under embargo; nobody else finds it meanwhile,
while the European Council's readout, published at once, is found by a word in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, screenshot, sign_in
from tests.e2e.test_floor_meeting import invite_heads

pytestmark = pytest.mark.e2e

HEADS = {
    "EUCO": ("Charles Michel", "President of the European Council"),
    "CN": ("Xi Jinping", "President of the People's Republic of China"),
}


def test_a_head_of_delegation_publishes_a_readout_under_embargo(
    plain_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    secretariat = new_page(1280, 900)
    sign_in(secretariat, plain_server)
    made = secretariat.request.post(
        f"{plain_server.url}/api/v1/engagements",
        data={
            "title": "Telephone call between the Presidents of China and the European Council",
            "kind": "telephone_call",
            "starts_at": "2020-06-22T10:00:00+02:00",
            "ends_at": "2020-06-22T11:00:00+02:00",
            "host": "EUCO",
            "delegations": ["EUCO", "CN"],
            "languages": ["en", "zh"],
            "agenda": ["Trade and investment", "Climate change"],
        },
    )
    assert made.status == 201, made.text()
    engagement = made.json()["id"]
    links = invite_heads(secretariat, plain_server, engagement, HEADS)

    china = new_page(1280, 900)
    china.goto(links["CN"][1])
    china.goto(f"{plain_server.url}/engagements/{engagement}/readouts")
    china.get_by_role("button", name="Draft from the record").click()
    body = china.get_by_label("Text of the readout")
    expect(body).to_contain_text("Monday 22 June 2020 at 16:00 (China Standard Time")
    expect(body).to_contain_text("H.E. Charles Michel, European Council")
    expect(body).to_contain_text("telephone call")
    china.get_by_label("Title").fill("President Xi Jinping speaks with President Charles Michel")
    text = body.input_value().replace(
        "[The account of China: what was said, and what comes next.]",
        "The two sides agreed to work for a comprehensive agreement on investment.",
    )
    body.fill(text)
    china.get_by_label("Embargo until").fill("2020-06-22T12:00")
    china.get_by_role("button", name="Save the text").click()
    expect(china.get_by_role("alert")).to_contain_text("The embargo has already passed")
    expect(china.get_by_label("Title")).to_have_value(  # what was typed is kept
        "President Xi Jinping speaks with President Charles Michel"
    )
    embargo = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    china.get_by_label("Embargo until").fill(embargo.strftime("%Y-%m-%dT%H:%M"))
    china.get_by_role("button", name="Save the text").click()
    expect(china.get_by_text("approval awaited")).to_be_visible()
    screenshot(china, "90-readout-draft")

    china.get_by_role("button", name="Approve for China").click()
    expect(china.get_by_text("approved", exact=True)).to_be_visible()
    china.get_by_role("button", name="Publish under embargo").click()
    expect(china.get_by_text("Under embargo")).to_be_visible()
    expect(
        china.get_by_role("heading", level=2, name="President Xi Jinping speaks")
    ).to_be_visible()
    expect(china.locator(".readout-text p")).to_have_count(3)
    screenshot(china, "91-readout-under-embargo")
    readout = china.url.rsplit("/", 1)[1]

    # Nobody else sees it before its time: not the public, not the secretariat.
    public = new_page(1280, 800)
    missing = public.goto(f"{plain_server.url}/readouts/{readout}")
    assert missing is not None
    assert missing.status == 404
    secretariat.goto(f"{plain_server.url}/search?q=comprehensive")
    expect(secretariat.get_by_text("Nothing open to you holds")).to_be_visible()

    # The European Council publishes its own at once: anyone finds it by a word in it.
    europe = new_page(1280, 900)
    europe.goto(links["EUCO"][1])
    europe.goto(f"{plain_server.url}/engagements/{engagement}/readouts")
    expect(europe.get_by_text("No readout is open to you yet.")).to_be_visible()  # China's waits
    screenshot(europe, "94-engagement-readouts")
    europe.get_by_role("button", name="Draft from the record").click()
    europe.get_by_label("Text of the readout").fill(
        "President Michel raised the reciprocity of market access and climate ambition."
    )
    europe.get_by_role("button", name="Save the text").click()
    europe.get_by_role("button", name="Approve for European Council").click()
    europe.get_by_role("button", name="Publish").click()
    expect(europe.locator("#readout-title")).to_contain_text("readout of the telephone call")

    public.goto(f"{plain_server.url}/search?q=reciprocity climate")
    hit = public.get_by_role("listitem").filter(has_text="European Council")
    expect(hit.locator("mark").first).to_have_text("reciprocity")
    expect(public.get_by_text("President Xi Jinping speaks")).to_have_count(0)
    screenshot(public, "92-search-hit")
    public.goto(f"{plain_server.url}/readouts")
    expect(public.get_by_role("link", name="European Council: readout")).to_be_visible()
    expect(public.get_by_text("European Council · ")).to_be_visible()
    screenshot(public, "93-readouts-published")
    public.get_by_role("link", name="European Council: readout").click()
    expect(public.get_by_text("Published by European Council")).to_be_visible()
    expect(public.get_by_role("textbox")).to_have_count(0)  # the working text is not theirs
    feed = public.request.get(f"{plain_server.url}/readouts.atom")
    assert "European Council: readout" in feed.text()
    assert "President Xi Jinping" not in feed.text()
