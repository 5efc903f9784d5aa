"""The recordings page: what was recorded in the meeting, to hear, watch and download; and the
secretariat's switch that records the meeting or stops."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from summitry.deps import Db, PagePrincipal, RecordId, runtime_of
from summitry.engagements.operations import get_engagement
from summitry.meeting import operations as live
from summitry.records import recordings
from summitry.records.recording import listener_of, set_recording
from summitry.records.recording_state import is_recorded, recorded_by_default, recording_of
from summitry.web.forms import read_form, text
from summitry.web.rendering import render

router = APIRouter()

BASE = "/engagements/{engagement_id}/recordings"
TYPES = {"audio": "audio/ogg", "video": "video/webm"}


@router.get(BASE)
async def recordings_page(
    engagement_id: RecordId, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    """Each speaker's microphone and camera and each language channel, part by part."""
    actor = await listener_of(db, principal, engagement_id)
    engagement = await get_engagement(db, engagement_id)
    state = await live.meeting_state(db, engagement_id)
    folder = recordings.meeting_folder(runtime_of(request).settings.recordings, engagement_id)
    return render(
        request,
        "records/recordings.html",
        engagement=engagement,
        tracks=await recordings.tracks(folder),
        recording=recording_of(state),
        recorded=is_recorded(engagement, state),
        by_default=recorded_by_default(engagement),
        ended=state.ended,
        may_switch=actor.is_secretariat,
    )


@router.post(BASE)
async def switch(
    engagement_id: RecordId, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    """The secretariat's switch, from the page (no script needed)."""
    form = await read_form(request)
    await set_recording(db, principal, engagement_id, text(form, "on") == "yes")
    return RedirectResponse(BASE.format(engagement_id=engagement_id), 303)


@router.get(BASE + "/{name}")
async def recording_file(
    engagement_id: RecordId, name: str, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    """One recorded file; only a name the listing gives is served."""
    await listener_of(db, principal, engagement_id)
    folder = recordings.meeting_folder(runtime_of(request).settings.recordings, engagement_id)
    found = await recordings.track(folder, name)
    return FileResponse(found.path, media_type=TYPES[found.media], filename=found.name)
