"""Golden fixtures of the meeting state's contract: scripted meetings folded by the server.

Each fixture is ``{initial, events, expected}``: a snapshot as the server sends it, the events
as the live feed sends them after it, and the snapshot the server's fold reaches. The page's
fold (``meeting/static/state.js``) must reach the same one (``state.test.mjs``). Run
``python -m tests.contract.generate`` after changing a fold; ``test_contract.py`` fails until
the committed fixtures are what this produces.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from summitry import capabilities  # noqa: F401 - every event kind and state part, as the app has them
from summitry.documents.events import (
    ActionRefused,
    AmendmentDecided,
    AmendmentProposed,
    BallotCast,
    CertificateKept,
    CopyPrepared,
    DocumentDrafted,
    DocumentSigned,
    ProcedureEnded,
    ProcedureOpened,
    SilenceBroken,
    TextAdopted,
    TextHidden,
    TextShown,
    VersionMade,
)
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
from summitry.floor.speakers import RequestKind
from summitry.interpretation.events import (
    ChannelChosen,
    FloorLanguageDeclared,
    FloorLevelSet,
    InterpreterLive,
    RelayTaken,
    SlowDownAsked,
)
from summitry.log.events import Event, EventEnvelope
from summitry.meeting.events import (
    Admitted,
    CameraSet,
    Left,
    LobbyEntered,
    MediaRestored,
    MeetingEnded,
    MicrophoneSet,
    Removed,
    RoomLocked,
    TelephoneRefused,
    TurnedAway,
    UnexpectedParticipant,
)
from summitry.meeting.state import fold
from summitry.records.minutes_events import MinutesPublished
from summitry.records.recording_events import RecordingStarted, RecordingStopped

FIXTURES = Path(__file__).parent / "fixtures"
START = dt.datetime(2020, 9, 14, 14, 0, tzinfo=dt.UTC)
CHAIR = "Chair (Secretariat)"
STATEMENT, POINT_OF_ORDER, RIGHT_OF_REPLY = (
    RequestKind.STATEMENT,
    RequestKind.POINT_OF_ORDER,
    RequestKind.RIGHT_OF_REPLY,
)
# The people of every script: the chair, four delegations' speakers, two interpreters of the
# English booth and one of the French, a caller by telephone.
CHAIR_ID, CN, DE, FR, BR, EN_1, EN_2, FR_1, CALLER = range(1, 10)


@dataclass(frozen=True)
class Script:
    """A scripted meeting; the first ``resume_at`` events are in the initial snapshot."""

    name: str
    about: str
    events: list[Event]
    resume_at: int = 0


def admit(*people: int) -> list[Event]:
    """Each of ``people`` enters the lobby and is admitted."""
    return [
        e
        for who in people
        for e in (LobbyEntered(attendee_id=who), Admitted(attendee_id=who, by=CHAIR))
    ]


def request(
    request_id: int,
    who: int,
    delegation: str,
    kind: RequestKind = STATEMENT,
    on_behalf_of: str | None = None,
) -> FloorRequested:
    """A request for the floor."""
    return FloorRequested(
        request_id=request_id,
        attendee_id=who,
        delegation=delegation,
        request_kind=kind,
        on_behalf_of=on_behalf_of,
    )


def give(request_id: int, who: int, delegation: str) -> list[Event]:
    """The floor given, and the speaker's microphone opened with it (as ``floor`` does)."""
    return [
        FloorGiven(request_id=request_id, attendee_id=who, delegation=delegation, by=CHAIR),
        MicrophoneSet(attendee_id=who, muted=False, by="floor"),
    ]


def release(who: int, reason: str = "done") -> list[Event]:
    """The turn ended, and the speaker's microphone muted."""
    return [
        FloorReleased.model_validate({"reason": reason, "by": CHAIR}),
        MicrophoneSet(attendee_id=who, muted=True, by="floor"),
    ]


