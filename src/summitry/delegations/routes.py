"""HTTP API for delegations and their people (secretariat only)."""

from __future__ import annotations

from fastapi import APIRouter, status

from summitry.delegations import operations
from summitry.delegations.schemas import DelegationIn, DelegationOut, PersonIn, PersonOut
from summitry.deps import CurrentPrincipal, Db
from summitry.engagements.secretariat import serving_only
from summitry.security.principals import require_secretariat

router = APIRouter(prefix="/delegations", tags=["delegations"])


@router.get("")
async def list_delegations(db: Db, principal: CurrentPrincipal) -> list[DelegationOut]:
    """Every recorded delegation, by name."""
    require_secretariat(principal)
    return [DelegationOut.model_validate(d) for d in await operations.list_delegations(db)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_delegation(
    data: DelegationIn, db: Db, principal: CurrentPrincipal
) -> DelegationOut:
    """Record a state (by ISO 3166 code) or an organisation."""
    require_secretariat(principal)
    return DelegationOut.model_validate(await operations.create_delegation(db, data))


@router.get("/{code}")
async def get_delegation(code: str, db: Db, principal: CurrentPrincipal) -> DelegationOut:
    """One delegation by its code."""
    require_secretariat(principal)
    return DelegationOut.model_validate(await operations.get_delegation(db, code))


@router.get("/{code}/people")
async def list_people(code: str, db: Db, principal: CurrentPrincipal) -> list[PersonOut]:
    """The people recorded for a delegation (not those who only serve meetings: the
    secretariat, interpreters and press are roles of a meeting, not a delegation's people)."""
    require_secretariat(principal)
    delegation = await operations.get_delegation(db, code)
    await db.refresh(delegation, ["people"])
    staff = await serving_only(db, delegation.id)
    return [PersonOut.model_validate(p) for p in delegation.people if p.id not in staff]


@router.post("/{code}/people", status_code=status.HTTP_201_CREATED)
async def add_person(code: str, data: PersonIn, db: Db, principal: CurrentPrincipal) -> PersonOut:
    """Record a person who may take part for this delegation."""
    require_secretariat(principal)
    delegation = await operations.get_delegation(db, code)
    return PersonOut.model_validate(await operations.add_person(db, delegation, data))
