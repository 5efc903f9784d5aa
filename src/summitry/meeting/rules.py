"""Rules other capabilities add to the meeting's own: who may open a microphone, say.

The meeting knows no capability that happens in it. The floor, for one, decides who may be
heard while an agenda item is open; it registers that rule here, and the meeting applies
every registered rule before it opens a microphone.
"""

from __future__ import annotations

from collections.abc import Callable

from summitry.meeting.state import MeetingState

MicrophoneRule = Callable[[MeetingState, int, bool], None]
"""Called with the state, whose microphone would open, and whether the one asking presides
(the chair or the secretariat); raises a ``SummitryError`` to refuse."""

_MICROPHONE_RULES: list[MicrophoneRule] = []


def may_open_microphone(rule: MicrophoneRule) -> MicrophoneRule:
    """Register ``rule`` for every opening of a microphone (a decorator)."""
    _MICROPHONE_RULES.append(rule)
    return rule


def check_opening(state: MeetingState, target: int, presides: bool) -> None:
    """Apply every registered rule to opening ``target``'s microphone."""
    for rule in _MICROPHONE_RULES:
        rule(state, target, presides)
