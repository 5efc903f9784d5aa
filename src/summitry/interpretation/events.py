"""The events of interpretation, appended to the meeting's live log like every other change."""

from __future__ import annotations

from typing import Literal

from summitry.log.events import Event, register


class _InterpretationEvent(Event):
    """An event of this capability, in the engagement's log."""


class ChannelChosen(_InterpretationEvent):
    """A listener chose what they hear: the floor (``None``) or a language channel."""

    kind: Literal["channel_chosen"] = "channel_chosen"
    attendee_id: int
    channel: str | None


class InterpreterLive(_InterpretationEvent):
    """Who speaks into a booth's channel now; ``None``: the booth is silent. A change from one
    interpreter to the other is a handover."""

    kind: Literal["interpreter_live"] = "interpreter_live"
    booth: str
    attendee_id: int | None
    handover_from: int | None = None


class RelayTaken(_InterpretationEvent):
    """An interpreter listens to another booth's channel instead of the floor (``None``: back
    to the floor)."""

    kind: Literal["relay_taken"] = "relay_taken"
    attendee_id: int
    booth: str | None


class SlowDownAsked(_InterpretationEvent):
    """A booth asks the chair to have the speaker slow down."""

    kind: Literal["slow_down_asked"] = "slow_down_asked"
    booth: str
    attendee_id: int


class FloorLanguageDeclared(_InterpretationEvent):
    """The language a person speaks at the floor; its channel then carries the floor itself."""

    kind: Literal["floor_language_declared"] = "floor_language_declared"
    attendee_id: int
    language: str


class FloorLevelSet(_InterpretationEvent):
    """How loud the floor stays under the interpretation, in percent."""

    kind: Literal["floor_level_set"] = "floor_level_set"
    percent: int
    by: str


INTERPRETATION_EVENTS = (
    ChannelChosen,
    InterpreterLive,
    RelayTaken,
    SlowDownAsked,
    FloorLanguageDeclared,
    FloorLevelSet,
)

register(*INTERPRETATION_EVENTS)
