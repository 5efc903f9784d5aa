"""How an engagement is shown to one reader: times in each capital, details withheld or not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from summitry.delegations.models import Delegation
from summitry.delegations.schemas import DelegationOut, PersonOut
from summitry.engagements.models import MEETING_ROLES, Attendee, Engagement, Role
from summitry.engagements.schemas import (
    AgendaItemOut,
    AttendeeOut,
    EngagementOut,
    EngagementSummary,
    LocalTime,
)


@dataclass(frozen=True)
class SeatTime:
    """An engagement's start and end on the clock of one delegation's seat."""

    delegation: Delegation
    starts: dt.datetime | None
    ends: dt.datetime | None


def seat_times(engagement: Engagement) -> list[SeatTime]:
    """The engagement's times in each participating delegation's zone, host first."""
    delegations = [p.delegation for p in engagement.delegations]
    if engagement.host is not None and engagement.host in delegations:
        delegations.remove(engagement.host)
        delegations.insert(0, engagement.host)
    return [
        SeatTime(
            delegation=d,
            starts=_in_zone(engagement.starts_at, d.timezone),
            ends=_in_zone(engagement.ends_at, d.timezone),
        )
        for d in delegations
    ]


def members(engagement: Engagement) -> dict[int, list[Attendee]]:
    """Each delegation's people in this engagement, by delegation id: those who serve the
    meeting (secretariat, interpreters, press, technicians) are nobody's members."""
    found: dict[int, list[Attendee]] = {p.delegation_id: [] for p in engagement.delegations}
    for attendee in engagement.attendees:
        if attendee.role not in MEETING_ROLES:
            found.setdefault(attendee.person.delegation_id, []).append(attendee)
    return found


def meeting_staff(engagement: Engagement) -> list[Attendee]:
    """Those who serve the meeting: the secretariat, interpreters by booth, press, technicians."""
    order = {Role.SECRETARIAT: 0, Role.INTERPRETER: 1, Role.PRESS: 2, Role.TECHNICIAN: 3}
    staff = [a for a in engagement.attendees if a.role in MEETING_ROLES]
    return sorted(staff, key=lambda a: (order[a.role], a.booth or "", a.id))


def _in_zone(moment: dt.datetime | None, zone: str) -> dt.datetime | None:
    return moment.astimezone(ZoneInfo(zone)) if moment is not None else None


def engagement_out(engagement: Engagement, details: bool) -> EngagementOut:
    """The API form of an engagement; without ``details``, its people and agenda withheld."""
    return EngagementOut(
        id=engagement.id,
        slug=engagement.slug,
        kind=engagement.kind,
        title=engagement.title,
        held_on=engagement.held_on,
        starts_at=engagement.starts_at,
        ends_at=engagement.ends_at,
        host=DelegationOut.model_validate(engagement.host) if engagement.host else None,
        confidentiality=engagement.confidentiality,
        status=engagement.status,
        languages=list(engagement.languages),
        description=engagement.description if details else "",
        delegations=[DelegationOut.model_validate(p.delegation) for p in engagement.delegations],
        local_times=[
            LocalTime(
                delegation=s.delegation.code, timezone=s.delegation.timezone, starts_local=s.starts
            )
            for s in seat_times(engagement)
        ],
        details_withheld=not details,
        attendees=[
            AttendeeOut(
                id=a.id, role=a.role, person=PersonOut.model_validate(a.person), booth=a.booth
            )
            for a in engagement.attendees
        ]
        if details
        else [],
        agenda=[AgendaItemOut.model_validate(i) for i in engagement.agenda] if details else [],
        sources=list(engagement.sources),
        channel=engagement.channel,
        topics=list(engagement.topics) if details else [],
        outcomes=list(engagement.outcomes) if details else [],
    )


def engagement_summary(engagement: Engagement) -> EngagementSummary:
    """One line of a list of engagements."""
    return EngagementSummary(
        id=engagement.id,
        slug=engagement.slug,
        kind=engagement.kind,
        title=engagement.title,
        held_on=engagement.held_on,
        starts_at=engagement.starts_at,
        ends_at=engagement.ends_at,
        confidentiality=engagement.confidentiality,
        status=engagement.status,
        host_code=engagement.host.code if engagement.host else None,
        delegation_codes=[p.delegation.code for p in engagement.delegations],
        channel=engagement.channel,
    )
