"""Forty delegations acting at the same moment on a real `summitry serve`, on SQLite and on
PostgreSQL: nobody is refused for having acted at the same time as someone else, and the
event log stays whole, also when the server is killed in the middle of a burst of writes.

The in-process app of tests/conftest.py cannot show this: its sessions share the test's one
connection, so its requests never overlap in the database. Here every delegate is a client of
its own, with the cookie its personal link gave it, and the requests of a phase are released
together. The figures of each phase (requests, failures, wall time) are printed: run with
``pytest -s`` to read them.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from summitry.db import create_engine, create_sessionmaker
from summitry.log.events import EventEnvelope, parse_event
from summitry.log.models import LiveEvent
from summitry.log.store import verify_chain
from summitry.meeting.state import fold
from tests.e2e.conftest import (
    SECRETARY_EMAIL,
    SECRETARY_PASSWORD,
    LiveServer,
    fresh_database,
    serve,
)

# Forty states by their ISO 3166 codes; the first hosts. One head of delegation each.
CODES = (
    "DE", "AR", "AU", "BR", "CA", "CL", "CN", "CO", "EG", "ES",
    "ET", "FR", "GB", "GH", "ID", "IN", "IT", "JP", "KE", "KR",
    "MA", "MX", "NG", "NL", "NO", "NZ", "PE", "PH", "PK", "PL",
    "PT", "SA", "SE", "SG", "TH", "TR", "UA", "US", "VN", "ZA",
)  # fmt: skip
BOOTHS = ("fr", "es")  # interpreters work into these, so each is a language channel
TIMEOUT = httpx.Timeout(120.0)  # a queued writer waits; a refusal, not slowness, fails a test
KILL_AFTER = 240  # answered requests of the burst before the server is killed (6 a delegate)
RESUME_WITHIN = 2.0  # seconds for a resuming client to agree with a fresh snapshot

_meetings = itertools.count(1)


@dataclass
class Delegate:
    code: str
    attendee_id: int
    link: str
    client: httpx.AsyncClient


@dataclass
class Meeting:
    server: LiveServer
    database_url: str
    engagement_id: int
    secretariat: httpx.AsyncClient
    delegates: list[Delegate]
    events: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Every event a 2xx response reported, by sequence number."""
    opened_at: int = 0
    """The last sequence number before the meeting opened (the log may record its planning)."""

    @property
    def live(self) -> str:
        return f"/api/v1/engagements/{self.engagement_id}/live"

    @property
    def api(self) -> str:
        return f"/api/v1/engagements/{self.engagement_id}"

    def record(self, response: httpx.Response) -> list[dict[str, Any]]:
        """The events a 2xx response reports, kept by sequence number (each only once)."""
        envelopes: list[dict[str, Any]] = response.json()["events"]
        for envelope in envelopes:
            assert envelope["seq"] not in self.events, (
                f"sequence number {envelope['seq']} reported twice: "
                f"{self.events[envelope['seq']]} and {envelope}"
            )
            self.events[envelope["seq"]] = envelope
        return envelopes


@dataclass(frozen=True)
class Call:
    """One request of a phase, on behalf of ``who`` (an attendee id)."""

    who: int
    client: httpx.AsyncClient
    method: str
    path: str
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class Outcome:
    call: Call
    status: int | None  # None: no answer (the connection failed)
    text: str
    seconds: float
    response: httpx.Response | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> str:
        answer = "no answer" if self.status is None else str(self.status)
        return (
            f"{self.call.method} {self.call.path} (attendee {self.call.who}): "
            f"{answer} {self.text[:300]}"
        )


@dataclass
class Phase:
    name: str
    outcomes: list[Outcome]
    seconds: float

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def figures(self, database: str) -> str:
        statuses = collections.Counter(
            "no answer" if o.status is None else o.status for o in self.failures
        )
        slowest = max((o.seconds for o in self.outcomes), default=0.0)
        return (
            f"[{database}] {self.name}: {len(self.outcomes)} requests, "
            f"{len(self.outcomes) - len(self.failures)} 2xx, {len(self.failures)} failed "
            f"{dict(statuses) or ''}, {self.seconds:.3f} s wall, slowest {slowest:.3f} s"
        )


