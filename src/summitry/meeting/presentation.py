"""The roster a meeting page shows: everyone invited, in the engagement's order of precedence."""

from __future__ import annotations

from typing import Any

from summitry.engagements.models import MEETING_ROLES, Engagement, Role

# Within a delegation: the chair, then the head, then the others, then the support roles.
ROLE_ORDER = {
    Role.CHAIR: 0,
    Role.HEAD_OF_DELEGATION: 1,
    Role.DELEGATE: 2,
    Role.OBSERVER: 3,
    Role.INTERPRETER: 4,
    Role.SECRETARIAT: 5,
    Role.PRESS: 6,
    Role.TECHNICIAN: 7,
}


SECRETARIAT_PLATE = {"code": "SEC", "name": "Secretariat"}
TECHNICIAN_PLATE = {"code": "TEC", "name": "Technical support"}
_PLATES = {Role.SECRETARIAT: SECRETARIAT_PLATE, Role.TECHNICIAN: TECHNICIAN_PLATE}


def roster(engagement: Engagement) -> list[dict[str, Any]]:
    """Every attendee with name plate and rank, ordered by precedence then role."""
    position = {p.delegation_id: p.position for p in engagement.delegations}
    # The secretariat, interpreters, press and technicians serve the meeting rather than a
    # delegation: they come after every delegation (never within the order of precedence),
    # the secretariat and the technicians plated as such.
    people = sorted(
        engagement.attendees,
        key=lambda a: (
            10_000 if a.role in MEETING_ROLES else position.get(a.person.delegation_id, 9_999),
            ROLE_ORDER[a.role],
            a.id,
        ),
    )
    return [
        {
            "attendee_id": a.id,
            "name": a.person.display_name,
            "office": a.person.office,
            "delegation": _PLATES.get(a.role)
            or {"code": a.person.delegation.code, "name": a.person.delegation.name},
            "role": a.role.value,
            "language": a.person.language,
            "booth": a.booth,
            "rank": rank,
        }
        for rank, a in enumerate(people)
    ]
