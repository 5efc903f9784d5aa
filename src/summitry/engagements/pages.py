"""Pages for reading engagements: the list, the calendar, one engagement, and "my engagements"."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from summitry.deps import Db, PagePrincipal
from summitry.engagements import operations
from summitry.engagements.models import (
    MEETING_ROLES,
    Confidentiality,
    Engagement,
    EngagementKind,
    EngagementStatus,
    Role,
)
from summitry.engagements.presentation import meeting_staff, members, seat_times
from summitry.interpretation.booths import booths_of
from summitry.notices.operations import notices_for
from summitry.records.minutes_drafting import versions_of as minutes_versions
from summitry.security.models import Invitation
from summitry.security.operations import list_invitations
from summitry.security.principals import (
    Invitee,
    Principal,
    Secretary,
    require_engagement_access,
    require_secretariat,
    require_signed_in,
)
from summitry.security.visibility import engagements_visible, may_see_details
from summitry.web.rendering import render

router = APIRouter()


@router.get("/")
async def home(principal: PagePrincipal) -> Response:
    if isinstance(principal, Secretary):
        return RedirectResponse("/engagements", status_code=303)
    if isinstance(principal, Invitee):
        return RedirectResponse("/my", status_code=303)
    return RedirectResponse("/login", status_code=303)


SORTS = {
    "date": lambda e: (e.held_on, e.starts_at or dt.datetime.min.replace(tzinfo=dt.UTC)),
    "title": lambda e: e.title.casefold(),
    "kind": lambda e: (e.kind.value, e.held_on),
    "host": lambda e: ((e.host.name if e.host else "~"), e.held_on),
    "delegations": lambda e: (len(e.delegations), e.held_on),
}


@router.get("/engagements")
async def engagement_list(
    request: Request,
    db: Db,
    principal: PagePrincipal,
    q: Annotated[str, Query(max_length=200)] = "",
    year: Annotated[str, Query(max_length=4)] = "",
    kind: Annotated[str, Query(max_length=24)] = "",
    status: Annotated[str, Query(max_length=24)] = "",
    sort: Annotated[str, Query(max_length=16)] = "date",
) -> Response:
    who = require_secretariat(principal)
    # A filter form sends empty fields for "any"; unknown values are read as "any" too.
    year_ = int(year) if year.isdigit() else None
    kind_ = next((k for k in EngagementKind if k.value == kind), None)
    status_ = next((s for s in EngagementStatus if s.value == status), None)
    sort = sort if sort.lstrip("-") in SORTS else "date"
    everything = await engagements_visible(db, who)
    years = sorted({e.held_on.year for e in everything}, reverse=True)
    shown = [
        e
        for e in everything
        if (year_ is None or e.held_on.year == year_)
        and (kind_ is None or e.kind is kind_)
        and (status_ is None or e.status is status_)
        and (not q or _matches(e, q))
    ]
    shown.sort(key=SORTS[sort.lstrip("-")], reverse=sort.startswith("-"))
    return render(
        request,
        "engagements/list.html",
        engagements=shown,
        total=len(everything),
        years=years,
        filters={"q": q, "year": year_, "kind": kind_, "status": status_, "sort": sort},
        kinds=list(EngagementKind),
        statuses=list(EngagementStatus),
    )


def _matches(engagement: Engagement, query: str) -> bool:
    needle = query.casefold()
    haystack = [
        engagement.title,
        *(p.delegation.name for p in engagement.delegations),
        *(p.delegation.code for p in engagement.delegations),
        *(a.person.name or "" for a in engagement.attendees),
    ]
    return any(needle in item.casefold() for item in haystack)


@router.get("/engagements/calendar")
async def engagement_calendar(
    request: Request,
    db: Db,
    principal: PagePrincipal,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> Response:
    who = require_signed_in(principal)
    everything = await engagements_visible(db, who)
    today = dt.datetime.now(dt.UTC).date()
    if month:
        first = dt.date(int(month[:4]), max(1, min(12, int(month[5:]))), 1)
    else:
        first = _default_month(everything, today)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    by_day: dict[dt.date, list[Engagement]] = {}
    for engagement in everything:
        by_day.setdefault(engagement.held_on, []).append(engagement)
    per_month = Counter((e.held_on.year, e.held_on.month) for e in everything)
    months = [(dt.date(first.year, m, 1), per_month.get((first.year, m), 0)) for m in range(1, 13)]
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "engagements/calendar.html",
        first=first,
        weeks=weeks,
        by_day=by_day,
        today=today,
        months=months,
        previous=previous,
        following=following,
    )


def _default_month(engagements: list[Engagement], today: dt.date) -> dt.date:
    """This month if anything happens in it, else the month of the nearest engagement."""
    if not engagements:
        return today.replace(day=1)
    nearest = min(engagements, key=lambda e: abs((e.held_on - today).days))
    if any(e.held_on.year == today.year and e.held_on.month == today.month for e in engagements):
        return today.replace(day=1)
    return nearest.held_on.replace(day=1)


@router.get("/engagements/{engagement_id}")
async def engagement_page(
    engagement_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    who = require_engagement_access(principal, engagement_id)
    engagement = await operations.get_engagement(db, engagement_id)
    invitations: list[Invitation] = []
    if isinstance(who, Secretary):
        invitations = await list_invitations(db, engagement_id)
    # A reader is led to the minutes once some are published; the secretariat, to draft them.
    minutes = may_see_details(who, engagement) and bool(
        await minutes_versions(db, who, engagement_id)
    )
    return render(
        request,
        "engagements/detail.html",
        **engagement_context(engagement, who),
        minutes_published=minutes,
        invitations=invitations,
        issued=None,
        issued_all=None,
        values={},
    )


def engagement_context(engagement: Engagement, who: Principal) -> dict[str, Any]:
    """What the engagement page shows to ``who``."""
    own_code = _own_delegation_code(engagement, who)
    return {
        "engagement": engagement,
        "times": seat_times(engagement),
        "details": may_see_details(who, engagement),
        "own_code": own_code,
        "is_secretariat": isinstance(who, Secretary),
        "my_role": _my_role(engagement, who),
        "booths": booths_of(engagement),
        "members": members(engagement),
        "staff": meeting_staff(engagement),
        "roles": list(Role),
        "confidentiality": Confidentiality,
    }


def _my_role(engagement: Engagement, who: Principal) -> Role | None:
    if isinstance(who, Invitee):
        grant = who.grant_for(engagement.id)
        return grant.role if grant else None
    return None


def _own_delegation_code(engagement: Engagement, who: Principal) -> str | None:
    if not isinstance(who, Invitee):
        return None
    grant = who.grant_for(engagement.id)
    attendee = next(
        (a for a in engagement.attendees if grant and a.id and a.person_id == grant.person_id), None
    )
    if attendee is None or attendee.role in MEETING_ROLES:
        return None  # interpreters and the press serve the meeting, not a delegation
    return attendee.person.delegation.code


@router.get("/my")
async def my_engagements(request: Request, db: Db, principal: PagePrincipal) -> Response:
    who = require_signed_in(principal)
    if isinstance(who, Secretary):
        return RedirectResponse("/engagements", status_code=303)
    engagements = await engagements_visible(db, who)
    rows = []
    for engagement in engagements:
        own = _own_delegation_code(engagement, who)
        times = {t.delegation.code: t for t in seat_times(engagement)}
        host_code = engagement.host.code if engagement.host else None
        rows.append(
            {
                "engagement": engagement,
                "role": _my_role(engagement, who),
                "own": times.get(own) if own else None,
                "host": times.get(host_code) if host_code else None,
            }
        )
    notices = await notices_for(db, who)
    return render(request, "engagements/my.html", rows=rows, notices=notices)