async def _send(call: Call) -> Outcome:
    started = time.perf_counter()
    try:
        response = await call.client.request(
            call.method, call.path, json=call.body, follow_redirects=True
        )
    except httpx.TransportError as err:
        return Outcome(call, None, repr(err), time.perf_counter() - started, None)
    return Outcome(
        call, response.status_code, response.text, time.perf_counter() - started, response
    )


async def at_once(name: str, calls: list[Call]) -> Phase:
    """Send every call at the same moment: each waits at a gate that opens once all wait."""
    gate = asyncio.Event()
    waiting = 0
    all_waiting = asyncio.Event()

    async def one(call: Call) -> Outcome:
        nonlocal waiting
        waiting += 1
        if waiting == len(calls):
            all_waiting.set()
        await gate.wait()
        return await _send(call)

    tasks = [asyncio.create_task(one(call)) for call in calls]
    await all_waiting.wait()
    started = time.perf_counter()
    gate.set()
    outcomes = await asyncio.gather(*tasks)
    return Phase(name, outcomes, time.perf_counter() - started)


def _refusals(failures: list[Outcome]) -> str:
    """Each failure, after a count of each distinct answer."""
    answers = collections.Counter(f"{o.status or 'no answer'} {o.text[:300]}" for o in failures)
    return "\n".join(
        [f"{n} x {answer}" for answer, n in answers.most_common()]
        + [o.describe() for o in failures]
    )


def _require_all_2xx(phase: Phase, database: str) -> None:
    print(phase.figures(database))
    if phase.failures:
        pytest.fail(
            f"{len(phase.failures)} of {len(phase.outcomes)} requests of '{phase.name}' failed "
            f"on {database}:\n{_refusals(phase.failures)}",
            pytrace=False,
        )


def _record_one_event_each(meeting: Meeting, phase: Phase, kind: str) -> None:
    """Each request of the phase recorded exactly one event, of ``kind``, about its attendee."""
    for outcome in phase.outcomes:
        assert outcome.response is not None
        envelopes = meeting.record(outcome.response)
        assert [(e["event"]["kind"], e["event"]["attendee_id"]) for e in envelopes] == [
            (kind, outcome.call.who)
        ], outcome.describe()


# --- the server and the meeting ---------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    """`summitry serve` without a media server, on a fresh database of each kind, and that
    database's URL (to read its log directly)."""
    database_url = fresh_database(request, request.param)
    with serve(tmp_path, database_url=database_url) as server:
        yield server, database_url or f"sqlite+aiosqlite:///{tmp_path / 'summitry.db'}"


def _database(meeting: Meeting) -> str:
    return "sqlite" if meeting.database_url.startswith("sqlite") else "postgresql"


def _client(server: LiveServer) -> httpx.AsyncClient:
    # uvicorn closes a connection idle for 5 s; a client that reused one at that moment would
    # see it closed without an answer, through no fault of the server. Idle ones are dropped
    # after a second here instead.
    return httpx.AsyncClient(
        base_url=server.url, timeout=TIMEOUT, limits=httpx.Limits(keepalive_expiry=1.0)
    )


async def _created(client: httpx.AsyncClient, path: str, body: dict[str, Any] | None) -> Any:
    response = await client.post(path, json=body)
    assert response.status_code == 201, f"POST {path}: {response.status_code} {response.text}"
    return response.json()


