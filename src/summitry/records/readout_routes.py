"""HTTP API of readouts and of the record's full-text search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from summitry.deps import CurrentPrincipal, Db, RecordId
from summitry.records import readouts, search
from summitry.records.readout_reading import Seen, of_engagement, published, readout_seen
from summitry.records.readout_schemas import (
    DraftOut,
    HitOut,
    ReadoutEdit,
    ReadoutIn,
    ReadoutOut,
    VersionOut,
)
from summitry.records.readout_template import from_the_record
from summitry.security.principals import require_engagement_access

router = APIRouter(tags=["readouts"])


def readout_out(seen: Seen) -> ReadoutOut:
    """A readout as its reader may see it (the working text for its parties only)."""
    readout, last = seen.readout, len(seen.versions)
    return ReadoutOut(
        id=readout.id,
        engagement_id=readout.engagement_id,
        delegation=readout.delegation,
        parties=readout.parties,
        link=f"/readouts/{readout.id}",
        versions=[
            VersionOut(
                number=v.number,
                title=v.title,
                body=v.body,
                audience=v.audience,
                published_at=v.published_at,
                visible_from=v.visible_from,
                published_by=v.published_by,
                superseded=i < last,
            )
            for i, v in enumerate(seen.versions, start=1)
        ],
        draft=DraftOut(
            title=readout.title,
            body=readout.body,
            audience=readout.audience,
            embargo_until=readout.embargo_until,
            stage=readout.stage,
            approvals=readout.approvals,
            drafted_by=readout.drafted_by,
            updated_by=readout.updated_by,
        )
        if seen.party
        else None,
    )


@router.get("/readouts")
async def list_published(db: Db, principal: CurrentPrincipal) -> list[ReadoutOut]:
    """Published readouts past their embargo that the asker may read, newest first."""
    return [readout_out(s) for s in await published(db, principal)]


@router.get("/readouts/{readout_id}")
async def read_readout(readout_id: RecordId, db: Db, principal: CurrentPrincipal) -> ReadoutOut:
    return readout_out(await readout_seen(db, principal, readout_id))


@router.get("/engagements/{engagement_id}/readouts")
async def list_readouts(
    engagement_id: RecordId, db: Db, principal: CurrentPrincipal
) -> list[ReadoutOut]:
    """The engagement's readouts the asker may read (with their own delegation's drafts)."""
    require_engagement_access(principal, engagement_id)
    return [readout_out(s) for s in await of_engagement(db, principal, engagement_id)]


@router.post("/engagements/{engagement_id}/readouts", status_code=201)
async def draft_readout(
    engagement_id: RecordId, data: ReadoutIn, db: Db, principal: CurrentPrincipal
) -> ReadoutOut:
    """Draft the asker's delegation's readout; from the record's template where no text is given."""
    actor = await readouts.drafter(db, principal, engagement_id)
    start = await from_the_record(db, actor, engagement_id)
    text = readouts.Text(
        data.title if data.title is not None else start.title,
        data.body if data.body is not None else start.body,
        data.audience,
        data.embargo_until,
    )
    readout = await readouts.draft(db, actor, engagement_id, text, data.parties)
    return readout_out(await readout_seen(db, principal, readout.id))


@router.patch("/readouts/{readout_id}")
async def edit_readout(
    readout_id: RecordId, data: ReadoutEdit, db: Db, principal: CurrentPrincipal
) -> ReadoutOut:
    """A new text (back to draft; every approval cleared)."""
    readout, actor = await readouts.readout_for_party(db, principal, readout_id)
    text = readouts.Text(data.title, data.body, data.audience, data.embargo_until)
    await readouts.edit(db, actor, readout, text)
    return readout_out(await readout_seen(db, principal, readout_id))


@router.post("/readouts/{readout_id}/approval")
async def approve_readout(readout_id: RecordId, db: Db, principal: CurrentPrincipal) -> ReadoutOut:
    """The approval of the asker's delegation (its head of delegation, or its chair)."""
    readout, actor = await readouts.readout_for_party(db, principal, readout_id)
    await readouts.approve(db, actor, readout)
    return readout_out(await readout_seen(db, principal, readout_id))


@router.post("/readouts/{readout_id}/publication")
async def publish_readout(readout_id: RecordId, db: Db, principal: CurrentPrincipal) -> ReadoutOut:
    """Publish the approved text as the next version (under its embargo, if it has one)."""
    readout, actor = await readouts.readout_for_party(db, principal, readout_id)
    await readouts.publish(db, actor, readout)
    return readout_out(await readout_seen(db, principal, readout_id))


@router.get("/search")
async def search_record(
    db: Db,
    principal: CurrentPrincipal,
    q: Annotated[str, Query(max_length=500, description="words, all of which must be found")] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[HitOut]:
    """Readouts, adopted documents and engagements holding every word, best first."""
    hits = await search.find(db, principal, q, limit=limit)
    return [
        HitOut(
            kind=h.kind,
            title=h.title,
            snippet=str(h.snippet),
            link=h.link,
            engagement_id=h.engagement_id,
        )
        for h in hits
    ]
