"""The engagement pages in the browser: axe-core finds no WCAG 2.2 AA violation on any page
or state, controls and the focus ring stand out at 3:1, links go out to everyone at once, and
nothing destructive happens without a dialog that names who is affected."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import LiveServer, screenshot, sign_in

pytestmark = pytest.mark.e2e

SIZES = ((1280, 720), (390, 844))

# The effective colours of an element: its own, and the first opaque background behind it.
COLOURS = """(el) => {
  const style = getComputedStyle(el);
  let node = el.parentElement, behind = "rgba(0, 0, 0, 0)";
  while (node) {
    const bg = getComputedStyle(node).backgroundColor;
    if (!/rgba\\(.*, 0\\)$/.test(bg) && bg !== "transparent") { behind = bg; break; }
    node = node.parentElement;
  }
  return { border: style.borderTopColor, outline: style.outlineColor,
           outlineStyle: style.outlineStyle, outlineWidth: style.outlineWidth,
           own: style.backgroundColor, behind };
}"""


def _rgb(css: str) -> tuple[int, int, int]:
    found = re.findall(r"[\d.]+", css)
    assert len(found) >= 3, css
    return int(float(found[0])), int(float(found[1])), int(float(found[2]))


def contrast(a: str, b: str) -> float:
    """WCAG's contrast ratio between two CSS colours."""

    def luminance(css: str) -> float:
        def channel(v: int) -> float:
            c = v / 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b_ = (channel(v) for v in _rgb(css))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_is_computed_as_wcag_says() -> None:
    assert round(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 1) == 21.0
    assert round(contrast("rgb(169, 178, 195)", "rgb(255, 255, 255)"), 2) == 2.13  # the old edge
    assert contrast("rgb(118, 118, 118)", "rgb(255, 255, 255)") > 4.5


def _plan(page: Page, server: LiveServer, title: str) -> str:
    page.goto(f"{server.url}/engagements/new")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Date").fill("2026-12-14")
    page.get_by_label("Starts").fill("14:00")
    page.get_by_label("Host", exact=True).fill("France (FR)")
    page.get_by_label("Delegation 1", exact=True).fill("China (CN)")
    page.get_by_label("Delegation 2", exact=True).fill("Germany (DE)")
    page.get_by_role("button", name="Plan the engagement").click()
    page.wait_for_url(re.compile(r"/engagements/\d+$"))
    return page.url


def _invite(page: Page, code: str, name: str, office: str) -> None:
    page.get_by_label("Delegation", exact=True).select_option(code)
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Office").fill(office)
    page.get_by_label("Role").select_option("head_of_delegation")
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.locator("ol.delegations")).to_contain_text(name)


