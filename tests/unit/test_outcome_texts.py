"""The rules of a text under negotiation, and of a deadline in UTC read in every capital."""

from __future__ import annotations

import datetime as dt

import pytest

from summitry.documents.deadlines import deadline_after, local_time
from summitry.documents.texts import (
    Change,
    apply,
    as_paragraphs,
    bracketed,
    compare,
    marked,
    paragraphs,
)
from summitry.errors import InvalidInput


def test_a_72_hour_silence_across_the_change_to_summer_time_ends_72_hours_later_in_utc() -> None:
    # The UN General Assembly's silence procedures of spring 2020 ran over Europe's change of
    # clocks on 29 March: 72 hours are 72 hours, and Brussels reads the end an hour later.
    started = dt.datetime(2020, 3, 27, 12, 0, tzinfo=dt.UTC)
    deadline = deadline_after(started, 72)
    assert deadline == dt.datetime(2020, 3, 30, 12, 0, tzinfo=dt.UTC)
    assert local_time(started, "Europe/Brussels") == "2020-03-27 13:00 (UTC+01:00)"
    assert local_time(deadline, "Europe/Brussels") == "2020-03-30 14:00 (UTC+02:00)"
    assert local_time(deadline, "Asia/Shanghai") == "2020-03-30 20:00 (UTC+08:00)"
    assert local_time(deadline, "America/New_York") == "2020-03-30 08:00 (UTC-04:00)"


def test_paragraphs_are_separated_by_a_blank_line_and_their_spaces_made_single() -> None:
    assert paragraphs("One  line\ncontinued.\n\n\n  Two. \r\n\r\nThree") == [
        "One line continued.",
        "Two.",
        "Three",
    ]


def test_an_amendment_inserts_deletes_or_replaces_a_paragraph_and_brackets_the_contested() -> None:
    texts = {"en": ["A.", "B.", "C."]}
    assert apply(texts, Change("en", 2, "insert", "New  text.", bracketed=True))["en"] == [
        "A.",
        "[New text.]",
        "B.",
        "C.",
    ]
    assert apply(texts, Change("en", 3, "delete"))["en"] == ["A.", "B."]
    assert apply(texts, Change("en", 1, "replace", "Z."))["en"] == ["Z.", "B.", "C."]
    assert texts == {"en": ["A.", "B.", "C."]}  # the version it came from is kept as it was
    assert bracketed({"en": ["A.", "[B.]"], "zh": ["甲。"]}) == [("en", 2)]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (Change("en", 5, "replace", "Z."), "from 1 to 3"),
        (Change("fr", 1, "replace", "Z."), "no fr text"),
        (Change("en", 1, "replace", "  "), "give the text"),
        (Change("en", 1, "replace", "[open"), "close every ["),
    ],
)
def test_an_amendment_that_does_not_fit_the_text_is_refused_saying_what_would(
    change: Change, words: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        apply({"en": ["A.", "B.", "C."]}, change)
    assert words in refused.value.message


def test_two_versions_compare_word_by_word_and_changes_a_space_apart_read_as_one() -> None:
    pieces = compare(
        ["They protect [one hundred] names."], ["They protect one hundred names, and more."]
    )
    assert pieces == [
        ("same", "They protect "),
        ("removed", "[one hundred] names."),
        ("added", "one hundred names, and more."),
    ]
    assert compare(["Protect [one hundred] names."], ["Protect one hundred names."]) == [
        ("same", "Protect "),
        ("removed", "[one hundred] "),
        ("added", "one hundred "),
        ("same", "names."),
    ]
    assert as_paragraphs(compare(["A b.", "C d."], ["A b.", "C e."]))[1] == [
        ("same", "C "),
        ("removed", "d."),
        ("added", "e."),
    ]


def test_bracketed_passages_are_marked_and_everything_else_escaped() -> None:
    assert str(marked("Protect [<b>100</b>] names")) == (
        'Protect <mark class="bracket">[&lt;b&gt;100&lt;/b&gt;]</mark> names'
    )
