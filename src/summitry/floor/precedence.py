"""The order of precedence: in which order delegations are seated, called and listed.

Chosen per engagement: alphabetical in a language (optionally from a delegation drawn by lot,
as the UN does each year), host first, protocol rank of the heads of delegation, or manual.
Pure functions: the caller reads the delegations and stores the result.
"""

from __future__ import annotations

import enum
import functools
import random
import re
import secrets
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import icu  # PyICU, from the pyicu-wheels package, which ships ICU itself
from babel import Locale, UnknownLocaleError

from summitry.delegations import catalogue
from summitry.delegations.models import DelegationKind
from summitry.errors import InvalidInput


class PrecedenceError(InvalidInput, ValueError):
    """An order that cannot be made from what was given (unknown code, not a permutation)."""

    code = "invalid_precedence"


class PrecedenceRule(enum.StrEnum):
    ALPHABETICAL = "alphabetical"
    HOST_FIRST = "host_first"
    PROTOCOL_RANK = "protocol_rank"
    MANUAL = "manual"


class ProtocolRank(enum.IntEnum):
    """The rank of a head of delegation; a lower value goes first."""

    HEAD_OF_STATE = 1
    HEAD_OF_GOVERNMENT = 2
    VICE_PRESIDENT_OR_CROWN_PRINCE = 3
    MINISTER = 4
    AMBASSADOR = 5
    OTHER = 6


@dataclass(frozen=True, slots=True, kw_only=True)
class PrecedenceEntry:
    """What the order of precedence needs to know about one delegation."""

    code: str
    kind: DelegationKind
    english_name: str
    rank: ProtocolRank = ProtocolRank.OTHER
    """The protocol rank of the head of delegation."""
    inscribed_at: datetime | None = None
    """When the delegation inscribed; ``None`` (not inscribed) goes after every time."""
    is_host: bool = False


# --- the language of the list ---------------------------------------------------------------

# A collation other than the language's own is asked for as in BCP 47, by a Unicode extension:
# "zh-u-co-stroke" is Chinese names in the order of their strokes, as China's own lists are.
_COLLATION = re.compile(r"^(?P<language>.+?)-u-co-(?P<collation>[a-z0-9]{3,8})$", re.IGNORECASE)
# ICU's collations that are no other order for a list: the usual one ("standard"), and those
# for searching and for emoji and symbols.
_NOT_FOR_LISTS = frozenset({"standard", "search", "emoji", "eor"})


def check_language(code: str, field: str = "language") -> str:
    """The normalised language of a list (``zh``, ``pt-BR``, ``zh-u-co-stroke``), or an error."""
    found = _COLLATION.match(code.strip())
    if found is None:
        return catalogue.check_language(code, field)
    language = catalogue.check_language(found["language"], field)
    collation = found["collation"].lower()
    offered = _collations(language)
    if collation not in offered:
        others = ", ".join(f"{language}-u-co-{name}" for name in offered)
        raise PrecedenceError(
            f"'{code}': {catalogue.language_name(language)} has no order '{collation}' in CLDR; "
            f"use {language} for its usual order" + (f", or one of {others}" if others else ""),
            field=field,
        )
    return f"{language}-u-co-{collation}"


@functools.cache
def _collations(language: str) -> tuple[str, ...]:
    """The BCP 47 names of the orders CLDR has for ``language`` besides its usual one."""
    locale = icu.Locale.forLanguageTag(language)
    names = icu.Collator.getKeywordValuesForLocale("collation", locale, False)
    return tuple(
        str(icu.Locale(f"{locale.getName()}@collation={name}").getUnicodeKeywordValue("co"))
        for name in names
        if name not in _NOT_FOR_LISTS
    )


def _names_language(language: str) -> str:
    """The language to name the delegations in: the list's, without its collation."""
    found = _COLLATION.match(language)
    return found["language"] if found else language


# --- names ----------------------------------------------------------------------------------


@functools.cache
def _territory_names(language: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(_names_language(language).strip().replace("-", "_")).territories)
    except (UnknownLocaleError, ValueError, TypeError) as err:
        raise PrecedenceError(
            f"'{language}' is not a language Summitry has names in; use a code such as en, fr, "
            "es, ru, zh or ar",
            field="language",
        ) from err


def localized_name(code: str, kind: DelegationKind, english_name: str, language: str) -> str:
    """The delegation's name in ``language``: CLDR's name for a state, the given name otherwise.

    Organisations keep the name they were given: CLDR names territories, not organisations
    (its "EU" and "UN" are region groupings), and a secretariat's organisation code may equal
    a state's ("AU" is Australia, not the African Union), so a lookup by code could misname
    them. A secretariat that wants "Union africaine" in a French list enters it so.
    """
    names = _territory_names(language)
    if kind is DelegationKind.STATE:
        # A state CLDR does not name (a code the secretariat made up) keeps its English name.
        return names.get(code.upper(), english_name)
    return english_name


