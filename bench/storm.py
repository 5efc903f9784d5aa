"""Join-storm benchmark: the secretariat admits every waiting delegate at once; how long until
each hears the floor.

    .venv/bin/python bench/storm.py [--delegates N]      (as root, from the repository's root)

``summitry serve`` and its Janus (bench/stage.py); a speaker publishes a continuous tone
(440 Hz) and marked video. ``--delegates`` invitees wait in the lobby as the meeting page
waits there: invitation opened, lobby entered, the live WebSocket open, a Janus session of
their own opened. Then the secretariat admits them all at once: by the lobby's "Admit
everyone" (one ``POST .../participants/admit`` naming everyone waiting; ``--way each``: one
``POST .../participants/{id}/admit`` per person, all in flight together). Each delegate, on
reading its media access and its ``admitted`` event, enters the room under its granted id and
subscribes to the speaker's audio (a light client: aiortc, audio only).

- t0, per delegate: the admit request that names them leaves the secretariat's client.
- t1: the first decoded frame of the speaker's audio that carries the tone arrives.

A delegate who has not heard the floor within ``--within`` seconds, or whose admission, entry
or subscription fails, is counted in ``storm_failed``. Beside it, in the same run, the same
number of bare clients (sessions pre-opened, tokens already allowed) join a bare VideoRoom on
the same Janus all at once: what Janus and aiortc alone take for such a crowd.

Progress goes to stderr; the last line of stdout is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.interpretation import first_arrival  # noqa: E402
from bench.join import Invitee, admission, plan  # noqa: E402 - needs the path above
from bench.stage import (  # noqa: E402
    Stage,
    inside_namespace,
    ok,
    percentile,
    run_in_folder,
    say,
    stage,
)

TARGET_P95_MS = 2000.0
TONE = 440.0


async def wait_heard(subscriber: Any, feed: int, within: float) -> float:
    deadline = time.monotonic() + within
    while (found := first_arrival(subscriber.audio.get(feed, []), 0.0, TONE)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the floor not heard within {within} s")
        await asyncio.sleep(0.01)
    return found


@dataclass
class Delegate:
    """One delegate waiting in the lobby, as the meeting page waits: everything it can hold
    before it is admitted."""

    invitee: Invitee
    client: Any  # httpx.AsyncClient
    socket: Any  # the live WebSocket
    janus: Any  # the Janus session opened in the lobby
    sent: float = 0.0
    told: float = 0.0  # its admitted event read on the WebSocket
    heard: float = 0.0
    failure: str = ""
    viewer: Any = None

    @property
    def ms(self) -> float:
        return (self.heard - self.sent) * 1000


async def wait_in_lobby(the_stage: Stage, live: str, invitee: Invitee) -> Delegate:
    from websockets.asyncio.client import connect as ws_connect

    from summitry.media.janus import connect

    client = the_stage.client()
    ok(await client.post("/api/v1/session/invitation", json={"token": invitee.token}))
    ok(await client.post(f"{live}/enter"))
    cookie = client.cookies.get("summitry_session")
    socket = await ws_connect(
        the_stage.base_url.replace("http", "ws", 1) + f"{live}/ws",
        additional_headers={"Cookie": f"summitry_session={cookie}"},
        proxy=None,
        max_size=None,
    )
    hello = json.loads(await socket.recv())
    if hello.get("type") != "hello":
        raise RuntimeError(f"the live WebSocket greeted with {str(hello)[:200]}")
    return Delegate(invitee, client, socket, await connect(the_stage.janus_url))


async def hear_the_floor(delegate: Delegate, speaker_feed: int, within: float) -> None:
    """From the admission on the WebSocket to the floor's first audio, as the page does."""
    from tests.support.peers import Subscriber

    me = delegate.invitee.attendee_id
    access = await admission(delegate.socket, me)
    delegate.told = time.monotonic()
    viewer = Subscriber(delegate.janus, access["room_id"], token=access["token"])
    delegate.viewer = viewer
    await viewer.enter(feed_id=access["feed_id"], display=str(me))
    await viewer.subscribe([speaker_feed], audio_only=True)
    delegate.heard = await wait_heard(viewer, speaker_feed, within)


