"""Speaking time: the phases at their boundaries, extensions, a cut, and when to mute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from summitry.errors import InvalidInput
from summitry.floor.timing import Phase, SpeakingTime, mute_at, phase, remaining

START = datetime(2020, 9, 22, 13, 0, tzinfo=UTC)
THREE_MINUTES = SpeakingTime(limit_s=180)  # warning in the last 30 s, then 5 s of grace


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (0, Phase.SPEAKING),
        (149.999, Phase.SPEAKING),
        (150, Phase.WARNING),  # the last 30 seconds begin
        (179.999, Phase.WARNING),
        (180, Phase.GRACE),  # time is up; the grace lets the sentence end
        (184.999, Phase.GRACE),
        (185, Phase.EXPIRED),  # mute now
        (3600, Phase.EXPIRED),
    ],
)
def test_the_phase_at_each_boundary(elapsed: float, expected: Phase) -> None:
    assert phase(START, at(elapsed), THREE_MINUTES) is expected


@pytest.mark.parametrize(
    ("elapsed", "left"),
    [(0, 180), (150, 30), (179.5, 0.5), (180, 0), (183, -3)],
)
def test_remaining_counts_down_and_goes_negative_in_the_grace(elapsed: float, left: float) -> None:
    assert remaining(START, at(elapsed), THREE_MINUTES) == left


def test_the_mute_comes_at_the_end_of_the_grace() -> None:
    assert mute_at(START, THREE_MINUTES) == at(185)
    assert mute_at(START, SpeakingTime(limit_s=60, grace_s=0)) == at(60)


def test_an_extension_moves_the_warning_the_end_and_the_mute() -> None:
    assert phase(START, at(150), THREE_MINUTES, extensions=60) is Phase.SPEAKING
    assert phase(START, at(210), THREE_MINUTES, extensions=60) is Phase.WARNING
    assert phase(START, at(240), THREE_MINUTES, extensions=60) is Phase.GRACE
    assert remaining(START, at(200), THREE_MINUTES, extensions=60) == 40
    assert mute_at(START, THREE_MINUTES, extensions=60) == at(245)


def test_an_extension_during_the_grace_gives_the_floor_back() -> None:
    assert phase(START, at(182), THREE_MINUTES) is Phase.GRACE
    assert phase(START, at(182), THREE_MINUTES, extensions=30) is Phase.WARNING


def test_a_cut_expires_the_time_at_once_without_grace() -> None:
    cut = at(60)
    assert phase(START, at(60), THREE_MINUTES, cut=cut) is Phase.EXPIRED
    assert remaining(START, at(61), THREE_MINUTES, cut=cut) == -1
    assert mute_at(START, THREE_MINUTES, cut=cut) == cut
    # Extensions do not undo a cut.
    assert phase(START, at(60), THREE_MINUTES, extensions=120, cut=cut) is Phase.EXPIRED


def test_a_cut_after_the_mute_changes_nothing() -> None:
    late = at(500)
    assert mute_at(START, THREE_MINUTES, cut=late) == at(185)
    assert phase(START, at(186), THREE_MINUTES, cut=late) is Phase.EXPIRED


def test_a_cut_in_the_grace_mutes_at_the_cut() -> None:
    assert mute_at(START, THREE_MINUTES, cut=at(182)) == at(182)
    assert phase(START, at(181), THREE_MINUTES, cut=at(182)) is Phase.GRACE
    assert phase(START, at(182), THREE_MINUTES, cut=at(182)) is Phase.EXPIRED


def test_a_warning_longer_than_the_limit_warns_from_the_start() -> None:
    short = SpeakingTime(limit_s=20)
    assert phase(START, START, short) is Phase.WARNING


@pytest.mark.parametrize(
    ("limit_s", "warning_s", "grace_s", "field"),
    [(0, 30, 5, "limit_s"), (180, -1, 5, "warning_s"), (180, 30, -1, "grace_s")],
)
def test_a_time_that_cannot_be_kept_is_refused(
    limit_s: int, warning_s: int, grace_s: int, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        SpeakingTime(limit_s=limit_s, warning_s=warning_s, grace_s=grace_s)
    assert refused.value.field == field


def test_time_is_not_taken_back_by_a_negative_extension() -> None:
    with pytest.raises(InvalidInput, match="to shorten a turn, cut it"):
        phase(START, START, THREE_MINUTES, extensions=-10)
