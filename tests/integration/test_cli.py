"""The ``summitry`` command as an operator runs it: in a subprocess, with its own data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from summitry import __version__


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SUMMITRY_")}
    environment.update(SUMMITRY_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-m", "summitry.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_version(tmp_path: Path) -> None:
    result = run(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"summitry {__version__}"


def test_db_upgrade_creates_the_sqlite_database(tmp_path: Path) -> None:
    result = run(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "summitry.db").exists()
    again = run(tmp_path, "db", "upgrade")
    assert again.returncode == 0
    assert "up to date" in again.stdout


def test_engagements_list_is_empty_then_lists_the_demo_as_json(tmp_path: Path) -> None:
    unmigrated = run(tmp_path, "engagements", "list")
    assert unmigrated.returncode == 2
    assert "run summitry db upgrade" in unmigrated.stderr
    assert "Traceback" not in unmigrated.stderr

    assert run(tmp_path, "db", "upgrade").returncode == 0
    empty = run(tmp_path, "engagements", "list")
    assert empty.returncode == 0
    assert "No engagements yet" in empty.stdout

    loaded = run(tmp_path, "demo")
    assert loaded.returncode == 0, loaded.stderr
    assert "34 engagement(s) added" in loaded.stdout

    listed = run(tmp_path, "engagements", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    # The 2020 record, and a meeting a newcomer can hold at once with the links printed.
    assert len(rows) == 35
    practice = next(r for r in rows if r["slug"] == "practice-meeting")
    assert practice["status"] == "planned"
    assert loaded.stdout.count("/invitation/") == 3
    assert f"/engagements/{practice['id']}/meeting" in loaded.stdout
    meeting = next(r for r in rows if r["slug"] == "china-eu-leaders-meeting-2020-09-14")
    assert meeting["starts_at"].startswith("2020-09-14T12:00:00")
    assert {"CN", "DE", "EUCO", "EUCOM"} <= set(meeting["delegation_codes"])

    again = run(tmp_path, "demo")
    assert "0 engagement(s) added, 34 already there" in again.stdout
    assert f"/engagements/{practice['id']}/meeting" in again.stdout  # the same one, fresh links
    assert again.stdout.count("/invitation/") == 3
    table = run(tmp_path, "engagements", "list", "--year", "2020", COLUMNS="220")
    assert "China–EU leaders' meeting" in table.stdout


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SUMMITRY_ENVIRONMENT": "production"}, "SUMMITRY_SECRET_KEY"),
        ({"SUMMITRY_ENVIRONMENT": "production", "SUMMITRY_SECRET_KEY": "change-me"}, "placeholder"),
        ({"SUMMITRY_DATABASE_URL": "mysql://db/summitry"}, "sqlite+aiosqlite"),
        ({"SUMMITRY_CONFIG": "/nonexistent/summitry.toml"}, "does not exist"),
        ({"SUMMITRY_PORT": "seventy"}, "port"),
    ],
)
def test_bad_configuration_is_a_message_not_a_traceback(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    result = run(tmp_path, "db", "upgrade", **env)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_postgresql_is_reported_plainly(tmp_path: Path) -> None:
    from tests.support.postgres import free_port

    url = f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/none"
    result = run(tmp_path, "db", "upgrade", SUMMITRY_DATABASE_URL=url)
    assert result.returncode == 2
    assert "database" in result.stderr
    assert "Traceback" not in result.stderr


def test_account_with_a_short_password_is_refused(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "accounts",
        "create",
        "--email",
        "a@mfa.example",
        "--name",
        "A",
        SUMMITRY_NEW_PASSWORD="short",
    )
    assert result.returncode == 2
    assert "at least 12 characters" in result.stderr


def test_a_janus_node_is_configured_with_its_address_ports_and_the_shared_room_key(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "node"
    written = run(
        tmp_path,
        "janus", "node", str(folder), "--write-only", "--ws-port", "8288",
        "--listen", "10.0.0.11", "--rtp-ports", "30000-30999",
        SUMMITRY_JANUS_ADMIN_KEY="the-room-key-all-replicas-know",
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    assert "ws://10.0.0.11:8288" in written.stdout
    transport = (folder / "janus.transport.websockets.jcfg").read_text()
    assert 'ws_ip = "10.0.0.11"' in transport
    assert "ws_port = 8288" in transport
    assert 'rtp_port_range = "30000-30999"' in (folder / "janus.jcfg").read_text()
    bridge = (folder / "janus.plugin.audiobridge.jcfg").read_text()
    assert 'admin_key = "the-room-key-all-replicas-know"' in bridge
    assert 'local_ip = "10.0.0.11"' in bridge  # telephone legs reach the node there


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--rtp-ports", "30000"], "--rtp-ports takes a range of ports"),
        (["--channel-ports", "99-20"], "--channel-ports takes a range of ports"),
        (["--rtp-ports", "40000-40100"], "--rtp-ports and --plain-rtp-ports overlap"),
    ],
)
def test_a_janus_node_with_bad_ports_is_refused_in_words(
    tmp_path: Path, options: list[str], message: str
) -> None:
    folder = tmp_path / "node"
    refused = run(tmp_path, "janus", "node", str(folder), "--write-only", *options)
    assert refused.returncode == 2
    assert message in " ".join(refused.stderr.split())
    assert "Traceback" not in refused.stderr
    assert not folder.exists()


def test_the_install_makes_one_signing_authority_whose_root_the_parties_can_take(
    tmp_path: Path,
) -> None:
    from cryptography import x509

    refused = run(tmp_path, "documents", "authority")
    assert refused.returncode == 2
    assert "run summitry db upgrade" in refused.stderr
    assert "Traceback" not in refused.stderr

    assert (
        run(
            tmp_path, "db", "upgrade", SUMMITRY_SIGNING_AUTHORITY_NAME="MFA of Ruritania"
        ).returncode
        == 0
    )
    printed = run(tmp_path, "documents", "authority")
    assert printed.returncode == 0, printed.stderr
    root = x509.load_pem_x509_certificate(printed.stdout.encode())
    assert "MFA of Ruritania" in root.subject.rfc4514_string()
    assert run(tmp_path, "db", "upgrade").returncode == 0  # a second upgrade makes no second one
    written = run(tmp_path, "documents", "authority", "--out", str(tmp_path / "root.pem"))
    assert written.returncode == 0
    assert (tmp_path / "root.pem").read_text() == printed.stdout
