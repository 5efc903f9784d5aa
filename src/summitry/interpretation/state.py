"""Interpretation as a meeting's log leaves it: channels chosen, who is live, relays, languages."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from summitry.interpretation.events import (
    ChannelChosen,
    FloorLanguageDeclared,
    FloorLevelSet,
    InterpreterLive,
    RelayTaken,
    SlowDownAsked,
)
from summitry.log.events import EventEnvelope
from summitry.meeting.events import Left, Removed
from summitry.meeting.state import MeetingState, register_part


@dataclass
class InterpretationState:
    """Folded from the interpretation events; others are ignored."""

    channels: dict[int, str] = field(default_factory=dict)
    """Listener → the language channel they chose (absent: the floor)."""
    live: dict[str, int] = field(default_factory=dict)
    """Booth → the interpreter on air."""
    relays: dict[int, str] = field(default_factory=dict)
    """Interpreter → the booth they take relay from."""
    languages: dict[int, str] = field(default_factory=dict)
    """Person → the language they declared for the floor."""
    floor_level: int | None = None
    """Set during the meeting; ``None``: the engagement's planned level."""
    slow_down: tuple[str, dt.datetime] | None = None
    """The latest "slow down" request: from which booth, when."""

    def copy(self) -> InterpretationState:
        """A copy that folding further leaves this one as it was."""
        return dataclasses.replace(
            self,
            channels=dict(self.channels),
            live=dict(self.live),
            relays=dict(self.relays),
            languages=dict(self.languages),
        )

    def apply(self, envelope: EventEnvelope) -> None:
        """Move forward by one event of the meeting's log (others are ignored)."""
        event, at = envelope.event, envelope.at
        match event:
            case Left(attendee_id=who) | Removed(attendee_id=who):
                self.gone(who)
            case ChannelChosen(attendee_id=who, channel=channel):
                if channel is None:
                    self.channels.pop(who, None)
                else:
                    self.channels[who] = channel
            case InterpreterLive(booth=booth, attendee_id=who):
                if who is None:
                    self.live.pop(booth, None)
                else:
                    self.live[booth] = who
            case RelayTaken(attendee_id=who, booth=booth):
                if booth is None:
                    self.relays.pop(who, None)
                else:
                    self.relays[who] = booth
            case SlowDownAsked(booth=booth):
                self.slow_down = (booth, at)
            case FloorLanguageDeclared(attendee_id=who, language=language):
                self.languages[who] = language
            case FloorLevelSet(percent=percent):
                self.floor_level = percent
            case _:
                pass

    def gone(self, attendee_id: int) -> None:
        """Someone left the meeting: off the air and off any relay (their channel is kept)."""
        self.live = {b: who for b, who in self.live.items() if who != attendee_id}
        self.relays.pop(attendee_id, None)

    def as_json(self) -> dict[str, Any]:
        return {
            "channels": {str(k): v for k, v in sorted(self.channels.items())},
            "live": dict(sorted(self.live.items())),
            "relays": {str(k): v for k, v in sorted(self.relays.items())},
            "languages": {str(k): v for k, v in sorted(self.languages.items())},
            "floor_level": self.floor_level,
            "slow_down": None
            if self.slow_down is None
            else {"booth": self.slow_down[0], "at": self.slow_down[1].isoformat()},
        }


def interpretation_of(state: MeetingState) -> InterpretationState:
    """Interpretation's part of a meeting's state."""
    return state.part(InterpretationState)


register_part("interpretation", InterpretationState)
