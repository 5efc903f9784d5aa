"""The meeting room at a glance, at a laptop's, a tablet's and a phone's size: the chair (the
secretariat) and two heads of delegation in one meeting; every control on screen without
scrolling, the floor holder large for everyone, the lobby counted, each person's own state
said, destructive actions confirmed, keyboard journeys, and axe-core on every state."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import LiveServer, screenshot, sign_in
from tests.e2e.test_floor_meeting import invite_heads

pytestmark = pytest.mark.e2e

SIZES = {"laptop": (1280, 720), "tablet": (820, 1180), "phone": (390, 844)}
HEADS = {
    "ZA": ("Cyril Ramaphosa", "President of the Republic of South Africa"),
    "DE": ("Angela Merkel", "Federal Chancellor"),
}

# Every visible control of the bar and the header, with where it lies, and how far the
# document itself scrolls (it must not: the room is one screen).
LAYOUT = """() => {
  const boxes = [...document.querySelectorAll(
      '#controls button, #controls select, .meeting-top h1, .meeting-top .mark')]
    .filter((el) => el.offsetParent !== null)
    .map((el) => { const r = el.getBoundingClientRect();
      return {name: el.id || el.textContent.trim(), top: r.top, left: r.left,
              bottom: r.bottom, right: r.right}; });
  const doc = document.scrollingElement;
  return {boxes, scroll: doc.scrollHeight - window.innerHeight,
          sideways: doc.scrollWidth - window.innerWidth,
          width: window.innerWidth, height: window.innerHeight};
}"""


def plan(
    page: Page, server: LiveServer, heads: dict[str, tuple[str, str]] = HEADS, **more: object
) -> tuple[int, dict[str, tuple[int, str]]]:
    """The heads of delegation with their links; the first item gives each speaker 2 min.
    ``more``: other fields of the engagement (its languages)."""
    made = page.request.post(
        f"{server.url}/api/v1/engagements",
        data={
            "title": "Leaders' meeting on vaccine supply",
            "starts_at": "2026-12-14T14:00:00+01:00",
            "delegations": ["DE", "ZA"],
            "agenda": ["Opening statements — 2 min", "Vaccine production"],
            **more,
        },
    )
    assert made.status == 201, made.text()
    engagement = made.json()["id"]
    return engagement, invite_heads(page, server, engagement, heads)


def assert_fits(page: Page, who: str) -> None:
    """The controls and the header's marks are all inside the window; nothing scrolls."""
    layout = page.evaluate(LAYOUT)
    assert layout["scroll"] <= 0, f"{who}: the page scrolls by {layout['scroll']} px"
    assert layout["sideways"] <= 0, f"{who}: the page scrolls sideways"
    assert layout["boxes"], f"{who}: no controls found"
    outside = [
        b["name"]
        for b in layout["boxes"]
        if b["top"] < 0
        or b["left"] < 0
        or b["bottom"] > layout["height"]
        or b["right"] > layout["width"]
    ]
    assert not outside, f"{who}: off screen at {layout['width']}×{layout['height']}: {outside}"


def open_panel(page: Page, name: str) -> None:
    """The panel's button in the bar (a drawer on a tablet or phone, a column on a laptop)."""
    page.locator("#controls").get_by_role("button", name=re.compile(f"^{name}")).click()


def close_panels(page: Page) -> None:
    close = page.get_by_role("button", name="Close the panels")
    if close.is_visible():
        close.click()


def join(page: Page, meeting: str, link: str | None = None) -> None:
    if link:
        page.goto(link)
    page.goto(meeting)
    page.get_by_role("button", name="Join the meeting").click()


def secretariat_and_waiting(
    server: LiveServer, new_page: Callable[..., Page], code: str
) -> tuple[Page, Page, int, dict[str, tuple[int, str]]]:
    """At 1280×720: the secretariat in the room, one head of delegation in its lobby."""
    host = new_page(1280, 720)
    sign_in(host, server)
    engagement, links = plan(host, server)
    meeting = f"{server.url}/engagements/{engagement}/meeting"
    head = new_page(1280, 720)
    join(head, meeting, links[code][1])
    expect(head.get_by_role("heading", name="Waiting to be admitted")).to_be_visible()
    join(host, meeting)
    return host, head, engagement, links


