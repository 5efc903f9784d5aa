"""Every capability whose events the log holds and whose part the meeting's state shows.

Importing a capability's ``events`` registers its kinds with the log, and its ``state`` its
part with the meeting; a process that reads or folds a log imports this module first (the
app and the command line do), so that no stored event is of a kind it does not know.
"""

from summitry.documents import events as documents_events
from summitry.engagements import events as engagements_events
from summitry.floor import events as floor_events
from summitry.floor import state as floor_state
from summitry.interpretation import events as interpretation_events
from summitry.interpretation import state as interpretation_state
from summitry.meeting import events as meeting_events
from summitry.meeting import state as meeting_state
from summitry.records import minutes_events, recording_events, recording_state

__all__ = [
    "documents_events",
    "engagements_events",
    "floor_events",
    "floor_state",
    "interpretation_events",
    "interpretation_state",
    "meeting_events",
    "meeting_state",
    "minutes_events",
    "recording_events",
    "recording_state",
]
