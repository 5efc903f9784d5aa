"""The notices every party's delegation receives when a text is put to adoption, when the
procedure ends, and when the copy is ready for signature: kept with the change, shown on
"My engagements", and e-mailed to those of the delegation who are not connected.

A deadline is given in UTC and in the delegation's own capital, as the procedure's page does.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.db import utcnow
from summitry.delegations.models import Delegation
from summitry.documents.actors import DELEGATION_ROLES
from summitry.documents.deadlines import local_time
from summitry.documents.models import OutcomeDocument, Procedure, ProcedureKind
from summitry.engagements.operations import engagement_row
from summitry.notices.operations import Tidings, notify


async def procedure_opened(
    db: AsyncSession, document: OutcomeDocument, procedure: Procedure
) -> None:
    """Tell each party that the text is under silence procedure or written vote, and until when."""
    if procedure.kind is ProcedureKind.CONSENSUS or procedure.deadline is None:
        return
    engagement = await engagement_row(db, document.engagement_id)
    deadline = procedure.deadline
    utc = f"{deadline:%Y-%m-%d %H:%M} UTC"
    if procedure.kind is ProcedureKind.SILENCE:
        subject = f"Silence procedure on “{document.title}”: until {utc}"
        ask = (
            "The text is adopted at the deadline unless a delegation breaks silence before "
            "it. To break silence, give your delegation's reason in writing on the "
            "document's page."
        )
    else:
        subject = f"Written vote on “{document.title}”: ballots until {utc}"
        ask = (
            "Your head of delegation casts the delegation's ballot (yes, no or abstain) on the "
            "document's page before the deadline; a party that has not voted by then is "
            "counted absent."
        )
    await _tell(
        db,
        document,
        subject,
        lambda zone: (
            f"{engagement.title}: “{document.title}” (version {procedure.version}) is put to "
            f"adoption by {_KIND[procedure.kind]}, opened by {procedure.opened_by}.\n\n"
            f"Deadline: {utc}, that is {local_time(deadline, zone)} in your capital.\n\n{ask}"
        ),
    )


async def procedure_ended(
    db: AsyncSession, document: OutcomeDocument, procedure: Procedure
) -> None:
    """Tell each party how the procedure ended: adopted, broken, not carried, withdrawn."""
    engagement = await engagement_row(db, document.engagement_id)
    closed = procedure.closed_at or utcnow()
    await _tell(
        db,
        document,
        f"“{document.title}”: {procedure.outcome}",
        lambda zone: (
            f"{engagement.title}: the {_KIND[procedure.kind]} on “{document.title}” "
            f"(version {procedure.version}) ended at {closed:%Y-%m-%d %H:%M} UTC, "
            f"{local_time(closed, zone)} in your capital: {procedure.outcome}."
        ),
    )


async def copy_prepared(db: AsyncSession, document: OutcomeDocument) -> None:
    """Tell each party that the adopted text awaits its signature."""
    engagement = await engagement_row(db, document.engagement_id)
    await _tell(
        db,
        document,
        f"“{document.title}” is ready for signature",
        lambda zone: (
            f"{engagement.title}: the adopted text of “{document.title}” is prepared for "
            "signature. Your head of delegation signs for your delegation on the document's "
            "signing page, after the parties before."
        ),
        page="/signing",
    )


_KIND = {
    ProcedureKind.CONSENSUS: "consensus",
    ProcedureKind.SILENCE: "silence procedure",
    ProcedureKind.WRITTEN_VOTE: "written vote",
}


async def _tell(
    db: AsyncSession,
    document: OutcomeDocument,
    subject: str,
    body: Callable[[str], str],
    page: str = "",
) -> None:
    parties = list(
        await db.scalars(select(Delegation).where(Delegation.code.in_(document.parties)))
    )
    await notify(
        db,
        document.engagement_id,
        [Tidings(d.code, subject, body(d.timezone)) for d in parties],
        path=f"/engagements/{document.engagement_id}/documents/{document.id}{page}",
        roles=DELEGATION_ROLES,
        confidential=document.confidential,
    )
