"""HTTP API of the minutes: the secretariat's draft, and the published versions."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from summitry.deps import CurrentPrincipal, Db, RecordId
from summitry.records import minutes_drafting as drafting
from summitry.records.minutes_drafting import MAX_TEXT, Minutes
from summitry.records.minutes_models import MinutesVersion
from summitry.records.minutes_rendering import pdf_of

router = APIRouter(prefix="/engagements/{engagement_id}/minutes", tags=["minutes"])


class WrittenIn(BaseModel):
    """What the secretariat changes: a part left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    introduction: str | None = Field(default=None, max_length=MAX_TEXT + 2_000)
    summaries: dict[str, str] | None = Field(
        default=None,
        max_length=200,
        description="An agenda item's number → its summary (plain paragraphs, a blank line "
        f"between two; at most {MAX_TEXT:,} characters each)",
        examples=[{"1": "The leaders welcomed the conclusion of the negotiations."}],
    )


class VersionOut(BaseModel):
    number: int
    sha256: str
    published_at: dt.datetime
    published_by: str


class PublishedOut(VersionOut):
    minutes: Minutes


def _version_out(version: MinutesVersion) -> VersionOut:
    return VersionOut(
        number=version.number,
        sha256=version.sha256,
        published_at=version.published_at,
        published_by=version.published_by,
    )


def _published_out(version: MinutesVersion) -> PublishedOut:
    return PublishedOut(
        **_version_out(version).model_dump(), minutes=drafting.version_minutes(version)
    )


@router.get("/draft")
async def draft(engagement_id: RecordId, db: Db, principal: CurrentPrincipal) -> Minutes:
    """The secretariat's draft: the record drawn from the log, and the written text."""
    return await drafting.draft_of(db, principal, engagement_id)


@router.post("/draft")
async def generate(engagement_id: RecordId, db: Db, principal: CurrentPrincipal) -> Minutes:
    """Draw the record from the log (again); what the secretariat wrote is kept."""
    return await drafting.generate(db, principal, engagement_id)


@router.patch("/draft")
async def edit(
    engagement_id: RecordId, data: WrittenIn, db: Db, principal: CurrentPrincipal
) -> Minutes:
    """Change the introduction or an agenda item's summary."""
    return await drafting.edit(
        db, principal, engagement_id, introduction=data.introduction, summaries=data.summaries
    )


@router.post("/versions", status_code=201)
async def publish(engagement_id: RecordId, db: Db, principal: CurrentPrincipal) -> PublishedOut:
    """Publish the draft as the next version (earlier versions stay as they were)."""
    return _published_out(await drafting.publish(db, principal, engagement_id))


@router.get("/versions")
async def versions(
    engagement_id: RecordId, db: Db, principal: CurrentPrincipal
) -> list[VersionOut]:
    """Every published version, first to latest."""
    return [_version_out(v) for v in await drafting.versions_of(db, principal, engagement_id)]


@router.get("/versions/{number}")
async def version(
    engagement_id: RecordId, number: RecordId, db: Db, principal: CurrentPrincipal
) -> PublishedOut:
    """One published version of the minutes, whole."""
    return _published_out(await drafting.version_of(db, principal, engagement_id, number))


@router.get(
    "/versions/{number}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The minutes as PDF"}},
)
async def version_pdf(
    engagement_id: RecordId, number: RecordId, db: Db, principal: CurrentPrincipal
) -> Response:
    """One published version as PDF/A, with the same content as the page."""
    found = await drafting.version_of(db, principal, engagement_id, number)
    minutes = drafting.version_minutes(found)
    await db.commit()  # no transaction held while WeasyPrint renders
    return Response(
        await pdf_of(minutes, found),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="minutes-{engagement_id}-v{number}.pdf"'
        },
    )
