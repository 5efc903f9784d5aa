"""Adoption procedures: consensus under the chair's gavel, the silence procedure, the
written vote. Each is a row and a series of events; a deadline is the row's, so the one that
passes while no server runs is closed when one starts (``close_due``), as of the deadline.

A written vote is carried when more parties vote yes than no (abstentions and absences do
not count); it closes at its deadline, or as soon as every party has voted.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.db import utcnow
from summitry.documents import circulars
from summitry.documents import texts as text_rules
from summitry.documents.actors import Actor, require_chair, require_secretariat
from summitry.documents.drafting import require_draft, version_of
from summitry.documents.events import (
    BallotCast,
    ProcedureEnded,
    ProcedureOpened,
    SilenceBroken,
    TextAdopted,
)
from summitry.documents.models import (
    Ballot,
    Choice,
    DocumentStage,
    OutcomeDocument,
    Procedure,
    ProcedureKind,
    ProcedureStatus,
)
from summitry.errors import Conflict, Forbidden, InvalidInput, NotFound

MIN_DEADLINE = dt.timedelta(seconds=2)
MAX_DEADLINE = dt.timedelta(days=60)
MAX_REASON = 2000


async def procedures_of(db: AsyncSession, document_id: int) -> list[Procedure]:
    rows = await db.scalars(
        select(Procedure).where(Procedure.document_id == document_id).order_by(Procedure.id)
    )
    return list(rows)


async def procedure_of(db: AsyncSession, document: OutcomeDocument, procedure_id: int) -> Procedure:
    found = await db.get(Procedure, procedure_id)
    if found is None or found.document_id != document.id:
        raise NotFound("this document has no such procedure")
    return found


async def ballots_of(db: AsyncSession, procedure_id: int) -> list[Ballot]:
    rows = await db.scalars(
        select(Ballot).where(Ballot.procedure_id == procedure_id).order_by(Ballot.id)
    )
    return list(rows)


async def open_procedure(
    db: AsyncSession,
    actor: Actor,
    document: OutcomeDocument,
    kind: ProcedureKind,
    deadline: dt.datetime | None,
) -> Procedure:
    """Put the latest version to adoption; silence and votes need a deadline."""
    if kind is ProcedureKind.CONSENSUS:
        require_chair(actor, "seek consensus")
    else:
        require_secretariat(actor, f"open a {_NAMES[kind]}")
    await log.hold(db, document.engagement_id)
    await db.refresh(document)
    require_draft(document)
    latest = await version_of(db, document.id, None)
    contested = text_rules.bracketed(latest.texts)
    if contested:
        where = ", ".join(f"{lang} ¶{n}" for lang, n in contested[:5])
        raise Conflict(
            f"passages are still in square brackets ({where}): agree them, then put the "
            "text to adoption"
        )
    now = utcnow()
    if kind is ProcedureKind.CONSENSUS:
        deadline = None
    elif deadline is None:
        raise InvalidInput(f"a {_NAMES[kind]} needs a deadline (UTC)", field="deadline")
    elif deadline - now < MIN_DEADLINE:
        raise InvalidInput("the deadline has passed: give one in the future", field="deadline")
    elif deadline - now > MAX_DEADLINE:
        raise InvalidInput("give a deadline within 60 days", field="deadline")
    procedure = Procedure(
        document_id=document.id,
        engagement_id=document.engagement_id,
        kind=kind,
        version=latest.number,
        text_sha256=latest.sha256,
        opened_by=actor.name,
        deadline=deadline,
        status=ProcedureStatus.OPEN,
    )
    db.add(procedure)
    document.stage = DocumentStage.UNDER_PROCEDURE
    await db.flush()
    await log.append(
        db,
        document.engagement_id,
        ProcedureOpened(
            document_id=document.id,
            procedure_id=procedure.id,
            procedure=kind.value,
            version=latest.number,
            text_sha256=latest.sha256,
            deadline=deadline,
            parties=document.parties,
            by=actor.name,
        ),
    )
    await circulars.procedure_opened(db, document, procedure)
    await db.commit()
    return procedure


async def _open(db: AsyncSession, document: OutcomeDocument, procedure: Procedure) -> None:
    """Hold the log and read the procedure again; refuse one that is over."""
    await log.hold(db, document.engagement_id)
    await db.refresh(procedure)
    await db.refresh(document)
    if procedure.status is not ProcedureStatus.OPEN:
        raise Conflict(f"this {_NAMES[procedure.kind]} is over: {procedure.outcome}")


async def gavel(
    db: AsyncSession, actor: Actor, document: OutcomeDocument, procedure: Procedure
) -> Procedure:
    """The chair finds consensus: the text is adopted as it stands."""
    require_chair(actor, "strike the gavel")
    if procedure.kind is not ProcedureKind.CONSENSUS:
        raise Conflict(f"a {_NAMES[procedure.kind]} ends at its deadline, not by the gavel")
    await _open(db, document, procedure)
    await adopt(db, document, procedure, actor.name, utcnow(), None)
    await db.commit()
    return procedure


async def break_silence(
    db: AsyncSession, actor: Actor, document: OutcomeDocument, procedure: Procedure, reason: str
) -> Procedure:
    """A party's delegation breaks silence, in writing: the text is not adopted."""
    delegation = actor.speaks_for(document.parties)
    if delegation is None:
        raise Forbidden(
            "silence is broken by a delegation taking part in the procedure: "
            f"{', '.join(document.parties)}"
        )
    if procedure.kind is not ProcedureKind.SILENCE:
        raise Conflict("silence is broken only under a silence procedure")
    await _open(db, document, procedure)
    now = utcnow()
    if procedure.deadline is not None and now >= procedure.deadline:
        raise Conflict(
            f"the silence procedure ended at {procedure.deadline:%Y-%m-%d %H:%M} UTC: "
            "silence can no longer be broken"
        )
    words = reason.strip()
    if len(" ".join(words.split())) < 3:
        raise InvalidInput("say in writing why your delegation breaks silence", field="reason")
    if len(words) > MAX_REASON:
        raise InvalidInput(f"keep the reason under {MAX_REASON} characters", field="reason")
    events = [
        SilenceBroken(
            document_id=document.id,
            procedure_id=procedure.id,
            delegation=delegation,
            by=actor.name,
        ),
        ProcedureEnded(
            document_id=document.id,
            procedure_id=procedure.id,
            outcome="broken",
            effective_at=now,
            by=actor.name,
        ),
    ]
    procedure.reason = words
    _end(procedure, document, ProcedureStatus.BROKEN, now, f"silence broken by {delegation}")
    await log.append_all(db, document.engagement_id, list(events))
    await circulars.procedure_ended(db, document, procedure)
    await db.commit()
    return procedure


