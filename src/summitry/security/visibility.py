"""What of an engagement a principal may see: which engagements, and whether their details."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from summitry.engagements.models import Confidentiality, Engagement, EngagementStatus, Role
from summitry.engagements.operations import list_engagements
from summitry.engagements.presentation import engagement_out
from summitry.engagements.schemas import EngagementOut
from summitry.security.principals import Invitee, Principal


def may_see_details(principal: Principal, engagement: Engagement) -> bool:
    """Press see who and what only of public engagements; everyone else invited sees all."""
    if not isinstance(principal, Invitee):
        return True
    grant = principal.grant_for(engagement.id)
    if grant is None:
        return False
    return grant.role is not Role.PRESS or engagement.confidentiality is Confidentiality.PUBLIC


def engagement_as_seen(engagement: Engagement, principal: Principal) -> EngagementOut:
    """The API form of an engagement, as ``principal`` may see it."""
    return engagement_out(engagement, may_see_details(principal, engagement))


def engagement_ids_visible(principal: Principal) -> list[int] | None:
    """The engagements an invitee may see (those of their invitations); ``None``: every one."""
    return [g.engagement_id for g in principal.grants] if isinstance(principal, Invitee) else None


async def engagements_visible(
    db: AsyncSession,
    principal: Principal,
    *,
    status: EngagementStatus | None = None,
    year: int | None = None,
) -> list[Engagement]:
    """The engagements ``principal`` may see (an invitee: those of their invitations),
    soonest first."""
    return await list_engagements(
        db, among=engagement_ids_visible(principal), status=status, year=year
    )
