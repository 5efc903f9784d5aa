"""Interpretation benchmark: the delay a language channel puts between an interpreter's
microphone and a listener, and how soon a listener who chooses a channel hears it, through
Summitry.

    .venv/bin/python bench/interpretation.py [--listeners N] [--rounds N]   (as root)

``summitry serve`` and its Janus (bench/stage.py) serve an engagement in English, French and
German, planned over the API: a speaker at the floor (440 Hz), a French booth (1000 Hz) and a
German booth (2250 Hz), each interpreter joined with what ``GET .../interpretation/access``
gave them and put on the air through Summitry; listeners invited, admitted, and listening as
the meeting page does. aiortc peers stand in for the people; tones are timed by their onsets.

- Interpretation delay: the French interpreter's tone goes on; t0 is the moment its first
  sounding frame leaves the track, t1 the arrival of the first frame that carries it at a
  listener on the French channel. In the same run and the same way, the floor's own path: the
  speaker's tone from the VideoRoom to a listener's subscription. The difference is what
  interpretation adds.
- A channel choice: each listener's page opened its channel connection when it was admitted
  (watching the first channel, paused while it hears the floor). t0: the listener's
  ``PUT .../interpretation/channel`` leaves its client; the page, acting on the choice at once
  as the meeting page does, switches the connection to the channel and resumes it while
  the request travels; t1: the first frame of the chosen channel's interpreter arrives. Each
  listener goes from the floor to one channel, to the other, and back to the floor, twice a
  round for ``--rounds`` rounds: choices from the floor and between channels, reported apart
  and together.
- Beside them, in the same run: a listener switching between the two mountpoints straight on
  Janus, connection playing, nothing of Summitry (what a switch costs Janus and aiortc).

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

from bench.stage import (  # noqa: E402 - needs the path above
    Stage,
    inside_namespace,
    ok,
    percentile,
    run_in_folder,
    say,
    stage,
)
from tests.support.channels import BoothMicrophone, ChannelEar, band_dbfs  # noqa: E402
from tests.support.peers import Publisher, Subscriber  # noqa: E402

TARGET_MS = 150.0
FLOOR_TONE = 440.0
TONES = {"fr": 1000.0, "de": 2250.0}
HEARD_DBFS = -30.0  # a frame carries a tone when its band is this loud (tones are at -10.5)
WAIT_S = 3.0


def first_arrival(frames: list[tuple[float, Any]], since: float, frequency: float) -> float | None:
    """When the first frame after ``since`` that carries ``frequency`` arrived."""
    for at, samples in frames:
        if at > since and band_dbfs(samples, frequency) > HEARD_DBFS:
            return at
    return None


async def wait_arrival(frames: list[tuple[float, Any]], since: float, frequency: float) -> float:
    deadline = time.monotonic() + WAIT_S
    while (found := first_arrival(frames, since, frequency)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {frequency:.0f} Hz within {WAIT_S} s")
        await asyncio.sleep(0.005)
    return found


async def onset_delay(track: Any, frames: list[tuple[float, Any]], frequency: float) -> float:
    """Switch a gated tone on, time it to the listener, and switch it off again."""
    track.on = True
    await asyncio.sleep(0.05)  # the frame that records the onset has been made by now
    onset = track.onsets[-1]
    arrived = await wait_arrival(frames, onset, frequency)
    track.on = False
    await asyncio.sleep(0.4)  # silence between onsets, so that each one is a clean edge
    return (arrived - onset) * 1000


def figures(values: list[float], key: str) -> dict[str, float]:
    return {
        f"{key}_p50_ms": round(percentile(values, 50), 1),
        f"{key}_p95_ms": round(percentile(values, 95), 1),
    }


@dataclass
class Person:
    client: Any  # httpx.AsyncClient, signed in by their invitation
    attendee_id: int


class Engagement:
    """The engagement, planned and entered over Summitry's API as the secretariat would."""

    def __init__(self, the_stage: Stage) -> None:
        self.stage = the_stage
        self.id = 0
        self.people: dict[str, Person] = {}

    @property
    def api(self) -> str:
        return f"/api/v1/engagements/{self.id}"

    async def plan(self, listeners: int) -> None:
        made = await self.stage.secretariat.post(
            "/api/v1/engagements",
            json={
                "title": "Interpretation benchmark",
                "starts_at": "2026-12-14T14:00:00+01:00",
                "delegations": ["GB", "FR", "DE"],
                "languages": ["en", "fr", "de"],
                "agenda": ["Statements"],
            },
        )
        self.id = ok(made, 201)["id"]
        ok(await self.stage.secretariat.post(f"{self.api}/live/enter"))
        await self.invite("speaker", "GB", "head_of_delegation", "en", None)
        await self.invite("fr-booth", "GB", "interpreter", "fr", "fr")
        await self.invite("de-booth", "GB", "interpreter", "de", "de")
        for i in range(listeners):
            await self.invite(f"listener {i + 1}", ("FR", "DE")[i % 2], "delegate", "fr", None)

    async def invite(
        self, key: str, code: str, role: str, language: str, booth: str | None
    ) -> None:
        secretariat = self.stage.secretariat
        person = await secretariat.post(
            f"/api/v1/delegations/{code}/people",
            json={"name": f"{key.title()} {code}", "office": role, "language": language},
        )
        attendee = await secretariat.post(
            f"{self.api}/attendees",
            json={"person_id": ok(person, 201)["id"], "role": role, "booth": booth},
        )
        attendee_id = ok(attendee, 201)["id"]
        issued = ok(await secretariat.post(f"{self.api}/attendees/{attendee_id}/invitations"), 201)
        client = self.stage.client()
        token = issued["url"].rstrip("/").rsplit("/", 1)[-1]
        ok(await client.post("/api/v1/session/invitation", json={"token": token}))
        ok(await client.post(f"{self.api}/live/enter"))
        ok(await secretariat.post(f"{self.api}/live/participants/{attendee_id}/admit"))
        self.people[key] = Person(client, attendee_id)

    async def get(self, key: str, path: str) -> Any:
        return ok(await self.people[key].client.get(f"{self.api}/{path}"))

    async def send(self, key: str, method: str, path: str, body: Any = None) -> Any:
        return ok(await self.people[key].client.request(method, f"{self.api}/{path}", json=body))

    async def close(self) -> None:
        for person in self.people.values():
            await person.client.aclose()