# --- collation ------------------------------------------------------------------------------


def collator(language: str) -> Callable[[str], bytes]:
    """A sort key that orders names as the dictionaries of ``language`` do (CLDR, by ICU)."""
    # CLDR's tailoring for the language: Swedish files å, ä and ö after z, Spanish ñ after n,
    # German ä with a; Chinese goes by pinyin, or by strokes with "zh-u-co-stroke".
    instance = icu.Collator.createInstance(icu.Locale.forLanguageTag(language))
    # Spaces, hyphens, apostrophes and brackets are passed over ("shifted"), as in the UN's own
    # lists (ORG/1469: "Guinée-Bissau" before "Guinée équatoriale", "Sainte-Lucie" before
    # "Saint-Kitts-et-Nevis"); at the fourth level they still decide between names otherwise
    # equal. A new collator for each list, as these settings change it: ICU caches the rules,
    # so it is cheap, and no request shares a changing object with another.
    instance.setAttribute(icu.UCollAttribute.ALTERNATE_HANDLING, icu.UCollAttributeValue.SHIFTED)
    instance.setStrength(icu.Collator.QUATERNARY)

    def key(name: str) -> bytes:
        return bytes(instance.getSortKey(name))

    return key


def collation_key(name: str, language: str) -> bytes:
    """The sort key of one name in ``language``; sort many with one ``collator``."""
    return collator(language)(name)


def _alphabetical(
    delegations: Sequence[PrecedenceEntry], language: str, start_code: str | None
) -> list[str]:
    sort_key = collator(language)

    def key(entry: PrecedenceEntry) -> tuple[bytes, str]:
        name = localized_name(entry.code, entry.kind, entry.english_name, language)
        return sort_key(name), entry.code  # the code settles equal names

    codes = [entry.code for entry in sorted(delegations, key=key)]
    if start_code is None:
        return codes
    if start_code not in codes:
        raise PrecedenceError(
            f"the delegation drawn by lot, {start_code}, is not among the delegations to order",
            field="start_code",
        )
    start = codes.index(start_code)
    return codes[start:] + codes[:start]


# --- rules ----------------------------------------------------------------------------------

_NOT_INSCRIBED = datetime.min.replace(tzinfo=UTC)


def order(
    delegations: Iterable[PrecedenceEntry],
    rule: PrecedenceRule,
    *,
    language: str = "en",
    start_code: str | None = None,
    manual_codes: Sequence[str] | None = None,
) -> list[str]:
    """The delegations' codes in the order of precedence ``rule`` gives.

    ``start_code`` rotates the alphabetical order so that it begins at the delegation drawn by
    lot; every rule built on that order uses it (host first: the others; protocol rank: the
    last tie-break). ``manual_codes`` is the manual order, and only that rule takes it.
    """
    entries = list(delegations)
    repeated = sorted(code for code, n in Counter(e.code for e in entries).items() if n > 1)
    if repeated:
        raise PrecedenceError(f"delegations listed twice: {', '.join(repeated)}")
    if rule is PrecedenceRule.MANUAL:
        if start_code is not None:
            raise PrecedenceError("a manual order does not start from a lot; give the order")
        return _manual([e.code for e in entries], manual_codes)
    if manual_codes is not None:
        raise PrecedenceError(f"a manual order was given, but the rule is {rule.value}")

    alphabetical = _alphabetical(entries, language, start_code)
    if rule is PrecedenceRule.ALPHABETICAL:
        return alphabetical
    by_code = {e.code: e for e in entries}
    if rule is PrecedenceRule.HOST_FIRST:
        # Co-hosts (co-convenors) all go first, in the same alphabetical order as the others.
        hosts = [code for code in alphabetical if by_code[code].is_host]
        return hosts + [code for code in alphabetical if not by_code[code].is_host]

    position = {code: i for i, code in enumerate(alphabetical)}

    def key(code: str) -> tuple[int, bool, datetime, int]:
        entry = by_code[code]
        # Not inscribed goes after every time; the flag keeps it from being compared with one.
        at = entry.inscribed_at
        return entry.rank, at is None, at or _NOT_INSCRIBED, position[code]

    return sorted(alphabetical, key=key)


def _manual(codes: list[str], manual_codes: Sequence[str] | None) -> list[str]:
    if manual_codes is None:
        raise PrecedenceError("the rule is manual: give the order of every delegation")
    given = list(manual_codes)
    known = set(codes)
    problems = []
    missing = [code for code in codes if code not in given]
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    unknown = [code for code in dict.fromkeys(given) if code not in known]
    if unknown:
        problems.append(f"not taking part: {', '.join(unknown)}")
    twice = sorted(code for code, n in Counter(given).items() if n > 1)
    if twice:
        problems.append(f"listed twice: {', '.join(twice)}")
    if problems:
        raise PrecedenceError(
            "the manual order must name every delegation exactly once ("
            + "; ".join(problems)
            + ")",
            field="manual_codes",
        )
    return given


