"""The minutes drawn from an engagement's log: attendance, the agenda, the speaking log,
decisions and documents adopted, each line from the events that recorded it.

The floor's speaking log and roll calls are the floor's own projections (``floor.records``);
who the attendees are comes from ``engagements.attendance``; documents are asked of the
documents capability. What is folded here is only what nobody projects yet: each stay in the
room (admitted, left) and each sitting of an agenda item.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.documents.actors import Actor
from summitry.documents.drafting import documents_of
from summitry.documents.events import ProcedureEnded, ProcedureOpened, TextAdopted
from summitry.documents.models import OutcomeDocument
from summitry.engagements.attendance import AttendeeLine, attendance
from summitry.engagements.models import Engagement, Role
from summitry.engagements.operations import get_engagement
from summitry.floor.events import ItemClosed, ItemOpened
from summitry.floor.records import RollCallRecord, Statement, roll_calls, speaking_log
from summitry.interpretation.events import InterpreterLive
from summitry.meeting.events import Admitted, Left, LobbyEntered, MeetingEnded, Removed

PRESENCE_KINDS = ("lobby_entered", "admitted", "left", "removed", "meeting_ended")
AGENDA_KINDS = ("item_opened", "item_closed")
BOOTH_KINDS = ("interpreter_live", "left", "removed", "meeting_ended")
DECISION_KINDS = ("procedure_opened", "text_adopted", "procedure_ended")

# Documents are read as the secretariat reads them: every one of the engagement. What of a
# confidential one reaches the minutes is decided below, not by who asks.
_THE_RECORD = Actor("the record", True)


class Heading(BaseModel):
    title: str
    kind: str
    held_on: dt.date
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    host: str
    zone: str
    """The host's IANA time zone, the second clock of every time in the minutes."""
    chairs: list[str]
    languages: list[str]
    confidentiality: str


class Stay(BaseModel):
    """One person's time in the room: from their admission to their leaving."""

    attendee_id: int
    name: str
    office: str
    delegation: str
    delegation_name: str
    role: str
    channel: str
    admitted_at: dt.datetime
    left_at: dt.datetime | None
    how_left: str | None
    """left, removed, meeting_ended; ``None`` while still there."""


class Sitting(BaseModel):
    opened_at: dt.datetime
    closed_at: dt.datetime | None


class AgendaLine(BaseModel):
    number: int
    title: str
    sittings: list[Sitting]


class BoothTurn(BaseModel):
    """An interpreter on the air in a booth: its channel carried the floor in its language."""

    booth: str
    interpreter: str
    started_at: dt.datetime
    ended_at: dt.datetime | None


class Decision(BaseModel):
    """An adoption procedure on a document, and how it ended."""

    document_id: int
    document: str
    procedure: str
    version: int
    opened_at: dt.datetime
    outcome: str
    """adopted, broken, rejected, withdrawn; ``pending`` while it runs."""
    decided_at: dt.datetime | None
    tally: dict[str, int] | None


class AdoptedText(BaseModel):
    document_id: int
    title: str
    kind: str
    version: int
    procedure: str
    adopted_at: dt.datetime
    text_sha256: str


class Record(BaseModel):
    """Everything the minutes draw from the log, in the order they show it."""

    heading: Heading
    attendance: list[Stay]
    agenda: list[AgendaLine]
    speeches: list[Statement]
    interpretation: list[BoothTurn] = []
    roll_calls: list[RollCallRecord]
    decisions: list[Decision]
    adopted: list[AdoptedText]

    @property
    def empty(self) -> bool:
        """Nothing happened that minutes could record."""
        return not (self.attendance or self.speeches or self.decisions)


async def draw(db: AsyncSession, engagement_id: int) -> Record:
    """The engagement's record as its log holds it now."""
    engagement = await get_engagement(db, engagement_id)
    people = {line.attendee_id: line for line in await attendance(db, engagement_id)}
    documents = {d.id: d for d in await documents_of(db, _THE_RECORD, engagement_id)}
    decisions, adopted = await _decisions(db, engagement_id, documents)
    return Record(
        heading=_heading(engagement, people),
        attendance=await _stays(db, engagement_id, people),
        agenda=await _agenda(db, engagement),
        speeches=await speaking_log(db, engagement_id),
        interpretation=await _booths(db, engagement_id, people),
        roll_calls=await roll_calls(db, engagement_id),
        decisions=decisions,
        adopted=adopted,
    )


def _heading(engagement: Engagement, people: dict[int, AttendeeLine]) -> Heading:
    chairs = sorted(
        (line for line in people.values() if line.role is Role.CHAIR), key=lambda x: x.attendee_id
    )
    return Heading(
        title=engagement.title,
        kind=engagement.kind.value,
        held_on=engagement.held_on,
        starts_at=engagement.starts_at,
        ends_at=engagement.ends_at,
        host=engagement.host.name if engagement.host else "",
        zone=engagement.host.timezone if engagement.host else "UTC",
        chairs=[f"{c.name} ({c.delegation_name})" for c in chairs],
        languages=list(engagement.languages),
        confidentiality=engagement.confidentiality.value,
    )


