"""The order of precedence: alphabetical in a language, by lot, host first, by rank, manual."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from summitry.delegations.models import DelegationKind
from summitry.errors import InvalidInput
from summitry.floor.precedence import (
    PrecedenceEntry,
    PrecedenceError,
    PrecedenceRule,
    ProtocolRank,
    draw_lot,
    localized_name,
    order,
    rank_from_office,
)

STATE, ORGANISATION = DelegationKind.STATE, DelegationKind.ORGANISATION
T0 = datetime(2020, 11, 21, 12, 0, tzinfo=UTC)


def state(
    code: str,
    name: str,
    *,
    rank: ProtocolRank = ProtocolRank.OTHER,
    inscribed_at: datetime | None = None,
    is_host: bool = False,
) -> PrecedenceEntry:
    return PrecedenceEntry(
        code=code,
        kind=STATE,
        english_name=name,
        rank=rank,
        inscribed_at=inscribed_at,
        is_host=is_host,
    )


DE = state("DE", "Germany")
ZA = state("ZA", "South Africa")
AE = state("AE", "United Arab Emirates")
US = state("US", "United States")
GB = state("GB", "United Kingdom")
EU = PrecedenceEntry(code="EU", kind=ORGANISATION, english_name="European Union")


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "language", "expected"),
    [
        ("ZA", "fr", "Afrique du Sud"),
        ("DE", "fr", "Allemagne"),
        ("AE", "fr", "Émirats arabes unis"),
        ("US", "fr", "États-Unis"),
        ("DE", "en", "Germany"),
        ("DE", "es", "Alemania"),
        ("DE", "zh", "德国"),
        ("DE", "pt-BR", "Alemanha"),
    ],
)
def test_a_state_is_named_in_the_language_of_the_list(
    code: str, language: str, expected: str
) -> None:
    assert localized_name(code, STATE, "ignored", language) == expected


def test_an_organisation_keeps_the_name_it_was_given() -> None:
    # CLDR has no organisations: "AU" would be Australia, not the African Union.
    assert localized_name("AU", ORGANISATION, "African Union", "fr") == "African Union"
    assert localized_name("EU", ORGANISATION, "Union européenne", "en") == "Union européenne"


def test_a_state_cldr_does_not_name_keeps_its_english_name() -> None:
    assert localized_name("QZ", STATE, "Quizland", "fr") == "Quizland"


def test_an_unknown_language_is_refused_with_what_to_give() -> None:
    with pytest.raises(PrecedenceError, match="not a language") as refused:
        localized_name("DE", STATE, "Germany", "xx-nonsense")
    assert isinstance(refused.value, InvalidInput)  # reported as 422 by the API
    assert isinstance(refused.value, ValueError)


# --- rules ----------------------------------------------------------------------------------


def test_alphabetical_order_depends_on_the_language() -> None:
    assert order([ZA, DE], PrecedenceRule.ALPHABETICAL, language="fr") == ["ZA", "DE"]
    assert order([ZA, DE], PrecedenceRule.ALPHABETICAL, language="en") == ["DE", "ZA"]


def test_alphabetical_order_in_french_from_cldr_names() -> None:
    everyone = [US, AE, DE, ZA, GB, EU]
    assert order(everyone, PrecedenceRule.ALPHABETICAL, language="fr") == [
        "ZA",  # Afrique du Sud
        "DE",  # Allemagne
        "AE",  # Émirats arabes unis
        "US",  # États-Unis
        "EU",  # European Union: its given name
        "GB",  # Royaume-Uni
    ]


def test_alphabetical_order_can_start_from_the_delegation_drawn_by_lot() -> None:
    everyone = [US, AE, DE, ZA, GB]
    assert order(everyone, PrecedenceRule.ALPHABETICAL, start_code="GB") == [
        "GB",
        "US",
        "DE",
        "ZA",
        "AE",
    ]
    assert order(everyone, PrecedenceRule.ALPHABETICAL, start_code="DE") == [
        "DE",
        "ZA",
        "AE",
        "GB",
        "US",
    ]


def test_a_lot_naming_no_delegation_is_refused() -> None:
    with pytest.raises(PrecedenceError, match="drawn by lot, FR, is not among"):
        order([DE, ZA], PrecedenceRule.ALPHABETICAL, start_code="FR")


def test_the_lot_is_drawn_among_the_codes_and_can_be_repeated() -> None:
    codes = ["DE", "ZA", "AE", "US", "GB"]
    first = draw_lot(codes, random.Random(2020))
    assert first in codes
    assert draw_lot(codes, random.Random(2020)) == first
    drawn = {draw_lot(codes, random.Random(seed)) for seed in range(200)}
    assert drawn == set(codes)  # every delegation can be drawn
    assert draw_lot(codes) in codes  # the system's randomness by default


def test_nothing_to_draw_is_refused() -> None:
    with pytest.raises(PrecedenceError, match="no delegation to draw"):
        draw_lot([])


def test_the_host_goes_first_then_the_others_alphabetically() -> None:
    host = state("ZA", "South Africa", is_host=True)
    assert order([US, host, DE, AE], PrecedenceRule.HOST_FIRST) == ["ZA", "DE", "AE", "US"]
    assert order([US, host, DE, AE], PrecedenceRule.HOST_FIRST, language="fr") == [
        "ZA",
        "DE",  # Allemagne
        "AE",  # Émirats arabes unis
        "US",  # États-Unis
    ]


def test_co_hosts_go_first_in_alphabetical_order() -> None:
    fr = state("FR", "France", is_host=True)
    gb = state("GB", "United Kingdom", is_host=True)
    assert order([gb, US, fr, DE], PrecedenceRule.HOST_FIRST) == ["FR", "GB", "DE", "US"]


def test_protocol_rank_then_time_of_inscription_then_name() -> None:
    heads = [
        state("AE", "United Arab Emirates", rank=ProtocolRank.VICE_PRESIDENT_OR_CROWN_PRINCE),
        state("DE", "Germany", rank=ProtocolRank.HEAD_OF_GOVERNMENT, inscribed_at=T0),
        state("ZA", "South Africa", rank=ProtocolRank.HEAD_OF_STATE, inscribed_at=T0),
        state("US", "United States", rank=ProtocolRank.HEAD_OF_STATE, inscribed_at=T0),
        state("FR", "France", rank=ProtocolRank.HEAD_OF_STATE, inscribed_at=T0 + timedelta(1)),
        state("GB", "United Kingdom", rank=ProtocolRank.MINISTER, inscribed_at=T0),
        state("BR", "Brazil", rank=ProtocolRank.HEAD_OF_STATE),  # not inscribed: last of rank
        state("CN", "China", rank=ProtocolRank.HEAD_OF_STATE, inscribed_at=T0 - timedelta(1)),
    ]
    assert order(heads, PrecedenceRule.PROTOCOL_RANK) == [
        "CN",  # head of state, inscribed first
        "ZA",  # heads of state inscribed at the same time: by name
        "US",
        "FR",
        "BR",
        "DE",
        "AE",
        "GB",
    ]
    # The name that breaks ties is read in the list's language.
    assert order(heads, PrecedenceRule.PROTOCOL_RANK, language="fr")[1:3] == ["ZA", "US"]
    # ... and from the delegation drawn by lot.
    assert order(heads, PrecedenceRule.PROTOCOL_RANK, start_code="US")[1:3] == ["US", "ZA"]


def test_a_manual_order_is_kept_as_given() -> None:
    given = ["US", "ZA", "DE"]
    assert order([DE, ZA, US], PrecedenceRule.MANUAL, manual_codes=given) == given


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (["US", "ZA"], "missing DE"),
        (["US", "ZA", "DE", "FR"], "not taking part: FR"),
        (["US", "ZA", "DE", "ZA"], "listed twice: ZA"),
        (None, "give the order of every delegation"),
    ],
)
def test_a_manual_order_that_is_not_a_permutation_is_refused(
    given: list[str] | None, problem: str
) -> None:
    with pytest.raises(PrecedenceError, match=problem):
        order([DE, ZA, US], PrecedenceRule.MANUAL, manual_codes=given)


def test_options_that_do_not_belong_to_the_rule_are_refused() -> None:
    with pytest.raises(PrecedenceError, match="does not start from a lot"):
        order([DE], PrecedenceRule.MANUAL, manual_codes=["DE"], start_code="DE")
    with pytest.raises(PrecedenceError, match="the rule is alphabetical"):
        order([DE], PrecedenceRule.ALPHABETICAL, manual_codes=["DE"])


def test_a_delegation_listed_twice_is_refused() -> None:
    with pytest.raises(PrecedenceError, match="listed twice: DE"):
        order([DE, DE], PrecedenceRule.ALPHABETICAL)


# --- protocol rank from the office ------------------------------------------------------------


@pytest.mark.parametrize(
    ("office", "rank"),
    [
        ("President of the People's Republic of China", ProtocolRank.HEAD_OF_STATE),
        ("King of Saudi Arabia; chair (Saudi G20 Presidency)", ProtocolRank.HEAD_OF_STATE),
        ("Sultan of Brunei Darussalam", ProtocolRank.HEAD_OF_STATE),
        ("Acting President and Prime Minister of Kyrgyzstan", ProtocolRank.HEAD_OF_STATE),
        ("Prime Minister of India", ProtocolRank.HEAD_OF_GOVERNMENT),
        ("Federal Chancellor of Germany", ProtocolRank.HEAD_OF_GOVERNMENT),
        ("Premier of the State Council of China", ProtocolRank.HEAD_OF_GOVERNMENT),
        ("President of the Government of Spain", ProtocolRank.HEAD_OF_GOVERNMENT),
        ("Vice-President of the United States", ProtocolRank.VICE_PRESIDENT_OR_CROWN_PRINCE),
        ("Crown Prince of Abu Dhabi", ProtocolRank.VICE_PRESIDENT_OR_CROWN_PRINCE),
        ("Minister of Commerce of China (signed for China)", ProtocolRank.MINISTER),
        ("Foreign Minister", ProtocolRank.MINISTER),
        ("Deputy Prime Minister", ProtocolRank.MINISTER),
        ("Vice Premier of the State Council", ProtocolRank.MINISTER),
        ("First Secretary of State", ProtocolRank.MINISTER),
        ("Chancellor of the Exchequer", ProtocolRank.MINISTER),
        ("Ambassador to the United Nations", ProtocolRank.AMBASSADOR),
        ("Permanent Representative of France to the UN", ProtocolRank.AMBASSADOR),
        ("High Commissioner of Canada", ProtocolRank.AMBASSADOR),
        ("Special Assistant to the Prime Minister of Pakistan on Health", ProtocolRank.OTHER),
        ("COP26 President-designate", ProtocolRank.OTHER),
        ("Head of delegation (individual not confirmed)", ProtocolRank.OTHER),
        ("", ProtocolRank.OTHER),
    ],
)
def test_the_rank_is_guessed_from_the_office_of_a_state(office: str, rank: ProtocolRank) -> None:
    assert rank_from_office(office) is rank


@pytest.mark.parametrize(
    ("office", "rank"),
    [
        ("President of the European Council", ProtocolRank.HEAD_OF_GOVERNMENT),
        ("President of the European Commission", ProtocolRank.HEAD_OF_GOVERNMENT),
        ("Secretary-General of the United Nations", ProtocolRank.HEAD_OF_GOVERNMENT),
        ("Director-General of the World Health Organization", ProtocolRank.HEAD_OF_GOVERNMENT),
        (
            "High Representative / Vice-President of the Commission",
            ProtocolRank.VICE_PRESIDENT_OR_CROWN_PRINCE,
        ),
        ("Deputy Secretary-General", ProtocolRank.OTHER),
    ],
)
def test_the_head_of_an_organisation_ranks_after_heads_of_state(
    office: str, rank: ProtocolRank
) -> None:
    assert rank_from_office(office, ORGANISATION) is rank
