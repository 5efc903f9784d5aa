"""Join benchmark: time from "admitted" to the first remote frame, Summitry against bare Janus.

    .venv/bin/python bench/join.py [--joins N]      (as root, from the repository's root)

One Janus and one in-process Summitry (uvicorn on 127.0.0.1, SQLite) run inside a network
namespace; a speaker publishes marked video (tests.support.peers) in the engagement's room and
a second speaker in a bare VideoRoom made directly on the same Janus. Then, one join at a time,
alternating between the two paths so both see the same machine:

- Summitry: a newcomer who opened their invitation waits in the lobby with the live WebSocket
  open. t0 is when the secretariat's ``POST .../participants/{id}/admit`` returns 200; the
  newcomer waits for its own "admitted" event, asks ``GET .../live/media`` for room, token and
  feed id, opens a connection to Janus, enters the room with the token and subscribes to the
  speaker; t1 is the arrival of the first intact frame from the speaker.
- Bare: t0 just before the same connection, entry and subscription in the bare room; t1 the
  same.

Progress goes to stderr; the last line of stdout is one JSON object with the figures.

Media never leaves the machine: if this process is not inside the test namespace made by
``scripts/test``, it makes its own (``summitry-bench``: ``lo`` and an unconnected veth pair)
and runs itself again inside it; that takes root.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "src", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from tests.support.netns import (  # noqa: E402 - needs the path above
    ICE_IFACE_ENV,
    NAMESPACE_ENV,
    NotInTestNamespace,
    current_test_namespace,
)

BENCH_NETNS = "summitry-bench"
BENCH_ICE_IFACE = "veth-a"
REEXEC_ENV = "SUMMITRY_BENCH_REEXEC"  # set when this script runs itself again in the namespace
TARGET_RATIO = 1.1
JOIN_TIMEOUT = 30.0
SPEAKER_ID = 1  # sender id in the marks of the speaker in Summitry's room
BARE_SPEAKER_ID = 2  # ... and of the one in the bare room
PASSWORD = "a long benchmark password"  # noqa: S105 - a throwaway account
DELEGATIONS = ("CN", "DE", "EUCO")


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# --- the network namespace ---------------------------------------------------------------------


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True)  # noqa: S603, S607 - iproute2, fixed arguments


def make_namespace() -> None:
    """``summitry-bench`` as ``scripts/test`` makes ``summitry-test``: replaced if it exists."""
    subprocess.run(  # noqa: S603
        ["ip", "netns", "delete", BENCH_NETNS],  # noqa: S607
        check=False,
        stderr=subprocess.DEVNULL,
    )
    _ip("netns", "add", BENCH_NETNS)
    _ip("-n", BENCH_NETNS, "link", "set", "lo", "up")
    _ip("-n", BENCH_NETNS, "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b")
    _ip("-n", BENCH_NETNS, "addr", "add", "10.99.0.1/24", "dev", "veth-a")
    _ip("-n", BENCH_NETNS, "addr", "add", "10.99.0.2/24", "dev", "veth-b")
    _ip("-n", BENCH_NETNS, "link", "set", "veth-a", "up")
    _ip("-n", BENCH_NETNS, "link", "set", "veth-b", "up")


def inside_namespace() -> str:
    """The veth Janus may offer media on; if outside any test namespace, re-run inside one."""
    try:
        return current_test_namespace().ice_iface
    except NotInTestNamespace as err:
        if os.environ.get(REEXEC_ENV):
            sys.exit(f"bench: started again inside {BENCH_NETNS}, but not in it: {err}")
        if os.geteuid() != 0:
            sys.exit(
                "bench: media runs only inside a network namespace, never on this machine's own "
                f"network; making namespace {BENCH_NETNS} needs root. Run as root: "
                ".venv/bin/python bench/join.py (or inside ./scripts/test's namespace)."
            )
        if shutil.which("ip") is None:
            sys.exit("bench: iproute2 (the ip command) is missing; apt-get install iproute2")
    make_namespace()
    say(f"made network namespace {BENCH_NETNS}; running inside it")
    env = {
        **os.environ,
        NAMESPACE_ENV: BENCH_NETNS,
        ICE_IFACE_ENV: BENCH_ICE_IFACE,
        REEXEC_ENV: "1",
    }
    command = [sys.executable, str(Path(sys.argv[0]).resolve()), *sys.argv[1:]]
    sys.stdout.flush()
    os.execvpe("ip", ["ip", "netns", "exec", BENCH_NETNS, *command], env)  # noqa: S606, S607
    raise AssertionError("exec does not return")


# --- figures -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Join:
    """One join's moments (time.monotonic seconds); ``t0``/``t1`` are what is measured."""

    t0: float = 0.0
    t1: float = 0.0
    marks: dict[str, float] = field(default_factory=dict)

    @property
    def ms(self) -> float:
        return (self.t1 - self.t0) * 1000

    def phase(self, start: str, end: str) -> float:
        moments = {"t0": self.t0, "t1": self.t1, **self.marks}
        return (moments[end] - moments[start]) * 1000


