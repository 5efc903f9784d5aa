"""The state of a meeting, folded from its events: what every client is shown."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from summitry.floor.state import FloorState
from summitry.interpretation.state import InterpretationState
from summitry.live.events import (
    Admitted,
    CameraSet,
    EventEnvelope,
    Left,
    LobbyEntered,
    MediaRestored,
    MeetingEnded,
    MicrophoneSet,
    Removed,
    RoomLocked,
    TurnedAway,
    UnexpectedParticipant,
)


class Presence(enum.StrEnum):
    INVITED = "invited"
    LOBBY = "lobby"
    ADMITTED = "admitted"
    LEFT = "left"
    TURNED_AWAY = "turned_away"
    REMOVED = "removed"


@dataclass
class ParticipantState:
    presence: Presence = Presence.INVITED
    muted: bool = True
    camera: bool = True
    channel: str = "browser"
    """``telephone`` while the person is in by phone: audio only, not end-to-end encrypted."""


@dataclass(frozen=True)
class Alarm:
    """Something the secretariat must see: who got into a media room and was put out."""

    kind: str
    at: str
    room: str
    participant_id: int
    display: str


@dataclass
class MeetingState:
    """Who is where, whose microphone is open, whether the room is locked."""

    seq: int = 0
    locked: bool = False
    ended: bool = False
    """The secretariat ended the meeting for everyone; nothing more happens in it."""
    media_epoch: int = 0
    removals: int = 0
    """How many people were put out: whatever they were given to listen with is renewed."""
    participants: dict[int, ParticipantState] = field(default_factory=dict)
    floor: FloorState = field(default_factory=FloorState)
    interpretation: InterpretationState = field(default_factory=InterpretationState)
    alarms: list[Alarm] = field(default_factory=list)

    def apply(self, envelope: EventEnvelope) -> None:
        """Move the state forward by one event; events must come in order."""
        if envelope.seq != self.seq + 1:
            raise ValueError(f"event {envelope.seq} cannot follow {self.seq}")
        self.seq = envelope.seq
        event = envelope.event
        match event:
            case RoomLocked(locked=locked):
                self.locked = locked
            case MediaRestored():
                self.media_epoch += 1
            case MeetingEnded():
                self.ended = True
            case LobbyEntered(attendee_id=who, channel=channel):
                person = self._of(who)
                person.presence, person.channel = Presence.LOBBY, channel
            case Admitted(attendee_id=who):
                self._of(who).presence = Presence.ADMITTED
            case TurnedAway(attendee_id=who):
                self._of(who).presence = Presence.TURNED_AWAY
            case Left(attendee_id=who):
                person = self._of(who)
                person.presence, person.muted = Presence.LEFT, True
                self.interpretation.gone(who)
            case Removed(attendee_id=who):
                person = self._of(who)
                person.presence, person.muted = Presence.REMOVED, True
                self.removals += 1
                self.interpretation.gone(who)
            case MicrophoneSet(attendee_id=who, muted=muted):
                self._of(who).muted = muted
            case CameraSet(attendee_id=who, on=on):
                self._of(who).camera = on
            case UnexpectedParticipant(room=room, participant_id=pid, display=display):
                at = envelope.at.isoformat()
                self.alarms.append(Alarm(event.kind, at, room, pid, display))
            case _:
                self.floor.apply(event, envelope.at)
                self.interpretation.apply(event, envelope.at)

    def _of(self, attendee_id: int) -> ParticipantState:
        return self.participants.setdefault(attendee_id, ParticipantState())

    def presence_of(self, attendee_id: int) -> Presence:
        found = self.participants.get(attendee_id)
        return found.presence if found else Presence.INVITED

    def as_json(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "locked": self.locked,
            "ended": self.ended,
            "media_epoch": self.media_epoch,
            "participants": {
                str(k): {
                    "presence": v.presence.value,
                    "muted": v.muted,
                    "camera": v.camera,
                    "channel": v.channel,
                }
                for k, v in sorted(self.participants.items())
            },
            "floor": self.floor.as_json(),
            "interpretation": self.interpretation.as_json(),
            "alarms": [
                {
                    "kind": a.kind,
                    "at": a.at,
                    "room": a.room,
                    "participant_id": a.participant_id,
                    "display": a.display,
                }
                for a in self.alarms
            ],
        }


def fold(envelopes: list[EventEnvelope], start: MeetingState | None = None) -> MeetingState:
    """The state after ``envelopes``, from ``start`` or from the beginning."""
    state = start or MeetingState()
    for envelope in envelopes:
        state.apply(envelope)
    return state