async def cast(
    db: AsyncSession, actor: Actor, document: OutcomeDocument, procedure: Procedure, choice: Choice
) -> Ballot:
    """A party's ballot, cast once by its authorised person before the deadline."""
    delegation = actor.authorised_for(document.parties)
    if delegation is None:
        raise Forbidden(
            "a party's ballot is cast by its head of delegation (or the chair sitting for it); "
            "you are not authorised to vote"
        )
    if procedure.kind is not ProcedureKind.WRITTEN_VOTE:
        raise Conflict("ballots are cast only in a written vote")
    await _open(db, document, procedure)
    now = utcnow()
    if procedure.deadline is not None and now >= procedure.deadline:
        raise Conflict(
            f"the vote closed at {procedure.deadline:%Y-%m-%d %H:%M:%S} UTC: "
            "a ballot after the deadline is not counted"
        )
    earlier = await db.scalar(
        select(Ballot).where(Ballot.procedure_id == procedure.id, Ballot.delegation == delegation)
    )
    if earlier is not None:
        raise Conflict(
            f"{delegation} has voted already ({earlier.choice.value}, by {earlier.cast_by} at "
            f"{earlier.cast_at:%H:%M:%S} UTC): a ballot is cast once"
        )
    ballot = Ballot(
        procedure_id=procedure.id, delegation=delegation, choice=choice, cast_by=actor.name
    )
    db.add(ballot)
    await db.flush()
    await log.append(
        db,
        document.engagement_id,
        BallotCast(
            document_id=document.id,
            procedure_id=procedure.id,
            delegation=delegation,
            choice=choice.value,
            by=actor.name,
        ),
    )
    ballots = await ballots_of(db, procedure.id)
    if {b.delegation for b in ballots} >= set(document.parties):
        await count(db, document, procedure, "the vote (every party has voted)", now)
    await db.commit()
    return ballot


