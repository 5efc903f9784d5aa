"""A refused action is told in the page, not in a browser dialog: the secretariat asks to
call someone on a Summitry without a telephone, in the row's own form, and reads why not
beside the field."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.conftest import LiveServer, screenshot, sign_in
from tests.e2e.test_meeting import plan_meeting

pytestmark = pytest.mark.e2e


def test_a_refused_call_is_told_in_the_page(
    plain_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    host = new_page()
    dialogs: list[Dialog] = []
    host.on("dialog", lambda dialog: (dialogs.append(dialog), dialog.dismiss()))
    sign_in(host, plain_server)
    engagement, _guest, _link = plan_meeting(host, plain_server)
    host.goto(f"{plain_server.url}/engagements/{engagement}/meeting")
    host.get_by_role("button", name="Join the meeting").click()

    host.get_by_role("button", name=re.compile("Call…: .*Angela Merkel")).click()
    address = host.get_by_label(re.compile("SIP address to call .*Angela Merkel"))
    expect(address).to_be_focused()
    address.fill("sip:+41225550100@192.0.2.10:5060")
    host.get_by_role("button", name="Call", exact=True).click()

    # The refusal stands beside the field it concerns, in a sentence.
    error = host.get_by_role("alert").filter(has_text="telephone")
    expect(error).to_have_text(
        "This Summitry has no telephone gateway: the operator turns it on with "
        "SUMMITRY_SIP_ENABLED."
    )
    expect(address).to_have_attribute("aria-describedby", re.compile("call-error-"))
    # The form stays, with what was typed, to try again once the telephone is on.
    expect(address).to_have_value("sip:+41225550100@192.0.2.10:5060")
    screenshot(host, "70-refused-call-notice")
    assert dialogs == []

    host.get_by_role("button", name="Cancel").click()
    expect(address).to_have_count(0)
    expect(error).to_have_count(0)
