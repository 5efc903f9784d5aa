"""Settings given as tables (a TOML array of tables, or JSON in the environment)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class JanusNodeSettings(BaseModel):
    """One Janus of several (``janus_nodes``): how Summitry and browsers reach it, and what it
    may carry."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    """A short name of lower-case letters, digits and hyphens, kept with each room it carries."""
    url: str
    """Its WebSocket API as Summitry reaches it (``ws://10.0.0.5:8188``)."""
    public_url: str = ""
    """The address browsers use (``wss://media-1.example.org/janus``); empty: ``url``."""
    admin_key: str = ""
    """Its plugins' room ``admin_key``, if it has one."""
    capacity: int = Field(default=50, ge=1)
    """Live engagements it takes at most."""
    confidential: bool = False
    """Reserved for confidential engagements (which then go nowhere else)."""

    @field_validator("url", "public_url")
    @classmethod
    def _websocket(cls, value: str, info: ValidationInfo) -> str:
        if (value or info.field_name == "url") and not value.startswith(("ws://", "wss://")):
            raise ValueError(f"{value!r} is not a ws:// or wss:// URL of Janus's WebSocket API")
        return value
