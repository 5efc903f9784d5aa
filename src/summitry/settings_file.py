"""The settings file: a flat TOML table of option names, named by ``SUMMITRY_CONFIG``."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic_settings import PydanticBaseSettingsSource


class ConfigurationError(ValueError):
    """The settings cannot be used as given; the message says which option to fix."""


class TomlSource(PydanticBaseSettingsSource):
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
