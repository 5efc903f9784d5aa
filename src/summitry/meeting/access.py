"""Access taken away ends everywhere: an invitation withdrawn, a person struck off the list,
the meeting ended. Whoever it concerns leaves the meeting, their media participants are put
out of every room, their other credentials (a telephone PIN) are withdrawn by the capability
that issued them, and their live connections check their access at once and close."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.engagements.models import EngagementStatus
from summitry.engagements.operations import get_engagement, record, remove_attendee, set_status
from summitry.errors import Conflict
from summitry.log.committed import Recheck, recheck_after_commit
from summitry.log.events import Event, EventEnvelope
from summitry.meeting.events import Left, MeetingEnded
from summitry.meeting.grants import revoke_media
from summitry.meeting.media_port import MeetingMedia
from summitry.meeting.models import MediaGrant
from summitry.meeting.operations import meeting_state
from summitry.meeting.state import Presence
from summitry.security import operations as security
from summitry.security.models import Invitation
from summitry.security.principals import Principal, require_secretariat

PRESENT = (Presence.LOBBY, Presence.ADMITTED)

Withdrawal = Callable[[AsyncSession, int, int | None], Awaitable[None]]
"""Takes away a credential of one attendee (``None``: of everyone) of an engagement."""

_withdrawals: dict[str, Withdrawal] = {}


def on_withdrawal(name: str, withdraw: Withdrawal) -> None:
    """Have ``withdraw`` run, in the same transaction, whenever access is withdrawn: a
    capability that issues credentials of its own (the telephone's PINs) registers here."""
    _withdrawals[name] = withdraw


async def _withdraw_credentials(db: AsyncSession, engagement_id: int, who: int | None) -> None:
    for withdraw in _withdrawals.values():
        await withdraw(db, engagement_id, who)


async def _put_out(
    db: AsyncSession,
    engagement_id: int,
    attendee_id: int,
    media: MeetingMedia | None,
    invitation_id: int | None = None,
) -> None:
    """Out of the meeting and its media, and every connection that came from it rechecked."""
    state = await meeting_state(db, engagement_id)
    if state.presence_of(attendee_id) in PRESENT:
        await revoke_media(db, engagement_id, attendee_id, media)
        await log.append(
            db, engagement_id, Left(attendee_id=attendee_id, reason="invitation_withdrawn")
        )

    recheck_after_commit(db, Recheck(engagement_id, attendee_id, invitation_id))


async def withdraw_invitation(
    db: AsyncSession, principal: Principal | None, invitation_id: int, media: MeetingMedia | None
) -> Invitation:
    """Withdraw a link: the sessions opened with it end, its holder is put out of the meeting
    (they may come back through the lobby with another valid link), and their PIN goes too if
    no link of theirs is left."""
    by = require_secretariat(principal).name
    invitation = await security.get_invitation(db, invitation_id)
    attendee = invitation.attendee
    if await security.revoke_invitation(db, invitation):
        subject = f"{attendee.person.display_name} (invitation {invitation.id})"
        await record(db, attendee.engagement_id, "invitation_withdrawn", by, subject)
        await _put_out(db, attendee.engagement_id, attendee.id, media, invitation.id)
        if not await security.usable_invitations(db, attendee.id):
            await _withdraw_credentials(db, attendee.engagement_id, attendee.id)
        await db.commit()
    return invitation


async def strike_off(
    db: AsyncSession,
    principal: Principal | None,
    engagement_id: int,
    attendee_id: int,
    media: MeetingMedia | None,
) -> None:
    """Strike a person off the engagement: out of the meeting first, then off the list with
    their links and PIN."""
    by = require_secretariat(principal).name
    engagement = await get_engagement(db, engagement_id)
    await _put_out(db, engagement_id, attendee_id, media)
    await _withdraw_credentials(db, engagement_id, attendee_id)
    await remove_attendee(db, engagement, attendee_id, by=by)
    await db.commit()


async def end_meeting(
    db: AsyncSession, principal: Principal | None, engagement_id: int, media: MeetingMedia | None
) -> list[EventEnvelope]:
    """End the meeting for everyone: all are put out, the media rooms destroyed, every
    invitation withdrawn (links, sessions and telephone PINs with them), the log closed."""
    by = require_secretariat(principal).name
    engagement = await get_engagement(db, engagement_id)
    if engagement.status is EngagementStatus.ENDED:
        raise Conflict("this meeting has ended already")
    if engagement.status is EngagementStatus.CANCELLED:
        raise Conflict("this engagement was cancelled; it has no meeting to end")
    state = await meeting_state(db, engagement_id)
    bodies: list[Event] = [
        Left(attendee_id=attendee_id, reason="meeting_ended")
        for attendee_id, person in sorted(state.participants.items())
        if person.presence in PRESENT
    ]
    envelopes = await log.append_all(db, engagement_id, [*bodies, MeetingEnded(by=by)])
    if media is not None:
        await media.close(db, engagement_id)
    for grant in await db.scalars(
        select(MediaGrant).where(MediaGrant.engagement_id == engagement_id)
    ):
        await db.delete(grant)
    await security.withdraw_invitations(db, engagement_id, None)
    await _withdraw_credentials(db, engagement_id, None)
    await set_status(db, engagement, EngagementStatus.ENDED)
    recheck_after_commit(db, Recheck(engagement_id))
    await db.commit()
    return envelopes
