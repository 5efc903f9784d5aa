"""Fan-out benchmark: how long until every one of 1,000 live clients has the floor's new state.

    .venv/bin/python bench/fanout.py              (from the repository's root; no root needed;
                                                   about 7 minutes)
    .venv/bin/python bench/fanout.py --profile    (the same, with cProfile in the server)

Everything runs on 127.0.0.1. Summitry (``create_app`` served by uvicorn as ``summitry serve``
does it: its logging, uvicorn's defaults, hence permessage-deflate, and its ``LiveWebSockets``
protocol; SQLite in a temporary directory; media off) runs in a process of its own; so does the
baseline, a bare server on the same uvicorn and ``LiveWebSockets`` that does the physical
minimum of the same work: it receives the chair's HTTP request, writes one row to the same
SQLite file, frames each message once (compressed on its own, as the connections negotiated)
and writes those bytes to every socket. This process is the client side: the chair's HTTP
requests and 1,000 WebSocket clients in one asyncio (uvloop) loop, each the ``websockets`` library's
Sans-I/O client protocol on an asyncio transport, offering permessage-deflate as browsers do.
All three processes share the machine's cores.

One engagement of 200 delegations x 5 people (a head of delegation and four delegates), each
with an invitation opened over HTTP (``POST /api/v1/session/invitation``, one at a time:
SQLite refuses concurrent openings with "database is locked"); the heads are in the room
(entered and admitted), the chair is the secretariat. Once the 1,000 clients are connected,
the chair opens an agenda item with every head inscribed. The phases:

1. **Summitry, 1,000 clients**: the chair gives the floor to the next speaker ``--changes``
   times (``POST .../floor/give``), one change at a time: each change is the events of one
   commit (the turn released, the floor given, the new speaker's microphone opened and the
   previous one's muted: four events, one WebSocket message). A change is complete for a
   client when it has the change's last event.
2. **Quiet**: nothing happens for ``--quiet`` seconds (past the live socket's 15 s
   heartbeat), then 5 changes; the server's CPU time meanwhile is read from /proc.
3. **Slow clients**: ``--slow`` more connections that never read after the handshake (4 KiB
   receive buffer, no compression); ``--slow-changes`` changes, the 1,000 others measured as in
   phase 1. They stay connected through phases 4 and 5.
4. **Churn**: for ``--churn-seconds`` the chair gives the floor (and inscribes the previous
   speaker again) every ``--churn-interval`` seconds while ``--churn-rate`` of the clients per
   second leave, stay away 0.2-1 s and come back with ``?after=<last seq>``. Every client
   checks that its sequence numbers are strictly consecutive across its reconnections.
5. **Bursts**: all but 50 clients leave; the chair closes and reopens the item with every head
   inscribed (about 200 events a commit) until the hub has dropped the slow clients or
   ``--drop-cycles`` times; what the server holds for the slow clients is read with ``ss``.
6. **Bare**: Summitry is stopped; 1,000 clients connect to the bare server, to which the
   chair posts the very texts a client received from Summitry in phase 1 (it gives them a
   fresh ``at``), change by change, with the same pacing.

Latency of one client for one change: when its connection read the change's last event (the
time of the socket read; the clients parse once the reading pauses) minus that event's ``at``
(stamped by the server in the transaction, just before the commit; the bare server stamps it
just before framing).
Same machine, same clock (``time.time()``). The "all clients" latency of a change is the
largest over the clients subscribed before it was committed (those that reconnect later get it
from the log and are counted apart, as ``caught_up``). Also reported from the chair's request
(its send time instead of ``at``). Percentiles interpolate linearly between ranks (numpy's
default).

Progress goes to stderr; the last line of stdout is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
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
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from websockets.exceptions import InvalidHandshake

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "src", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench.stage import percentile  # noqa: E402 - needs the path above

# Issue 13's targets, each from the person's request: the floor to the last client, a
# resumption under churn, and a change to every caught-up client under churn.
TARGET_P95_MS = 50.0
TARGET_P99_MS = 100.0
TARGET_RATIO = 1.5
TARGET_RESUME_P95_MS = 250.0
TARGET_CHURN_P95_MS = 100.0
SECRET = "fan-out benchmark signing key, thrown away with its database"  # noqa: S105
PASSWORD = "a long benchmark password"  # noqa: S105 - a throwaway account
COOKIE = "summitry_session"
AT_MARK = "@AT@"
_AT = re.compile(r'"at":"[^"]*"')


def say(message: str) -> None:
    print(f"fanout: {message}", file=sys.stderr, flush=True)


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


def serve_summitry(
    port: int, data_dir: Path, database_url: str, profile_out: Path | None, redis_url: str = ""
) -> None:
    """Summitry as ``summitry serve`` runs it (its logging, uvicorn's defaults), media off;
    with ``redis_url``, a replica (``bench/replicas.py``)."""
    import uvicorn

    from summitry.app import create_app, prepare_to_serve
    from summitry.config import Settings
    from summitry.log.wire import LiveHttp, LiveWebSockets
    from summitry.logs import configure_logging

    settings = Settings(
        environment="development",
        data_dir=data_dir,
        database_url=database_url,
        secret_key=SECRET,
        host="127.0.0.1",
        port=port,
        media=False,
        redis_url=redis_url,
    )
    configure_logging()
    app = create_app(settings)
    prepare_to_serve()  # as `summitry serve` does
    trace_publishing(data_dir / PUBLISHING)
    trace_collections(data_dir / COLLECTIONS)
    if profile_out is None:
        uvicorn.run(
            app, host="127.0.0.1", port=port, log_config=None, http=LiveHttp, ws=LiveWebSockets
        )
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        uvicorn.run(
            app, host="127.0.0.1", port=port, log_config=None, http=LiveHttp, ws=LiveWebSockets
        )
    finally:
        profiler.disable()
        profiler.dump_stats(profile_out)


PUBLISHING = "publishing.json"
COLLECTIONS = "collections.json"


def trace_collections(out: Path) -> None:
    """Record each of the garbage collector's full collections in the server (when it began,
    ``time.time()``, and how long it stopped everything); saved at exit."""
    import atexit

    records: list[tuple[float, float]] = []
    began: list[float] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            began[:] = [time.time()]
        elif began:
            records.append((began[0], time.time() - began[0]))

    gc.callbacks.append(watch)
    atexit.register(lambda: out.write_text(json.dumps(records)))


def collections_between(workdir: Path, start: float, end: float) -> dict[str, Any]:
    """The server's full collections between ``start`` and ``end``: how many, how long."""
    path = workdir / COLLECTIONS
    if not path.exists():
        return {}
    pauses = [r[1] for r in json.loads(path.read_text()) if start <= r[0] <= end]
    return {"full_collections": len(pauses), "pause": summary(pauses)}


