"""Analytics of the demo's 2020 calendar: each chart's data equals what the data file says,
its exports agree, and the server draws it as SVG and as PNG."""

from __future__ import annotations

import csv
import io
import itertools
import json
import struct
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.demo.loader import load_demo
from summitry.engagements.models import Engagement, Role
from summitry.engagements.operations import get_engagement

DATA = Path(__file__).parents[2] / "src" / "summitry" / "demo" / "engagements-2020.json"


def _dataset() -> list[dict[str, Any]]:
    return list(json.loads(DATA.read_text()))


def _codes(entry: dict[str, Any]) -> set[str]:
    """Who took part, as the data names them (China is always CN there)."""
    return {p["delegation"] for p in entry["participants"] if p["delegation"]} | (
        {entry["host"]} if entry["host"] else set()
    )


async def test_the_demo_years_charts_are_the_data_files(
    db: AsyncSession, secretariat: httpx.AsyncClient
) -> None:
    # One load of the demo for every chart: it takes seconds.
    await load_demo(db, password="demo-password-for-tests")
    await _per_month_by_channel(secretariat)
    await _china_rhythm_and_network(secretariat)
    await _regions(secretariat)
    for chart in ("channels", "network", "regions", "rhythm"):
        await _exports_agree(secretariat, chart)
    await _svg(secretariat)
    await _png(secretariat)

    # A demo loaded before the calendar's fields existed has them filled by the next load.
    slug = "china-eu-leaders-meeting-2020-09-14"
    await db.execute(
        update(Engagement).where(Engagement.slug == slug).values(topics=[], outcomes=[])
    )
    await db.commit()
    await load_demo(db)
    completed = await db.scalar(select(Engagement).where(Engagement.slug == slug))
    assert completed is not None
    await db.refresh(completed)
    assert completed.topics == ["trade", "investment"]
    assert completed.outcomes[0].startswith("EU–China Agreement on Geographical Indications")
    # The engagement's page gives them, its topics leading to the archive.
    page = (await secretariat.get(f"/engagements/{completed.id}")).text
    assert "EU–China Agreement on Geographical Indications signed" in page
    assert 'href="/archive?topic=trade"' in page


async def _per_month_by_channel(secretariat: httpx.AsyncClient) -> None:
    # Every engagement of 2020 in the file was held at a distance: calls by telephone, the
    # rest (ceremonies included, "virtual session") by video.
    expected: Counter[tuple[int, str]] = Counter(
        (int(e["date"][5:7]), "telephone" if e["kind"] == "telephone_call" else "video")
        for e in _dataset()
    )
    response = await secretariat.get("/api/v1/analytics/channels")  # the latest year held
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["year"] == 2020
    assert data["months"][0] == "Jan"
    assert data["months"][11] == "Dec"
    for channel in ("video", "telephone", "in_person"):
        assert data["channels"][channel] == [expected[(m, channel)] for m in range(1, 13)]
    assert sum(sum(v) for v in data["channels"].values()) == len(_dataset())


async def _china_rhythm_and_network(secretariat: httpx.AsyncClient) -> None:
    china = Counter(e["date"] for e in _dataset() if "CN" in _codes(e))
    rhythm = (await secretariat.get("/api/v1/analytics/rhythm?year=2020")).json()
    # China took part in more engagements than anyone: its rhythm is the one shown first.
    assert rhythm["delegation"] == "CN"
    assert {d["date"]: d["engagements"] for d in rhythm["days"]} == dict(china)
    calls = sum(1 for e in _dataset() if "CN" in _codes(e) and e["kind"] == "telephone_call")
    assert rhythm["channels"] == {
        "video": sum(china.values()) - calls,
        "telephone": calls,
        "in_person": 0,
    }
    assert sum(china.values()) > 12  # the seed's "frequent rhythm": more than one a month

    network = (await secretariat.get("/api/v1/analytics/network?year=2020")).json()
    links = {(link["source"], link["target"]): link["meetings"] for link in network["links"]}
    both = sum(1 for e in _dataset() if {"CN", "RU"} <= _codes(e))
    assert links[("CN", "RU")] == both
    assert network["nodes"][0]["code"] == "CN"
    assert network["nodes"][0]["engagements"] == sum(china.values())

    with_china = (await secretariat.get("/api/v1/analytics/channels?delegation=cn")).json()
    assert sum(sum(v) for v in with_china["channels"].values()) == sum(china.values())


async def _regions(secretariat: httpx.AsyncClient) -> None:
    data = (await secretariat.get("/api/v1/analytics/regions?year=2020")).json()
    counts = {r["region"]: r["engagements"] for r in data["regions"]}
    assert {"Africa", "Americas", "Asia", "Europe", "Oceania"} <= set(counts)
    # Every engagement with China reached Asia; only the multilateral ones reached Oceania.
    assert counts["Asia"] >= sum(1 for e in _dataset() if "CN" in _codes(e))
    assert counts["Oceania"] < counts["Asia"]
    assert counts["International organisations"] >= 1


