"""Full-text search of the record: published readouts, adopted documents and engagements.

One function, ``find``, for every page and route that searches. The words are taken from
what was typed (letters and digits only, so that no character of either database's query
syntax reaches it: a quote, ``NEAR(`` or a lone dash are nothing) and must all be present.
PostgreSQL reads the ``tsvector`` of ``record_text`` through its GIN index with
``websearch_to_tsquery`` and marks the words with ``ts_headline``; SQLite reads its FTS5
table and marks them with ``snippet()``. Both use a tokenizer that knows no language (the
'simple' configuration; FTS5's unicode61): the record is in English, French, German,
Chinese and more, one configuration per language would need each text's language and would
find a word in one database that the other misses.

Who sees what is decided in the query, at the time of asking: a hit must be visible from
``now`` (an embargo ends without any job running), and public, or of an engagement whose
details the asker may see.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.db import utcnow
from summitry.engagements.models import Confidentiality, Engagement, Role
from summitry.records import record_index
from summitry.records.readout_models import Audience, RecordText
from summitry.security.principals import Invitee, Principal, Secretary

MAX_WORDS = 12
WORD = re.compile(r"\w+")
START, STOP = "\ue000", "\ue001"
"""Marks around a found word (private-use characters no text holds), made HTML after the
text around them has been escaped."""
_fts = table("record_text_fts", column("rowid"))
HitRows = Select[str, int, int, str, str, float]
"""Kind, id, engagement, title, snippet, rank: a hit's row, from either database."""
_FTS: ColumnElement[Any] = literal_column("record_text_fts")


@dataclass(frozen=True)
class Hit:
    """One thing found, with a snippet of it, its words marked."""

    kind: str
    """``readout``, ``document`` or ``engagement``."""
    ref_id: int
    engagement_id: int
    title: str
    snippet: Markup
    link: str
    rank: float


def words_of(typed: str) -> list[str]:
    """The words to look for: letters and digits, nothing of a query language."""
    return [w.lower() for w in WORD.findall(typed)][:MAX_WORDS]


async def find(
    db: AsyncSession,
    principal: Principal | None,
    typed: str,
    *,
    limit: int = 50,
    now: dt.datetime | None = None,
) -> list[Hit]:
    """What the record holds of these words that this person may read, best first."""
    words = words_of(typed)
    if not words:
        return []
    await record_index.catch_up(db)
    now = now or utcnow()
    allowed = await _allowed(db, principal)
    query = _postgresql(words) if db.get_bind().dialect.name == "postgresql" else _sqlite(words)
    query = query.where(RecordText.visible_from <= now, allowed).limit(max(1, min(limit, 200)))
    rows = (await db.execute(query)).all()
    return [
        Hit(kind, ref, engagement, title, _marked(snippet), _link(kind, ref, engagement), rank)
        for kind, ref, engagement, title, snippet, rank in rows
    ]


def _postgresql(words: list[str]) -> HitRows:
    query = func.websearch_to_tsquery("simple", " ".join(words))
    document = func.to_tsvector("simple", RecordText.title + " " + RecordText.body)
    snippet = func.ts_headline(
        "simple",
        RecordText.body,
        query,
        f"StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=2",
        type_=String,
    )
    rank = func.ts_rank(document, query, type_=Float)
    found = _hits(snippet, rank).where(document.op("@@")(query))
    return found.order_by(rank.desc(), RecordText.id.desc())


def _hits(snippet: ColumnElement[str], rank: ColumnElement[float]) -> HitRows:
    """What a hit is made of, whichever database finds it (the higher the rank, the better)."""
    return select(
        RecordText.kind,
        RecordText.ref_id,
        RecordText.engagement_id,
        RecordText.title,
        snippet,
        rank,
    )


def _sqlite(words: list[str]) -> HitRows:
    # Each word quoted: FTS5 then reads it as a word, whatever it is (AND, NEAR, ...).
    match = " ".join(f'"{w}"' for w in words)
    snippet = func.snippet(_FTS, -1, START, STOP, "…", 24, type_=String)
    rank = func.bm25(_FTS, 4.0, 1.0, type_=Float)
    return (
        _hits(snippet, -rank)
        .join(_fts, _fts.c.rowid == RecordText.id)
        .where(_FTS.op("MATCH")(match))
        .order_by(rank, RecordText.id.desc())
    )


async def _allowed(db: AsyncSession, principal: Principal | None) -> ColumnElement[bool]:
    """Public texts for anyone; the rest for whoever may see their engagement's details."""
    public = RecordText.audience == Audience.PUBLIC
    if isinstance(principal, Secretary):
        return literal(True)
    if not isinstance(principal, Invitee):
        return public
    full = [g.engagement_id for g in principal.grants if g.role is not Role.PRESS]
    press = [g.engagement_id for g in principal.grants if g.role is Role.PRESS]
    if press:
        public_ones = await db.scalars(
            select(Engagement.id).where(
                Engagement.id.in_(press), Engagement.confidentiality == Confidentiality.PUBLIC
            )
        )
        full.extend(public_ones)
    if not full:
        return or_(public, false())
    return or_(public, RecordText.engagement_id.in_(full))


def _marked(snippet: str | None) -> Markup:
    escaped = str(escape(snippet or ""))
    return Markup(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S704 - escaped above


def _link(kind: str, ref_id: int, engagement_id: int) -> str:
    if kind == "readout":
        return f"/readouts/{ref_id}"
    if kind == "document":
        return f"/engagements/{engagement_id}/documents/{ref_id}"
    return f"/engagements/{engagement_id}"
