"""The archive of every engagement, and the analytics drawn from it (in the page, and as SVG
or PNG for reports)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from summitry.deps import Db, PagePrincipal
from summitry.engagements.calendar import CalendarFilter, CalendarPage, calendar_page
from summitry.engagements.models import Channel, EngagementKind
from summitry.records.analytics import CHARTS, DATA, Chart, scope
from summitry.records.analytics_charts import CHANNEL_NAMES, option
from summitry.records.svg import render_png, render_svg
from summitry.security.principals import require_signed_in
from summitry.security.visibility import engagement_ids_visible, may_see_details
from summitry.web.rendering import render

router = APIRouter()
PAGE_SIZE = 50
HEIGHTS = {"channels": 380, "rhythm": 190, "network": 460, "regions": 460}
"""Each chart's height in pixels, as static/analytics.css gives it on the page."""
Text = Annotated[str, Query(max_length=200)]


def _day(text: str) -> dt.date | None:
    # A filter form sends empty fields for "any"; a date it cannot read is read as "any" too.
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _summary(shown: CalendarPage) -> str:
    """How many engagements match, and how many by each channel."""
    if shown.total == 0:
        return "No engagement matches."
    counts = ", ".join(
        f"{shown.by_channel.get(c, 0)} {'in person' if c is Channel.IN_PERSON else 'by ' + c}"
        for c in Channel
    )
    one = shown.total == 1
    return f"{shown.total} {'engagement matches' if one else 'engagements match'}: {counts}."


@router.get("/archive")
async def archive(
    request: Request,
    db: Db,
    principal: PagePrincipal,
    counterpart: Annotated[str, Query(max_length=12)] = "",
    kind: Annotated[str, Query(max_length=24)] = "",
    channel: Annotated[str, Query(max_length=24)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    topic: Annotated[str, Query(max_length=40)] = "",
    outcome: Text = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    who = require_signed_in(principal)
    among = engagement_ids_visible(who)
    found = CalendarFilter(
        counterpart=counterpart.strip().upper() or None,
        kind=next((k for k in EngagementKind if k.value == kind), None),
        channel=next((c for c in Channel if c.value == channel), None),
        since=_day(since),
        until=_day(until),
        topic=topic.strip().lower() or None,
        outcome=outcome.strip() or None,
    )
    shown = await calendar_page(
        db, found, among=among, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    query = {
        "counterpart": counterpart, "kind": kind, "channel": channel, "since": since,
        "until": until, "topic": topic, "outcome": outcome,
    }  # fmt: skip
    return render(
        request,
        "records/archive.html",
        shown=shown,
        summary=_summary(shown),
        details={e.id: may_see_details(who, e) for e in shown.engagements},
        filters=query,
        kinds=list(EngagementKind),
        channels=list(Channel),
        channel_names=CHANNEL_NAMES,
        page=page,
        pages=max(1, -(-shown.total // PAGE_SIZE)),
        link=lambda **change: "?" + urlencode({**query, **change}),
    )


@router.get("/analytics")
async def analytics(
    request: Request,
    db: Db,
    principal: PagePrincipal,
    year: Annotated[str, Query(max_length=4)] = "",
    delegation: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    who = require_signed_in(principal)
    among = engagement_ids_visible(who)
    chosen = await scope(db, among, int(year) if year.isdigit() else None, delegation or None)
    charts = {chart: option(chart, DATA[chart](chosen)) for chart in CHARTS}
    codes = sorted({c for r in chosen.rows for c in r.codes} | {chosen.delegation or ""} - {""})
    query = urlencode({"year": chosen.year, "delegation": chosen.delegation or ""})
    return render(
        request,
        "records/analytics.html",
        scope=chosen,
        years=chosen.years or [chosen.year],
        delegations=[(c, chosen.names.get(c, c)) for c in codes],
        charts={chart: json.dumps(o, ensure_ascii=False) for chart, o in charts.items()},
        query=query,
        total=len(chosen.rows),
        archive_link="?"
        + urlencode(
            {
                "counterpart": chosen.delegation or "",
                "since": f"{chosen.year}-01-01",
                "until": f"{chosen.year}-12-31",
            }
        ),
    )


@dataclass(frozen=True)
class ForReport:
    """A chart as a report takes it: still (not animated), and the size to draw it."""

    option: dict[str, Any]
    width: int
    height: int


async def _for_report(
    chart: Chart,
    db: Db,
    principal: PagePrincipal,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    delegation: Annotated[str | None, Query(max_length=12)] = None,
    width: Annotated[int, Query(ge=200, le=4000)] = 900,
    height: Annotated[int | None, Query(ge=150, le=3000)] = None,
) -> ForReport:
    """The chart with what the principal may see (by default as tall as the page draws it)."""
    among = engagement_ids_visible(require_signed_in(principal))
    data = DATA[chart](await scope(db, among, year, delegation))
    return ForReport(option(chart, data, animation=False), width, height or HEIGHTS[chart])


Drawn = Annotated[ForReport, Depends(_for_report)]


@router.get("/analytics/{chart}.svg")
async def chart_svg(drawn: Drawn) -> Response:
    """The chart drawn on the server as SVG, for a report."""
    svg = await render_svg(drawn.option, drawn.width, drawn.height)
    return Response(svg, media_type="image/svg+xml")


@router.get("/analytics/{chart}.png")
async def chart_png(drawn: Drawn) -> Response:
    """The same chart as PNG, for a report that takes no SVG: twice the size asked, on white."""
    png = await render_png(drawn.option, drawn.width, drawn.height)
    return Response(png, media_type="image/png")
