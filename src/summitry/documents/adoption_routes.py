"""HTTP API of adoption: consensus under the gavel, the silence procedure, the written vote."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from summitry.db import utcnow
from summitry.deps import CurrentPrincipal, Db, RecordId
from summitry.documents import adoption
from summitry.documents.actors import Actor
from summitry.documents.deadlines import deadline_after
from summitry.documents.models import OutcomeDocument, Procedure
from summitry.documents.presentation import procedure_out
from summitry.documents.routes import act, document_asked, router
from summitry.documents.schemas import BallotIn, ProcedureIn, ProcedureOut, SilenceBreakIn
from summitry.errors import InvalidInput


@router.post("/{document_id}/procedures", status_code=201)
async def open_procedure(
    engagement_id: RecordId,
    document_id: RecordId,
    data: ProcedureIn,
    db: Db,
    principal: CurrentPrincipal,
) -> ProcedureOut:
    """Put the latest version to adoption: consensus, a silence procedure or a written vote."""
    actor, document = await document_asked(db, principal, engagement_id, document_id)
    deadline = data.deadline
    if data.hours is not None:
        if deadline is not None:
            raise InvalidInput("give a deadline or a number of hours, not both", field="hours")
        deadline = deadline_after(utcnow(), data.hours)

    async def work() -> ProcedureOut:
        opened = await adoption.open_procedure(db, actor, document, data.kind, deadline)
        return await procedure_out(db, document, opened)

    return await act(db, actor, document, f"open {data.kind.value}", work)


async def _procedure(
    db: AsyncSession, principal: CurrentPrincipal, engagement_id: int, document_id: int, pid: int
) -> tuple[Actor, OutcomeDocument, Procedure]:
    actor, document = await document_asked(db, principal, engagement_id, document_id)
    return actor, document, await adoption.procedure_of(db, document, pid)


@router.get("/{document_id}/procedures/{procedure_id}")
async def read_procedure(
    engagement_id: RecordId,
    document_id: RecordId,
    procedure_id: RecordId,
    db: Db,
    principal: CurrentPrincipal,
) -> ProcedureOut:
    """A procedure with its deadline in every capital's time, its ballots and (for a vote)
    the tally recounted from the log."""
    _, document, procedure = await _procedure(
        db, principal, engagement_id, document_id, procedure_id
    )
    return await procedure_out(db, document, procedure)


@router.post("/{document_id}/procedures/{procedure_id}/gavel")
async def strike_gavel(
    engagement_id: RecordId,
    document_id: RecordId,
    procedure_id: RecordId,
    db: Db,
    principal: CurrentPrincipal,
) -> ProcedureOut:
    """The chair finds consensus: the text is adopted exactly as it stands."""
    actor, document, procedure = await _procedure(
        db, principal, engagement_id, document_id, procedure_id
    )

    async def work() -> ProcedureOut:
        return await procedure_out(
            db, document, await adoption.gavel(db, actor, document, procedure)
        )

    return await act(db, actor, document, "gavel", work)


@router.post("/{document_id}/procedures/{procedure_id}/silence-breaks")
async def break_silence(
    engagement_id: RecordId,
    document_id: RecordId,
    procedure_id: RecordId,
    data: SilenceBreakIn,
    db: Db,
    principal: CurrentPrincipal,
) -> ProcedureOut:
    """A party's delegation breaks silence, giving its reason in writing."""
    actor, document, procedure = await _procedure(
        db, principal, engagement_id, document_id, procedure_id
    )

    async def work() -> ProcedureOut:
        broken = await adoption.break_silence(db, actor, document, procedure, data.reason)
        return await procedure_out(db, document, broken)

    return await act(db, actor, document, "break silence", work)


@router.post("/{document_id}/procedures/{procedure_id}/ballots", status_code=201)
async def cast_ballot(
    engagement_id: RecordId,
    document_id: RecordId,
    procedure_id: RecordId,
    data: BallotIn,
    db: Db,
    principal: CurrentPrincipal,
) -> ProcedureOut:
    """A party's authorised person casts its ballot: yes, no or abstain, once."""
    actor, document, procedure = await _procedure(
        db, principal, engagement_id, document_id, procedure_id
    )

    async def work() -> ProcedureOut:
        await adoption.cast(db, actor, document, procedure, data.choice)
        return await procedure_out(db, document, procedure)

    return await act(db, actor, document, "ballot", work)


@router.post("/{document_id}/procedures/{procedure_id}/withdraw")
async def withdraw_procedure(
    engagement_id: RecordId,
    document_id: RecordId,
    procedure_id: RecordId,
    db: Db,
    principal: CurrentPrincipal,
) -> ProcedureOut:
    """The secretariat takes the text back from adoption, to negotiate it further."""
    actor, document, procedure = await _procedure(
        db, principal, engagement_id, document_id, procedure_id
    )

    async def work() -> ProcedureOut:
        withdrawn = await adoption.withdraw(db, actor, document, procedure)
        return await procedure_out(db, document, withdrawn)

    return await act(db, actor, document, "withdraw", work)
