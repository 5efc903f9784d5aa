"""A ministry's own history entered in the calendar from a CSV or JSON file: every row checked
first, every bad one named by its line and column, and nothing entered unless all are good."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.delegations.models import Delegation
from summitry.delegations.operations import ensure_delegation
from summitry.engagements.calendar import PastEngagement, record_history
from summitry.engagements.models import Channel, EngagementKind
from summitry.errors import InvalidInput

Format = Literal["csv", "json"]
LISTS = ("counterparts", "topics", "outcomes", "sources")
"""Columns holding several values: a JSON array, or in CSV separated by ``|``."""
MAX_ROWS = 10_000
MAX_BYTES = 5_000_000
KIND_OF_CHANNEL = {
    Channel.VIDEO: EngagementKind.VIDEO_MEETING,
    Channel.TELEPHONE: EngagementKind.TELEPHONE_CALL,
    Channel.IN_PERSON: EngagementKind.IN_PERSON_MEETING,
}


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split("|") if part.strip()]
    return value


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


Several = Annotated[list[Annotated[str, Field(max_length=1000)]], BeforeValidator(_split)]
Optional = BeforeValidator(_blank_is_none)


class HistoryRow(BaseModel):
    """One engagement of the file, as a row of CSV or an object of JSON."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    date: dt.date
    start_utc: Annotated[dt.datetime | None, Optional] = None
    counterparts: Annotated[Several, Field(min_length=1, max_length=250)]
    kind: Annotated[EngagementKind | None, Optional] = None
    channel: Annotated[Channel | None, Optional] = None
    title: str = Field(min_length=1, max_length=300)
    topics: Annotated[Several, Field(max_length=12)] = []
    outcomes: Annotated[Several, Field(max_length=40)] = []
    sources: Annotated[Several, Field(max_length=40)] = []


@dataclass(frozen=True)
class Problem:
    """What is wrong in the file, and where."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    rows: int
    added: int
    already_there: int


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("date", "counterparts", "title") if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"line 1: the header lacks the column(s) {', '.join(missing)}")
    rows = []
    for row in reader:
        # Columns the header does not name are refused by the model, named None by csv.
        values = {k if k is not None else "(unnamed)": v for k, v in row.items() if v != ""}
        rows.append((reader.line_num, values))
    return rows


def _json_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    """Each object of the top-level array, with the line it starts on."""
    decoder = json.JSONDecoder()
    start = len(text) - len(text.lstrip())
    if not text[start:].startswith("["):
        raise InvalidInput("line 1: the file must hold a JSON array of engagements")
    rows: list[tuple[int, dict[str, Any]]] = []
    at = start + 1
    while True:
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        if at >= len(text):
            raise InvalidInput(f"line {text.count(chr(10)) + 1}: the JSON array is not closed")
        if text[at] == "]":
            return rows
        line = text.count("\n", 0, at) + 1
        try:
            value, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as err:
            raise InvalidInput(f"line {err.lineno}: not valid JSON ({err.msg})") from None
        if not isinstance(value, dict):
            raise InvalidInput(f"line {line}: each engagement must be a JSON object")
        rows.append((line, value))


def read_rows(data: bytes, format: Format) -> list[tuple[int, dict[str, Any]]]:
    """The file's rows with their line numbers, or an error naming where it cannot be read."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InvalidInput(f"the file is not UTF-8 text (byte {err.start})") from None
    try:
        rows = _csv_rows(text) if format == "csv" else _json_rows(text)
    except csv.Error as err:  # a NUL byte, a field over the module's size limit
        raise InvalidInput(f"the CSV cannot be read: {err}") from None
    if not rows:
        raise InvalidInput("the file holds no engagement")
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"the file holds {len(rows)} engagements: import {MAX_ROWS} at most")
    return rows


async def _past(db: AsyncSession, line: int, row: HistoryRow, problems: list[Problem]) -> Any:
    delegations: list[Delegation] = []
    for code in row.counterparts:
        try:
            delegation = await ensure_delegation(db, code, field="counterparts")
        except InvalidInput as err:
            problems.append(Problem(line, "counterparts", err.message))
            continue
        if delegation not in delegations:
            delegations.append(delegation)
    start = row.start_utc
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=dt.UTC)  # the column says UTC
    if row.kind is None and row.channel is None:
        problems.append(Problem(line, "kind", "give the kind or the channel (video, telephone…)"))
        return None
    kind = row.kind or KIND_OF_CHANNEL[row.channel]  # type: ignore[index]
    return PastEngagement(
        row.title, row.date, start, kind, row.channel, delegations, row.topics, row.outcomes,
        row.sources,
    )  # fmt: skip


async def import_history(db: AsyncSession, data: bytes, format: Format) -> ImportReport:
    """Check every row, then enter those not entered before; on any problem, nothing."""
    problems: list[Problem] = []
    checked: list[PastEngagement] = []
    rows = read_rows(data, format)
    for line, values in rows:
        try:
            row = HistoryRow.model_validate(values)
        except ValidationError as err:
            for e in err.errors():
                column = str(e["loc"][0]) if e["loc"] else None
                problems.append(Problem(line, column, e["msg"]))
            continue
        past = await _past(db, line, row, problems)
        if past is not None:
            checked.append(past)
    if problems:
        await db.rollback()  # the delegations made for good rows go too
        listed = "; ".join(str(p) for p in problems[:50])
        more = f" (and {len(problems) - 50} more)" if len(problems) > 50 else ""
        raise InvalidInput(f"nothing imported: {listed}{more}", field="file")
    added, there = await record_history(db, checked)
    await db.commit()
    return ImportReport(rows=len(rows), added=added, already_there=there)
