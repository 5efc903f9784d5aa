"""What the replicas' relay does with the messages of the others (no Redis needed here)."""

from __future__ import annotations

import json
from typing import Any

from summitry import capabilities  # noqa: F401 - the kinds below are registered
from summitry.log.hub import LiveHub
from summitry.log.relay import Relay, relay_key
from tests.unit.test_kept_commits import commit


def relay_with_listener() -> tuple[Relay, list[tuple[int, Any]]]:
    hub = LiveHub()
    heard: list[tuple[int, Any]] = []
    hub.listen(lambda engagement_id, envelope: heard.append((engagement_id, envelope)))
    return Relay(hub, None, "redis://127.0.0.1:1/0", KEY), heard  # type: ignore[arg-type]


KEY = relay_key("the installation's secret, the same in every replica")


def signed(message: object, key: bytes = KEY) -> bytes:
    return Relay(LiveHub(), None, "", key).sign(json.dumps(message)).encode()  # type: ignore[arg-type]


def events_message(origin: str, seqs: list[int], key: bytes = KEY) -> bytes:
    envelopes = [e.model_dump(mode="json") for e in commit(*seqs)]
    return signed({"origin": origin, "kind": "events", "events": envelopes}, key)


def test_another_replicas_events_reach_the_hub_once_and_its_own_never() -> None:
    relay, heard = relay_with_listener()
    relay._apply(events_message("elsewhere", [1, 2]))
    relay._apply(events_message("elsewhere", [2, 3]))  # a poll was first with 2
    relay._apply(events_message(relay.origin, [4]))  # its own, back from Redis
    assert [envelope.seq for _, envelope in heard] == [1, 2, 3]


def test_a_message_it_cannot_apply_is_skipped_and_the_next_one_applied() -> None:
    relay, heard = relay_with_listener()
    unknown = {"origin": "newer", "kind": "events", "events": [{"engagement_id": 1}]}
    for bad in (signed("not an object"), signed(unknown), signed({"origin": "x", "kind": "tell"})):
        relay._apply(bad)  # logged, never raised: the relay goes on listening
    relay._apply(events_message("elsewhere", [1]))
    assert [envelope.seq for _, envelope in heard] == [1]


def test_a_message_not_signed_with_the_installation_s_secret_is_ignored() -> None:
    relay, heard = relay_with_listener()
    forged = events_message("outsider", [1], key=relay_key("a secret guessed wrong"))
    unsigned = json.dumps({"origin": "outsider", "kind": "events", "events": []}).encode()
    tampered = events_message("elsewhere", [1]).replace(b'"seq": 1', b'"seq": 7')
    for message in (forged, unsigned, tampered, b"", b"."):
        relay._apply(message)
    assert heard == []
    relay._apply(events_message("elsewhere", [1]))
    assert [envelope.seq for _, envelope in heard] == [1]
