"""The fan-out benchmark still runs against today's code: a small meeting through every phase
(changes, slow clients, churn with resumptions, bursts, the bare server), its last line one
JSON object, nothing missed or duplicated. The figures are not judged here (the machine is
busy with the suite); docs/benchmarks.md records full runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_fanout_benchmark_runs_through_every_phase() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "fanout.py"), "--clients", "100", "--changes", "5",
         "--quiet", "0", "--slow", "2", "--slow-changes", "3", "--churn-seconds", "4",
         "--drop-cycles", "1", "--churn-drain", "20"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env=dict(os.environ),
        check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["clients"] == 100
    assert figures["churn_reconnections"] > 0
    assert figures["churn_reconnections_unfinished"] == 0
    assert figures["churn_missed"] == 0
    assert figures["churn_duplicated"] == 0
    assert figures["p95_ms"] > 0
    assert figures["bare_p95_ms"] > 0
    # The clock, from the chair's request, beside the bare server's on the same stack.
    assert figures["database"] == "sqlite"
    assert figures["from_request_p95_ms"] >= figures["p95_ms"]
    assert figures["bare_from_request_p95_ms"] > 0
    assert figures["ratio_from_request_p95"] > 0
