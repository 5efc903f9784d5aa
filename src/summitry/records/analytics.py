"""What an analyst draws from the calendar: engagements per month by channel, who met whom,
the regions of the counterparts, and one delegation's rhythm over a year."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from babel.dates import get_month_names
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.delegations.models import DelegationKind
from summitry.delegations.operations import list_delegations
from summitry.engagements.calendar import CalendarFilter, CalendarRow, calendar_rows, years_held
from summitry.engagements.models import Channel
from summitry.records.regions import region_of

Chart = Literal["channels", "network", "regions", "rhythm"]
CHARTS: tuple[Chart, ...] = ("channels", "network", "regions", "rhythm")
NETWORK_SIZE = 30
"""The network shows the delegations that took part most: beyond some thirty it is a blur."""


@dataclass(frozen=True)
class Scope:
    """The year and delegation the charts are drawn for, and what else could be chosen."""

    year: int
    delegation: str | None
    rhythm_of: str | None
    """Whose rhythm is drawn: the delegation chosen, or the one that took part most."""
    years: list[int]
    names: dict[str, str]
    states: frozenset[str]
    rows: list[CalendarRow]


async def scope(
    db: AsyncSession, among: list[int] | None, year: int | None, delegation: str | None
) -> Scope:
    """The rows for ``year`` (by default the latest year with an engagement held)."""
    years = await years_held(db, among)
    chosen = year or (years[0] if years else dt.datetime.now(dt.UTC).year)
    code = delegation.strip().upper() if delegation else None
    found = CalendarFilter(
        counterpart=code, since=dt.date(chosen, 1, 1), until=dt.date(chosen, 12, 31)
    )
    rows = await calendar_rows(db, found, among=among)
    delegations = await list_delegations(db)
    names = {d.code: d.name for d in delegations}
    states = frozenset(d.code for d in delegations if d.kind is DelegationKind.STATE)
    taking_part = Counter(c for r in rows for c in set(r.codes))
    rhythm_of = code or (taking_part.most_common(1)[0][0] if taking_part else None)
    return Scope(chosen, code, rhythm_of, years, names, states, rows)


def per_month(s: Scope) -> dict[str, Any]:
    """Engagements in each month of the year, by channel."""
    months = get_month_names("abbreviated", locale="en")
    counts = Counter((r.held_on.month, r.channel) for r in s.rows)
    return {
        "year": s.year,
        "months": [months[m] for m in range(1, 13)],
        "channels": {
            c.value: [counts[(m, c)] for m in range(1, 13)] for c in Channel
        },
    }  # fmt: skip


def network(s: Scope) -> dict[str, Any]:
    """The delegations that took part most, and how often each pair met."""
    taking_part = Counter(c for r in s.rows for c in set(r.codes))
    shown = {c for c, _ in taking_part.most_common(NETWORK_SIZE)}
    pairs = Counter(
        pair for r in s.rows for pair in itertools.combinations(sorted(set(r.codes) & shown), 2)
    )
    return {
        "year": s.year,
        "nodes": [
            {"code": c, "name": s.names.get(c, c), "engagements": n}
            for c, n in sorted(taking_part.items(), key=lambda i: (-i[1], i[0]))
            if c in shown
        ],
        "links": [
            {"source": a, "target": b, "meetings": n}
            for (a, b), n in sorted(pairs.items(), key=lambda i: (-i[1], i[0]))
        ],
    }


def regions(s: Scope) -> dict[str, Any]:
    """Engagements with a counterpart of each UN M49 region (an engagement counts once in
    each region it reached)."""
    counts = Counter(
        region for r in s.rows for region in {region_of(c, c in s.states) for c in r.codes}
    )
    ranked = sorted(counts.items(), key=lambda i: (-i[1], i[0]))
    return {"year": s.year, "regions": [{"region": k, "engagements": n} for k, n in ranked]}


def rhythm(s: Scope) -> dict[str, Any]:
    """Each day of the year the delegation whose rhythm is drawn took part in an engagement."""
    taking_part = [r for r in s.rows if s.rhythm_of in r.codes]
    days = Counter(r.held_on for r in taking_part)
    channels = Counter(r.channel for r in taking_part)
    return {
        "year": s.year,
        "delegation": s.rhythm_of,
        "name": s.names.get(s.rhythm_of or "", s.rhythm_of),
        "channels": {c.value: channels[c] for c in Channel},
        "days": [{"date": d.isoformat(), "engagements": n} for d, n in sorted(days.items())],
    }


DATA = {"channels": per_month, "network": network, "regions": regions, "rhythm": rhythm}


def table(chart: Chart, data: dict[str, Any]) -> list[list[Any]]:
    """A chart's data as rows for CSV, the header first."""
    if chart == "channels":
        names = list(data["channels"])
        return [["month", *names]] + [
            [f"{data['year']}-{i + 1:02d}", *(data["channels"][c][i] for c in names)]
            for i in range(12)
        ]
    if chart == "network":
        return [["source", "target", "meetings"]] + [
            [link["source"], link["target"], link["meetings"]] for link in data["links"]
        ]
    if chart == "regions":
        return [["region", "engagements"]] + [
            [r["region"], r["engagements"]] for r in data["regions"]
        ]
    return [["delegation", "date", "engagements"]] + [
        [data["delegation"], d["date"], d["engagements"]] for d in data["days"]
    ]
