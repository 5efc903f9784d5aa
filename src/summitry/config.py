"""The one settings object: environment variables (``SUMMITRY_*``) over an optional TOML file.

Every option is documented in ``docs/settings.md``; a test checks that none is missing.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "summitry"})


class ConfigurationError(ValueError):
    """The settings cannot be used as given; the message says which option to fix."""


class _TomlSource(PydanticBaseSettingsSource):
    """Reads the file named by ``SUMMITRY_CONFIG`` (a flat TOML table of option names)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("SUMMITRY_CONFIG")
        if not path:
            return {}
        try:
            with Path(path).open("rb") as handle:
                data = tomllib.load(handle)
        except FileNotFoundError as err:
            raise ConfigurationError(f"SUMMITRY_CONFIG names {path}, which does not exist") from err
        except tomllib.TOMLDecodeError as err:
            raise ConfigurationError(f"{path} is not valid TOML: {err}") from err
        table = data.get("summitry", data)
        return dict(table) if isinstance(table, dict) else {}


class Settings(BaseSettings):
    """How this Summitry installation runs."""

    model_config = SettingsConfigDict(env_prefix="SUMMITRY_", extra="forbid")

    environment: Literal["development", "production"] = "development"
    """``development`` allows a generated secret; ``production`` demands a real one."""

    data_dir: Path = Field(default_factory=lambda: Path.cwd() / "var")
    """Where the embedded SQLite database and the generated development secret live."""

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

    media: bool = True
    """Run meetings with a media server; off, Summitry plans engagements but carries no media."""

    janus_url: str = ""
    """WebSocket address of an existing Janus; empty: ``summitry serve`` starts its own."""

    janus_public_url: str = ""
    """The Janus address browsers use; empty: the same as the one Summitry uses."""

    janus_admin_key: str = ""
    """The room admin key of an existing Janus (its plugins' ``admin_key``), if it has one."""

    janus_ws_port: int = Field(default=8188, ge=1, le=65535)
    """Port of the private Janus's WebSocket API (on 127.0.0.1)."""

    janus_ice_interface: str = ""
    """Network interface the private Janus offers media on; empty: all of them."""

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
        return init_settings, env_settings, _TomlSource(settings_cls)

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once."""
    try:
        return Settings()
    except ValidationError as err:
        # Not str(err): pydantic quotes the input, which would print part of a short secret.
        raise ConfigurationError(_explain(err)) from None


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
