"""Reading stored events: the log's registry (a lookup on ``kind``, then that class) against
the discriminated union of every kind that the log used before it knew no capability.

Both read the same 20,000 stored payloads (a meeting's mix of kinds) in the same run. The
clock covers only the parsing: what the feed and every fold pay per event read from the log.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from summitry import capabilities  # noqa: F401 - every kind registered, as the app has them
from summitry.floor.events import FloorGiven, FloorRequested
from summitry.floor.speakers import RequestKind
from summitry.interpretation.events import ChannelChosen
from summitry.log.events import kinds, parse_event
from summitry.meeting.events import Admitted, LobbyEntered, MicrophoneSet

EVENTS = 20_000
ROUNDS = 7


def payloads() -> list[dict[str, Any]]:
    """A meeting's log: lobby, admission, microphones, the floor, channels."""
    made: list[Any] = []
    for i in range(EVENTS // 6):
        made += [
            LobbyEntered(attendee_id=i),
            Admitted(attendee_id=i, by="Secretariat"),
            MicrophoneSet(attendee_id=i, muted=False, by="self"),
            FloorRequested(
                request_id=i, attendee_id=i, delegation="DE", request_kind=RequestKind.STATEMENT
            ),
            FloorGiven(request_id=i, attendee_id=i, delegation="DE", by="chair"),
            ChannelChosen(attendee_id=i, channel="fr"),
        ]
    return [event.model_dump(mode="json") for event in made]


def timed(parse: Any, data: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for payload in data:
        parse(payload)
    return (time.perf_counter() - started) / len(data) * 1e6


def main() -> None:
    data = payloads()
    classes = tuple(kinds().values())
    union: Any = Annotated[Union[classes], Field(discriminator="kind")]  # noqa: UP007
    adapter: TypeAdapter[Any] = TypeAdapter(union)
    assert [parse_event(p) for p in data[:12]] == [adapter.validate_python(p) for p in data[:12]]
    registry = [timed(parse_event, data) for _ in range(ROUNDS)]
    baseline = [timed(adapter.validate_python, data) for _ in range(ROUNDS)]
    result = {
        "window": "component: one step inside every person-facing path, not a person's action",
        "t0": "parse of one stored payload begins",
        "t1": "its event object is made",
        "events": len(data),
        "kinds": len(classes),
        "registry_us_per_event": round(statistics.median(registry), 2),
        "union_us_per_event": round(statistics.median(baseline), 2),
        "ratio": round(statistics.median(registry) / statistics.median(baseline), 2),
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