async def admit_one(the_stage: Stage, live: str, delegate: Delegate) -> None:
    delegate.sent = time.monotonic()
    admitted = await the_stage.secretariat.post(
        f"{live}/participants/{delegate.invitee.attendee_id}/admit"
    )
    ok(admitted)


async def admit_everyone(the_stage: Stage, live: str, delegates: list[Delegate]) -> None:
    """The lobby's "Admit everyone": one request naming whom the page shows waiting."""
    sent = time.monotonic()
    for delegate in delegates:
        delegate.sent = sent
    ids = [d.invitee.attendee_id for d in delegates]
    ok(await the_stage.secretariat.post(f"{live}/participants/admit", json={"attendee_ids": ids}))


async def storm(
    the_stage: Stage,
    live: str,
    delegates: list[Delegate],
    speaker_feed: int,
    within: float,
    way: str,
) -> None:
    """Every admission at once (``everyone``: one request; ``each``: one request per person,
    all in flight together); each delegate then joins on its own."""

    async def one(delegate: Delegate) -> None:
        try:
            async with asyncio.timeout(within + 10):
                await hear_the_floor(delegate, speaker_feed, within)
        except Exception as err:  # counted and reported
            delegate.failure = f"{type(err).__name__}: {err}"[:200]

    admissions = (
        [admit_everyone(the_stage, live, delegates)]
        if way == "everyone"
        else [admit_one(the_stage, live, d) for d in delegates]
    )
    await asyncio.gather(*(one(d) for d in delegates), *admissions)


async def bare_storm(
    janus_url: str, room: int, token: str, feed: int, count: int, within: float
) -> tuple[list[float], int]:
    """The same crowd straight onto Janus: sessions open, then every join at once."""
    from tests.support.peers import Subscriber

    from summitry.media.janus import connect
    from summitry.media.rooms import new_room_id

    sessions = [await connect(janus_url) for _ in range(count)]
    viewers = [Subscriber(s, room, token=token) for s in sessions]
    times: list[float] = []
    failed = 0

    async def one(viewer: Any) -> None:
        nonlocal failed
        sent = time.monotonic()
        try:
            async with asyncio.timeout(within + 10):
                await viewer.enter(feed_id=new_room_id(), display="bare")
                await viewer.subscribe([feed], audio_only=True)
                times.append((await wait_heard(viewer, feed, within) - sent) * 1000)
        except Exception:  # counted
            failed += 1

    try:
        await asyncio.gather(*(one(v) for v in viewers))
    finally:
        for viewer in viewers:
            with contextlib.suppress(Exception):
                await viewer.close()
        for session in sessions:
            with contextlib.suppress(Exception):
                await session.close()
    return times, failed


