"""What a commit hands to the live connections, once and only once it has committed: its
events, words for one person alone, and rechecks of access; here and, through the hub's
outbox, on every other replica."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from summitry.log.events import EventEnvelope
from summitry.log.store import HUB, PENDING

if TYPE_CHECKING:
    from summitry.log.hub import Follower, LiveHub


@dataclass(frozen=True)
class Recheck:
    """Which live connections must check their access again now: of one engagement (or of
    all), and of one attendee, one invitation or one browser session (or every one). Plain
    data, so that another replica can apply it to its own connections."""

    engagement_id: int | None = None
    attendee_id: int | None = None
    invitation_id: int | None = None
    session_key: str | None = None

    def concerns(self, follower: Follower) -> bool:
        if self.session_key is not None:
            return follower.session_key == self.session_key
        if self.attendee_id is None and self.invitation_id is None:
            return True
        return (self.attendee_id is not None and follower.attendee_id == self.attendee_id) or (
            self.invitation_id is not None and follower.invitation_id == self.invitation_id
        )


PRIVATE = "live_private"
RECHECKS = "live_rechecks"


@event.listens_for(Session, "after_commit")
def _publish_committed(session: Session) -> None:
    """Publish what a session appended once, and only once, its transaction has committed."""
    pending: list[EventEnvelope] = session.info.pop(PENDING, [])
    private: list[tuple[int, int, dict[str, Any]]] = session.info.pop(PRIVATE, [])
    rechecks: list[Recheck] = session.info.pop(RECHECKS, [])
    hub: LiveHub | None = session.info.get(HUB)
    if hub is None:
        return
    # A word goes just before the events: the page holds it when the event asks for it.
    for engagement_id, attendee_id, message in private:
        hub.tell(engagement_id, attendee_id, message)
    if pending:
        hub.publish(pending)
    # After the events: a connection whose access ended is shown why before it closes.
    for recheck in rechecks:
        hub.recheck(recheck)
    if hub.outbox is not None:
        for engagement_id, attendee_id, message in private:
            hub.outbox(
                {
                    "kind": "tell",
                    "engagement_id": engagement_id,
                    "attendee_id": attendee_id,
                    "message": message,
                }
            )
        if pending:
            hub.outbox({"kind": "events", "events": [e.model_dump(mode="json") for e in pending]})
        for recheck in rechecks:
            hub.outbox({"kind": "recheck", **asdict(recheck)})


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(PRIVATE, None)
    session.info.pop(RECHECKS, None)


def recheck_after_commit(session: AsyncSession, recheck: Recheck) -> None:
    """Once the transaction commits, have the live connections ``recheck`` concerns (here and
    on every replica) check their access at once: what it took away (a session, an
    invitation) ends within a second."""
    session.info.setdefault(RECHECKS, []).append(recheck)


def tell_after_commit(
    session: AsyncSession, engagement_id: int, attendee_id: int, message: dict[str, Any]
) -> None:
    """Send ``message`` to that person's live connections once the transaction commits,
    just before its events: what must never be in the shared log (their media token) but must
    reach them as fast as the event it goes with."""
    session.info.setdefault(PRIVATE, []).append((engagement_id, attendee_id, message))
