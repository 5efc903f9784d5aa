"""Planning engagements: every check runs before anything is written, then one commit."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Collection
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from summitry import log
from summitry.delegations import catalogue
from summitry.delegations.models import Delegation, Person
from summitry.delegations.operations import ensure_delegation, get_delegation
from summitry.engagements.calendar import change_record, sentences, tags
from summitry.engagements.events import PlanningChange, PlanningChanged
from summitry.engagements.models import (
    CHANNEL_OF_KIND,
    MEETING_ROLES,
    AgendaItem,
    Attendee,
    Engagement,
    EngagementStatus,
    Participation,
    Role,
)
from summitry.engagements.schemas import EngagementIn, EngagementPatch
from summitry.errors import Conflict, InvalidInput, NotFound


def _loaded() -> Select[Engagement]:
    return select(Engagement).options(
        selectinload(Engagement.host),
        selectinload(Engagement.delegations).selectinload(Participation.delegation),
        selectinload(Engagement.attendees)
        .selectinload(Attendee.person)
        .selectinload(Person.delegation),
        selectinload(Engagement.agenda),
    )


async def get_engagement(db: AsyncSession, engagement_id: int) -> Engagement:
    """The engagement with everything shown about it, or a 404."""
    engagement: Engagement | None = await db.scalar(
        _loaded().where(Engagement.id == engagement_id).execution_options(populate_existing=True)
    )
    if engagement is None:
        raise NotFound(f"no engagement has the id {engagement_id}")
    return engagement


async def engagement_row(db: AsyncSession, engagement_id: int) -> Engagement:
    """The engagement's own columns alone, without its relations, or a 404: for checks that
    would otherwise load every attendee."""
    engagement: Engagement | None = await db.get(Engagement, engagement_id)
    if engagement is None:
        raise NotFound(f"no engagement has the id {engagement_id}")
    return engagement


async def list_engagements(
    db: AsyncSession,
    *,
    among: Collection[int] | None = None,
    status: EngagementStatus | None = None,
    year: int | None = None,
) -> list[Engagement]:
    """The engagements (``among`` those ids, if given), soonest first."""
    query = _loaded().order_by(Engagement.held_on, Engagement.starts_at, Engagement.id)
    if among is not None:
        query = query.where(Engagement.id.in_(list(among)))
    if status is not None:
        query = query.where(Engagement.status == status)
    if year is not None:
        query = query.where(
            Engagement.held_on >= dt.date(year, 1, 1), Engagement.held_on <= dt.date(year, 12, 31)
        )
    return list(await db.scalars(query))


def check_times(
    starts_at: dt.datetime | None, ends_at: dt.datetime | None, held_on: dt.date | None
) -> None:
    """The start, end and day must agree with one another."""
    if starts_at is None and held_on is None:
        raise InvalidInput(
            "give starts_at (e.g. 2020-09-14T14:00:00+02:00), or held_on where the hour is open",
            field="starts_at",
        )
    if ends_at is not None and starts_at is None:
        raise InvalidInput("an end needs a start: give starts_at too", field="ends_at")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise InvalidInput(
            f"the end ({ends_at.isoformat()}) must come after the start ({starts_at.isoformat()})",
            field="ends_at",
        )
    for moment, field in ((starts_at, "starts_at"), (ends_at, "ends_at")):
        if moment is not None and not 1900 <= moment.year <= 2200:
            raise InvalidInput("give a year between 1900 and 2200", field=field)


def day_in(zone: str | None, starts_at: dt.datetime) -> dt.date:
    """The calendar day ``starts_at`` falls on in ``zone`` (UTC when no host is known)."""
    return starts_at.astimezone(ZoneInfo(zone) if zone else dt.UTC).date()


def slugify(text: str) -> str:
    """A lower-case ASCII slug for URLs."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "engagement"