async def withdraw(
    db: AsyncSession, actor: Actor, document: OutcomeDocument, procedure: Procedure
) -> Procedure:
    """The secretariat withdraws the text from adoption, to negotiate it further."""
    require_secretariat(actor, "withdraw a procedure")
    await _open(db, document, procedure)
    now = utcnow()
    if procedure.deadline is not None and now >= procedure.deadline:
        raise Conflict(
            f"the {_NAMES[procedure.kind]} ended at {procedure.deadline:%Y-%m-%d %H:%M} UTC: "
            "it is closed as of its deadline, not withdrawn"
        )
    _end(procedure, document, ProcedureStatus.WITHDRAWN, now, f"withdrawn by {actor.name}")
    await log.append(
        db,
        document.engagement_id,
        ProcedureEnded(
            document_id=document.id,
            procedure_id=procedure.id,
            outcome="withdrawn",
            effective_at=now,
            by=actor.name,
        ),
    )
    await circulars.procedure_ended(db, document, procedure)
    await db.commit()
    return procedure


async def tally(db: AsyncSession, engagement_id: int, procedure_id: int) -> dict[str, int]:
    """A written vote counted from the log alone: its parties, and each party's first ballot."""
    parties: list[str] = []
    choices: dict[str, str] = {}
    for envelope in await log.events_of(db, engagement_id, ("procedure_opened", "ballot_cast")):
        event = envelope.event
        if isinstance(event, ProcedureOpened) and event.procedure_id == procedure_id:
            parties = list(event.parties)
        elif isinstance(event, BallotCast) and event.procedure_id == procedure_id:
            choices.setdefault(event.delegation, event.choice)
    counted = Counter(choices[p] for p in parties if p in choices)
    return {
        "yes": counted["yes"],
        "no": counted["no"],
        "abstain": counted["abstain"],
        "absent": sum(1 for p in parties if p not in choices),
    }


async def count(
    db: AsyncSession,
    document: OutcomeDocument,
    procedure: Procedure,
    by: str,
    at: dt.datetime,
) -> None:
    """Close a written vote with its tally from the log: adopted, or not carried."""
    counted = await tally(db, document.engagement_id, procedure.id)
    if counted["yes"] > counted["no"]:
        await adopt(db, document, procedure, by, at, counted)
        return
    _end(procedure, document, ProcedureStatus.REJECTED, at, _tally_words(counted, "not carried"))
    await log.append(
        db,
        document.engagement_id,
        ProcedureEnded(
            document_id=document.id,
            procedure_id=procedure.id,
            outcome="rejected",
            effective_at=at,
            by=by,
            tally=counted,
        ),
    )
    await circulars.procedure_ended(db, document, procedure)


async def adopt(
    db: AsyncSession,
    document: OutcomeDocument,
    procedure: Procedure,
    by: str,
    at: dt.datetime,
    counted: dict[str, int] | None,
) -> None:
    """The procedure adopts the text it was opened on, taking effect at ``at``."""
    outcome = f"adopted by {_NAMES[procedure.kind]}"
    if counted is not None:
        outcome = _tally_words(counted, "adopted")
    procedure.status = ProcedureStatus.ADOPTED
    procedure.closed_at = at
    procedure.outcome = outcome
    document.stage = DocumentStage.ADOPTED
    document.adopted_version = procedure.version
    await log.append(
        db,
        document.engagement_id,
        TextAdopted(
            document_id=document.id,
            procedure_id=procedure.id,
            procedure=procedure.kind.value,
            version=procedure.version,
            text_sha256=procedure.text_sha256,
            effective_at=at,
            by=by,
            tally=counted,
        ),
    )
    await circulars.procedure_ended(db, document, procedure)


def _end(
    procedure: Procedure,
    document: OutcomeDocument,
    status: ProcedureStatus,
    at: dt.datetime,
    outcome: str,
) -> None:
    procedure.status = status
    procedure.closed_at = at
    procedure.outcome = outcome
    document.stage = DocumentStage.DRAFT


def _tally_words(counted: dict[str, int], verdict: str) -> str:
    return (
        f"{verdict}: {counted['yes']} yes, {counted['no']} no, "
        f"{counted['abstain']} abstaining, {counted['absent']} absent"
    )


VOTE_RULE = "carried when more parties vote yes than no; abstentions and absences do not count"

_NAMES = {
    ProcedureKind.CONSENSUS: "consensus",
    ProcedureKind.SILENCE: "silence procedure",
    ProcedureKind.WRITTEN_VOTE: "written vote",
}
