"""Booths and channels as the engagement's plan sets them: who interprets into which language."""

from __future__ import annotations

from dataclasses import dataclass

from summitry.delegations.catalogue import language_name
from summitry.engagements.models import Attendee, Engagement, Role
from summitry.floor.state import floor_of
from summitry.interpretation.state import interpretation_of
from summitry.meeting.state import MeetingState

FLOOR = "floor"
"""What the floor is called where a channel is named (the floor itself has no language)."""


@dataclass(frozen=True)
class Booth:
    """One interpreted language and the interpreters who work into it."""

    language: str
    interpreters: tuple[Attendee, ...]

    @property
    def name(self) -> str:
        """The language's own name ("Français", "Deutsch"): how listeners look for it."""
        return capitalised(language_name(self.language, self.language))

    @property
    def english_name(self) -> str:
        return language_name(self.language)


def capitalised(name: str) -> str:
    """Babel names French and Spanish in lower case ("français"): a menu item starts with a
    capital."""
    return name[:1].upper() + name[1:]


def booths_of(engagement: Engagement) -> list[Booth]:
    """The engagement's booths, in the order of its working languages, then by code."""
    by_language: dict[str, list[Attendee]] = {}
    for attendee in engagement.attendees:
        if attendee.role is Role.INTERPRETER and attendee.booth:
            by_language.setdefault(attendee.booth, []).append(attendee)
    order = {code: i for i, code in enumerate(engagement.languages)}
    return [
        Booth(language, tuple(people))
        for language, people in sorted(
            by_language.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])
        )
    ]


def booth_of(engagement: Engagement, attendee_id: int) -> Booth | None:
    """The booth an attendee interprets in, if any."""
    return next(
        (b for b in booths_of(engagement) if any(a.id == attendee_id for a in b.interpreters)),
        None,
    )


def floor_language(engagement: Engagement, state: MeetingState) -> str | None:
    """The language the person with the floor speaks: declared, else their usual one."""
    turn = floor_of(state).turn
    if turn is None:
        return None
    speaker = turn.request.speaker_attendee_id
    declared = interpretation_of(state).languages.get(speaker)
    if declared:
        return declared
    person = next((a.person for a in engagement.attendees if a.id == speaker), None)
    return person.language if person else None


def floor_level(engagement: Engagement, state: MeetingState) -> int:
    """How loud the floor stays under an interpretation, in percent."""
    level = interpretation_of(state).floor_level
    return engagement.floor_level if level is None else level
