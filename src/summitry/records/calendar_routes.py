"""The calendar's API: importing a ministry's history, and each chart's data (JSON or CSV)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from summitry.delegations.schemas import InputModel
from summitry.deps import CurrentPrincipal, Db
from summitry.records.analytics import DATA, Chart, scope, table
from summitry.records.calendar_import import MAX_BYTES, import_history
from summitry.security.principals import require_secretariat, require_signed_in
from summitry.security.visibility import engagement_ids_visible

router = APIRouter(tags=["calendar"])

Year = Annotated[int | None, Query(ge=1900, le=2200, description="By default, the latest held")]
Code = Annotated[str | None, Query(max_length=12, description="A delegation's code: CN, EU")]


class ImportIn(InputModel):
    format: Literal["csv", "json"] = Field(description="How the file is written")
    content: str = Field(
        min_length=1,
        max_length=MAX_BYTES,
        description="The file's text: CSV with a header row, or a JSON array of objects",
    )


class ImportOut(BaseModel):
    rows: int
    added: int
    already_there: int


@router.post("/engagements/import")
async def import_engagements(data: ImportIn, db: Db, principal: CurrentPrincipal) -> ImportOut:
    """Enter past engagements from a CSV or JSON file's text: all, or none if a row is wrong
    (each bad row named by its line and column). Importing the same file again adds nothing."""
    require_secretariat(principal)
    report = await import_history(db, data.content.encode(), data.format)
    return ImportOut(rows=report.rows, added=report.added, already_there=report.already_there)


async def chart_data(
    db: Db, principal: CurrentPrincipal, chart: Chart, year: int | None, delegation: str | None
) -> dict[str, Any]:
    """The chart's data for what the principal may see."""
    among = engagement_ids_visible(require_signed_in(principal))
    return DATA[chart](await scope(db, among, year, delegation))


@router.get("/analytics/{chart}.csv", response_class=Response)
async def chart_csv(
    chart: Chart, db: Db, principal: CurrentPrincipal, year: Year = None, delegation: Code = None
) -> Response:
    """A chart's data as CSV, to download."""
    data = await chart_data(db, principal, chart, year, delegation)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table(chart, data))
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{chart}-{data["year"]}.csv"'},
    )


@router.get("/analytics/{chart}.json", response_class=JSONResponse)
async def chart_json_file(
    chart: Chart, db: Db, principal: CurrentPrincipal, year: Year = None, delegation: Code = None
) -> JSONResponse:
    """A chart's data as a JSON file, to download."""
    data = await chart_data(db, principal, chart, year, delegation)
    return JSONResponse(
        data, headers={"Content-Disposition": f'attachment; filename="{chart}-{data["year"]}.json"'}
    )


@router.get("/analytics/{chart}")
async def chart_json(
    chart: Chart, db: Db, principal: CurrentPrincipal, year: Year = None, delegation: Code = None
) -> dict[str, Any]:
    """A chart's data, for the year and delegation asked (the charts of /analytics)."""
    return await chart_data(db, principal, chart, year, delegation)
