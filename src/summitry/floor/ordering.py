"""The order of precedence kept for an engagement: the rule applied to its delegations and
stored as their positions, which order the tiles, the roster, the roll call and the list."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from summitry.delegations.models import Delegation
from summitry.engagements.models import Engagement, Role
from summitry.engagements.operations import get_engagement, record
from summitry.errors import InvalidInput
from summitry.floor import precedence


async def set_precedence(
    db: AsyncSession,
    engagement: Engagement,
    rule: precedence.PrecedenceRule,
    language: str,
    *,
    draw_lot: bool = False,
    start_code: str | None = None,
    manual_codes: list[str] | None = None,
    by: str,
) -> Engagement:
    """Order the engagement's delegations by ``rule`` and keep that order as their positions."""
    language = precedence.check_language(language, "language")
    codes = [p.delegation.code for p in engagement.delegations]
    if draw_lot:
        start_code = precedence.draw_lot(codes)
    if start_code is not None and start_code.upper() not in codes:
        raise InvalidInput(
            f"{start_code} does not take part in this engagement", field="start_code"
        )
    entries = [
        precedence.PrecedenceEntry(
            code=p.delegation.code,
            kind=p.delegation.kind,
            english_name=p.delegation.name,
            rank=_rank_of(engagement, p.delegation),
            is_host=engagement.host_id == p.delegation_id,
        )
        for p in engagement.delegations
    ]
    ordered = precedence.order(
        entries,
        rule,
        language=language,
        start_code=start_code.upper() if start_code else None,
        manual_codes=manual_codes,
    )
    position = {code: i for i, code in enumerate(ordered)}
    for participation in engagement.delegations:
        participation.position = position[participation.delegation.code]
    engagement.precedence_rule = rule.value
    engagement.precedence_language = language
    engagement.precedence_lot = start_code.upper() if start_code else None
    lot = f", from {start_code.upper()}" if start_code else ""
    await record(db, engagement.id, "precedence_set", by, f"{rule.value} in {language}{lot}")
    await db.commit()
    return await get_engagement(db, engagement.id)


def _rank_of(engagement: Engagement, delegation: Delegation) -> precedence.ProtocolRank:
    heads = [
        a
        for a in engagement.attendees
        if a.person.delegation_id == delegation.id
        and a.role in (Role.HEAD_OF_DELEGATION, Role.CHAIR)
    ]
    if not heads:
        return precedence.ProtocolRank.OTHER
    return min(precedence.rank_from_office(a.person.office, delegation.kind) for a in heads)