async def _stays(
    db: AsyncSession, engagement_id: int, people: dict[int, AttendeeLine]
) -> list[Stay]:
    channels: dict[int, str] = {}
    stays: list[Stay] = []
    open_stays: dict[int, Stay] = {}
    for envelope in await log.events_of(db, engagement_id, PRESENCE_KINDS):
        event = envelope.event
        if isinstance(event, LobbyEntered):
            channels[event.attendee_id] = event.channel
        elif isinstance(event, Admitted) and event.attendee_id not in open_stays:
            line = people.get(event.attendee_id)
            stay = Stay(
                attendee_id=event.attendee_id,
                name=line.name if line else f"attendee {event.attendee_id}",
                office=line.office if line else "",
                delegation=line.delegation_code if line else "",
                delegation_name=line.delegation_name if line else "",
                role=line.role.value if line else "",
                channel=channels.get(event.attendee_id, "browser"),
                admitted_at=envelope.at,
                left_at=None,
                how_left=None,
            )
            stays.append(stay)
            open_stays[event.attendee_id] = stay
        elif isinstance(event, Left | Removed) and event.attendee_id in open_stays:
            stay = open_stays.pop(event.attendee_id)
            stay.left_at = envelope.at
            stay.how_left = "removed" if isinstance(event, Removed) else (event.reason or "left")
        elif isinstance(event, MeetingEnded):
            for stay in open_stays.values():
                stay.left_at, stay.how_left = envelope.at, "meeting_ended"
            open_stays.clear()
    return stays


async def _booths(
    db: AsyncSession, engagement_id: int, people: dict[int, AttendeeLine]
) -> list[BoothTurn]:
    """Each interpreter's time on the air: to a handover, going off, leaving or the end."""
    turns: list[BoothTurn] = []
    live: dict[str, tuple[int, BoothTurn]] = {}
    for envelope in await log.events_of(db, engagement_id, BOOTH_KINDS):
        event = envelope.event
        if isinstance(event, InterpreterLive):
            ending = [event.booth]
        elif isinstance(event, Left | Removed):
            ending = [booth for booth, (who, _) in live.items() if who == event.attendee_id]
        else:
            ending = list(live)
        for booth in ending:
            if booth in live:
                live.pop(booth)[1].ended_at = envelope.at
        if isinstance(event, InterpreterLive) and event.attendee_id is not None:
            line = people.get(event.attendee_id)
            turn = BoothTurn(
                booth=event.booth,
                interpreter=line.name if line else f"attendee {event.attendee_id}",
                started_at=envelope.at,
                ended_at=None,
            )
            turns.append(turn)
            live[event.booth] = (event.attendee_id, turn)
    return turns


async def _agenda(db: AsyncSession, engagement: Engagement) -> list[AgendaLine]:
    lines = [
        AgendaLine(number=i.position + 1, title=i.title, sittings=[]) for i in engagement.agenda
    ]
    by_position = {i.position: line for i, line in zip(engagement.agenda, lines, strict=True)}
    sitting: Sitting | None = None
    for envelope in await log.events_of(db, engagement.id, AGENDA_KINDS):
        event = envelope.event
        if isinstance(event, ItemOpened):
            line = by_position.get(event.item)
            if line is None:  # an item since taken off the agenda: still in the record
                line = AgendaLine(number=event.item + 1, title=event.title, sittings=[])
                by_position[event.item] = line
                lines.append(line)
            sitting = Sitting(opened_at=envelope.at, closed_at=None)
            line.sittings.append(sitting)
        elif isinstance(event, ItemClosed) and sitting is not None:
            sitting.closed_at, sitting = envelope.at, None
    return sorted(lines, key=lambda line: line.number)


def document_label(document: OutcomeDocument | None, document_id: int) -> str:
    """A document as the minutes name it: a confidential one only by its kind, since the
    minutes reach everyone who may see the engagement's details, not its parties alone."""
    if document is None:
        return f"Document no. {document_id}"
    if document.confidential:
        return f"A confidential {document.kind.value.replace('_', ' ')} (no. {document_id})"
    return document.title


async def _decisions(
    db: AsyncSession, engagement_id: int, documents: dict[int, OutcomeDocument]
) -> tuple[list[Decision], list[AdoptedText]]:
    decisions: dict[int, Decision] = {}
    adopted: list[AdoptedText] = []
    for envelope in await log.events_of(db, engagement_id, DECISION_KINDS):
        event = envelope.event
        if isinstance(event, ProcedureOpened):
            decisions[event.procedure_id] = Decision(
                document_id=event.document_id,
                document=document_label(documents.get(event.document_id), event.document_id),
                procedure=event.procedure,
                version=event.version,
                opened_at=envelope.at,
                outcome="pending",
                decided_at=None,
                tally=None,
            )
        elif isinstance(event, TextAdopted | ProcedureEnded):
            decision = decisions.get(event.procedure_id)
            if decision is not None:
                decision.decided_at, decision.tally = envelope.at, event.tally
                decision.outcome = "adopted" if isinstance(event, TextAdopted) else event.outcome
            if isinstance(event, TextAdopted):
                document = documents.get(event.document_id)
                adopted.append(
                    AdoptedText(
                        document_id=event.document_id,
                        title=document_label(document, event.document_id),
                        kind=document.kind.value if document else "",
                        version=event.version,
                        procedure=event.procedure,
                        adopted_at=envelope.at,
                        text_sha256=event.text_sha256,
                    )
                )
    return list(decisions.values()), adopted
