"""The demo: 34 engagements of online diplomacy in 2020, and a secretariat account to sign in with.

The engagements come from ``engagements-2020.json``, which the package carries. Facts are taken
from it (who, when, on which channel, what was agreed, the sources), with topics read from its
titles and outcomes (``topics.py``); its notes, the compiler's reasoning, stay out.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from importlib import resources

from pydantic import AwareDatetime, BaseModel, ConfigDict, TypeAdapter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.delegations import catalogue
from summitry.delegations.models import Delegation, DelegationKind, Person
from summitry.delegations.operations import check_delegation, ensure_delegation, find_delegation
from summitry.delegations.schemas import DelegationIn
from summitry.demo.topics import channel_of, topics_of
from summitry.engagements.models import (
    Attendee,
    Confidentiality,
    Engagement,
    EngagementKind,
    EngagementStatus,
    Participation,
    Role,
)
from summitry.engagements.operations import check_times
from summitry.errors import InvalidInput
from summitry.security.models import Account
from summitry.security.operations import create_account

DEMO_EMAIL = "secretariat@summitry.example"
DEMO_PASSWORD = "diplomacy-2020"  # noqa: S105 -- published on purpose: the demo is for development
DEMO_ACCOUNT_NAME = "Demo Secretariat"
DATA_FILE = "engagements-2020.json"

# The G20, BRICS and NAM have no seat: their clock is the one of the year's presidency or chair.
PRESIDENCY_ZONES_2020: dict[str, str] = {
    "G20": "Asia/Riyadh",  # Saudi Arabia held the G20 presidency in 2020
    "BRICS": "Europe/Moscow",  # Russia chaired BRICS in 2020
    "NAM": "Asia/Baku",  # Azerbaijan chaired the Non-Aligned Movement (2019–2023)
}

# States of the data whose first tz-database zone is not the capital's; every other state's first
# zone is its capital's (US: New_York for Washington, CN: Shanghai for Beijing, and so on).
CAPITAL_ZONES: dict[str, str] = {
    "AU": "Australia/Sydney",  # Canberra; the first zone listed is Lord Howe Island
    "BR": "America/Sao_Paulo",  # Brasília; the first zone listed is Fernando de Noronha
    "CA": "America/Toronto",  # Ottawa; the first zone listed is St John's, Newfoundland
    "RU": "Europe/Moscow",  # the first zone listed is Kaliningrad
    "UZ": "Asia/Tashkent",  # the first zone listed is Samarkand (same offset, wrong city)
}

# Bodies the data names only in a participant's title (its delegation is null), recognised by
# their name in that title. Not in the catalogue because they are not intergovernmental.
EXTRA_ORGANISATIONS: tuple[catalogue.Organisation, ...] = (
    # Seated in Seattle.
    catalogue.Organisation("BMGF", "Bill & Melinda Gates Foundation", "America/Los_Angeles"),
)

# A title says its holder chairs the engagement: "(chair)", "(chair, APEC 2020 host)",
# "; chair (Saudi G20 Presidency)", "(chaired)", "chaired the summit". Not "chair of the African
# Union" or "Co-chair, Bill & Melinda Gates Foundation": those chair something else.
_CHAIRS = re.compile(r"\(chair\b|;\s*chair\s*\(|\bchaired\b", re.IGNORECASE)


class _Participant(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str | None
    title: str
    delegation: str | None


class _Entry(BaseModel):
    """One engagement as the data file gives it; its notes are ignored on purpose."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    title: str
    kind: EngagementKind
    date: dt.date
    start_utc: AwareDatetime | None
    duration_minutes: int | None
    host: str | None
    participants: list[_Participant]
    languages: list[str]
    sources: list[str]
    outcomes: list[str]


@dataclass(frozen=True)
class DemoReport:
    """What a run of the loader did; ``delegations`` and ``people`` are totals afterwards."""

    engagements_added: int
    engagements_kept: int
    delegations: int
    people: int
    account_created: bool


def demo_entries() -> list[_Entry]:
    """The engagements of the data file, checked against the shape the loader expects."""
    raw = resources.files("summitry.demo").joinpath(DATA_FILE).read_bytes()
    return TypeAdapter(list[_Entry]).validate_json(raw)


def delegation_code(participant: _Participant) -> str:
    """The delegation code of a participant, where the data's own code is ambiguous or absent."""
    code, title = participant.delegation, participant.title
    if code is None:
        for org in EXTRA_ORGANISATIONS:
            if org.name in title:
                return org.code
        raise InvalidInput(f"the demo data gives no delegation for '{title}'", field="delegation")
    # The data says "EU" for every EU institution; the catalogue tells them apart.
    if code == "EU":
        if "European Council" in title:
            return "EUCO"
        if "European Parliament" in title:
            return "EUPARL"
        if "Commission" in title:
            return "EUCOM"
        return "EU"
    # The data says "AU" both for Australia and for the African Union.
    if code == "AU":
        return "AUC" if "African Union" in title else "AU"
    return code


def host_code(host: str | None, codes: list[str]) -> str | None:
    """The host's delegation code, resolving "EU" and "AU" by who takes part."""
    if host == "EU":
        return "EUCO" if "EUCO" in codes else "EU"
    if host == "AU":
        return "AUC" if "AUC" in codes else "AU"
    return host


def roles(participants: list[_Participant], codes: list[str]) -> list[Role]:
    """Each participant's role: the chair, one head per delegation, delegates for the rest."""
    heads: dict[str, int] = {}
    for i, (participant, code) in enumerate(zip(participants, codes, strict=True)):
        # The first named person heads the delegation; an unnamed one only if nobody is named.
        if code not in heads or (participant.name and not participants[heads[code]].name):
            heads[code] = i
    result = []
    for i, (participant, code) in enumerate(zip(participants, codes, strict=True)):
        if _CHAIRS.search(participant.title):
            result.append(Role.CHAIR)
        elif heads[code] == i:
            result.append(Role.HEAD_OF_DELEGATION)
        else:
            result.append(Role.DELEGATE)
    return result


