"""Handoff benchmark: one SQLite statement through aiosqlite while the event loop is busy,
with Python's default switch interval and with the one ``summitry serve`` sets.

The statement crosses to aiosqlite's thread and back three times (execute, fetch, close);
each crossing needs the interpreter's lock, which a busy event loop gives up only when the
thread has waited the switch interval. The loop is kept busy as a server's is under 1,000
live connections: a few tasks running Python in slices of 2 ms. The clock starts when the
statement is awaited and stops when its rows are in hand. Idle: the same statement with the
loop doing nothing else.

    .venv/bin/python bench/handoff.py [--statements 400]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import aiosqlite

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.stage import percentile  # noqa: E402 - needs the path above

from summitry.app import SWITCH_INTERVAL  # noqa: E402

DEFAULT_INTERVAL = 0.005
SLICE = 0.002
BUSY_TASKS = 3


async def timed_statements(path: Path, count: int, busy: bool) -> list[float]:
    """Milliseconds for each of ``count`` reads of one row, the loop busy or not."""
    stop = asyncio.Event()

    async def keep_busy() -> None:
        while not stop.is_set():
            began = time.perf_counter()
            while time.perf_counter() - began < SLICE:
                sum(range(200))
            await asyncio.sleep(0)

    workers = [asyncio.create_task(keep_busy()) for _ in range(BUSY_TASKS if busy else 0)]
    times = []
    async with aiosqlite.connect(path) as db:
        for _ in range(count):
            began = time.perf_counter()
            async with db.execute("SELECT seq FROM events WHERE seq = ?", (7,)) as cursor:
                await cursor.fetchall()
            times.append((time.perf_counter() - began) * 1000)
    stop.set()
    await asyncio.gather(*workers)
    return times


async def main(count: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "handoff.sqlite"
        async with aiosqlite.connect(path) as db:
            await db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, body TEXT)")
            await db.executemany("INSERT INTO events VALUES (?, ?)", [(i, "x") for i in range(100)])
            await db.commit()
        result: dict[str, object] = {
            "t0": "the statement is awaited",
            "t1": "its rows are in hand",
            "statements": count,
            "busy_tasks": BUSY_TASKS,
            "slice_ms": SLICE * 1000,
        }
        sys.setswitchinterval(DEFAULT_INTERVAL)
        idle = await timed_statements(path, count, busy=False)
        p50 = {}
        for name, interval in (("default", DEFAULT_INTERVAL), ("serving", SWITCH_INTERVAL)):
            sys.setswitchinterval(interval)
            busy = await timed_statements(path, count, busy=True)
            p50[name] = percentile(busy, 50)
            result[f"{name}_interval_ms"] = interval * 1000
            result[f"{name}_busy_p50_ms"] = round(p50[name], 2)
            result[f"{name}_busy_p95_ms"] = round(percentile(busy, 95), 2)
        result["idle_p50_ms"] = round(percentile(idle, 50), 3)
        # With the loop busy a statement also waits its turn in the loop at each crossing;
        # what the interval adds is the difference between the two busy figures.
        result["saved_p50_ms"] = round(p50["default"] - p50["serving"], 2)
        return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=400)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.statements))))
