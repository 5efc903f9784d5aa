"""The events of the floor, appended to the meeting's live log like every other change."""

from __future__ import annotations

from typing import Literal

from summitry.floor.speakers import RequestKind
from summitry.log.events import Event, register


class _FloorEvent(Event):
    """An event of this capability, in the engagement's log."""


class ItemOpened(_FloorEvent):
    """The chair opens an agenda item; its speaking time applies to every turn in it."""

    kind: Literal["item_opened"] = "item_opened"
    item: int
    title: str
    limit_s: int | None
    by: str


class ItemClosed(_FloorEvent):
    kind: Literal["item_closed"] = "item_closed"
    dropped: list[int]
    """Requests still waiting, which closing the item ends."""
    by: str


class FloorRequested(_FloorEvent):
    """A delegation inscribes one of its people: a statement, a point of order or a reply."""

    kind: Literal["floor_requested"] = "floor_requested"
    request_id: int
    attendee_id: int
    delegation: str
    request_kind: RequestKind
    on_behalf_of: str | None = None


class FloorRequestWithdrawn(_FloorEvent):
    kind: Literal["floor_request_withdrawn"] = "floor_request_withdrawn"
    request_id: int


class FloorRequestSkipped(_FloorEvent):
    kind: Literal["floor_request_skipped"] = "floor_request_skipped"
    request_id: int
    by: str


class SpeakersReordered(_FloorEvent):
    kind: Literal["speakers_reordered"] = "speakers_reordered"
    request_ids: list[int]
    by: str


class FloorGiven(_FloorEvent):
    """The chair gives the floor; the speaker's microphone is opened, every other muted."""

    kind: Literal["floor_given"] = "floor_given"
    request_id: int
    attendee_id: int
    delegation: str
    by: str


class FloorReleased(_FloorEvent):
    kind: Literal["floor_released"] = "floor_released"
    reason: Literal["done", "cut", "expired"]
    by: str


class TimeExtended(_FloorEvent):
    kind: Literal["time_extended"] = "time_extended"
    seconds: int
    by: str


class SpeakersListClosed(_FloorEvent):
    kind: Literal["speakers_list_closed"] = "speakers_list_closed"
    closed: bool
    by: str


class RollCallOpened(_FloorEvent):
    kind: Literal["roll_call_opened"] = "roll_call_opened"
    order: list[str]
    """The delegations in the order they are called (the order of precedence)."""
    by: str


class RollCallAnswered(_FloorEvent):
    kind: Literal["roll_call_answered"] = "roll_call_answered"
    delegation: str
    present: bool
    by: str


class RollCallClosed(_FloorEvent):
    kind: Literal["roll_call_closed"] = "roll_call_closed"
    by: str


FLOOR_EVENTS = (
    ItemOpened,
    ItemClosed,
    FloorRequested,
    FloorRequestWithdrawn,
    FloorRequestSkipped,
    SpeakersReordered,
    FloorGiven,
    FloorReleased,
    TimeExtended,
    SpeakersListClosed,
    RollCallOpened,
    RollCallAnswered,
    RollCallClosed,
)

register(*FLOOR_EVENTS)
