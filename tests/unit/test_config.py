"""The settings: safe in production, convenient in development, read from env or a TOML file."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from summitry.config import Settings, get_settings
from summitry.settings_file import ConfigurationError

GOOD_SECRET = "k3Jx9-VgQ2pLr7TzWm4sNd8YbHc5FeA1uZo6"  # 36 characters


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No SUMMITRY_* variable of the machine running the tests leaks in; nothing is cached."""
    for name in list(os.environ):
        if name.startswith("SUMMITRY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def settings_from(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(f"SUMMITRY_{name.upper()}", value)
    return get_settings()


# --- the secret -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    ["", "   ", "change-me", "CHANGE-ME", "changeme", "secret", "summitry"],
    ids=repr,
)
def test_production_refuses_an_empty_or_placeholder_secret(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        settings_from(monkeypatch, environment="production", secret_key=secret)

    message = str(refused.value)
    assert "SUMMITRY_SECRET_KEY" in message
    assert "32 characters" in message
    assert "token_urlsafe" in message, "the message shows how to make a good secret"


def test_production_refuses_a_short_secret_without_printing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    short = "Zq8-short-but-real-4Hx"

    with pytest.raises(ConfigurationError) as refused:
        settings_from(monkeypatch, environment="production", secret_key=short)

    assert "at least 32 characters" in str(refused.value)
    assert short[:8] not in str(refused.value)
    assert refused.value.__suppress_context__, "the error pydantic raised quotes the secret"


def test_production_accepts_a_long_random_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = settings_from(
        monkeypatch, environment="production", secret_key=GOOD_SECRET, data_dir=str(tmp_path)
    )

    assert settings.signing_key() == GOOD_SECRET
    assert not (tmp_path / "secret_key").exists()


def test_development_generates_a_secret_once_and_keeps_it_private(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # the usual default: new files readable by everyone
    try:
        first = Settings(environment="development", data_dir=tmp_path / "var").signing_key()
    finally:
        os.umask(old_umask)
    again = Settings(environment="development", data_dir=tmp_path / "var").signing_key()

    kept = tmp_path / "var" / "secret_key"
    assert first == again == kept.read_text().strip()
    assert len(first) >= 32
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_development_uses_a_secret_that_is_given(tmp_path: Path) -> None:
    settings = Settings(environment="development", data_dir=tmp_path, secret_key=GOOD_SECRET)

    assert settings.signing_key() == GOOD_SECRET
    assert not (tmp_path / "secret_key").exists()


def test_development_replaces_a_placeholder_with_a_generated_secret(tmp_path: Path) -> None:
    settings = Settings(environment="development", data_dir=tmp_path, secret_key="change-me")

    assert settings.signing_key() not in ("change-me", "")
    assert (tmp_path / "secret_key").exists()


# --- the TOML file --------------------------------------------------------------------------


def test_a_toml_file_named_by_summitry_config_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "summitry.toml"
    config.write_text(
        '[summitry]\nport = 9000\nbase_url = "https://summitry.mfa.example/"\ninvitation_days = 7\n'
    )

    settings = settings_from(monkeypatch, config=str(config))

    assert settings.port == 9000
    assert settings.invitation_days == 7
    assert settings.effective_base_url == "https://summitry.mfa.example"


def test_a_flat_toml_file_is_read_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "summitry.toml"
    config.write_text('environment = "production"\nsecret_key = "' + GOOD_SECRET + '"\n')

    settings = settings_from(monkeypatch, config=str(config))

    assert settings.environment == "production"
    assert settings.signing_key() == GOOD_SECRET


def test_the_environment_overrides_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "summitry.toml"
    config.write_text("port = 9000\nsession_hours = 8\n")

    settings = settings_from(monkeypatch, config=str(config), port="9100")

    assert settings.port == 9100
    assert settings.session_hours == 8


def test_a_missing_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "etc" / "summitry.toml"

    with pytest.raises(ConfigurationError) as refused:
        settings_from(monkeypatch, config=str(missing))

    assert str(refused.value) == f"SUMMITRY_CONFIG names {missing}, which does not exist"


def test_a_file_that_is_not_toml_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "summitry.toml"
    config.write_text("port = \n")

    with pytest.raises(ConfigurationError) as refused:
        settings_from(monkeypatch, config=str(config))

    assert f"{config} is not valid TOML" in str(refused.value)


def test_a_misspelt_option_in_the_file_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "summitry.toml"
    config.write_text("prot = 9000\n")

    with pytest.raises(ConfigurationError) as refused:
        settings_from(monkeypatch, config=str(config))

    assert "prot: is not a setting of Summitry" in str(refused.value)


def test_a_value_out_of_range_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError) as refused:
        settings_from(monkeypatch, invitation_days="400")

    assert str(refused.value).startswith("invitation_days:")
    assert "365" in str(refused.value)


# --- the database URL -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "used"),
    [
        (
            "postgres://summitry:pw@db.example/summitry",
            "postgresql+asyncpg://summitry:pw@db.example/summitry",
        ),
        (
            "postgresql://summitry@db.example:5433/summitry",
            "postgresql+asyncpg://summitry@db.example:5433/summitry",
        ),
        ("postgresql+asyncpg://summitry@db/summitry", "postgresql+asyncpg://summitry@db/summitry"),
        (
            "sqlite+aiosqlite:////var/lib/summitry/summitry.db",
            "sqlite+aiosqlite:////var/lib/summitry/summitry.db",
        ),
    ],
)
def test_a_database_url_is_made_one_sqlalchemy_can_use(given: str, used: str) -> None:
    assert Settings(database_url=given).effective_database_url == used


