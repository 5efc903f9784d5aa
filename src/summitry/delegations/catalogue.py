"""Where delegations come from: ISO 3166 (pycountry) for states, a short list of organisations.

Time zones come from the tz database shipped in ``tzdata``; a state's default zone is its seat
of government's (``capitals.SEATS``, reviewed by hand), which the secretariat can override.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from zoneinfo import available_timezones

import pycountry
from babel import Locale, UnknownLocaleError
from babel.core import parse_locale

from summitry.delegations.capitals import SEATS
from summitry.errors import InvalidInput


@dataclass(frozen=True)
class Organisation:
    """An international organisation or body that can send a delegation."""

    code: str
    name: str
    timezone: str | None
    """The seat's zone; ``None`` for a rotating presidency, which must be given each time."""


ORGANISATIONS: tuple[Organisation, ...] = (
    Organisation("UN", "United Nations", "America/New_York"),
    Organisation("EU", "European Union", "Europe/Brussels"),
    Organisation("EUCO", "European Council", "Europe/Brussels"),
    Organisation("EUCOM", "European Commission", "Europe/Brussels"),
    Organisation("EUPARL", "European Parliament", "Europe/Brussels"),
    Organisation("ECB", "European Central Bank", "Europe/Berlin"),
    Organisation("AUC", "African Union", "Africa/Addis_Ababa"),
    Organisation("WHO", "World Health Organization", "Europe/Zurich"),
    Organisation("WTO", "World Trade Organization", "Europe/Zurich"),
    Organisation("ILO", "International Labour Organization", "Europe/Zurich"),
    Organisation("FAO", "Food and Agriculture Organization of the United Nations", "Europe/Rome"),
    Organisation("IMF", "International Monetary Fund", "America/New_York"),
    Organisation("WBG", "World Bank Group", "America/New_York"),
    Organisation("FSB", "Financial Stability Board", "Europe/Zurich"),
    Organisation("OECD", "Organisation for Economic Co-operation and Development", "Europe/Paris"),
    Organisation("ASEAN", "Association of Southeast Asian Nations", "Asia/Jakarta"),
    Organisation("APEC", "Asia-Pacific Economic Cooperation", "Asia/Singapore"),
    Organisation("SCO", "Shanghai Cooperation Organisation", "Asia/Shanghai"),
    Organisation("NDB", "New Development Bank", "Asia/Shanghai"),
    Organisation("G20", "G20 Presidency", None),
    Organisation("BRICS", "BRICS Chairship", None),
    Organisation("NAM", "Non-Aligned Movement", None),
)


@functools.cache
def _organisations_by_code() -> dict[str, Organisation]:
    return {org.code: org for org in ORGANISATIONS}


def organisation(code: str) -> Organisation | None:
    """The known organisation with this code, if any."""
    return _organisations_by_code().get(code.upper())


def country(code: str) -> tuple[str, str] | None:
    """``(alpha_2, English short name)`` for an ISO 3166 alpha-2 or alpha-3 code."""
    code = code.strip().upper()
    found = None
    if len(code) == 2:
        found = pycountry.countries.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.countries.get(alpha_3=code)
    if found is None:
        return None
    return found.alpha_2, getattr(found, "common_name", None) or found.name


def all_countries() -> list[tuple[str, str]]:
    """Every ISO 3166 state as ``(alpha_2, English name)``, sorted by name."""
    return sorted(
        ((c.alpha_2, getattr(c, "common_name", None) or c.name) for c in pycountry.countries),
        key=lambda pair: pair[1],
    )


@functools.cache
def _zone_table() -> dict[str, list[str]]:
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    zones: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        code, _coords, zone, *_ = line.split("\t")
        zones.setdefault(code, []).append(zone)
    return zones


def seat_timezone(alpha_2: str) -> str | None:
    """The zone of a state's seat of government, if it has one (Antarctica has none)."""
    seat = SEATS.get(alpha_2.strip().upper())
    return seat[1] if seat else None


def country_timezones(alpha_2: str) -> list[str]:
    """The zones the tz database lists for a state, its seat of government's first."""
    # Callers that need one zone take the first; the tz database's own order puts Kaliningrad
    # before Moscow and Lord Howe before Sydney, which is no capital's clock.
    zones = _zone_table().get(alpha_2.strip().upper(), [])
    seat = seat_timezone(alpha_2)
    if seat is None:
        return list(zones)
    return [seat, *(zone for zone in zones if zone != seat)]


@functools.cache
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(zone: str, field: str = "timezone") -> str:
    """``zone`` if the tz database knows it, else an error that says what a zone looks like."""
    if zone not in known_timezones():
        raise InvalidInput(
            f"'{zone}' is not a time zone of the tz database; use a name such as "
            "Europe/Berlin or Asia/Shanghai",
            field=field,
        )
    return zone


def check_language(code: str, field: str = "languages") -> str:
    """A normalised BCP 47 code (``zh``, ``zh-Hant``, ``pt-BR``), or an error naming the bad one."""
    refusal = InvalidInput(
        f"'{code}' is not a language code; use ISO 639 codes such as en, fr, zh or ar",
        field=field,
    )
    identifier = code.strip().replace("-", "_")
    try:
        language, territory, script, *_ = parse_locale(identifier)
        locale = Locale.parse(identifier)
    except (UnknownLocaleError, ValueError, TypeError) as err:
        raise refusal from err
    # Babel falls back to a likely locale where it has no data ("und" and "en-ZZ" become
    # en-US): accept only what names the very language and region asked for.
    if locale.language != language or (territory and locale.territory != territory):
        raise refusal
    if not 2 <= len(language) <= 3:  # "root" is Babel's, not ISO 639's
        raise refusal
    if script and script not in _known_scripts():
        raise refusal
    return "-".join(part for part in (language, script, territory) if part)


@functools.cache
def _known_scripts() -> frozenset[str]:
    return frozenset(Locale("en").scripts)


def language_name(code: str, in_language: str = "en") -> str:
    """The name of a language, in ``in_language`` (``zh`` → "Chinese" or "中文")."""
    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(in_language) or code
    except (UnknownLocaleError, ValueError):
        return code
