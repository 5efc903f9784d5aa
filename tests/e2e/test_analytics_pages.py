"""The archive and the analytics of the demo's 2020 calendar, as an analyst first sees them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, screenshot, sign_in

pytestmark = pytest.mark.e2e

CHARTS = ("channels", "rhythm", "network", "regions")
DRAWN = """el => {
  const chart = echarts.getInstanceByDom(el);
  const box = el.getBoundingClientRect();
  const drawn = el.querySelector('svg, canvas');
  return {width: box.width, height: box.height, drawn: drawn !== null,
          points: chart ? chart.getOption().series[0].data.length : 0};
}"""


def test_the_archive_filters_the_2020_calendar(
    demo_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    sign_in(page, demo_server)
    page.goto(f"{demo_server.url}/archive")
    expect(page.get_by_role("heading", level=1)).to_have_text("Archive")
    expect(page.locator(".lede")).to_contain_text("35 engagements match")
    expect(page.get_by_role("link", name="Search readouts and documents")).to_have_attribute(
        "href", "/search"
    )
    screenshot(page, "55-archive")

    page.get_by_label("Counterpart").fill("CN")
    page.get_by_label("Channel").select_option("telephone")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.archive tbody tr")
    # Xi's calls of 2020: Guterres, Lacalle Pou, Trump, Putin twice, Merkel.
    expect(rows).to_have_count(6)
    expect(page.locator(".lede")).to_contain_text("6 engagements match: 0 by video, 6 by telephone")
    expect(rows.first).to_contain_text("Uruguay")
    screenshot(page, "56-archive-china-by-telephone")


def test_analytics_show_2020_at_first_sight(
    demo_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page(1280, 900)
    sign_in(page, demo_server)
    page.goto(f"{demo_server.url}/analytics")
    expect(page.get_by_role("heading", level=1)).to_have_text("Analytics, 2020")
    for chart in CHARTS:
        drawn = page.locator(f"#chart-{chart}").evaluate(DRAWN)
        assert drawn["drawn"], chart
        assert drawn["width"] > 300, drawn
        assert drawn["height"] > 150, drawn
        assert drawn["points"] > 0, (chart, drawn)
    # China's rhythm is the one drawn first: it took part in more engagements than anyone.
    expect(page.locator("#chart-rhythm")).to_contain_text(
        "China: 19 engagements in 2020 (13 by video, 6 by telephone)"
    )
    expect(page.locator("#chart-channels")).to_contain_text("Telephone")
    screenshot(page, "57-analytics-2020")

    page.get_by_label("Delegation", exact=True).select_option("IN")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#chart-rhythm")).to_contain_text("India: ")
    expect(page.locator(".lede")).to_contain_text("with India")
    screenshot(page, "58-analytics-india-2020")

    # The same charts drawn by the server, as a report takes them: shown here side by side.
    exports = page.locator("#chart-network ~ .exports")
    expect(exports.get_by_role("link", name="PNG")).to_have_attribute(
        "href", "/analytics/network.png?year=2020&delegation=IN"
    )
    svg = page.request.get(f"{demo_server.url}/analytics/network.svg?year=2020")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert ">CN</text>" in svg.text()
    _show_for_a_report(page, "svg", natural_width=900)
    screenshot(page, "59-analytics-svg-for-a-report")

    # As PNG, for a report that takes no SVG: twice as many pixels, shown at the SVG's size.
    png = page.request.get(f"{demo_server.url}/analytics/network.png?year=2020")
    assert png.headers["content-type"] == "image/png"
    _show_for_a_report(page, "png", natural_width=1800)
    screenshot(page, "59b-analytics-png-for-a-report")


def _show_for_a_report(page: Page, form: str, natural_width: int) -> None:
    """Puts every chart of 2020 as the server draws it in ``form`` in the page, 900 wide."""
    page.locator("main").evaluate(
        """(main, [form, charts]) => {
             main.innerHTML = `<h1>Charts for a report, as ${form.toUpperCase()}</h1>` + charts.map(
               c => `<img src="/analytics/${c}.${form}?year=2020" alt="${c}" width="900">`
             ).join('') }""",
        [form, list(CHARTS)],
    )
    for chart in CHARTS:
        expect(page.get_by_role("img", name=chart)).to_have_js_property("complete", True)
        width = page.get_by_role("img", name=chart).evaluate("img => img.naturalWidth")
        assert width == natural_width, chart