async def run(args: argparse.Namespace, ice_iface: str, folder: Path) -> dict[str, Any]:
    from tests.support.peers import Publisher

    from summitry.media.janus import connect
    from summitry.media.rooms import MeetingRooms, new_join_token, new_room_id, new_room_secret

    async with contextlib.AsyncExitStack() as stack:
        the_stage = await stack.enter_async_context(stage(folder, ice_iface))
        engagement_id, invitees = await plan(the_stage.secretariat, args.delegates)
        live = f"/api/v1/engagements/{engagement_id}/live"
        ok(await the_stage.secretariat.post(f"{live}/enter"))
        access = ok(await the_stage.secretariat.get(f"{live}/media"))
        speakers = await connect(the_stage.janus_url)
        stack.push_async_callback(speakers.close)
        speaker = Publisher(speakers, access["room_id"], token=access["token"], sender_id=1)
        stack.push_async_callback(speaker.close)
        await speaker.join(access["feed_id"])
        await speaker.publish()
        say(f"the speaker publishes in room {access['room_id']}")

        delegates: list[Delegate] = []

        async def leave_all() -> None:
            for d in delegates:
                for closing in (d.viewer.close if d.viewer else None, d.janus.close):
                    if closing is not None:
                        with contextlib.suppress(Exception):
                            await closing()
                with contextlib.suppress(Exception):
                    await d.socket.close()
                await d.client.aclose()

        stack.push_async_callback(leave_all)
        for invitee in invitees:
            delegates.append(await wait_in_lobby(the_stage, live, invitee))
        say(f"{len(delegates)} delegates wait in the lobby; admitting them all at once")
        began = time.monotonic()
        await storm(the_stage, live, delegates, int(access["feed_id"]), args.within, args.way)
        say(f"storm over in {time.monotonic() - began:.1f} s")
        heard = [d.ms for d in delegates if not d.failure]
        told = [(d.told - d.sent) * 1000 for d in delegates if not d.failure]
        failures = [d.failure for d in delegates if d.failure]
        await leave_all()
        delegates.clear()

        # The same crowd on a bare room beside it.
        rooms = MeetingRooms(the_stage.janus_url, admin_key=the_stage.room_admin_key)
        stack.push_async_callback(rooms.close)
        room, secret = new_room_id(), new_room_secret()
        speaker_token, viewer_token = new_join_token(), new_join_token()
        await rooms.create_room(room, secret, "bare", [speaker_token, viewer_token])
        bare_speaker = Publisher(speakers, room, token=speaker_token, sender_id=2)
        stack.push_async_callback(bare_speaker.close)
        bare_feed = await bare_speaker.join(new_room_id())
        await bare_speaker.publish()
        await asyncio.sleep(1.0)
        say(f"{args.delegates} bare clients join a bare room at once")
        bare, bare_failed = await bare_storm(
            the_stage.janus_url, room, viewer_token, bare_feed, args.delegates, args.within
        )

    return {
        "t0": "the secretariat's Admit everyone request leaves its client (--way each: each "
        "delegate's own admit request, all at once; bare: each join is sent, sessions open)",
        "t1": "the delegate's first decoded audio frame of the floor carrying the speaker's tone",
        "storm_clients": args.delegates,
        "storm_way": args.way,
        "storm_p50_ms": round(percentile(heard, 50), 1),
        "storm_p95_ms": round(percentile(heard, 95), 1),
        "storm_max_ms": round(max(heard), 1) if heard else None,
        "storm_failed": len(failures),
        "storm_told_p50_ms": round(percentile(told, 50), 1),
        "storm_told_p95_ms": round(percentile(told, 95), 1),
        "storm_failures": failures[:3],
        "bare_storm_p50_ms": round(percentile(bare, 50), 1),
        "bare_storm_p95_ms": round(percentile(bare, 95), 1),
        "bare_storm_failed": bare_failed,
        "target_p95_ms": TARGET_P95_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--delegates", type=int, default=50, help="admitted at once (50)")
    parser.add_argument("--within", type=float, default=30.0, help="seconds before a failure")
    parser.add_argument(
        "--way",
        choices=["everyone", "each"],
        default="everyone",
        help="the lobby's Admit everyone (one request), or one admit request per person at once",
    )
    args = parser.parse_args()
    if args.delegates < 1 or args.within <= 0:
        parser.error("--delegates must be at least 1 and --within positive")
    ice_iface = inside_namespace()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("aiortc.rtcrtpreceiver").setLevel(logging.ERROR)
    result = run_in_folder(lambda tmp: run(args, ice_iface, tmp), "Janus and Summitry are stopped")
    met = result["storm_failed"] == 0 and result["storm_p95_ms"] <= TARGET_P95_MS
    say(
        f"{result['storm_clients']} admitted at once: p50 {result['storm_p50_ms']} ms, p95 "
        f"{result['storm_p95_ms']} ms, {result['storm_failed']} failed (bare p95 "
        f"{result['bare_storm_p95_ms']} ms; target {TARGET_P95_MS:.0f} ms and none lost: "
        f"{'met' if met else 'missed'})"
    )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
