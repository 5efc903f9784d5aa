"""HTTP API of the recording: turn it on or off, and list what was recorded."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from summitry.deps import CurrentPrincipal, Db, RecordId, runtime_of
from summitry.log.events import Applied
from summitry.records import recordings
from summitry.records.recording import listener_of, set_recording

router = APIRouter(prefix="/engagements/{engagement_id}", tags=["records"])


class RecordingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: bool


class TrackOut(BaseModel):
    """A recorded file as ``recordings.Track`` has it (its path on disk aside), and its address."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    source: str
    """``floor``, or the language channel's code."""
    label: str
    media: str
    part: int
    began: dt.datetime
    seconds: float
    size: int
    url: str = ""


@router.put("/recording")
async def turn_recording(
    engagement_id: RecordId, data: RecordingIn, db: Db, principal: CurrentPrincipal
) -> Applied:
    """Record the meeting, or stop (the secretariat); everyone in it is told."""
    return Applied(events=await set_recording(db, principal, engagement_id, data.on))


@router.get("/recordings")
async def recorded(
    engagement_id: RecordId, request: Request, db: Db, principal: CurrentPrincipal
) -> list[TrackOut]:
    """Every file recorded in the meeting, converted to Opus (sound) or WebM (camera)."""
    await listener_of(db, principal, engagement_id)
    folder = recordings.meeting_folder(runtime_of(request).settings.recordings, engagement_id)
    return [
        TrackOut.model_validate(t).model_copy(
            update={
                "seconds": round(t.seconds, 2),
                "url": f"/engagements/{engagement_id}/recordings/{t.name}",
            }
        )
        for t in await recordings.tracks(folder)
    ]
