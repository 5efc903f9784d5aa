"""Document edit benchmark: the secretariat's edit of the text on screen, until every follower
of the meeting holds the new wording.

    .venv/bin/python bench/document_edit.py                      (from the repository's root;
                                                                 no root needed; SQLite, then
                                                                 a durable PostgreSQL started
                                                                 for the run; under 3 minutes)
    .venv/bin/python bench/document_edit.py --database sqlite --followers 20 --rounds 3
    .venv/bin/python bench/document_edit.py --profile             (cProfile in the server)

In a live meeting the chair has put an outcome document on every screen; the secretariat
replaces a paragraph as agreed (``POST .../documents/{id}/versions``, one paragraph). The live
feed's ``version_made`` event carries no text (a confidential draft's wording is for its
parties alone); just before it, each reader's connections are sent the document itself
(``documents/readers.py``), which ``meeting/static/text.js`` shows as it comes. (A page that
was sent nothing, which may not read it or was not yet known, asks ``GET .../documents/screen``
and ``GET .../documents/{id}`` on the event, as this benchmark's first version measured for
every page: 3.5-4.5 s for 200.)
Target (the issue): the change visible to all within a second.

Summitry (``create_app`` under uvicorn as ``summitry serve`` runs it, media off: ``bench/
fanout.py``'s ``serve_summitry``) runs in a process of its own; this process is the
secretariat (httpx) and the followers, all in one uvloop loop. Each follower is a real invitee
of the engagement (``bench/fanout.py``'s ``populate``: one head of delegation per delegation,
in the room; each opens its personal link over HTTP for its own session cookie) and is a page:
the live WebSocket (the ``websockets`` Sans-I/O client of ``bench/fanout.py``, offering
permessage-deflate as browsers do, each message parsed as soon as it is read, as a browser
would) and one keep-alive HTTP/1.1 connection of its own (a minimal client on an asyncio
transport: httpx's own work for 400 requests in this process would weigh on every figure).
Each follower does what ``text.js`` does, loads coalesced as there: on the ``hello`` it loads
the text on screen, and on every document event for the text on screen it loads it again. The
secretariat drafts the document through the API (``--paragraphs`` paragraphs in English and
French, confidential, every delegation a party), enters the meeting and puts it on screen.

Rounds, one at a time: the secretariat replaces paragraph 2 with a wording of its own round.
**t0**: ``time.time()`` just before the edit request leaves this process. **t1**, per
follower: the socket read of the message that carries the document with the round's wording
(or, without one, the last byte of its ``GET .../documents/{id}`` answer); each is checked to
carry the round's wording (``stale`` otherwise). Per round: p50, p95 and max over the
followers; the next round begins once every follower holds the wording (or after 30 s),
``--gap`` s later. Rendering is left out (one paragraph in a browser), and so is TLS (the
server is on 127.0.0.1; in production the browser holds its connection to the proxy).

Beside it, in the same run and on the same database, the **baseline**, given every advantage:
``bench/fanout.py``'s bare server on the same uvicorn and ``LiveWebSockets``, which receives
the secretariat's request, writes one row (the new wording) to the same database, frames the
message once and writes it to every socket: the wording itself travels on the feed, with no
second request, no session, no rights checked. **t1** there: the follower's socket read of
that message. Also reported from Summitry's own rounds: when the ``version_made`` event reached
each follower (``event_*``), the fan-out alone, and when its ``/screen`` answer came.

Progress goes to stderr; the last line of stdout is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "src", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench.fanout import (  # noqa: E402 - needs the path above
    AT_MARK,
    COOKIE,
    Chair,
    Server,
    _Wire,
    bounded,
    collections_between,
    collector_paused,
    cpu_seconds,
    free_port,
    load_average,
    machine,
    open_sessions,
    populate,
    profile_top,
    publishing_between,
    serve_bare,
    serve_summitry,
    summary,
    wait_until_listening,
)
from bench.stage import percentile  # noqa: E402

TARGET_MS = 1000.0  # the issue's: the change visible to all within a second
PARAGRAPH = 2  # the paragraph on screen, and the one edited
LANGUAGE = "en"
BASELINE = (
    "bench/fanout.py's bare server on the same uvicorn, uvloop and LiveWebSockets and the same "
    "database: it receives the secretariat's request, writes one row (the new wording) and "
    "writes the message with the wording, framed once, to every follower's socket; t1 is each "
    "follower's socket read of it. No second request, no session or rights checked, no "
    "confidentiality: the physical minimum of putting the new wording on every screen. The "
    "fan-out alone on Summitry (request to the version_made event) is reported as event_*."
)


def say(message: str) -> None:
    print(f"document_edit: {message}", file=sys.stderr, flush=True)


def figures(values: list[float]) -> dict[str, float | int]:
    """p50, p95 and max of ``values`` (seconds), in milliseconds: ``fanout.summary``'s."""
    return {k: v for k, v in summary(values).items() if k != "p99_ms"}


