"""The audit of an engagement's log: is its hash chain whole, and if not, where and how broken.

Each event's hash covers its predecessor's hash, its engagement, its number, its time and its
body. An edited row no longer matches its own hash; a deleted one leaves a gap in the numbers;
one slipped in (or put back in another order) does not follow the hash before it. The first
such event is named; everything before it is as it was written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.log.models import LiveEvent
from summitry.log.store import GENESIS, chain_hash

Breach = Literal["altered", "deleted", "inserted"]


@dataclass(frozen=True)
class Finding:
    """What the audit found in one engagement's log."""

    engagement_id: int
    events: int
    breach: Breach | None = None
    seq: int | None = None
    """The first event that is not as it was written (for ``deleted``: the one missing)."""

    @property
    def intact(self) -> bool:
        return self.breach is None

    def explain(self) -> str:
        """The finding in words a protocol officer reads."""
        if self.breach is None:
            return f"{self.events} event(s), chain intact"
        return {
            "altered": f"event {self.seq} was altered after it was written",
            "deleted": f"event {self.seq} is missing: it was deleted",
            "inserted": f"event {self.seq} was inserted or moved: it does not follow the last",
        }[self.breach]


async def audit(db: AsyncSession, engagement_id: int) -> Finding:
    """Check every event of the engagement's log against the chain, in order."""
    rows = await db.scalars(
        select(LiveEvent).where(LiveEvent.engagement_id == engagement_id).order_by(LiveEvent.seq)
    )
    prev, expected, count = GENESIS, 1, 0
    for row in rows:
        count += 1
        own = chain_hash(row.prev_hash, engagement_id, row.seq, row.at.isoformat(), row.payload)
        if row.seq > expected and row.prev_hash != prev:
            return Finding(engagement_id, count, "deleted", expected)
        if row.hash != own:
            return Finding(engagement_id, count, "altered", row.seq)
        if row.seq != expected or row.prev_hash != prev:
            return Finding(engagement_id, count, "inserted", row.seq)
        prev, expected = row.hash, expected + 1
    return Finding(engagement_id, count)


async def logged_engagements(db: AsyncSession) -> list[int]:
    """Every engagement that has a log, in order."""
    found = await db.scalars(
        select(LiveEvent.engagement_id).distinct().order_by(LiveEvent.engagement_id)
    )
    return list(found)
