"""A meeting of the demo that a newcomer can hold at once: planned for the coming hour, with
three delegations, an agenda with speaking times, and a fresh personal link for each head of
delegation, so that a second browser can join as one of them with nothing to set up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.db import utcnow
from summitry.delegations.models import Person
from summitry.delegations.operations import add_person, ensure_delegation
from summitry.delegations.schemas import PersonIn
from summitry.engagements.models import Engagement, EngagementStatus, Role
from summitry.engagements.operations import add_attendee, create_engagement, get_engagement
from summitry.engagements.schemas import EngagementIn
from summitry.security.operations import issue_invitation

SLUG = "practice-meeting"
BY = "Summitry demo"
TITLE = "Practice meeting: a leaders' video call"
# The people are invented for practice; their offices say so.
HEADS = (
    ("EUCO", "Ms Claire Martin", "President (practice)", "fr"),
    ("CN", "Mr Li Ming", "Premier (practice)", "zh"),
    ("DE", "Dr Anna Weber", "Chancellor (practice)", "de"),
)
LINK_DAYS = 7


@dataclass(frozen=True)
class PracticeLink:
    """A personal link to the practice meeting, shown once by ``summitry demo``."""

    person: str
    delegation: str
    path: str


async def practice_meeting(db: AsyncSession) -> tuple[Engagement, list[PracticeLink]]:
    """The practice meeting (planned anew once the last one ended), with a fresh link for
    each head of delegation; links issued earlier stay valid until they expire."""
    engagement = await _current(db) or await _plan(db)
    links = []
    for attendee in engagement.attendees:
        if attendee.role is not Role.HEAD_OF_DELEGATION:
            continue
        issued = await issue_invitation(db, engagement, attendee.id, LINK_DAYS, by=BY)
        links.append(
            PracticeLink(
                attendee.person.display_name,
                attendee.person.delegation.name,
                f"/invitation/{issued.token}",
            )
        )
    return engagement, links


async def _current(db: AsyncSession) -> Engagement | None:
    found = await db.scalar(
        select(Engagement.id)
        .where(
            Engagement.slug.startswith(SLUG),
            Engagement.status.in_((EngagementStatus.PLANNED, EngagementStatus.LIVE)),
        )
        .order_by(Engagement.id.desc())
        .limit(1)
    )
    return await get_engagement(db, found) if found is not None else None


async def _plan(db: AsyncSession) -> Engagement:
    earlier = len(
        list(await db.scalars(select(Engagement.id).where(Engagement.slug.startswith(SLUG))))
    )
    starts = utcnow().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    engagement = await create_engagement(
        db,
        EngagementIn(
            title=TITLE,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=1),
            host="EUCO",
            delegations=[code for code, *_ in HEADS],
            languages=["en", "fr", "zh", "de"],
            description=(
                "A meeting to try Summitry with: open it as the secretariat, then open one of "
                "the links that `summitry demo` printed in a second browser, and admit that "
                "head of delegation from the lobby."
            ),
            agenda=[
                "Opening by the host — 2 min",
                "Exchange of views — 3 min",
                "Closing — 1 min",
            ],
        ),
        by=BY,
        slug=SLUG if not earlier else f"{SLUG}-{earlier + 1}",
    )
    for code, name, office, language in HEADS:
        delegation = await ensure_delegation(db, code)
        person = await db.scalar(
            select(Person).where(Person.delegation_id == delegation.id, Person.name == name)
        )
        if person is None:
            person = await add_person(
                db, delegation, PersonIn(name=name, office=office, language=language)
            )
        await add_attendee(db, engagement, person, Role.HEAD_OF_DELEGATION, by=BY)
        engagement = await get_engagement(db, engagement.id)
    return engagement
