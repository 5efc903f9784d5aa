"""The documentation cannot fall behind the code: every setting and every command is described.

A setting added to ``summitry.config.Settings`` or a command added to the Typer app without a
section in ``docs/settings.md`` or ``docs/cli.md`` makes these tests fail, naming what is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from summitry.cli import app
from summitry.config import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"
PREFIX = str(Settings.model_config.get("env_prefix", "")).upper()
CONFIG_VARIABLE = f"{PREFIX}CONFIG"


def sections(path: Path) -> dict[str, str]:
    """Each heading of a Markdown file (without ``#`` and backticks) and the text beneath it."""
    found: dict[str, list[str]] = {}
    current: list[str] = []
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        heading = None if fenced else re.match(r"#{1,6}\s+(.+?)\s*$", line)
        if heading:
            current = found.setdefault(heading.group(1).replace("`", "").strip(), [])
        else:
            current.append(line)
    return {title: "\n".join(body) for title, body in found.items()}


def prose(text: str) -> str:
    """The running text of a section: no lists, tables or code blocks."""
    kept, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced or line.lstrip().startswith(("-", "|", "*")):
            continue
        kept.append(line)
    return " ".join(" ".join(kept).split())


def mentions(text: str, word: str) -> bool:
    """Whether ``word`` (an option or a variable) appears on its own in ``text``."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


# --- settings ------------------------------------------------------------------------------

SETTINGS_DOC = DOCS / "settings.md"
SETTINGS = sorted(Settings.model_fields)


def variable(field: str) -> str:
    return f"{PREFIX}{field.upper()}"


@pytest.fixture(scope="module")
def settings_doc() -> dict[str, str]:
    return sections(SETTINGS_DOC)


@pytest.mark.parametrize("field", SETTINGS)
def test_every_setting_is_documented_by_its_variable(
    field: str, settings_doc: dict[str, str]
) -> None:
    assert variable(field) in settings_doc, (
        f"docs/settings.md has no section '### `{variable(field)}`' for Settings.{field}"
    )


@pytest.mark.parametrize("field", SETTINGS)
def test_every_setting_has_a_type_a_default_and_a_description(
    field: str, settings_doc: dict[str, str]
) -> None:
    section = settings_doc.get(variable(field), "")
    assert "**Type**" in section, f"say the type of {variable(field)} in docs/settings.md"
    assert "**Default**" in section, f"say the default of {variable(field)} in docs/settings.md"
    description = prose(section)
    assert len(description.split()) >= 5, (
        f"describe what {variable(field)} does in docs/settings.md, in a sentence or more"
    )


def _documented_default(value: Any) -> str | None:
    """How a plain default is written in the docs; ``None`` where it needs words instead."""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float):
        return f"`{value}`"
    if isinstance(value, str):
        return f"`{value}`" if value else "empty"
    return None


# Defaults that are plain values; a computed one (data_dir) is described in words.
PLAIN_DEFAULTS = {
    field: written
    for field, info in Settings.model_fields.items()
    if info.default_factory is None and (written := _documented_default(info.default))
}


@pytest.mark.parametrize("field", sorted(PLAIN_DEFAULTS))
def test_every_documented_default_is_the_real_one(field: str, settings_doc: dict[str, str]) -> None:
    section = settings_doc.get(variable(field), "")
    line = next((ln for ln in section.splitlines() if "**Default**" in ln), "")
    assert PLAIN_DEFAULTS[field] in line, (
        f"docs/settings.md gives {variable(field)} a default other than {PLAIN_DEFAULTS[field]}"
    )


def test_no_setting_is_documented_that_does_not_exist(settings_doc: dict[str, str]) -> None:
    known = {variable(f) for f in SETTINGS} | {CONFIG_VARIABLE}
    documented = {title for title in settings_doc if re.fullmatch(rf"{PREFIX}[A-Z0-9_]+", title)}
    assert documented <= known, f"docs/settings.md describes unknown settings: {documented - known}"


def test_the_configuration_file_is_documented(settings_doc: dict[str, str]) -> None:
    section = settings_doc.get(CONFIG_VARIABLE, "")
    assert "TOML" in section
    assert "[summitry]" in section, "say that the settings may sit under a [summitry] table"


# --- the command ---------------------------------------------------------------------------

CLI_DOC = DOCS / "cli.md"


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every command and group under ``command``, as ``summitry <path>``."""
    if getattr(command, "hidden", False):
        return
    yield " ".join(("summitry", *path)), command
    # Typer may vendor its own click, so look for subcommands rather than for click.Group.
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        yield from _walk(sub, (*path, name))


COMMANDS = dict(_walk(get_command(app)))


def _options(command: Any) -> Iterator[str]:
    """The name of each visible option and argument of ``command``, and its environment variable."""
    for param in command.params:
        if getattr(param, "hidden", False):
            continue
        if getattr(param, "param_type_name", "option") == "argument":
            # Typer's arguments lack human_readable_name: the metavar is the name in capitals.
            yield getattr(param, "human_readable_name", None) or str(param.name).upper()
        else:
            yield from (*param.opts, *param.secondary_opts)
        envvars = param.envvar if isinstance(param.envvar, list | tuple) else [param.envvar]
        yield from (str(envvar) for envvar in envvars if envvar)


@pytest.fixture(scope="module")
def cli_doc() -> dict[str, str]:
    return sections(CLI_DOC)


def test_the_walk_finds_every_kind_of_command() -> None:
    # Guards the walk itself: if it stopped descending into groups, the tests below would pass
    # while checking nothing.
    assert {"summitry", "summitry serve", "summitry db upgrade"} <= set(COMMANDS)


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_is_documented(path: str, cli_doc: dict[str, str]) -> None:
    assert path in cli_doc, f"docs/cli.md has no section '## `{path}`'"
    assert len(prose(cli_doc[path]).split()) >= 5, f"say what `{path}` does in docs/cli.md"


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_option_is_documented(path: str, cli_doc: dict[str, str]) -> None:
    section = cli_doc.get(path, "")
    missing = [name for name in _options(COMMANDS[path]) if not mentions(section, name)]
    assert not missing, f"the section of `{path}` in docs/cli.md does not mention {missing}"


def test_no_command_is_documented_that_does_not_exist(cli_doc: dict[str, str]) -> None:
    documented = {title for title in cli_doc if re.fullmatch(r"summitry( [\w-]+)*", title)}
    assert documented <= set(COMMANDS), (
        f"docs/cli.md describes unknown commands: {documented - set(COMMANDS)}"
    )