# --- the followers' two connections ------------------------------------------------------------


class _Http(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time, as a page's fetches reuse
    the connection to their server. Answers are stamped with ``time.time()`` when the chunk
    that completes them is read; the body is kept as bytes."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[float, int, bytes]] | None = None
        self.head: tuple[int, int, int, bool] | None = None  # end, status, length, close

    @property
    def open(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment] # uvloop's is no asyncio.Transport

    def send(self, request: bytes) -> asyncio.Future[tuple[float, int, bytes]]:
        assert self.transport is not None
        assert self.waiter is None or self.waiter.done(), "one request at a time"
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        t = time.time()
        self.buffer += data
        if self.head is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            status, length, close = int(lines[0].split()[1]), 0, False
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "connection":
                    close = "close" in value.lower()
            self.head = (end + 4, status, length, close)
        start, status, length, close = self.head
        if len(self.buffer) < start + length:
            return
        body = bytes(self.buffer[start : start + length])
        del self.buffer[: start + length]
        self.head = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((t, status, body))
        if close and self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the server closed the connection"))


class _Feed(_Wire):
    """``bench/fanout.py``'s WebSocket client, parsing each read at once: a follower acts on
    its event (sends its request) as soon as it has it, as a browser would."""

    def data_received(self, data: bytes) -> None:
        self.chunks.append((time.time(), data))
        self.parse()


@dataclass
class Load:
    """One load of the text on screen, as ``text.js``'s ``load()``."""

    trigger: int | None  # the version whose event started it (None: the hello)
    started: float
    screen_at: float = 0.0
    done_at: float = 0.0
    body: bytes = b""


@dataclass
class Follower:
    """A page following the meeting: its live feed and its HTTP connection."""

    index: int
    cookie: str | None  # None: on the bare server
    port: int
    api: str  # /api/v1/engagements/{id}/documents
    wire: _Feed | None = None
    http: _Http | None = None
    shown: int | None = None  # the document on screen, as text.js's ``shown``
    loading: asyncio.Task[None] | None = None
    events: dict[int, float] = field(default_factory=dict)  # version -> event read
    loads: dict[int | None, Load] = field(default_factory=dict)  # by trigger
    pushed: dict[int, tuple[float, str]] = field(default_factory=dict)  # bare: version -> text
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    coalesced: int = 0  # events that found a load in flight (text.js then loads nothing more)
    reconnections: int = 0  # HTTP connections opened again (the server's keep-alive ended)
    failures: list[str] = field(default_factory=list)
    closed_by_server: int = 0  # _Wire's interface
    close_codes: list[int] = field(default_factory=list)

    # The live feed (called by _Wire with the read time of the message's chunk).
    def on_message(self, raw: bytes, t: float, generation: int) -> None:
        message = json.loads(raw)
        if message.get("type") == "hello":
            self.ready.set()
            self.load(None, t)
        elif message.get("type") == "document":
            # Summitry sends the document itself to those who may read it, just before the
            # event (documents/readers.py); text.js shows it as it comes.
            latest = message["document"]["latest"]
            self.pushed[latest["number"]] = (t, latest["texts"][LANGUAGE][PARAGRAPH - 1])
        elif message.get("type") == "events":
            for envelope in message["events"]:
                event = envelope["event"]
                if event.get("document_id") is None:
                    continue
                kind = event["kind"]
                if kind == "version_made":
                    if "text" in event:  # the bare server's: the wording itself
                        self.pushed[event["number"]] = (t, event["text"])
                        continue
                    self.events[event["number"]] = t
                    if event["number"] in self.pushed:
                        continue  # text.js: told already, nothing to load
                if kind.startswith("text_") or event["document_id"] == self.shown:
                    self.load(event.get("number") if kind == "version_made" else None, t)

    def load(self, trigger: int | None, t: float) -> None:
        """text.js: ``loading ??= (async () => {...})()``; the first request leaves at once."""
        if self.loading is not None and not self.loading.done():
            self.coalesced += 1
            return
        record = Load(trigger, t)
        first = self.get(f"{self.api}/screen")
        self.loading = asyncio.ensure_future(self._load(record, first))

    async def _load(self, record: Load, first: Awaitable[tuple[float, int, bytes]]) -> None:
        try:
            t, status, body = await self.retried(first, f"{self.api}/screen")
            if status != 200:
                raise RuntimeError(f"GET screen: {status} {body[:200]!r}")
            record.screen_at = t
            document_id = json.loads(body)["document_id"]
            self.shown = document_id
            if document_id is None:
                raise RuntimeError("nothing on screen")
            path = f"{self.api}/{document_id}"
            t, status, body = await self.retried(self.get(path), path)
            if status != 200:
                raise RuntimeError(f"GET document: {status} {body[:200]!r}")
            record.done_at, record.body = t, body
            self.loads[record.trigger] = record
        except Exception as err:  # counted and reported, as the page's catch swallows it
            self.failures.append(f"{type(err).__name__}: {err}")

    def get(self, path: str) -> Awaitable[tuple[float, int, bytes]]:
        """Send ``GET path`` now on the open connection, or once a new one is open."""
        request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Accept: application/json\r\nCookie: {COOKIE}={self.cookie}\r\n\r\n"
        ).encode()
        if self.http is not None and self.http.open:
            return self.http.send(request)
        return asyncio.ensure_future(self._connect_and_send(request))

    async def _connect_and_send(self, request: bytes) -> tuple[float, int, bytes]:
        loop = asyncio.get_running_loop()
        _, self.http = await loop.create_connection(_Http, "127.0.0.1", self.port)
        self.reconnections += 1
        return await self.http.send(request)

    async def retried(
        self, sent: Awaitable[tuple[float, int, bytes]], path: str
    ) -> tuple[float, int, bytes]:
        """A browser sends an idempotent request again if its kept-alive connection was
        closed under it."""
        try:
            return await sent
        except ConnectionError:
            self.http = None
            return await self.get(path)

    async def connect(self, url: str) -> None:
        loop = asyncio.get_running_loop()
        _, wire = await loop.create_connection(
            lambda: _Feed(self, 1, url, True),  # type: ignore[arg-type] # duck-typed Client
            "127.0.0.1",
            self.port,
        )
        self.wire = wire
        await asyncio.wait_for(asyncio.shield(wire.opened), 60)
        if self.cookie is None:
            self.ready.set()  # the bare server sends no hello
            return
        await asyncio.wait_for(self.ready.wait(), 60)
        if self.loading is not None:
            await self.loading  # the text on screen shown once, as the page shows it on hello

    async def disconnect(self) -> None:
        if self.wire is not None:
            await self.wire.close()
        if self.http is not None and self.http.transport is not None:
            self.http.transport.close()