async def _exports_agree(secretariat: httpx.AsyncClient, chart: str) -> None:
    as_json = await secretariat.get(f"/api/v1/analytics/{chart}.json?year=2020")
    as_csv = await secretariat.get(f"/api/v1/analytics/{chart}.csv?year=2020")
    assert as_json.status_code == as_csv.status_code == 200
    assert "attachment" in as_csv.headers["content-disposition"]
    assert as_csv.headers["content-type"].startswith("text/csv")
    data = as_json.json()
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    if chart == "channels":
        assert [int(r["video"]) for r in rows] == data["channels"]["video"]
        assert [int(r["telephone"]) for r in rows] == data["channels"]["telephone"]
    elif chart == "network":
        assert [(r["source"], r["target"], int(r["meetings"])) for r in rows] == [
            (link["source"], link["target"], link["meetings"]) for link in data["links"]
        ]
    elif chart == "regions":
        assert {r["region"]: int(r["engagements"]) for r in rows} == {
            r["region"]: r["engagements"] for r in data["regions"]
        }
    else:
        assert [(r["date"], int(r["engagements"])) for r in rows] == [
            (d["date"], d["engagements"]) for d in data["days"]
        ]
        assert {r["delegation"] for r in rows} == {"CN"}


async def _svg(secretariat: httpx.AsyncClient) -> None:
    channels = await secretariat.get("/analytics/channels.svg?year=2020")
    assert channels.status_code == 200, channels.text
    assert channels.headers["content-type"] == "image/svg+xml"
    svg = channels.text
    assert svg.startswith("<svg")
    assert "Engagements per month, by channel, 2020" in svg
    assert all(month in svg for month in ("Jan", "Jun", "Dec"))
    assert "Telephone" in svg
    assert "Video" in svg
    rhythm = (await secretariat.get("/analytics/rhythm.svg?year=2020&width=800")).text
    assert rhythm.startswith('<svg width="800"')
    assert "China: 19 engagements in 2020 (13 by video, 6 by telephone)" in rhythm
    network = (await secretariat.get("/analytics/network.svg?year=2020")).text
    assert ">CN<" in network
    assert ">RU<" in network
    refused = await secretariat.get("/analytics/bars.svg")
    assert refused.status_code == 422


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PAGE_HEIGHTS = {"channels": 380, "rhythm": 190, "network": 460, "regions": 460}


def _png_size(png: bytes) -> tuple[int, int]:
    """The width and height a PNG's header (its IHDR chunk, always the first) gives."""
    assert png[:8] == PNG_SIGNATURE, png[:16]
    _, kind, width, height = struct.unpack(">I4sII", png[8:24])
    assert kind == b"IHDR"
    return width, height


async def _png(secretariat: httpx.AsyncClient) -> None:
    for chart, tall in PAGE_HEIGHTS.items():
        response = await secretariat.get(f"/analytics/{chart}.png?year=2020")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "image/png"
        # Twice the SVG's size (900 wide, as tall as the page draws it), for print.
        assert _png_size(response.content) == (1800, 2 * tall), chart
        image = Image.open(io.BytesIO(response.content)).convert("RGBA")
        # On opaque white, not transparent: it must show in a dark document too.
        assert image.getchannel("A").getextrema() == (255, 255), chart
        assert image.getpixel((image.width - 1, 0)) == (255, 255, 255, 255), chart
        colours = image.getcolors(maxcolors=image.width * image.height) or []
        white = {c: n for n, c in colours}.get((255, 255, 255, 255), 0)
        assert len(colours) > 100, (chart, len(colours))  # bars, lines and smoothed text
        assert white < 0.9 * image.width * image.height, chart
        # The title, top left where nothing else is drawn, is there in ink: text is drawn.
        title = image.crop((0, 0, 400, 90)).convert("L").histogram()
        assert sum(title[:100]) > 500, (chart, sum(title[:100]))

    sized = await secretariat.get("/analytics/rhythm.png?year=2020&width=800&height=300")
    assert _png_size(sized.content) == (1600, 600)
    refused = await secretariat.get("/analytics/bars.png")
    assert refused.status_code == 422
    assert "Chart: Input should be &#39;channels&#39;, &#39;network&#39;" in refused.text
    too_narrow = await secretariat.get("/analytics/network.png?width=20")
    assert too_narrow.status_code == 422
    assert "Width: Input should be greater than or equal to 200" in too_narrow.text


async def test_an_invitee_counts_only_what_they_may_see(
    db: AsyncSession, make_engagement: Any, make_invitee: Any
) -> None:
    mine = await make_engagement(("CN", "RU"), kind="telephone_call")
    other = await make_engagement(("CN", "DE"))
    invited, _, _ = await make_invitee(await get_engagement(db, mine.id), Role.DELEGATE)
    data = (await invited.get("/api/v1/analytics/channels?year=2020")).json()
    assert data["channels"]["telephone"][8] == 1
    assert sum(itertools.chain(*data["channels"].values())) == 1
    page = await invited.get("/archive")
    assert page.status_code == 200
    assert mine.title.replace("'", "&#39;") in page.text
    assert other.title.replace("'", "&#39;") not in page.text
    await invited.aclose()


async def test_a_chart_for_a_report_is_drawn_only_for_the_signed_in(
    client: httpx.AsyncClient,
) -> None:
    for form in ("svg", "png"):
        response = await client.get(f"/analytics/network.{form}?year=2020")
        assert response.status_code == 401, (form, response.status_code)
        assert response.headers["content-type"].startswith("text/html")
        assert "Sign in" in response.text
