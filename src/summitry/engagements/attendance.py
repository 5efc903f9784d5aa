"""Who attends an engagement, read without loading the engagement with every attendee: as
plain rows for what lists a thousand people at once, one by one for what acts on one.

Loading the engagement with every attendee, person and delegation as objects took about a
third of a second for 1,000 attendees; the live feed needs the roster whenever a wave of pages
resumes. One query of the columns it shows is a small fraction of that.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from summitry.delegations.models import Delegation, Person, display_name
from summitry.engagements.models import Attendee, Participation, Role


@dataclass(frozen=True, slots=True)
class AttendeeLine:
    """One attendee as a list shows them."""

    attendee_id: int
    person_id: int
    role: Role
    booth: str | None
    name: str
    office: str
    language: str | None
    delegation_code: str
    delegation_name: str
    position: int | None
    """Their delegation's place in the order of precedence (``None``: it does not take part)."""


async def attendance(db: AsyncSession, engagement_id: int) -> list[AttendeeLine]:
    """Every attendee of the engagement, in no particular order."""
    rows = await db.execute(
        select(
            Attendee.id,
            Attendee.person_id,
            Attendee.role,
            Attendee.booth,
            Person.name,
            Person.form_of_address,
            Person.office,
            Person.language,
            Delegation.code,
            Delegation.name,
            Participation.position,
        )
        .join(Person, Person.id == Attendee.person_id)
        .join(Delegation, Delegation.id == Person.delegation_id)
        .outerjoin(
            Participation,
            and_(
                Participation.engagement_id == Attendee.engagement_id,
                Participation.delegation_id == Person.delegation_id,
            ),
        )
        .where(Attendee.engagement_id == engagement_id)
    )
    return [
        AttendeeLine(
            attendee_id=attendee_id,
            person_id=person_id,
            role=role,
            booth=booth,
            name=display_name(name, form_of_address, office),
            office=office,
            language=language,
            delegation_code=code,
            delegation_name=delegation_name,
            position=position,
        )
        for (
            attendee_id,
            person_id,
            role,
            booth,
            name,
            form_of_address,
            office,
            language,
            code,
            delegation_name,
            position,
        ) in rows
    ]


async def attendee_in(
    db: AsyncSession,
    engagement_id: int,
    *,
    attendee_id: int | None = None,
    person_id: int | None = None,
    with_engagement: bool = False,
) -> Attendee | None:
    """One attendee of the engagement (by its id or its person's), with person and delegation
    (joined in the same query: the floor's every request asks it); ``with_engagement``: and
    the engagement's row, which ``operations.engagement_row`` then finds without a query."""
    query = (
        select(Attendee)
        .where(Attendee.engagement_id == engagement_id)
        .options(joinedload(Attendee.person).joinedload(Person.delegation))
    )
    if with_engagement:
        query = query.options(joinedload(Attendee.engagement))
    if attendee_id is not None:
        query = query.where(Attendee.id == attendee_id)
    if person_id is not None:
        query = query.where(Attendee.person_id == person_id)
    found: Attendee | None = await db.scalar(query.limit(1))
    return found


@dataclass(frozen=True, slots=True)
class Invited:
    """An attendee as an invitation names them: enough to say who is asking, and where."""

    engagement_id: int
    person_id: int
    role: Role
    name: str


_INVITED = (
    select(
        Attendee.id,
        Attendee.engagement_id,
        Attendee.person_id,
        Attendee.role,
        Person.name,
        Person.form_of_address,
        Person.office,
    )
    .join(Person, Person.id == Attendee.person_id)
    .where(Attendee.id.in_(bindparam("ids", expanding=True)))
)
"""Built once: every request and every live connection asks it."""


async def invited(db: AsyncSession, attendee_ids: list[int]) -> dict[int, Invited]:
    """The attendees an invitation may name, by id: one query of four columns, for what every
    request and every live connection asks."""
    if not attendee_ids:
        return {}
    rows = await db.execute(_INVITED, {"ids": attendee_ids})
    return {
        attendee_id: Invited(engagement_id, person_id, role, display_name(name, address, office))
        for attendee_id, engagement_id, person_id, role, name, address, office in rows
    }


async def in_role(db: AsyncSession, engagement_id: int, role: Role) -> frozenset[int]:
    """The attendees of the engagement in ``role`` (its chairs, its interpreters)."""
    rows = await db.scalars(
        select(Attendee.id).where(Attendee.engagement_id == engagement_id, Attendee.role == role)
    )
    return frozenset(rows)
