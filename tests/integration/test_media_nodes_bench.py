"""The media nodes benchmark still runs against today's code: one and two private Janus nodes,
a couple of subscribers each, its last line one JSON object with the figures it promises. The
figures are not judged here (the machine is busy with the suite); docs/benchmarks.md records
full runs. It runs inside the test namespace, with real Janus processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.netns import NotInTestNamespace, current_test_namespace

ROOT = Path(__file__).resolve().parents[2]


def test_the_media_nodes_benchmark_ramps_each_node_count_and_reports_its_figures() -> None:
    try:
        current_test_namespace()
    except NotInTestNamespace as err:
        pytest.fail(str(err), pytrace=False)
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "media_nodes.py"), "--nodes", "1,2",
         "--max-subscribers", "2", "--step-seconds", "2"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=dict(os.environ),
        check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])

    assert figures["nodes"] == [1, 2]
    assert set(figures["max_subscribers_at_loss"]) == {"1", "2"}
    assert figures["limited_by"]
    tried = {(step["nodes"], step["subscribers"]) for step in figures["steps"]}
    assert tried == {(1, 2), (2, 4)}
    for step in figures["steps"]:
        assert 0 <= step["loss_pct"] <= 100
        assert step["failed_joins"] == 0
        assert step["janus_cpu_pct"] > 0
        assert step["client_cpu_pct"] > 0
        # Media reached every subscriber: audio alone is 50 packets a second.
        assert step["packets_per_s_per_subscriber"] > 40
    for nodes, held in figures["max_subscribers_at_loss"].items():
        assert held in (0, 2 * int(nodes))