def wording(round_: int) -> str:
    return (
        f"The Parties agree, in round {round_} of the reading, to reconvene within ninety days "
        "at the level of senior officials to review the implementation of the commitments set "
        "out in this paragraph, and request the secretariat to circulate a report in advance."
    )


def document_texts(paragraphs: int) -> dict[str, str]:
    """A communiqué of ``paragraphs`` paragraphs of about 400 characters, in two languages."""
    en = (
        "{n}. The Parties, recalling their earlier commitments and the principles of the "
        "Charter, welcome the progress made since their last meeting on matters of common "
        "concern, and resolve to deepen their cooperation on trade, climate, health and the "
        "peaceful settlement of disputes, in accordance with international law and with full "
        "respect for the sovereignty of each of them."
    )
    fr = (
        "{n}. Les Parties, rappelant leurs engagements antérieurs et les principes de la "
        "Charte, se félicitent des progrès accomplis depuis leur dernière réunion sur les "
        "questions d'intérêt commun et décident d'approfondir leur coopération en matière de "
        "commerce, de climat, de santé et de règlement pacifique des différends, conformément "
        "au droit international et dans le plein respect de la souveraineté de chacune."
    )
    return {
        "en": "\n\n".join(en.format(n=n) for n in range(1, paragraphs + 1)),
        "fr": "\n\n".join(fr.format(n=n) for n in range(1, paragraphs + 1)),
    }


