"""Signing in, and issuing, opening and revoking personal invitations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from summitry.db import utcnow
from summitry.engagements.models import Attendee, Engagement, Role
from summitry.engagements.operations import record
from summitry.errors import Conflict, InvalidInput, InvitationUnusable, NotFound, NotSignedIn
from summitry.security.models import Account, Invitation
from summitry.security.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from summitry.security.tokens import new_token, token_hash

# Verifying against a real hash when the account is unknown keeps the timing the same.
_DUMMY_HASH = hash_password("not a real password, only for timing")


async def create_account(db: AsyncSession, email: str, name: str, password: str) -> Account:
    """A new secretariat account; the password must be long enough to resist guessing."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise InvalidInput("give an e-mail address such as protocol@mfa.example", field="email")
    if not name.strip():
        raise InvalidInput("give the account holder's name", field="name")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if await db.scalar(select(Account).where(Account.email == email)) is not None:
        raise Conflict(f"an account for {email} exists already", field="email")
    account = Account(email=email, name=name.strip(), password_hash=hash_password(password))
    db.add(account)
    await db.commit()
    return account


async def authenticate(db: AsyncSession, email: str, password: str) -> Account:
    """The account these credentials belong to, or one error for every kind of mismatch."""
    account = await db.scalar(select(Account).where(Account.email == email.strip().lower()))
    if account is None:
        verify_password(_DUMMY_HASH, password)
        raise NotSignedIn("the e-mail address or the password is not right")
    if not verify_password(account.password_hash, password):
        raise NotSignedIn("the e-mail address or the password is not right")
    return account


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation and the only copy of its token that will ever exist."""

    invitation: Invitation
    token: str


async def issue_invitation(
    db: AsyncSession, engagement: Engagement, attendee_id: int, days: int, *, by: str
) -> IssuedInvitation:
    """A personal link for one attendee, valid for ``days`` days."""
    attendee = next((a for a in engagement.attendees if a.id == attendee_id), None)
    if attendee is None:
        raise NotFound(f"no attendee {attendee_id} in this engagement")
    issued = await _new_invitation(db, engagement, attendee, days, by)
    await db.commit()
    await db.refresh(issued.invitation, ["attendee"])
    return issued


async def issue_for_everyone(
    db: AsyncSession, engagement: Engagement, days: int, *, by: str
) -> list[tuple[Attendee, IssuedInvitation]]:
    """A link for every invitee who has no usable one, in one transaction. The secretariat
    signs in with its accounts, so its members are not sent links."""
    now = utcnow()
    covered = {i.attendee_id for i in await list_invitations(db, engagement.id) if i.usable_at(now)}
    issued = [
        (attendee, await _new_invitation(db, engagement, attendee, days, by))
        for attendee in engagement.attendees
        if attendee.role is not Role.SECRETARIAT and attendee.id not in covered
    ]
    await db.commit()
    return issued


async def _new_invitation(
    db: AsyncSession, engagement: Engagement, attendee: Attendee, days: int, by: str
) -> IssuedInvitation:
    token = new_token()
    invitation = Invitation(
        attendee_id=attendee.id,
        token_hash=token_hash(token),
        expires_at=utcnow() + dt.timedelta(days=days),
    )
    db.add(invitation)
    await db.flush()
    subject = f"{attendee.person.display_name} (invitation {invitation.id})"
    await record(db, engagement.id, "invitation_issued", by, subject)
    return IssuedInvitation(invitation, token)


async def list_invitations(db: AsyncSession, engagement_id: int) -> list[Invitation]:
    """Every invitation of an engagement, newest first."""
    rows = await db.scalars(
        select(Invitation)
        .join(Attendee)
        .where(Attendee.engagement_id == engagement_id)
        .options(selectinload(Invitation.attendee).selectinload(Attendee.person))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    return list(rows)


async def get_invitation(db: AsyncSession, invitation_id: int) -> Invitation:
    invitation = await db.scalar(
        select(Invitation)
        .where(Invitation.id == invitation_id)
        .options(selectinload(Invitation.attendee).selectinload(Attendee.person))
    )
    if invitation is None:
        raise NotFound(f"no invitation has the id {invitation_id}")
    return invitation


async def revoke_invitation(db: AsyncSession, invitation: Invitation) -> bool:
    """Stop a link from working, in the caller's transaction; whether it worked until now."""
    if invitation.revoked_at is not None:
        return False
    invitation.revoked_at = utcnow()
    return True


async def withdraw_invitations(
    db: AsyncSession, engagement_id: int, attendee_id: int | None
) -> None:
    """Withdraw every link of one attendee (``None``: of everyone) of an engagement, in the
    caller's transaction: the sessions opened with them end at their next request."""
    attendees = select(Attendee.id).where(Attendee.engagement_id == engagement_id)
    if attendee_id is not None:
        attendees = attendees.where(Attendee.id == attendee_id)
    await db.execute(
        update(Invitation)
        .where(Invitation.attendee_id.in_(attendees), Invitation.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def usable_invitations(db: AsyncSession, attendee_id: int) -> int:
    """How many of an attendee's links still admit them."""
    now = utcnow()
    rows = await db.scalars(select(Invitation).where(Invitation.attendee_id == attendee_id))
    return sum(1 for invitation in rows if invitation.usable_at(now))


async def open_invitation(db: AsyncSession, token: str) -> Invitation:
    """The invitation a token belongs to, if it still admits its holder."""
    if not 16 <= len(token) <= 128:
        raise InvitationUnusable(_UNUSABLE)
    invitation = await db.scalar(
        select(Invitation)
        .where(Invitation.token_hash == token_hash(token))
        .options(selectinload(Invitation.attendee))
    )
    now = utcnow()
    if invitation is None or not invitation.usable_at(now):
        raise InvitationUnusable(_UNUSABLE)
    invitation.last_used_at = now
    await db.commit()
    return invitation


_UNUSABLE = (
    "this invitation link is not valid: it may have expired or been withdrawn. "
    "Ask the secretariat that invited you for a new one"
)


async def usable_invitation_ids(db: AsyncSession, engagement_id: int) -> frozenset[int]:
    """The ids of the engagement's invitations that still let their holders in (not withdrawn,
    not expired)."""
    ids = await db.scalars(
        select(Invitation.id)
        .join(Attendee, Attendee.id == Invitation.attendee_id)
        .where(
            Attendee.engagement_id == engagement_id,
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )
    return frozenset(ids)


def invitation_url(base_url: str, token: str) -> str:
    """The link an invitation's holder opens: the only place its token is ever shown."""
    return f"{base_url}/invitation/{token}"