async def load_demo(db: AsyncSession, password: str | None = None) -> DemoReport:
    """Load the demo engagements that are not there yet, and the demo account if missing."""
    account_created = await _ensure_account(db, password or DEMO_PASSWORD)
    entries = demo_entries()
    existing = set(
        await db.scalars(
            select(Engagement.slug).where(Engagement.slug.in_([e.id for e in entries]))
        )
    )
    added = 0
    for entry in entries:
        if entry.id in existing:
            continue
        try:
            await _add_engagement(db, entry)
            await db.commit()
        except BaseException:
            # Nothing of a failed engagement stays behind, not even its new delegations.
            await db.rollback()
            raise
        added += 1
    await _complete_record(db, [e for e in entries if e.id in existing])
    return DemoReport(
        engagements_added=added,
        engagements_kept=len(entries) - added,
        delegations=int(await db.scalar(select(func.count(Delegation.id))) or 0),
        people=int(await db.scalar(select(func.count(Person.id))) or 0),
        account_created=account_created,
    )


async def _complete_record(db: AsyncSession, entries: list[_Entry]) -> None:
    """The calendar's fields of engagements loaded before they existed (migration 0016 gave
    them a channel from their kind, and no topics or outcomes)."""
    by_slug = {e.id: e for e in entries}
    kept = await db.scalars(select(Engagement).where(Engagement.slug.in_(list(by_slug))))
    # (PostgreSQL's json type has no equality: the bare ones are told apart here.)
    for engagement in [e for e in kept if not e.topics and not e.outcomes]:
        entry = by_slug[engagement.slug]
        engagement.channel = channel_of(entry.kind, entry.title)
        engagement.topics = topics_of(entry.title, entry.outcomes)
        engagement.outcomes = list(entry.outcomes)
    await db.commit()


async def _ensure_account(db: AsyncSession, password: str) -> bool:
    if await db.scalar(select(Account.id).where(Account.email == DEMO_EMAIL)) is not None:
        return False
    await create_account(db, DEMO_EMAIL, DEMO_ACCOUNT_NAME, password)
    return True


async def _add_engagement(db: AsyncSession, entry: _Entry) -> None:
    """Stage one engagement with its delegations, people and attendees; the caller commits."""
    starts_at = entry.start_utc
    ends_at = (
        starts_at + dt.timedelta(minutes=entry.duration_minutes)
        if starts_at is not None and entry.duration_minutes is not None
        else None
    )
    check_times(starts_at, ends_at, entry.date)
    languages = [catalogue.check_language(code) for code in entry.languages]
    codes = [delegation_code(p) for p in entry.participants]
    host = host_code(entry.host, codes)
    order = list(dict.fromkeys([host, *codes] if host else codes))
    delegations = {code: await _delegation(db, code) for code in order}
    attendees: list[Attendee] = []
    for participant, code, role in zip(
        entry.participants, codes, roles(entry.participants, codes), strict=True
    ):
        person = await _person(db, delegations[code], participant.name, participant.title)
        if any(a.person is person for a in attendees):
            raise InvalidInput(f"the demo data lists {person.display_name} twice in {entry.id}")
        attendees.append(Attendee(person=person, role=role))
    db.add(
        Engagement(
            slug=entry.id,
            kind=entry.kind,
            title=entry.title,
            held_on=entry.date,
            starts_at=starts_at,
            ends_at=ends_at,
            host=delegations[host] if host else None,
            # Reported in public sources, and all in the past.
            confidentiality=Confidentiality.PUBLIC,
            status=EngagementStatus.ENDED,
            languages=languages,
            description="",
            sources=list(entry.sources),
            channel=channel_of(entry.kind, entry.title),
            topics=topics_of(entry.title, entry.outcomes),
            outcomes=list(entry.outcomes),
            delegations=[
                Participation(delegation=delegations[code], position=i)
                for i, code in enumerate(order)
            ],
            attendees=attendees,
        )
    )


async def _delegation(db: AsyncSession, code: str) -> Delegation:
    """The delegation with this code, recorded now with the demo's zone where it needs one."""
    found = await find_delegation(db, code)
    if found is not None:
        return found
    extra = next((org for org in EXTRA_ORGANISATIONS if org.code == code), None)
    if extra is not None:
        data = DelegationIn(
            code=code, kind=DelegationKind.ORGANISATION, name=extra.name, timezone=extra.timezone
        )
    elif code in PRESIDENCY_ZONES_2020:
        data = DelegationIn(
            code=code, kind=DelegationKind.ORGANISATION, timezone=PRESIDENCY_ZONES_2020[code]
        )
    elif code in CAPITAL_ZONES:
        data = DelegationIn(code=code, kind=DelegationKind.STATE, timezone=CAPITAL_ZONES[code])
    else:
        return await ensure_delegation(db, code)
    delegation = check_delegation(data)
    db.add(delegation)
    await db.flush()
    return delegation


async def _person(
    db: AsyncSession, delegation: Delegation, name: str | None, office: str
) -> Person:
    """The person of this delegation with this name and office, recorded now if new."""
    # The unique constraint lets NULL names repeat, so the lookup must ask for NULL itself.
    same_name = Person.name.is_(None) if name is None else Person.name == name
    found: Person | None = await db.scalar(
        select(Person).where(
            Person.delegation_id == delegation.id, same_name, Person.office == office
        )
    )
    if found is not None:
        return found
    person = Person(delegation_id=delegation.id, name=name, office=office)
    db.add(person)
    await db.flush()
    return person
