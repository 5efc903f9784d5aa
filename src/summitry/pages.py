"""Every server-rendered page, gathered from the capabilities."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from summitry import documents, engagements, floor, interpretation, meeting, records, security
from summitry.delegations.catalogue import language_name
from summitry.documents.pages import router as document_pages
from summitry.documents.texts import marked
from summitry.engagements.guest_list_pages import router as guest_list_pages
from summitry.engagements.pages import router as engagement_pages
from summitry.engagements.planning_pages import router as planning_pages
from summitry.floor.pages import router as floor_pages
from summitry.interpretation.pages import router as interpretation_pages
from summitry.meeting.pages import router as meeting_pages
from summitry.records.archive_pages import router as archive_pages
from summitry.records.feed_pages import router as feed_pages
from summitry.records.minutes_pages import router as minutes_pages
from summitry.records.readout_pages import router as readout_pages
from summitry.records.recording_pages import router as recording_pages
from summitry.security.pages import router as security_pages
from summitry.web.rendering import add_templates, templates

# Shared rendering knows no capability: each capability's templates, scripts and styles live in
# its own package (``templates/`` and ``static/``), and the language names every page shows come
# from here.
WITH_PAGES = (documents, engagements, floor, interpretation, meeting, records, security)
ASSETS = {
    package.__name__.rpartition(".")[2]: Path(package.__file__ or "").parent / "static"
    for package in WITH_PAGES
}
for name, assets in ASSETS.items():
    add_templates(name, assets.with_name("templates"))
templates.env.filters["language_name"] = language_name
templates.env.filters["brackets"] = marked

router = APIRouter(include_in_schema=False)
router.include_router(security_pages)
router.include_router(planning_pages)  # before the reading pages: /engagements/new is no id
router.include_router(guest_list_pages)
router.include_router(engagement_pages)
router.include_router(meeting_pages)
router.include_router(floor_pages)
router.include_router(interpretation_pages)
router.include_router(document_pages)
router.include_router(minutes_pages)
router.include_router(readout_pages)
router.include_router(recording_pages)
router.include_router(feed_pages)
router.include_router(archive_pages)
