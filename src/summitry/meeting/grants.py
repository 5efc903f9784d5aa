"""A person's media grant: their token and feed id, made on admission and gone on leaving.

The grant exists exactly while its holder is admitted; Janus learns the token before anyone
is told of the admission, and forgets it before anyone is told of the departure.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.meeting.media_port import MediaAccess, MeetingMedia, ice_label
from summitry.meeting.models import MediaGrant

FEED_ID_LIMIT = 2**53 - 1  # JavaScript's safe integers: browsers handle feed ids as numbers


async def mute_on_media(
    db: AsyncSession,
    engagement_id: int,
    microphones: Mapping[int, bool],
    media: MeetingMedia | None,
) -> None:
    """Mute (True) or open (False) each attendee's audio at the media server, where they have
    a grant: their grants read in one query, and none read without a media server."""
    if media is None or not microphones:
        return
    grants = await db.scalars(
        select(MediaGrant).where(
            MediaGrant.engagement_id == engagement_id,
            MediaGrant.attendee_id.in_(list(microphones)),
        )
    )
    for grant in grants:
        await media.set_muted(db, engagement_id, grant.feed_id, microphones[grant.attendee_id])


async def grant_of(db: AsyncSession, engagement_id: int, attendee_id: int) -> MediaGrant | None:
    """The person's media grant: it exists exactly while they are admitted."""
    found: MediaGrant | None = await db.scalar(
        select(MediaGrant).where(
            MediaGrant.engagement_id == engagement_id, MediaGrant.attendee_id == attendee_id
        )
    )
    return found


async def grant_media(
    db: AsyncSession, engagement_id: int, attendee_id: int, media: MeetingMedia | None
) -> MediaAccess | None:
    """Give the person a token and a feed id, and let the token into the engagement's room;
    what their browser needs to enter it (None when the app runs without a media server)."""
    grant = await grant_of(db, engagement_id, attendee_id)
    if grant is None:
        grant = MediaGrant(
            engagement_id=engagement_id,
            attendee_id=attendee_id,
            token=secrets.token_urlsafe(32),
            feed_id=secrets.randbelow(FEED_ID_LIMIT - 1) + 1,
        )
        db.add(grant)
        await db.flush()
    if media is None:
        return None
    url, room_id = await media.grant(db, engagement_id, grant.token)
    ice = media.ice_servers(ice_label(engagement_id, attendee_id))
    return MediaAccess(url, room_id, grant.token, grant.feed_id, ice)


async def revoke_media(
    db: AsyncSession, engagement_id: int, attendee_id: int, media: MeetingMedia | None
) -> None:
    """Take a person's media grant away: out of every room, their token refused from now."""
    grant = await grant_of(db, engagement_id, attendee_id)
    if grant is None:
        return
    if media is not None:
        await media.revoke(db, engagement_id, grant.token, grant.feed_id)
    await db.delete(grant)
    await db.flush()


async def grants_in(db: AsyncSession, engagement_id: int) -> dict[int, MediaGrant]:
    """Every media grant of the engagement, by attendee: who may be in its rooms now."""
    rows = await db.scalars(select(MediaGrant).where(MediaGrant.engagement_id == engagement_id))
    return {grant.attendee_id: grant for grant in rows}


async def granted_tokens(db: AsyncSession, engagement_id: int) -> list[str]:
    """The tokens that may enter the engagement's media room now."""
    return list(
        await db.scalars(select(MediaGrant.token).where(MediaGrant.engagement_id == engagement_id))
    )


async def admitting_engagements(db: AsyncSession) -> set[int]:
    """The engagements in which someone holds a media grant: rooms worth watching."""
    return set(await db.scalars(select(MediaGrant.engagement_id).distinct()))


async def granted_feeds(db: AsyncSession, engagement_ids: set[int]) -> set[tuple[int, int]]:
    """(engagement, feed id) of every grant in these engagements: who may be in their rooms."""
    rows = await db.execute(
        select(MediaGrant.engagement_id, MediaGrant.feed_id).where(
            MediaGrant.engagement_id.in_(engagement_ids)
        )
    )
    return {(engagement_id, feed_id) for engagement_id, feed_id in rows}
