"""Every kind of live event, as a typed model; what is stored and sent is their JSON."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from summitry.engagements.events import PlanningChanged
from summitry.floor.events import (
    FloorGiven,
    FloorReleased,
    FloorRequested,
    FloorRequestSkipped,
    FloorRequestWithdrawn,
    ItemClosed,
    ItemOpened,
    RollCallAnswered,
    RollCallClosed,
    RollCallOpened,
    SpeakersListClosed,
    SpeakersReordered,
    TimeExtended,
)
from summitry.interpretation.events import (
    ChannelChosen,
    FloorLanguageDeclared,
    FloorLevelSet,
    InterpreterLive,
    RelayTaken,
    SlowDownAsked,
)


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Channel = Literal["browser", "telephone"]


class LobbyEntered(_Event):
    """A person opened the meeting page, or called in, and waits to be admitted."""

    kind: Literal["lobby_entered"] = "lobby_entered"
    attendee_id: int
    channel: Channel = "browser"
    """How they came: a telephone leg is shown with a telephone mark (and is not encrypted)."""


class Admitted(_Event):
    kind: Literal["admitted"] = "admitted"
    attendee_id: int
    by: str


class TurnedAway(_Event):
    kind: Literal["turned_away"] = "turned_away"
    attendee_id: int
    by: str


class Left(_Event):
    kind: Literal["left"] = "left"
    attendee_id: int
    reason: Literal["invitation_withdrawn", "meeting_ended"] | None = None
    """Why, when they did not leave by themselves."""


class MicrophoneSet(_Event):
    """A microphone muted or opened, by its owner or by the secretariat."""

    kind: Literal["microphone_set"] = "microphone_set"
    attendee_id: int
    muted: bool
    by: str


class CameraSet(_Event):
    kind: Literal["camera_set"] = "camera_set"
    attendee_id: int
    on: bool


class Removed(_Event):
    """Put out of the meeting by the secretariat; their media token is revoked."""

    kind: Literal["removed"] = "removed"
    attendee_id: int
    by: str


class RoomLocked(_Event):
    kind: Literal["room_locked"] = "room_locked"
    locked: bool
    by: str


class TelephoneRefused(_Event):
    """A call to the engagement's number was ended after three wrong PINs (or none in time).

    Every follower of the meeting receives its events: who called from where (the caller's
    claimed number, the source address) goes to the server's log only.
    """

    kind: Literal["telephone_refused"] = "telephone_refused"
    tries: int


class MeetingEnded(_Event):
    """The secretariat ended the meeting for everyone: all are put out, the rooms destroyed,
    every invitation withdrawn; the log takes nothing more of the meeting after this."""

    kind: Literal["meeting_ended"] = "meeting_ended"
    by: str


class MediaRestored(_Event):
    """The media server came back and the meeting's room was rebuilt."""

    kind: Literal["media_restored"] = "media_restored"


class UnexpectedParticipant(_Event):
    """Someone in a media room under an id Summitry neither granted nor made: put out, shown."""

    kind: Literal["unexpected_participant"] = "unexpected_participant"
    room: Literal["videoroom", "audiobridge"]
    participant_id: int
    display: str
    """The name the participant gave Janus: theirs to choose, so only a clue."""


LiveEventBody = Annotated[
    LobbyEntered
    | Admitted
    | TurnedAway
    | Left
    | MicrophoneSet
    | CameraSet
    | Removed
    | RoomLocked
    | MediaRestored
    | UnexpectedParticipant
    | TelephoneRefused
    | ItemOpened
    | ItemClosed
    | FloorRequested
    | FloorRequestWithdrawn
    | FloorRequestSkipped
    | SpeakersReordered
    | FloorGiven
    | FloorReleased
    | TimeExtended
    | SpeakersListClosed
    | RollCallOpened
    | RollCallAnswered
    | RollCallClosed
    | ChannelChosen
    | InterpreterLive
    | RelayTaken
    | SlowDownAsked
    | FloorLanguageDeclared
    | FloorLevelSet
    | MeetingEnded
    | PlanningChanged,
    Field(discriminator="kind"),
]

EVENT_BODY: TypeAdapter[LiveEventBody] = TypeAdapter(LiveEventBody)


class EventEnvelope(BaseModel):
    """An event as clients receive it: its place in the log, its time and its body."""

    model_config = ConfigDict(frozen=True)

    engagement_id: int
    seq: int
    at: dt.datetime
    event: LiveEventBody
