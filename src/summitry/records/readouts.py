"""Readouts: a delegation drafts its account of an engagement, its head approves it (every
party's head, for a joint one), and it is published, public or restricted, perhaps under an
embargo. Every published version is kept.

Nothing of a readout goes into the engagement's log: the log reaches everyone who follows
the meeting, the press included, and even a readout's existence must not show before its
embargo. Its facts are its own tables' (who drafted, approved, published, and when).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.db import utcnow
from summitry.documents.actors import DELEGATION_ROLES, Actor
from summitry.engagements.attendance import attendee_in
from summitry.engagements.operations import engagement_row, get_engagement
from summitry.errors import Conflict, Forbidden, InvalidInput, NotFound
from summitry.records import record_index
from summitry.records.readout_models import Audience, Readout, ReadoutStage, ReadoutVersion
from summitry.security.principals import (
    Invitee,
    Principal,
    require_engagement_access,
    require_signed_in,
)
from summitry.security.visibility import may_see_details

TITLE_LIMIT = 300
BODY_LIMIT = 20_000


@dataclass(frozen=True)
class Text:
    """What a delegation writes: the title, the text, to whom, and from when."""

    title: str
    body: str
    audience: Audience = Audience.PUBLIC
    embargo_until: dt.datetime | None = None


async def member_of(
    db: AsyncSession, principal: Principal | None, engagement_id: int
) -> Actor | None:
    """The person asking as a member of a delegation in this engagement (its chair, head or
    a delegate), or ``None``: the secretariat, the press, interpreters and outsiders are none."""
    if not isinstance(principal, Invitee):
        return None
    grant = principal.grant_for(engagement_id)
    if grant is None or grant.role not in DELEGATION_ROLES:
        return None
    found = await attendee_in(db, engagement_id, person_id=grant.person_id)
    if found is None:
        return None
    person = found.person
    return Actor(
        person.display_name,
        False,
        found.role,
        person.delegation.code,
        person.id,
        person.delegation.name,
        person.office,
    )


async def drafter(db: AsyncSession, principal: Principal | None, engagement_id: int) -> Actor:
    """The member who may draft a readout of this engagement, or the reason why not."""
    require_engagement_access(principal, engagement_id)
    actor = await member_of(db, principal, engagement_id)
    if actor is None:
        raise Forbidden(
            "only a delegation taking part writes its readout: its chair, head of delegation "
            "or delegates (not the secretariat, the press or interpreters)"
        )
    return actor


def check(text: Text, now: dt.datetime) -> Text:
    """The text, trimmed, or what to fix in it."""
    # A browser sends a textarea's lines ended by CR LF: paragraphs are kept apart by LF alone.
    title, body = " ".join(text.title.split()), text.body.replace("\r\n", "\n").strip()
    if not title:
        raise InvalidInput("give the readout a title", field="title")
    if len(title) > TITLE_LIMIT:
        raise InvalidInput(f"shorten the title to {TITLE_LIMIT} characters", field="title")
    if not body:
        raise InvalidInput("write the readout's text", field="body")
    if len(body) > BODY_LIMIT:
        raise InvalidInput(f"shorten the text to {BODY_LIMIT} characters", field="body")
    if text.embargo_until is not None and text.embargo_until <= now:
        raise InvalidInput(
            "the embargo has already passed: give a time to come (UTC), or none",
            field="embargo_until",
        )
    return Text(title, body, text.audience, text.embargo_until)


async def draft(
    db: AsyncSession, actor: Actor, engagement_id: int, text: Text, parties: list[str]
) -> Readout:
    """A new draft by the actor's delegation, joint with ``parties`` if more are named."""
    engagement = await engagement_row(db, engagement_id)
    taking_part = await _codes_taking_part(db, engagement_id)
    named = list(dict.fromkeys([actor.delegation or "", *(p.upper() for p in parties)]))
    unknown = [code for code in named if code not in taking_part]
    if unknown:
        raise InvalidInput(
            f"{', '.join(unknown)} does not take part in this engagement: name only its "
            "delegations as parties",
            field="parties",
        )
    text = check(text, utcnow())
    readout = Readout(
        engagement_id=engagement.id,
        delegation=actor.delegation,
        parties=named,
        title=text.title,
        body=text.body,
        audience=text.audience,
        embargo_until=text.embargo_until,
        stage=ReadoutStage.DRAFT,
        approvals=[],
        drafted_by=actor.name,
        updated_by=actor.name,
    )
    db.add(readout)
    await db.commit()
    return readout


async def _codes_taking_part(db: AsyncSession, engagement_id: int) -> set[str]:
    engagement = await get_engagement(db, engagement_id)
    return {p.delegation.code for p in engagement.delegations}


def require_party(actor: Actor, readout: Readout, doing: str) -> str:
    party = actor.speaks_for(readout.parties)
    if party is None:
        raise Forbidden(f"only the delegations that are parties to this readout can {doing} it")
    return party