# --- rounds ------------------------------------------------------------------------------------


@dataclass
class Round:
    index: int
    version: int
    sent: float
    answered: float  # the edit request's answer (201)
    text: list[float] = field(default_factory=list)  # per follower: holds the new wording
    event: list[float] = field(default_factory=list)  # ... has the version_made event
    screen: list[float] = field(default_factory=list)  # ... has its /screen answer
    stale: int = 0  # an answer without the round's wording
    missing: int = 0  # no answer after the event within the wait (or no event)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "round": self.index,
            "edit_answered_ms": round((self.answered - self.sent) * 1000, 1),
            "text": figures(self.text),
        }
        if self.event:
            out["event"] = figures(self.event)
            out["screen"] = figures(self.screen)
        if self.stale or self.missing:
            out["stale"], out["missing"] = self.stale, self.missing
        return out


def holds(follower: Follower, version: int, bare: bool) -> bool:
    return version in follower.pushed or (not bare and version in follower.loads)


async def wait_all(followers: list[Follower], version: int, bare: bool, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if all(holds(f, version, bare) for f in followers):
            return
        await asyncio.sleep(0.002)
    say(f"  version {version}: not with every follower within {within:.0f} s")


def settle(done: Round, followers: list[Follower], expected: str, bare: bool) -> None:
    """The round's figures, each answer checked for the round's wording."""
    for follower in followers:
        if not bare and done.version in follower.pushed and done.version in follower.events:
            done.event.append(follower.events[done.version] - done.sent)
        if bare or done.version in follower.pushed:
            pushed = follower.pushed.get(done.version)
            if pushed is None:
                done.missing += 1
            elif pushed[1] != expected:
                done.stale += 1
            else:
                done.text.append(pushed[0] - done.sent)
            continue
        load = follower.loads.get(done.version)
        event = follower.events.get(done.version)
        if load is None or event is None:
            done.missing += 1
            continue
        latest = json.loads(load.body)["latest"]
        if latest["texts"][LANGUAGE][PARAGRAPH - 1] != expected:
            done.stale += 1
            continue
        done.text.append(load.done_at - done.sent)
        done.event.append(event - done.sent)
        done.screen.append(load.screen_at - done.sent)


async def rounds(
    label: str,
    edit: Any,
    followers: list[Follower],
    count: int,
    first_round: int,
    gap: float,
    bare: bool,
) -> list[Round]:
    """``count`` edits, one at a time; ``edit(round)`` sends one and returns (version, sent,
    answered)."""
    done: list[Round] = []
    with collector_paused():
        for k in range(first_round, first_round + count):
            version, sent, answered = await edit(k)
            await wait_all(followers, version, bare, 30)
            current = Round(k, version, sent, answered)
            settle(current, followers, wording(k), bare)
            done.append(current)
            worst = max(current.text, default=float("nan"))
            say(f"  {label} round {k}: every follower in {worst * 1000:.0f} ms")
            await asyncio.sleep(gap * random.uniform(0.5, 1.5))
    return done


def over_rounds(measured: list[Round]) -> dict[str, Any]:
    """The typical round (the median, over rounds, of each round's p50, p95 and max over its
    followers), the worst round (the largest max) and every pair pooled."""
    per_round = [figures(r.text) for r in measured if r.text]
    if not per_round:
        return {"rounds": 0}
    worst = max(measured, key=lambda r: max(r.text, default=0.0))
    out: dict[str, Any] = {
        "rounds": len(per_round),
        "p50_ms": round(percentile([f["p50_ms"] for f in per_round], 50), 1),
        "p95_ms": round(percentile([f["p95_ms"] for f in per_round], 50), 1),
        "max_ms": round(percentile([f["max_ms"] for f in per_round], 50), 1),
        "worst_round": worst.as_json(),
        "pooled": figures([t for r in measured for t in r.text]),
        "stale": sum(r.stale for r in measured),
        "missing": sum(r.missing for r in measured),
        "edit_answered": figures([r.answered - r.sent for r in measured]),
    }
    if any(r.event for r in measured):
        out["event"] = figures([t for r in measured for t in r.event])
        out["event_max_per_round"] = figures([max(r.event) for r in measured if r.event])
        out["screen"] = figures([t for r in measured for t in r.screen])
    return out


# --- the phases --------------------------------------------------------------------------------


def start(name: str, workdir: Path, extra: list[str]) -> Server:
    port = free_port()
    log = workdir / f"{name}.log"
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", name, "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - this very script
            [*command, *extra], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
        )
    return Server(name, process, port, log)


