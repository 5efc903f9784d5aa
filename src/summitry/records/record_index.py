"""The record's text as full-text search reads it (``record_text``), kept up to date.

A readout is indexed when it is published, by the readouts' own operation. Engagements and
adopted documents belong to other capabilities, so the index catches up with them before a
search (``catch_up``): an engagement whose ``updated_at`` is not the one indexed, and the
documents of every engagement whose log gained an adoption or a signature since the mark.
That costs two small queries when nothing changed, and needs no job running beside it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.db import intend_to_write
from summitry.documents.actors import Actor
from summitry.documents.drafting import documents_of, version_of
from summitry.documents.models import DocumentStage
from summitry.engagements.models import Engagement
from summitry.records.readout_models import (
    Audience,
    Readout,
    ReadoutVersion,
    RecordIndexMark,
    RecordText,
)

ALWAYS = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
DOCUMENT_EVENTS = ("text_adopted", "document_signed")
MARK_LAG = 5_000
"""How many events the mark may fall behind the log before a search moves it on."""
PUBLISHED_STAGES = frozenset({DocumentStage.ADOPTED, DocumentStage.SIGNED})
INDEXER = Actor("The record's index", True)
"""Reads every document (as the secretariat would) to index those that are public."""


async def put_readout(db: AsyncSession, readout: Readout, version: ReadoutVersion) -> None:
    """Index a readout's newest published version in place of the one before (in the
    caller's transaction)."""
    await db.execute(
        delete(RecordText).where(RecordText.kind == "readout", RecordText.ref_id == readout.id)
    )
    db.add(
        RecordText(
            kind="readout",
            ref_id=readout.id,
            engagement_id=readout.engagement_id,
            title=version.title,
            body=version.body,
            visible_from=version.visible_from,
            audience=version.audience,
        )
    )


async def catch_up(db: AsyncSession) -> None:
    """Index what changed in engagements and documents since the index last looked.

    Read first, and write only when there is something to index (or the mark has fallen far
    behind the log): a search on a busy server, whose log grows with every word on the
    floor, does not take the write lock each time.
    """
    mark = await db.get(RecordIndexMark, 1)
    after = mark.last_event_id if mark else 0
    newest = await log.newest_event_id(db)
    adopted: set[int] = set()
    for kind in DOCUMENT_EVENTS:
        adopted.update(await log.engagements_with(db, kind, after))
    stale = await _stale_engagements(db)
    if not stale and not adopted and newest - after < MARK_LAG:
        return
    await db.commit()  # a search reads in a transaction that may not write: begin one that may
    await intend_to_write(db)
    try:
        for engagement in await _stale_engagements(db):
            await _put_engagement(db, engagement)
        for engagement_id in sorted(adopted):
            await _put_documents(db, engagement_id)
        current = await db.get(RecordIndexMark, 1)
        if current is None:
            db.add(RecordIndexMark(id=1, last_event_id=newest))
        else:
            current.last_event_id = max(current.last_event_id, newest)
        await db.commit()
    except IntegrityError:
        await db.rollback()  # another search indexed the same at the same moment


async def _stale_engagements(db: AsyncSession) -> list[Engagement]:
    """Engagements not indexed, or changed since (reading their rows, never writing them)."""
    indexed = select(RecordText.ref_id, RecordText.source_at).where(RecordText.kind == "engagement")
    known = dict((await db.execute(indexed)).all())
    current = (await db.execute(select(Engagement.id, Engagement.updated_at))).all()
    stale = [i for i, at in current if i not in known or known[i] != at]
    if not stale:
        return []
    return list(await db.scalars(select(Engagement).where(Engagement.id.in_(stale))))


async def _put_engagement(db: AsyncSession, engagement: Engagement) -> None:
    await db.execute(
        delete(RecordText).where(
            RecordText.kind == "engagement", RecordText.ref_id == engagement.id
        )
    )
    db.add(
        RecordText(
            kind="engagement",
            ref_id=engagement.id,
            engagement_id=engagement.id,
            title=engagement.title,
            body=engagement.description,
            visible_from=ALWAYS,
            audience=Audience.RESTRICTED,
            source_at=engagement.updated_at,
        )
    )


async def _put_documents(db: AsyncSession, engagement_id: int) -> None:
    """The engagement's documents that are not confidential and were adopted (or signed),
    each with the text of the adopted version in every language."""
    if await db.get(Engagement, engagement_id) is None:
        return
    await db.execute(
        delete(RecordText).where(
            RecordText.kind == "document", RecordText.engagement_id == engagement_id
        )
    )
    for document in await documents_of(db, INDEXER, engagement_id):
        if document.confidential or document.stage not in PUBLISHED_STAGES:
            continue
        version = await version_of(db, document.id, document.adopted_version)
        body = "\n\n".join("\n\n".join(paragraphs) for paragraphs in version.texts.values())
        db.add(
            RecordText(
                kind="document",
                ref_id=document.id,
                engagement_id=engagement_id,
                title=document.title,
                body=body,
                visible_from=ALWAYS,
                audience=Audience.RESTRICTED,
            )
        )
