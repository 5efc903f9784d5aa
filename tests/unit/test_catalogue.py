"""Where delegations, time zones and languages come from: ISO 3166, the tz database, Babel."""

from __future__ import annotations

import pytest

from summitry.delegations import catalogue
from summitry.errors import InvalidInput

# --- states ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("DE", ("DE", "Germany")),
        ("de", ("DE", "Germany")),
        (" cn ", ("CN", "China")),
        ("DEU", ("DE", "Germany")),
        ("chn", ("CN", "China")),
        ("ZAF", ("ZA", "South Africa")),
        # The common name, not the formal "Korea, Republic of"
        ("KOR", ("KR", "South Korea")),
    ],
)
def test_a_state_is_found_by_its_alpha_2_or_alpha_3_code(
    code: str, expected: tuple[str, str]
) -> None:
    assert catalogue.country(code) == expected


@pytest.mark.parametrize("code", ["XQ", "XQZ", "EU", "EUCO", "D", "", "GERMANY", "D1"])
def test_what_is_not_an_iso_3166_code_is_no_state(code: str) -> None:
    assert catalogue.country(code) is None


def test_every_state_is_listed_once_by_name() -> None:
    states = catalogue.all_countries()

    names = [name for _code, name in states]
    codes = [code for code, _name in states]
    assert names == sorted(names)
    assert len(set(codes)) == len(codes) >= 249
    assert ("DE", "Germany") in states
    assert all(len(code) == 2 for code in codes)


# --- organisations --------------------------------------------------------------------------


def test_known_organisations_have_a_name_and_a_seat() -> None:
    council = catalogue.organisation("euco")

    assert council is not None
    assert council.name == "European Council"
    assert council.timezone == "Europe/Brussels"
    assert catalogue.organisation("UN") is not None
    assert catalogue.organisation("NATO") is None


def test_a_rotating_presidency_has_no_fixed_seat() -> None:
    g20 = catalogue.organisation("G20")

    assert g20 is not None
    assert g20.timezone is None


def test_no_organisation_has_a_two_letter_country_code_or_an_unknown_seat() -> None:
    # Two letters name a state wherever a delegation is given by its code; a clash would make
    # "DE" ambiguous. (Three letters may clash: NAM is also Namibia's alpha-3 code, which is
    # why a state is recorded by alpha-2 and an organisation by its own code.)
    for organisation in catalogue.ORGANISATIONS:
        if len(organisation.code) == 2:
            assert catalogue.country(organisation.code) is None, organisation.code
        assert organisation.timezone is None or organisation.timezone in (
            catalogue.known_timezones()
        )


# --- time zones -----------------------------------------------------------------------------


def test_a_state_gets_the_zones_of_the_tz_database_most_populous_first() -> None:
    assert catalogue.country_timezones("CN")[0] == "Asia/Shanghai"
    assert catalogue.country_timezones("de")[0] == "Europe/Berlin"
    assert catalogue.country_timezones("US")[0] == "America/New_York"
    assert catalogue.country_timezones("XQ") == []


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Shanghai", "America/Sao_Paulo", "UTC"])
def test_a_zone_of_the_tz_database_is_accepted_as_given(zone: str) -> None:
    assert catalogue.check_timezone(zone) == zone


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "Europe/Pariss", "europe/berlin", "CET+1", "", "../../etc/passwd"]
)
def test_a_zone_that_does_not_exist_is_refused_with_an_example(zone: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        catalogue.check_timezone(zone, field="timezone")

    assert f"'{zone}'" in refused.value.message
    assert "Europe/Berlin" in refused.value.message
    assert refused.value.field == "timezone"


# --- languages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "normal"),
    [
        ("zh", "zh"),
        ("ZH", "zh"),
        (" zh ", "zh"),
        ("pt-BR", "pt-BR"),
        ("pt_br", "pt-BR"),
        ("PT-br", "pt-BR"),
        ("zh-TW", "zh-TW"),
        # The script is kept: traditional and simplified Chinese are not the same to a reader.
        ("zh-hant", "zh-Hant"),
        ("zh-Hans-CN", "zh-Hans-CN"),
        ("sr-Latn", "sr-Latn"),
        ("es-419", "es-419"),
        ("yue", "yue"),
        ("ar", "ar"),
    ],
)
def test_a_language_code_is_normalised(code: str, normal: str) -> None:
    assert catalogue.check_language(code) == normal


@pytest.mark.parametrize(
    "code",
    [
        "xx-invalid",
        "xx",
        "e",
        "",
        "english",
        # Babel would quietly turn these into en-US
        "und",
        "en-ZZ",
        "root",
        "zh-Xxxx",
    ],
)
def test_a_language_code_that_names_no_language_is_refused(code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        catalogue.check_language(code, field="language")

    assert f"'{code}'" in refused.value.message
    assert "ISO 639" in refused.value.message
    assert refused.value.field == "language"


def test_a_language_is_named_in_english_or_in_itself() -> None:
    assert catalogue.language_name("zh") == "Chinese"
    assert catalogue.language_name("zh", "zh") == "中文"
    assert catalogue.language_name("pt-BR") == "Portuguese (Brazil)"
    assert catalogue.language_name("xx-invalid") == "xx-invalid"
