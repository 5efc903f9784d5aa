"""Which readouts a person may read: of one engagement, or all those published."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.db import utcnow
from summitry.errors import NotFound
from summitry.records.readout_models import Audience, Readout, ReadoutVersion
from summitry.records.readouts import member_of, visible_versions
from summitry.security.principals import Invitee, Principal


@dataclass(frozen=True)
class Seen:
    """A readout as one person may see it: the working text only for its parties."""

    readout: Readout
    versions: list[ReadoutVersion]
    """The published versions open to them, first to latest (the last is current)."""
    party: str | None
    """The asker's delegation, when it is a party (they see the draft and may act)."""
    authorised: bool = False

    @property
    def current(self) -> ReadoutVersion | None:
        return self.versions[-1] if self.versions else None


async def seen(
    db: AsyncSession,
    principal: Principal | None,
    readout: Readout,
    *,
    now: dt.datetime | None = None,
) -> Seen | None:
    """The readout as this person may see it, or ``None`` if nothing of it is open to them."""
    if isinstance(principal, Invitee) and principal.grant_for(readout.engagement_id) is None:
        principal_here: Principal | None = None  # as anyone: only what is public
    else:
        principal_here = principal
    member = await member_of(db, principal_here, readout.engagement_id)
    party = member.speaks_for(readout.parties) if member else None
    versions = await visible_versions(db, principal_here, readout, now=now)
    if party is None and not versions:
        return None
    authorised = bool(member and member.authorised_for(readout.parties))
    return Seen(readout, versions, party, authorised)


async def readout_seen(
    db: AsyncSession,
    principal: Principal | None,
    readout_id: int,
    *,
    now: dt.datetime | None = None,
) -> Seen:
    readout = await db.get(Readout, readout_id)
    found = await seen(db, principal, readout, now=now) if readout else None
    if found is None:
        raise NotFound("no readout with this id is open to you")
    return found


async def of_engagement(
    db: AsyncSession, principal: Principal | None, engagement_id: int
) -> list[Seen]:
    """The engagement's readouts this person may see, oldest first."""
    rows = await db.scalars(
        select(Readout).where(Readout.engagement_id == engagement_id).order_by(Readout.id)
    )
    found = [await seen(db, principal, r) for r in rows]
    return [s for s in found if s is not None]


async def published(
    db: AsyncSession,
    principal: Principal | None,
    *,
    delegation: str | None = None,
    public_only: bool = False,
    now: dt.datetime | None = None,
    limit: int = 50,
) -> list[Seen]:
    """Published readouts past their embargo, newest first (for the feed: public ones only)."""
    now = now or utcnow()
    query = (
        select(Readout)
        .join(ReadoutVersion, ReadoutVersion.readout_id == Readout.id)
        .where(ReadoutVersion.visible_from <= now)
        .group_by(Readout.id)
        .order_by(Readout.id.desc())
    )
    if public_only:
        query = query.where(ReadoutVersion.audience == Audience.PUBLIC)
    if delegation is not None:
        query = query.where(Readout.delegation == delegation.upper())
    found: list[Seen] = []
    for readout in await db.scalars(query):
        one = await seen(db, None if public_only else principal, readout, now=now)
        if one is not None and one.versions:
            found.append(one)
        if len(found) >= limit:
            break
    return found
