"""The floor: the order of precedence, the speakers' list and speaking time, as pure rules."""

from summitry.floor.precedence import (
    PrecedenceEntry,
    PrecedenceError,
    PrecedenceRule,
    ProtocolRank,
    collation_key,
    draw_lot,
    localized_name,
    order,
    rank_from_office,
)
from summitry.floor.speakers import FloorRuleError, Request, RequestKind, SpeakersList
from summitry.floor.timing import Phase, SpeakingTime, mute_at, phase, remaining

__all__ = [
    "FloorRuleError",
    "Phase",
    "PrecedenceEntry",
    "PrecedenceError",
    "PrecedenceRule",
    "ProtocolRank",
    "Request",
    "RequestKind",
    "SpeakersList",
    "SpeakingTime",
    "collation_key",
    "draw_lot",
    "localized_name",
    "mute_at",
    "order",
    "phase",
    "rank_from_office",
    "remaining",
]