@pytest.mark.parametrize(
    "url", ["mysql://db/summitry", "sqlite:///summitry.db", "postgresql+psycopg://db/summitry"]
)
def test_an_unsupported_database_url_is_refused_with_the_forms_that_work(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        settings_from(monkeypatch, database_url=url)

    assert "sqlite+aiosqlite:///" in str(refused.value)
    assert "postgresql+asyncpg://" in str(refused.value)


def test_without_a_url_the_database_is_sqlite_in_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)

    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'summitry.db'}"


def test_without_a_base_url_links_point_at_the_listening_address() -> None:
    settings = Settings(host="0.0.0.0", port=8080)  # noqa: S104 - a value, not a bind

    assert settings.effective_base_url == "http://0.0.0.0:8080"


# --- reaching the media, and replicas ---------------------------------------------------------


def test_turn_servers_without_the_shared_secret_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ConfigurationError, match="turn_secret is empty"):
        settings_from(monkeypatch, turn_urls="turn:turn.mfa.example:3478")


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("turn_urls", "turn.mfa.example:3478", "turn or turns URL"),
        ("turn_urls", "stun:turn.mfa.example", "turn or turns URL"),
        ("stun_urls", "turn:turn.mfa.example", "stun or stuns URL"),
        ("janus_stun_server", "stun.mfa.example", "host:port"),
        ("janus_turn_server", "turn.mfa.example:99999", "host:port"),
        ("redis_url", "127.0.0.1:6379", "redis://"),
    ],
)
def test_an_address_of_the_wrong_form_is_named_with_one_that_works(
    monkeypatch: pytest.MonkeyPatch, option: str, value: str, named: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        settings_from(monkeypatch, turn_secret=GOOD_SECRET, **{option: value})
    assert str(refused.value).startswith(f"{option}:")
    assert named in str(refused.value)


def test_ice_over_tcp_needs_ice_lite(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="janus_ice_tcp needs janus_ice_lite"):
        settings_from(monkeypatch, janus_ice_tcp="true")
    assert settings_from(monkeypatch, janus_ice_lite="true").janus_ice_tcp


def test_replicas_need_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="replicas, which share PostgreSQL"):
        settings_from(monkeypatch, redis_url="redis://127.0.0.1:6379/0")
    with pytest.raises(ConfigurationError, match="set secret_key to the same random value"):
        settings_from(
            monkeypatch,
            redis_url="redis://127.0.0.1:6379/0",
            database_url="postgresql://summitry@db.mfa.example/summitry",
        )
    with pytest.raises(ConfigurationError, match="replicas share their Janus: set janus_url"):
        settings_from(monkeypatch, secret_key=GOOD_SECRET)
    shared = settings_from(monkeypatch, janus_url="ws://media.mfa.example:8188")
    assert shared.redis_url == "redis://127.0.0.1:6379/0"


NODES = (
    '[{"name": "geneva-1", "url": "ws://10.0.0.5:8188", '
    '"public_url": "wss://media-1.mfa.example/janus", "capacity": 20}, '
    '{"name": "vault", "url": "ws://10.0.0.6:8188", "confidential": true}]'
)


def test_several_janus_nodes_are_read_from_json(monkeypatch: pytest.MonkeyPatch) -> None:
    nodes = settings_from(monkeypatch, janus_nodes=NODES).janus_nodes
    assert [(n.name, n.capacity, n.confidential) for n in nodes] == [
        ("geneva-1", 20, False),
        ("vault", 50, True),
    ]
    assert nodes[1].public_url == ""  # browsers use its url


@pytest.mark.parametrize(
    ("nodes", "named"),
    [
        ('[{"name": "Geneva 1", "url": "ws://10.0.0.5:8188"}]', "janus_nodes.0.name"),
        ('[{"name": "g1", "url": "http://10.0.0.5:8088"}]', "ws:// or wss://"),
        ('[{"name": "g1", "url": "ws://a:1"}, {"name": "g1", "url": "ws://b:1"}]', "used twice"),
        ('[{"name": "g1", "url": "ws://a:1", "confidential": true}]', "at least one"),
        ('[{"name": "g1", "url": "ws://a:1", "capacity": 0}]', "janus_nodes.0.capacity"),
        ('[{"name": "g1", "url": "ws://a:1", "colour": "red"}]', "janus_nodes.0.colour"),
        ("geneva-1=ws://10.0.0.5:8188", "janus_nodes"),
    ],
)
def test_bad_janus_nodes_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, nodes: str, named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named.replace(".", r"\.")):
        settings_from(monkeypatch, janus_nodes=nodes)


def test_one_janus_or_several_not_both(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        settings_from(monkeypatch, janus_nodes=NODES, janus_url="ws://media.mfa.example:8188")
