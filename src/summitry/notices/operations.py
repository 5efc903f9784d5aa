"""Notices kept for delegations, in the transaction of the change they tell of, and read back
for the people they are for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.delegations.models import Delegation, Person
from summitry.engagements.models import Attendee, Engagement, Role
from summitry.notices.models import Notice, NoticeMail
from summitry.security.principals import Invitee

SHOWN = 20
"""How many notices "My engagements" shows, newest first."""


@dataclass(frozen=True)
class Tidings:
    """What one delegation is told."""

    delegation: str
    """Its code."""
    subject: str
    body: str


@dataclass(frozen=True)
class NoticeLine:
    """A notice as its reader sees it."""

    id: int
    engagement_id: int
    engagement_title: str
    subject: str
    body: str
    path: str
    created_at: dt.datetime


async def notify(
    db: AsyncSession,
    engagement_id: int,
    tidings: Iterable[Tidings],
    *,
    path: str,
    roles: frozenset[Role],
    confidential: bool,
) -> list[Notice]:
    """Keep a notice for each delegation, and an e-mail for each of its attendees in
    ``roles`` who has an address (sent by the mailer once the transaction commits)."""
    told = list(tidings)
    codes = [t.delegation for t in told]
    delegations = {
        d.code: d.id for d in await db.scalars(select(Delegation).where(Delegation.code.in_(codes)))
    }
    recipients = await db.execute(
        select(Person.id, Person.delegation_id, Person.email)
        .join(Attendee, Attendee.person_id == Person.id)
        .where(
            Attendee.engagement_id == engagement_id,
            Attendee.role.in_(roles),
            Person.delegation_id.in_(delegations.values()),
            Person.email.is_not(None),
            Person.email != "",
        )
    )
    addresses: dict[int, list[tuple[int, str]]] = {}
    for person_id, delegation_id, email in recipients:
        addresses.setdefault(delegation_id, []).append((person_id, email or ""))
    kept = []
    for tiding in told:
        if tiding.delegation not in delegations:
            continue
        delegation_id = delegations[tiding.delegation]
        notice = Notice(
            engagement_id=engagement_id,
            delegation_id=delegation_id,
            roles=sorted(role.value for role in roles),
            subject=tiding.subject,
            body=tiding.body,
            path=path,
            confidential=confidential,
        )
        db.add(notice)
        await db.flush()
        for person_id, email in addresses.get(delegation_id, []):
            db.add(NoticeMail(notice_id=notice.id, person_id=person_id, address=email))
        kept.append(notice)
    return kept


async def notices_for(db: AsyncSession, invitee: Invitee, limit: int = SHOWN) -> list[NoticeLine]:
    """The notices for the delegations an invitee attends for, in the engagements and roles
    their invitations still open, newest first."""
    found = await db.execute(
        select(Person.id, Person.delegation_id).where(
            Person.id.in_([g.person_id for g in invitee.grants])
        )
    )
    people = {person_id: delegation_id for person_id, delegation_id in found}  # noqa: C416 - rows, not pairs, to mypy
    grants = [g for g in invitee.grants if g.person_id in people]
    if not grants:
        return []
    rows = await db.execute(
        select(Notice, Engagement.title)
        .join(Engagement, Engagement.id == Notice.engagement_id)
        .where(
            or_(
                *(
                    and_(
                        Notice.engagement_id == g.engagement_id,
                        Notice.delegation_id == people[g.person_id],
                    )
                    for g in grants
                )
            )
        )
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(limit * 4)
    )
    roles = {g.engagement_id: g.role.value for g in grants}
    return [
        NoticeLine(
            id=notice.id,
            engagement_id=notice.engagement_id,
            engagement_title=title,
            subject=notice.subject,
            body=notice.body,
            path=notice.path,
            created_at=notice.created_at,
        )
        for notice, title in rows
        if roles.get(notice.engagement_id) in notice.roles
    ][:limit]
