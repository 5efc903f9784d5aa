"""Two people meet in Chromium through Summitry's own Janus: lobby, admission, video both ways."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, screenshot, sign_in

pytestmark = pytest.mark.e2e

# The journey and the crash also run on PostgreSQL (the media_server fixture's parameter);
# the other browser tests stay on SQLite, to keep the suite's time.
ON_BOTH_DATABASES = pytest.mark.parametrize("media_server", ["sqlite", "postgresql"], indirect=True)

DECODED = """(attendee) => {
  const video = document.querySelector(`figure.tile[data-attendee="${attendee}"] video`);
  if (!video || !video.srcObject) return {width: 0, frames: 0};
  const quality = video.getVideoPlaybackQuality();
  return {width: video.videoWidth, frames: quality.totalVideoFrames};
}"""


def plan_meeting(page: Page, server: LiveServer) -> tuple[int, int, str]:
    """An engagement with a German head of delegation, and her personal link."""
    api = f"{server.url}/api/v1"
    made = page.request.post(
        f"{api}/engagements",
        data={
            "title": "Leaders' video meeting",
            "starts_at": "2026-12-14T14:00:00+01:00",
            "host": "EUCO",
            "delegations": ["CN", "DE"],
            "confidentiality": "confidential",
        },
    )
    assert made.status == 201, made.text()
    engagement = made.json()["id"]
    person = page.request.post(
        f"{api}/delegations/DE/people",
        data={
            "name": "Angela Merkel",
            "office": "Federal Chancellor",
            "form_of_address": "H.E. Dr",
        },
    )
    assert person.status == 201, person.text()
    attendee = page.request.post(
        f"{api}/engagements/{engagement}/attendees",
        data={
            "person_id": person.json()["id"],
            "role": "head_of_delegation",
        },
    )
    assert attendee.status == 201, attendee.text()
    attendee_id = attendee.json()["id"]
    issued = page.request.post(
        f"{api}/engagements/{engagement}/attendees/{attendee_id}/invitations"
    )
    assert issued.status == 201, issued.text()
    return engagement, attendee_id, issued.json()["url"]


def wait_for_video(page: Page, attendee: int, timeout: float = 30.0) -> dict[str, Any]:
    """Until the attendee's tile plays video whose decoded frame count keeps rising."""
    deadline = time.monotonic() + timeout
    first: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        now = page.evaluate(DECODED, attendee)
        if now["width"] > 0 and first is None:
            first = now
        elif first is not None and now["frames"] > first["frames"] + 10:
            return now
        page.wait_for_timeout(250)
    raise AssertionError(
        f"no playing video from attendee {attendee}: {page.evaluate(DECODED, attendee)}"
    )


def meet(server: LiveServer, new_page: Callable[..., Page]) -> tuple[Page, Page, int, int]:
    """The secretariat and a head of delegation in the room, each seeing the other."""
    host, guest = new_page(), new_page()
    _engagement, host_id, guest_id = meet_between(host, guest, server)
    return host, guest, host_id, guest_id


def meet_between(
    host: Page,
    guest: Page,
    server: LiveServer,
    origin: str | None = None,
    timeout: float = 30,
    meeting_at: str | None = None,
) -> tuple[int, int, int]:
    """The secretariat (``host``) admits a head of delegation (``guest``, who reaches the
    server at ``origin``, and the meeting at ``meeting_at``: another replica, say) and each
    sees the other; the engagement and both attendee ids."""
    origin = origin or server.url
    sign_in(host, server)
    engagement, guest_id, link = plan_meeting(host, server)
    assert link.startswith(origin), "her invitation names an address she can reach"
    guest.goto(link)
    guest.goto(f"{meeting_at or origin}/engagements/{engagement}/meeting")
    guest.get_by_role("button", name="Join the meeting").click()
    expect(guest.get_by_role("heading", name="Waiting to be admitted")).to_be_visible()
    host.goto(f"{server.url}/engagements/{engagement}/meeting")
    host.get_by_role("button", name="Join the meeting").click()
    host.get_by_role("button", name=re.compile("Admit: .*Angela Merkel")).click()
    host_id: int = host.evaluate("window.summitryMeeting.me")
    wait_for_video(host, guest_id, timeout)
    wait_for_video(guest, host_id, timeout)
    return engagement, host_id, guest_id


