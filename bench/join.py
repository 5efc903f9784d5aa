"""Join benchmark: from the secretariat's admission to the newcomer's first picture, Summitry
against a bare Janus join.

    .venv/bin/python bench/join.py [--joins N]      (as root, from the repository's root)

One Janus and one in-process Summitry (uvicorn on 127.0.0.1, SQLite) run inside a network
namespace; a speaker publishes marked video (tests.support.peers) in the engagement's room and
a second speaker in a bare VideoRoom made directly on the same Janus. Then, one join at a time,
alternating between the two paths so both see the same machine:

- Summitry: a newcomer who opened their invitation waits in the lobby with the live WebSocket
  and (as the page does in the lobby) a Janus session open. t0 is the moment the
  secretariat's ``POST .../participants/{id}/admit`` leaves its client; the newcomer reads its
  media access and its "admitted" event on the WebSocket, enters the room with the token and
  subscribes to the speaker; t1 is the decoding of the first intact frame from the speaker.
- Bare: the same Janus session already open (every advantage the page takes); t0 when the
  bare client sends its join, then the same entry and subscription; t1 the same.

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
import random
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.stage import (  # noqa: E402 - needs the path above
    Stage,
    inside_namespace,
    ok,
    percentile,
    run_in_folder,
    say,
    stage,
)

TARGET_RATIO = 1.1
JITTER = 0.2  # s added at random to each pause between joins
JOIN_TIMEOUT = 30.0
SPEAKER_ID = 1  # sender id in the marks of the speaker in Summitry's room
BARE_SPEAKER_ID = 2  # ... and of the one in the bare room
DELEGATIONS = ("CN", "DE", "EUCO")


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
    ("t0 -> admit request answered", "t0", "admit_returned"),
    ("t0 -> admitted event", "t0", "event"),
    ("admitted event -> Janus webrtcup", "event", "up"),
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
        "t0": "the secretariat's admit request leaves its client (bare: the join is sent, "
        "its Janus session already open)",
        "t1": "the newcomer decodes the first intact frame of the speaker",
        "joins": len(s),
        "summitry_p50_ms": round(s50, 1),
        "summitry_p95_ms": round(s95, 1),
        "bare_p50_ms": round(b50, 1),
        "bare_p95_ms": round(b95, 1),
        "ratio_p50": round(s50 / b50, 3),
        "ratio_p95": round(s95 / b95, 3),
        "target_ratio": TARGET_RATIO,
    }


def report_phases(name: str, joins: list[Join], phases: tuple[tuple[str, str, str], ...]) -> None:
    say(f"{name}: median and p95 of each phase (ms)")
    for label, start, end in phases:
        values = [j.phase(start, end) for j in joins]
        say(f"  {label:<34} p50 {percentile(values, 50):7.1f}   p95 {percentile(values, 95):7.1f}")


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

    stage: Stage
    engagement_id: int
    speaker_feed: int
    bare_room: int
    bare_token: str
    bare_feed: int

    @property
    def live(self) -> str:
        return f"/api/v1/engagements/{self.engagement_id}/live"


async def wait_first_frame(subscriber: Any, sender_id: int) -> float:
    """When the first intact frame from ``sender_id`` arrived (the Subscriber records it)."""
    # Polling does not bias the figure: the Subscriber stamps each frame as it decodes it.
    while not subscriber.frames.get(sender_id):  # noqa: ASYNC110 - it offers no event
        await asyncio.sleep(0.005)
    return float(subscriber.frames[sender_id][0][0])


async def admission(socket: Any, attendee_id: int) -> dict[str, Any]:
    """Read the live WebSocket until this person's ``admitted`` event, as the page does; the
    media access sent to them alone just before it."""
    access: dict[str, Any] | None = None
    async for raw in socket:
        message = json.loads(raw)
        if message.get("type") == "media":
            access = message
        if message.get("type") == "events" and any(
            e["event"].get("kind") == "admitted" and e["event"].get("attendee_id") == attendee_id
            for e in message.get("events", [])
        ):
            break
    else:
        raise RuntimeError("the live WebSocket closed before the admission")
    if access is None:
        raise RuntimeError("the admission came without the newcomer's media access")
    return access


async def summitry_join(bench: Bench, invitee: Invitee) -> Join:
    """Lobby (with its Janus session), WebSocket, admission with the media access, the room:
    what a newcomer's browser does."""
    from tests.support.peers import Subscriber
    from websockets.asyncio.client import connect as ws_connect

    from summitry.media.janus import connect

    join = Join()
    peers: list[Any] = []
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(bench.stage.client())
        ok(await client.post("/api/v1/session/invitation", json={"token": invitee.token}))
        ok(await client.post(f"{bench.live}/enter"))
        cookie = client.cookies.get("summitry_session")
        socket = await stack.enter_async_context(
            ws_connect(
                bench.stage.base_url.replace("http", "ws", 1) + f"{bench.live}/ws",
                additional_headers={"Cookie": f"summitry_session={cookie}"},
                proxy=None,
            )
        )
        hello = json.loads(await socket.recv())
        if hello.get("type") != "hello" or hello.get("me") != invitee.attendee_id:
            raise RuntimeError(f"the live WebSocket greeted with {str(hello)[:200]}")

        # As the page does in the lobby: meet Janus (its URL is the page's data-media-url).
        janus = await connect(bench.stage.janus_url)
        peers.append(janus)

        async def newcomer() -> None:
            access = await admission(socket, invitee.attendee_id)
            join.marks["event"] = time.monotonic()
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
            join.t0 = time.monotonic()
            admitted = await bench.stage.secretariat.post(
                f"{bench.live}/participants/{invitee.attendee_id}/admit"
            )
            join.marks["admit_returned"] = time.monotonic()
            ok(admitted)
            async with asyncio.timeout(JOIN_TIMEOUT):
                await task
            ok(await client.post(f"{bench.live}/leave"))
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
    """The floor: the same entry and subscription, straight to Janus, from a session opened
    beforehand as the newcomer's page opens its own in the lobby."""
    from tests.support.peers import Subscriber

    from summitry.media.janus import connect
    from summitry.media.rooms import new_room_id

    join = Join()
    peers: list[Any] = []
    try:
        async with asyncio.timeout(JOIN_TIMEOUT):
            janus = await connect(bench.stage.janus_url)
            peers.append(janus)
            join.t0 = time.monotonic()
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
    engagement = ok(
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
        person = ok(
            await client.post(
                f"/api/v1/delegations/{code}/people",
                json={"name": f"Delegate {i + 1}", "office": "Ambassador"},
            ),
            201,
        )
        attendee = ok(
            await client.post(
                f"/api/v1/engagements/{engagement['id']}/attendees",
                json={"person_id": person["id"], "role": "delegate"},
            ),
            201,
        )
        issued = ok(
            await client.post(
                f"/api/v1/engagements/{engagement['id']}/attendees/{attendee['id']}/invitations"
            ),
            201,
        )
        invitees.append(Invitee(attendee["id"], issued["url"].rstrip("/").rsplit("/", 1)[-1]))
    return int(engagement["id"]), invitees


async def run(args: argparse.Namespace, ice_iface: str, folder: Path) -> dict[str, Any]:
    from tests.support.peers import Publisher

    from summitry.media.janus import connect
    from summitry.media.rooms import (
        MeetingRooms,
        new_join_token,
        new_room_id,
        new_room_secret,
    )

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
        the_stage: Stage = await stack.enter_async_context(stage(folder, ice_iface))
        secretariat = the_stage.secretariat

        # The secretariat plans the meeting and enters it; its speaker publishes.
        total = args.joins + args.warmup
        engagement_id, invitees = await plan(secretariat, total)
        say(f"planned engagement {engagement_id} with {len(invitees)} invited delegates")
        live = f"/api/v1/engagements/{engagement_id}/live"
        ok(await secretariat.post(f"{live}/enter"))
        access = ok(await secretariat.get(f"{live}/media"))
        speakers = await connect(the_stage.janus_url)
        stack.push_async_callback(speakers.close)
        speaker = Publisher(
            speakers, access["room_id"], token=access["token"], sender_id=SPEAKER_ID
        )
        stack.push_async_callback(speaker.close)
        await speaker.join(access["feed_id"])
        await speaker.publish()
        say(f"the speaker publishes in Summitry's room {access['room_id']}")

        # The bare room, beside it on the same Janus, made directly.
        rooms = MeetingRooms(the_stage.janus_url, admin_key=the_stage.room_admin_key)
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
            stage=the_stage,
            engagement_id=engagement_id,
            speaker_feed=int(access["feed_id"]),
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
                # Apart by more than a second: Janus asks a publisher for a keyframe at most
                # once a second, and a join within it waits for the one asked before. And at
                # a random moment: at a fixed cadence each path's joins fell at a fixed phase
                # of its speaker's frame clock, which moved one path's first frame by 10 ms.
                await asyncio.sleep(args.pause + random.uniform(0, JITTER))
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
    parser.add_argument(
        "--pause", type=float, default=1.0, help="seconds between joins, and up to 0.2 more (1.0)"
    )
    args = parser.parse_args()
    if args.joins < 1 or args.warmup < 0 or args.pause < 0:
        parser.error("--joins must be at least 1, --warmup and --pause not negative")
    ice_iface = inside_namespace()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # A newcomer joins mid-stream: what arrives before its first key frame cannot be decoded.
    logging.getLogger("aiortc.rtcrtpreceiver").setLevel(logging.ERROR)
    figures = run_in_folder(
        lambda tmp: run(args, ice_iface, tmp), "Janus and Summitry are stopped", (Interrupted,)
    )
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
