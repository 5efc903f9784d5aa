"""The speaking log page: who spoke, for which delegation, on which item, for how long."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from summitry.deps import Db, PagePrincipal
from summitry.engagements.operations import get_engagement
from summitry.floor import records
from summitry.meeting.operations import require_follower
from summitry.web.rendering import render

router = APIRouter()


@router.get("/engagements/{engagement_id}/speaking-log")
async def speaking_log_page(
    engagement_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    await require_follower(db, principal, engagement_id)
    engagement = await get_engagement(db, engagement_id)
    rows = await records.speaking_log(db, engagement_id)
    calls = await records.roll_calls(db, engagement_id)
    zone = engagement.host.timezone if engagement.host else "UTC"
    return render(
        request, "floor/speaking_log.html", engagement=engagement, rows=rows, calls=calls, zone=zone
    )