# Phases reported on stderr, to see where the time goes: (label, from, to).
SUMMITRY_PHASES = (
    ("admit request (before t0)", "admit_sent", "t0"),
    ("t0 -> admitted event", "t0", "event"),
    ("admitted event -> media access", "event", "media"),
    ("media access -> Janus webrtcup", "media", "up"),
    ("webrtcup -> first frame", "up", "t1"),
)
BARE_PHASES = (
    ("t0 -> Janus webrtcup", "t0", "up"),
    ("webrtcup -> first frame", "up", "t1"),
)


def summarise(summitry: list[Join], bare: list[Join]) -> dict[str, Any]:
    s = [j.ms for j in summitry]
    b = [j.ms for j in bare]
    s50, s95, b50, b95 = percentile(s, 50), percentile(s, 95), percentile(b, 50), percentile(b, 95)
    return {
        "joins": len(s),
        "summitry_p50_ms": round(s50, 1),
        "summitry_p95_ms": round(s95, 1),
        "bare_p50_ms": round(b50, 1),
        "bare_p95_ms": round(b95, 1),
        "ratio_p50": round(s50 / b50, 3),
        "ratio_p95": round(s95 / b95, 3),
        "p95_ms": round(s95, 1),
        "ratio_vs_floor": round(s50 / b50, 3),
        "target_ratio": TARGET_RATIO,
    }


def report_phases(name: str, joins: list[Join], phases: tuple[tuple[str, str, str], ...]) -> None:
    say(f"{name}: median and p95 of each phase (ms)")
    for label, start, end in phases:
        values = [j.phase(start, end) for j in joins]
        say(f"  {label:<34} p50 {percentile(values, 50):7.1f}   p95 {percentile(values, 95):7.1f}")


def load_note(when: str) -> str:
    """The load average: the figures mean little if other work shares the cores."""
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0]
    note = f"load average {when} the run {load:.2f} on {cores} cores"
    if load > cores / 2:
        note += " (other work competes for the cores: expect slower, noisier figures)"
    return note


# --- the run -----------------------------------------------------------------------------------


class Interrupted(Exception):
    """Ctrl-C or SIGTERM."""


@dataclass
class Invitee:
    attendee_id: int
    token: str


@dataclass
class Bench:
    """Everything the joins need: the app's address, the secretariat, the two rooms."""

    base_url: str
    engagement_id: int
    secretariat: Any  # httpx.AsyncClient
    speaker_feed: int
    janus_url: str
    bare_room: int
    bare_token: str
    bare_feed: int

    @property
    def live(self) -> str:
        return f"/api/v1/engagements/{self.engagement_id}/live"


def _ok(response: Any, status: int = 200) -> Any:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:300]}"
        )
    return response.json() if response.content else None


async def wait_first_frame(subscriber: Any, sender_id: int) -> float:
    """When the first intact frame from ``sender_id`` arrived (the Subscriber records it)."""
    # Polling does not bias the figure: the Subscriber stamps each frame as it decodes it.
    while not subscriber.frames.get(sender_id):  # noqa: ASYNC110 - it offers no event
        await asyncio.sleep(0.005)
    return float(subscriber.frames[sender_id][0][0])


