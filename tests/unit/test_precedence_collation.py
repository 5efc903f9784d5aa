"""Collation in the order of precedence: each language's dictionary order, from CLDR by ICU."""

from __future__ import annotations

import pytest

from summitry.delegations.models import DelegationKind
from summitry.errors import InvalidInput
from summitry.floor.precedence import (
    PrecedenceEntry,
    PrecedenceError,
    PrecedenceRule,
    check_language,
    collation_key,
    localized_name,
    order,
)

STATE = DelegationKind.STATE


def state(code: str) -> PrecedenceEntry:
    return PrecedenceEntry(code=code, kind=STATE, english_name=code)


def sort_names(names: list[str], language: str) -> list[str]:
    return sorted(names, key=lambda name: collation_key(name, language))


# --- collation ------------------------------------------------------------------------------


def test_french_order_files_accented_capitals_with_their_letter() -> None:
    names = ["États-Unis", "Allemagne", "Éthiopie", "Émirats arabes unis", "Afrique du Sud"]
    assert sort_names(names, "fr") == [
        "Afrique du Sud",
        "Allemagne",
        "Émirats arabes unis",
        "États-Unis",
        "Éthiopie",
    ]


def test_french_order_matches_the_uns_own_list() -> None:
    # As printed in the UN's list of Member States (press release ORG/1469, 2006).
    un_order = [
        "Bélarus",
        "Belgique",
        "Belize",
        "Bénin",
        "Égypte",
        "El Salvador",
        "Émirats arabes unis",
        "Équateur",
        "Érythrée",
        "Espagne",
        "Estonie",
        "États-Unis d’Amérique",
        "Éthiopie",
        "Guinée",
        "Guinée-Bissau",
        "Guinée équatoriale",
        "Îles Marshall",
        "Îles Salomon",
        "Inde",
        "Iran (République islamique d’)",
        "Iraq",
        "République arabe syrienne",
        "République centrafricaine",
        "République de Corée",
        "République démocratique populaire lao",
        "République de Moldova",
        "République dominicaine",
        "République tchèque",
        "République-Unie de Tanzanie",
        "Sainte-Lucie",
        "Saint-Kitts-et-Nevis",
        "Saint-Marin",
    ]
    assert sort_names(list(reversed(un_order)), "fr") == un_order


def test_english_order_of_the_uniteds() -> None:
    names = ["United States", "United Kingdom", "United Arab Emirates", "Germany"]
    assert sort_names(names, "en") == [
        "Germany",
        "United Arab Emirates",
        "United Kingdom",
        "United States",
    ]


def test_case_and_accents_decide_only_between_otherwise_equal_names() -> None:
    # Accents before case, small letters before capitals: CLDR's order, as in ICU.
    assert sort_names(["côte", "Cote", "cote", "coté"], "fr") == ["cote", "Cote", "coté", "côte"]
    # A ligature files as its two letters.
    assert sort_names(["Ofanto", "Œdipe", "Odessa"], "fr") == ["Odessa", "Œdipe", "Ofanto"]


def test_a_letter_of_its_own_in_another_script_keeps_its_place() -> None:
    # Cyrillic й is a letter between и and к, not и with a mark.
    assert sort_names(["Йемен", "Индия", "Камбоджа"], "ru") == ["Индия", "Йемен", "Камбоджа"]


# --- tailorings: each language's own dictionary order (CLDR, through ICU) --------------------


def test_swedish_files_a_ring_a_umlaut_and_o_umlaut_after_z() -> None:
    assert sort_names(["Österrike", "Åland", "Zambia", "Ägypten", "Albanien"], "sv") == [
        "Albanien",
        "Zambia",
        "Åland",
        "Ägypten",
        "Österrike",
    ]
    at, zm, se, dk = (state(c) for c in ("AT", "ZM", "SE", "DK"))
    # Österrike, Sverige, Zambia, Danmark in Swedish; Österreich, Schweden, Sambia in German.
    assert order([at, zm, se, dk], PrecedenceRule.ALPHABETICAL, language="sv") == [
        "DK",
        "SE",
        "ZM",
        "AT",
    ]
    assert order([at, zm, se, dk], PrecedenceRule.ALPHABETICAL, language="de") == [
        "DK",
        "AT",
        "ZM",
        "SE",
    ]