@pytest.mark.parametrize("size", list(SIZES))
def test_the_room_fits_and_the_floor_holder_is_large(
    plain_server: LiveServer, new_page: Callable[..., Page], size: str
) -> None:
    width, height = SIZES[size]
    chair = new_page(width, height)
    sign_in(chair, plain_server)
    engagement, links = plan(chair, plain_server)
    meeting = f"{plain_server.url}/engagements/{engagement}/meeting"

    africa = new_page(width, height)
    join(africa, meeting, links["ZA"][1])
    expect(africa.get_by_role("heading", name="Waiting to be admitted")).to_be_visible()
    screenshot(africa, f"80-lobby-head-{size}")

    chair.goto(meeting)
    expect(chair.get_by_text("Nobody sees or hears you until you join.")).to_be_visible()
    expect(chair.get_by_text("until the secretariat admits you")).to_have_count(0)
    chair.get_by_role("button", name="Join the meeting").click()
    lobby_badge = chair.locator('#controls [data-count="lobby"]')
    expect(lobby_badge).to_have_text("1")

    # A newcomer while the secretariat is in the room: the badge counts her, a notice says so.
    germany = new_page(width, height)
    join(germany, meeting, links["DE"][1])
    expect(lobby_badge).to_have_text("2")
    expect(chair.locator("#notices")).to_contain_text(
        "H.E. Angela Merkel (Germany) is waiting in the lobby."
    )
    expect(chair.locator("#announcer")).to_have_text(
        "H.E. Angela Merkel (Germany) is waiting in the lobby."
    )
    open_panel(chair, "Lobby")
    for name, _ in HEADS.values():
        chair.get_by_role("button", name=re.compile(f"Admit: .*{name}")).click()
    expect(lobby_badge).to_have_text("0")
    for page in (africa, germany):
        expect(page.locator("main.room")).to_be_visible()

    # The chair opens the item with both delegations inscribed, and gives the floor.
    open_panel(chair, "Chair")
    chair.get_by_label("Inscribe every delegation in order of precedence").check()
    chair.get_by_role("button", name="Open the item").click()
    expect(chair.locator("#open-item-line")).to_have_text("Open: item 1, Opening statements")
    first_id = chair.evaluate("window.summitryMeeting.state.floor.queue[0].attendee_id")
    second_id = chair.evaluate("window.summitryMeeting.state.floor.queue[1].attendee_id")
    first, second = (germany, africa) if first_id == links["DE"][0] else (africa, germany)
    expect(second.locator("#my-state")).to_have_text("You are 2nd on the speakers' list")
    expect(second.get_by_role("button", name="Withdraw your request")).to_be_visible()
    chair.get_by_role("button", name="Give the floor to the next").click()
    close_panels(chair)

    expect(first.locator("#my-state")).to_have_text("You have the floor — you are live")
    expect(first.locator("#my-clock")).to_have_text(re.compile(r"^[12]:\d\d left$"))
    expect(second.locator("#my-state")).to_have_text("You are 1st on the speakers' list")
    # The floor holder is the large picture on every page, their own as a self-view.
    for page in (chair, africa, germany):
        expect(page.locator(f'#speaker figure.tile[data-attendee="{first_id}"]')).to_be_visible()
        expect(page.locator(f'#tiles figure.tile[data-attendee="{second_id}"]')).to_be_visible()
    # The secretariat is not among the heads' tiles.
    chair_id = chair.evaluate("window.summitryMeeting.me")
    expect(africa.locator(f'#tiles figure.tile[data-attendee="{chair_id}"]')).to_have_count(0)
    expect(africa.locator(f'#officers figure.tile[data-attendee="{chair_id}"]')).to_be_visible()

    for who, page in (("chair", chair), ("speaker", first), ("waiting", second)):
        assert_fits(page, f"{who} ({size})")
        screenshot(page, f"81-room-{who}-{size}")

    # Cut is confirmed in a dialog naming the speaker.
    open_panel(chair, "Chair")
    chair.get_by_role("button", name="Cut", exact=True).click()
    name = HEADS["DE" if first is germany else "ZA"][0]
    dialog = chair.get_by_role("dialog", name=re.compile(f"Cut H.E. {name}"))
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    screenshot(chair, f"82-cut-dialog-{size}")
    dialog.get_by_role("button", name="Cut", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(first.locator("#my-state")).to_have_text(
        "The floor has passed on: your microphone is closed"
    )
    expect(chair.locator("#floor-speaker")).to_contain_text("No one has the floor")
    expect(chair.get_by_role("button", name="Cut", exact=True)).to_be_focused()


def test_keyboard_journeys_of_a_delegate_and_the_chair(
    plain_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    chair, delegate, engagement, links = secretariat_and_waiting(plain_server, new_page, "DE")
    admitted = chair.request.post(
        f"{plain_server.url}/api/v1/engagements/{engagement}/live/participants/"
        f"{links['DE'][0]}/admit"
    )
    assert admitted.status == 200, admitted.text()
    expect(delegate.locator("main.room")).to_be_visible()

    # The delegate, on a fresh page: the skip link first, then the microphone is the next Tab.
    delegate.reload()
    expect(delegate.locator("main.room")).to_be_visible()
    delegate.keyboard.press("Tab")
    expect(delegate.get_by_role("link", name="Skip to your controls")).to_be_focused()
    delegate.keyboard.press("Enter")
    delegate.keyboard.press("Tab")
    microphone = delegate.get_by_role("button", name="Microphone", exact=True)
    expect(microphone).to_be_focused()
    delegate.keyboard.press("Enter")
    expect(microphone).to_have_attribute("aria-pressed", "true")
    expect(microphone).to_have_attribute("data-state", "Live")
    delegate.keyboard.press("Alt+A")
    expect(microphone).to_have_attribute("aria-pressed", "false")
    expect(microphone).to_have_attribute("data-state", "Muted")

    # The shortcuts are listed on "?".
    delegate.keyboard.press("?")
    keys = delegate.get_by_role("dialog", name="Keyboard shortcuts")
    expect(keys).to_contain_text("Request the floor, or withdraw your request")
    screenshot(delegate, "83-shortcuts")
    delegate.keyboard.press("Escape")
    expect(keys).to_be_hidden()

    # The chair opens the item by keyboard: Alt+C goes to the chair's controls.
    chair.keyboard.press("Alt+C")
    expect(chair.get_by_role("heading", name="The chair's controls")).to_be_focused()
    tab_to(chair, "Open the item")
    chair.keyboard.press("Enter")
    expect(chair.locator("#floor-item")).to_contain_text("Item 1: Opening statements")

    delegate.keyboard.press("Alt+R")
    expect(delegate.locator("#my-state")).to_have_text("You are 1st on the speakers' list")
    withdraw = delegate.get_by_role("button", name="Withdraw your request")
    expect(withdraw).to_be_visible()
    # A request cannot be doubled: the same key now withdraws it.
    delegate.keyboard.press("Alt+R")
    expect(delegate.get_by_role("button", name="Request the floor")).to_be_visible()
    expect(chair.locator("#speakers-list .request")).to_have_count(0)
    expect(chair.locator("#list-empty")).to_be_visible()
    delegate.keyboard.press("Alt+R")
    expect(chair.locator("#speakers-list .request")).to_have_count(1)

    tab_to(chair, "Give the floor to the next")
    chair.keyboard.press("Enter")
    expect(delegate.locator("#my-state")).to_have_text("You have the floor — you are live")
    expect(delegate.locator("#announcer")).to_have_text("You have the floor.")
    expect(microphone).to_have_attribute("aria-pressed", "true")

    # Cut, by keyboard: the dialog opens on Cancel; Shift+Tab reaches Cut.
    tab_to(chair, "Cut")
    chair.keyboard.press("Enter")
    dialog = chair.get_by_role("dialog", name=re.compile("Cut H.E. Angela Merkel"))
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    chair.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Cut", exact=True)).to_be_focused()
    chair.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(microphone).to_have_attribute("aria-pressed", "false")

    # The secretariat mutes her after she opened the microphone again: she is told so.
    chair.request.post(f"{plain_server.url}/api/v1/engagements/{engagement}/floor/items/close")
    delegate.keyboard.press("Alt+A")
    expect(microphone).to_have_attribute("aria-pressed", "true")
    muted = chair.request.post(
        f"{plain_server.url}/api/v1/engagements/{engagement}/live/participants/"
        f"{links['DE'][0]}/microphone",
        data={"muted": True},
    )
    assert muted.status == 200, muted.text()
    expect(delegate.locator("#my-state")).to_have_text("The secretariat muted you")
    expect(delegate.locator("#announcer")).to_have_text("The secretariat muted your microphone.")


def tab_to(page: Page, name: str, most: int = 40) -> None:
    """Tab forward until the button of that name has the focus (a keyboard user's way)."""
    target = page.get_by_role("button", name=name, exact=True)
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("(el) => el === document.activeElement"):
            return
    raise AssertionError(f"{most} Tabs did not reach {name!r}")


def test_the_console_and_the_channel_one_hears(
    plain_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    chair = new_page(1280, 720)
    sign_in(chair, plain_server)
    api = f"{plain_server.url}/api/v1"
    engagement, heads = plan(chair, plain_server, {"DE": HEADS["DE"]}, languages=["en", "fr"])
    person = chair.request.post(
        f"{api}/delegations/DE/people",
        data={"name": "Claire Dubois", "office": "Conference interpreter", "language": "fr"},
    )
    assert person.status == 201, person.text()
    attendee = chair.request.post(
        f"{api}/engagements/{engagement}/attendees",
        data={"person_id": person.json()["id"], "role": "interpreter", "booth": "fr"},
    )
    assert attendee.status == 201, attendee.text()
    interpreter_id = attendee.json()["id"]
    link = chair.request.post(
        f"{api}/engagements/{engagement}/attendees/{interpreter_id}/invitations"
    ).json()["url"]

    interpreter = new_page(1280, 720)
    interpreter.goto(link)
    interpreter.goto(f"{plain_server.url}/engagements/{engagement}/interpretation/console")
    # The device check's level meter sits in its card, not across the window.
    meter = interpreter.locator("#mic-level").locator("..")
    card = interpreter.locator('[data-view="check"] .stage-card')
    meter_box, card_box = meter.bounding_box(), card.bounding_box()
    assert meter_box is not None
    assert card_box is not None
    assert card_box["x"] <= meter_box["x"]
    assert meter_box["x"] + meter_box["width"] <= card_box["x"] + card_box["width"]
    assert_accessible(interpreter, "the console's device check")
    interpreter.get_by_role("button", name="Enter the booth").click()
    expect(interpreter.get_by_role("heading", name="Waiting to be admitted")).to_be_visible()
    assert_accessible(interpreter, "the console's lobby")

    head = new_page(1280, 720)
    join(head, f"{plain_server.url}/engagements/{engagement}/meeting", heads["DE"][1])
    expect(head.get_by_role("heading", name="Waiting to be admitted")).to_be_visible()
    live = f"{api}/engagements/{engagement}/live/participants"
    for who in (heads["DE"][0], interpreter_id):
        admitted = chair.request.post(f"{live}/{who}/admit")
        assert admitted.status == 200, admitted.text()
    expect(interpreter.locator("main.booth")).to_be_visible()
    expect(head.locator("main.room")).to_be_visible()
    # Interpreters are heard, not seen: no tile.
    expect(head.locator(f'figure.tile[data-attendee="{interpreter_id}"]')).to_have_count(0)

    # The channel one hears is said in the bar, with whether a booth is on the air.
    expect(head.locator("#channel-note")).to_have_text("Floor: the original, no interpretation.")
    head.get_by_label("Listen to").select_option(label="Français")
    expect(head.locator("#channel-note")).to_contain_text("Floor (no interpreter on the air).")
    expect(head.locator("#announcer")).to_have_text("You now hear the French channel.")
    head.keyboard.press("Alt+L")
    expect(head.get_by_label("Listen to")).to_be_focused()

    # The booth asks for slower speech: the chair sees it until the floor changes hands.
    chair.goto(f"{plain_server.url}/engagements/{engagement}/meeting")
    chair.get_by_role("button", name="Join the meeting").click()
    # The secretariat's language is not known: "I speak" asks, rather than assume the first.
    speaks = chair.get_by_label("I speak")
    expect(speaks).to_have_value("")
    expect(speaks.locator("option:checked")).to_have_text("Choose the language you speak")
    interpreter.get_by_role("button", name="Ask the speaker to slow down").click()
    signal = chair.locator("#slow-down")
    expect(signal).to_have_text("The French booth asks the speaker to slow down.")
    chair.get_by_label("Inscribe every delegation in order of precedence").check()
    chair.get_by_role("button", name="Open the item").click()
    chair.get_by_role("button", name="Give the floor to the next").click()
    expect(head.locator("#my-state")).to_have_text("You have the floor — you are live")
    expect(signal).to_be_hidden()
    # The roll call names the delegations, not only their codes.
    chair.get_by_role("button", name="Call the roll").click()
    names = chair.locator("#roll-call .roll-name")
    expect(names).to_have_count(2)
    expect(names.filter(has_text="Germany")).to_have_count(1)
    expect(names.filter(has_text="South Africa")).to_have_count(1)
    expect(head.get_by_role("button", name="Germany is present")).to_be_visible()
    for size, (width, height) in SIZES.items():
        for page in (head, interpreter):
            page.set_viewport_size({"width": width, "height": height})
        assert_fits(head, f"a listener ({size})")
        assert_accessible(head, f"the room with the channel menu ({size})")
        assert_accessible(interpreter, f"the console ({size})")
        screenshot(head, f"84-room-listener-{size}")
        screenshot(interpreter, f"85-console-{size}")


def test_turning_away_is_confirmed_and_no_pin_without_a_telephone(
    plain_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    host, africa, _engagement, _links = secretariat_and_waiting(plain_server, new_page, "ZA")

    # Without a telephone gateway there is no PIN to give: the panel says why.
    expect(host.locator("#no-telephone")).to_contain_text("no telephone gateway")
    expect(host.get_by_role("button", name=re.compile("New PIN…"))).to_have_count(0)

    turn_away = host.get_by_role("button", name=re.compile("Turn away: .*Cyril Ramaphosa"))
    turn_away.click()
    dialog = host.get_by_role("dialog", name=re.compile("Turn away H.E. Cyril Ramaphosa"))
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    assert_accessible(host, "the Turn away dialog")
    dialog.get_by_role("button", name="Turn away", exact=True).click()
    expect(africa.get_by_role("heading", name="You were not admitted")).to_be_visible()
    expect(host.locator('#controls [data-count="lobby"]')).to_have_text("0")
    # His row is gone: the focus rests on the lobby's heading, not on someone else's button.
    expect(host.locator("#lobby-panel-title")).to_be_focused()


def test_everyone_waiting_is_admitted_with_one_click(
    plain_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    host, africa, engagement, links = secretariat_and_waiting(plain_server, new_page, "ZA")
    germany = new_page(1280, 720)
    join(germany, f"{plain_server.url}/engagements/{engagement}/meeting", links["DE"][1])
    expect(germany.get_by_role("heading", name="Waiting to be admitted")).to_be_visible()

    open_panel(host, "Lobby")
    admit_all = host.get_by_role("button", name="Admit everyone (2)")
    expect(admit_all).to_be_in_viewport()
    screenshot(host, "84-lobby-admit-everyone")
    admit_all.click()
    for guest in (africa, germany):
        expect(guest.get_by_role("heading", name="Waiting to be admitted")).to_be_hidden()
    expect(host.locator('#controls [data-count="lobby"]')).to_have_text("0")
    expect(host.locator("#admit-all-row")).to_be_hidden()
    expect(host.locator("#present-list")).to_contain_text("Cyril Ramaphosa")
    expect(host.locator("#present-list")).to_contain_text("Angela Merkel")
    expect(host.locator("#announcer")).to_have_text("2 people admitted.")
    screenshot(host, "85-lobby-everyone-admitted")
