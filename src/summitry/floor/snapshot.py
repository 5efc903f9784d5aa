"""The floor's part of a meeting's snapshot, typed: exactly what ``FloorState.as_json`` writes.

The page builds its own state from this JSON (``meeting/static/state.js``), so every field is
required and nothing else is allowed: a field added to the fold without its place here fails
the contract tests instead of reaching the page unannounced.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from summitry.floor.speakers import Request, RequestKind, SpeakersList
from summitry.floor.state import FloorState, Turn


def _aware(text: str) -> str:
    if dt.datetime.fromisoformat(text).tzinfo is None:
        raise ValueError("an instant needs its offset")
    return text


Instant = Annotated[
    str,
    AfterValidator(_aware),
    Field(json_schema_extra={"format": "date-time"}),
]
"""An ISO 8601 moment with its offset, kept as the text the server wrote: a ``datetime`` field
would write it back as ``Z`` where the fold wrote ``+00:00``, and the snapshot would change."""

NOT_IN_SNAPSHOT = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
"""The inscription time of a request rebuilt from a snapshot, which does not carry it (nothing
reads it once the request is on the list)."""


class SnapshotPart(BaseModel):
    """A part of the snapshot: every field required, none unknown."""

    model_config = ConfigDict(extra="forbid")


class SpeakerRequest(SnapshotPart):
    """A request for the floor, waiting on the speakers' list."""

    id: int
    delegation: str
    attendee_id: int
    kind: RequestKind
    on_behalf_of: str | None

    def to_request(self, inscribed_at: dt.datetime = NOT_IN_SNAPSHOT) -> Request:
        """The speakers' list's own request."""
        return Request(
            id=self.id,
            delegation=self.delegation,
            speaker_attendee_id=self.attendee_id,
            kind=self.kind,
            on_behalf_of=self.on_behalf_of,
            inscribed_at=inscribed_at,
        )


class TurnSnapshot(SpeakerRequest):
    """The request that has the floor, since when and until the automatic mute."""

    started_at: Instant
    limit_s: int | None
    extensions: int
    """Seconds the chair added."""
    mute_at: Instant | None
    """Derived from the others (start, limit, extensions and the grace); ``None`` without a
    limit."""


class FloorSnapshot(SnapshotPart):
    """The agenda item, the speakers' list, the turn and the roll call."""

    item: int | None
    item_title: str | None
    limit_s: int | None
    closed: bool
    queue: list[SpeakerRequest]
    turn: TurnSnapshot | None
    roll_call: list[str] | None
    present: dict[str, bool]

    def to_state(self) -> FloorState:
        """The floor's state as the server folds it, rebuilt from this snapshot.

        ``requests`` (the highest request id seen) is not in the snapshot: the highest id still
        on the list or speaking stands in for it, a lower bound."""
        turn = None
        if self.turn is not None:
            started_at = dt.datetime.fromisoformat(self.turn.started_at)
            request = self.turn.to_request(started_at)
            turn = Turn(request, started_at, self.turn.limit_s, self.turn.extensions)
        queue = tuple(r.to_request() for r in self.queue)
        speakers = SpeakersList(
            queue=queue,
            current=None if turn is None else turn.request,
            closed=self.closed,
            item=self.item,
        )
        ids = [r.id for r in queue] + ([] if turn is None else [turn.request.id])
        return FloorState(
            speakers=speakers,
            item_title=self.item_title,
            limit_s=self.limit_s,
            turn=turn,
            requests=max(ids, default=0),
            roll_call=None if self.roll_call is None else list(self.roll_call),
            present=dict(self.present),
        )
