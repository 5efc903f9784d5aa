"""A chart drawn on the server, for reports: as SVG by ECharts' SSR mode run by Node, and as
PNG from that SVG by CairoSVG."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

from summitry.errors import SummitryError

SCRIPT = Path(__file__).with_name("render") / "chart.cjs"
# Copied there from npm by scripts/vendor, as the pages load it.
ECHARTS = Path(__file__).parents[1] / "web" / "static" / "vendor" / "echarts" / "dist"
ECHARTS_JS = ECHARTS / "echarts.min.js"
TIME_LIMIT_S = 20.0
PNG_SCALE = 2.0
"""A PNG has twice the pixels of the SVG's size: crisp when a report is printed."""
_ONE_PNG_AT_A_TIME = asyncio.Semaphore(1)
"""The largest PNG takes Cairo about 190 MB: many asked at once must not add up."""


class RenderingUnavailable(SummitryError):
    """The server cannot draw the chart (Node, ECharts or Cairo missing, or Node failed)."""

    code = "rendering_unavailable"
    status = 503


async def render_svg(option: dict[str, Any], width: int = 900, height: int = 420) -> str:
    """The SVG of ``option``, drawn by Node within TIME_LIMIT_S seconds."""
    node = shutil.which("node")
    if node is None:
        raise RenderingUnavailable("Node.js is not installed here: apt-get install nodejs")
    if not ECHARTS_JS.is_file():
        raise RenderingUnavailable(f"{ECHARTS_JS} is missing: run scripts/vendor")
    process = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        str(ECHARTS_JS),
        str(width),
        str(height),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(
            process.communicate(json.dumps(option).encode()), TIME_LIMIT_S
        )
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RenderingUnavailable(f"the chart took over {TIME_LIMIT_S:.0f} s to draw") from None
    if process.returncode != 0 or not out.startswith(b"<svg"):
        lines = err.decode(errors="replace").strip().splitlines()
        detail = next((line for line in lines if "Error" in line), lines[-1] if lines else "")
        raise RenderingUnavailable(f"Node could not draw the chart: {detail or 'no output'}")
    return out.decode()


async def render_png(
    option: dict[str, Any], width: int = 900, height: int = 420, scale: float = PNG_SCALE
) -> bytes:
    """The PNG of ``option`` on white, ``scale`` times the SVG's ``width`` and ``height``."""
    svg = await render_svg(option, width, height)
    # A quarter of a second of work, seconds at the largest size: kept off the event loop.
    async with _ONE_PNG_AT_A_TIME:
        return await asyncio.to_thread(_png_of, svg, scale)


def _png_of(svg: str, scale: float) -> bytes:
    # Imported here: CairoSVG loads Cairo and Pillow, which a process drawing no PNG (the CLI, a
    # server nobody asks for one) should not pay for at start-up.
    try:
        import cairosvg
    except OSError:  # cairocffi's, when it finds no libcairo
        missing = "Cairo is not installed here: apt-get install libcairo2"
        raise RenderingUnavailable(missing) from None
    # White, not transparent: a chart on a transparent ground vanishes in a dark document.
    png: bytes = cairosvg.svg2png(bytestring=svg.encode(), scale=scale, background_color="white")
    return png
