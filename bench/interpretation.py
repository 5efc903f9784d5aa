"""Interpretation benchmark: the delay a language channel puts between an interpreter's
microphone and a listener, and how soon a listener who changes channel hears the new one.

    .venv/bin/python bench/interpretation.py [--onsets N] [--switches N]   (as root)

One Janus inside a network namespace, with the channels made by Summitry's own adapter
(``media.channels.LanguageChannels``): a French and a German booth, the floor fed into both at
18 %. aiortc peers stand in for the people; every tone is gated and its onsets timed.

- Interpretation delay: the French interpreter's tone (1000 Hz) goes on; t0 is the moment its
  first sounding frame leaves the track, t1 the arrival of the first frame that carries it at
  a listener watching the French channel (AudioBridge mix, prebuffer 2, then a Streaming
  mountpoint). In the same run and the same way, the floor's own path: the speaker's tone
  (440 Hz) from the VideoRoom to a subscriber. The difference is what interpretation adds.
- Channel switch: a listener on one channel asks Janus to ``switch`` to the other (as the
  channel menu does); t0 when the request is sent, t1 when the first frame of the new
  channel's interpreter (1000 Hz or 2250 Hz) arrives.

Progress goes to stderr; the last line of stdout is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "src", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench.join import inside_namespace, load_note, percentile, say  # noqa: E402
from tests.support.channels import BoothMicrophone, ChannelEar, band_dbfs  # noqa: E402
from tests.support.peers import Publisher, Subscriber  # noqa: E402
from tests.support.postgres import free_port  # noqa: E402

from summitry.media.channels import ChannelSpec, LanguageChannels, listening_pin  # noqa: E402
from summitry.media.janus import connect  # noqa: E402
from summitry.media.rooms import MeetingRooms, new_room_id, new_room_secret  # noqa: E402
from summitry.media.server import JanusConfig, JanusProcess  # noqa: E402

TARGET_MS = 150.0
FLOOR_TONE = 440.0
FRENCH_TONE = 1000.0
GERMAN_TONE = 2250.0
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
        await asyncio.sleep(0.01)
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


def summary(values: list[float]) -> tuple[float, float]:
    return round(percentile(values, 50), 1), round(percentile(values, 95), 1)


async def run(args: argparse.Namespace, ice_iface: str, folder: Path) -> dict[str, Any]:
    config = JanusConfig(folder / "janus", ws_port=free_port(), ice_enforce_list=ice_iface)
    process = JanusProcess(config)
    await process.start()
    rooms = MeetingRooms(config.ws_url, admin_key=config.room_admin_key)
    channels = LanguageChannels(rooms)
    client = await connect(config.ws_url)
    peers: list[Any] = []
    try:
        video_room, video_secret = new_room_id(), new_room_secret()
        speaker_token, floor_token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        await rooms.create_room(video_room, video_secret, "bench", [speaker_token, floor_token])
        specs = {}
        for language in ("fr", "de"):
            secret = new_room_secret()
            token = secrets.token_urlsafe(24)
            specs[language] = (
                ChannelSpec(new_room_id(), secret, language, (token,), listening_pin(secret, 0)),
                token,
            )
            await channels.ensure(specs[language][0])

        speaker = Publisher(
            client, video_room, token=speaker_token, sender_id=1, frequency=FLOOR_TONE
        )
        peers.append(speaker)
        speaker.tone.on = False
        feed = await speaker.join()
        await speaker.publish()
        publishers = await rooms.publishers(video_room, video_secret)
        for spec, _ in specs.values():
            await channels.feed_floor(spec, video_room, video_secret, publishers, 18)

        interpreters = {}
        for (language, (spec, token)), tone in zip(
            specs.items(), (FRENCH_TONE, GERMAN_TONE), strict=True
        ):
            booth = BoothMicrophone(client, tone)
            peers.append(booth)
            booth.tone.on = False
            await booth.join(spec.room_id, token, secrets.randbelow(2**52) + 1, muted=False)
            interpreters[language] = booth

        floor = Subscriber(client, video_room, token=floor_token)
        peers.append(floor)
        await floor.join([feed])
        french = ChannelEar(client)
        peers.append(french)
        await french.watch(specs["fr"][0].room_id, specs["fr"][0].pin)
        await asyncio.sleep(1.0)

        say(f"{args.onsets} onsets on each path, alternating")
        interpretation, direct = [], []
        for i in range(args.onsets + 1):
            channel = await onset_delay(interpreters["fr"].tone, french.audio, FRENCH_TONE)
            heard = floor.audio.setdefault(feed, [])
            via_floor = await onset_delay(speaker.tone, heard, FLOOR_TONE)
            if i:  # the first of each warms the path up
                interpretation.append(channel)
                direct.append(via_floor)

        say(f"{args.switches} channel switches")
        for booth in interpreters.values():
            booth.tone.on = True
        switcher = ChannelEar(client)
        peers.append(switcher)
        await switcher.watch(specs["fr"][0].room_id, specs["fr"][0].pin)
        await asyncio.sleep(1.0)
        switches = []
        now = "fr"
        for i in range(args.switches + 1):
            target = "de" if now == "fr" else "fr"
            tone = GERMAN_TONE if target == "de" else FRENCH_TONE
            sent = time.monotonic()
            await switcher.switch(specs[target][0].room_id)
            arrived = await wait_arrival(switcher.audio, sent, tone)
            now = target
            if i:
                switches.append((arrived - sent) * 1000)
            await asyncio.sleep(0.5)
    finally:
        for peer in reversed(peers):
            await peer.close()
        await client.close()
        await rooms.close()
        await process.stop()

    delay_p50, delay_p95 = summary(interpretation)
    floor_p50, floor_p95 = summary(direct)
    switch_p50, switch_p95 = summary(switches)
    return {
        "delay_p50_ms": delay_p50,
        "delay_p95_ms": delay_p95,
        "floor_p50_ms": floor_p50,
        "floor_p95_ms": floor_p95,
        "added_p50_ms": round(delay_p50 - floor_p50, 1),
        "switch_p50_ms": switch_p50,
        "switch_p95_ms": switch_p95,
        "target_ms": TARGET_MS,
        "onsets": len(interpretation),
        "switches": len(switches),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--onsets", type=int, default=30, help="measured onsets per path (30)")
    parser.add_argument("--switches", type=int, default=30, help="measured switches (30)")
    args = parser.parse_args()
    if args.onsets < 1 or args.switches < 1:
        parser.error("--onsets and --switches must be at least 1")
    ice_iface = inside_namespace()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    say(load_note("before"))
    with tempfile.TemporaryDirectory(prefix="summitry-bench-", ignore_cleanup_errors=True) as tmp:
        figures = asyncio.run(run(args, ice_iface, Path(tmp)))
    say(load_note("after"))
    met = max(figures["delay_p95_ms"], figures["switch_p95_ms"]) <= TARGET_MS
    say(
        f"interpretation p50 {figures['delay_p50_ms']} ms, p95 {figures['delay_p95_ms']} ms "
        f"(floor alone p50 {figures['floor_p50_ms']} ms); switch p50 "
        f"{figures['switch_p50_ms']} ms, p95 {figures['switch_p95_ms']} ms "
        f"(target {TARGET_MS:.0f} ms at p95: {'met' if met else 'missed'})"
    )
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
