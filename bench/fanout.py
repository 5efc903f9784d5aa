"""Fan-out benchmark: how long until every one of 1,000 live clients has the floor's new state.

    .venv/bin/python bench/fanout.py              (from the repository's root; no root needed)
    .venv/bin/python bench/fanout.py --profile    (the same, with cProfile in the server)

Everything runs on 127.0.0.1. Summitry (``create_app`` served by uvicorn as ``summitry serve``
does it, SQLite in a temporary directory, media off) runs in a process of its own; so does the
baseline, a bare fan-out server made with the ``websockets`` library that broadcasts
pre-encoded text to every connection. This process is the client side: the chair's HTTP
requests and 1,000 WebSocket clients (``websockets``, one asyncio loop). The machine's cores
are shared by all three processes.

One engagement of 200 delegations x 5 people (a head of delegation and four delegates), each
with an invitation; the heads are in the room (entered and admitted), the chair (the
secretariat) opens an agenda item with every head inscribed. The phases:

1. **Summitry, 1,000 clients**: the chair gives the floor to the next speaker ``--changes``
   times (``POST .../floor/give``), one change at a time: each change is the events of one
   commit (the turn released, the floor given, the new speaker's microphone opened and the
   previous one's muted, each event its own WebSocket message). A change is complete for a
   client when it has the change's last event.
2. **Quiet**: nothing happens for ``--quiet`` seconds (past the live socket's 15 s heartbeat),
   then a few changes; what the server spends meanwhile is read from /proc.
3. **Slow clients**: ``--slow`` more connections that never read (small receive buffer, no
   compression); ``--changes`` more changes, with the 1,000 others measured as in phase 1.
4. **Churn**: for ``--churn-seconds`` the chair gives the floor (and inscribes the previous
   speaker again) every ``--churn-interval`` seconds while ``--churn-rate`` of the clients per
   second leave and come back with ``?after=<last seq>``; the slow clients stay connected.
   Every client checks that its sequence numbers are strictly consecutive across reconnections.
5. **Bare**: Summitry is stopped; 1,000 clients connect to the bare server, which broadcasts
   the very texts a client received from Summitry in phase 1 (with a fresh ``at``), change by
   change, with the same pacing.

Latency of one client for one change: its receive time (``time.time()``) of the change's last
event minus that event's ``at`` (stamped by the server in the transaction, just before the
commit; the bare server stamps it just before broadcasting). Same machine, same clock. The
"all clients" latency of a change is the largest over the clients connected and subscribed
before the change (those that reconnect later get it from the log and are counted apart). Also
reported from the chair's request (its send time instead of ``at``). Percentiles interpolate
linearly between ranks (numpy's default).

Progress goes to stderr; the last line of stdout is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "src", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

TARGET_P95_MS = 40.0
TARGET_P99_MS = 80.0
TARGET_RATIO = 1.5
SECRET = "fan-out benchmark signing key, thrown away with its database"  # noqa: S105
PASSWORD = "a long benchmark password"  # noqa: S105 - a throwaway account
COOKIE = "summitry_session"
AT_MARK = "@AT@"
_AT = re.compile(r'"at":"[^"]*"')


def say(message: str) -> None:
    print(f"fanout: {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: list[float]) -> dict[str, float | int]:
    """p50, p95, p99 and max of ``values`` (seconds), in milliseconds."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50) * 1000, 1),
        "p95_ms": round(percentile(values, 95) * 1000, 1),
        "p99_ms": round(percentile(values, 99) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def parse_at(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def now_at() -> str:
    """A moment as pydantic writes an aware UTC datetime in JSON."""
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- the servers (each runs as `fanout.py --serve ...` in its own process) ----------------------


def serve_summitry(port: int, data_dir: Path, profile_out: Path | None) -> None:
    """Summitry as ``summitry serve`` runs it (its logging, uvicorn's defaults), media off."""
    import uvicorn

    from summitry.app import create_app
    from summitry.config import Settings
    from summitry.logs import configure_logging

    settings = Settings(
        environment="development",
        data_dir=data_dir,
        secret_key=SECRET,
        host="127.0.0.1",
        port=port,
        media=False,
    )
    configure_logging()
    app = create_app(settings)
    if profile_out is None:
        uvicorn.run(app, host="127.0.0.1", port=port, log_config=None)
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        uvicorn.run(app, host="127.0.0.1", port=port, log_config=None)
    finally:
        profiler.disable()
        profiler.dump_stats(profile_out)


async def serve_bare(port: int) -> None:
    """Every connection but ``/control`` is a subscriber; a text on ``/control`` is a list of
    messages, which get one fresh ``at`` and are broadcast as they are to every subscriber."""
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    subscribers: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        if ws.request is not None and ws.request.path == "/control":
            async for order in ws:
                messages = json.loads(order)
                at = now_at()
                for text in messages:
                    broadcast(subscribers, text.replace(AT_MARK, at))
                await ws.send(str(len(subscribers)))
            return
        subscribers.add(ws)
        try:
            await ws.wait_closed()
        finally:
            subscribers.discard(ws)

    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(handler, "127.0.0.1", port, max_size=2**24):
        await stop


# --- the engagement ----------------------------------------------------------------------------


@dataclass
class Fixture:
    engagement_id: int
    tokens: list[str]  # one per attendee, in attendee order
    heads: list[int]  # attendee ids of the heads of delegation
    secretary_email: str


async def populate(url: str, delegations: int, per_delegation: int) -> Fixture:
    """Delegations, people, attendees, invitations and the heads' admission: one session."""
    import pycountry

    from summitry.db import create_engine, create_sessionmaker, utcnow
    from summitry.delegations import catalogue
    from summitry.delegations.models import Person
    from summitry.delegations.operations import check_delegation
    from summitry.delegations.schemas import DelegationIn
    from summitry.engagements.models import Attendee, Role
    from summitry.engagements.operations import create_engagement
    from summitry.engagements.schemas import EngagementIn
    from summitry.live import operations as live
    from summitry.live.events import Admitted, LiveEventBody, LobbyEntered
    from summitry.live.models import MediaGrant
    from summitry.security.models import Invitation
    from summitry.security.operations import create_account
    from summitry.security.tokens import new_token, token_hash

    codes = [
        c.alpha_2
        for c in sorted(pycountry.countries, key=lambda c: c.alpha_2)
        if catalogue.country_timezones(c.alpha_2)
    ][:delegations]
    if len(codes) < delegations:
        sys.exit(f"fanout: only {len(codes)} ISO 3166 states have a time zone")
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    email = "protocol@bench.example"
    async with sessionmaker() as db:
        for code in codes:
            db.add(check_delegation(DelegationIn(code=code, kind="state")))
        await db.flush()
        engagement = await create_engagement(
            db,
            EngagementIn.model_validate(
                {
                    "title": "Fan-out benchmark",
                    "starts_at": "2030-01-07T12:00:00Z",
                    "ends_at": "2030-01-07T16:00:00Z",
                    "host": codes[0],
                    "delegations": codes,
                    "languages": ["en", "fr"],
                    "agenda": ["Opening", "General debate — 10 min"],
                }
            ),
        )
        people: list[tuple[Person, Role]] = []
        for participation in engagement.delegations:
            delegation = participation.delegation
            for k in range(per_delegation):
                person = Person(
                    delegation_id=delegation.id,
                    name=f"{delegation.name} delegate {k + 1}",
                    office="Minister for Foreign Affairs" if k == 0 else "Adviser",
                    form_of_address="H.E." if k == 0 else "",
                )
                db.add(person)
                people.append((person, Role.HEAD_OF_DELEGATION if k == 0 else Role.DELEGATE))
        await db.flush()
        attendees = []
        for person, role in people:
            attendee = Attendee(engagement_id=engagement.id, person_id=person.id, role=role)
            db.add(attendee)
            attendees.append(attendee)
        await db.flush()
        tokens = []
        expires = utcnow() + dt.timedelta(days=14)
        for attendee in attendees:
            token = new_token()
            tokens.append(token)
            db.add(Invitation(attendee_id=attendee.id, token_hash=token_hash(token), expires_at=expires))
        await db.commit()
        heads = [a.id for a in attendees if a.role is Role.HEAD_OF_DELEGATION]
        # The heads entered and were admitted: what live.operations.enter and admit record.
        bodies: list[LiveEventBody] = []
        for head in heads:
            bodies.append(LobbyEntered(attendee_id=head))
            db.add(
                MediaGrant(
                    engagement_id=engagement.id,
                    attendee_id=head,
                    token=new_token(),
                    feed_id=random.randrange(1, 2**53 - 1),  # noqa: S311 - not a secret here
                )
            )
        bodies += [Admitted(attendee_id=head, by="Protocol Officer") for head in heads]
        await live.append_all(db, engagement.id, bodies)
        await create_account(db, email, "Protocol Officer", PASSWORD)
        engagement_id = engagement.id
    await engine.dispose()
    return Fixture(engagement_id, tokens, heads, email)


# --- processes ---------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def stop(self, timeout: float = 30.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT if self.name == "summitry" else signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(name: str, workdir: Path, extra: list[str]) -> Server:
    port = free_port()
    log = workdir / f"{name}.log"
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", name, "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - this very script
            [*command, *extra], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
        )
    return Server(name, process, port, log)


async def wait_until_listening(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            sys.exit(f"fanout: the {server.name} server stopped; see {server.log}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.close()
            return
        await asyncio.sleep(0.1)
    sys.exit(f"fanout: the {server.name} server did not listen within {timeout} s")


# --- clients -----------------------------------------------------------------------------------


@dataclass
class Client:
    """One live connection at a time; what it received, and whether it ever skipped or repeated."""

    index: int
    cookie: str | None
    last: int = 0  # the last sequence number received
    got: dict[int, tuple[float, int]] = field(default_factory=dict)  # seq -> (time, connection)
    live_since: dict[int, float] = field(default_factory=dict)  # connection -> time subscribed
    generation: int = 0
    duplicated: int = 0
    missed: int = 0
    fresh_hellos: int = 0  # a reconnection answered by a whole new state instead of the gap
    keep: dict[int, str] | None = None  # raw texts by last seq (one reference client)
    ws: Any = None
    reader: asyncio.Task[None] | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    closed_by_server: int = 0

    def on_message(self, raw: str | bytes, t: float, generation: int) -> None:
        message = json.loads(raw)
        kind = message.get("type")
        if kind == "events":
            for event in message["events"]:
                seq = event["seq"]
                if seq <= self.last:
                    self.duplicated += 1
                    continue
                if seq != self.last + 1 and self.last:
                    self.missed += seq - self.last - 1
                self.last = seq
                self.got[seq] = (t, generation)
            if self.keep is not None and isinstance(raw, str):
                self.keep[self.last] = raw
        elif kind == "hello":
            if self.last and message["cursor"] != self.last:
                self.fresh_hellos += 1
            self.last = max(self.last, message["cursor"])
            self.live_since.setdefault(generation, t)
            self.ready.set()
        elif kind == "roster":
            self.live_since.setdefault(generation, t)
            self.ready.set()

    async def connect(self, base: str, after: int | None = None, **options: Any) -> None:
        from websockets.asyncio.client import connect

        self.generation += 1
        generation = self.generation
        self.ready = asyncio.Event()
        url = base if after is None else f"{base}?after={after}"
        headers = {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else {}
        self.ws = await connect(
            url,
            additional_headers=headers,
            ping_interval=None,  # the server pings; a browser does not ping on its own either
            open_timeout=120,
            close_timeout=5,
            max_size=2**24,
            **options,
        )
        if self.cookie is None:  # the bare server sends no hello: subscribed once open
            self.live_since[generation] = time.time()
            self.ready.set()
        self.reader = asyncio.create_task(self._read(self.ws, generation))

    async def _read(self, ws: Any, generation: int) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in ws:
                self.on_message(raw, time.time(), generation)
        except ConnectionClosed:
            pass
        if ws.close_code not in (1000, 1001, None) or (ws.close_rcvd and not ws.close_sent):
            self.closed_by_server += 1

    async def disconnect(self) -> None:
        ws, reader = self.ws, self.reader
        self.ws = self.reader = None
        if ws is not None:
            await ws.close()
        if reader is not None:
            await reader


async def bounded(jobs: Iterable[Callable[[], Awaitable[Any]]], limit: int) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[Any]]) -> Any:
        async with semaphore:
            return await job()

    return await asyncio.gather(*(run(job) for job in jobs))


async def open_sessions(base: str, tokens: list[str], workers: int) -> list[str]:
    """One signed session cookie per invitation, as a browser gets it by opening its link."""
    import httpx

    cookies: list[str] = [""] * len(tokens)
    pending = list(enumerate(tokens))

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while pending:
                index, token = pending.pop()
                http.cookies.clear()
                response = await http.post("/api/v1/session/invitation", json={"token": token})
                response.raise_for_status()
                cookies[index] = response.cookies[COOKIE]

    await asyncio.gather(*(worker() for _ in range(workers)))
    return cookies


async def connect_all(
    clients: list[Client], url: str, limit: int, **options: Any
) -> float:
    """Open every client's connection, at most ``limit`` at a time; the seconds it took
    until each has its first message (the server's hello)."""
    started = time.monotonic()
    done = 0

    async def one(client: Client) -> None:
        nonlocal done
        await client.connect(url, **options)
        await asyncio.wait_for(client.ready.wait(), 600)
        done += 1
        if done % 100 == 0:
            say(f"  {done} connected ({time.monotonic() - started:.1f} s)")

    await bounded([lambda c=c: one(c) for c in clients], limit)
    return time.monotonic() - started


# --- changes and their latencies ---------------------------------------------------------------


@dataclass
class Change:
    sent: float  # when the chair sent its request (time.time())
    first_seq: int
    last_seq: int
    at: float  # the `at` of the last event
    texts: list[str] = field(default_factory=list)


async def wait_delivered(clients: list[Client], seq: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(c.last >= seq for c in clients if c.ws is not None):
            return True
        await asyncio.sleep(0.002)
    return False


@dataclass
class Figures:
    per_change_at: list[float] = field(default_factory=list)  # all clients have it, from `at`
    per_change_sent: list[float] = field(default_factory=list)  # ... from the chair's request
    per_client_at: list[float] = field(default_factory=list)
    per_client_sent: list[float] = field(default_factory=list)
    incomplete: int = 0  # (client, change) pairs a live client never received
    caught_up: int = 0  # (client, change) pairs received from the log after a reconnection

    def as_json(self) -> dict[str, Any]:
        return {
            "changes": len(self.per_change_at),
            "all_clients_from_at": summary(self.per_change_at),
            "all_clients_from_request": summary(self.per_change_sent),
            "per_client_from_at": summary(self.per_client_at),
            "per_client_from_request": summary(self.per_client_sent),
            "incomplete": self.incomplete,
            "caught_up": self.caught_up,
        }


def measure(changes: list[Change], clients: list[Client]) -> Figures:
    figures = Figures()
    for change in changes:
        worst_at = worst_sent = 0.0
        counted = 0
        for client in clients:
            got = client.got.get(change.last_seq)
            if got is None:
                if any(since <= change.at for since in client.live_since.values()):
                    figures.incomplete += 1
                continue
            t, generation = got
            since = client.live_since.get(generation)
            if since is None or since > change.at:
                figures.caught_up += 1  # it was not connected when the change was committed
                continue
            counted += 1
            figures.per_client_at.append(t - change.at)
            figures.per_client_sent.append(t - change.sent)
            worst_at = max(worst_at, t - change.at)
            worst_sent = max(worst_sent, t - change.sent)
        if counted:
            figures.per_change_at.append(worst_at)
            figures.per_change_sent.append(worst_sent)
    return figures


class Chair:
    """The secretariat, presiding: gives the floor and inscribes speakers over HTTP."""

    def __init__(self, base: str, engagement_id: int) -> None:
        import httpx

        self.http = httpx.AsyncClient(base_url=base, timeout=120)
        self.api = f"/api/v1/engagements/{engagement_id}"

    async def sign_in(self, email: str) -> None:
        response = await self.http.post(
            "/api/v1/session", json={"email": email, "password": PASSWORD}
        )
        response.raise_for_status()

    async def post(self, path: str, body: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        response = await self.http.post(f"{self.api}{path}", json=body or {})
        if response.status_code != 200:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:300]}")
        events: list[dict[str, Any]] = response.json()["events"]
        return events

    async def give(self) -> tuple[Change, list[dict[str, Any]]]:
        sent = time.time()
        events = await self.post("/floor/give")
        change = Change(sent, events[0]["seq"], events[-1]["seq"], parse_at(events[-1]["at"]))
        return change, events

    async def close(self) -> None:
        await self.http.aclose()


async def run_changes(
    chair: Chair, clients: list[Client], count: int, gap: float, label: str
) -> list[Change]:
    """``count`` changes one after the other, each once every live client has the previous."""
    changes = []
    for i in range(count):
        change, _ = await chair.give()
        if not await wait_delivered(clients, change.last_seq, 30):
            say(f"  {label}: change {i + 1} not delivered to every client within 30 s")
        changes.append(change)
        if (i + 1) % 20 == 0:
            say(f"  {label}: {i + 1}/{count} changes")
        await asyncio.sleep(gap * random.uniform(0.5, 1.5))  # noqa: S311
    return changes


# --- the phases --------------------------------------------------------------------------------


def texts_of(reference: Client, changes: list[Change]) -> list[list[str]]:
    """The messages of each change as the reference client received them, ``at`` marked."""
    assert reference.keep is not None  # noqa: S101
    out = []
    for change in changes:
        texts = [
            _AT.sub(f'"at":"{AT_MARK}"', reference.keep[seq])
            for seq in range(change.first_seq, change.last_seq + 1)
            if seq in reference.keep
        ]
        out.append(texts)
    return out


