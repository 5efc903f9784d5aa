"""UN M49 regions of the delegations, from CLDR's territory containment (Debian's
``unicode-cldr-core``, the data Babel is built from) and region names from Babel."""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from pathlib import Path

from babel import Locale

from summitry.delegations import catalogue

SUPPLEMENTAL = Path("/usr/share/unicode/cldr/common/supplemental/supplementalData.xml")
WORLD = "001"
ORGANISATIONS = "International organisations"
UNKNOWN = "Region not known"


class RegionsMissing(RuntimeError):
    """CLDR's supplemental data is not installed."""


@functools.cache
def _parents() -> dict[str, str]:
    """Each territory or region's containing M49 region (current groups only)."""
    if not SUPPLEMENTAL.is_file():
        raise RegionsMissing(f"{SUPPLEMENTAL} is missing: apt-get install unicode-cldr-core")
    parents: dict[str, str] = {}
    tree = ET.parse(SUPPLEMENTAL)  # noqa: S314 - the system's own CLDR file, not input
    for group in tree.iterfind("territoryContainment/group"):
        if group.get("status"):  # groupings (EU, UN) and deprecated codes
            continue
        for child in (group.get("contains") or "").split():
            parents.setdefault(child, group.get("type") or "")
    return parents


def region_code(alpha_2: str) -> str | None:
    """The M49 code of the country's continent-level region (Africa, Americas, Asia, …)."""
    parents, here = _parents(), alpha_2
    while here in parents and parents[here] != WORLD:
        here = parents[here]
    return here if parents.get(here) == WORLD else None


def region_of(code: str, state: bool) -> str:
    """The name of the region a delegation belongs to; organisations have their own (the
    Non-Aligned Movement's NAM is also Namibia's ISO code: the delegation's kind decides)."""
    if not state or catalogue.country(code) is None:
        return ORGANISATIONS
    region = region_code(code)
    return Locale("en").territories.get(region, UNKNOWN) if region else UNKNOWN
