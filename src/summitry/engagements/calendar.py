"""The diplomatic calendar: engagements as records, filtered in the database, and past ones
entered from a ministry's own history."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from summitry.delegations.models import Delegation
from summitry.engagements.models import (
    CHANNEL_OF_KIND,
    Channel,
    Confidentiality,
    Engagement,
    EngagementKind,
    EngagementStatus,
    Participation,
)


def tags(topics: Iterable[str]) -> list[str]:
    """Topics as the archive filters them: trimmed, lower case, each once, in order."""
    return list(dict.fromkeys(t.strip().lower() for t in topics if t.strip()))


def sentences(outcomes: Iterable[str]) -> list[str]:
    """Outcomes trimmed, the empty ones left out."""
    return [o.strip() for o in outcomes if o.strip()]


def change_record(engagement: Engagement, changes: dict[str, Any]) -> None:
    """The calendar's fields: a new kind brings its channel unless one is given with it."""
    if changes.get("channel") or changes.get("kind"):
        engagement.channel = changes.get("channel") or CHANNEL_OF_KIND[changes["kind"]]
    if changes.get("topics") is not None:
        engagement.topics = tags(changes["topics"])
    if changes.get("outcomes") is not None:
        engagement.outcomes = sentences(changes["outcomes"])


def _in_json_text(
    column: InstrumentedAttribute[list[str]], word: str, *, whole: bool = False
) -> ColumnElement[bool]:
    # JSON lists are stored as text on both databases, non-ASCII escaped as json.dumps writes
    # it: a word is looked for in the same spelling (a whole item, between its quotes).
    spelled = json.dumps(word.strip().lower())
    spelled = spelled if whole else spelled[1:-1]
    escaped = spelled.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(cast(column, Text)).like(f"%{escaped}%", escape="\\")


@dataclass(frozen=True)
class CalendarFilter:
    """What the archive and the analytics narrow the calendar by; ``None`` for any."""

    counterpart: str | None = None
    kind: EngagementKind | None = None
    channel: Channel | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    topic: str | None = None
    outcome: str | None = None

    def where(self, query: Select[Engagement]) -> Select[Engagement]:
        """``query`` narrowed to the engagements this filter keeps."""
        if self.counterpart:
            query = query.where(
                Engagement.id.in_(
                    select(Participation.engagement_id)
                    .join(Delegation, Delegation.id == Participation.delegation_id)
                    .where(Delegation.code == self.counterpart.strip().upper())
                )
            )
        if self.kind is not None:
            query = query.where(Engagement.kind == self.kind)
        if self.channel is not None:
            query = query.where(Engagement.channel == self.channel)
        if self.since is not None:
            query = query.where(Engagement.held_on >= self.since)
        if self.until is not None:
            query = query.where(Engagement.held_on <= self.until)
        if self.topic:
            query = query.where(_in_json_text(Engagement.topics, self.topic, whole=True))
        for word in (self.outcome or "").split():
            query = query.where(_in_json_text(Engagement.outcomes, word))
        return query


@dataclass(frozen=True)
class CalendarPage:
    """One page of the archive, with what the whole filtered calendar counts."""

    engagements: list[Engagement]
    total: int
    by_channel: dict[Channel, int]


def _visible(among: Collection[int] | None) -> Select[Engagement]:
    query = select(Engagement)
    return query if among is None else query.where(Engagement.id.in_(list(among)))


async def calendar_page(
    db: AsyncSession,
    found: CalendarFilter,
    *,
    among: Collection[int] | None = None,
    offset: int = 0,
    limit: int = 50,
) -> CalendarPage:
    """The engagements ``found`` keeps (``among`` those ids, if given), newest first."""
    query = found.where(_visible(among))
    counted = query.with_only_columns(Engagement.channel, func.count(Engagement.id)).group_by(
        Engagement.channel
    )
    by_channel = {Channel(c): int(n) for c, n in (await db.execute(counted)).all()}
    rows = await db.scalars(
        query.options(
            selectinload(Engagement.delegations).selectinload(Participation.delegation),
            selectinload(Engagement.host),
        )
        .order_by(Engagement.held_on.desc(), Engagement.starts_at.desc(), Engagement.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return CalendarPage(list(rows), sum(by_channel.values()), by_channel)


@dataclass(frozen=True)
class CalendarRow:
    """What the analytics count of one engagement: when, how, and who took part."""

    id: int
    held_on: dt.date
    channel: Channel
    codes: tuple[str, ...]


async def calendar_rows(
    db: AsyncSession, found: CalendarFilter, *, among: Collection[int] | None = None
) -> list[CalendarRow]:
    """Each engagement ``found`` keeps, with its delegations' codes, in date order."""
    query = found.where(_visible(among)).with_only_columns(
        Engagement.id, Engagement.held_on, Engagement.channel
    )
    heads = (await db.execute(query.order_by(Engagement.held_on, Engagement.id))).all()
    codes: dict[int, list[str]] = {row.id: [] for row in heads}
    pairs = await db.execute(
        select(Participation.engagement_id, Delegation.code)
        .join(Delegation, Delegation.id == Participation.delegation_id)
        .where(Participation.engagement_id.in_(query.with_only_columns(Engagement.id)))
        .order_by(Participation.engagement_id, Participation.position)
    )
    for engagement_id, code in pairs.all():
        codes[engagement_id].append(code)
    return [CalendarRow(r.id, r.held_on, Channel(r.channel), tuple(codes[r.id])) for r in heads]


async def years_held(db: AsyncSession, among: Collection[int] | None = None) -> list[int]:
    """The years with an engagement held (ended), latest first."""
    query = _visible(among).where(Engagement.status == EngagementStatus.ENDED)
    days = await db.scalars(query.with_only_columns(Engagement.held_on).distinct())
    return sorted({d.year for d in days}, reverse=True)


@dataclass(frozen=True)
class PastEngagement:
    """An engagement of a ministry's history, checked, to enter in the calendar."""

    title: str
    held_on: dt.date
    starts_at: dt.datetime | None
    kind: EngagementKind
    channel: Channel | None
    delegations: list[Delegation]
    topics: list[str]
    outcomes: list[str]
    sources: list[str]

    @property
    def key(self) -> str:
        """Stable across imports: the day, who, and the title, whatever else a file adds."""
        codes = ",".join(sorted(d.code for d in self.delegations))
        text = f"{self.held_on.isoformat()}|{codes}|{' '.join(self.title.lower().split())}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


async def record_history(db: AsyncSession, past: list[PastEngagement]) -> tuple[int, int]:
    """Enter the engagements not entered before (by their key), uncommitted: a record of what
    was held, never a meeting. Returns (added, already there)."""
    slugs = {f"record-{p.held_on.isoformat()}-{p.key}": p for p in past}
    there = set(await db.scalars(select(Engagement.slug).where(Engagement.slug.in_(slugs))))
    added = 0
    for slug, p in slugs.items():
        if slug in there:
            continue
        db.add(
            Engagement(
                slug=slug,
                kind=p.kind,
                channel=p.channel or CHANNEL_OF_KIND[p.kind],
                title=p.title,
                held_on=p.held_on,
                starts_at=p.starts_at,
                status=EngagementStatus.ENDED,
                confidentiality=Confidentiality.RESTRICTED,
                languages=[],
                topics=tags(p.topics),
                outcomes=sentences(p.outcomes),
                sources=list(p.sources),
                delegations=[
                    Participation(delegation=d, position=i) for i, d in enumerate(p.delegations)
                ],
            )
        )
        added += 1
    await db.flush()
    return added, len(past) - added
