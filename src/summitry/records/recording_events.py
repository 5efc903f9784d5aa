"""The events of a meeting's recording: turned on and off, in the meeting's log for all to see."""

from __future__ import annotations

from typing import Literal

from summitry.log.events import Event, register


class RecordingStarted(Event):
    """The secretariat turned the meeting's recording on."""

    kind: Literal["recording_started"] = "recording_started"
    by: str


class RecordingStopped(Event):
    """The secretariat turned the meeting's recording off."""

    kind: Literal["recording_stopped"] = "recording_stopped"
    by: str


RECORDING_EVENTS = (RecordingStarted, RecordingStopped)

register(*RECORDING_EVENTS)