@contextlib.asynccontextmanager
async def planned_meeting(server: LiveServer, database_url: str) -> AsyncIterator[Meeting]:
    """Forty delegations, a head of each with a personal link (not yet opened), two booths,
    and the secretariat in the meeting; planned through the HTTP API, one request at a time."""
    async with contextlib.AsyncExitStack() as stack:
        secretariat = await stack.enter_async_context(_client(server))
        signed_in = await secretariat.post(
            "/api/v1/session", json={"email": SECRETARY_EMAIL, "password": SECRETARY_PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        engagement = await _created(
            secretariat,
            "/api/v1/engagements",
            {
                "title": f"Leaders' video summit {next(_meetings)}",
                "starts_at": "2026-12-14T14:00:00+01:00",
                "host": CODES[0],
                "delegations": list(CODES),
                "languages": ["en", *BOOTHS],
                "agenda": ["Statements"],
                "confidentiality": "confidential",
            },
        )
        engagement_id = engagement["id"]
        api = f"/api/v1/engagements/{engagement_id}"
        delegates = []
        for code in CODES:
            person = await _created(
                secretariat,
                f"/api/v1/delegations/{code}/people",
                {"name": f"Head of the delegation of {code}", "office": "Minister"},
            )
            attendee = await _created(
                secretariat,
                f"{api}/attendees",
                {"person_id": person["id"], "role": "head_of_delegation"},
            )
            issued = await _created(
                secretariat, f"{api}/attendees/{attendee['id']}/invitations", None
            )
            client = await stack.enter_async_context(_client(server))
            delegates.append(Delegate(code, attendee["id"], urlsplit(issued["url"]).path, client))
        for booth in BOOTHS:
            person = await _created(
                secretariat,
                f"/api/v1/delegations/{CODES[0]}/people",
                {"name": f"Interpreter into {booth}", "office": "Interpreter"},
            )
            await _created(
                secretariat,
                f"{api}/attendees",
                {"person_id": person["id"], "role": "interpreter", "booth": booth},
            )
        meeting = Meeting(server, database_url, engagement_id, secretariat, delegates)
        entered = await secretariat.post(f"{meeting.live}/enter")
        assert entered.status_code == 200, entered.text
        meeting.opened_at = meeting.record(entered)[0]["seq"] - 1
        yield meeting


async def snapshot(meeting: Meeting) -> dict[str, Any]:
    response = await meeting.secretariat.get(meeting.live)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def _participants(state: dict[str, Any], meeting: Meeting) -> list[dict[str, Any]]:
    people: dict[str, dict[str, Any]] = state["participants"]
    return [people.get(str(d.attendee_id), {}) for d in meeting.delegates]


@dataclass(frozen=True)
class Row:
    seq: int
    payload: dict[str, Any]


async def read_log(meeting: Meeting) -> tuple[list[Row], int | None]:
    """The engagement's log as the database holds it (every payload parsed as an event), and
    the first sequence number whose hash does not hold, if any."""
    engine = create_engine(meeting.database_url)
    try:
        async with create_sessionmaker(engine)() as db:
            found = await db.scalars(
                select(LiveEvent)
                .where(LiveEvent.engagement_id == meeting.engagement_id)
                .order_by(LiveEvent.seq)
            )
            rows = []
            for row in found:
                body = parse_event(row.payload)  # raises on a half-written event
                assert body.kind == row.kind, (row.seq, row.kind, row.payload)
                rows.append(Row(row.seq, row.payload))
            broken = await verify_chain(db, meeting.engagement_id)
    finally:
        await engine.dispose()
    return rows, broken


def _check_log(rows: list[Row], broken: int | None) -> None:
    seqs = [r.seq for r in rows]
    assert seqs == list(range(1, len(rows) + 1)), f"the sequence is not contiguous: {seqs}"
    assert broken is None, f"the hash chain breaks at event {broken}"


def _cookie_header(client: httpx.AsyncClient) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


@contextlib.asynccontextmanager
async def live_socket(
    meeting: Meeting, who: httpx.AsyncClient, after: int | None = None
) -> AsyncIterator[ClientConnection]:
    base = meeting.server.url.replace("http://", "ws://")
    query = "" if after is None else f"?after={after}"
    async with connect(
        f"{base}{meeting.live}/ws{query}",
        additional_headers={"Cookie": _cookie_header(who)},
        proxy=None,
    ) as socket:
        yield socket


# --- forty at once ----------------------------------------------------------------------------


async def test_forty_delegations_acting_at_once_are_all_heard_and_the_log_stays_whole(
    served: tuple[LiveServer, str],
) -> None:
    server, database_url = served
    async with planned_meeting(server, database_url) as meeting:
        db = _database(meeting)
        by_id = {d.attendee_id: d for d in meeting.delegates}
        phases: list[Phase] = []

        async def phase(name: str, calls: list[Call]) -> Phase:
            done = await at_once(name, calls)
            phases.append(done)
            _require_all_2xx(done, db)
            return done

        def each(method: str, path: str, body: dict[str, Any] | None = None) -> list[Call]:
            return [Call(d.attendee_id, d.client, method, path, body) for d in meeting.delegates]

        # Each delegate opens their personal link (it signs them in: a cookie of their own).
        await phase(
            "open the invitation links",
            [Call(d.attendee_id, d.client, "GET", d.link) for d in meeting.delegates],
        )
        for delegate in meeting.delegates:
            assert delegate.client.cookies, f"{delegate.code}'s link gave no session cookie"

        entered = await phase("enter the lobby", each("POST", f"{meeting.live}/enter"))
        _record_one_event_each(meeting, entered, "lobby_entered")
        state = (await snapshot(meeting))["state"]
        assert {p.get("presence") for p in _participants(state, meeting)} == {"lobby"}

        admitted = await phase(
            "admit (the secretariat, 40 at once)",
            [
                Call(
                    d.attendee_id,
                    meeting.secretariat,
                    "POST",
                    f"{meeting.live}/participants/{d.attendee_id}/admit",
                )
                for d in meeting.delegates
            ],
        )
        _record_one_event_each(meeting, admitted, "admitted")
        state = (await snapshot(meeting))["state"]
        assert {p.get("presence") for p in _participants(state, meeting)} == {"admitted"}

        # One delegation asks forty times at once: one inscription, thirty-nine refusals that
        # give its place; then every other delegation asks once.
        first = meeting.delegates[0]
        burst = await at_once(
            "one delegation asks forty times",
            [Call(first.attendee_id, first.client, "POST", f"{meeting.api}/floor/requests", {})]
            * len(meeting.delegates),
        )
        print(burst.figures(db))
        inscribed = [o for o in burst.outcomes if o.ok]
        assert len(inscribed) == 1, _refusals(burst.failures)
        assert {o.status for o in burst.failures} == {409}, _refusals(burst.failures)
        assert {json.loads(o.text)["error"]["message"] for o in burst.failures} == {
            "Germany is already on the speakers' list (1st). "
            "Withdraw that request before asking again."
        }
        _record_one_event_each(
            meeting, Phase(burst.name, inscribed, burst.seconds), "floor_requested"
        )
        asked = await phase(
            "request the floor",
            [
                Call(d.attendee_id, d.client, "POST", f"{meeting.api}/floor/requests", {})
                for d in meeting.delegates[1:]
            ],
        )
        _record_one_event_each(meeting, asked, "floor_requested")
        queue = (await snapshot(meeting))["state"]["floor"]["queue"]
        assert sorted(r["delegation"] for r in queue) == sorted(CODES), queue
        assert sorted(r["attendee_id"] for r in queue) == sorted(by_id), queue
        assert len({r["id"] for r in queue}) == len(queue), f"request ids repeat: {queue}"

        # No agenda item is open, so everyone may open their own microphone.
        for muted in (False, True):
            done = await phase(
                f"microphone {'off' if muted else 'on'}",
                each("POST", f"{meeting.live}/microphone", {"muted": muted}),
            )
            _record_one_event_each(meeting, done, "microphone_set")
            state = (await snapshot(meeting))["state"]
            assert {p.get("muted") for p in _participants(state, meeting)} == {muted}

        for on in (False, True):
            done = await phase(
                f"camera {'on' if on else 'off'}",
                each("POST", f"{meeting.live}/camera", {"on": on}),
            )
            _record_one_event_each(meeting, done, "camera_set")
            state = (await snapshot(meeting))["state"]
            assert {p.get("camera") for p in _participants(state, meeting)} == {on}

        # A language channel each (the booths alternately), then back to the floor (null).
        # Choosing a channel is recorded only; it needs no media server.
        chosen = {d.attendee_id: BOOTHS[i % len(BOOTHS)] for i, d in enumerate(meeting.delegates)}
        done = await phase(
            "choose a language channel",
            [
                Call(
                    d.attendee_id,
                    d.client,
                    "PUT",
                    f"{meeting.api}/interpretation/channel",
                    {"channel": chosen[d.attendee_id]},
                )
                for d in meeting.delegates
            ],
        )
        _record_one_event_each(meeting, done, "channel_chosen")
        channels = (await snapshot(meeting))["state"]["interpretation"]["channels"]
        assert channels == {str(k): v for k, v in chosen.items()}
        done = await phase(
            "back to the floor",
            each("PUT", f"{meeting.api}/interpretation/channel", {"channel": None}),
        )
        _record_one_event_each(meeting, done, "channel_chosen")

        # The secretariat's recording switch, forty times at once, on and off by turns: each
        # event appended is a change (never the same twice in a row), the state the last one's.
        switched = await phase(
            "turn the recording on and off",
            [
                Call(0, meeting.secretariat, "PUT", f"{meeting.api}/recording", {"on": i % 2 == 0})
                for i in range(len(meeting.delegates))
            ],
        )
        turns = sorted(
            (e["seq"], e["event"]["kind"])
            for o in switched.outcomes
            if o.response is not None
            for e in meeting.record(o.response)
        )
        kinds = [kind for _, kind in turns]
        assert kinds, "forty requests and no change"
        assert all(a != b for a, b in itertools.pairwise(kinds)), kinds
        final = await snapshot(meeting)
        assert final["state"]["recording"]["on"] is (kinds[-1] == "recording_started")
        assert final["state"]["interpretation"]["channels"] == {}

        total = sum(len(p.outcomes) for p in phases)
        wall = sum(p.seconds for p in phases)
        print(f"[{db}] all phases: {total} requests, 0 failed, {wall:.3f} s wall")

        # Since the meeting opened the log holds exactly the events the answers reported, in
        # one contiguous chain.
        rows, broken = await read_log(meeting)
        _check_log(rows, broken)
        assert sorted(meeting.events) == [r.seq for r in rows if r.seq > meeting.opened_at]
        for row in rows[meeting.opened_at :]:
            assert row.payload == meeting.events[row.seq]["event"], row.seq
        assert final["cursor"] == rows[-1].seq

        # A page opened now is shown the same meeting.
        async with live_socket(meeting, meeting.delegates[-1].client) as socket:
            hello = json.loads(await socket.recv())
        assert hello["type"] == "hello"
        assert (hello["cursor"], hello["state"]) == (final["cursor"], final["state"])


# --- killed in the middle of a burst ----------------------------------------------------------


@dataclass
class Follower:
    """A page following the meeting: the events it was sent, folded as the page folds them."""

    envelopes: list[EventEnvelope] = field(default_factory=list)

    @property
    def cursor(self) -> int:
        return self.envelopes[-1].seq if self.envelopes else 0

    def take(self, message: dict[str, Any]) -> None:
        if message["type"] == "hello":
            raise AssertionError("a resumption is answered with the missed events, not a hello")
        if message["type"] != "events":
            return  # the roster, a ping
        for raw in message["events"]:
            envelope = EventEnvelope.model_validate(raw)
            if envelope.seq > self.cursor:
                assert envelope.seq == self.cursor + 1, (self.cursor, envelope.seq)
                self.envelopes.append(envelope)

    def state(self) -> dict[str, object]:
        return fold(self.envelopes).as_json()

    async def follow(self, socket: ClientConnection) -> None:
        """Until the socket closes (the server is killed)."""
        with contextlib.suppress(ConnectionClosed):
            async for raw in socket:
                self.take(json.loads(raw))


async def test_a_server_killed_during_a_burst_of_writes_loses_no_answered_change(
    served: tuple[LiveServer, str],
) -> None:
    server, database_url = served
    async with planned_meeting(server, database_url) as meeting:
        db = _database(meeting)
        # Everyone in the room, one request at a time: the burst is what is under test.
        for delegate in meeting.delegates:
            opened = await delegate.client.get(delegate.link, follow_redirects=True)
            assert opened.status_code == 200, opened.text
            entered = await delegate.client.post(f"{meeting.live}/enter")
            assert entered.status_code == 200, entered.text
            meeting.record(entered)
            admitted = await meeting.secretariat.post(
                f"{meeting.live}/participants/{delegate.attendee_id}/admit"
            )
            assert admitted.status_code == 200, admitted.text
            meeting.record(admitted)
        before_burst = max(meeting.events)

        follower = Follower()
        async with live_socket(meeting, meeting.delegates[0].client, after=0) as socket:
            following = asyncio.create_task(follower.follow(socket))

            answered: list[Outcome] = []
            cut: dict[int, Call] = {}  # the request each delegate had in flight at the kill
            enough = asyncio.Event()
            stop = asyncio.Event()

            async def toggle(delegate: Delegate) -> None:
                on = True  # cameras start on
                while not stop.is_set():
                    on = not on
                    call = Call(
                        delegate.attendee_id,
                        delegate.client,
                        "POST",
                        f"{meeting.live}/camera",
                        {"on": on},
                    )
                    outcome = await _send(call)
                    if outcome.status is None:
                        cut[delegate.attendee_id] = call
                        return
                    answered.append(outcome)
                    if len(answered) >= KILL_AFTER:
                        enough.set()

            started = time.perf_counter()
            writers = [asyncio.create_task(toggle(d)) for d in meeting.delegates]
            await enough.wait()
            server.kill()
            killed = time.perf_counter()
            stop.set()
            await asyncio.gather(*writers)
            await following

        ok = [o for o in answered if o.ok]
        refused = [o for o in answered if not o.ok]
        print(
            f"[{db}] burst of camera toggles: {len(answered) + len(cut)} requests in "
            f"{killed - started:.3f} s before the kill, {len(ok)} 2xx, {len(refused)} refused "
            f"{dict(collections.Counter(o.status for o in refused)) or ''}, "
            f"{len(cut)} cut by the kill"
        )
        assert cut, "the kill came after the burst, not in the middle of it"
        if refused:
            pytest.fail(
                f"{len(refused)} requests of the burst were refused on {db}:\n{_refusals(refused)}",
                pytrace=False,
            )

        # Nothing half-written, nothing answered lost, nothing recorded twice or from nowhere.
        rows, broken = await read_log(meeting)
        _check_log(rows, broken)
        by_seq = {r.seq: r for r in rows}
        for outcome in ok:
            assert outcome.response is not None
            for envelope in meeting.record(outcome.response):
                row = by_seq.get(envelope["seq"])
                assert row is not None, f"answered but not in the log: {envelope}"
                assert row.payload == envelope["event"], (row, envelope)
        unanswered = [r for r in rows if r.seq > meeting.opened_at and r.seq not in meeting.events]
        assert all(r.seq > before_burst for r in unanswered), unanswered
        for row in unanswered:
            # Only a request in flight at the kill may have been committed without an answer,
            # and only as the last change of its delegate.
            who = row.payload.get("attendee_id")
            assert row.payload["kind"] == "camera_set", row
            assert who in cut, row
            assert cut[who].body == {"on": row.payload["on"]}, (row, cut[who])
            later = [r for r in rows if r.seq > row.seq and r.payload.get("attendee_id") == who]
            assert not later, (row, later)
        print(
            f"[{db}] after the kill: {len(rows)} events in the log, "
            f"{len(meeting.events)} answered, {len(unanswered)} committed unanswered"
        )

        # Restarted, a page resuming from where its socket stopped agrees with a fresh
        # snapshot within two seconds.
        await asyncio.to_thread(server.restart)
        fresh = await snapshot(meeting)
        assert fresh["cursor"] == rows[-1].seq
        resumed = time.perf_counter()
        async with live_socket(meeting, meeting.delegates[0].client, after=follower.cursor) as ws:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RESUME_WITHIN):
                    while follower.cursor < fresh["cursor"]:
                        follower.take(json.loads(await ws.recv()))
        took = time.perf_counter() - resumed
        print(f"[{db}] resumed with ?after= and consistent in {took:.3f} s")
        assert follower.cursor == fresh["cursor"], (
            f"resumed at {follower.cursor} of {fresh['cursor']} after {RESUME_WITHIN} s"
        )
        assert follower.state() == fresh["state"]
