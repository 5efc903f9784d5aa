"""The meeting's live feed: what a browser following a meeting is shown, and who may follow.

The log's ``Feed`` keeps the connection (queue, wire, gaps, heartbeats); this says what the
meeting shows through it: a hello with the folded state, the roster and who the reader is;
the roster again whenever events name someone new; and, for an invitee, the check at each
heartbeat that their invitation still lets them in.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from summitry import log
from summitry.db import intend_to_write, utcnow
from summitry.engagements.attendance import AttendeeLine, attendance
from summitry.engagements.models import Attendee, Engagement
from summitry.engagements.operations import engagement_row
from summitry.errors import SummitryError
from summitry.log.events import EventEnvelope
from summitry.log.feed import Feed
from summitry.meeting import operations
from summitry.meeting.folding import folded_state
from summitry.meeting.presentation import roster
from summitry.security.operations import usable_invitation_ids
from summitry.security.principals import (
    SESSION_KEY,
    Invitee,
    Principal,
    require_engagement_access,
    resolve,
)

logger = logging.getLogger(__name__)

RECHECK_AGE = 1.0  # how old a shared read may be where a moment old will do, seconds


class LiveConnection(Feed):
    """One browser's live feed of a meeting.

    What every one of 1,000 connections would read at the same moment (the engagement's row,
    its roster, the folded state, the last sequence number) is read once for all of them
    (``LiveHub.shared``), never earlier than each asked. No pooled database connection is held
    while a shared read is awaited: with 1,000 waiters the pool would run dry.
    """

    principal: Principal | None = None

    async def admit(self) -> bool:
        async with self.sessionmaker() as db:
            principal = await resolve(db, self.websocket.session)
        self.principal = principal
        try:
            who = require_engagement_access(principal, self.engagement_id)
            # An invitee's check reads the engagement's row, shared by every connection:
            # loading the whole engagement (every attendee) for each of 1,000 is what a large
            # meeting cannot afford.
            row = await self._engagement() if isinstance(who, Invitee) else None
            async with self.sessionmaker() as db:
                await operations.require_follower(db, principal, self.engagement_id, row)
        except SummitryError as err:
            await self.websocket.close(
                code=4401 if err.status == 401 else 4404, reason=err.message[:120]
            )
            return False
        return True

    async def still_allowed(self) -> bool:
        """An invitee's heartbeat asks one read of the engagement's usable invitations, at
        most a second old, shared by every connection: 1,000 connections each resolving their
        session every 15 s kept the server busy when the floor changed hands. Anything
        doubtful goes to the full check."""
        who = self.principal
        if isinstance(who, Invitee):
            grant = who.grant_for(self.engagement_id)
            try:
                usable = await self.hub.recent(
                    ("usable invitations", self.engagement_id),
                    partial(_read_usable_invitations, self.sessionmaker, self.engagement_id),
                    RECHECK_AGE,
                )
                engagement = await self._engagement(RECHECK_AGE)
            except SummitryError:
                return await self.admit()  # gone: the full check closes with the reason
            if (
                grant is not None
                and grant.invitation_id in usable
                and operations.may_follow(who, engagement)
            ):
                return True
        return await self.admit()

    async def _engagement(self, max_age: float | None = None) -> Engagement:
        """The engagement's row, read once for every connection asking meanwhile (or, with
        ``max_age``, from a read at most that old)."""
        load = partial(_read_engagement, self.sessionmaker, self.engagement_id)
        key = ("engagement", self.engagement_id)
        if max_age is None:
            return await self.hub.shared(key, load)
        return await self.hub.recent(key, load, max_age)

    async def open(self) -> None:
        principal = self.principal
        key = self.websocket.session.get(SESSION_KEY)
        self.session_key = key if isinstance(key, str) else None
        if isinstance(principal, Invitee):
            grant = principal.grant_for(self.engagement_id)
            self.invitation_id = grant.invitation_id if grant else None
        own: _Roster | _Hello | None = None
        me = None
        # An invitee back after a blip is sent what it missed from the hub's kept commits.
        kept = await self.kept_since() if isinstance(principal, Invitee) else None
        after: int | None
        missed: list[EventEnvelope] = []
        if kept is not None:
            after = kept[0]
        else:
            after, missed, me, own = await self._read_opening(principal)
        # An invitee's reads are shared with whoever else connects meanwhile.
        if after is not None:
            self.cursor = after
            # A roster up to a second old will do: the missed events that follow fetch a
            # fresh one if they name someone it lacks. Resumptions come in waves (a network
            # blip), and each fresh read loads 1,000 attendees.
            current = own if isinstance(own, _Roster) else await self._recent_roster()
            self.attendee_id = me.id if me is not None else self._me_in(principal, current)
            # The roster is the largest thing a meeting sends, compressed for each connection
            # on its own: a page that holds this very roster (``?roster=``) is not sent it
            # again. Resumptions come in waves, and each roster deflated costs milliseconds.
            if self.websocket.query_params.get("roster") == current.version:
                self.known = {p["attendee_id"] for p in current.people}
            else:
                await self._send_roster(current)
            await self.websocket.send_json({"type": "resumed", "cursor": after})
            await self.send_events(missed)
            for outgoing in kept[1] if kept is not None else []:
                await self.send_events(outgoing.envelopes, outgoing.text)
        else:
            await self._send_hello(own if isinstance(own, _Hello) else await self._hello(principal))

    async def _read_opening(
        self, principal: Principal | None
    ) -> tuple[int | None, list[EventEnvelope], Attendee | None, _Roster | _Hello | None]:
        """From the log: where a resuming connection goes on from (``None``: afresh), what it
        missed, and for the secretariat (recorded as an attendee on first entry) who they are
        and what they are shown first."""
        own: _Roster | _Hello | None = None
        async with self.sessionmaker() as db:
            me = None
            if not isinstance(principal, Invitee):
                # The secretariat may be recorded as an attendee here, and is kept so: the id
                # the page is shown must be the one its requests act as (PostgreSQL never
                # gives a rolled-back id again).
                await intend_to_write(db)
                me = (await operations.participant_of(db, principal, self.engagement_id)).attendee
                await db.commit()
            after = self.resumes_from(await log.last_seq(db, self.engagement_id))
            missed = (
                await log.events_after(db, self.engagement_id, after) if after is not None else []
            )
            if me is not None:
                current = _roster_of(await attendance(db, self.engagement_id))
                if after is not None:
                    own = current
                else:
                    state = await folded_state(db, self.engagement_id)
                    own = _Hello(state.seq, state.as_json(), current, me.id)
        return after, missed, me, own

    async def introduce(self) -> None:
        # Every connection meets the newcomer at once: they share one read of the roster.
        await self._send_roster()

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
                "roster_version": hello.roster.version,
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


@dataclass(frozen=True)
class _Roster:
    """An engagement's roster, its ``roster`` message, which attendee each person is, and its
    version (a digest of its contents: equal versions, equal rosters)."""

    people: list[dict[str, Any]]
    message: str
    attendee_of: dict[int, int]
    version: str


@dataclass(frozen=True)
class _Hello:
    """What a hello shows: the folded state at ``seq``, the roster, who the reader is."""

    seq: int
    state: dict[str, object]
    roster: _Roster
    me: int


def _roster_of(lines: list[AttendeeLine]) -> _Roster:
    people = roster(lines)
    encoded = json.dumps(people, separators=(",", ":"), ensure_ascii=False)
    version = hashlib.blake2b(encoded.encode(), digest_size=8).hexdigest()
    # As Starlette's send_json writes it; encoded once for every connection that shares it.
    message = f'{{"type":"roster","version":"{version}","roster":{encoded}}}'
    return _Roster(people, message, {a.person_id: a.attendee_id for a in lines}, version)


async def _read_roster(sessionmaker: Any, engagement_id: int) -> _Roster:
    async with sessionmaker() as db:
        return _roster_of(await attendance(db, engagement_id))


async def _read_state(sessionmaker: Any, engagement_id: int) -> tuple[int, dict[str, object]]:
    async with sessionmaker() as db:
        state = await folded_state(db, engagement_id)
        return state.seq, state.as_json()


async def _read_engagement(sessionmaker: Any, engagement_id: int) -> Engagement:
    """The engagement's row alone (what following it depends on), without its relations."""
    async with sessionmaker() as db:
        return await engagement_row(db, engagement_id)


async def _read_usable_invitations(sessionmaker: Any, engagement_id: int) -> frozenset[int]:
    async with sessionmaker() as db:
        return await usable_invitation_ids(db, engagement_id)