class ListeningPage:
    """What the meeting page's channel menu does (meeting/static/interpretation.js and
    channels.js): the channel connection opened on admission, paused on the floor, and each
    choice heard at once while the server records it."""

    def __init__(self, engagement: Engagement, key: str, janus: Any) -> None:
        self.engagement = engagement
        self.key = key
        self.ear = ChannelEar(janus)
        self.mountpoints: dict[str, int] = {}
        self.watching: int | None = None
        self.paused = False

    async def prepare(self) -> None:
        access = await self.engagement.get(self.key, "interpretation/access")
        channels = access["channels"]
        self.mountpoints = {c["language"]: c["mountpoint"] for c in channels}
        await self.ear.watch(channels[0]["mountpoint"], channels[0]["pin"])
        self.watching = channels[0]["mountpoint"]
        await self.ear.handle.message({"request": "pause"})
        self.paused = True

    async def choose(self, language: str | None) -> float:
        """The listener picks ``language`` (None: the floor); when the request left."""
        sent = time.monotonic()
        recorded = asyncio.create_task(
            self.engagement.send(self.key, "PUT", "interpretation/channel", {"channel": language})
        )
        handle = self.ear.handle
        if language is None:
            await handle.message({"request": "pause"})
            self.paused = True
        else:
            mountpoint = self.mountpoints[language]
            if self.watching != mountpoint:
                await handle.message({"request": "switch", "id": mountpoint})
                self.watching = mountpoint
            if self.paused:
                await handle.message({"request": "start"})
                self.paused = False
        await recorded
        return sent


