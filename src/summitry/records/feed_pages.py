"""The Atom feeds of published readouts: every delegation's, and one delegation's."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from summitry.delegations.operations import find_delegation
from summitry.deps import Db, runtime_of
from summitry.errors import NotFound
from summitry.records.feed import atom
from summitry.records.readout_reading import published

router = APIRouter()
ATOM = "application/atom+xml; charset=utf-8"


def _base(request: Request) -> str:
    configured = runtime_of(request).settings.base_url
    return (configured or str(request.base_url)).rstrip("/")


@router.get("/readouts.atom")
async def every_readout(request: Request, db: Db) -> Response:
    seen = await published(db, None, public_only=True)
    names = {}
    for code in {s.readout.delegation for s in seen}:
        found = await find_delegation(db, code)
        names[code] = found.name if found else code
    body = atom(seen, base_url=_base(request), path="/readouts.atom", title="Readouts", names=names)
    return Response(body, media_type=ATOM)


@router.get("/delegations/{code}/readouts.atom")
async def delegation_readouts(
    request: Request, db: Db, code: str = Path(max_length=12)
) -> Response:
    delegation = await find_delegation(db, code)
    if delegation is None:
        raise NotFound("no delegation with this code is recorded")
    seen = await published(db, None, delegation=delegation.code, public_only=True)
    path = f"/delegations/{delegation.code}/readouts.atom"
    title = f"Readouts of {delegation.name}"
    names = {delegation.code: delegation.name}
    body = atom(seen, base_url=_base(request), path=path, title=title, names=names)
    return Response(body, media_type=ATOM)
