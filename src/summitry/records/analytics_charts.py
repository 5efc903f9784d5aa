"""Each chart's ECharts option, made here once for the page and for the SVG or PNG a report
takes."""

from __future__ import annotations

from typing import Any

from summitry.records.analytics import Chart

# The house palette (web/static/summitry.css): navy for video, the ochre of the focus ring for
# the telephone, green for meeting in person.
CHANNEL_COLOURS = {"video": "#1d2d4f", "telephone": "#b07d1a", "in_person": "#2f6b4f"}
CHANNEL_NAMES = {"video": "Video", "telephone": "Telephone", "in_person": "In person"}
INK, MUTED, RULE = "#1b2433", "#5f6b7a", "#dcd7cc"
FONT = {"fontFamily": "Noto Sans, sans-serif", "color": INK}
TITLES = {
    "channels": "Engagements per month, by channel",
    "network": "Who met whom",
    "regions": "Counterparts by region (UN M49)",
    "rhythm": "Rhythm over the year",
}


def _title(chart: Chart, data: dict[str, Any]) -> str:
    if chart == "rhythm":
        total = sum(data["channels"].values())
        how = ", ".join(
            f"{n} {'in person' if c == 'in_person' else 'by ' + c}"
            for c, n in data["channels"].items()
            if n
        )
        said = f"{total} engagement{'' if total == 1 else 's'} in {data['year']}"
        return f"{data['name'] or 'No delegation'}: {said}" + (f" ({how})" if how else "")
    return f"{TITLES[chart]}, {data['year']}"


def _channels(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "legend": {"bottom": 0, "textStyle": FONT},
        "grid": {"left": 40, "right": 16, "top": 48, "bottom": 48},
        "xAxis": {"type": "category", "data": data["months"], "axisLabel": FONT},
        "yAxis": {"type": "value", "minInterval": 1, "axisLabel": FONT},
        "series": [
            {
                "name": CHANNEL_NAMES[c],
                "type": "bar",
                "stack": "channels",
                "data": counts,
                "itemStyle": {"color": CHANNEL_COLOURS[c]},
                "emphasis": {"focus": "series"},
            }
            for c, counts in data["channels"].items()
        ],
    }


def _network(data: dict[str, Any]) -> dict[str, Any]:
    most = max((n["engagements"] for n in data["nodes"]), default=1)
    heaviest = max((link["meetings"] for link in data["links"]), default=1)
    return {
        "series": [
            {
                "type": "graph",
                "layout": "circular",
                "circular": {"rotateLabel": True},
                # Room for the rotated labels all round the circle.
                "top": 64,
                "bottom": 40,
                "left": 48,
                "right": 48,
                "label": {"show": True, "position": "right", **FONT, "fontSize": 11},
                "data": [
                    {
                        "id": n["code"],
                        "name": n["code"],
                        "value": n["engagements"],
                        "symbolSize": 6 + 18 * n["engagements"] / most,
                        "itemStyle": {"color": "#1d2d4f"},
                        "tooltip": {"formatter": f"{n['name']}: {n['engagements']}"},
                    }
                    for n in data["nodes"]
                ],
                "links": [
                    {
                        "source": link["source"],
                        "target": link["target"],
                        "value": link["meetings"],
                        # A pair met once in a summit of thirty: faint; often: plain.
                        "lineStyle": {
                            "width": 0.4 + 4 * link["meetings"] / heaviest,
                            "opacity": 0.05 + 0.75 * (link["meetings"] / heaviest) ** 1.5,
                        },
                    }
                    for link in data["links"]
                ],
                "lineStyle": {"color": "#4a5568", "curveness": 0.2},
                "emphasis": {"focus": "adjacency"},
            }
        ],
    }


def _regions(data: dict[str, Any]) -> dict[str, Any]:
    ranked = list(reversed(data["regions"]))
    return {
        "grid": {"left": 176, "right": 32, "top": 48, "bottom": 24},
        "xAxis": {"type": "value", "minInterval": 1, "axisLabel": FONT},
        "yAxis": {"type": "category", "data": [r["region"] for r in ranked], "axisLabel": FONT},
        "series": [
            {
                "type": "bar",
                "data": [r["engagements"] for r in ranked],
                "itemStyle": {"color": "#1d2d4f"},
                "label": {"show": True, "position": "right", **FONT},
            }
        ],
    }


def _rhythm(data: dict[str, Any]) -> dict[str, Any]:
    most = max((d["engagements"] for d in data["days"]), default=1)
    return {
        "visualMap": {
            "min": 0,
            "max": max(most, 1),
            "show": False,
            "inRange": {"color": ["#e4e9f2", "#1d2d4f"]},
        },
        "calendar": {
            "range": str(data["year"]),
            "top": 64,
            "left": 40,
            "right": 16,
            "cellSize": ["auto", 16],
            "itemStyle": {"borderColor": "#ffffff", "color": "#f7f5f0"},
            "splitLine": {"lineStyle": {"color": RULE}},
            "dayLabel": {"firstDay": 1, **FONT, "fontSize": 10},
            "monthLabel": {**FONT, "nameMap": "EN"},
            "yearLabel": {"show": False},
        },
        "series": [
            {
                "type": "heatmap",
                "coordinateSystem": "calendar",
                "data": [[d["date"], d["engagements"]] for d in data["days"]],
            }
        ],
    }


BUILDERS = {"channels": _channels, "network": _network, "regions": _regions, "rhythm": _rhythm}


def option(chart: Chart, data: dict[str, Any], *, animation: bool = True) -> dict[str, Any]:
    """The ECharts option that draws ``chart`` from its data."""
    made = BUILDERS[chart](data)
    made.update(
        title={
            "text": _title(chart, data),
            "left": 0,
            "textStyle": {**FONT, "fontSize": 15, "fontWeight": "normal"},
        },
        tooltip={"trigger": "axis" if chart in ("channels", "regions") else "item"},
        textStyle=FONT,
        animation=animation,
        aria={"enabled": True},
    )
    return made
