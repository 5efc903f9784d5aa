"""Interpretation's part of a meeting's snapshot, typed: what ``InterpretationState.as_json``
writes (attendee ids as JSON keys are decimal strings)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import StringConstraints

from summitry.floor.snapshot import Instant, SnapshotPart
from summitry.interpretation.state import InterpretationState

AttendeeKey = Annotated[str, StringConstraints(pattern=r"^[0-9]+$")]
"""An attendee id as a JSON object key."""


class SlowDownSnapshot(SnapshotPart):
    """The latest "slow down" a booth asked for."""

    booth: str
    at: Instant


class InterpretationSnapshot(SnapshotPart):
    """Who listens to which channel, who is on air in each booth, relays, floor languages."""

    channels: dict[AttendeeKey, str]
    live: dict[str, int]
    """Booth → the interpreter on air."""
    relays: dict[AttendeeKey, str]
    """Interpreter → the booth they take relay from."""
    languages: dict[AttendeeKey, str]
    floor_level: int | None
    slow_down: SlowDownSnapshot | None

    def to_state(self) -> InterpretationState:
        """Interpretation's state as the server folds it, rebuilt from this snapshot."""
        slow_down = self.slow_down
        return InterpretationState(
            channels={int(k): v for k, v in self.channels.items()},
            live=dict(self.live),
            relays={int(k): v for k, v in self.relays.items()},
            languages={int(k): v for k, v in self.languages.items()},
            floor_level=self.floor_level,
            slow_down=None
            if slow_down is None
            else (slow_down.booth, dt.datetime.fromisoformat(slow_down.at)),
        )
