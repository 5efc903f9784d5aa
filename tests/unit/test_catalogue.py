"""Where delegations, zones and languages come from: ISO 3166, the seats, the tz database, Babel."""

from __future__ import annotations

import pytest

from summitry.delegations import catalogue
from summitry.delegations.capitals import SEATS
from summitry.delegations.models import DelegationKind
from summitry.delegations.operations import check_delegation
from summitry.delegations.schemas import DelegationIn
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


# --- seats of government --------------------------------------------------------------------

# The 193 member states of the United Nations, by alpha-3 code, in the order of the UN's list.
UN_MEMBER_STATES = """
    AFG ALB DZA AND AGO ATG ARG ARM AUS AUT AZE BHS BHR BGD BRB BLR BEL BLZ BEN BTN BOL BIH BWA
    BRA BRN BGR BFA BDI CPV KHM CMR CAN CAF TCD CHL CHN COL COM COG CRI CIV HRV CUB CYP CZE PRK
    COD DNK DJI DMA DOM ECU EGY SLV GNQ ERI EST SWZ ETH FJI FIN FRA GAB GMB GEO DEU GHA GRC GRD
    GTM GIN GNB GUY HTI HND HUN ISL IND IDN IRN IRQ IRL ISR ITA JAM JPN JOR KAZ KEN KIR KWT KGZ
    LAO LVA LBN LSO LBR LBY LIE LTU LUX MDG MWI MYS MDV MLI MLT MHL MRT MUS MEX FSM MCO MNG MNE
    MAR MOZ MMR NAM NRU NPL NLD NZL NIC NER NGA MKD NOR OMN PAK PLW PAN PNG PRY PER PHL POL PRT
    QAT KOR MDA ROU RUS RWA KNA LCA VCT WSM SMR STP SAU SEN SRB SYC SLE SGP SVK SVN SLB SOM ZAF
    SSD ESP LKA SDN SUR SWE CHE SYR TJK THA TLS TGO TON TTO TUN TUR TKM TUV UGA UKR ARE GBR TZA
    USA URY UZB VUT VEN VNM YEM ZMB ZWE
""".split()  # noqa: SIM905 (a grid of 193 codes reads better than 193 lines)
OBSERVER_STATES = ["VAT", "PSE"]  # the Holy See and the State of Palestine


def test_the_list_of_un_member_states_is_whole() -> None:
    assert len(UN_MEMBER_STATES) == len(set(UN_MEMBER_STATES)) == 193


@pytest.mark.parametrize("alpha_3", UN_MEMBER_STATES + OBSERVER_STATES)
def test_every_un_member_and_observer_state_has_its_seats_zone(alpha_3: str) -> None:
    found = catalogue.country(alpha_3)
    assert found is not None, alpha_3
    alpha_2, _name = found
    zone = catalogue.seat_timezone(alpha_2)
    assert zone is not None, alpha_3
    assert zone in catalogue.known_timezones()
    assert zone in catalogue.country_timezones(alpha_2)[:1]  # and it is the default


def test_every_state_iso_3166_knows_has_a_seat_but_the_unpeopled() -> None:
    codes = {code for code, _name in catalogue.all_countries()}
    assert set(SEATS) <= codes
    assert codes - set(SEATS) == {"AQ", "BV", "HM", "UM"}
    for code, (seat, zone) in SEATS.items():
        assert seat, code
        assert zone in catalogue.country_timezones(code), code  # a zone of that very state


@pytest.mark.parametrize(
    ("code", "zone"),
    [
        ("RUS", "Europe/Moscow"),  # not Kaliningrad
        ("UKR", "Europe/Kyiv"),  # not Simferopol; tzdata's own name since 2022b
        ("USA", "America/New_York"),  # Washington
        ("CAN", "America/Toronto"),  # Ottawa, not St John's
        ("BRA", "America/Sao_Paulo"),  # Brasília keeps São Paulo's time, not Noronha's
        ("MEX", "America/Mexico_City"),
        ("AUS", "Australia/Sydney"),  # Canberra, not Lord Howe
        ("IDN", "Asia/Jakarta"),
        ("KAZ", "Asia/Almaty"),  # Astana: "most of Kazakhstan"
        ("COD", "Africa/Kinshasa"),
        ("FSM", "Pacific/Pohnpei"),  # Palikir, not Chuuk
        ("KIR", "Pacific/Tarawa"),
        ("CHL", "America/Santiago"),
        ("ESP", "Europe/Madrid"),
        ("PRT", "Europe/Lisbon"),
        ("ECU", "America/Guayaquil"),  # Quito
        ("NZL", "Pacific/Auckland"),  # Wellington
        ("MNG", "Asia/Ulaanbaatar"),
        ("UZB", "Asia/Tashkent"),  # not Samarkand
        ("PSE", "Asia/Hebron"),  # Ramallah, in the West Bank
        ("VAT", "Europe/Vatican"),
        ("CHN", "Asia/Shanghai"),  # Beijing
    ],
)
def test_a_state_spanning_several_zones_keeps_its_seats(code: str, zone: str) -> None:
    found = catalogue.country(code)
    assert found is not None
    assert catalogue.seat_timezone(found[0]) == zone
    assert catalogue.country_timezones(found[0])[0] == zone


def test_a_territory_without_a_seat_keeps_the_tz_databases_order() -> None:
    assert catalogue.seat_timezone("AQ") is None
    assert catalogue.country_timezones("AQ")[0] == "Antarctica/McMurdo"
    assert catalogue.country_timezones("BV") == []


def test_a_state_recorded_without_a_zone_gets_its_seats() -> None:
    russia = check_delegation(DelegationIn(code="RU", kind=DelegationKind.STATE))
    assert russia.timezone == "Europe/Moscow"
    canada = check_delegation(DelegationIn(code="CAN", kind=DelegationKind.STATE))
    assert (canada.code, canada.timezone) == ("CA", "America/Toronto")
    given = check_delegation(
        DelegationIn(code="RU", kind=DelegationKind.STATE, timezone="Asia/Vladivostok")
    )
    assert given.timezone == "Asia/Vladivostok"