async def connect_followers(followers: list[Follower], url: str) -> float:
    began = time.monotonic()
    await bounded([partial(f.connect, url) for f in followers], 20)
    return time.monotonic() - began


async def summitry_phase(
    args: argparse.Namespace, workdir: Path, url: str, fixture: Any
) -> dict[str, Any]:
    profile_out = workdir / "summitry.prof" if args.profile else None
    extra = ["--data-dir", str(workdir), "--database-url", url]
    if profile_out is not None:
        extra += ["--profile-out", str(profile_out)]
    server = start("summitry", workdir, extra)
    followers: list[Follower] = []
    result: dict[str, Any] = {}
    try:
        await wait_until_listening(server)
        base = f"http://127.0.0.1:{server.port}"
        secretariat = Chair(base, fixture.engagement_id)
        await secretariat.sign_in(fixture.secretary_email)
        await secretariat.post("/live/enter")
        api = f"/api/v1/engagements/{fixture.engagement_id}/documents"
        drafted = await secretariat.http.post(
            api,
            json={
                "kind": "communique",
                "title": "Communiqué of the benchmark",
                "texts": document_texts(args.paragraphs),
                "confidential": True,
            },
        )
        if drafted.status_code != 201:
            sys.exit(f"document_edit: drafting: {drafted.status_code} {drafted.text[:300]}")
        document_id = drafted.json()["id"]
        shown = await secretariat.http.post(
            f"{api}/{document_id}/screen", json={"paragraph": PARAGRAPH}
        )
        shown.raise_for_status()

        began = time.monotonic()
        cookies = await open_sessions(base, fixture.tokens[: args.followers], args.http_concurrency)
        say(f"{len(cookies)} invitations opened in {time.monotonic() - began:.1f} s")
        followers = [Follower(i, c, server.port, api) for i, c in enumerate(cookies)]
        ws_url = f"ws://127.0.0.1:{server.port}/api/v1/engagements/{fixture.engagement_id}/live/ws"
        seconds = await connect_followers(followers, ws_url)
        first = json.loads(followers[0].loads[None].body)
        result["document_bytes"] = len(followers[0].loads[None].body)
        result["document_paragraphs"] = len(first["latest"]["texts"][LANGUAGE])
        say(
            f"summitry: {len(followers)} followers connected, each with the text on screen, in "
            f"{seconds:.1f} s; the document's answer is {result['document_bytes']} bytes"
        )

        async def edit(k: int) -> tuple[int, float, float]:
            body = {"language": LANGUAGE, "paragraph": PARAGRAPH, "action": "replace"}
            sent = time.time()
            answer = await secretariat.http.post(
                f"{api}/{document_id}/versions", json={**body, "text": wording(k)}
            )
            answered = time.time()
            if answer.status_code != 201:
                raise RuntimeError(f"edit: {answer.status_code} {answer.text[:300]}")
            return answer.json()["number"], sent, answered

        await rounds("summitry warm-up", edit, followers, args.warmup, 1, args.gap, False)
        pid = server.process.pid
        cpu0, began_at = cpu_seconds(pid), time.time()
        own0 = resource.getrusage(resource.RUSAGE_SELF)
        measured = await rounds(
            "summitry", edit, followers, args.rounds, args.warmup + 1, args.gap, False
        )
        ended_at = time.time()
        result.update(over_rounds(measured))
        result["server_cpu_s"] = round(cpu_seconds(pid) - cpu0, 1)
        own = resource.getrusage(resource.RUSAGE_SELF)
        own_s = own.ru_utime + own.ru_stime - own0.ru_utime - own0.ru_stime
        result["client_cpu_s"] = round(own_s, 1)  # this process: the secretariat, the followers
        result["wall_s"] = round(ended_at - began_at, 1)
        result["per_round"] = [r.as_json() for r in measured]
        result["coalesced"] = sum(f.coalesced for f in followers)
        result["http_reconnections"] = sum(f.reconnections for f in followers) - len(followers)
        result["failures"] = [x for f in followers for x in f.failures][:5]
        result["closed_by_server"] = sum(f.closed_by_server for f in followers)
        await bounded([f.disconnect for f in followers], 100)
        await secretariat.close()
    finally:
        for follower in followers:
            if follower.wire is not None and follower.wire.transport is not None:
                follower.wire.transport.abort()
        server.stop()
    if "per_round" in result:
        result["server_side"] = publishing_between(workdir, began_at, ended_at)
        result["server_gc"] = collections_between(workdir, began_at, ended_at)
    if profile_out is not None and profile_out.exists():
        say("profile of the Summitry server (cProfile, whole run):\n" + profile_top(profile_out))
    return result


