"""The choices offered in forms: delegations, languages, zones, kinds and roles."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from summitry.delegations import catalogue
from summitry.delegations.models import Delegation

UN_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")

_CODE_IN_PARENS = re.compile(r"\(([A-Za-z0-9]{2,12})\)\s*$")


@dataclass(frozen=True)
class DelegationChoice:
    code: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


def delegation_choices(recorded: list[Delegation]) -> list[DelegationChoice]:
    """Every state, every catalogue organisation and any other recorded delegation, by name."""
    choices = {code: DelegationChoice(code, name) for code, name in catalogue.all_countries()}
    for org in catalogue.ORGANISATIONS:
        if org.timezone:
            choices[org.code] = DelegationChoice(org.code, org.name)
    for delegation in recorded:
        choices[delegation.code] = DelegationChoice(delegation.code, delegation.name)
    return sorted(choices.values(), key=lambda c: c.name)


def code_from_label(value: str, choices: list[DelegationChoice]) -> str:
    """The code in "Germany (DE)", a bare code, or the code of an exactly named delegation."""
    value = value.strip()
    match = _CODE_IN_PARENS.search(value)
    if match:
        return match.group(1).upper()
    by_name = {c.name.casefold(): c.code for c in choices}
    return by_name.get(value.casefold(), value.upper())


@functools.cache
def all_zones() -> list[str]:
    """Every zone of the tz database with a region, sorted."""
    return sorted(z for z in catalogue.known_timezones() if "/" in z and not z.startswith("Etc/"))
