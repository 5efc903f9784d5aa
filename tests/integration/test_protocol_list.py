"""The protocol list is protocol: the secretariat, interpreters, press and technicians serve the
meeting; they are never among a delegation's people or in the order of precedence."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.delegations.models import Person
from summitry.engagements.attendance import attendance
from summitry.engagements.models import Engagement, Role
from summitry.meeting.presentation import roster

Invite = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]


def _delegation_block(page: str, name: str) -> str:
    """The list item of one delegation in the engagement page's order of precedence."""
    found = re.search(
        rf'<li>\s*<div class="delegation-head">(?:(?!</li>\s*<li>).)*?{name}.*?</ul>',
        page,
        re.S,
    )
    assert found, f"{name} is not in the order of precedence"
    return found.group(0)


async def test_those_serving_the_meeting_are_no_delegation_s_people(
    db: AsyncSession,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
    make_person: Callable[..., Awaitable[Person]],
) -> None:
    engagement = await make_engagement(("CN", "DE", "FR"), languages=["en", "fr"])  # France hosts
    head, head_attendee, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "FR")
    interpreter, interpreter_attendee, _ = await make_invitee(
        engagement, Role.INTERPRETER, "FR", booth="en"
    )
    await make_invitee(engagement, Role.PRESS, "DE")
    _, technician, _ = await make_invitee(engagement, Role.TECHNICIAN, "FR")
    api = f"/api/v1/engagements/{engagement.id}"
    # Entering the meeting records the secretariat as an attendee (its person under the host).
    assert (await secretariat.post(f"{api}/live/enter")).status_code == 200

    page = (await secretariat.get(f"/engagements/{engagement.id}")).text
    france = _delegation_block(page, "France")
    assert head_attendee.person.display_name in france
    assert "Protocol Officer" not in france
    assert interpreter_attendee.person.display_name not in france
    assert "Interpreter" not in france
    assert technician.person.display_name not in france
    assert "Secretariat" not in france
    germany = _delegation_block(page, "Germany")
    assert "Press" not in germany
    assert "No one recorded yet" in germany
    staff = re.search(r'data-testid="meeting-staff">(.*?)</ul>', page, re.S)
    assert staff, "those serving the meeting are listed apart"
    listed = ("Secretariat", "Interpreter", "Press", "Technician")
    assert [r for r in listed if r in staff.group(1)] == list(listed)
    assert technician.person.display_name in staff.group(1)
    assert "Protocol Officer" in staff.group(1)

    # The delegation API lists France's people without the secretariat or the interpreter.
    people = (await secretariat.get("/api/v1/delegations/FR/people")).json()
    names = [p["display_name"] for p in people]
    assert head_attendee.person.display_name in names
    assert "Protocol Officer" not in names
    assert interpreter_attendee.person.display_name not in names
    # A person recorded but not yet invited is still the delegation's.
    recorded = await make_person("FR", name="Ms Recorded Only")
    again = (await secretariat.get("/api/v1/delegations/FR/people")).json()
    assert recorded.id in [p["id"] for p in again]

    # An interpreter's page does not call the host's capital theirs.
    own = (await interpreter.get(f"/engagements/{engagement.id}")).text
    assert "your capital" not in own
    assert "your capital" in (await head.get(f"/engagements/{engagement.id}")).text

    # The meeting's roster: every delegation first in order of precedence, then the meeting's
    # roles, the secretariat plated as such.
    plan = roster(await attendance(db, engagement.id))
    roles = [p["role"] for p in plan]
    assert roles == ["head_of_delegation", "interpreter", "secretariat", "press", "technician"]
    assert plan[2]["delegation"] == {"code": "SEC", "name": "Secretariat"}
    assert plan[4]["delegation"] == {"code": "TEC", "name": "Technical support"}
