"""Projections of the floor's events: the speaking log and the roll calls (attendance)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.engagements.operations import get_engagement
from summitry.floor.events import (
    FloorGiven,
    FloorReleased,
    FloorRequested,
    ItemOpened,
    RollCallAnswered,
    RollCallClosed,
    RollCallOpened,
)
from summitry.floor.inscriptions import SECRETARIAT_CODE


class Statement(BaseModel):
    """One turn at the floor, as the speaking log shows it."""

    speaker: str
    office: str
    delegation: str
    delegation_name: str
    on_behalf_of: str | None
    kind: str
    item: int | None
    item_title: str | None
    started_at: dt.datetime
    ended_at: dt.datetime | None
    duration_s: float | None
    ended: str | None
    """How the turn ended: done, cut, expired; ``None`` while it goes on."""


class RollCallRecord(BaseModel):
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    called: list[str]
    answers: dict[str, bool]


async def speaking_log(db: AsyncSession, engagement_id: int) -> list[Statement]:
    """Every turn at the floor, in order, from the meeting's log."""
    engagement = await get_engagement(db, engagement_id)
    people = {a.id: a.person for a in engagement.attendees}
    names = {p.delegation.code: p.delegation.name for p in engagement.delegations}
    names[SECRETARIAT_CODE] = "Secretariat"
    requests: dict[int, FloorRequested] = {}
    item: tuple[int, str] | None = None
    rows: list[Statement] = []
    for envelope in await log.events_after(db, engagement_id):
        event = envelope.event
        if isinstance(event, ItemOpened):
            item = (event.item, event.title)
        elif isinstance(event, FloorRequested):
            requests[event.request_id] = event
        elif isinstance(event, FloorGiven):
            asked = requests.get(event.request_id)
            person = people.get(event.attendee_id)
            rows.append(
                Statement(
                    speaker=person.display_name if person else f"attendee {event.attendee_id}",
                    office=person.office if person else "",
                    delegation=event.delegation,
                    delegation_name=names.get(event.delegation, event.delegation),
                    on_behalf_of=asked.on_behalf_of if asked else None,
                    kind=asked.request_kind.value if asked else "statement",
                    item=item[0] + 1 if item else None,
                    item_title=item[1] if item else None,
                    started_at=envelope.at,
                    ended_at=None,
                    duration_s=None,
                    ended=None,
                )
            )
        elif isinstance(event, FloorReleased) and rows and rows[-1].ended_at is None:
            last = rows[-1]
            last.ended_at, last.ended = envelope.at, event.reason
            last.duration_s = round((envelope.at - last.started_at).total_seconds(), 1)
    return rows


CSV_COLUMNS = (
    "item",
    "item_title",
    "speaker",
    "office",
    "delegation",
    "delegation_name",
    "on_behalf_of",
    "kind",
    "started_at",
    "ended_at",
    "duration_s",
    "ended",
)


def as_csv(rows: list[Statement]) -> str:
    """The speaking log as CSV (UTC times in ISO 8601)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row.model_dump(mode="json", include=set(CSV_COLUMNS)))
    return out.getvalue()


async def roll_calls(db: AsyncSession, engagement_id: int) -> list[RollCallRecord]:
    """Every roll call with the answers given."""
    calls: list[RollCallRecord] = []
    for envelope in await log.events_after(db, engagement_id):
        event = envelope.event
        if isinstance(event, RollCallOpened):
            calls.append(
                RollCallRecord(
                    opened_at=envelope.at, closed_at=None, called=list(event.order), answers={}
                )
            )
        elif isinstance(event, RollCallAnswered) and calls:
            calls[-1].answers[event.delegation] = event.present
        elif isinstance(event, RollCallClosed) and calls:
            calls[-1].closed_at = envelope.at
    return calls
