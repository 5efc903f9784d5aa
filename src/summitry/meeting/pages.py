"""The meeting page: device check, lobby and room in one page driven by live events."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from summitry.delegations.catalogue import language_name
from summitry.deps import Db, PagePrincipal, media_of, runtime_of
from summitry.engagements.models import EngagementStatus, Role
from summitry.engagements.operations import get_engagement
from summitry.interpretation.booths import booths_of, capitalised
from summitry.meeting.operations import require_follower
from summitry.security.principals import Invitee, Secretary
from summitry.web.rendering import render

router = APIRouter()


@router.get("/engagements/{engagement_id}/meeting")
async def meeting_page(
    engagement_id: int, request: Request, db: Db, principal: PagePrincipal
) -> Response:
    who = await require_follower(db, principal, engagement_id)
    engagement = await get_engagement(db, engagement_id)
    host_zone = engagement.host.timezone if engagement.host else "UTC"
    grant = who.grant_for(engagement_id) if isinstance(who, Invitee) else None
    presides = isinstance(who, Secretary) or (grant is not None and grant.role is Role.CHAIR)
    me = next(
        (a for a in engagement.attendees if grant is not None and a.person_id == grant.person_id),
        None,
    )
    return render(
        request,
        "meeting/meeting.html",
        engagement=engagement,
        is_secretariat=isinstance(who, Secretary),
        presides=presides,
        host_zone=host_zone,
        booths=booths_of(engagement),
        languages=[(code, capitalised(language_name(code, code))) for code in engagement.languages],
        my_language=me.person.language if me else None,
        media_url=media.public_url if (media := media_of(request)) is not None else "",
        has_ended=engagement.status is EngagementStatus.ENDED,
        # Without a gateway a PIN or a call could only disappoint: the panel says so instead.
        has_telephone=runtime_of(request).telephony is not None,
        # For the roll call, which names every delegation, those without anyone here too.
        delegation_names={p.delegation.code: p.delegation.name for p in engagement.delegations},
    )
