"""The deadlines of adoption procedures, kept by one process at a time.

A deadline is the procedure's row, not a timer: every second the clock closes whatever is
due, and a clock that starts (after a restart, or on another replica when the lease moves)
closes at once what fell due while none ran, as of the deadline itself.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry import log
from summitry.db import intend_to_write, utcnow
from summitry.documents import adoption
from summitry.documents.models import (
    OutcomeDocument,
    Procedure,
    ProcedureKind,
    ProcedureStatus,
)
from summitry.ticking import Ticking

logger = logging.getLogger(__name__)

TICK_SECONDS = 1.0


async def close_due(
    sessionmaker: async_sessionmaker[AsyncSession], now: dt.datetime | None = None
) -> int:
    """Close every open procedure whose deadline has passed, as of its deadline: silence
    kept adopts the text; a vote is counted. How many were closed."""
    moment = now or utcnow()
    async with sessionmaker() as db:
        due = list(
            await db.scalars(
                select(Procedure.id).where(
                    Procedure.status == ProcedureStatus.OPEN, Procedure.deadline <= moment
                )
            )
        )
    closed = 0
    for procedure_id in due:
        try:
            closed += await _close(sessionmaker, procedure_id)
        except Exception:  # one procedure that cannot be closed keeps none of the others open
            logger.exception("could not close procedure %s at its deadline", procedure_id)
    return closed


async def _close(sessionmaker: async_sessionmaker[AsyncSession], procedure_id: int) -> int:
    """Close one due procedure in a transaction of its own: 1, or 0 if it was not due."""
    async with sessionmaker() as db:
        await intend_to_write(db)
        procedure = await db.get(Procedure, procedure_id)
        if procedure is None:
            return 0
        document = await db.get(OutcomeDocument, procedure.document_id)
        if document is None:
            return 0
        await log.hold(db, procedure.engagement_id)
        await db.refresh(procedure)
        if procedure.status is not ProcedureStatus.OPEN or procedure.deadline is None:
            return 0
        at = procedure.deadline
        if procedure.kind is ProcedureKind.SILENCE:
            await adoption.adopt(db, document, procedure, "the silence procedure", at, None)
        else:
            await adoption.count(db, document, procedure, "the vote (deadline reached)", at)
        await db.commit()
        return 1


class ProcedureClock(Ticking):
    """Closes due procedures every ``TICK_SECONDS`` while it runs: a database away for a while
    delays a deadline's close, which the next tick makes as of the deadline all the same."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(
            "procedure clock", self._close_due, TICK_SECONDS, timeout=30, at_start=True
        )
        self.sessionmaker = sessionmaker

    async def _close_due(self) -> None:
        closed = await close_due(self.sessionmaker)
        if closed:
            logger.info("closed %d procedure(s) at their deadline", closed)
