"""Who acts on an outcome document, for which delegation, and what they may do with it.

The rules, in one place (docs/documents.md says them in words):
- the secretariat drafts, edits, takes amendments in, opens procedures and prepares copies;
- the chair (or the secretariat for the chair) puts the text on the screen and strikes the gavel;
- anyone of a party's delegation (chair, head of delegation, delegate) proposes amendments
  and may break silence for their delegation;
- a party's *authorised* person, its head of delegation (or the chair, where the chair sits
  for a party), casts its ballot and signs for it;
- a confidential draft is read by the secretariat, the chair and the parties' delegations alone; any
  other document by whoever may see the engagement's details.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.db import intend_to_write, utcnow
from summitry.documents.events import ActionRefused
from summitry.documents.models import OutcomeDocument
from summitry.engagements.attendance import attendee_in
from summitry.engagements.models import Role
from summitry.engagements.operations import engagement_row
from summitry.errors import Conflict, Forbidden, InvalidInput, NotFound, SummitryError
from summitry.security.principals import (
    Invitee,
    Principal,
    Secretary,
    require_engagement_access,
)
from summitry.security.visibility import may_see_details

REPEAT_WINDOW = dt.timedelta(minutes=1)
DELEGATION_ROLES = frozenset({Role.CHAIR, Role.HEAD_OF_DELEGATION, Role.DELEGATE})
AUTHORISED_ROLES = frozenset({Role.CHAIR, Role.HEAD_OF_DELEGATION})


@dataclass(frozen=True)
class Actor:
    """A person acting on an engagement's documents."""

    name: str
    is_secretariat: bool
    role: Role | None = None
    delegation: str | None = None
    """Their delegation's code; ``None`` for the secretariat."""
    person_id: int | None = None
    delegation_name: str = ""
    office: str = ""

    @property
    def presides(self) -> bool:
        return self.is_secretariat or self.role is Role.CHAIR

    def speaks_for(self, parties: list[str]) -> str | None:
        """The party this person acts for, if they sit in its delegation."""
        if self.role in DELEGATION_ROLES and self.delegation in parties:
            return self.delegation
        return None

    def authorised_for(self, parties: list[str]) -> str | None:
        """The party this person may vote and sign for (its head of delegation or chair)."""
        if self.role in AUTHORISED_ROLES and self.delegation in parties:
            return self.delegation
        return None


async def actor_of(db: AsyncSession, principal: Principal | None, engagement_id: int) -> Actor:
    """Who asks, in this engagement; an outsider learns nothing of it."""
    who = require_engagement_access(principal, engagement_id)
    if isinstance(who, Secretary):
        await engagement_row(db, engagement_id)  # 404 for an engagement that is not there
        return Actor(who.name, True)
    assert isinstance(who, Invitee)  # noqa: S101 - the union has two members
    grant = who.grant_for(engagement_id)
    found = (
        await attendee_in(db, engagement_id, person_id=grant.person_id, with_engagement=True)
        if grant
        else None
    )
    if found is None:
        raise NotFound("you are not among the people of this engagement")
    if not may_see_details(who, await engagement_row(db, engagement_id)):
        raise Forbidden("the press see the documents of public engagements only")
    return Actor(
        found.person.display_name,
        False,  # an invitee in the secretariat's role is not the signed-in secretariat
        found.role,
        found.person.delegation.code,
        found.person_id,
        found.person.delegation.name,
        found.person.office,
    )


def may_read(actor: Actor, document: OutcomeDocument) -> bool:
    """Whether this person may read the document's text."""
    if not document.confidential or actor.presides:
        return True
    return actor.speaks_for(document.parties) is not None


def require_secretariat(actor: Actor, doing: str) -> None:
    if not actor.is_secretariat:
        raise Forbidden(f"only the secretariat can {doing}")


def require_chair(actor: Actor, doing: str) -> None:
    if not actor.presides:
        raise Forbidden(f"only the chair (or the secretariat for the chair) can {doing}")


T = TypeVar("T")


async def refusing(
    db: AsyncSession,
    engagement_id: int,
    document_id: int,
    action: str,
    actor: Actor,
    work: Callable[[], Awaitable[T]],
) -> T:
    """Do ``work``; if it is refused, undo whatever it began, put the refusal in the record
    (who asked what, and why not) and pass the refusal on.

    Recorded for those with a part in the negotiation (the secretariat and the delegations),
    once a minute for the same refusal of the same person: the press or an interpreter
    pressing a button the page does not offer them is refused, not written into the record
    and sent to every screen.
    """
    try:
        return await work()
    except (InvalidInput, Conflict, Forbidden) as refusal:
        await db.rollback()
        if actor.is_secretariat or actor.role in DELEGATION_ROLES:
            await _record(db, engagement_id, document_id, action, actor, refusal)
        raise


async def _record(
    db: AsyncSession,
    engagement_id: int,
    document_id: int,
    action: str,
    actor: Actor,
    refusal: SummitryError,
) -> None:
    await intend_to_write(db)
    await log.hold(db, engagement_id)
    recent = await log.latest_events_of(db, engagement_id, ("document_action_refused",), 20)
    for earlier in recent:
        said = earlier.event
        if (
            isinstance(said, ActionRefused)
            and (said.by, said.action, said.reason) == (actor.name, action, refusal.message)
            and utcnow() - earlier.at < REPEAT_WINDOW
        ):
            return
    await log.append(
        db,
        engagement_id,
        ActionRefused(
            document_id=document_id,
            action=action,
            by=actor.name,
            delegation=actor.delegation,
            reason=refusal.message,
        ),
    )
    await db.commit()
