"""The roster a meeting page shows: everyone invited, in the engagement's order of precedence."""

from __future__ import annotations

from typing import Any

from summitry.engagements.attendance import AttendeeLine
from summitry.engagements.models import MEETING_ROLES, Role

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


def roster(lines: list[AttendeeLine]) -> list[dict[str, Any]]:
    """Every attendee with name plate and rank, ordered by precedence then role."""
    # The secretariat, interpreters, press and technicians serve the meeting rather than a
    # delegation: they come after every delegation (never within the order of precedence),
    # the secretariat and the technicians plated as such.
    people = sorted(
        lines,
        key=lambda a: (
            10_000 if a.role in MEETING_ROLES else (9_999 if a.position is None else a.position),
            ROLE_ORDER[a.role],
            a.attendee_id,
        ),
    )
    return [
        {
            "attendee_id": a.attendee_id,
            "name": a.name,
            "office": a.office,
            "delegation": _PLATES.get(a.role)
            or {"code": a.delegation_code, "name": a.delegation_name},
            "role": a.role.value,
            "language": a.language,
            "booth": a.booth,
            "rank": rank,
        }
        for rank, a in enumerate(people)
    ]