async def run(args: argparse.Namespace, ice_iface: str, folder: Path) -> dict[str, Any]:
    from summitry.media.janus import connect

    async with contextlib.AsyncExitStack() as stack:
        the_stage = await stack.enter_async_context(stage(folder, ice_iface))
        meeting = Engagement(the_stage)
        stack.push_async_callback(meeting.close)
        await meeting.plan(args.listeners)
        say(f"engagement {meeting.id}: a speaker, two booths, {args.listeners} listeners admitted")
        janus = await connect(the_stage.janus_url)
        stack.push_async_callback(janus.close)
        peers: list[Any] = []

        async def close_peers() -> None:
            for peer in reversed(peers):
                with contextlib.suppress(Exception):
                    await peer.close()

        stack.push_async_callback(close_peers)

        media = await meeting.get("speaker", "live/media")
        speaker = Publisher(
            janus, media["room_id"], token=media["token"], sender_id=1, frequency=FLOOR_TONE
        )
        peers.append(speaker)
        speaker.tone.on = False
        await speaker.join(media["feed_id"])
        await speaker.publish()
        await meeting.send("speaker", "POST", "live/published")
        await meeting.send("speaker", "POST", "live/microphone", {"muted": False})

        booths: dict[str, BoothMicrophone] = {}
        for language, tone in TONES.items():
            key = f"{language}-booth"
            booth = (await meeting.get(key, "interpretation/access"))["booth"]
            microphone = BoothMicrophone(janus, tone)
            peers.append(microphone)
            microphone.tone.on = False
            await microphone.join(
                booth["room_id"], booth["token"], booth["participant_id"], muted=True
            )
            await meeting.send(key, "POST", "interpretation/on-air", {"on_air": True})
            booths[language] = microphone

        # The interpretation delay, beside the floor's own path.
        first = meeting.people["listener 1"]
        channels = {
            c["language"]: c
            for c in (await meeting.get("listener 1", "interpretation/access"))["channels"]
        }
        french = ChannelEar(janus)
        peers.append(french)
        await french.watch(channels["fr"]["mountpoint"], channels["fr"]["pin"])
        mine = await meeting.get("listener 1", "live/media")
        floor = Subscriber(janus, mine["room_id"], token=mine["token"])
        peers.append(floor)
        await floor.enter(mine["feed_id"], str(first.attendee_id))
        await floor.subscribe([media["feed_id"]])
        await asyncio.sleep(1.5)  # the router feeds the floor into each channel
        say(f"{args.onsets} onsets on each path, alternating")
        interpretation, direct = [], []
        for i in range(args.onsets + 1):
            channel = await onset_delay(booths["fr"].tone, french.audio, TONES["fr"])
            heard = floor.audio.setdefault(media["feed_id"], [])
            via_floor = await onset_delay(speaker.tone, heard, FLOOR_TONE)
            if i:  # the first of each warms the path up
                interpretation.append(channel)
                direct.append(via_floor)

        # Channel choices as the page makes them; both booths speak throughout.
        for booth in booths.values():
            booth.tone.on = True
        pages = [ListeningPage(meeting, f"listener {i + 1}", janus) for i in range(args.listeners)]
        for page in pages:
            peers.append(page.ear)
            await page.prepare()
        await asyncio.sleep(1.0)
        say(f"{args.listeners} listeners choose channels, {args.rounds} rounds")
        from_floor: list[float] = []
        between: list[float] = []
        for round_ in range(args.rounds):
            for page in pages:
                for _ in range(2):
                    # From the floor to the channel other than the one paused (aiortc keeps the
                    # last packets before a pause in its jitter buffer and lets them out when
                    # the same mountpoint resumes: they would be timed as arriving at once),
                    # then to the other channel, then back to the floor.
                    other = next(c for c, m in page.mountpoints.items() if m != page.watching)
                    then = next(c for c in page.mountpoints if c != other)
                    for language, kind in ((other, from_floor), (then, between), (None, None)):
                        sent = await page.choose(language)
                        if language is not None and kind is not None:
                            arrived = await wait_arrival(page.ear.audio, sent, TONES[language])
                            kind.append((arrived - sent) * 1000)
                        await asyncio.sleep(0.3)
            say(f"  round {round_ + 1}: {len(from_floor) + len(between)} choices timed")

        # Janus alone: a listener switching on a playing connection, nothing of Summitry.
        bare = ChannelEar(janus)
        peers.append(bare)
        await bare.watch(channels["fr"]["mountpoint"], channels["fr"]["pin"])
        await asyncio.sleep(1.0)
        janus_only: list[float] = []
        now = "fr"
        for _ in range(args.rounds * 4 + 1):
            now = "de" if now == "fr" else "fr"
            sent = time.monotonic()
            await bare.switch(channels[now]["mountpoint"])
            janus_only.append((await wait_arrival(bare.audio, sent, TONES[now]) - sent) * 1000)
            await asyncio.sleep(0.3)
        janus_only = janus_only[1:]  # the first warms the path up

    delay = figures(interpretation, "delay")
    floor_figures = figures(direct, "floor")
    choices = from_floor + between
    return {
        "t0": "the listener's PUT .../interpretation/channel leaves its client (the page acts "
        "on the choice at once); delay: the interpreter's first sounding frame leaves the track",
        "t1": "the first frame carrying the chosen channel's interpreter arrives at the listener",
        **delay,
        **floor_figures,
        "added_p50_ms": round(delay["delay_p50_ms"] - floor_figures["floor_p50_ms"], 1),
        **figures(choices, "switch_from_choice"),
        **figures(from_floor, "switch_from_floor"),
        **figures(between, "switch_between_channels"),
        **figures(janus_only, "janus_switch"),
        "target_ms": TARGET_MS,
        "onsets": len(interpretation),
        "switches": len(choices),
        "listeners": args.listeners,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--onsets", type=int, default=30, help="measured onsets per path (30)")
    parser.add_argument("--listeners", type=int, default=6, help="listeners choosing (6)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of choices each (3)")
    args = parser.parse_args()
    if args.onsets < 1 or args.listeners < 1 or args.rounds < 1:
        parser.error("--onsets, --listeners and --rounds must be at least 1")
    ice_iface = inside_namespace()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = run_in_folder(lambda tmp: run(args, ice_iface, tmp), "Janus and Summitry are stopped")
    met = max(result["delay_p95_ms"], result["switch_from_choice_p95_ms"]) <= TARGET_MS
    say(
        f"interpretation p50 {result['delay_p50_ms']} ms, p95 {result['delay_p95_ms']} ms "
        f"(floor alone p50 {result['floor_p50_ms']} ms); from the choice p50 "
        f"{result['switch_from_choice_p50_ms']} ms, p95 {result['switch_from_choice_p95_ms']} ms "
        f"(Janus alone p95 {result['janus_switch_p95_ms']} ms; target {TARGET_MS:.0f} ms at "
        f"p95: {'met' if met else 'missed'})"
    )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