LOBBY: list[Event] = [
    *admit(CHAIR_ID),
    LobbyEntered(attendee_id=CN),
    LobbyEntered(attendee_id=CALLER, channel="telephone"),
    Admitted(attendee_id=CN, by=CHAIR),
    Admitted(attendee_id=CALLER, by=CHAIR),
    LobbyEntered(attendee_id=DE),
    TurnedAway(attendee_id=DE, by=CHAIR),
    RoomLocked(locked=True, by=CHAIR),
    TelephoneRefused(tries=3),
    MicrophoneSet(attendee_id=CN, muted=False, by="Li Wei"),
    CameraSet(attendee_id=CN, on=False),
    MicrophoneSet(attendee_id=CALLER, muted=False, by="caller"),
    Left(attendee_id=CALLER),
]
LOBBY_LATER: list[Event] = [
    RoomLocked(locked=False, by=CHAIR),
    *admit(FR),
    MicrophoneSet(attendee_id=FR, muted=False, by=CHAIR),
    Removed(attendee_id=FR, by=CHAIR),
    MediaRestored(),
    UnexpectedParticipant(room="videoroom", participant_id=991, display="ghost"),
    UnexpectedParticipant(room="audiobridge", participant_id=992, display="Ünknown 未知"),
    MediaRestored(),
    PlanningChanged(change="invitation_withdrawn", by=CHAIR, subject="DE (invitation 3)"),
    Left(attendee_id=DE, reason="invitation_withdrawn"),
    CameraSet(attendee_id=BR, on=True),  # someone never seen: shown as invited
    MicrophoneSet(attendee_id=EN_1, muted=False, by=CHAIR),
    LobbyEntered(attendee_id=CALLER, channel="telephone"),
]

# Inscriptions in the order of precedence (BR, CN, DE, FR), one made before the item opened;
# points of order to the front, rights of reply to the end, a closed list, a reordering.
SPEAKERS: list[Event] = [
    *admit(CHAIR_ID, CN, DE, FR, BR),
    request(1, CN, "CN"),
    ItemOpened(item=1, title="Adoption of the agenda", limit_s=180, by=CHAIR),
    request(2, DE, "DE"),
    request(3, FR, "FR"),
    request(4, BR, "BR", on_behalf_of="G77 and China"),
    request(5, CN, "CN", on_behalf_of="G77 and China"),
    request(6, DE, "DE", RIGHT_OF_REPLY),
    request(7, BR, "BR"),
    request(8, FR, "FR", POINT_OF_ORDER),
    request(9, DE, "DE", POINT_OF_ORDER),
    SpeakersListClosed(closed=True, by=CHAIR),
    request(10, CN, "CN", RIGHT_OF_REPLY),
    *give(8, FR, "FR"),
]
SPEAKERS_LATER: list[Event] = [
    TimeExtended(seconds=30, by=CHAIR),
    TimeExtended(seconds=15, by=CHAIR),
    *release(FR),
    FloorRequestWithdrawn(request_id=9),
    SpeakersListClosed(closed=False, by=CHAIR),
    SpeakersReordered(request_ids=[3, 1, 2, 4, 5, 6, 7, 10], by=CHAIR),
    request(11, DE, "DE", on_behalf_of="European Union"),
    FloorRequestSkipped(request_id=1, by=CHAIR),
    *give(3, FR, "FR"),
    *release(FR, "expired"),
    *give(6, DE, "DE"),
    *give(2, DE, "DE"),
    *release(DE, "cut"),
    *give(4, BR, "BR"),
    ItemClosed(dropped=[5, 7, 11, 10], by=CHAIR),
    MicrophoneSet(attendee_id=BR, muted=True, by="floor"),
]
UNTIMED: list[Event] = [
    *admit(CHAIR_ID, BR, CN),
    TimeExtended(seconds=20, by=CHAIR),  # no one speaks: nothing to extend
    ItemOpened(item=2, title="General debate", limit_s=None, by=CHAIR),
    request(1, BR, "BR"),
    request(2, CN, "CN"),
    *give(1, BR, "BR"),
    TimeExtended(seconds=60, by=CHAIR),
    *give(2, CN, "CN"),
    ItemClosed(dropped=[], by=CHAIR),
    ItemOpened(item=3, title="Any other business", limit_s=90, by=CHAIR),
    request(3, BR, "BR", RIGHT_OF_REPLY),
    *give(3, BR, "BR"),
]
ROLL_CALL: list[Event] = [
    *admit(CHAIR_ID, BR, CN, DE),
    RollCallOpened(order=["BR", "CN", "DE", "FR"], by=CHAIR),
    RollCallAnswered(delegation="BR", present=True, by=CHAIR),
    RollCallAnswered(delegation="CN", present=False, by=CHAIR),
    RollCallAnswered(delegation="DE", present=True, by=CHAIR),
    RollCallAnswered(delegation="CN", present=True, by=CHAIR),
    RollCallClosed(by=CHAIR),
]
ROLL_CALL_LATER: list[Event] = [
    RollCallOpened(order=["BR", "CN", "DE", "FR"], by=CHAIR),
    RollCallAnswered(delegation="FR", present=False, by=CHAIR),
    RollCallAnswered(delegation="BR", present=True, by=CHAIR),
]
INTERPRETATION: list[Event] = [
    *admit(CHAIR_ID, CN, DE, FR, EN_1, EN_2, FR_1),
    FloorLanguageDeclared(attendee_id=CN, language="zh"),
    FloorLanguageDeclared(attendee_id=DE, language="de"),
    ChannelChosen(attendee_id=CN, channel="en"),
    ChannelChosen(attendee_id=DE, channel="fr"),
    ChannelChosen(attendee_id=DE, channel=None),
    ChannelChosen(attendee_id=FR, channel="en"),
    InterpreterLive(booth="en", attendee_id=EN_1),
    InterpreterLive(booth="fr", attendee_id=FR_1),
    RelayTaken(attendee_id=FR_1, booth="en"),
    SlowDownAsked(booth="fr", attendee_id=FR_1),
    RecordingStopped(by=CHAIR),
    FloorLevelSet(percent=30, by=CHAIR),
    InterpreterLive(booth="en", attendee_id=EN_2, handover_from=EN_1),
    InterpreterLive(booth="fr", attendee_id=None),
    RelayTaken(attendee_id=FR_1, booth=None),
    InterpreterLive(booth="fr", attendee_id=FR_1),
    RelayTaken(attendee_id=FR_1, booth="en"),
    ChannelChosen(attendee_id=FR_1, channel="en"),
]
INTERPRETATION_LATER: list[Event] = [
    Left(attendee_id=FR_1),  # off the air and off the relay; the channel is kept
    Removed(attendee_id=EN_2, by=CHAIR),
    FloorLanguageDeclared(attendee_id=DE, language="en"),
    SlowDownAsked(booth="en", attendee_id=EN_1),
    RecordingStarted(by=CHAIR),
    FloorLevelSet(percent=45, by=CHAIR),
    InterpreterLive(booth="en", attendee_id=EN_1, handover_from=EN_2),
]
ENDED: list[Event] = [
    *admit(CHAIR_ID, CN, DE),
    ItemOpened(item=1, title="Closing", limit_s=120, by=CHAIR),
    request(1, CN, "CN"),
    *give(1, CN, "CN"),
    ChannelChosen(attendee_id=DE, channel="fr"),
    MeetingEnded(by=CHAIR),
    Left(attendee_id=CN, reason="meeting_ended"),
    Left(attendee_id=DE, reason="meeting_ended"),
    Left(attendee_id=CHAIR_ID, reason="meeting_ended"),
]