@ON_BOTH_DATABASES
def test_a_summitry_crash_loses_no_event_and_pages_reconnect_by_themselves(
    media_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    host, guest, host_id, _guest_id = meet(media_server, new_page)
    media_server.kill_and_restart()
    # Janus outlived Summitry: the pictures never stopped.
    wait_for_video(guest, host_id)
    expect(guest.locator('[data-mark="connection"]')).to_have_text("Connected", timeout=20000)
    expect(host.locator('[data-mark="connection"]')).to_have_text("Connected", timeout=20000)
    host.get_by_role("button", name="Lock the room").click()
    expect(guest.locator('[data-mark="lock"]')).to_be_visible()
    seqs = guest.evaluate(
        """async () => (await (await fetch(`/api/v1/engagements/${document.getElementById('meeting')
            .dataset.engagement}/live/events`)).json()).map((e) => e.seq)"""
    )
    assert seqs == list(range(1, len(seqs) + 1))
    assert guest.evaluate("window.summitryMeeting.state.seq") == seqs[-1]
    assert guest.evaluate("window.summitryMeeting.state.locked") is True


def test_a_janus_crash_is_noticed_and_media_comes_back_by_itself(
    media_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    host, guest, host_id, guest_id = meet(media_server, new_page)
    media_server.kill_janus()
    expect(host.locator('[data-mark="connection"]')).to_have_text(
        re.compile("reconnecting", re.IGNORECASE), timeout=20000
    )
    wait_for_video(guest, host_id, timeout=45)
    wait_for_video(host, guest_id, timeout=45)
    screenshot(host, "35-meeting-after-janus-crash")


@ON_BOTH_DATABASES
def test_two_people_meet_after_admission(
    media_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    host = new_page()
    sign_in(host, media_server)
    engagement, guest_id, link = plan_meeting(host, media_server)

    guest = new_page()
    guest.goto(link)
    guest.get_by_role("link", name="Open the meeting").click()
    expect(guest.get_by_role("heading", name="Before you join")).to_be_visible()
    expect(guest.locator("#preview")).to_have_js_property("paused", False)
    screenshot(guest, "30-meeting-device-check")
    guest.get_by_role("button", name="Join the meeting").click()
    expect(guest.get_by_role("heading", name="Waiting to be admitted")).to_be_visible()
    screenshot(guest, "31-meeting-lobby")

    host.goto(f"{media_server.url}/engagements/{engagement}/meeting")
    host.get_by_role("button", name="Join the meeting").click()
    lobby = host.locator("#lobby-list")
    expect(lobby).to_contain_text("Angela Merkel")
    expect(host.locator("#lobby-count")).to_have_text("1")
    host.get_by_role("button", name=re.compile("Admit: .*Angela Merkel")).click()

    expect(guest.locator("main.room")).to_be_visible()
    host_id = host.evaluate("window.summitryMeeting.me")
    wait_for_video(host, guest_id)
    wait_for_video(guest, host_id)
    expect(guest.locator(f'figure.tile[data-attendee="{host_id}"] .nameplate')).to_contain_text(
        "Secretariat"
    )
    expect(host.locator(f'figure.tile[data-attendee="{guest_id}"] .nameplate')).to_contain_text(
        "H.E. Dr Angela Merkel"
    )
    screenshot(host, "32-meeting-room-secretariat")
    screenshot(guest, "33-meeting-room-delegate")
    guest.set_viewport_size({"width": 390, "height": 844})
    overflow = guest.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the meeting must not scroll sideways on a phone"
    screenshot(guest, "33b-meeting-room-phone")

    # Removed by the secretariat: her page says so, and her picture is gone from the host's.
    remove = host.get_by_role("button", name=re.compile("Remove: .*Angela Merkel"))
    remove.click()
    # Removal cannot be undone: it is asked first, naming her, with the safe choice focused.
    confirm = host.get_by_role("dialog", name=re.compile("Remove .*Angela Merkel"))
    expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    expect(remove).to_be_focused()
    expect(guest.locator("main.room")).to_be_visible()
    remove.click()
    confirm.get_by_role("button", name="Remove", exact=True).click()
    expect(guest.get_by_role("heading", name="You were removed from the meeting")).to_be_visible()
    expect(host.locator(f'figure.tile[data-attendee="{guest_id}"]')).to_have_count(0)
    screenshot(guest, "34-meeting-removed")


def test_the_secretariat_ends_the_meeting_for_everyone(
    media_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    host, guest, _host_id, _guest_id = meet(media_server, new_page)
    host.get_by_role("button", name="End for everyone").click()
    dialog = host.get_by_role("dialog", name="End the meeting for everyone?")
    expect(dialog).to_be_visible()
    # The safe choice has the focus: Enter keeps the meeting.
    expect(dialog.get_by_role("button", name="Keep the meeting")).to_be_focused()
    screenshot(host, "36-end-for-everyone")
    dialog.get_by_role("button", name="Keep the meeting").click()
    expect(dialog).to_be_hidden()
    expect(guest.get_by_role("button", name="Leave")).to_be_visible()

    host.get_by_role("button", name="End for everyone").click()
    dialog.get_by_role("button", name="End for everyone").click()
    expect(guest.get_by_role("heading", name="This meeting has ended")).to_be_visible()
    expect(host.get_by_role("heading", name="This meeting has ended")).to_be_visible()
    # Its socket closes within a second: the page still says why, and promises no reconnection.
    guest.wait_for_timeout(1500)
    expect(guest.get_by_role("heading", name="This meeting has ended")).to_be_visible()
    expect(guest.locator('[data-mark="connection"]')).to_have_text("Not connected")
    screenshot(guest, "37-meeting-ended")
    # The guest's link no longer opens anything; the secretariat's page offers no way in.
    guest.reload()
    expect(guest.get_by_role("heading", name="Please sign in")).to_be_visible()
    host.reload()
    expect(host.get_by_role("heading", name="This meeting has ended")).to_be_visible()
    expect(host.get_by_role("button", name="Join the meeting")).to_have_count(0)
