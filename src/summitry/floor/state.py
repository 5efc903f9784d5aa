"""The floor as a meeting's log leaves it: the item, the speakers' list, the turn, the roll call."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from summitry.errors import Forbidden
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
from summitry.floor.speakers import Request, SpeakersList
from summitry.floor.timing import SpeakingTime, mute_at
from summitry.log.events import EventEnvelope
from summitry.meeting.rules import may_open_microphone
from summitry.meeting.state import MeetingState, register_part

DEFAULT_LIMIT_S = 180


@dataclass
class Turn:
    """Who has the floor, since when, and for how long."""

    request: Request
    started_at: dt.datetime
    limit_s: int | None
    extensions: int = 0

    def mute_at(self) -> dt.datetime | None:
        """When the automatic mute is due, if the item has a time limit."""
        if self.limit_s is None:
            return None
        return mute_at(self.started_at, SpeakingTime(self.limit_s), self.extensions)


@dataclass
class FloorState:
    """Folded from the floor's events; the rules themselves live in ``speakers``."""

    speakers: SpeakersList = field(default_factory=SpeakersList)
    item_title: str | None = None
    limit_s: int | None = None
    turn: Turn | None = None
    requests: int = 0
    roll_call: list[str] | None = None
    """The delegations being called, while a roll call is open."""
    present: dict[str, bool] = field(default_factory=dict)
    """The answers of the latest roll call."""

    def copy(self) -> FloorState:
        """A copy that taking further events leaves this one as it was (the speakers' list
        and the turn are replaced by each event, never changed in place)."""
        roll_call = None if self.roll_call is None else list(self.roll_call)
        return dataclasses.replace(self, roll_call=roll_call, present=dict(self.present))

    def apply(self, envelope: EventEnvelope) -> None:
        """Move forward by one event of the meeting's log (all but the floor's are ignored)."""
        self.take(envelope.event, envelope.at)

    def take(self, event: Any, at: dt.datetime) -> None:
        """Move forward by one floor event (others are ignored)."""
        match event:
            case ItemOpened(item=item, title=title, limit_s=limit_s):
                self.speakers = self.speakers.open_item(item)
                self.item_title, self.limit_s = title, limit_s
            case ItemClosed():
                self.speakers = self.speakers.close_item()
                self.item_title = self.limit_s = None
                self.turn = None
            case FloorRequested():
                self.requests = max(self.requests, event.request_id)
                self.speakers = self.speakers.inscribe(
                    Request(
                        id=event.request_id,
                        delegation=event.delegation,
                        speaker_attendee_id=event.attendee_id,
                        kind=event.request_kind,
                        on_behalf_of=event.on_behalf_of,
                        inscribed_at=at,
                    )
                )
            case FloorRequestWithdrawn(request_id=request_id):
                self.speakers = self.speakers.withdraw(request_id)
            case FloorRequestSkipped(request_id=request_id):
                self.speakers = self.speakers.skip(request_id)
            case SpeakersReordered(request_ids=ids):
                self.speakers = self.speakers.reorder(ids)
            case FloorGiven(request_id=request_id):
                self.speakers = self.speakers.give_floor(request_id)
                assert self.speakers.current is not None  # noqa: S101 - give_floor sets it
                self.turn = Turn(self.speakers.current, at, self.limit_s)
            case FloorReleased():
                self.speakers = self.speakers.release()
                self.turn = None
            case TimeExtended(seconds=seconds):
                if self.turn is not None:
                    self.turn = dataclasses.replace(
                        self.turn, extensions=self.turn.extensions + seconds
                    )
            case SpeakersListClosed(closed=closed):
                self.speakers = self.speakers.close() if closed else self.speakers.reopen()
            case RollCallOpened(order=order):
                self.roll_call, self.present = list(order), {}
            case RollCallAnswered(delegation=delegation, present=present):
                self.present[delegation] = present
            case RollCallClosed():
                self.roll_call = None
            case _:
                pass

    def as_json(self) -> dict[str, Any]:
        def request(r: Request) -> dict[str, Any]:
            return {
                "id": r.id,
                "delegation": r.delegation,
                "attendee_id": r.speaker_attendee_id,
                "kind": r.kind.value,
                "on_behalf_of": r.on_behalf_of,
            }

        turn = self.turn
        return {
            "item": self.speakers.item,
            "item_title": self.item_title,
            "limit_s": self.limit_s,
            "closed": self.speakers.closed,
            "queue": [request(r) for r in self.speakers.queue],
            "turn": None
            if turn is None
            else {
                **request(turn.request),
                "started_at": turn.started_at.isoformat(),
                "limit_s": turn.limit_s,
                "extensions": turn.extensions,
                "mute_at": (m.isoformat() if (m := turn.mute_at()) else None),
            },
            "roll_call": self.roll_call,
            "present": dict(self.present),
        }


def floor_of(state: MeetingState) -> FloorState:
    """The floor's part of a meeting's state."""
    return state.part(FloorState)


register_part("floor", FloorState)


@may_open_microphone
def _floor_decides_who_is_heard(state: MeetingState, target: int, presides: bool) -> None:
    """While an item is open only the speaker (and those presiding) may open a microphone."""
    floor = floor_of(state)
    speaking = floor.turn is not None and floor.turn.request.speaker_attendee_id == target
    if floor.speakers.item is not None and not speaking and not presides:
        raise Forbidden("you do not have the floor: ask for it, and the chair will give it")
