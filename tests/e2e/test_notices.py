"""A refused action is told in the page, not in a browser dialog: a head of delegation opens
the microphone while an item is open and another has the floor, and reads why not, in a
sentence, in the page; without a telephone gateway the secretariat's telephone panel says so
instead of offering PINs and calls nobody could use."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.conftest import LiveServer, screenshot
from tests.e2e.test_meeting_room import open_panel, secretariat_and_waiting

pytestmark = pytest.mark.e2e


def test_a_refused_microphone_is_told_in_the_page(
    plain_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    host, head, _engagement, _links = secretariat_and_waiting(plain_server, new_page, "DE")
    dialogs: list[Dialog] = []
    for page in (host, head):
        page.on("dialog", lambda dialog: (dialogs.append(dialog), dialog.dismiss()))

    # No telephone here: the panel says why, and offers nothing that would fail.
    expect(host.locator("#no-telephone")).to_contain_text("no telephone gateway")
    expect(host.get_by_role("button", name=re.compile("Call…|New PIN…"))).to_have_count(0)

    open_panel(host, "Lobby")
    host.get_by_role("button", name=re.compile("Admit: .*Angela Merkel")).click()
    expect(head.locator("main.room")).to_be_visible()
    open_panel(host, "Chair")
    host.get_by_role("button", name="Open the item").click()
    expect(host.locator("#open-item-line")).to_have_text("Open: item 1, Opening statements")

    microphone = head.get_by_role("button", name="Microphone", exact=True)
    microphone.click()
    # The refusal, as the server gave it, made a sentence, in the page and announced at once.
    error = head.get_by_role("alert").filter(has_text="floor")
    expect(error).to_have_text(
        re.compile(r"^You do not have the floor: ask for it, and the chair will give it\.")
    )
    expect(microphone).to_have_attribute("aria-pressed", "false")
    screenshot(head, "70-refused-microphone-notice")
    assert dialogs == []

    error.get_by_role("button", name="Dismiss this message").click()
    expect(error).to_have_count(0)