async def _unique_slug(db: AsyncSession, base: str) -> str:
    taken = set(await db.scalars(select(Engagement.slug).where(Engagement.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


async def _resolve_codes(db: AsyncSession, codes: list[str]) -> list[Delegation]:
    seen: set[str] = set()
    delegations = []
    for code in codes:
        normal = code.strip().upper()
        if normal in seen:
            raise Conflict(f"the delegation {normal} is listed twice", field="delegations")
        seen.add(normal)
        delegations.append(await ensure_delegation(db, normal))
    return delegations


def _check_languages(codes: list[str]) -> list[str]:
    """Normalised working languages, each at most once."""
    languages: list[str] = []
    for code in codes:
        language = catalogue.check_language(code)
        if language in languages:
            raise InvalidInput(
                f"the working language {language} is listed twice", field="languages"
            )
        languages.append(language)
    return languages


async def create_engagement(
    db: AsyncSession, data: EngagementIn, *, by: str, slug: str | None = None
) -> Engagement:
    """Plan an engagement with its delegations and agenda in one transaction."""
    check_times(data.starts_at, data.ends_at, data.held_on)
    languages = _check_languages(data.languages)
    host = await ensure_delegation(db, data.host, field="host") if data.host else None
    delegations = await _resolve_codes(db, data.delegations)
    if host is not None and host not in delegations:
        delegations.insert(0, host)
    agenda = [agenda_item(item, "agenda") for item in data.agenda]
    held_on = data.held_on or day_in(host.timezone if host else None, data.starts_at)  # type: ignore[arg-type]
    engagement = Engagement(
        slug=slug or await _unique_slug(db, slugify(f"{data.title} {held_on.isoformat()}")),
        kind=data.kind,
        channel=data.channel or CHANNEL_OF_KIND[data.kind],
        topics=tags(data.topics),
        outcomes=sentences(data.outcomes),
        title=data.title.strip(),
        held_on=held_on,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        host=host,
        confidentiality=data.confidentiality,
        languages=languages,
        description=data.description.strip(),
        delegations=[Participation(delegation=d, position=i) for i, d in enumerate(delegations)],
        agenda=[
            AgendaItem(position=i, title=t, speaking_time_s=limit)
            for i, (t, limit) in enumerate(agenda)
        ],
    )
    db.add(engagement)
    await db.flush()
    await record(db, engagement.id, "engagement_planned", by, engagement.title)
    await db.commit()
    return await get_engagement(db, engagement.id)


async def update_engagement(
    db: AsyncSession, engagement: Engagement, data: EngagementPatch, *, by: str
) -> Engagement:
    """Change the fields given; the result must still make sense as a whole."""
    changes = data.model_dump(exclude_unset=True)
    for field in ("title", "kind", "confidentiality", "status"):
        if field in changes and changes[field] is None:
            raise InvalidInput(f"{field} cannot be emptied", field=field)
    _check_status_change(engagement, changes.get("status"))
    starts_at = changes.get("starts_at", engagement.starts_at)
    ends_at = changes.get("ends_at", engagement.ends_at)
    held_on = changes.get("held_on", engagement.held_on)
    check_times(starts_at, ends_at, held_on)
    host = engagement.host
    if "host" in changes:
        host = await ensure_delegation(db, changes["host"], "host") if changes["host"] else None
    if "languages" in changes:
        engagement.languages = _check_languages(changes["languages"] or [])
    if "description" in changes and changes["description"] is None:
        changes["description"] = ""
    if host is not None and all(p.delegation_id != host.id for p in engagement.delegations):
        engagement.delegations.append(
            Participation(delegation=host, position=len(engagement.delegations))
        )
    engagement.host = host
    change_record(engagement, changes)
    for field in ("title", "kind", "confidentiality", "status", "description"):
        if field in changes:
            value = changes[field]
            setattr(engagement, field, value.strip() if isinstance(value, str) else value)
    engagement.starts_at, engagement.ends_at = starts_at, ends_at
    if "held_on" in changes and changes["held_on"] is not None:
        engagement.held_on = changes["held_on"]
    elif "starts_at" in changes and starts_at is not None:
        engagement.held_on = day_in(host.timezone if host else None, starts_at)
    await record(db, engagement.id, "engagement_edited", by, ", ".join(sorted(changes)))
    await db.commit()
    return await get_engagement(db, engagement.id)


def _check_status_change(engagement: Engagement, status: EngagementStatus | None) -> None:
    """Ending (or cancelling a live meeting) puts people out: only the meeting's End does it."""
    if status is None or status is engagement.status:
        return
    if engagement.status is EngagementStatus.ENDED:
        raise Conflict("this engagement has ended; its record is closed", field="status")
    if status is EngagementStatus.ENDED or (
        status is EngagementStatus.CANCELLED and engagement.status is EngagementStatus.LIVE
    ):
        raise Conflict(
            "end the meeting from its page (End for everyone): that puts everyone out and "
            "withdraws their access",
            field="status",
        )


async def set_status(db: AsyncSession, engagement: Engagement, status: EngagementStatus) -> None:
    """Move an engagement along its life (planned, live, ended) in the caller's transaction."""
    engagement.status = status


async def record(
    db: AsyncSession, engagement_id: int, change: PlanningChange, by: str, subject: str = ""
) -> None:
    """Record a change to the planning in the engagement's log, in the caller's transaction."""
    await log.append(db, engagement_id, PlanningChanged(change=change, by=by, subject=subject))


async def add_participant(
    db: AsyncSession, engagement: Engagement, code: str, *, by: str
) -> Engagement:
    """Add a delegation at the end of the order of precedence."""
    delegation = await get_delegation(db, code)
    if any(p.delegation_id == delegation.id for p in engagement.delegations):
        raise Conflict(f"{delegation.name} already takes part in this engagement", field="code")
    engagement.delegations.append(
        Participation(delegation=delegation, position=len(engagement.delegations))
    )
    await record(db, engagement.id, "delegation_added", by, delegation.name)
    await db.commit()
    return await get_engagement(db, engagement.id)


async def remove_participant(
    db: AsyncSession, engagement: Engagement, code: str, *, by: str
) -> Engagement:
    """Withdraw a delegation that has nobody invited any more."""
    participation = next(
        (p for p in engagement.delegations if p.delegation.code == code.strip().upper()), None
    )
    if participation is None:
        raise NotFound(f"the delegation '{code}' does not take part in this engagement")
    name = participation.delegation.name
    if engagement.host_id == participation.delegation_id:
        raise Conflict(f"{name} hosts this engagement: choose another host before withdrawing it")
    people = [
        a.person.display_name
        for a in engagement.attendees
        if a.person.delegation_id == participation.delegation_id and a.role not in MEETING_ROLES
    ]
    if people:
        raise Conflict(
            f"{name} still has {len(people)} {'person' if len(people) == 1 else 'people'} "
            f"invited ({', '.join(people)}): remove them first"
        )
    engagement.delegations.remove(participation)
    for i, p in enumerate(engagement.delegations):
        p.position = i
    await record(db, engagement.id, "delegation_withdrawn", by, participation.delegation.name)
    await db.commit()
    return await get_engagement(db, engagement.id)


async def add_attendee(
    db: AsyncSession,
    engagement: Engagement,
    person: Person,
    role: Role,
    booth: str | None = None,
    *,
    by: str,
) -> Attendee:
    """Invite a person of a participating delegation, in a role (an interpreter in a booth)."""
    if all(p.delegation_id != person.delegation_id for p in engagement.delegations):
        raise InvalidInput(
            f"{person.display_name}'s delegation does not take part; add the delegation first",
            field="person_id",
        )
    if any(a.person_id == person.id for a in engagement.attendees):
        raise Conflict(f"{person.display_name} is already invited to this engagement")
    if booth:
        booth = _booth_language(engagement, role, booth)
    attendee = Attendee(
        engagement_id=engagement.id, person_id=person.id, role=role, booth=booth or None
    )
    db.add(attendee)
    await record(db, engagement.id, "attendee_invited", by, f"{person.display_name} ({role.value})")
    await db.commit()
    await db.refresh(attendee, ["person"])
    return attendee


def _booth_language(engagement: Engagement, role: Role, booth: str) -> str:
    if role is not Role.INTERPRETER:
        raise InvalidInput("only an interpreter works in a booth", field="booth")
    code = catalogue.check_language(booth, field="booth")
    if code not in engagement.languages:
        working = ", ".join(engagement.languages) or "none yet"
        raise InvalidInput(
            f"a booth interprets into a working language of the engagement ({working}); "
            f"add {code} to its languages first",
            field="booth",
        )
    return code


async def remove_attendee(
    db: AsyncSession, engagement: Engagement, attendee_id: int, *, by: str
) -> None:
    """Strike a person off the engagement, in the caller's transaction (their links, PIN and
    place go with them; the meeting puts them out first: ``live.access.strike_off``)."""
    attendee = next((a for a in engagement.attendees if a.id == attendee_id), None)
    if attendee is None:
        raise NotFound(f"no attendee {attendee_id} in this engagement")
    await record(db, engagement.id, "attendee_withdrawn", by, attendee.person.display_name)
    await db.delete(attendee)


_SPEAKING_TIME = re.compile(
    r"\s+[—–-]\s*(?:(\d{1,3})\s*min(?:utes?)?|(\d{1,4})\s*s(?:ec(?:onds?)?)?|(no limit))\s*$",
    re.IGNORECASE,
)
DEFAULT_SPEAKING_TIME_S = 180


def agenda_item(line: str, field: str = "items") -> tuple[str, int | None]:
    """An agenda line and its speaking time: "Vaccines — 5 min", "Reply — 90 s", or 3 minutes."""
    text = line.strip()
    limit: int | None = DEFAULT_SPEAKING_TIME_S
    match = _SPEAKING_TIME.search(text)
    if match:
        minutes, seconds, unlimited = match.groups()
        limit = None if unlimited else int(minutes) * 60 if minutes else int(seconds)
        text = text[: match.start()].strip()
        if limit is not None and not 5 <= limit <= 3600:
            raise InvalidInput("a speaking time lies between 5 seconds and 60 minutes", field=field)
    if not text or len(text) > 300:
        raise InvalidInput("each agenda item needs 1 to 300 characters", field=field)
    return text, limit


async def set_agenda(
    db: AsyncSession, engagement: Engagement, items: list[str], *, by: str
) -> Engagement:
    """Replace the agenda with ``items`` in the order given (each may carry its speaking time)."""
    cleaned = [agenda_item(item) for item in items]
    engagement.agenda.clear()
    await db.flush()
    engagement.agenda.extend(
        AgendaItem(position=i, title=t, speaking_time_s=limit)
        for i, (t, limit) in enumerate(cleaned)
    )
    await record(db, engagement.id, "agenda_set", by, f"{len(cleaned)} item(s)")
    await db.commit()
    return await get_engagement(db, engagement.id)


async def count_engagements(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count(Engagement.id))) or 0)
