"""``summitry engagements import``: a ministry's past engagements from a CSV or JSON file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from summitry import log
from summitry.config import get_settings
from summitry.db import create_engine, create_sessionmaker
from summitry.errors import SummitryError
from summitry.records.calendar_import import Format, ImportReport, import_history
from summitry.settings_file import ConfigurationError

BAD_INPUT = 2


def _refuse(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=BAD_INPUT)


async def _import(url: str, data: bytes, format: Format) -> ImportReport:
    engine = create_engine(url)
    try:
        # A command: no live page follows the log from this process.
        async with log.offline(create_sessionmaker(engine))() as db:
            return await import_history(db, data, format)
    finally:
        await engine.dispose()


def import_engagements(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A .csv or .json file.")],
    format: Annotated[
        str | None, typer.Option("--format", help="csv or json; by default, from the name.")
    ] = None,
) -> None:
    """Enter past engagements from a file: all of them, or none if a row is wrong.

    Columns: date, start_utc, counterparts, kind, channel, title, topics, outcomes, sources
    (several values separated by | in CSV). Importing the same file again adds nothing."""
    chosen = (format or file.suffix.lstrip(".")).lower()
    if chosen not in ("csv", "json"):
        raise _refuse(f"say --format csv or --format json: '{file.name}' does not tell")
    try:
        data = file.read_bytes()
        settings = get_settings()
        report = asyncio.run(_import(settings.effective_database_url, data, chosen))  # type: ignore[arg-type]
    except SummitryError as err:
        raise _refuse(err.message) from None
    except ConfigurationError as err:
        raise _refuse(str(err)) from None
    except DBAPIError as err:
        raise _refuse(f"the database refused the import: {err.orig}") from None
    except OSError as err:
        raise _refuse(f"cannot read {file}: {err.strerror or err}") from None
    typer.echo(
        f"{report.rows} engagement(s) in {file.name}: {report.added} added, "
        f"{report.already_there} already in the calendar."
    )
