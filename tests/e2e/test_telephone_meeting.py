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
    host.get_by_role("button", name=re.compile("New PIN…: .*Angela Merkel")).click()
    host.get_by_role("dialog").get_by_role("button", name="Issue a new PIN").click()
    secret = host.locator("#telephone-list .secret-line", has_text="PIN for")
    expect(secret.locator("code")).to_have_text("••••••")
    expect(host.locator("#telephone-list")).not_to_contain_text(line.json()["number"])
    secret.get_by_role("button", name="Show the pin").click()
    expect(secret.locator("code")).to_have_text(re.compile(r"^\d{4,}$"))
    pin = secret.locator("code").inner_text()

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
