"""The secretariat in an engagement: its members are recorded as attendees when they act."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from summitry.delegations.models import Person
from summitry.engagements.models import MEETING_ROLES, Attendee, Engagement, Role
from summitry.errors import InvalidInput

SECRETARIAT_OFFICE = "Secretariat"


async def secretariat_attendee(
    db: AsyncSession, engagement: Engagement, name: str, email: str
) -> Attendee:
    """The attendee a member of the secretariat acts as in the engagement's meeting: recorded
    (with a person in the host's delegation) the first time they enter."""
    home = engagement.host or (
        engagement.delegations[0].delegation if engagement.delegations else None
    )
    if home is None:
        raise InvalidInput("give the engagement a delegation before opening its meeting")
    office = SECRETARIAT_OFFICE
    person = await db.scalar(
        select(Person).where(
            Person.delegation_id == home.id, Person.name == name, Person.office == office
        )
    )
    if person is None:
        person = Person(
            delegation_id=home.id,
            name=name,
            office=office,
            form_of_address="",
            email=email,
        )
        db.add(person)
        await db.flush()
    attendee = next((a for a in engagement.attendees if a.person_id == person.id), None)
    if attendee is None:
        attendee = Attendee(engagement_id=engagement.id, person_id=person.id, role=Role.SECRETARIAT)
        engagement.attendees.append(attendee)  # the engagement callers hold includes them
        db.add(attendee)
        await db.flush()
        await db.refresh(attendee, ["person"])
    return attendee


async def recorded_secretary(db: AsyncSession, engagement_id: int, name: str) -> Attendee | None:
    """The attendee ``secretariat_attendee`` recorded for that member of the secretariat, if
    any, with its person, delegation and the engagement's row (not its attendees) in the same
    query: the floor's every request asks it. ``None`` also where the engagement has no host,
    whose secretariat sits with its first delegation."""
    found: Attendee | None = await db.scalar(
        select(Attendee)
        .join(Person, Person.id == Attendee.person_id)
        .join(Engagement, Engagement.id == Attendee.engagement_id)
        .where(
            Attendee.engagement_id == engagement_id,
            Attendee.role == Role.SECRETARIAT,
            Person.delegation_id == Engagement.host_id,
            Person.name == name,
            Person.office == SECRETARIAT_OFFICE,
        )
        .options(
            contains_eager(Attendee.person).joinedload(Person.delegation),
            contains_eager(Attendee.engagement),
        )
        .limit(1)
    )
    return found


async def serving_only(db: AsyncSession, delegation_id: int) -> set[int]:
    """The people recorded under a delegation who only ever attend to serve a meeting
    (secretariat, interpreters, press): they are not the delegation's people."""
    rows = await db.execute(
        select(Attendee.person_id, Attendee.role)
        .join(Person, Person.id == Attendee.person_id)
        .where(Person.delegation_id == delegation_id)
    )
    roles: dict[int, set[Role]] = {}
    for person_id, role in rows:
        roles.setdefault(person_id, set()).add(role)
    return {person_id for person_id, held in roles.items() if held <= MEETING_ROLES}