async def summitry_join(bench: Bench, invitee: Invitee) -> Join:
    """Lobby (with its Janus session), WebSocket, admission with the media access, the room:
    what a newcomer's browser does."""
    import httpx
    from tests.support.peers import Subscriber
    from websockets.asyncio.client import connect as ws_connect

    from summitry.media.janus import connect

    join = Join()
    peers: list[Any] = []
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            httpx.AsyncClient(base_url=bench.base_url, timeout=20.0, trust_env=False)
        )
        _ok(await client.post("/api/v1/session/invitation", json={"token": invitee.token}))
        _ok(await client.post(f"{bench.live}/enter"))
        cookie = client.cookies.get("summitry_session")
        socket = await stack.enter_async_context(
            ws_connect(
                bench.base_url.replace("http", "ws", 1) + f"{bench.live}/ws",
                additional_headers={"Cookie": f"summitry_session={cookie}"},
                proxy=None,
            )
        )
        hello = json.loads(await socket.recv())
        if hello.get("type") != "hello" or hello.get("me") != invitee.attendee_id:
            raise RuntimeError(f"the live WebSocket greeted with {str(hello)[:200]}")

        # As the page does in the lobby: meet Janus (its URL is the page's data-media-url).
        janus = await connect(bench.janus_url)
        peers.append(janus)

        async def newcomer() -> None:
            access: dict[str, Any] | None = None
            async for raw in socket:
                message = json.loads(raw)
                if message.get("type") == "media":
                    access = message  # for the newcomer alone, just before the event
                if message.get("type") == "events" and any(
                    e["event"].get("kind") == "admitted"
                    and e["event"].get("attendee_id") == invitee.attendee_id
                    for e in message.get("events", [])
                ):
                    break
            else:
                raise RuntimeError("the live WebSocket closed before the admission")
            join.marks["event"] = time.monotonic()
            if access is None:
                raise RuntimeError("the admission came without the newcomer's media access")
            join.marks["media"] = time.monotonic()
            viewer = Subscriber(janus, access["room_id"], token=access["token"])
            peers.append(viewer)
            # As the meeting page does: enter with the feed id Summitry assigned, then subscribe.
            await viewer.enter(feed_id=access["feed_id"], display=str(invitee.attendee_id))
            await viewer.subscribe([bench.speaker_feed])
            join.marks["up"] = time.monotonic()
            join.t1 = await wait_first_frame(viewer, SPEAKER_ID)

        try:
            task = asyncio.create_task(newcomer())
            await asyncio.sleep(0)  # listening before the admission
            join.marks["admit_sent"] = time.monotonic()
            admitted = await bench.secretariat.post(
                f"{bench.live}/participants/{invitee.attendee_id}/admit"
            )
            join.t0 = time.monotonic()
            _ok(admitted)
            async with asyncio.timeout(JOIN_TIMEOUT):
                await task
            _ok(await client.post(f"{bench.live}/leave"))
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for peer in reversed(peers):
                with contextlib.suppress(Exception):
                    await peer.close()
    return join


async def bare_join(bench: Bench) -> Join:
    """The floor: the same connection, entry and subscription, straight to Janus."""
    from tests.support.peers import Subscriber

    from summitry.media.janus import connect
    from summitry.media.rooms import new_room_id

    join = Join()
    peers: list[Any] = []
    try:
        async with asyncio.timeout(JOIN_TIMEOUT):
            join.t0 = time.monotonic()
            janus = await connect(bench.janus_url)
            peers.append(janus)
            viewer = Subscriber(janus, bench.bare_room, token=bench.bare_token)
            peers.append(viewer)
            await viewer.enter(feed_id=new_room_id(), display="bare viewer")
            await viewer.subscribe([bench.bare_feed])
            join.marks["up"] = time.monotonic()
            join.t1 = await wait_first_frame(viewer, BARE_SPEAKER_ID)
    finally:
        for peer in reversed(peers):
            with contextlib.suppress(Exception):
                await peer.close()
    return join


async def plan(client: Any, people: int) -> tuple[int, list[Invitee]]:
    """An engagement with delegations and ``people`` invited delegates, through the API."""
    engagement = _ok(
        await client.post(
            "/api/v1/engagements",
            json={
                "title": "Join benchmark",
                "starts_at": "2026-12-14T14:00:00+01:00",
                "host": DELEGATIONS[-1],
                "delegations": list(DELEGATIONS[:-1]),
                "confidentiality": "confidential",
            },
        ),
        201,
    )
    invitees = []
    for i in range(people):
        code = DELEGATIONS[i % len(DELEGATIONS)]
        person = _ok(
            await client.post(
                f"/api/v1/delegations/{code}/people",
                json={"name": f"Delegate {i + 1}", "office": "Ambassador"},
            ),
            201,
        )
        attendee = _ok(
            await client.post(
                f"/api/v1/engagements/{engagement['id']}/attendees",
                json={"person_id": person["id"], "role": "delegate"},
            ),
            201,
        )
        issued = _ok(
            await client.post(
                f"/api/v1/engagements/{engagement['id']}/attendees/{attendee['id']}/invitations"
            ),
            201,
        )
        invitees.append(Invitee(attendee["id"], issued["url"].rstrip("/").rsplit("/", 1)[-1]))
    return int(engagement["id"]), invitees