def test_controls_and_the_focus_ring_stand_out_at_three_to_one(
    live_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/engagements/new")
    checked = 0
    for control in page.locator("input:not([type=hidden]):not([type=checkbox]), select").all():
        colours = control.evaluate(COLOURS)
        behind = colours["behind"]
        ratio = contrast(colours["border"], behind)
        assert ratio >= 3, f"{control.get_attribute('id')}: border {ratio:.2f}:1 on {behind}"
        checked += 1
    for button in page.locator("main button.secondary").all():
        colours = button.evaluate(COLOURS)
        ratio = contrast(colours["border"], colours["behind"])
        assert ratio >= 3, f"{button.text_content()}: boundary {ratio:.2f}:1"
        checked += 1
    assert checked >= 8
    # The focus ring, as the keyboard shows it, on each kind of control of a light page.
    for selector in ("#title", "#kind", "main button.secondary", "main button:not(.secondary)"):
        page.locator(selector).first.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focus by keyboard, so :focus-visible applies
        colours = page.evaluate(f"({COLOURS})(document.activeElement)")
        assert colours["outlineStyle"] != "none", selector
        assert float(colours["outlineWidth"].removesuffix("px")) >= 2, selector
        ratio = contrast(colours["outline"], colours["behind"])
        assert ratio >= 3, f"{selector}: focus ring {ratio:.2f}:1 on {colours['behind']}"


def test_the_skip_link_shows_itself_to_the_keyboard(
    live_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    page.goto(f"{live_server.url}/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["y"] >= 0
    assert box["width"] > 40
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))  # the fragment is followed, not at once
    icon = page.request.get(f"{live_server.url}/favicon.ico")
    assert icon.status == 200


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_inviting_at_scale_with_confirmations_and_no_violation(
    live_server: LiveServer, new_page: Callable[..., Page], width: int, height: int
) -> None:
    size = f"{width}x{height}"
    page = new_page(width, height)
    page.goto(f"{live_server.url}/login")
    assert_accessible(page, "the login page")
    sign_in(page, live_server)
    assert_accessible(page, "the engagement list")

    # The form with errors: each beside its field, in plain words, what was typed kept.
    page.goto(f"{live_server.url}/engagements/new")
    page.get_by_label("Title").fill("Ministerial video meeting on fisheries")
    page.get_by_label("Date").fill("14/12/2026")
    page.get_by_role("button", name="Plan the engagement").click()
    expect(page.locator("#date-error")).to_contain_text("year-month-day, e.g. 2026-12-14")
    expect(page.get_by_label("Title")).to_have_value("Ministerial video meeting on fisheries")
    screenshot(page, f"90-form-errors-{size}")

    url = _plan(page, live_server, f"Fisheries ministers {size}")
    _invite(page, "FR", "Jean-Noël Barrot", "Minister for Europe and Foreign Affairs")
    _invite(page, "DE", "Annalena Baerbock", "Federal Minister for Foreign Affairs")
    _invite(page, "CN", "Wang Yi", "Minister of Foreign Affairs")

    # The invite form refused: the error beside the name, everything else still there.
    page.get_by_label("Delegation", exact=True).select_option("DE")
    page.get_by_label("Office").fill("Minister of State for Europe")
    page.get_by_label("Role").select_option("delegate")
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.locator("#name-error")).to_have_text("This is required")
    expect(page.get_by_label("Office")).to_have_value("Minister of State for Europe")
    expect(page.get_by_label("Delegation", exact=True)).to_have_value("DE")
    expect(page.get_by_label("Role")).to_have_value("delegate")
    screenshot(page, f"93-invite-form-error-{size}")

    # Withdrawing the host: the refusal sits on the host's own row.
    page.goto(url)
    host_row = page.locator("ol.delegations > li").filter(has_text="France")
    host_row.get_by_role("button", name="Withdraw France").click()
    expect(page.get_by_role("dialog")).to_contain_text("France is taken off this engagement")
    page.get_by_role("dialog").get_by_role("button", name="Withdraw France").click()
    expect(host_row.locator(".field-error")).to_contain_text("France hosts this engagement")

    page.goto(url)
    assert_accessible(page, "one engagement, as the secretariat")
    page.get_by_role("button", name="Issue links for everyone").click()
    shown = page.locator("[data-testid=issued-for-everyone] input[data-secret]")
    expect(shown).to_have_count(3)
    for field in shown.all():
        expect(field).to_have_attribute("type", "password")
    page.get_by_role("button", name="Show: Wang Yi").click()
    expect(page.get_by_label("Wang Yi", exact=True)).to_have_attribute("type", "text")
    page.get_by_role("button", name="Hide: Wang Yi").click()
    expect(page.get_by_label("Wang Yi", exact=True)).to_have_attribute("type", "password")
    link = page.get_by_label("Annalena Baerbock", exact=True).input_value()
    screenshot(page, f"91-links-for-everyone-{size}")

    # Reissuing is confirmed in a dialog, and Cancel changes nothing.
    page.goto(url)
    page.get_by_role("button", name="Reissue all links").click()
    dialog = page.get_by_role("dialog", name="Reissue every link?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Every link issued so far stops working")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    screenshot(page, f"92-confirm-dialog-{size}")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Reissue all links")).to_be_focused()
    assert page.url == url

    # Removing a person names them; after it, the next row's Remove is not under the pointer
    # (the pointer rests where the dialog's button was).
    rows = page.locator("#invitations tbody tr")
    expect(rows).to_have_count(3)
    page.get_by_role("button", name="Remove Wang Yi from this engagement").click()
    remove = page.get_by_role("dialog", name="Remove Wang Yi?")
    expect(remove).to_contain_text("Wang Yi (head of delegation, China) is struck off")
    go = remove.get_by_role("button", name="Remove Wang Yi")
    box = go.bounding_box()
    assert box is not None
    go.click()
    expect(rows).to_have_count(2)
    under = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.closest('button')?.textContent ?? ''",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert "Remove" not in under, under
    assert "Withdraw" not in under, under

    # The invitee's pages.
    guest = new_page(width, height)
    guest.goto(link)
    guest.wait_for_url(re.compile(r"/engagements/\d+$"))
    expect(guest.get_by_text("You attend as head of delegation")).to_be_visible()
    assert_accessible(guest, "one engagement, as an invitee")
    guest.get_by_role("link", name="My engagements").click()
    assert_accessible(guest, "my engagements")

    page.goto(f"{live_server.url}/engagements/calendar?month=2026-12")
    assert_accessible(page, "the calendar")
    page.goto(f"{url}/speaking-log")
    assert_accessible(page, "the speaking log")
    page.goto(f"{live_server.url}/engagements?sort=-title")
    assert_accessible(page, "the engagement list, sorted")
    # An engagement that does not exist: the error page, in words, with a way back.
    missing = page.goto(f"{live_server.url}/engagements/999999")
    assert missing is not None
    assert missing.status == 404
    expect(page.get_by_role("link", name="Back to the start")).to_be_visible()
    screenshot(page, f"94-not-found-{width}x{height}")
