"""Who is asking: a member of the secretariat, an invited person, or nobody."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.db import utcnow
from summitry.engagements.attendance import invited
from summitry.engagements.models import Role
from summitry.errors import Forbidden, NotFound, NotSignedIn
from summitry.security.models import Account, BrowserSession, Invitation
from summitry.security.tokens import token_hash

MAX_INVITATIONS_PER_SESSION = 32
SESSION_KEY = "key"
"""The cookie's entry naming its record on the server (``BrowserSession``)."""


@dataclass(frozen=True)
class Secretary:
    """A signed-in member of the host's secretariat."""

    account_id: int
    name: str
    email: str


@dataclass(frozen=True)
class Grant:
    """What one opened, still valid invitation allows."""

    invitation_id: int
    engagement_id: int
    person_id: int
    role: Role
    person_name: str


@dataclass(frozen=True)
class Invitee:
    """A person who came in through one or more personal invitation links."""

    grants: tuple[Grant, ...]

    @property
    def name(self) -> str:
        return self.grants[0].person_name

    def grant_for(self, engagement_id: int) -> Grant | None:
        return next((g for g in self.grants if g.engagement_id == engagement_id), None)


Principal = Secretary | Invitee


# Built once: every request and every live connection asks them, and building a statement
# cost about as much as running it (a wave of resuming pages spent a fifth of the server's time
# resolving sessions).
_SECRETARY = (
    select(BrowserSession.ended_at, BrowserSession.account_id, Account.name, Account.email)
    .outerjoin(Account, Account.id == BrowserSession.account_id)
    .where(BrowserSession.key_hash == bindparam("key_hash"))
)
_INVITEE = (
    select(
        BrowserSession.ended_at,
        Invitation.id,
        Invitation.attendee_id,
        Invitation.revoked_at,
        Invitation.expires_at,
    )
    .select_from(BrowserSession)
    # The session and the invitations its cookie names, in one query: a row per invitation
    # found, or one without any; none if the server no longer holds the session.
    .outerjoin(Invitation, Invitation.id.in_(bindparam("ids", expanding=True)))
    .where(BrowserSession.key_hash == bindparam("key_hash"))
)


async def resolve(db: AsyncSession, session: dict[str, object]) -> Principal | None:
    """The principal a signed session cookie names, if it is still entitled to anything.

    The cookie must name a session the server still holds: one signed out names nobody.
    """
    key = session.get(SESSION_KEY)
    if not isinstance(key, str):
        return None
    account_id = session.get("account_id")
    if isinstance(account_id, int):
        record = (await db.execute(_SECRETARY, {"key_hash": token_hash(key)})).first()
        if record is None or record.ended_at is not None:
            return None
        if record.account_id != account_id or record.name is None:
            return None
        return Secretary(account_id, record.name, record.email)
    ids = session.get("invitations")
    if not isinstance(ids, list) or not ids:
        return None
    wanted = [i for i in ids if isinstance(i, int)][:MAX_INVITATIONS_PER_SESSION]
    rows = (await db.execute(_INVITEE, {"key_hash": token_hash(key), "ids": wanted})).all()
    if not rows or rows[0].ended_at is not None:
        return None
    now = utcnow()
    usable = [
        (invitation_id, attendee_id)
        for _, invitation_id, attendee_id, revoked_at, expires_at in rows
        if invitation_id is not None and revoked_at is None and now < expires_at
    ]
    # In the order the links were opened (the query's rows come in no promised order).
    usable.sort(key=lambda found: wanted.index(found[0]))
    named = await invited(db, [attendee_id for _, attendee_id in usable])
    grants = tuple(
        Grant(
            invitation_id=invitation_id,
            engagement_id=named[attendee_id].engagement_id,
            person_id=named[attendee_id].person_id,
            role=named[attendee_id].role,
            person_name=named[attendee_id].name,
        )
        for invitation_id, attendee_id in usable
        if attendee_id in named
    )
    return Invitee(grants) if grants else None


def require_signed_in(principal: Principal | None) -> Principal:
    """The principal, or an error that asks the person to sign in or open their link."""
    if principal is None:
        raise NotSignedIn("sign in as the secretariat, or open your personal invitation link")
    return principal


def require_secretariat(principal: Principal | None) -> Secretary:
    """The secretary, or an error: only the secretariat prepares engagements."""
    principal = require_signed_in(principal)
    if not isinstance(principal, Secretary):
        raise Forbidden("only the secretariat can do this")
    return principal


def require_engagement_access(principal: Principal | None, engagement_id: int) -> Principal:
    """The principal if they may see this engagement; an unknown one is reported as absent."""
    principal = require_signed_in(principal)
    if isinstance(principal, Invitee) and principal.grant_for(engagement_id) is None:
        # Not "forbidden": an outsider must not learn that the engagement exists.
        raise NotFound("no engagement with this id is open to you")
    return principal