# Outcome documents during a meeting: their events pass through every page's fold and leave the
# meeting's state as it was (the documents' pages and text.js read them, not the state).
HASH = "ab" * 32
DOCUMENTS: list[Event] = [
    *admit(CHAIR_ID, CN, DE),
    DocumentDrafted(
        document_id=1, document_kind="joint_statement",
        languages=["en", "zh"], confidential=True, by=CHAIR,
    ),
    VersionMade(document_id=1, number=1, sha256=HASH, by=CHAIR, note="first draft"),
    AmendmentProposed(
        document_id=1, amendment_id=1, version=1, language="en", paragraph=2,
        action="replace", bracketed=True, delegation="CN", by="Li Wei",
    ),
    TextShown(document_id=1, version=1, paragraph=2, by=CHAIR),
    AmendmentDecided(document_id=1, amendment_id=1, decision="merged", version=2, by=CHAIR),
    VersionMade(document_id=1, number=2, sha256=HASH, by=CHAIR, amendments=(1,)),
    TextHidden(document_id=1, by=CHAIR),
    ProcedureOpened(
        document_id=1, procedure_id=1, procedure="silence", version=2, text_sha256=HASH,
        deadline=START + dt.timedelta(hours=72), parties=["CN", "DE"], by=CHAIR,
    ),
    SilenceBroken(document_id=1, procedure_id=1, delegation="DE", by="Anna"),
    ProcedureEnded(
        document_id=1, procedure_id=1, outcome="broken", effective_at=START, by="Anna",
    ),
    ProcedureOpened(
        document_id=1, procedure_id=2, procedure="written_vote", version=2, text_sha256=HASH,
        deadline=START + dt.timedelta(hours=1), parties=["CN", "DE"], by=CHAIR,
    ),
    BallotCast(document_id=1, procedure_id=2, delegation="CN", choice="yes", by="Li Wei"),
    ActionRefused(
        document_id=1, action="ballot", by="Li Wei", delegation="CN", reason="voted already",
    ),
    BallotCast(document_id=1, procedure_id=2, delegation="DE", choice="abstain", by="Anna"),
    TextAdopted(
        document_id=1, procedure_id=2, procedure="written_vote", version=2, text_sha256=HASH,
        effective_at=START, by="the vote", tally={"yes": 1, "no": 0, "abstain": 1, "absent": 0},
    ),
    CopyPrepared(document_id=1, version=2, sha256=HASH, by=CHAIR),
    CertificateKept(attendee_id=CN, fingerprint=HASH, subject="CN=Li Wei", by=CHAIR),
    DocumentSigned(
        document_id=1, revision=1, delegation="CN", signatory="Li Wei", certificate=HASH,
        previous_sha256=HASH, sha256=HASH,
    ),
    MinutesPublished(version_id=1, number=1, sha256=HASH),
]  # fmt: skip

