"""The one settings object: environment variables (``SUMMITRY_*``) over an optional TOML file.

Every option is documented in ``docs/settings.md``; a test checks that none is missing.
"""

from __future__ import annotations

import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from summitry.settings_file import ConfigurationError, TomlSource
from summitry.settings_tables import JanusNodeSettings, SigningServices

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "summitry"})


class Settings(BaseSettings):
    """How this Summitry installation runs."""

    model_config = SettingsConfigDict(env_prefix="SUMMITRY_", extra="forbid")

    environment: Literal["development", "production"] = "development"
    """``development`` allows a generated secret; ``production`` demands a real one."""

    data_dir: Path = Field(default_factory=lambda: Path.cwd() / "var")
    """Where the embedded SQLite database and the generated development secret live."""

    recordings_dir: Path | None = None
    """Where Janus writes the meetings' recordings and Summitry converts them; ``None``:
    ``data_dir/recordings``. Janus must be able to write there (it is on the same machine)."""

    database_url: str = ""
    """SQLAlchemy URL; empty means SQLite in ``data_dir``. PostgreSQL: ``postgresql+asyncpg://...``."""

    secret_key: str = ""
    """Signs session cookies and CSRF tokens. At least 32 characters in production."""

    host: str = "127.0.0.1"
    """Address ``summitry serve`` listens on."""

    port: int = Field(default=8000, ge=1, le=65535)
    """Port ``summitry serve`` listens on."""

    base_url: str = ""
    """Public address used in invitation links; empty means ``http://host:port``."""

    invitation_days: int = Field(default=14, ge=1, le=365)
    """How many days an invitation link stays valid."""

    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    """How long a signed-in session lasts."""

    secure_cookies: bool = False
    """Send cookies only over HTTPS; turn on behind TLS (always in production)."""

    redis_url: str = ""
    """Redis through which replicas pass on their commits (``redis://host:6379/0``); empty:
    this process is the only one."""

    signing_authority_name: str = Field(default="Summitry host", min_length=1, max_length=120)
    """Who the host's signing authority names as itself (its root certificate's name): the
    ministry or organisation that hosts, e.g. "Ministry of Foreign Affairs of Ruritania"."""

    timestamp_url: str = ""
    """An RFC 3161 timestamp authority every signature is timestamped by (``http(s)://…``);
    empty: signatures carry the signing time the server's clock gives."""

    timestamp_roots: str = ""
    """A PEM file of the root certificate(s) the timestamp authority's certificate comes from."""

    signing_services: SigningServices = Field(default_factory=list)
    """Remote signing services (CSC API v1) at which signatories keep their keys: the only
    addresses a linked signatory's signature is asked of (a TOML array of tables, or JSON)."""

    mail_url: str = ""
    """The SMTP server notices to delegations go through (``smtp://host:25``, ``smtps://user:
    password@host:465``; ``smtp://`` upgrades with STARTTLS when offered); empty: no e-mail."""

    mail_from: str = "Summitry <summitry@localhost>"
    """Who notices come from."""

    media: bool = True
    """Run meetings with a media server; off, Summitry plans engagements but carries no media."""

    janus_url: str = ""
    """WebSocket address of an existing Janus; empty: ``summitry serve`` starts its own."""

    janus_nodes: list[JanusNodeSettings] = Field(default_factory=list)
    """Several Janus nodes instead of one (a TOML array of tables, or JSON in the environment):
    each engagement is placed on one (docs/deployment.md, "Several Janus nodes")."""

    janus_move_after_seconds: float = Field(default=1.5, gt=0, le=300)
    """With ``janus_nodes``: how long a node may be away before its engagements move."""

    janus_public_url: str = ""
    """The Janus address browsers use; empty: the same as the one Summitry uses."""

    janus_admin_key: str = ""
    """The room admin key of an existing Janus (its plugins' ``admin_key``), if it has one."""

    janus_ws_port: int = Field(default=8188, ge=1, le=65535)
    """Port of the private Janus's WebSocket API (on 127.0.0.1)."""

    janus_ice_interface: str = ""
    """Network interface the private Janus offers media on; empty: all of them."""

    janus_nat_1_1_mapping: str = ""
    """Public address(es) of a Janus behind a 1:1 NAT, replacing its host candidates' own."""

    janus_keep_private_host: bool = False
    """With ``janus_nat_1_1_mapping``: offer the private address as well as the public one."""

    janus_ice_lite: bool = False
    """Run the private Janus in ICE Lite mode (a server with a public address of its own)."""

    janus_ice_tcp: bool = False
    """Let the private Janus offer ICE over TCP too; needs ``janus_ice_lite``."""

    janus_stun_server: str = ""
    """``host:port`` of a STUN server the private Janus asks for its public address."""

    janus_turn_server: str = ""
    """``host:port`` of a TURN server for the private Janus itself (only behind a firewall)."""

    janus_turn_type: Literal["udp", "tcp", "tls"] = "udp"
    """How the private Janus reaches ``janus_turn_server``."""

    janus_turn_user: str = ""
    """The private Janus's own long-term TURN user name."""

    janus_turn_password: str = ""
    """The private Janus's own long-term TURN password."""

    stun_urls: str = ""
    """STUN servers the pages use, comma-separated (``stun:stun.example.org:3478``)."""

    turn_urls: str = ""
    """TURN servers the pages relay through, comma-separated (``turn:...?transport=udp``,
    ``turn:...?transport=tcp``, ``turns:...:5349``); each person gets credentials of their own."""

    turn_secret: str = ""
    """The TURN server's shared secret (coturn's ``static-auth-secret``); never sent out."""

    turn_credential_minutes: int = Field(default=10, ge=1, le=24 * 60)
    """How long a person's TURN credentials let them open a relay (a relay once open stays)."""

    sip_enabled: bool = False
    """Start the telephone gateway (SIP over UDP) with ``summitry serve``; needs ``media``."""

    sip_host: str = "127.0.0.1"
    """Address the SIP listener binds to (put a SIP proxy with TLS in front of it)."""

    sip_port: int = Field(default=5060, ge=1, le=65535)
    """UDP port of the SIP listener."""

    sip_media_host: str = ""
    """Address of the telephone legs' RTP, announced in SDP; empty: the same as ``sip_host``."""

    sip_max_calls: int = Field(default=20, ge=1, le=1000)
    """Telephone calls at once, in and out; more are refused with 503."""

    sip_calls_per_source: int = Field(default=4, ge=1, le=1000)
    """Calls at once from one address (a trunk counts as one); more are refused."""

    sip_invites_per_second: float = Field(default=2.0, gt=0, le=1000)
    """New calls a second one address may start (a token bucket); more are refused with 503."""

    sip_invite_burst: int = Field(default=5, ge=1, le=10_000)
    """How many new calls one address may start at once before the rate applies."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, TomlSource(settings_cls)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            if value.startswith(("postgresql://", "postgres://")):
                _scheme, rest = value.split("://", 1)
                return f"postgresql+asyncpg://{rest}"
            raise ValueError(
                "use sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user@host/db"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("use redis://host:6379/0 (rediss:// with TLS, unix:///path/to/socket)")
        return value

    @field_validator("mail_url")
    @classmethod
    def _mail(cls, value: str) -> str:
        if value and not value.startswith(("smtp://", "smtps://")):
            raise ValueError("give the mail server as smtp://host:25 or smtps://host:465")
        return value

    @field_validator("timestamp_url")
    @classmethod
    def _timestamp(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(
                "give the timestamp authority as http://… or https://…, or leave it empty"
            )
        return value

    @model_validator(mode="after")
    def _replicas_share_a_database(self) -> Settings:
        if self.redis_url and self.effective_database_url.startswith("sqlite"):
            raise ValueError(
                "redis_url is for replicas, which share PostgreSQL: set database_url to a "
                "postgresql+asyncpg:// URL, or leave redis_url empty for one process"
            )
        if self.redis_url and self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                "replicas sign their messages and their sessions with one secret: set "
                "secret_key to the same random value (32 characters or more) in every replica"
            )
        if self.redis_url and self.media and not (self.janus_url or self.janus_nodes):
            raise ValueError(
                "replicas share their Janus: set janus_url (or janus_nodes) to it (each replica "
                "would otherwise start a private Janus of its own), or set media to false"
            )
        return self

    @model_validator(mode="after")
    def _nodes_consistent(self) -> Settings:
        if not self.janus_nodes:
            return self
        if self.janus_url or self.janus_public_url:
            raise ValueError(
                "set janus_url (one Janus) or janus_nodes (several), not both: give each node "
                "its url and public_url in janus_nodes"
            )
        names = [node.name for node in self.janus_nodes]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"janus_nodes: the name {twice[0]!r} is used twice; names are unique")
        if all(node.confidential for node in self.janus_nodes):
            raise ValueError(
                "janus_nodes: every node is reserved for confidential engagements; leave at "
                "least one with confidential = false for the others"
            )
        return self

    @field_validator("stun_urls", "turn_urls")
    @classmethod
    def _ice_urls(cls, value: str, info: ValidationInfo) -> str:
        schemes = ("stun:", "stuns:") if info.field_name == "stun_urls" else ("turn:", "turns:")
        for url in split_list(value):
            if not url.startswith(schemes) or len(url) <= len(url.split(":", 1)[0]) + 1:
                raise ValueError(
                    f"{url!r} is not a {' or '.join(s.rstrip(':') for s in schemes)} URL "
                    f"(e.g. {schemes[0]}turn.example.org:3478); separate several with commas"
                )
        return value

    @field_validator("janus_stun_server", "janus_turn_server")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        if value:
            host, _, port = value.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"{value!r} is not host:port (e.g. turn.example.org:3478)")
        return value

    @model_validator(mode="after")
    def _ice_consistent(self) -> Settings:
        if self.turn_urls and self.turn_secret.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                "turn_urls is set but turn_secret is empty or a placeholder: give the TURN "
                "server's static-auth-secret (coturn) so that each person gets credentials"
            )
        if self.janus_ice_tcp and not self.janus_ice_lite:
            raise ValueError(
                "janus_ice_tcp needs janus_ice_lite (libnice offers ICE over TCP reliably only "
                "in ICE Lite mode); or relay TCP through TURN with turn_urls instead"
            )
        if self.janus_turn_server and not (self.janus_turn_user and self.janus_turn_password):
            raise ValueError("janus_turn_server needs janus_turn_user and janus_turn_password")
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production":
            if self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError(
                    "SUMMITRY_SECRET_KEY is empty or a placeholder; production needs a random "
                    "secret of at least 32 characters (python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))')"
                )
            if len(self.secret_key) < 32:
                raise ValueError("SUMMITRY_SECRET_KEY must be at least 32 characters in production")
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'summitry.db'}"

    @property
    def recordings(self) -> Path:
        """The folder of the meetings' recordings, absolute (Janus is told it)."""
        return (self.recordings_dir or self.data_dir / "recordings").resolve()

    @property
    def effective_base_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    def signing_key(self) -> str:
        """The secret to sign with; in development an unset one is generated once and kept."""
        if self.secret_key.strip().lower() not in PLACEHOLDER_SECRETS:
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret_key"
        if not path.exists():
            # Created readable by its owner alone: write_text then chmod would leave a moment
            # in which anyone on the machine could read the secret.
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another worker starting at the same moment made it first
            else:
                with os.fdopen(descriptor, "w") as handle:
                    handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()


def split_list(value: str) -> list[str]:
    """The items of a comma-separated setting, without blanks."""
    return [item.strip() for item in value.split(",") if item.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once."""
    try:
        return Settings()
    except ValidationError as err:
        # Not str(err): pydantic quotes the input, which would print part of a short secret.
        raise ConfigurationError(_explain(err)) from None
    except SettingsError as err:
        # A list or table given in the environment that is not JSON.
        found = re.search(r'field "(\w+)"', str(err))
        option = found.group(1) if found else "a setting"
        raise ConfigurationError(
            f"{option}: is not valid JSON; in the environment give it as JSON, e.g. "
            '[{"name": "media-1", "url": "ws://10.0.0.5:8188"}] (or as a TOML array of tables '
            "in the settings file)"
        ) from None


def _explain(err: ValidationError) -> str:
    """One line per problem, naming the option and never its value."""
    problems = []
    for error in err.errors(include_url=False, include_input=False, include_context=False):
        option = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "is not a setting of Summitry; check its spelling in docs/settings.md"
        problems.append(f"{option}: {message}" if option else message)
    return "; ".join(problems)
