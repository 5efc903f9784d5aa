"""The speakers' list: who asked for the floor, in which order, and who has it.

A value with pure transitions: each returns a new list or raises ``FloorRuleError`` saying
what stands in the way. The caller keeps the history (who spoke, who was skipped) from the
events it records; the list only knows what is still to come and who speaks now.

Rules, as at UN meetings:

- A point of order goes to the front, after any points of order raised before it, and must be
  heard before anything else. A right of reply goes to the end of the item. Statements go
  after the other statements, before the rights of reply.
- A closed list refuses statements; points of order and rights of reply are always received.
- A delegation has at most one pending statement in its own name and one for each group it
  speaks for ("on behalf of the G77 and China" is a different statement from its national one).
- Closing an item ends the current turn and empties the list: rights of reply are exercised
  within the item, so the chair gives them the floor before closing it.
"""

from __future__ import annotations

import dataclasses
import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from summitry.errors import Conflict


class FloorRuleError(Conflict):
    """The chair or a delegation asked for something the rules of the floor do not allow."""

    code = "floor_rule"


class RequestKind(enum.StrEnum):
    STATEMENT = "statement"
    POINT_OF_ORDER = "point_of_order"
    RIGHT_OF_REPLY = "right_of_reply"


_KIND_WORDS = {
    RequestKind.STATEMENT: "statement",
    RequestKind.POINT_OF_ORDER: "point of order",
    RequestKind.RIGHT_OF_REPLY: "right of reply",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """A request for the floor, made by a delegation for one of its people."""

    id: int
    delegation: str
    speaker_attendee_id: int
    kind: RequestKind = RequestKind.STATEMENT
    on_behalf_of: str | None = None
    """The group the delegation speaks for ("G77 and China"), if not only for itself."""
    inscribed_at: datetime

    def describe(self) -> str:
        """The request as a message names it: "the statement of FR (request 3)"."""
        group = f" on behalf of {self.on_behalf_of}" if self.on_behalf_of else ""
        return f"the {_KIND_WORDS[self.kind]} of {self.delegation}{group} (request {self.id})"


@dataclass(frozen=True, slots=True)
class SpeakersList:
    """The pending requests in order, who has the floor, whether the list is closed, the item."""

    queue: tuple[Request, ...] = ()
    current: Request | None = None
    """The one person who has the floor: one field, so never two."""
    closed: bool = False
    item: int | None = None
    """The agenda item open, if any; inscriptions made with none open carry over to the next."""

    # --- reading ------------------------------------------------------------------------------

    @property
    def pending_ids(self) -> tuple[int, ...]:
        return tuple(request.id for request in self.queue)

    @property
    def next(self) -> Request | None:
        """Who gets the floor if the chair gives it without naming anyone."""
        return self.queue[0] if self.queue else None

    def pending(self, request_id: int) -> Request:
        """The pending request with this id, or an error saying it is not waiting."""
        for request in self.queue:
            if request.id == request_id:
                return request
        if self.current is not None and self.current.id == request_id:
            raise FloorRuleError(f"request {request_id} has the floor; it is no longer waiting")
        raise FloorRuleError(f"request {request_id} is not on the speakers' list")

    def place_of_statement(self, delegation: str, on_behalf_of: str | None) -> int | None:
        """Where a delegation's pending statement (in this capacity) stands, from 1; or ``None``."""
        for place, waiting in enumerate(self.queue, start=1):
            if (
                waiting.kind is RequestKind.STATEMENT
                and waiting.delegation == delegation
                and waiting.on_behalf_of == on_behalf_of
            ):
                return place
        return None

    def _points_of_order(self) -> int:
        """How many points of order lead the queue (the invariant keeps them all in front)."""
        count = 0
        for request in self.queue:
            if request.kind is not RequestKind.POINT_OF_ORDER:
                break
            count += 1
        return count

    # --- transitions ----------------------------------------------------------------------------

    def inscribe(self, request: Request) -> SpeakersList:
        """The list with ``request`` in its place: points of order first, rights of reply last."""
        if request.id in self.pending_ids or (self.current and self.current.id == request.id):
            raise FloorRuleError(f"request {request.id} is already on the speakers' list")
        if request.kind is RequestKind.STATEMENT:
            if self.closed:
                raise FloorRuleError(
                    "the speakers' list is closed: only points of order and rights of reply "
                    "are received until the chair reopens it"
                )
            for waiting in self.queue:
                if (
                    waiting.kind is RequestKind.STATEMENT
                    and waiting.delegation == request.delegation
                    and waiting.on_behalf_of == request.on_behalf_of
                ):
                    raise FloorRuleError(
                        f"{waiting.describe()} is already on the list; withdraw it before "
                        "inscribing again"
                    )
        if request.kind is RequestKind.POINT_OF_ORDER:
            at = self._points_of_order()
        elif request.kind is RequestKind.STATEMENT:
            # After the last request that is not a right of reply: without reordering that is
            # just before the rights of reply, and a statement the chair moved after one is
            # still not overtaken.
            at = max(
                (
                    i + 1
                    for i, r in enumerate(self.queue)
                    if r.kind is not RequestKind.RIGHT_OF_REPLY
                ),
                default=0,
            )
        else:
            at = len(self.queue)
        queue = (*self.queue[:at], request, *self.queue[at:])
        return dataclasses.replace(self, queue=queue)

    def withdraw(self, request_id: int) -> SpeakersList:
        """The list without a request its delegation no longer makes."""
        self.pending(request_id)
        return self._without(request_id)

    def skip(self, request_id: int) -> SpeakersList:
        """The list without a request the chair passes over (the caller records why)."""
        self.pending(request_id)
        return self._without(request_id)

    def reorder(self, request_ids: Sequence[int]) -> SpeakersList:
        """The pending requests in the chair's order, which must name each exactly once."""
        given = list(request_ids)
        pending = self.pending_ids
        if sorted(given) != sorted(pending):
            twice = sorted(i for i, n in Counter(given).items() if n > 1)
            missing = [i for i in pending if i not in given]
            unknown = [i for i in dict.fromkeys(given) if i not in pending]
            problems = [
                f"{label} {', '.join(map(str, ids))}"
                for label, ids in (("missing", missing), ("not waiting", unknown), ("twice", twice))
                if ids
            ]
            raise FloorRuleError(
                "a new order must list every waiting request exactly once ("
                + "; ".join(problems)
                + ")"
            )
        by_id = {request.id: request for request in self.queue}
        queue = tuple(by_id[i] for i in given)
        seen_other: Request | None = None
        for request in queue:
            if request.kind is not RequestKind.POINT_OF_ORDER:
                seen_other = seen_other or request
            elif seen_other is not None:
                raise FloorRuleError(
                    f"{request.describe()} must be heard before {seen_other.describe()}: "
                    "points of order stay at the front of the list"
                )
        return dataclasses.replace(self, queue=queue)

    def give_floor(self, request_id: int | None = None) -> SpeakersList:
        """The floor to the next request, or to the one named; the current turn ends first."""
        if request_id is None:
            if not self.queue:
                raise FloorRuleError("no one is waiting for the floor")
            request = self.queue[0]
        else:
            request = self.pending(request_id)
            first = self.queue[0]
            if first.kind is RequestKind.POINT_OF_ORDER and request.kind is not first.kind:
                raise FloorRuleError(
                    f"{first.describe()} is pending and must be heard before {request.describe()}"
                )
        return dataclasses.replace(self._without(request.id), current=request)

    def release(self) -> SpeakersList:
        """The list once the current speaker is done."""
        if self.current is None:
            raise FloorRuleError("no one has the floor")
        return dataclasses.replace(self, current=None)

    def close(self) -> SpeakersList:
        """The list closed to new statements."""
        if self.closed:
            raise FloorRuleError("the speakers' list is already closed")
        return dataclasses.replace(self, closed=True)

    def reopen(self) -> SpeakersList:
        """The list open to statements again."""
        if not self.closed:
            raise FloorRuleError("the speakers' list is already open")
        return dataclasses.replace(self, closed=False)

    def open_item(self, item: int) -> SpeakersList:
        """The list for agenda item ``item``: open, with any inscriptions made in advance."""
        if self.item is not None:
            raise FloorRuleError(f"item {self.item} is still open; close it before opening {item}")
        return dataclasses.replace(self, item=item, closed=False)

    def close_item(self) -> SpeakersList:
        """No item open, no one with the floor, no one waiting (the caller records the dropped)."""
        if self.item is None:
            raise FloorRuleError("no agenda item is open")
        return SpeakersList()

    def _without(self, request_id: int) -> SpeakersList:
        return dataclasses.replace(self, queue=tuple(r for r in self.queue if r.id != request_id))
