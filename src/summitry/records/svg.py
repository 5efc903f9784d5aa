"""A chart drawn as SVG on the server, for reports: ECharts' SSR mode run by Node."""

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


class RenderingUnavailable(SummitryError):
    """The server cannot draw the chart (Node or ECharts missing, or Node failed)."""

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
