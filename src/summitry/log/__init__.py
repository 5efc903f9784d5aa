"""The engagement's log: the core every capability writes its events to and follows.

It keeps events, their hash chain, the hub that fans committed events out, the wire that
writes them once for every socket, and the subscription through which background work
follows them. It imports no capability (see docs/architecture.md, and the import contract
tested in tests/unit/test_architecture.py).
"""

from summitry.log.store import (
    GENESIS,
    append,
    append_all,
    engagements_with,
    events_after,
    events_following,
    events_of,
    hold,
    last_seq,
    latest_events_of,
    newest_event_id,
    offline,
    verify_chain,
)

__all__ = [
    "GENESIS",
    "append",
    "append_all",
    "engagements_with",
    "events_after",
    "events_following",
    "events_of",
    "hold",
    "last_seq",
    "latest_events_of",
    "newest_event_id",
    "offline",
    "verify_chain",
]
