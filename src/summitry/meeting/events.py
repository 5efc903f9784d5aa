"""The meeting's own events: the lobby, admission, the room, microphones and cameras."""

from __future__ import annotations

from typing import Literal

from summitry.log.events import Event, register


class _Event(Event):
    """An event of the meeting itself: the lobby, the room, microphones and cameras."""


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


register(
    LobbyEntered,
    Admitted,
    TurnedAway,
    Left,
    MicrophoneSet,
    CameraSet,
    Removed,
    RoomLocked,
    MediaRestored,
    UnexpectedParticipant,
    TelephoneRefused,
    MeetingEnded,
)