def draw_lot(codes: Sequence[str], rng: random.Random | None = None) -> str:
    """One delegation drawn by lot; pass a seeded ``random.Random`` to repeat a draw in tests."""
    if not codes:
        raise PrecedenceError("there is no delegation to draw by lot")
    return (rng or secrets.SystemRandom()).choice(list(codes))


# --- protocol rank from an office -------------------------------------------------------------

# Titles whose office only shows with what follows its "of": read on the whole title first.
_WHOLE_TITLE: tuple[tuple[re.Pattern[str], ProtocolRank], ...] = tuple(
    (re.compile(pattern), rank)
    for pattern, rank in (
        (r"^(acting |interim )?heads? of state\b", ProtocolRank.HEAD_OF_STATE),
        (r"^(acting |interim )?heads? of government\b", ProtocolRank.HEAD_OF_GOVERNMENT),
        # Spain's and Italy's heads of government are "President of the Government/Council".
        (r"^president of the (government|council of ministers)\b", ProtocolRank.HEAD_OF_GOVERNMENT),
        (r"^chancellor of the exchequer\b", ProtocolRank.MINISTER),
        (r"^(\w+ )?secretary of state\b", ProtocolRank.MINISTER),
    )
)
# Then the office proper: the title up to its first "of", "to" or "for" ("Special Assistant
# to the Prime Minister" is not a prime minister). The first match wins, so deputies come
# before the offices they deputise and "President-elect" before "President".
_OFFICE: tuple[tuple[re.Pattern[str], ProtocolRank], ...] = tuple(
    (re.compile(pattern), rank)
    for pattern, rank in (
        (
            r"\b(president|chancellor|premier|prime minister) (elect|designate)\b",
            ProtocolRank.OTHER,
        ),
        (r"\b(vice|deputy) (prime minister|premier|chancellor)\b", ProtocolRank.MINISTER),
        (
            r"\b(vice|deputy) president\b|\bcrown princ(e|ess)\b",
            ProtocolRank.VICE_PRESIDENT_OR_CROWN_PRINCE,
        ),
        (
            r"\b(president|king|queen|sultan|emir|amir|emperor|empress|grand duke|grand duchess"
            r"|sovereign prince|co prince)\b",
            ProtocolRank.HEAD_OF_STATE,
        ),
        (r"\b(prime minister|premier|chancellor|taoiseach)\b", ProtocolRank.HEAD_OF_GOVERNMENT),
        (r"\bministers?\b|\bforeign secretary\b", ProtocolRank.MINISTER),
        (
            r"\b(ambassadors?|permanent representatives?|charge d'affaires|high commissioners?"
            r"|envoys?)\b",
            ProtocolRank.AMBASSADOR,
        ),
    )
)
# The executive head of an international organisation.
_ORGANISATION_HEAD = re.compile(
    r"^(?!(vice|deputy|assistant|under)\b)(?!.*\b(elect|designate)\b)"
    r".*\b(president|secretary general|director general|chairperson|managing director)\b"
)


def _plain(text: str) -> str:
    """Lower case, no accents, hyphens as spaces: "Vice-Président" → "vice president"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.replace("-", " ").replace("’", "'").split())


def rank_from_office(office: str, kind: DelegationKind = DelegationKind.STATE) -> ProtocolRank:
    """A best guess at a head of delegation's rank from the office's English title.

    A default the secretariat can override, not a ruling: titles vary ("President of the
    Government of Spain" heads a government) and some are not in the list. A title with
    several parts ("King of Saudi Arabia; chair", "High Representative / Vice-President")
    ranks by its highest part; remarks in brackets are ignored.

    Organisations have no heads of state. Their executive head (president, secretary-general,
    director-general, chairperson) ranks with heads of government, after heads of state, as at
    summits where the presidents of the European Council and Commission or the UN
    Secretary-General follow the heads of state; pass ``kind`` so that the title is read so.
    """
    plain = re.sub(r"\([^)]*\)", " ", _plain(office))
    ranks = [_rank_of_part(part.strip(), kind) for part in re.split(r"[;/]", plain)]
    return min(ranks, default=ProtocolRank.OTHER)


def _rank_of_part(title: str, kind: DelegationKind) -> ProtocolRank:
    rank = ProtocolRank.OTHER
    for pattern, candidate in _WHOLE_TITLE:
        if pattern.search(title):
            rank = candidate
            break
    else:
        office = re.split(r"\s(?:of|to|for|on|at|in)\s", title, maxsplit=1)[0]
        for pattern, candidate in _OFFICE:
            if pattern.search(office):
                rank = candidate
                break
        if kind is DelegationKind.ORGANISATION and _ORGANISATION_HEAD.search(office):
            rank = ProtocolRank.HEAD_OF_GOVERNMENT
    if kind is DelegationKind.ORGANISATION and rank is ProtocolRank.HEAD_OF_STATE:
        rank = ProtocolRank.HEAD_OF_GOVERNMENT
    return rank