def test_spanish_files_n_tilde_after_n() -> None:
    names = ["Omán", "Ñeembucú", "Nueva Zelanda", "Nepal", "Níger"]
    assert sort_names(names, "es") == ["Nepal", "Níger", "Nueva Zelanda", "Ñeembucú", "Omán"]
    # In English, ñ is n with a mark.
    assert sort_names(names, "en") == ["Ñeembucú", "Nepal", "Níger", "Nueva Zelanda", "Omán"]


def test_german_files_a_umlaut_with_a() -> None:
    names = ["Albanien", "Österreich", "Ägypten", "Oman", "Afghanistan"]
    assert sort_names(names, "de") == ["Afghanistan", "Ägypten", "Albanien", "Oman", "Österreich"]


# Names whose strokes China and Taiwan count alike: 中 4, 古 5, 希 7, 法 8, 美 9, 德 15.
CHINESE = [state(c) for c in ("US", "DE", "CN", "FR", "GR", "CU")]


def test_chinese_goes_by_pinyin() -> None:
    # 德国 dé, 法国 fǎ, 古巴 gǔ, 美国 měi, 希腊 xī, 中国 zhōng
    assert order(CHINESE, PrecedenceRule.ALPHABETICAL, language="zh") == [
        "DE",
        "FR",
        "CU",
        "US",
        "GR",
        "CN",
    ]


def test_chinese_by_strokes_gives_another_order() -> None:
    assert order(CHINESE, PrecedenceRule.ALPHABETICAL, language="zh-u-co-stroke") == [
        "CN",  # 中国
        "CU",  # 古巴
        "GR",  # 希腊
        "FR",  # 法国
        "US",  # 美国
        "DE",  # 德国
    ]
    assert localized_name("CN", STATE, "China", "zh-u-co-stroke") == "中国"


def test_cldr_counts_strokes_as_taiwan_does() -> None:
    # CLDR's stroke order counts 阝 as three strokes and 艹 as four, as Taiwan and Hong Kong
    # do: 阿 has 8 and 英 9, where mainland dictionaries count 7 and 8. So 阿富汗 (Afghanistan)
    # comes after 法国 (8) and 英国 after 美国 (9), one group later than on China's own lists.
    # Should CLDR follow the mainland's counts one day, this test says so.
    assert sort_names(["英国", "阿富汗", "美国", "法国", "希腊"], "zh-u-co-stroke") == [
        "希腊",
        "法国",
        "阿富汗",
        "美国",
        "英国",
    ]


@pytest.mark.parametrize(
    ("code", "normal"),
    [
        ("zh-u-co-stroke", "zh-u-co-stroke"),
        ("ZH-U-CO-Stroke", "zh-u-co-stroke"),
        ("zh-Hant-u-co-pinyin", "zh-Hant-u-co-pinyin"),
        ("de-u-co-phonebk", "de-u-co-phonebk"),
        ("pt_br", "pt-BR"),
        ("fr", "fr"),
    ],
)
def test_the_language_of_a_list_may_name_its_order(code: str, normal: str) -> None:
    assert check_language(code) == normal


def test_an_order_the_language_does_not_have_is_refused_with_those_it_has() -> None:
    with pytest.raises(PrecedenceError) as refused:
        check_language("zh-u-co-strokes")
    assert "Chinese has no order 'strokes'" in refused.value.message
    assert "zh-u-co-stroke" in refused.value.message
    assert refused.value.field == "language"
    with pytest.raises(PrecedenceError, match=r"use en for its usual order$"):
        check_language("en-u-co-stroke")
    with pytest.raises(InvalidInput, match="'xx' is not a language code"):
        check_language("xx-u-co-stroke")
    with pytest.raises(InvalidInput, match="not a language code"):
        check_language("zh-u-ca-chinese")  # a calendar, not an order
