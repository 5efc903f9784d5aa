"""Settings given as tables (a TOML array of tables, or JSON in the environment)."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)


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


class SigningServiceSettings(BaseModel):
    """A remote signing service (``signing_services``) speaking the Cloud Signature Consortium
    API v1, at which a ministry keeps its signatories' keys."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    """A short name of lower-case letters, digits and hyphens, kept with each linked signatory."""
    url: str = Field(max_length=500)
    """Its base address, the part before ``/csc/v1/`` (``https://csc.mfa.example``)."""
    label: str = Field(default="", max_length=120)
    """What the pages call it ("Ruritania's signing service"); empty: ``name``."""

    @property
    def shown_as(self) -> str:
        return self.label or f"the signing service {self.name}"

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or "?" in value or "#" in value:
            raise ValueError(f"{value!r} is not an http:// or https:// base URL of a CSC service")
        return value.rstrip("/")


def _named_once(services: list[SigningServiceSettings]) -> list[SigningServiceSettings]:
    names = [service.name for service in services]
    twice = [name for name in names if names.count(name) > 1]
    if twice:
        raise ValueError(f"the name {twice[0]!r} is used twice; names are unique")
    return services


SigningServices = Annotated[list[SigningServiceSettings], AfterValidator(_named_once)]
"""The ``signing_services`` setting: each service once by name."""
