"""The readout a delegation starts from, filled from the record: when (in its capital), with
whom and their leaders, on which channel, the agenda, and the documents adopted."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from summitry.documents.actors import Actor
from summitry.documents.drafting import documents_of
from summitry.documents.models import DocumentStage
from summitry.engagements.models import Engagement, EngagementKind, Role
from summitry.engagements.operations import get_engagement
from summitry.records.readouts import Text
from summitry.web.rendering import local_day, local_time, long_date, zone_label

ADOPTED = frozenset({DocumentStage.ADOPTED, DocumentStage.SIGNED})


def channel_of(engagement: Engagement) -> str:
    """A telephone call or a video meeting, as the engagement's kind says."""
    if engagement.kind is EngagementKind.TELEPHONE_CALL:
        return "telephone call"
    return "video meeting"


def _leaders(engagement: Engagement, code: str) -> list[str]:
    heads = [
        a.person.display_name
        for a in engagement.attendees
        if a.role is Role.HEAD_OF_DELEGATION and a.person.delegation.code == code
    ]
    return heads or [
        a.person.display_name
        for a in engagement.attendees
        if a.role is Role.CHAIR and a.person.delegation.code == code
    ]


def _when(engagement: Engagement, zone: str) -> str:
    if engagement.starts_at is None:
        return f"On {long_date(engagement.held_on)}"
    at = engagement.starts_at
    return f"On {local_day(at, zone)} at {local_time(at, zone)} ({zone_label(at, zone)})"


def _listed(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


async def from_the_record(db: AsyncSession, actor: Actor, engagement_id: int) -> Text:
    """The title and text a delegation's readout starts from (it edits them before approval)."""
    engagement = await get_engagement(db, engagement_id)
    ours = next(
        p.delegation for p in engagement.delegations if p.delegation.code == actor.delegation
    )
    others = [p.delegation for p in engagement.delegations if p.delegation.code != ours.code]
    channel = channel_of(engagement)
    our_leaders = _leaders(engagement, ours.code) or [ours.name]
    counterparts = [
        ", ".join([*_leaders(engagement, d.code)[:1], d.name])
        if _leaders(engagement, d.code)
        else d.name
        for d in others
    ]
    title = f"{ours.name}: readout of the {channel} with {_listed([d.name for d in others])}"
    paragraphs = [
        f"{_when(engagement, ours.timezone)}, {_listed(our_leaders)} held a {channel} with "
        f"{_listed(counterparts) or 'the other delegations'}."
    ]
    items = [item.title for item in engagement.agenda]
    if items:
        paragraphs.append(f"On the agenda: {'; '.join(items)}.")
    documents = [
        d.title for d in await documents_of(db, actor, engagement_id) if d.stage in ADOPTED
    ]
    if documents:
        paragraphs.append(f"They adopted {_listed(documents)}.")
    paragraphs.append(f"[The account of {ours.name}: what was said, and what comes next.]")
    return Text(title[:300], "\n\n".join(paragraphs))
