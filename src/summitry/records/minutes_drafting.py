"""The minutes as the secretariat keeps them: drawn, edited, drawn again, published.

A draft holds two parts: what the log gave (refreshed whenever it is drawn again) and what
the secretariat wrote (an introduction, a summary per agenda item), which drawing again never
touches. Publishing freezes both as a numbered version with the SHA-256 of their canonical
JSON, and puts the number and the hash in the log; a correction is a later version, and the
earlier ones stay.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.db import utcnow
from summitry.engagements.operations import engagement_row
from summitry.errors import Conflict, InvalidInput, NotFound
from summitry.meeting.operations import require_follower
from summitry.records.minutes import Record, draw
from summitry.records.minutes_events import MinutesPublished
from summitry.records.minutes_models import MinutesDraft, MinutesVersion
from summitry.security.principals import Principal, Secretary, require_secretariat

MAX_TEXT = 10_000
"""Characters in one written part: some four pages, more than an item's summary needs."""


class Written(BaseModel):
    """What the secretariat writes into the minutes: plain paragraphs, a blank line between."""

    model_config = ConfigDict(extra="forbid")

    introduction: str = ""
    summaries: dict[str, str] = {}
    """An agenda item's number (as text: JSON's keys are) → its summary."""

    @property
    def empty(self) -> bool:
        return not (self.introduction.strip() or any(s.strip() for s in self.summaries.values()))


class Minutes(BaseModel):
    """Minutes as shown: the record and the written text, draft or published."""

    record: Record
    written: Written
    drawn_at: dt.datetime | None = None
    """A draft's: when the record was last drawn from the log."""
    edited_by: str = ""


def minutes_of(draft: MinutesDraft) -> Minutes:
    return Minutes(
        record=Record.model_validate(draft.drawn),
        written=Written.model_validate(draft.written),
        drawn_at=draft.drawn_at,
        edited_by=draft.edited_by,
    )


def version_minutes(version: MinutesVersion) -> Minutes:
    return Minutes(
        record=Record.model_validate(version.content["drawn"]),
        written=Written.model_validate(version.content["written"]),
    )


def digest(content: dict[str, Any]) -> str:
    """The SHA-256 of the content's canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _secretariat(
    db: AsyncSession, principal: Principal | None, engagement_id: int
) -> Secretary:
    who = require_secretariat(principal)
    await engagement_row(db, engagement_id)  # 404 for an engagement that is not there
    return who


async def _draft(db: AsyncSession, engagement_id: int) -> MinutesDraft:
    found = await db.scalar(select(MinutesDraft).where(MinutesDraft.engagement_id == engagement_id))
    if found is None:
        raise NotFound("the minutes of this engagement have no draft yet: generate it first")
    return found


async def draft_of(db: AsyncSession, principal: Principal | None, engagement_id: int) -> Minutes:
    """The draft, for the secretariat alone."""
    await _secretariat(db, principal, engagement_id)
    return minutes_of(await _draft(db, engagement_id))


async def has_draft(db: AsyncSession, engagement_id: int) -> bool:
    found = await db.scalar(
        select(MinutesDraft.id).where(MinutesDraft.engagement_id == engagement_id)
    )
    return found is not None


async def generate(db: AsyncSession, principal: Principal | None, engagement_id: int) -> Minutes:
    """Draw the record from the log again; what the secretariat wrote stays as it is."""
    await _secretariat(db, principal, engagement_id)
    await log.hold(db, engagement_id)
    through = await log.last_seq(db, engagement_id)
    record = await draw(db, engagement_id)
    draft = await db.scalar(select(MinutesDraft).where(MinutesDraft.engagement_id == engagement_id))
    if draft is None:
        draft = MinutesDraft(
            engagement_id=engagement_id, written=Written().model_dump(), edited_by=""
        )
        db.add(draft)
    draft.drawn = record.model_dump(mode="json")
    draft.drawn_through = through
    draft.drawn_at = utcnow()
    minutes = minutes_of(draft)
    await db.commit()
    return minutes


async def edit(
    db: AsyncSession,
    principal: Principal | None,
    engagement_id: int,
    *,
    introduction: str | None = None,
    summaries: dict[str, str] | None = None,
) -> Minutes:
    """Change what the secretariat wrote: the introduction, and any item's summary given."""
    who = await _secretariat(db, principal, engagement_id)
    await log.hold(db, engagement_id)
    draft = await _draft(db, engagement_id)
    written = Written.model_validate(draft.written)
    items = {str(line.number): line for line in Record.model_validate(draft.drawn).agenda}
    if introduction is not None:
        written.introduction = _checked(introduction, "introduction", "the introduction")
    for number, text in (summaries or {}).items():
        if number not in items:
            raise InvalidInput(
                f"the agenda has no item {number}: summarise items {', '.join(items) or '(none)'}",
                field="summaries",
            )
        written.summaries[number] = _checked(
            text, f"summaries.{number}", f"the summary of item {number} ({items[number].title})"
        )
    draft.written = written.model_dump()
    draft.edited_at, draft.edited_by = utcnow(), who.name
    minutes = minutes_of(draft)
    await db.commit()
    return minutes


