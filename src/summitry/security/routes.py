"""HTTP API for sessions and invitation links."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from summitry.config import Settings
from summitry.db import utcnow
from summitry.deps import CurrentPrincipal, Db, RecordId, media_of, runtime_of
from summitry.engagements.operations import get_engagement
from summitry.meeting.access import withdraw_invitation
from summitry.security import operations
from summitry.security.models import Invitation
from summitry.security.principals import (
    Principal,
    Secretary,
    require_secretariat,
    require_signed_in,
    resolve,
)
from summitry.security.schemas import (
    Credentials,
    GrantOut,
    InvitationOut,
    InvitationToken,
    IssuedInvitationOut,
    Me,
)
from summitry.security.sessions import remember_invitation, sign_in, sign_out

router = APIRouter(tags=["security"])


def invitation_out(invitation: Invitation) -> InvitationOut:
    """The listed form of an invitation, with its state spelt out."""
    state = (
        "revoked"
        if invitation.revoked_at is not None
        else "valid"
        if invitation.usable_at(utcnow())
        else "expired"
    )
    return InvitationOut(
        id=invitation.id,
        attendee_id=invitation.attendee_id,
        person=invitation.attendee.person.display_name,
        role=invitation.attendee.role,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        revoked_at=invitation.revoked_at,
        last_used_at=invitation.last_used_at,
        state=state,
    )


@router.post("/session")
async def create_session(data: Credentials, request: Request, db: Db) -> Me:
    """Sign in as a member of the secretariat."""
    account = await operations.authenticate(db, data.email, data.password)
    await sign_in(db, request, account.id)
    return Me(kind="secretariat", name=account.name, grants=[])


@router.post("/session/invitation")
async def open_invitation(data: InvitationToken, request: Request, db: Db) -> Me:
    """Open a personal invitation with its token (what the link does in a browser)."""
    invitation = await operations.open_invitation(db, data.token)
    await remember_invitation(db, request, invitation.id)
    return describe(require_signed_in(await resolve(db, request.session)))


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT)
async def delete_session(request: Request, db: Db) -> None:
    """Sign out: the session ends on the server, and its live connections close."""
    await sign_out(db, request)


@router.get("/me")
async def me(principal: CurrentPrincipal) -> Me:
    """Who this session belongs to, and what it may see."""
    return describe(require_signed_in(principal))


def describe(principal: Principal) -> Me:
    """The API form of a principal."""
    if isinstance(principal, Secretary):
        return Me(kind="secretariat", name=principal.name, grants=[])
    return Me(
        kind="invitee",
        name=principal.name,
        grants=[GrantOut(engagement_id=g.engagement_id, role=g.role) for g in principal.grants],
    )


@router.get("/engagements/{engagement_id}/invitations")
async def list_invitations(
    engagement_id: RecordId, db: Db, principal: CurrentPrincipal
) -> list[InvitationOut]:
    """Every invitation of an engagement (tokens are never shown again)."""
    require_secretariat(principal)
    await get_engagement(db, engagement_id)
    return [invitation_out(i) for i in await operations.list_invitations(db, engagement_id)]


@router.post(
    "/engagements/{engagement_id}/attendees/{attendee_id}/invitations",
    status_code=status.HTTP_201_CREATED,
)
async def issue_invitation(
    engagement_id: RecordId,
    attendee_id: RecordId,
    request: Request,
    db: Db,
    principal: CurrentPrincipal,
) -> IssuedInvitationOut:
    """Issue a personal invitation link; copy it now, it is shown only once."""
    who = require_secretariat(principal)
    settings: Settings = runtime_of(request).settings
    engagement = await get_engagement(db, engagement_id)
    issued = await operations.issue_invitation(
        db, engagement, attendee_id, settings.invitation_days, by=who.name
    )
    listed = invitation_out(issued.invitation)
    return IssuedInvitationOut(
        **listed.model_dump(),
        url=operations.invitation_url(settings.effective_base_url, issued.token),
    )


@router.delete("/invitations/{invitation_id}")
async def revoke_invitation(
    invitation_id: RecordId, request: Request, db: Db, principal: CurrentPrincipal
) -> InvitationOut:
    """Withdraw an invitation link: the sessions and live connections opened with it end at
    once, and its holder is put out of the meeting and its media."""
    invitation = await withdraw_invitation(db, principal, invitation_id, media_of(request))
    return invitation_out(invitation)
