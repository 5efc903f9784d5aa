"""The meeting state's contract: the typed snapshot, the golden fixtures and the page's fold."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from summitry.app import create_app
from summitry.config import Settings
from summitry.log.events import kinds
from summitry.snapshot import MeetingSnapshot
from tests.contract.generate import FIXTURES, SCRIPTS, generate

ROOT = Path(__file__).parents[2]


def _fixtures() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.glob("*.json"))]


def test_the_committed_fixtures_are_what_the_python_fold_makes_today() -> None:
    made = generate()
    committed = {p.name: p.read_text(encoding="utf-8") for p in FIXTURES.glob("*.json")}
    assert sorted(committed) == sorted(made), "run python -m tests.contract.generate"
    for name, text in made.items():
        assert committed[name] == text, f"{name} is stale: run python -m tests.contract.generate"


def test_the_scripts_play_every_kind_of_event() -> None:
    every = set(kinds())
    played = {event.kind for script in SCRIPTS for event in script.events}
    assert every - played == set()
    assert any(script.resume_at for script in SCRIPTS), "no stale snapshot is resumed"


@pytest.mark.parametrize("fixture", _fixtures(), ids=lambda f: str(f["name"]))
def test_every_snapshot_is_described_by_the_schema_without_loss(fixture: dict[str, Any]) -> None:
    for snapshot in (fixture["initial"], fixture["expected"]):
        typed = MeetingSnapshot.model_validate(snapshot)
        assert typed.model_dump(mode="json") == snapshot
        # Through the model's own JSON too, as the HTTP response is written.
        assert json.loads(typed.model_dump_json()) == snapshot


def test_the_schema_refuses_what_the_page_would_not_expect() -> None:
    snapshot = _fixtures()[0]["expected"]
    for broken in (
        {**snapshot, "surprise": 1},
        {k: v for k, v in snapshot.items() if k != "alarms"},
        {**snapshot, "participants": {"me": snapshot["floor"]}},
    ):
        with pytest.raises(ValueError, match="validation error"):
            MeetingSnapshot.model_validate(broken)


def test_the_openapi_document_names_the_snapshot() -> None:
    document = create_app(Settings()).openapi()
    get = document["paths"]["/api/v1/engagements/{engagement_id}/live"]["get"]
    response = get["responses"]["200"]["content"]["application/json"]["schema"]
    envelope = document["components"]["schemas"][response["$ref"].rsplit("/", 1)[1]]
    assert envelope["properties"]["state"] == {"$ref": "#/components/schemas/MeetingSnapshot"}
    schemas = document["components"]["schemas"]
    assert schemas["MeetingSnapshot"]["additionalProperties"] is False
    assert set(schemas["MeetingSnapshot"]["required"]) == set(MeetingSnapshot.model_fields)
    assert schemas["TurnSnapshot"]["properties"]["started_at"]["format"] == "date-time"


def test_the_page_folds_every_fixture_as_the_server() -> None:
    node = shutil.which("node")
    assert node is not None, "node (20 or later) runs the page's fold"
    run = subprocess.run(
        [node, "--test", "tests/contract/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
