"""The snapshot of a meeting, typed: the JSON of ``MeetingState.as_json()``, composed of the
meeting's own part and the parts the floor, interpretation and the recording register (hence
here, with the composition, above every capability it names).

It is what ``GET /api/v1/engagements/{id}/live`` and the WebSocket's ``hello`` send, and what
the page's fold (``meeting/static/state.js``) starts from; ``tests/contract/`` checks that the
page, fed the same events, reaches the same snapshot as the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from summitry.floor.snapshot import FloorSnapshot, Instant, SnapshotPart
from summitry.interpretation.snapshot import AttendeeKey, InterpretationSnapshot
from summitry.meeting.events import Channel
from summitry.meeting.state import Alarm, MeetingState, ParticipantState, Presence
from summitry.records.recording_state import RecordingState


class ParticipantSnapshot(SnapshotPart):
    """Where one attendee is, and their microphone and camera."""

    presence: Presence
    muted: bool
    camera: bool
    channel: Channel


class AlarmSnapshot(SnapshotPart):
    """Someone in a media room under an id Summitry did not make: put out, shown."""

    kind: Literal["unexpected_participant"]
    at: Instant
    room: Literal["videoroom", "audiobridge"]
    participant_id: int
    display: str


class RecordingSnapshot(SnapshotPart):
    """The secretariat's choice to record or not; ``on`` null: none made (recorded unless the
    engagement is confidential)."""

    on: bool | None
    by: str | None


class MeetingSnapshot(SnapshotPart):
    """The whole state of a meeting after event ``seq``."""

    seq: int
    locked: bool
    ended: bool
    media_epoch: int
    participants: dict[AttendeeKey, ParticipantSnapshot]
    floor: FloorSnapshot
    interpretation: InterpretationSnapshot
    recording: RecordingSnapshot
    alarms: list[AlarmSnapshot]

    def to_state(self) -> MeetingState:
        """The meeting's state as the server folds it, rebuilt from this snapshot.

        ``removals`` is not in the snapshot: the number of people shown as removed stands in
        for it (a lower bound)."""
        participants = {
            int(k): ParticipantState(p.presence, p.muted, p.camera, p.channel)
            for k, p in self.participants.items()
        }
        return MeetingState(
            seq=self.seq,
            locked=self.locked,
            ended=self.ended,
            media_epoch=self.media_epoch,
            removals=sum(p.presence is Presence.REMOVED for p in participants.values()),
            participants=participants,
            parts={
                "floor": self.floor.to_state(),
                "interpretation": self.interpretation.to_state(),
                "recording": RecordingState(self.recording.on, self.recording.by),
            },
            alarms=[Alarm(a.kind, a.at, a.room, a.participant_id, a.display) for a in self.alarms],
        )


def snapshot_of(state: MeetingState) -> MeetingSnapshot:
    """The typed snapshot of ``state``."""
    return MeetingSnapshot.model_validate(state.as_json())


def from_json(data: Mapping[str, object]) -> MeetingState:
    """A meeting's state rebuilt from its snapshot's JSON, as a page that resumes holds it."""
    return MeetingSnapshot.model_validate(data).to_state()
