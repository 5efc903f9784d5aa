"""The one way work in this process follows the log: ``LiveHub.listen`` and its inbox."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from summitry import capabilities  # noqa: F401 - the kinds below are registered
from summitry.log.events import EventEnvelope, UnknownKind, parse_event
from summitry.log.hub import LiveHub
from summitry.log.listening import QUEUE_LIMIT
from summitry.meeting.events import RoomLocked

AT = dt.datetime(2020, 9, 14, 12, 0, tzinfo=dt.UTC)


def envelope(engagement_id: int, seq: int) -> EventEnvelope:
    return EventEnvelope(
        engagement_id=engagement_id, seq=seq, at=AT, event=RoomLocked(locked=True, by="test")
    )


def test_a_listener_hears_its_engagement_or_every_one_until_it_closes() -> None:
    hub = LiveHub()
    of_one: list[tuple[int, int | None]] = []
    of_all: list[tuple[int, int | None]] = []
    one = hub.listen(lambda e, env: of_one.append((e, env and env.seq)), engagement_id=1)
    every = hub.listen(lambda e, env: of_all.append((e, env and env.seq)))

    hub.publish([envelope(1, 1), envelope(2, 1)])
    hub.media_changed(1)
    assert of_one == [(1, 1), (1, None)]
    assert of_all == [(1, 1), (2, 1), (1, None)]

    one.close()
    one.close()  # harmless
    assert one.closed
    assert not every.closed
    hub.publish([envelope(1, 2)])
    assert of_one == [(1, 1), (1, None)], "a closed subscription hears nothing more"
    assert of_all[-1] == (1, 2)

    with hub.listen(lambda e, env: of_one.append((e, -1)), engagement_id=1):
        hub.publish([envelope(1, 3)])
    hub.publish([envelope(1, 4)])
    assert of_one[-1] == (1, -1)
    assert of_one.count((1, -1)) == 1, "leaving the block closes the subscription"


async def test_an_inbox_queues_events_only_and_a_slow_one_is_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = LiveHub()
    slow = hub.inbox(7)
    with hub.inbox(7) as quick:
        heard: list[int] = []
        hub.listen(lambda e, env: heard.append(env.seq if env else 0), engagement_id=7)
        hub.media_changed(7)
        assert quick.events.empty(), "a media notice is not an event a reader waits for"

        with caplog.at_level(logging.WARNING):
            for seq in range(1, QUEUE_LIMIT + 3):
                hub.publish([envelope(7, seq)])
                while not quick.events.empty():  # the quick reader keeps up
                    assert quick.events.get_nowait().seq == seq
        assert slow.subscription.closed, "an inbox that fills is dropped, not waited for"
        assert slow.events.qsize() == QUEUE_LIMIT
        assert [r.message for r in caplog.records] == ["dropped a slow listener of engagement 7"]
        assert not quick.subscription.closed, "the others are still served"
        assert heard == [0, *range(1, QUEUE_LIMIT + 3)]
    assert quick.subscription.closed


def test_a_failing_listener_keeps_no_one_else_from_hearing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = LiveHub()
    heard: list[int] = []

    def broken(engagement_id: int, env: EventEnvelope | None) -> None:
        raise RuntimeError("broken")

    hub.listen(broken)
    hub.listen(lambda e, env: heard.append(e))
    with caplog.at_level(logging.ERROR):
        hub.publish([envelope(3, 1)])
    assert heard == [3]
    assert "a listener of engagement 3 failed" in caplog.text


def test_an_unregistered_kind_names_the_import_that_registers_every_kind() -> None:
    with pytest.raises(UnknownKind, match=r"summitry\.capabilities"):
        parse_event({"kind": "treaty_signed"})
