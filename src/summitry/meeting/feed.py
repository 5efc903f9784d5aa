"""The live feed of one browser: a snapshot, then every commit's events, resumable after any
interruption, with heartbeats, closed as soon as the person's access ends."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from sqlalchemy import select

from summitry import log
from summitry.db import intend_to_write, utcnow
from summitry.engagements.models import Attendee, Engagement
from summitry.engagements.operations import get_engagement
from summitry.engagements.presentation import may_see_details
from summitry.errors import SummitryError
from summitry.log.events import EventEnvelope
from summitry.log.hub import HUB, RECHECK, Follower, LiveHub, Outgoing, events_message
from summitry.log.wire import WIRE, Wire
from summitry.meeting import operations
from summitry.meeting.presentation import roster
from summitry.meeting.state import fold
from summitry.security.models import Invitation
from summitry.security.principals import (
    SESSION_KEY,
    Invitee,
    Principal,
    require_engagement_access,
    resolve,
)

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
RECHECK_AGE = 1.0  # how old a shared read may be where a moment old will do, seconds
CATCH_UP_LIMIT = 5000


class LiveConnection(Follower):
    """One browser's live feed: resumable, with heartbeats, closed when access ends.

    A meeting may have 1,000 of these. What every one of them would read at the same moment
    (the engagement's row, its roster, the folded state, the last sequence number) is read
    once for all of them (``LiveHub.shared``), never earlier than each asked; each commit's
    events are encoded once, and once this connection has caught up the hub writes them to
    its socket itself (``Follower``). No pooled database connection is held while a shared
    read is awaited: with 1,000 waiters the pool would run dry and every read time out.
    """

    def __init__(self, websocket: WebSocket, engagement_id: int) -> None:
        super().__init__(engagement_id)
        self.websocket = websocket
        self.hub: LiveHub = websocket.app.state.runtime.hub
        self.sessionmaker = websocket.app.state.runtime.sessions
        self.own_wire: Wire | None = (websocket.scope.get("extensions") or {}).get(WIRE)
        self.principal: Principal | None = None
        self.hub.follow(self)

    def close(self) -> None:
        self.hub.unfollow(self)

    async def _follower(self) -> tuple[bool, Principal | None]:
        """The session's principal, and whether it may still follow the meeting (if not, the
        socket is closed)."""
        async with self.sessionmaker() as db:
            principal = await resolve(db, self.websocket.session)
        try:
            await self._require_follower(principal)
        except SummitryError as err:
            await self.websocket.close(
                code=4401 if err.status == 401 else 4404, reason=err.message[:120]
            )
            return False, principal
        return True, principal

    async def _allowed(self) -> bool:
        """Whether the socket may stay open (if not, it is closed). An invitee's heartbeat asks
        one read of the engagement's usable invitations, at most a second old, shared by every
        connection: 1,000 connections each resolving their session every 15 s kept the server
        busy when the floor changed hands. Anything doubtful goes to the full check."""
        who = self.principal
        if isinstance(who, Invitee):
            grant = who.grant_for(self.engagement_id)
            usable = await self.hub.recent(
                ("usable invitations", self.engagement_id),
                partial(_read_usable_invitations, self.sessionmaker, self.engagement_id),
                RECHECK_AGE,
            )
            engagement = await self.hub.recent(
                ("engagement", self.engagement_id),
                partial(_read_engagement, self.sessionmaker, self.engagement_id),
                RECHECK_AGE,
            )
            if (
                grant is not None
                and grant.invitation_id in usable
                and engagement is not None
                and may_see_details(who, engagement)
            ):
                return True
        allowed, self.principal = await self._follower()
        return allowed

    async def _require_follower(self, principal: Principal | None) -> None:
        """``operations.require_follower``, without loading the whole engagement (every
        attendee with their person and delegation) to read one column: that load, made by
        each of 1,000 connections every heartbeat, is what a large meeting cannot afford.
        Where the light check would refuse, the operation itself decides and words the
        refusal; keep this in step with it."""
        who = require_engagement_access(principal, self.engagement_id)
        if isinstance(who, Invitee):
            engagement = await self.hub.shared(
                ("engagement", self.engagement_id),
                partial(_read_engagement, self.sessionmaker, self.engagement_id),
            )
            if engagement is None or not may_see_details(who, engagement):
                async with self.sessionmaker() as db:
                    await operations.require_follower(db, principal, self.engagement_id)

    async def run(self) -> None:
        allowed, principal = await self._follower()
        if not allowed:
            return
        self.principal = principal
        key = self.websocket.session.get(SESSION_KEY)
        self.session_key = key if isinstance(key, str) else None
        if isinstance(principal, Invitee):
            grant = principal.grant_for(self.engagement_id)
            self.invitation_id = grant.invitation_id if grant else None
        after = self.websocket.query_params.get("after")
        own: _Roster | _Hello | None = None
        async with self.sessionmaker() as db:
            db.info[HUB] = self.hub
            me = None
            if not isinstance(principal, Invitee):
                # The secretariat may be recorded as an attendee here, and is kept so: the id
                # the page is shown must be the one its requests act as (PostgreSQL never
                # gives a rolled-back id again).
                await intend_to_write(db)
                me = (await operations.participant_of(db, principal, self.engagement_id)).attendee
                await db.commit()
            last = await log.last_seq(db, self.engagement_id)
            resume = (
                after is not None
                and after.isdigit()
                and last - CATCH_UP_LIMIT <= int(after) <= last
            )
            missed = (
                await log.events_after(db, self.engagement_id, int(after or 0)) if resume else []
            )
            if me is not None:
                engagement = await get_engagement(db, self.engagement_id)
                if resume:
                    own = _roster_of(engagement)
                else:
                    state = fold(await log.events_after(db, self.engagement_id, 0))
                    own = _Hello(state.seq, state.as_json(), _roster_of(engagement), me.id)
        # An invitee's reads are shared with whoever else connects meanwhile.
        if resume:
            self.cursor = int(after or 0)
            # A roster up to a second old will do: the missed events that follow fetch a
            # fresh one if they name someone it lacks. Resumptions come in waves (a network
            # blip), and each fresh read loads 1,000 attendees.
            current = own if isinstance(own, _Roster) else await self._recent_roster()
            self.attendee_id = me.id if me is not None else self._me_in(principal, current)
            await self._send_roster(current)
            await self._send_events(missed)
        else:
            await self._send_hello(own if isinstance(own, _Hello) else await self._hello(principal))
        receiver = asyncio.create_task(self._receive())
        try:
            while not receiver.done():
                try:
                    outgoing = self.queue.get_nowait()
                except asyncio.QueueEmpty:
                    # Caught up: from here the hub writes to the socket itself.
                    self.wire = self.own_wire
                    try:
                        # A timer, not the task per wait that ``wait_for`` makes on Python 3.11.
                        async with asyncio.timeout(HEARTBEAT_SECONDS):
                            outgoing = await self.queue.get()
                    except TimeoutError:
                        # The hub goes on writing meanwhile: a heartbeat must not hold up
                        # the floor's news for as long as its reads take.
                        if not await self._allowed():
                            return
                        await self._catch_up()
                        await self.websocket.send_json(
                            {"type": "ping", "cursor": self.cursor, "now": utcnow().isoformat()}
                        )
                        continue
                if outgoing is RECHECK:
                    allowed, self.principal = await self._follower()
                    if not allowed:
                        return
                    continue
                await self._deliver(outgoing)
        finally:
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await receiver

    async def _receive(self) -> None:
        while True:
            message = await self.websocket.receive_json()
            if isinstance(message, dict) and message.get("type") == "ping":
                await self.websocket.send_json({"type": "pong", "cursor": self.cursor})

    async def _hello(self, principal: Principal | None) -> _Hello:
        """An invitee's hello: the state, then the roster (so it has everyone the state
        names), both shared; their attendee is ``operations.participant_of``'s."""
        assert isinstance(principal, Invitee)  # noqa: S101 - run() reads the others' itself
        seq, folded = await self.hub.shared(
            ("state", self.engagement_id),
            partial(_read_state, self.sessionmaker, self.engagement_id),
        )
        current = await self._roster()
        return _Hello(seq, folded, current, self._me_in(principal, current))

    def _me_in(self, principal: Principal | None, current: _Roster) -> int:
        """An invitee's attendee id, from the roster."""
        assert isinstance(principal, Invitee)  # noqa: S101 - run() reads the others' itself
        grant = principal.grant_for(self.engagement_id)
        assert grant is not None  # noqa: S101 - the access check saw to it
        return current.attendee_of[grant.person_id]

    async def _send_hello(self, hello: _Hello) -> None:
        people = hello.roster.people
        self.known = {p["attendee_id"] for p in people}
        self.cursor = hello.seq
        self.attendee_id = hello.me
        await self.websocket.send_json(
            {
                "type": "hello",
                "cursor": hello.seq,
                "state": hello.state,
                "roster": people,
                "me": hello.me,
                "now": utcnow().isoformat(),
            }
        )

    async def _roster(self) -> _Roster:
        return await self.hub.shared(
            ("roster", self.engagement_id),
            partial(_read_roster, self.sessionmaker, self.engagement_id),
        )

    async def _recent_roster(self) -> _Roster:
        return await self.hub.recent(
            ("roster", self.engagement_id),
            partial(_read_roster, self.sessionmaker, self.engagement_id),
            RECHECK_AGE,
        )

    async def _send_roster(self, current: _Roster | None = None) -> None:
        current = current or await self._roster()
        self.known = {p["attendee_id"] for p in current.people}
        await self.websocket.send_text(current.message)

    async def _send_events(self, envelopes: list[EventEnvelope], text: str | None = None) -> None:
        """Send ``envelopes`` (``text``: their message, if encoded already), after the roster
        if they name someone this connection has not been shown."""
        if not envelopes:
            return
        named = (getattr(e.event, "attendee_id", None) for e in envelopes)
        if any(who is not None and who not in self.known for who in named):
            # Every connection meets the newcomer at once: they share one read of the roster.
            await self._send_roster()
        await self.websocket.send_text(text or events_message(envelopes))
        self.cursor = envelopes[-1].seq

    async def _deliver(self, outgoing: Outgoing) -> None:
        if not outgoing.envelopes:
            await self.websocket.send_text(outgoing.text)  # a word for this person alone
            return
        if outgoing.last <= self.cursor:
            return
        if outgoing.first == self.cursor + 1:
            await self._send_events(outgoing.envelopes, outgoing.text)
            return
        # A gap: events committed but not seen here (another replica, a dropped queue).
        await self._send_events(await self._events_after(self.cursor))

    async def _events_after(self, seq: int) -> list[EventEnvelope]:
        async with self.sessionmaker() as db:
            return await log.events_after(db, self.engagement_id, seq)

    async def _catch_up(self) -> None:
        """Send what was committed but never reached this connection: it was dropped for not
        reading, or another process wrote to the log."""
        if not self.hub.follows(self):
            while not self.queue.empty():  # stale: what it held is read from the log below
                self.queue.get_nowait()
            self.hub.follow(self)
        last = await self.hub.shared(
            ("last seq", self.engagement_id),
            partial(_read_last_seq, self.sessionmaker, self.engagement_id),
        )
        # While the hub writes, the cursor is never behind what this process committed.
        if last > self.cursor:
            self.wire = None
            await self._send_events(await self._events_after(self.cursor))


