"""Speaking time: the countdown everyone sees, the warning, the grace and the automatic mute.

Pure functions of the turn's start, the clock and what the chair did (extensions, a cut), so
that every client, the server and the tests compute the same phase from the same events.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from summitry.errors import InvalidInput


class Phase(enum.StrEnum):
    SPEAKING = "speaking"
    WARNING = "warning"
    """The last ``warning_s`` seconds of the time."""
    GRACE = "grace"
    """Over time, before the automatic mute: the speaker finishes the sentence."""
    EXPIRED = "expired"
    """The microphone must be muted now."""


@dataclass(frozen=True, slots=True)
class SpeakingTime:
    """The time limit of an agenda item, with its warning and its grace."""

    limit_s: int
    warning_s: int = 30
    grace_s: int = 5

    def __post_init__(self) -> None:
        if self.limit_s <= 0:
            raise InvalidInput("a speaking time must be at least one second", field="limit_s")
        if self.warning_s < 0:
            raise InvalidInput("the warning cannot come after the end", field="warning_s")
        if self.grace_s < 0:
            raise InvalidInput("the grace cannot be negative; use 0 for none", field="grace_s")


def _ends_at(
    started_at: datetime, limit: SpeakingTime, extensions: int, cut: datetime | None
) -> datetime:
    if extensions < 0:
        # Taking time back is a cut, which the chair makes at a moment, not by seconds.
        raise InvalidInput("extensions add time; to shorten a turn, cut it", field="extensions")
    natural = started_at + timedelta(seconds=limit.limit_s + extensions)
    return natural if cut is None else min(natural, cut)


def mute_at(
    started_at: datetime,
    limit: SpeakingTime,
    extensions: int = 0,
    cut: datetime | None = None,
) -> datetime:
    """When the microphone must be muted: the end plus the grace, or the moment of a cut."""
    natural = _ends_at(started_at, limit, extensions, None) + timedelta(seconds=limit.grace_s)
    # A cut mutes at once, without grace; one made after the mute changes nothing.
    return natural if cut is None else min(natural, cut)


def remaining(
    started_at: datetime,
    now: datetime,
    limit: SpeakingTime,
    extensions: int = 0,
    cut: datetime | None = None,
) -> float:
    """Seconds left until the end of the time: negative once over time."""
    return (_ends_at(started_at, limit, extensions, cut) - now).total_seconds()


def phase(
    started_at: datetime,
    now: datetime,
    limit: SpeakingTime,
    extensions: int = 0,
    cut: datetime | None = None,
) -> Phase:
    """Where the turn stands at ``now``; ``extensions`` is the total of seconds granted."""
    ends = _ends_at(started_at, limit, extensions, cut)
    if now >= mute_at(started_at, limit, extensions, cut):
        return Phase.EXPIRED
    if now >= ends:
        return Phase.GRACE
    if now >= ends - timedelta(seconds=limit.warning_s):
        return Phase.WARNING
    return Phase.SPEAKING
