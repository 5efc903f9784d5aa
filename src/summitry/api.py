"""The JSON API under /api/v1: each capability's router, and the errors every route may give."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from summitry.delegations.routes import router as delegations_router
from summitry.documents import adoption_routes, signing_routes  # noqa: F401 - their routes join the documents router
from summitry.documents.routes import router as documents_router
from summitry.engagements.routes import router as engagements_router
from summitry.floor.routes import router as floor_router
from summitry.interpretation.routes import router as interpretation_router
from summitry.meeting.routes import router as live_router
from summitry.records.calendar_routes import router as calendar_router
from summitry.records.minutes_routes import router as minutes_router
from summitry.records.readout_routes import router as readouts_router
from summitry.records.recording_routes import router as recording_router
from summitry.security.routes import router as security_router
from summitry.telephony.routes import router as telephony_router


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    """Every error the API returns has this shape."""

    error: ErrorDetail


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "The request could not be read (malformed JSON, say)"),
        (401, "Not signed in"),
        (403, "Signed in, but the role does not allow this"),
        (404, "No such thing, or not one you may see"),
        (409, "Contradicts what is recorded (a duplicate, say)"),
        (413, "The request body is too large"),
        (415, "The body is not JSON"),
        (422, "A value is not acceptable; the message says which and why"),
    )
}

CAPABILITIES: tuple[APIRouter, ...] = (
    security_router,
    delegations_router,
    calendar_router,  # before the engagements': /engagements/import is no engagement's id
    engagements_router,
    live_router,
    floor_router,
    interpretation_router,
    telephony_router,
    documents_router,  # with adoption_routes' and signing_routes' routes
    signing_routes.authority_router,
    minutes_router,
    readouts_router,  # with the record's search
    recording_router,
)


def include_api(app: FastAPI) -> None:
    """Each capability's router under /api/v1, on the app itself: FastAPI matches a request
    again at each level of nested routers, and a live socket's opening spent a tenth of the
    server's time finding its route under an /api/v1 router of its own (docs/benchmarks.md)."""
    for capability in CAPABILITIES:
        app.include_router(capability, prefix="/api/v1", responses=_ERRORS)
