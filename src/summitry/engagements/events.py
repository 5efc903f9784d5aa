"""The planning of an engagement, recorded in its log beside the meeting: who changed what, when.

The log is the engagement's record: an edit, an invitation issued or withdrawn, a new order of
precedence each leave an event, hash-chained like the meeting's, so that ``summitry audit
verify`` covers them and an analyst can read who prepared what.
"""

from __future__ import annotations

from typing import Literal

from summitry.log.events import Event, register

PlanningChange = Literal[
    "engagement_planned",
    "engagement_edited",
    "delegation_added",
    "delegation_withdrawn",
    "attendee_invited",
    "attendee_withdrawn",
    "agenda_set",
    "invitation_issued",
    "invitation_withdrawn",
    "precedence_set",
    "telephone_pin_issued",
]


class PlanningChanged(Event):
    """One change to the engagement's planning, by a member of the secretariat."""

    kind: Literal["planning_changed"] = "planning_changed"
    change: PlanningChange
    by: str
    subject: str = ""
    """What was changed, in words: "title, starts_at", "Germany", "Dr Wang Yi (invitation 12)"."""


register(PlanningChanged)