async def bare_phase(args: argparse.Namespace, workdir: Path, url: str) -> dict[str, Any]:
    import httpx

    server = start("bare", workdir, ["--data-dir", str(workdir), "--database-url", url])
    followers = [Follower(i, None, server.port, "") for i in range(args.followers)]
    try:
        await wait_until_listening(server)
        seconds = await connect_followers(followers, f"ws://127.0.0.1:{server.port}/ws")
        say(f"bare: {len(followers)} followers connected in {seconds:.1f} s")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http:

            async def edit(k: int) -> tuple[int, float, float]:
                event = {
                    "kind": "version_made",
                    "document_id": 1,
                    "number": k + 1,
                    "language": LANGUAGE,
                    "paragraph": PARAGRAPH,
                    "text": wording(k),
                }
                message = {"type": "events", "events": [{"seq": k, "at": AT_MARK, "event": event}]}
                sent = time.time()
                answer = await http.post("/give", content=json.dumps([json.dumps(message)]))
                answered = time.time()
                answer.raise_for_status()
                return k + 1, sent, answered

            await rounds("bare warm-up", edit, followers, args.warmup, 1, args.gap, True)
            measured = await rounds(
                "bare", edit, followers, args.rounds, args.warmup + 1, args.gap, True
            )
        result = over_rounds(measured)
        result["per_round"] = [r.as_json() for r in measured]
        await bounded([f.disconnect for f in followers], 100)
    finally:
        for follower in followers:
            if follower.wire is not None and follower.wire.transport is not None:
                follower.wire.transport.abort()
        server.stop()
    return result


async def bench(args: argparse.Namespace, database: str, url: str) -> dict[str, Any]:
    from summitry import schema

    workdir = Path(tempfile.mkdtemp(prefix=f"summitry-document-edit-{database}-"))
    say(f"{database}: working in {workdir}; load {load_average()}")
    url = url or f"sqlite+aiosqlite:///{workdir / 'summitry.db'}"
    began = time.monotonic()
    schema.upgrade(url)
    delegations = min(args.followers, 200)
    per_delegation = math.ceil(args.followers / delegations)
    fixture = await populate(url, delegations, per_delegation)
    took = time.monotonic() - began
    say(f"{database}: {delegations} delegations x {per_delegation} invited in {took:.1f} s")
    result: dict[str, Any] = {"load_before": load_average()}
    result["summitry"] = await summitry_phase(args, workdir, url, fixture)
    result["bare"] = await bare_phase(args, workdir, url)
    result["load_after"] = load_average()
    result["workdir"] = str(workdir)
    return result


