"""axe-core (npm) run in the page: a page or state with a WCAG 2.2 AA violation fails its test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

RUN = """(tags) => axe.run(document, { runOnly: { type: "tag", values: tags } }).then((result) =>
  result.violations.map((v) => ({
    id: v.id,
    help: v.help,
    nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
  })))"""


# WCAG 1.4.10 (reflow): nothing when the page does not scroll sideways; else the innermost
# elements that reach past the screen's right edge, those outside any scrolling frame first
# (an absolutely placed element escapes a frame that is not its containing block).
WIDER_THAN_THE_SCREEN = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth + 1) return [];
  const framed = (e) => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  const past = [...document.body.querySelectorAll("*")]
    .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 1);
  const innermost = (list) => list.filter((e) => !list.some((o) => o !== e && e.contains(o)));
  const loose = innermost(past.filter((e) => !framed(e)));
  return (loose.length ? loose : innermost(past)).slice(0, 6)
    .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}`
      + `${e.className ? "." + String(e.className).split(" ").join(".") : ""}`
      + ` (${Math.round(e.getBoundingClientRect().right)}px)`);
}"""


def violations(page: Page) -> list[dict[str, Any]]:
    """What axe finds against WCAG 2.2 AA in the page as it is now."""
    # Evaluated through the DevTools protocol, so our Content-Security-Policy (no inline
    # scripts) does not stop the engine, and the page itself loads nothing it would not.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    found: list[dict[str, Any]] = page.evaluate(RUN, WCAG_22_AA)
    return found


def assert_accessible(page: Page, state: str) -> None:
    """Fail with each violation, its rule and the elements that break it."""
    found = violations(page)
    lines = [f"{v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in found]
    assert not found, f"{state}: {len(found)} WCAG 2.2 AA violations\n" + "\n".join(lines)
    # Wide tables scroll inside their own frame; the page itself never scrolls sideways.
    past = page.evaluate(WIDER_THAN_THE_SCREEN)
    assert not past, f"{state}: the page is wider than the screen, reaching past it: {past}"