async def run(args: argparse.Namespace, ice_iface: str, folder: Path) -> dict[str, Any]:
    import httpx
    import uvicorn

    class QuietServer(uvicorn.Server):
        """Leaves signals alone: Ctrl-C stops the whole benchmark, which then cleans up."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    from tests.support.peers import Publisher
    from tests.support.postgres import free_port

    from summitry.app import create_app
    from summitry.config import Settings
    from summitry.db import create_engine, create_sessionmaker
    from summitry.log.wire import LiveWebSockets
    from summitry.media.janus import connect
    from summitry.media.rooms import (
        MeetingRooms,
        new_join_token,
        new_room_id,
        new_room_secret,
    )
    from summitry.media.server import JanusConfig, JanusProcess
    from summitry.security.operations import create_account

    # Ctrl-C or SIGTERM: stop at once, or at the latest after the join under way (the test
    # peers' close() swallows a cancellation), and always clean up on the way out.
    stopping = asyncio.Event()
    main_task = asyncio.current_task()
    loop = asyncio.get_running_loop()

    def stop() -> None:
        stopping.set()
        if main_task is not None:
            main_task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)

    async with contextlib.AsyncExitStack() as stack:
        # Janus, on the namespace's veth only. setpriv: Janus dies with us if we are killed.
        config = JanusConfig(folder / "janus", ws_port=free_port(), ice_enforce_list=ice_iface)
        prefix = ["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else []
        janus = JanusProcess(config, prefix=prefix)
        stack.push_async_callback(janus.stop)
        await janus.start()
        say(f"Janus answers on {config.ws_url}, media on {ice_iface}")

        # Summitry in this process and this event loop.
        url = f"sqlite+aiosqlite:///{folder / 'summitry.db'}"
        from summitry import schema

        await asyncio.to_thread(schema.upgrade, url)
        engine = create_engine(url)
        stack.push_async_callback(engine.dispose)
        email = "protocol@bench.example"
        async with create_sessionmaker(engine)() as db:
            await create_account(db, email, "Bench Secretariat", PASSWORD)
            await db.commit()
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        settings = Settings(
            data_dir=folder,
            database_url=url,
            secret_key=secrets.token_urlsafe(48),
            host="127.0.0.1",
            port=port,
            base_url=base_url,
            media=True,
            janus_url=config.ws_url,
            janus_admin_key=config.room_admin_key,
        )
        server = QuietServer(
            uvicorn.Config(
                create_app(settings),
                host="127.0.0.1",
                port=port,
                lifespan="on",
                log_config=None,
                log_level="warning",
                access_log=False,
                ws=LiveWebSockets,  # as `summitry serve` runs it
            )
        )
        serving = asyncio.create_task(server.serve(), name="uvicorn")

        async def stop_server() -> None:
            server.should_exit = True
            with contextlib.suppress(Exception):
                async with asyncio.timeout(15):
                    await serving
            if not serving.done():
                serving.cancel()

        stack.push_async_callback(stop_server)
        while not server.started:
            if serving.done():
                serving.result()
                raise RuntimeError("uvicorn stopped while starting")
            await asyncio.sleep(0.05)
        say(f"Summitry serves on {base_url}")

        # The secretariat plans the meeting and enters it; its speaker publishes.
        secretariat = await stack.enter_async_context(
            httpx.AsyncClient(base_url=base_url, timeout=20.0, trust_env=False)
        )
        _ok(await secretariat.post("/api/v1/session", json={"email": email, "password": PASSWORD}))
        total = args.joins + args.warmup
        engagement_id, invitees = await plan(secretariat, total)
        say(f"planned engagement {engagement_id} with {len(invitees)} invited delegates")
        live = f"/api/v1/engagements/{engagement_id}/live"
        _ok(await secretariat.post(f"{live}/enter"))
        access = _ok(await secretariat.get(f"{live}/media"))
        speakers = await connect(config.ws_url)
        stack.push_async_callback(speakers.close)
        speaker = Publisher(
            speakers, access["room_id"], token=access["token"], sender_id=SPEAKER_ID
        )
        stack.push_async_callback(speaker.close)
        await speaker.join(access["feed_id"])
        await speaker.publish()
        say(f"the speaker publishes in Summitry's room {access['room_id']}")

        # The bare room, beside it on the same Janus, made directly.
        rooms = MeetingRooms(config.ws_url, admin_key=config.room_admin_key)
        stack.push_async_callback(rooms.close)
        bare_room, bare_secret = new_room_id(), new_room_secret()
        speaker_token, viewer_token = new_join_token(), new_join_token()
        await rooms.create_room(bare_room, bare_secret, "bare", [speaker_token, viewer_token])
        stack.push_async_callback(rooms.destroy_room, bare_room, bare_secret)
        bare_speaker = Publisher(
            speakers, bare_room, token=speaker_token, sender_id=BARE_SPEAKER_ID
        )
        stack.push_async_callback(bare_speaker.close)
        bare_feed = await bare_speaker.join(new_room_id())
        await bare_speaker.publish()
        say(f"the bare speaker publishes in room {bare_room}")

        bench = Bench(
            base_url=base_url,
            engagement_id=engagement_id,
            secretariat=secretariat,
            speaker_feed=int(access["feed_id"]),
            janus_url=config.ws_url,
            bare_room=bare_room,
            bare_token=viewer_token,
            bare_feed=bare_feed,
        )
        summitry: list[Join] = []
        bare: list[Join] = []
        for i, invitee in enumerate(invitees):
            steps: list[tuple[str, Callable[[], Awaitable[Join]]]] = [
                ("summitry", lambda invitee=invitee: summitry_join(bench, invitee)),
                ("bare", lambda: bare_join(bench)),
            ]
            if i % 2:
                steps.reverse()  # neither path always goes first
            done: dict[str, Join] = {}
            for name, step in steps:
                done[name] = await step()
                if stopping.is_set():
                    raise Interrupted
                await asyncio.sleep(args.pause)  # let the last join's teardown settle
            warm = i < args.warmup
            label = "warm-up" if warm else f"join {i - args.warmup + 1}/{args.joins}"
            say(f"{label}: summitry {done['summitry'].ms:6.1f} ms   bare {done['bare'].ms:6.1f} ms")
            if not warm:
                summitry.append(done["summitry"])
                bare.append(done["bare"])
        report_phases("summitry", summitry, SUMMITRY_PHASES)
        report_phases("bare", bare, BARE_PHASES)
        return summarise(summitry, bare)
    raise AssertionError("unreachable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--joins", type=int, default=20, help="measured joins per path (20)")
    parser.add_argument("--warmup", type=int, default=1, help="joins per path not counted (1)")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between joins (0.3)")
    args = parser.parse_args()
    if args.joins < 1 or args.warmup < 0 or args.pause < 0:
        parser.error("--joins must be at least 1, --warmup and --pause not negative")
    ice_iface = inside_namespace()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # A newcomer joins mid-stream: what arrives before its first key frame cannot be decoded.
    logging.getLogger("aiortc.rtcrtpreceiver").setLevel(logging.ERROR)
    say(load_note("before"))
    started = time.monotonic()
    try:
        folder = tempfile.TemporaryDirectory(prefix="summitry-bench-", ignore_cleanup_errors=True)
        with folder as tmp:
            figures = asyncio.run(run(args, ice_iface, Path(tmp)))
    except (KeyboardInterrupt, asyncio.CancelledError, Interrupted):
        print("bench: interrupted; Janus and Summitry are stopped", file=sys.stderr)
        sys.exit(130)
    say(f"done in {time.monotonic() - started:.0f} s; {load_note('after')}")
    verdict = "met" if figures["ratio_p50"] <= TARGET_RATIO else "missed"
    say(
        f"summitry p50 {figures['summitry_p50_ms']} ms, p95 {figures['summitry_p95_ms']} ms; "
        f"bare p50 {figures['bare_p50_ms']} ms, p95 {figures['bare_p95_ms']} ms; "
        f"ratio p50 {figures['ratio_p50']}, p95 {figures['ratio_p95']} "
        f"(target {TARGET_RATIO}: {verdict})"
    )
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
