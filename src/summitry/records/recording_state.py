"""Whether a meeting is recorded, as its log leaves it.

Until the secretariat decides, an engagement that is not confidential is recorded and a
confidential one is not: ``on`` is ``None`` then, and ``recorded`` applies that rule.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from summitry.engagements.models import Confidentiality, Engagement
from summitry.log.events import EventEnvelope
from summitry.meeting.state import MeetingState, register_part
from summitry.records.recording_events import RecordingStarted, RecordingStopped


@dataclass
class RecordingState:
    """Folded from the recording events; others are ignored."""

    on: bool | None = None
    """The secretariat's choice; ``None``: none made, the engagement's rule applies."""
    by: str | None = None

    def copy(self) -> RecordingState:
        """A copy that folding further leaves this one as it was."""
        return dataclasses.replace(self)

    def apply(self, envelope: EventEnvelope) -> None:
        """Move forward by one event of the meeting's log (others are ignored)."""
        match envelope.event:
            case RecordingStarted(by=by):
                self.on, self.by = True, by
            case RecordingStopped(by=by):
                self.on, self.by = False, by
            case _:
                pass

    def as_json(self) -> dict[str, Any]:
        return {"on": self.on, "by": self.by}


def recording_of(state: MeetingState) -> RecordingState:
    """The recording's part of a meeting's state."""
    return state.part(RecordingState)


def recorded_by_default(engagement: Engagement) -> bool:
    """A confidential engagement is recorded only when the secretariat turns it on."""
    return engagement.confidentiality is not Confidentiality.CONFIDENTIAL


def is_recorded(engagement: Engagement, state: MeetingState) -> bool:
    """Whether the meeting is being recorded now (when it is live)."""
    on = recording_of(state).on
    return (recorded_by_default(engagement) if on is None else on) and not state.ended


register_part("recording", RecordingState)