@dataclass(frozen=True)
class _Roster:
    """An engagement's roster, its ``roster`` message, and which attendee each person is."""

    people: list[dict[str, Any]]
    message: str
    attendee_of: dict[int, int]


@dataclass(frozen=True)
class _Hello:
    """What a hello shows: the folded state at ``seq``, the roster, who the reader is."""

    seq: int
    state: dict[str, object]
    roster: _Roster
    me: int


def _roster_of(engagement: Engagement) -> _Roster:
    people = roster(engagement)
    # As Starlette's send_json writes it; encoded once for every connection that shares it.
    message = json.dumps(
        {"type": "roster", "roster": people}, separators=(",", ":"), ensure_ascii=False
    )
    return _Roster(people, message, {a.person_id: a.id for a in engagement.attendees})


async def _read_roster(sessionmaker: Any, engagement_id: int) -> _Roster:
    async with sessionmaker() as db:
        return _roster_of(await get_engagement(db, engagement_id))


async def _read_state(sessionmaker: Any, engagement_id: int) -> tuple[int, dict[str, object]]:
    async with sessionmaker() as db:
        state = fold(await log.events_after(db, engagement_id, 0))
        return state.seq, state.as_json()


async def _read_engagement(sessionmaker: Any, engagement_id: int) -> Engagement | None:
    """The engagement's row alone (what ``may_see_details`` reads), without its relations."""
    async with sessionmaker() as db:
        found: Engagement | None = await db.get(Engagement, engagement_id)
        return found


async def _read_usable_invitations(sessionmaker: Any, engagement_id: int) -> frozenset[int]:
    """The invitations to the engagement that still let their holders in (``usable_at``)."""
    async with sessionmaker() as db:
        ids = await db.scalars(
            select(Invitation.id)
            .join(Attendee, Attendee.id == Invitation.attendee_id)
            .where(
                Attendee.engagement_id == engagement_id,
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
        )
        return frozenset(ids)


async def _read_last_seq(sessionmaker: Any, engagement_id: int) -> int:
    async with sessionmaker() as db:
        return await log.last_seq(db, engagement_id)
