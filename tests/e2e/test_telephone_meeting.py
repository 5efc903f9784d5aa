"""A caller dials in (SIPp, the PIN by SIP INFO) and the secretariat sees and admits them in
Chromium: the lobby and the tile say "telephone, not encrypted"."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, screenshot, sign_in
from tests.e2e.test_meeting import plan_meeting
from tests.integration.test_telephony import info_digits
from tests.support.phone import SCENARIOS
from tests.support.postgres import free_port

pytestmark = pytest.mark.e2e


def test_the_secretariat_admits_a_caller_marked_as_on_the_telephone(
    telephone_server: LiveServer, new_page: Callable[..., Page], tmp_path: Path
) -> None:
    server = telephone_server
    host = new_page()
    sign_in(host, server)
    engagement, caller_id, _link = plan_meeting(host, server)
    api = f"{server.url}/api/v1/engagements/{engagement}/telephone"
    line = host.request.post(f"{api}/line")
    assert line.status == 200, line.text()
    assert line.json()["sip_uri"].startswith(f"sip:{line.json()['number']}@127.0.0.1:")
    host.goto(f"{server.url}/engagements/{engagement}/meeting")
    host.get_by_role("button", name="Join the meeting").click()
    # The PIN is issued in the page (confirmed: it replaces any earlier one) and shown masked.
    new_pin = host.get_by_role("button", name=re.compile("New PIN…: .*Angela Merkel"))
    new_pin.click()
    dialog = host.get_by_role("dialog", name=re.compile("new telephone PIN for .*Angela Merkel"))
    expect(dialog).to_contain_text("stops working")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(host.locator("#telephone-list .secret")).to_have_count(0)
    new_pin.click()
    dialog.get_by_role("button", name="Issue a new PIN").click()
    expect(dialog).to_be_hidden()
    # Both secrets hidden, as an invitation link is, each with its own Show and Copy.
    for label in ("Dial-in number", "PIN"):
        field = host.locator("#telephone-list").get_by_label(re.compile(f"^{label} for .*Merkel"))
        expect(field).to_have_attribute("type", "password")
    secret = host.locator("#telephone-list .secret", has_text="PIN for")
    field = secret.get_by_label(re.compile("^PIN for"))
    expect(secret.get_by_role("button", name="Copy: the pin")).to_be_visible()
    secret.get_by_role("button", name="Show: the pin").click()
    expect(field).to_have_attribute("type", "text")
    expect(secret.get_by_role("button", name="Hide: the pin")).to_have_attribute(
        "aria-pressed", "true"
    )
    pin = field.input_value()
    assert re.fullmatch(r"\d{4,}", pin), pin

    # Calling out: the address is asked in the row's own form; a wrong one is refused beside
    # the field, in a sentence, and what was typed stays to be corrected.
    host.get_by_role("button", name=re.compile("Call…: .*Angela Merkel")).click()
    address = host.get_by_label(re.compile("SIP address to call .*Angela Merkel"))
    expect(address).to_be_focused()
    address.fill("+41 22 555 01 00")
    host.get_by_role("button", name="Call", exact=True).click()
    error = host.get_by_role("alert").filter(has_text="SIP address")
    expect(error).to_have_text("Give a SIP address like sip:+41225550100@192.0.2.10:5060.")
    expect(address).to_have_attribute("aria-describedby", re.compile("call-error-"))
    expect(address).to_have_value("+41 22 555 01 00")
    screenshot(host, "70-refused-call-notice")
    host.get_by_role("button", name="Cancel").click()
    expect(address).to_have_count(0)

    sip_port = int(server.env["SUMMITRY_SIP_PORT"])
    scenario = tmp_path / "dial_in.xml"
    scenario.write_text(
        (SCENARIOS / "dial_in.xml")
        .read_text()
        .replace("PHONE_PORT", str(free_port()))  # the UI is under test, not the audio
        .replace("INFO_DIGITS", info_digits(pin + "#"))
        .replace("CALLER", "chancellor")
    )
    sipp = shutil.which("sipp")
    assert sipp is not None
    phone = subprocess.Popen(
        [sipp, "-sf", str(scenario), "-s", line.json()["number"], "-m", "1", "-i", "127.0.0.1",
         "-p", str(free_port()), "-timeout", "60s", "-nostdin", f"127.0.0.1:{sip_port}"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        waiting = host.locator("#lobby-list li", has_text="Angela Merkel")
        expect(waiting).to_contain_text("telephone, not encrypted", timeout=20000)
        screenshot(host, "60-telephone-caller-in-the-lobby")
        host.get_by_role("button", name=re.compile("Admit: .*Angela Merkel")).click()
        tile = host.locator(f'figure.tile[data-attendee="{caller_id}"]')
        expect(tile.locator(".phone-mark")).to_be_visible(timeout=20000)
        expect(tile.locator(".phone-mark")).to_have_text("☎ Telephone · not encrypted")
        screenshot(host, "61-telephone-caller-in-the-room")
        removed = host.request.post(
            f"{server.url}/api/v1/engagements/{engagement}/live/participants/{caller_id}/remove"
        )
        assert removed.status == 200
        assert phone.wait(timeout=30) == 0  # the BYE came from Summitry, as the scenario says
    finally:
        if phone.poll() is None:
            phone.kill()
            phone.wait()