def trace_publishing(out: Path) -> None:
    """Record, for every commit the hub publishes, when it began (``time.time()``), how long
    after the last event's ``at`` (the rest of the transaction: its last flush, the commit),
    and how long the publishing call took (the writes to every socket); saved at exit."""
    import atexit

    from summitry.log.hub import LiveHub

    records: list[tuple[float, float, float, int]] = []
    publish = LiveHub.publish

    def traced(self: LiveHub, envelopes: list[Any]) -> None:
        began = time.time()
        publish(self, envelopes)
        ended = time.time()
        records.append((began, began - envelopes[-1].at.timestamp(), ended - began, len(envelopes)))

    LiveHub.publish = traced  # type: ignore[method-assign]
    atexit.register(lambda: out.write_text(json.dumps(records)))


def publishing_between(workdir: Path, start: float, end: float) -> dict[str, Any]:
    """Summitry's own part of the commits published between ``start`` and ``end``."""
    path = workdir / PUBLISHING
    if not path.exists():
        return {}
    records = [r for r in json.loads(path.read_text()) if start <= r[0] <= end]
    return {
        "at_to_publish": summary([r[1] for r in records]),
        "publish_call": summary([r[2] for r in records]),
    }


class BareRow:
    """One row committed per change, in Summitry's own database: on SQLite the same file (WAL,
    on a thread, as aiosqlite runs it); on PostgreSQL one asyncpg connection, the driver
    Summitry's engine uses, each insert its own transaction."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.sqlite: Any = None
        self.postgres: Any = None

    async def open(self) -> None:
        table = "CREATE TABLE IF NOT EXISTS bare_change (id {} PRIMARY KEY, at TEXT, body TEXT)"
        if self.url.startswith("postgresql"):
            import asyncpg

            self.postgres = await asyncpg.connect(self.url.replace("+asyncpg", "", 1))
            await self.postgres.execute(table.format("SERIAL"))
            return
        import sqlite3

        path = self.url.split(":///", 1)[1]
        self.sqlite = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.sqlite.execute("PRAGMA journal_mode=WAL")
        self.sqlite.execute(table.format("INTEGER"))

    async def write(self, at: str, body: str) -> None:
        if self.postgres is not None:
            await self.postgres.execute(
                "INSERT INTO bare_change (at, body) VALUES ($1, $2)", at, body
            )
            return
        await asyncio.to_thread(
            self.sqlite.execute, "INSERT INTO bare_change (at, body) VALUES (?, ?)", (at, body)
        )


def serve_bare(port: int, database_url: str) -> None:
    """The physical minimum of the floor's change, on Summitry's own HTTP and WebSocket stack
    (uvicorn with ``LiveWebSockets``, uvloop): ``POST /give`` carries the change's messages,
    one row is written to Summitry's database and committed (``BareRow``), the messages get
    one fresh ``at``, are framed once per compression and written to every subscriber's
    socket, and the request is answered. Every other path is a subscriber."""
    import uvicorn

    from summitry.log.wire import WIRE, LiveHttp, LiveWebSockets, Wire, frame_of

    subscribers: set[Wire] = set()
    row = BareRow(database_url)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.accept"})
            wire: Wire | None = scope["extensions"].get(WIRE)
            assert wire is not None, "served with LiveWebSockets"
            subscribers.add(wire)
            try:
                while (await receive())["type"] != "websocket.disconnect":
                    pass
            finally:
                subscribers.discard(wire)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        at = now_at()
        if row.sqlite is None and row.postgres is None:
            await row.open()  # the first request, a warm-up: on the server's own loop
        await row.write(at, body.decode())
        frames: dict[int | None, bytes] = {}
        for text in json.loads(body):
            text = text.replace(AT_MARK, at)
            frames.clear()
            for wire in subscribers:
                frame = frames.get(wire.window_bits)
                if frame is None:
                    frame = frames[wire.window_bits] = frame_of(text, wire.window_bits)
                wire.write(frame)
        answer = json.dumps({"at": at, "subscribers": len(subscribers)}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": answer})

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        http=LiveHttp,
        ws=LiveWebSockets,
        lifespan="off",
    )


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

    from summitry import log
    from summitry.db import create_engine, create_sessionmaker, utcnow
    from summitry.delegations import catalogue
    from summitry.delegations.models import Person
    from summitry.delegations.operations import check_delegation
    from summitry.delegations.schemas import DelegationIn
    from summitry.engagements.models import Attendee, Role
    from summitry.engagements.operations import create_engagement
    from summitry.engagements.schemas import EngagementIn
    from summitry.log.events import Event
    from summitry.meeting import operations as live
    from summitry.meeting.events import Admitted, LobbyEntered
    from summitry.meeting.models import MediaGrant
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
    sessionmaker = log.offline(create_sessionmaker(engine))  # the setup: no live page yet
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
            by="Fan-out benchmark",
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
            db.add(
                Invitation(
                    attendee_id=attendee.id, token_hash=token_hash(token), expires_at=expires
                )
            )
        await db.commit()
        heads = [a.id for a in attendees if a.role is Role.HEAD_OF_DELEGATION]
        # The heads entered and were admitted: what live.operations.enter and admit record.
        bodies: list[Event] = []
        for head in heads:
            bodies.append(LobbyEntered(attendee_id=head))
            db.add(
                MediaGrant(
                    engagement_id=engagement.id,
                    attendee_id=head,
                    token=new_token(),
                    feed_id=random.randrange(1, 2**53 - 1),
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


async def wait_until_listening(server: Server, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            sys.exit(f"fanout: the {server.name} server stopped; see {server.log}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.close()
            return
        await asyncio.sleep(0.1)
    sys.exit(f"fanout: the {server.name} server did not listen within {within} s")


# --- clients -----------------------------------------------------------------------------------


class _Wire(asyncio.Protocol):
    """One WebSocket connection: the ``websockets`` library's Sans-I/O client protocol on an
    asyncio transport. Each chunk of bytes is stamped (``time.time()``) as the event loop reads
    it, before any parsing: 1,000 reader tasks, as ``websockets.asyncio`` would run, would add
    their scheduling to every latency measured."""

    def __init__(self, client: Client, generation: int, url: str, compression: bool) -> None:
        from websockets.client import ClientProtocol
        from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
        from websockets.uri import parse_uri

        self.client = client
        self.generation = generation
        extensions = [ClientPerMessageDeflateFactory()] if compression else None
        self.ws = ClientProtocol(parse_uri(url), extensions=extensions, max_size=2**24)
        self.request = self.ws.connect()
        if client.cookie:
            self.request.headers["Cookie"] = f"{COOKIE}={client.cookie}"
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.closing = False  # we asked to close
        self.chunks: list[tuple[float, bytes]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment] # uvloop's is no asyncio.Transport
        self.ws.send_request(self.request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        self.chunks.append((time.time(), data))
        PARSER.touch(self)

    def parse(self) -> None:
        from websockets.frames import Frame, Opcode
        from websockets.http11 import Response

        chunks, self.chunks = self.chunks, []
        for t, data in chunks:
            self.ws.receive_data(data)
            for event in self.ws.events_received():
                if isinstance(event, Response):
                    if self.ws.handshake_exc is None:
                        self.opened.set_result(None)
                    else:
                        self.opened.set_exception(self.ws.handshake_exc)
                elif isinstance(event, Frame):
                    if event.opcode is Opcode.TEXT:  # the servers send whole messages
                        self.client.on_message(bytes(event.data), t, self.generation)
                    elif event.opcode is Opcode.CLOSE and not self.closing:
                        self.client.closed_by_server += 1
                        self.client.close_codes.append(self.ws.close_code or 0)
        if self.transport is not None and not self.transport.is_closing():
            self._flush()

    def _flush(self) -> None:
        assert self.transport is not None
        for chunk in self.ws.data_to_send():
            if chunk:
                self.transport.write(chunk)
            elif self.transport.can_write_eof():
                self.transport.write_eof()

    def eof_received(self) -> bool | None:
        self.parse()
        self.ws.receive_eof()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.chunks:
            self.parse()
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(None)

    async def close(self) -> None:
        self.closing = True
        if self.transport is None or self.transport.is_closing():
            return
        self.ws.send_close(1000)
        self._flush()
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), 5)
        except TimeoutError:
            self.transport.abort()


class _Parser:
    """Parses what the clients read once the reading has paused (or at the latest after
    ``LONGEST`` s): each chunk is stamped as the loop reads it, and if the 1,000 clients'
    decompression and JSON ran between reads, the last client's stamp would carry the
    parsing of the 999 before it. Each delegate's browser parses on its own machine; this
    harness parses 1,000 copies in one process, after the burst."""

    PAUSE = 0.003
    LONGEST = 0.05

    def __init__(self) -> None:
        self.pending: dict[_Wire, None] = {}
        self.last_read = self.first_read = 0.0
        self.timer: asyncio.TimerHandle | None = None

    def touch(self, wire: _Wire) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if not self.pending:
            self.first_read = now
        self.pending[wire] = None
        self.last_read = now
        if self.timer is None:
            self.timer = loop.call_later(self.PAUSE, self.check)

    def check(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        quiet = now - self.last_read
        if quiet < self.PAUSE and now - self.first_read < self.LONGEST:
            self.timer = loop.call_later(self.PAUSE - quiet, self.check)
            return
        self.timer = None
        pending, self.pending = self.pending, {}
        for wire in pending:
            wire.parse()


PARSER = _Parser()


@dataclass
class Client:
    """One live connection at a time; what it received, and whether it ever skipped or repeated."""

    index: int
    cookie: str | None
    compression: bool = True
    last: int = 0  # the last sequence number received
    got: dict[int, tuple[float, int]] = field(default_factory=dict)  # seq -> (time, connection)
    live_since: dict[int, float] = field(default_factory=dict)  # connection -> time subscribed
    generation: int = 0
    duplicated: int = 0
    missed: int = 0
    fresh_hellos: int = 0  # a reconnection answered by a whole new state instead of the gap
    keep: dict[int, str] | None = None  # raw texts by last seq (one reference client)
    wire: _Wire | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    closed_by_server: int = 0
    close_codes: list[int] = field(default_factory=list)
    failed_opens: int = 0
    roster_version: str | None = None  # named on resuming: the server then skips an unchanged one

    def on_message(self, raw: bytes, t: float, generation: int) -> None:
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
            if self.keep is not None:
                self.keep[self.last] = raw.decode()
        elif kind == "hello":
            if self.last and message["cursor"] != self.last:
                self.fresh_hellos += 1
            self.last = max(self.last, message["cursor"])
            self.roster_version = message.get("roster_version")
            self.live_since.setdefault(generation, t)
            self.ready.set()
        elif kind in ("roster", "resumed"):
            if kind == "roster":
                self.roster_version = message.get("version")
            self.live_since.setdefault(generation, t)
            self.ready.set()

    @property
    def live(self) -> bool:
        return self.wire is not None and not self.wire.closed.done()

    async def connect(self, url: str, after: int | None = None) -> None:
        self.generation += 1
        generation = self.generation
        self.ready = asyncio.Event()
        if after is not None:
            url = f"{url}?after={after}"
            if self.roster_version is not None:
                url = f"{url}&roster={self.roster_version}"
        loop = asyncio.get_running_loop()
        host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
        _, wire = await loop.create_connection(
            lambda: _Wire(self, generation, url, self.compression), host, int(port)
        )
        self.wire = wire
        await asyncio.wait_for(asyncio.shield(wire.opened), 120)
        if self.cookie is None:  # the bare server sends no hello: subscribed once open
            self.live_since[generation] = time.time()
            self.ready.set()

    async def open(self, url: str, after: int | None = None, attempts: int = 5) -> None:
        """Connect until the server has answered (hello, or resumed on a resumption); a
        connection closed before that is counted and tried again, as a browser would."""
        for attempt in range(attempts):
            with contextlib.suppress(OSError, TimeoutError, InvalidHandshake):
                await self.connect(url, after=after)
                assert self.wire is not None
                ready: asyncio.Future[Any] = asyncio.ensure_future(self.ready.wait())
                closed: asyncio.Future[Any] = asyncio.shield(self.wire.closed)
                await asyncio.wait(
                    {ready, closed}, timeout=300, return_when=asyncio.FIRST_COMPLETED
                )
                ready.cancel()
                if self.ready.is_set():
                    return
            self.failed_opens += 1
            await self.disconnect()
            await asyncio.sleep(1 + attempt)
            after = self.last or None
        raise RuntimeError(f"client {self.index} could not connect in {attempts} attempts")

    async def disconnect(self) -> None:
        wire, self.wire = self.wire, None
        if wire is not None:
            await wire.close()


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


async def connect_all(clients: list[Client], url: str, limit: int) -> float:
    """Open every client's connection, at most ``limit`` at a time; the seconds it took
    until each has its first message (the server's hello)."""
    started = time.monotonic()
    done = 0

    async def one(client: Client) -> None:
        nonlocal done
        await client.open(url)
        done += 1
        if done % 100 == 0:
            failed = sum(c.failed_opens for c in clients)
            say(f"  {done} connected ({time.monotonic() - started:.1f} s, {failed} failed tries)")

    await bounded([partial(one, c) for c in clients], limit)
    return time.monotonic() - started


# --- changes and their latencies ---------------------------------------------------------------


@dataclass
class Change:
    sent: float  # when the chair sent its request (time.time())
    first_seq: int
    last_seq: int
    at: float  # the `at` of the last event
    texts: list[str] = field(default_factory=list)


async def wait_delivered(clients: list[Client], seq: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if all(c.last >= seq for c in clients if c.live):
            return True
        await asyncio.sleep(0.002)
    return False


@dataclass
class Figures:
    per_change_at: list[float] = field(default_factory=list)  # all clients have it, from `at`
    per_change_sent: list[float] = field(default_factory=list)  # ... from the chair's request
    per_client_at: list[float] = field(default_factory=list)
    per_client_sent: list[float] = field(default_factory=list)
    incomplete: int = 0  # (client, change) pairs never received at all
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
    """Latencies of the clients that were subscribed when each change was committed."""
    figures = Figures()
    for change in changes:
        worst_at = worst_sent = 0.0
        counted = 0
        for client in clients:
            got = client.got.get(change.last_seq)
            if got is None:
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
        self.speaker: int | None = None  # who has the floor

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


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """This process's garbage collector paused while changes are timed: with 1,000 clients'
    records in one process, a full collection stops every client's reading for 0.1 s or more
    at random moments, which no delegate's browser would share. Collected before and after."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


async def run_changes(
    chair: Chair,
    clients: list[Client],
    count: int,
    gap: float,
    label: str,
    reinscribe: bool = False,
) -> list[Change]:
    """``count`` changes one after the other, each once every live client has the previous
    (the next in line is given the floor; with ``reinscribe``, the speaker who lost it is then
    inscribed again, and that is delivered too before the pause)."""
    changes = []
    with collector_paused():
        for i in range(count):
            change, events = await chair.give()
            if not await wait_delivered(clients, change.last_seq, 30):
                say(f"  {label}: change {i + 1} not delivered to every client within 30 s")
            changes.append(change)
            given = next(e for e in events if e["event"]["kind"] == "floor_given")
            if reinscribe and chair.speaker is not None:
                inscribed = await chair.post("/floor/requests", {"attendee_id": chair.speaker})
                await wait_delivered(clients, inscribed[-1]["seq"], 30)
            chair.speaker = given["event"]["attendee_id"]
            if (i + 1) % 20 == 0:
                say(f"  {label}: {i + 1}/{count} changes")
            await asyncio.sleep(gap * random.uniform(0.5, 1.5))
    return changes


# --- the phases --------------------------------------------------------------------------------


def texts_of(reference: Client, changes: list[Change]) -> list[list[str]]:
    """The messages of each change as the reference client received them, ``at`` marked."""
    assert reference.keep is not None
    out = []
    for change in changes:
        texts = [
            _AT.sub(f'"at":"{AT_MARK}"', reference.keep[seq])
            for seq in range(change.first_seq, change.last_seq + 1)
            if seq in reference.keep
        ]
        out.append(texts)
    return out


async def slow_connection(port: int, path: str, cookie: str) -> socket.socket:
    """A client that opens its live socket and then never reads again: a tiny receive buffer,
    no compression, the handshake's answer and whatever came with it read, nothing more."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Cookie: {COOKIE}={cookie}\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = await loop.sock_recv(sock, 1024)
        if not chunk:
            raise RuntimeError("the server closed the slow client's connection at once")
        answer += chunk
    if not answer.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"no WebSocket for the slow client: {answer[:80]!r}")
    return sock


def server_sockets(port: int) -> int:
    """How many established TCP connections the server side of ``port`` holds."""
    out = subprocess.run(  # noqa: S603
        ["ss", "-Htn", "state", "established", f"( sport = :{port} )"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return len([line for line in out.splitlines() if line.strip()])


def socket_states(port: int, peers: set[int]) -> list[str]:
    """The server's side of its TCP connections to ``peers`` (client ports): each one's state
    and the bytes waiting in its send queue, as ``ss`` shows them."""
    out = subprocess.run(  # noqa: S603
        ["ss", "-Htan", f"( sport = :{port} )"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    states = []
    for line in out.splitlines():
        parts = line.split()
        peer = parts[4].rsplit(":", 1)[-1] if len(parts) >= 5 else ""
        if peer.isdigit() and int(peer) in peers:
            states.append(f"{parts[0]} {parts[2]} B")
    return states or ["none"]


async def churn_phase(
    chair: Chair,
    clients: list[Client],
    url: str,
    seconds: float,
    rate: float,
    interval: float,
    drain: float,
) -> dict[str, Any]:
    """For ``seconds``: a floor change every ``interval`` s (and the previous speaker inscribed
    again), while every second ``rate`` of the clients leave, stay away 0.2-1 s and come back
    with ``?after=``. Then at most ``drain`` s for the reconnections under way to finish."""
    stop = time.monotonic() + seconds
    changes: list[Change] = []
    busy: set[int] = set()
    bounces: set[asyncio.Task[None]] = set()
    resume_times: list[float] = []
    failures: list[str] = []
    started = 0

    async def bounce(client: Client, delay: float, offline: float) -> None:
        try:
            await asyncio.sleep(delay)
            await client.disconnect()
            await asyncio.sleep(offline)
            began = time.monotonic()
            await client.open(url, after=client.last)
            resume_times.append(time.monotonic() - began)
        except Exception as err:  # counted and reported
            failures.append(f"{type(err).__name__}: {err}")
        finally:
            busy.discard(client.index)

    async def churner() -> None:
        nonlocal started
        per_second = round(rate * len(clients))
        while time.monotonic() < stop:
            idle = [c for c in clients if c.index not in busy and c.live]
            for client in random.sample(idle, min(per_second, len(idle))):
                busy.add(client.index)
                started += 1
                task = asyncio.create_task(
                    bounce(client, random.uniform(0, 1), random.uniform(0.2, 1.0))
                )
                bounces.add(task)
                task.add_done_callback(bounces.discard)
            await asyncio.sleep(1)

    async def floor() -> None:
        while time.monotonic() < stop:
            change, events = await chair.give()
            changes.append(change)
            given = next(e for e in events if e["event"]["kind"] == "floor_given")
            if chair.speaker is not None:
                await chair.post("/floor/requests", {"attendee_id": chair.speaker})
            chair.speaker = given["event"]["attendee_id"]
            if len(changes) % 40 == 0:
                say(f"  churn: {len(changes)} changes, {len(resume_times)} reconnections")
            await asyncio.sleep(interval * random.uniform(0.5, 1.5))

    await asyncio.gather(churner(), floor())
    say(
        f"churn: {len(changes)} changes and {len(resume_times)} reconnections in {seconds:.0f} s; "
        f"{len(bounces)} reconnections still under way"
    )
    began = time.monotonic()
    if bounces:
        await asyncio.wait(set(bounces), timeout=drain)
    unfinished = len(bounces)
    for task in list(bounces):
        task.cancel()
    last_seq = max(c.last for c in clients)
    await wait_delivered(clients, last_seq, 30)
    return {
        "changes": changes,
        "resume_times": resume_times,
        "failures": failures,
        "started": started,
        "unfinished": unfinished,
        "drain": time.monotonic() - began,
    }


def server_log_lines(server: Server, needle: str) -> list[str]:
    return [line for line in server.log.read_text(errors="replace").splitlines() if needle in line]


def profile_top(path: Path, limit: int = 25) -> str:
    import io
    import pstats

    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)
    return out.getvalue()


async def bare_phase(
    server: Server, clients: list[Client], replay: list[list[str]], gap: float, label: str
) -> list[Change]:
    """Each change's messages broadcast by the bare server, one change at a time, as Summitry
    had them (pacing as in phase 1)."""
    with collector_paused():
        return await _bare_changes(server, clients, replay, gap, label)


async def _bare_changes(
    server: Server, clients: list[Client], replay: list[list[str]], gap: float, label: str
) -> list[Change]:
    import httpx

    changes = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=60) as http:
        for i, texts in enumerate(replay):
            seqs = [e["seq"] for t in texts for e in json.loads(t)["events"]]
            for client in clients:
                client.last = seqs[0] - 1
            sent = time.time()
            answer = (await http.post("/give", content=json.dumps(texts))).json()
            if not await wait_delivered(clients, seqs[-1], 30):
                say(f"  {label}: change {i + 1} not delivered to every client within 30 s")
            changes.append(Change(sent, seqs[0], seqs[-1], parse_at(answer["at"])))
            if (i + 1) % 20 == 0:
                say(f"  {label}: {i + 1}/{len(replay)} changes")
            await asyncio.sleep(gap * random.uniform(0.5, 1.5))
    return changes


def machine() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = int(line.split()[1]) // 1024
    return {"nproc": os.cpu_count(), "cpu": model, "ram_mib": memory}


# --- the run -----------------------------------------------------------------------------------


async def drop_slow(
    chair: Chair, keep: list[Client], slow: int, server: Server, cycles: int
) -> dict[str, Any]:
    """Close and reopen the item (every head inscribed again: about 200 events a commit) until
    the hub has dropped the ``slow`` subscribers, or ``cycles`` times; ``keep`` are the clients
    still connected, whose delivery of each burst is timed."""
    bursts = []
    for cycle in range(cycles):
        await chair.post("/floor/items/close")
        sent = time.time()
        opened = await chair.post("/floor/items/1/open", {"inscribe_all": True})
        last = opened[-1]
        await wait_delivered(keep, last["seq"], 120)
        done = max(c.got[last["seq"]][0] for c in keep if last["seq"] in c.got)
        bursts.append(
            {
                "events": len(opened),
                "from_at_ms": round((done - parse_at(last["at"])) * 1000, 1),
                "from_request_ms": round((done - sent) * 1000, 1),
            }
        )
        drops = len(server_log_lines(server, "dropped a slow live follower"))
        say(f"  burst {cycle + 1}: {len(opened)} events, the hub has dropped {drops} so far")
        if drops >= slow:
            break
    chair.speaker = None
    return {"bursts": bursts, "last_seq": max(c.last for c in keep)}


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    from summitry import schema

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4 * args.clients + 1024
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    workdir = Path(tempfile.mkdtemp(prefix="summitry-fanout-"))
    result: dict[str, Any] = {"machine": machine(), "load_before": load_average()}
    say(f"machine {result['machine']}, load {result['load_before']}; working in {workdir}")
    compression = args.compression == "deflate"
    bench_started = time.monotonic()

    url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'summitry.db'}"
    started = time.monotonic()
    schema.upgrade(url)
    population = max(args.population or args.clients, args.clients)
    fixture = await populate(url, population // args.per_delegation, args.per_delegation)
    say(
        f"{population} attendees, invitations and {len(fixture.heads)} heads admitted "
        f"in {time.monotonic() - started:.1f} s"
    )

    profile_out = workdir / "summitry.prof" if args.profile else None
    extra = ["--data-dir", str(workdir), "--database-url", url]
    if profile_out:
        extra += ["--profile-out", str(profile_out)]
    summitry = start_server("summitry", workdir, extra)
    slow_sockets: list[socket.socket] = []
    clients: list[Client] = []
    try:
        await wait_until_listening(summitry)
        pid = summitry.process.pid
        base = f"http://127.0.0.1:{summitry.port}"
        chair = Chair(base, fixture.engagement_id)
        await chair.sign_in(fixture.secretary_email)
        await chair.post("/live/enter")

        started = time.monotonic()
        cookies = await open_sessions(base, fixture.tokens[: args.clients], args.http_concurrency)
        say(f"{len(cookies)} invitations opened in {time.monotonic() - started:.1f} s")
        path = f"/api/v1/engagements/{fixture.engagement_id}/live/ws"
        ws_url = f"ws://127.0.0.1:{summitry.port}{path}"
        clients = [Client(i, cookie, compression) for i, cookie in enumerate(cookies)]
        clients[0].keep = {}
        cpu0 = cpu_seconds(pid)
        connect_s = await connect_all(clients, ws_url, args.connect_concurrency)
        result["summitry_connect"] = {
            "seconds": round(connect_s, 1),
            "server_cpu_s": round(cpu_seconds(pid) - cpu0, 1),
        }
        say(f"summitry: {len(clients)} clients connected: {result['summitry_connect']}")

        # The chair opens the item once everyone is there: every head inscribed at once.
        sent = time.time()
        opened = await chair.post("/floor/items/1/open", {"inscribe_all": True})
        if not await wait_delivered(clients, opened[-1]["seq"], 120):
            say("the opening of the item did not reach every client within 120 s")
        result["item_opened"] = {
            "events": len(opened),
            "all_clients_from_request_s": round(
                max(c.got[opened[-1]["seq"]][0] for c in clients) - sent, 2
            ),
        }
        say(f"item opened: {result['item_opened']}")

        # Each change gives the floor to the next head in line: with fewer heads than changes
        # (a small --clients), the speaker who lost the floor is inscribed again after each.
        needed = args.warmup + args.changes + (5 if args.quiet > 0 else 0)
        needed += args.slow_changes if args.slow > 0 else 0
        again = len(fixture.heads) <= needed

        # 1. Summitry, 1,000 clients.
        await run_changes(chair, clients, args.warmup, args.gap, "warm-up", again)
        cpu0 = cpu_seconds(pid)
        main_began = time.time()
        main_changes = await run_changes(chair, clients, args.changes, args.gap, "summitry", again)
        main_ended = time.time()
        result["summitry"] = measure(main_changes, clients).as_json()
        result["summitry"]["server_cpu_s"] = round(cpu_seconds(pid) - cpu0, 1)
        say(f"summitry: {json.dumps(result['summitry'])}")

        # 2. Quiet.
        if args.quiet > 0:
            say(f"quiet: {args.quiet:.0f} s without an event")
            cpu0 = cpu_seconds(pid)
            await asyncio.sleep(args.quiet)
            quiet_cpu = cpu_seconds(pid) - cpu0
            after = await run_changes(chair, clients, 5, 1.0, "after quiet", again)
            result["quiet"] = {
                "seconds": args.quiet,
                "server_cpu_s": round(quiet_cpu, 1),
                "after": measure(after, clients).as_json(),
            }
            say(f"quiet: {json.dumps(result['quiet'])}")

        # 3. Slow clients.
        slow_ports: set[int] = set()
        if args.slow > 0:
            slow_from = max(c.last for c in clients)
            slow_sockets = [
                await slow_connection(summitry.port, path, clients[i].cookie or "")
                for i in range(args.slow)
            ]
            slow_ports = {s.getsockname()[1] for s in slow_sockets}
            await asyncio.sleep(1)
            cpu0 = cpu_seconds(pid)
            slow_changes = await run_changes(
                chair, clients, args.slow_changes, args.gap, "slow", again
            )
            result["slow"] = {
                "slow_clients": args.slow,
                "others": measure(slow_changes, clients).as_json(),
                "server_cpu_s": round(cpu_seconds(pid) - cpu0, 1),
                "server_side_after_changes": socket_states(summitry.port, slow_ports),
            }
            say(f"slow: {json.dumps(result['slow'])}")

        # 4. Churn.
        if args.churn_seconds > 0:
            say(
                f"churn: {args.churn_seconds:.0f} s, {args.churn_rate:.0%} of the clients a second "
                f"reconnect with ?after=, a change every ~{args.churn_interval} s"
            )
            cpu0 = cpu_seconds(pid)
            churn_began = time.time()
            churn = await churn_phase(
                chair,
                clients,
                ws_url,
                args.churn_seconds,
                args.churn_rate,
                args.churn_interval,
                args.churn_drain,
            )
            churn_ended = time.time()
            figures = measure(churn["changes"], clients)
            final = max(c.last for c in clients)
            result["churn"] = {
                **figures.as_json(),
                "missed": sum(c.missed for c in clients),
                "duplicated": sum(c.duplicated for c in clients),
                "behind_at_end": sum(1 for c in clients if c.live and c.last != final),
                "fresh_hellos": sum(c.fresh_hellos for c in clients),
                "reconnections_started": churn["started"],
                "reconnections_done": len(churn["resume_times"]),
                "reconnections_unfinished": churn["unfinished"],
                "reconnection_failures": len(churn["failures"]),
                "failure_examples": churn["failures"][:3],
                "resume": summary(churn["resume_times"]),
                "drain_s": round(churn["drain"], 1),
                "server_cpu_s": round(cpu_seconds(pid) - cpu0, 1),
                "last_seq": final,
            }
            say(f"churn: {json.dumps(result['churn'])}")

        result["summitry_checks"] = {
            "missed": sum(c.missed for c in clients),
            "duplicated": sum(c.duplicated for c in clients),
            "closed_by_server": sum(c.closed_by_server for c in clients),
            "failed_opens": sum(c.failed_opens for c in clients),
        }
        replay = texts_of(clients[0], main_changes)

        # 5. The slow clients dropped: bursts, with 50 clients left.
        if slow_sockets:
            keep, others = clients[:50], clients[50:]
            await bounded([c.disconnect for c in others], 100)
            demo = await drop_slow(chair, keep, args.slow, summitry, args.drop_cycles)
            drops = server_log_lines(summitry, "dropped a slow live follower")
            result["slow"].update(
                {
                    "events_after_they_stopped_reading": demo["last_seq"] - slow_from,
                    "bursts_with_50_clients": demo["bursts"],
                    "dropped_by_hub": len(drops),
                    "drop_log": [line[:23] for line in drops[:2]],
                    "server_side_at_end": socket_states(summitry.port, slow_ports),
                }
            )
            say(f"slow: {json.dumps(result['slow'])}")
        await bounded([c.disconnect for c in clients], 100)
        for sock in slow_sockets:
            sock.close()
        await chair.close()
    finally:
        for client in clients:
            if client.wire is not None and client.wire.transport is not None:
                client.wire.transport.abort()
        summitry.stop()
    result["summitry"]["server_side"] = publishing_between(workdir, main_began, main_ended)
    result["summitry"]["server_gc"] = collections_between(workdir, main_began, main_ended)
    if "churn" in result:
        result["churn"]["server_gc"] = collections_between(workdir, churn_began, churn_ended)
        say(f"churn, in the server: {json.dumps(result['churn']['server_gc'])}")
    say(f"summitry, in the server: {json.dumps(result['summitry']['server_side'])}")
    if profile_out is not None and profile_out.exists():
        say("profile of the Summitry server (cProfile, whole run):\n" + profile_top(profile_out))

    # 6. Bare: the same messages, framed once and written to every socket.
    bare = start_server("bare", workdir, ["--data-dir", str(workdir), "--database-url", url])
    try:
        await wait_until_listening(bare)
        bare_clients = [Client(i, None, compression) for i in range(args.clients)]
        await bare_phase_warmup(bare, replay[: args.warmup])
        url = f"ws://127.0.0.1:{bare.port}/ws"
        connect_s = await connect_all(bare_clients, url, args.connect_concurrency)
        say(f"bare: {len(bare_clients)} clients connected in {connect_s:.1f} s")
        bare_changes = await bare_phase(bare, bare_clients, replay, args.gap, "bare")
        result["bare"] = measure(bare_changes, bare_clients).as_json()
        say(f"bare: {json.dumps(result['bare'])}")
        await bounded([c.disconnect for c in bare_clients], 100)
    finally:
        bare.stop()
    result["load_after"] = load_average()
    result["workdir"] = str(workdir)
    result["run_s"] = round(time.monotonic() - bench_started)
    return result


async def bare_phase_warmup(server: Server, replay: list[list[str]]) -> None:
    """Nothing to warm on the server side but Python's own caches: send to nobody."""
    import httpx

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=60) as http:
        for texts in replay:
            (await http.post("/give", content=json.dumps(texts))).raise_for_status()


def headline(result: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    main = result["summitry"]["all_clients_from_at"]
    bare = result["bare"]["all_clients_from_at"]
    churn = result.get("churn", {})
    ratio = main["p95_ms"] / bare["p95_ms"] if bare.get("p95_ms") else float("nan")
    from_request = result["summitry"]["all_clients_from_request"]
    bare_from_request = result["bare"]["all_clients_from_request"]
    return {
        "clients": args.clients,
        "changes": result["summitry"]["changes"],
        "measured_from": "event at (server, in the transaction) to client receive, same clock",
        "p50_ms": main["p50_ms"],
        "p95_ms": main["p95_ms"],
        "p99_ms": main["p99_ms"],
        "max_ms": main["max_ms"],
        "bare_p50_ms": bare["p50_ms"],
        "bare_p95_ms": bare["p95_ms"],
        "bare_p99_ms": bare["p99_ms"],
        "bare_max_ms": bare["max_ms"],
        "ratio_vs_floor": round(ratio, 2),
        # The clock: from the chair's request leaving the client to the last client's
        # receipt; the bare server is given the same request, one row and the same wire.
        "t0": "the chair's POST .../floor/give leaves the client (bare: POST /give)",
        "t1": "the last of the clients has read the change's events",
        "database": args.database,
        "from_request_p50_ms": from_request["p50_ms"],
        "from_request_p95_ms": from_request["p95_ms"],
        "from_request_p99_ms": from_request["p99_ms"],
        "bare_from_request_p95_ms": bare_from_request["p95_ms"],
        "bare_from_request_p99_ms": bare_from_request["p99_ms"],
        "ratio_from_request_p95": round(from_request["p95_ms"] / bare_from_request["p95_ms"], 2),
        "compression": args.compression,
        "churn_missed": churn.get("missed"),
        "churn_duplicated": churn.get("duplicated"),
        "churn_p95_ms": churn.get("all_clients_from_request", {}).get("p95_ms"),
        "churn_p99_ms": churn.get("all_clients_from_request", {}).get("p99_ms"),
        "churn_from_at_p95_ms": churn.get("all_clients_from_at", {}).get("p95_ms"),
        "churn_changes": churn.get("changes"),
        "churn_reconnections": churn.get("reconnections_done"),
        "churn_reconnections_unfinished": churn.get("reconnections_unfinished"),
        "churn_resume_p95_ms": churn.get("resume", {}).get("p95_ms"),
        "slow_others_p95_ms": result.get("slow", {})
        .get("others", {})
        .get("all_clients_from_at", {})
        .get("p95_ms"),
        "slow_dropped_by_hub": result.get("slow", {}).get("dropped_by_hub"),
        "targets": {
            "from_request_p95_ms": TARGET_P95_MS,
            "from_request_p99_ms": TARGET_P99_MS,
            "ratio_from_request_p95": TARGET_RATIO,
            "churn_resume_p95_ms": TARGET_RESUME_P95_MS,
            "churn_p95_ms": TARGET_CHURN_P95_MS,
        },
        "met": {
            "from_request_p95": from_request["p95_ms"] <= TARGET_P95_MS,
            "from_request_p99": from_request["p99_ms"] <= TARGET_P99_MS,
            "ratio_from_request_p95": from_request["p95_ms"]
            <= TARGET_RATIO * bare_from_request["p95_ms"],
            "churn_resume_p95": (churn.get("resume", {}).get("p95_ms") or float("inf"))
            <= TARGET_RESUME_P95_MS,
            "churn_p95": (churn.get("all_clients_from_request", {}).get("p95_ms") or float("inf"))
            <= TARGET_CHURN_P95_MS,
        },
        "detail": result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--per-delegation", type=int, default=5)
    parser.add_argument(
        "--population", type=int, default=0, help="attendees (default: one per client)"
    )
    parser.add_argument("--changes", type=int, default=50, help="measured changes")
    parser.add_argument("--warmup", type=int, default=3, help="changes before, not counted")
    parser.add_argument("--gap", type=float, default=0.1, help="mean pause between changes, s")
    parser.add_argument("--quiet", type=float, default=20.0, help="quiet phase, s (0: none)")
    parser.add_argument("--slow", type=int, default=10, help="clients that never read")
    parser.add_argument("--churn-seconds", type=float, default=60.0)
    parser.add_argument("--churn-rate", type=float, default=0.05, help="share reconnecting a s")
    parser.add_argument("--churn-interval", type=float, default=0.25, help="s between changes")
    parser.add_argument("--churn-drain", type=float, default=90.0, help="s to let them finish")
    parser.add_argument("--slow-changes", type=int, default=30, help="changes measured with them")
    parser.add_argument("--drop-cycles", type=int, default=12, help="most bursts to drop them")
    parser.add_argument("--compression", choices=["deflate", "none"], default="deflate")
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument(
        "--http-concurrency",
        type=int,
        default=None,
        help="invitations opened at once (default 1 on SQLite, 20 on PostgreSQL)",
    )
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="Summitry's database (postgresql: one started for the run, in a temporary folder)",
    )
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help="cProfile the Summitry server")
    parser.add_argument("--serve", choices=["summitry", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    import uvloop

    if args.serve == "summitry":
        serve_summitry(args.port, args.data_dir, args.database_url, args.profile_out)
        return
    if args.serve == "bare":
        serve_bare(args.port, args.database_url)
        return
    if args.http_concurrency is None:
        # SQLite refuses concurrent openings with "database is locked"; PostgreSQL does not.
        args.http_concurrency = 1 if args.database == "sqlite" else 20
    with contextlib.ExitStack() as stack:
        if args.database == "postgresql":
            from tests.support.postgres import create_database, postgres_server

            say("starting PostgreSQL (durable: each commit waits for its WAL on disk)")
            server_url = stack.enter_context(postgres_server(durable=True))
            args.database_url = create_database(server_url, "summitry_fanout")
        result = uvloop.run(bench(args))
    print(json.dumps(headline(result, args)))


if __name__ == "__main__":
    main()
