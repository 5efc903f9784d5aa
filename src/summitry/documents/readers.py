"""The text on every screen, carried by the live feed to those who may read it.

A change to the text (an edit, an amendment, the paragraph on screen) reaches each reader's
connections with the document itself, just before its event (``tell_after_commit``): the
page shows it without asking. 200 pages each asking for the document after every edit took
3.5-4.5 s to serve on two cores (bench/document_edit.py); the log's event alone reaches them
in some 50 ms. The log never carries the text: a confidential draft goes only to those who
may read it (``actors.may_read``), the same rule the API applies.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from summitry.documents.actors import DELEGATION_ROLES
from summitry.documents.models import OutcomeDocument
from summitry.engagements.attendance import attendance
from summitry.engagements.models import Role
from summitry.log.committed import tell_after_commit


async def tell_readers(
    db: AsyncSession, document: OutcomeDocument, screen: dict[str, int] | None = None
) -> None:
    """Send the document as it now stands to every reader's connections, once this
    transaction commits; ``screen``: the paragraph the chair has put on every screen."""
    # Imported here: presentation reads through drafting, which calls this module.
    from summitry.documents.presentation import document_detail

    detail = (await document_detail(db, document)).model_dump(mode="json")
    message = {"type": "document", "document": detail, "screen": screen}
    for line in await attendance(db, document.engagement_id):
        if _reads(line.role, line.delegation_code, document):
            tell_after_commit(db, document.engagement_id, line.attendee_id, message)


def _reads(role: Role, delegation: str, document: OutcomeDocument) -> bool:
    """``actors.may_read`` for an attendee of the engagement (the press follow the meeting's
    feed only where they may see its details, so they are among its followers already)."""
    if not document.confidential or role in (Role.SECRETARIAT, Role.CHAIR):
        return True
    return role in DELEGATION_ROLES and delegation in document.parties
