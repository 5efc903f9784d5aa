"""The language channels' records: each booth's channel in the database, and the generation
from which its listening PIN is derived, the same for every replica."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.interpretation.models import LanguageChannel
from summitry.media.channels import ChannelSpec, listening_pin
from summitry.media.rooms import new_room_id, new_room_secret
from summitry.meeting.grants import admitting_engagements


async def channel_for(db: AsyncSession, engagement_id: int, language: str) -> LanguageChannel:
    """The channel's record, made with a fresh number and secret on first use."""
    query = select(LanguageChannel).where(
        LanguageChannel.engagement_id == engagement_id, LanguageChannel.language == language
    )
    found = await db.scalar(query)
    if found is not None:
        return found
    channel = LanguageChannel(
        engagement_id=engagement_id,
        language=language,
        janus_room_id=new_room_id(),
        secret=new_room_secret(),
    )
    try:
        async with db.begin_nested():
            db.add(channel)
    except IntegrityError:
        made = await db.scalar(query)
        if made is None:
            raise
        return made
    return channel


async def channels_of(db: AsyncSession, engagement_id: int) -> list[LanguageChannel]:
    """The engagement's channel records, made so far."""
    return list(
        await db.scalars(
            select(LanguageChannel).where(LanguageChannel.engagement_id == engagement_id)
        )
    )


def renewed_elsewhere(specs: list[ChannelSpec], rows: list[LanguageChannel]) -> bool:
    """Whether the PINs in force (the records') are not those of the channels as kept here:
    another replica revoked someone since."""
    pins = {row.janus_room_id: listening_pin(row.secret, row.generation) for row in rows}
    return any(pins.get(spec.room_id, spec.pin) != spec.pin for spec in specs)


def renew_pins(rows: list[LanguageChannel]) -> None:
    """Draw the engagement's listening PINs anew: whoever left never learns one that holds."""
    generation = secrets.token_hex(16)
    for row in rows:
        row.generation = generation


def left_unrenewed(
    before: list[ChannelSpec], admitted: frozenset[str], rows: list[LanguageChannel]
) -> bool:
    """Whether someone who could listen has gone while the PINs they knew still hold."""
    gone = {token for spec in before for token in spec.admitted} - admitted
    known = {spec.room_id: spec.pin for spec in before}
    return bool(gone) and any(
        known.get(row.janus_room_id) == listening_pin(row.secret, row.generation) for row in rows
    )


async def live_engagements_with_channels(db: AsyncSession) -> list[int]:
    """Engagements with language channels in which someone holds a media grant."""
    with_channels = set(await db.scalars(select(LanguageChannel.engagement_id).distinct()))
    return sorted(with_channels & await admitting_engagements(db))
