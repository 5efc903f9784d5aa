"""Who is inscribed on the speakers' list, and the refusal of a delegation inscribed twice.

The rule itself is ``SpeakersList.inscribe``'s (one pending statement per delegation and
capacity); here it is said as a diplomat reads it, with the delegation's name and its place,
before the event is even tried. The chair's "inscribe every delegation" uses the same rule:
a delegation already waiting keeps its place instead of being inscribed again.
"""

from __future__ import annotations

from summitry.delegations.models import Delegation
from summitry.engagements.models import Attendee, Engagement, Role
from summitry.floor.events import FloorRequested
from summitry.floor.speakers import FloorRuleError, RequestKind, SpeakersList

SPEAKING_ROLES = frozenset(
    {Role.CHAIR, Role.HEAD_OF_DELEGATION, Role.DELEGATE, Role.OBSERVER, Role.SECRETARIAT}
)
SECRETARIAT_CODE = "SEC"
"""The secretariat speaks for the meeting, not for the host: its requests carry this code, so
they never count as (or stand in the way of) the host delegation's own statement."""


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, … 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def speaking_for(attendee: Attendee) -> str:
    """The code a request of this attendee is inscribed under."""
    if attendee.role is Role.SECRETARIAT:
        return SECRETARIAT_CODE
    return attendee.person.delegation.code


def refuse_double(
    speakers: SpeakersList, attendee: Attendee, kind: RequestKind, group: str | None
) -> None:
    """Refuse a second pending statement of the same delegation in the same capacity.

    Points of order and rights of reply follow rules of their own and are never refused here.
    """
    if kind is not RequestKind.STATEMENT:
        return
    place = speakers.place_of_statement(speaking_for(attendee), group)
    if place is None:
        return
    secretariat = attendee.role is Role.SECRETARIAT
    name = "The secretariat" if secretariat else attendee.person.delegation.name
    capacity = f" on behalf of {group}" if group else ""
    raise FloorRuleError(
        f"{name} is already on the speakers' list{capacity} ({ordinal(place)}). "
        "Withdraw that request before asking again."
    )


def head_of(engagement: Engagement, delegation: Delegation) -> int | None:
    """The attendee who speaks first for a delegation: its chair, else its head, else another."""
    people = [
        a
        for a in engagement.attendees
        if a.person.delegation_id == delegation.id
        and a.role in SPEAKING_ROLES
        and a.role is not Role.SECRETARIAT
    ]
    rank = {Role.CHAIR: 0, Role.HEAD_OF_DELEGATION: 1}
    people.sort(key=lambda a: (rank.get(a.role, 2), a.id))
    return people[0].id if people else None


def inscribe_everyone(
    engagement: Engagement, speakers: SpeakersList, last_request: int
) -> list[FloorRequested]:
    """A statement for each delegation's head in order of precedence, except for delegations
    already waiting with a statement of their own (they keep their place)."""
    bodies: list[FloorRequested] = []
    next_id = last_request
    for participation in engagement.delegations:
        code = participation.delegation.code
        head = head_of(engagement, participation.delegation)
        if head is None or speakers.place_of_statement(code, None) is not None:
            continue
        next_id += 1
        bodies.append(
            FloorRequested(
                request_id=next_id,
                attendee_id=head,
                delegation=code,
                request_kind=RequestKind.STATEMENT,
            )
        )
    return bodies
