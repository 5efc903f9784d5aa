"""What a resuming connection is sent from the hub's kept commits, and when it must read the log."""

from __future__ import annotations

import datetime as dt

from summitry import capabilities  # noqa: F401 - the kinds below are registered
from summitry.log.events import EventEnvelope
from summitry.log.hub import KEPT_COMMITS, LiveHub
from summitry.meeting.events import RoomLocked

AT = dt.datetime(2020, 9, 14, 12, 0, tzinfo=dt.UTC)


def commit(*seqs: int, engagement_id: int = 1) -> list[EventEnvelope]:
    return [
        EventEnvelope(
            engagement_id=engagement_id, seq=seq, at=AT, event=RoomLocked(locked=True, by="test")
        )
        for seq in seqs
    ]


def seqs(found: object) -> list[int] | None:
    if found is None:
        return None
    assert isinstance(found, list)
    return [e.seq for outgoing in found for e in outgoing.envelopes]


def test_a_resumption_gets_every_commit_after_its_cursor_once_in_order() -> None:
    hub = LiveHub()
    for events in (commit(1), commit(2, 3), commit(4), commit(1, engagement_id=2)):
        hub.publish(events)
    assert seqs(hub.published_after(1, 1)) == [2, 3, 4]
    assert seqs(hub.published_after(1, 3)) == [4]
    assert seqs(hub.published_after(1, 0)) == [1, 2, 3, 4]
    assert seqs(hub.published_after(1, 4)) == []  # caught up: nothing, yet no read either
    assert seqs(hub.published_after(2, 0)) == [1]


def test_the_log_is_read_when_the_hub_cannot_vouch_for_every_commit() -> None:
    hub = LiveHub()
    assert hub.published_after(1, 0) is None  # nothing published here since the start
    hub.publish(commit(5))
    hub.publish(commit(6))
    assert hub.published_after(1, 3) is None  # 4 was committed before this process knew
    assert hub.published_after(1, 9) is None  # a cursor from the future starts afresh
    hub.publish(commit(8))  # 7 was written by another process
    assert hub.published_after(1, 6) is None
    assert seqs(hub.published_after(1, 8)) == []


def test_commits_published_out_of_turn_are_given_in_order() -> None:
    hub = LiveHub()
    hub.publish(commit(1))
    hub.publish(commit(3))  # two sessions' commit hooks ran in the other order
    hub.publish(commit(2))
    assert seqs(hub.published_after(1, 1)) == [2, 3]


def test_only_the_latest_commits_are_kept() -> None:
    hub = LiveHub()
    for seq in range(1, KEPT_COMMITS + 11):
        hub.publish(commit(seq))
    assert hub.published_after(1, 5) is None
    assert seqs(hub.published_after(1, 10)) == list(range(11, KEPT_COMMITS + 11))


def test_what_a_replica_has_seen_is_whole_up_to_its_first_hole() -> None:
    from summitry.log.hub import Follower

    hub = LiveHub()
    assert hub.seen_up_to(1) is None  # nobody follows: nothing to catch up for
    opening, shown = Follower(1), Follower(1)
    shown.cursor = 3
    for follower in (opening, shown):
        hub.follow(follower)
    # The connection still opening (cursor 0) is left out: the log is read when it opens.
    assert hub.seen_up_to(1) == 3
    hub.publish(commit(4, 5))
    hub.publish(commit(7))  # 6 was committed on another replica and has not come yet
    assert hub.seen_up_to(1) == 5
    assert hub.published(1, 5)
    assert not hub.published(1, 6)
    assert hub.published(1, 7)