async def edit(db: AsyncSession, actor: Actor, readout: Readout, text: Text) -> Readout:
    """A new text: back to draft, and every approval given to the old one cleared."""
    require_party(actor, readout, "edit")
    text = check(text, utcnow())
    changed = (text.title, text.body, text.audience, text.embargo_until) != (
        readout.title,
        readout.body,
        readout.audience,
        readout.embargo_until,
    )
    if changed:
        readout.title, readout.body = text.title, text.body
        readout.audience, readout.embargo_until = text.audience, text.embargo_until
        readout.stage, readout.approvals = ReadoutStage.DRAFT, []
        readout.updated_by, readout.updated_at = actor.name, utcnow()
        await db.commit()
    return readout


async def approve(db: AsyncSession, actor: Actor, readout: Readout) -> Readout:
    """The approval of the actor's delegation, given by its head (or its chair)."""
    party = require_party(actor, readout, "approve")
    if actor.authorised_for(readout.parties) is None:
        raise Forbidden(
            "only the head of delegation (or the chair sitting for it) approves its readout; "
            "you are not authorised to"
        )
    if readout.stage is ReadoutStage.PUBLISHED:
        raise Conflict("this text is already published: edit it to prepare a correction")
    if party in readout.approvals:
        raise Conflict(f"{party} has already approved this text")
    readout.approvals = [*readout.approvals, party]
    if set(readout.approvals) >= set(readout.parties):
        readout.stage = ReadoutStage.APPROVED
    readout.updated_at = utcnow()
    await db.commit()
    return readout


async def publish(
    db: AsyncSession, actor: Actor, readout: Readout, *, now: dt.datetime | None = None
) -> ReadoutVersion:
    """Publish the approved text as the next version (the earlier ones stay, superseded)."""
    require_party(actor, readout, "publish")
    if actor.authorised_for(readout.parties) is None:
        raise Forbidden("only a party's head of delegation (or its chair) publishes its readout")
    now = now or utcnow()
    if readout.stage is ReadoutStage.PUBLISHED:
        raise Conflict("this text is already published")
    if readout.stage is not ReadoutStage.APPROVED:
        missing = [p for p in readout.parties if p not in readout.approvals]
        raise Conflict(f"publish only an approved text: still to approve it: {', '.join(missing)}")
    if readout.embargo_until is not None and readout.embargo_until <= now:
        raise InvalidInput(
            "the embargo has passed since it was set: change it, or remove it, before publishing",
            field="embargo_until",
        )
    versions = await versions_of(db, readout.id)
    version = ReadoutVersion(
        readout_id=readout.id,
        number=len(versions) + 1,
        title=readout.title,
        body=readout.body,
        audience=readout.audience,
        published_at=now,
        visible_from=readout.embargo_until or now,
        published_by=actor.name,
    )
    db.add(version)
    readout.stage = ReadoutStage.PUBLISHED
    await record_index.put_readout(db, readout, version)
    await db.commit()
    return version


async def versions_of(db: AsyncSession, readout_id: int) -> list[ReadoutVersion]:
    """Every published version, first to latest."""
    rows = await db.scalars(
        select(ReadoutVersion)
        .where(ReadoutVersion.readout_id == readout_id)
        .order_by(ReadoutVersion.number)
    )
    return list(rows)


async def readout_for_party(
    db: AsyncSession, principal: Principal | None, readout_id: int
) -> tuple[Readout, Actor]:
    """A readout one of its parties works on, with who is asking; else not found or refused
    (not found where they may not read it either)."""
    require_signed_in(principal)
    readout = await db.get(Readout, readout_id)
    if readout is None or (
        isinstance(principal, Invitee) and principal.grant_for(readout.engagement_id) is None
    ):
        raise NotFound("no readout with this id is open to you")
    actor = await member_of(db, principal, readout.engagement_id)
    if actor is None or actor.speaks_for(readout.parties) is None:
        if not await visible_versions(db, principal, readout):
            raise NotFound("no readout with this id is open to you")
        actor = await drafter(db, principal, readout.engagement_id)
        require_party(actor, readout, "change")
    return readout, actor


async def visible_versions(
    db: AsyncSession,
    principal: Principal | None,
    readout: Readout,
    *,
    now: dt.datetime | None = None,
) -> list[ReadoutVersion]:
    """The published versions this person may read: all of them for its parties; for anyone
    else, those past their embargo and open to them (public, or restricted to whoever may see
    the engagement's details)."""
    versions = await versions_of(db, readout.id)
    member = await member_of(db, principal, readout.engagement_id)
    if member is not None and member.speaks_for(readout.parties):
        return versions
    now = now or utcnow()
    details = await sees_details(db, principal, readout.engagement_id)
    return [
        v for v in versions if v.visible_from <= now and (v.audience is Audience.PUBLIC or details)
    ]


async def sees_details(db: AsyncSession, principal: Principal | None, engagement_id: int) -> bool:
    """Whether this person may see the engagement's details (a restricted readout's readers)."""
    if principal is None:
        return False
    if isinstance(principal, Invitee) and principal.grant_for(engagement_id) is None:
        return False
    return may_see_details(principal, await engagement_row(db, engagement_id))