def _checked(text: str, field: str, what: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            f"{what} has {len(text):,} characters: keep it to {MAX_TEXT:,} or fewer",
            field=field,
        )
    return text


async def publish(
    db: AsyncSession, principal: Principal | None, engagement_id: int
) -> MinutesVersion:
    """Freeze the draft as the next version and fix its hash in the log."""
    who = await _secretariat(db, principal, engagement_id)
    await log.hold(db, engagement_id)
    draft = await _draft(db, engagement_id)
    minutes = minutes_of(draft)
    if minutes.record.empty and minutes.written.empty:
        raise Conflict(
            "the minutes are empty: nobody was admitted, nobody spoke, nothing was decided and "
            "nothing is written; generate them again after the meeting, or write an introduction"
        )
    content = {"drawn": draft.drawn, "written": draft.written}
    sha256 = digest(content)
    latest = await _latest(db, engagement_id)
    if latest is not None and latest.sha256 == sha256:
        raise Conflict(
            f"version {latest.number} already holds these minutes: change or regenerate the "
            "draft before publishing a correction"
        )
    version = MinutesVersion(
        engagement_id=engagement_id,
        number=(latest.number if latest else 0) + 1,
        content=content,
        sha256=sha256,
        published_by=who.name,
    )
    db.add(version)
    await db.flush()
    await log.append(
        db,
        engagement_id,
        MinutesPublished(version_id=version.id, number=version.number, sha256=sha256),
    )
    await db.commit()
    return version


async def _latest(db: AsyncSession, engagement_id: int) -> MinutesVersion | None:
    return await db.scalar(
        select(MinutesVersion)
        .where(MinutesVersion.engagement_id == engagement_id)
        .order_by(MinutesVersion.number.desc())
        .limit(1)
    )


async def _reader(db: AsyncSession, principal: Principal | None, engagement_id: int) -> None:
    """Those who may see the engagement's details read its published minutes; an outsider
    learns nothing of the engagement, an unknown one is not there."""
    await require_follower(db, principal, engagement_id)
    await engagement_row(db, engagement_id)


async def versions_of(
    db: AsyncSession, principal: Principal | None, engagement_id: int
) -> list[MinutesVersion]:
    """Every published version, first to latest, for whoever may see the engagement's details."""
    await _reader(db, principal, engagement_id)
    rows = await db.scalars(
        select(MinutesVersion)
        .where(MinutesVersion.engagement_id == engagement_id)
        .order_by(MinutesVersion.number)
    )
    return list(rows)


async def version_of(
    db: AsyncSession, principal: Principal | None, engagement_id: int, number: int | None = None
) -> MinutesVersion:
    """One published version (``None``: the latest), for whoever may see the details."""
    await _reader(db, principal, engagement_id)
    query = select(MinutesVersion).where(MinutesVersion.engagement_id == engagement_id)
    if number is None:
        number = await db.scalar(query.with_only_columns(func.max(MinutesVersion.number)))
    found = await db.scalar(query.where(MinutesVersion.number == number)) if number else None
    if found is None:
        raise NotFound(
            "no minutes of this engagement are published yet"
            if number is None
            else f"the minutes of this engagement have no version {number}"
        )
    return found