SCRIPTS = [
    Script("lobby", "lobby, admission, microphones, cameras, lock, alarms", LOBBY + LOBBY_LATER),
    Script(
        "lobby_resumed",
        "a stale snapshot of the lobby, then what happened since",
        LOBBY + LOBBY_LATER,
        len(LOBBY),
    ),
    Script("speakers", "the speakers' list of a timed item", SPEAKERS + SPEAKERS_LATER),
    Script(
        "speakers_resumed",
        "a stale snapshot taken during a timed turn, then extensions and the rest of the item",
        SPEAKERS + SPEAKERS_LATER,
        len(SPEAKERS),
    ),
    Script(
        "extended_resumed",
        "a stale snapshot taken during a timed turn, then the chair extends it",
        SPEAKERS + SPEAKERS_LATER[:2],
        len(SPEAKERS),
    ),
    Script("untimed", "an item without a time limit, then one with", UNTIMED),
    Script("roll_call", "two roll calls", ROLL_CALL + ROLL_CALL_LATER),
    Script(
        "roll_call_resumed",
        "a stale snapshot after a roll call, then a new one",
        ROLL_CALL + ROLL_CALL_LATER,
        len(ROLL_CALL),
    ),
    Script("interpretation", "channels, booths, relays, languages", INTERPRETATION),
    Script(
        "interpretation_resumed",
        "a stale snapshot of interpretation, then interpreters leave",
        INTERPRETATION + INTERPRETATION_LATER,
        len(INTERPRETATION),
    ),
    Script("ended", "a meeting ended for everyone during a turn", ENDED),
    Script("documents", "a document negotiated, adopted and signed during a meeting", DOCUMENTS),
]


def envelopes(events: list[Event]) -> list[EventEnvelope]:
    """The events numbered from 1, seven seconds and a quarter apart (fractions included)."""
    return [
        EventEnvelope(
            engagement_id=1,
            seq=i + 1,
            at=START + dt.timedelta(seconds=7 * i, milliseconds=250 * (i % 4)),
            event=event,
        )
        for i, event in enumerate(events)
    ]


def fixture(script: Script) -> dict[str, object]:
    """The fixture of ``script``: the snapshot at ``resume_at``, the rest, the snapshot after."""
    numbered = envelopes(script.events)
    state = fold(numbered[: script.resume_at])
    initial = state.as_json()
    later = numbered[script.resume_at :]
    return {
        "name": script.name,
        "about": script.about,
        "initial": initial,
        "events": [e.model_dump(mode="json") for e in later],
        "expected": fold(later, state).as_json(),
    }


def generate() -> dict[str, str]:
    """Every fixture's file name and text."""
    return {
        f"{s.name}.json": json.dumps(fixture(s), indent=1, ensure_ascii=False) + "\n"
        for s in SCRIPTS
    }


def main() -> None:
    """Write the fixtures, removing any a script no longer makes."""
    texts = generate()
    for stale in FIXTURES.glob("*.json"):
        if stale.name not in texts:
            stale.unlink()
    for name, text in texts.items():
        (FIXTURES / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