def headline(database: str, result: dict[str, Any]) -> dict[str, Any]:
    main, bare = result["summitry"], result["bare"]
    worst = main["worst_round"]["text"]
    return {
        "p50_ms": main["p50_ms"],
        "p95_ms": main["p95_ms"],
        "max_ms": main["max_ms"],
        "worst_round_p50_ms": worst["p50_ms"],
        "worst_round_p95_ms": worst["p95_ms"],
        "worst_round_max_ms": worst["max_ms"],
        "event_p50_ms": main["event"]["p50_ms"],
        "event_p95_ms": main["event"]["p95_ms"],
        "event_max_ms": main["event"]["max_ms"],
        "bare_p50_ms": bare["p50_ms"],
        "bare_p95_ms": bare["p95_ms"],
        "bare_max_ms": bare["max_ms"],
        "bare_worst_round_max_ms": bare["worst_round"]["text"]["max_ms"],
        "ratio_p95": round(main["p95_ms"] / bare["p95_ms"], 1) if bare["p95_ms"] else None,
        "edit_answered_p50_ms": main["edit_answered"]["p50_ms"],
        "stale": main["stale"],
        "missing": main["missing"],
        "met": worst["max_ms"] <= TARGET_MS and main["stale"] == 0 and main["missing"] == 0,
        "database": database,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10, help="measured edits")
    parser.add_argument("--warmup", type=int, default=2, help="edits before, not counted")
    parser.add_argument("--gap", type=float, default=0.5, help="mean pause between edits, s")
    parser.add_argument("--paragraphs", type=int, default=30, help="the document's, per language")
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql", "both"],
        default="both",
        help="postgresql: one started for the run (durable), in a temporary folder",
    )
    parser.add_argument(
        "--http-concurrency",
        type=int,
        default=None,
        help="invitations opened at once (default 1 on SQLite, 20 on PostgreSQL)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the Summitry server")
    parser.add_argument("--serve", choices=["summitry", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "summitry":
        serve_summitry(args.port, args.data_dir, args.database_url, args.profile_out)
        return
    if args.serve == "bare":
        serve_bare(args.port, args.database_url)
        return

    import uvloop

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(6 * args.followers + 1024, hard), hard))
    began = time.monotonic()
    say(f"machine {machine()}")
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    detail: dict[str, Any] = {"machine": machine()}
    out: dict[str, Any] = {}
    for database in databases:
        with contextlib.ExitStack() as stack:
            url = ""
            if database == "postgresql":
                from tests.support.postgres import create_database, postgres_server

                say("starting PostgreSQL (durable: each commit waits for its WAL on disk)")
                server_url = stack.enter_context(postgres_server(durable=True))
                url = create_database(server_url, "summitry_document_edit")
            if args.http_concurrency is None:
                # SQLite refuses concurrent openings with "database is locked".
                run_args = argparse.Namespace(**vars(args))
                run_args.http_concurrency = 1 if database == "sqlite" else 20
            else:
                run_args = args
            detail[database] = uvloop.run(bench(run_args, database, url))
        out[database] = headline(database, detail[database])
        say(f"{database}: {json.dumps(out[database])}")
    print(
        json.dumps(
            {
                "followers": args.followers,
                "rounds": args.rounds,
                "paragraphs": args.paragraphs,
                "t0": "the secretariat's POST .../documents/{id}/versions leaves the client",
                "t1": (
                    "each follower holds the new wording: the socket read of the document "
                    "Summitry sends each reader before the version_made event (or, without "
                    "one, its GET .../documents/screen and GET .../documents/{id} answered, "
                    "as text.js does); bare: the pushed wording read"
                ),
                "figures": (
                    "per round, p50/p95/max over the followers; p50_ms, p95_ms, max_ms: the "
                    "median of those over the rounds; worst_round_*: the round with the "
                    "largest max"
                ),
                "baseline": BASELINE,
                "target_ms": TARGET_MS,
                "target": "every follower of every round within target_ms (worst_round_max_ms)",
                **out,
                "run_s": round(time.monotonic() - began),
                "detail": detail,
            }
        )
    )


if __name__ == "__main__":
    main()
