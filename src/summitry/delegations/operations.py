"""Recording delegations and their people: checks first, then the change."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.delegations import catalogue
from summitry.delegations.models import Delegation, DelegationKind, Person
from summitry.delegations.schemas import DelegationIn, PersonIn
from summitry.errors import Conflict, InvalidInput, NotFound


def check_delegation(data: DelegationIn) -> Delegation:
    """A new, unsaved delegation from ``data``, or an error that says what to correct."""
    code = data.code.strip().upper()
    if data.kind is DelegationKind.STATE:
        found = catalogue.country(code)
        if found is None:
            raise InvalidInput(
                f"'{data.code}' is not an ISO 3166 country code; use a code such as DE, CN or ZA",
                field="code",
            )
        code, name = found
        zones = catalogue.country_timezones(code)
        zone = data.timezone or (zones[0] if zones else None)
        if zone is None:
            raise InvalidInput(f"give the time zone of {name}'s capital", field="timezone")
        return Delegation(
            code=code,
            kind=DelegationKind.STATE,
            name=name,
            timezone=catalogue.check_timezone(zone),
        )
    if catalogue.country(code) is not None and len(code) == 2:
        raise InvalidInput(
            f"'{code}' is a country's ISO code; give the organisation a code of its own",
            field="code",
        )
    known = catalogue.organisation(code)
    org_name = data.name or (known.name if known else None)
    if not org_name:
        raise InvalidInput(f"give the name of the organisation '{code}'", field="name")
    zone = data.timezone or (known.timezone if known else None)
    if zone is None:
        raise InvalidInput(f"give the time zone of the seat of {org_name}", field="timezone")
    return Delegation(
        code=code,
        kind=DelegationKind.ORGANISATION,
        name=org_name,
        timezone=catalogue.check_timezone(zone),
    )


async def create_delegation(db: AsyncSession, data: DelegationIn) -> Delegation:
    """Record a delegation; a code already recorded is a conflict."""
    delegation = check_delegation(data)
    if await find_delegation(db, delegation.code) is not None:
        raise Conflict(f"a delegation with the code {delegation.code} exists already", field="code")
    db.add(delegation)
    await db.commit()
    return delegation


_CODE = re.compile(r"[A-Z][A-Z0-9]{1,11}")


async def find_delegation(db: AsyncSession, code: str) -> Delegation | None:
    """The delegation with this code, if recorded."""
    normal = code.strip().upper()
    if not _CODE.fullmatch(normal):
        return None  # not a code at all (no database needs to see a NUL byte)
    found: Delegation | None = await db.scalar(select(Delegation).where(Delegation.code == normal))
    return found


async def ensure_delegation(db: AsyncSession, code: str, field: str = "delegations") -> Delegation:
    """The delegation with this code, recorded now (uncommitted) if ISO 3166 or the catalogue
    knows it; any other unknown code is an error about ``field``."""
    found = await find_delegation(db, code)
    if found is not None:
        return found
    normal = code.strip().upper()
    if len(normal) == 2 and catalogue.country(normal) is not None:
        delegation = check_delegation(DelegationIn(code=normal, kind=DelegationKind.STATE))
    elif (known := catalogue.organisation(normal)) is not None and known.timezone:
        delegation = check_delegation(DelegationIn(code=normal, kind=DelegationKind.ORGANISATION))
    else:
        raise InvalidInput(
            f"'{code}' is neither an ISO 3166 country code nor a recorded organisation; "
            "record the organisation first (POST /api/v1/delegations)",
            field=field,
        )
    db.add(delegation)
    await db.flush()
    return delegation


async def get_delegation(db: AsyncSession, code: str) -> Delegation:
    """The delegation with this code, or a 404 that names it."""
    delegation = await find_delegation(db, code)
    if delegation is None:
        raise NotFound(f"no delegation has the code '{code}'; record it first")
    return delegation


async def list_delegations(db: AsyncSession) -> list[Delegation]:
    """Every recorded delegation, by name."""
    return list(await db.scalars(select(Delegation).order_by(Delegation.name)))


async def add_person(db: AsyncSession, delegation: Delegation, data: PersonIn) -> Person:
    """Record a person of ``delegation``; the same name in the same office is a conflict."""
    language = catalogue.check_language(data.language, "language") if data.language else None
    existing = await db.scalar(
        select(Person).where(
            Person.delegation_id == delegation.id,
            Person.name == data.name.strip(),
            Person.office == data.office.strip(),
        )
    )
    if existing is not None:
        raise Conflict(f"{data.name} is already recorded as {data.office} of {delegation.name}")
    person = Person(
        delegation_id=delegation.id,
        name=data.name.strip(),
        office=data.office.strip(),
        form_of_address=data.form_of_address.strip(),
        language=language,
        email=str(data.email) if data.email else None,
    )
    db.add(person)
    await db.commit()
    return person


async def get_person(db: AsyncSession, person_id: int) -> Person:
    """The person with this id, or a 404."""
    person = await db.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person has the id {person_id}")
    return person
