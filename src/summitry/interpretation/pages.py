"""The interpreter's console: hear the floor, speak into the booth's channel, hand over."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from summitry.deps import Db, PagePrincipal
from summitry.errors import Forbidden
from summitry.interpretation.booths import booths_of
from summitry.meeting.operations import participant_of
from summitry.web.rendering import render

router = APIRouter()


@router.get("/engagements/{engagement_id}/interpretation/console")
async def console_page(
    engagement_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    me = await participant_of(db, principal, engagement_id)
    engagement = me.engagement
    booths = booths_of(engagement)
    mine = next((b for b in booths if any(a.id == me.attendee.id for a in b.interpreters)), None)
    if mine is None:
        raise Forbidden("the console is for the interpreters of this engagement's booths")
    return render(
        request,
        "interpretation/console.html",
        engagement=engagement,
        booth=mine,
        partners=[a for a in mine.interpreters if a.id != me.attendee.id],
        others=[b for b in booths if b is not mine],
        host_zone=engagement.host.timezone if engagement.host else "UTC",
    )
