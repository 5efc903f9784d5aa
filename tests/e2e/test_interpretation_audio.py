"""Interpretation heard as listeners hear it: tones through a real Summitry and its own Janus.

A speaker at the floor sends tone A; the French booth's interpreters B1 and B2, the German
booth's interpreter C. What a user would notice is checked by FFT at aiortc listeners who
joined exactly as the pages do, with what Summitry gave them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from summitry.media.janus import JanusClient, JanusError, connect
from tests.e2e.conftest import LiveServer
from tests.support.channels import BoothMicrophone, ChannelEar, band_dbfs
from tests.support.interpreted import Meeting, signed_in
from tests.support.peers import Publisher, Subscriber

pytestmark = pytest.mark.e2e

FLOOR_A = 440.0
FRENCH_B1 = 1000.0
FRENCH_B2 = 1500.0
GERMAN_C = 2250.0
AMPLITUDE = 0.3  # every peer's tone: about -10.5 dBFS


@pytest.fixture
async def meeting(media_server: LiveServer) -> AsyncIterator[Meeting]:
    secretariat = await signed_in(media_server)
    planned = Meeting(media_server, secretariat)
    await planned.plan()
    yield planned
    await planned.close()
    await secretariat.aclose()


async def _listen(seconds: float) -> tuple[float, float]:
    since = time.monotonic()
    await asyncio.sleep(seconds)
    return since, time.monotonic()


async def test_listeners_hear_their_channel_and_booths_hand_over_without_a_gap(
    meeting: Meeting,
) -> None:
    media = await meeting.get("speaker", "live/media")
    janus: JanusClient = await connect(media["server_url"])
    speaker = Publisher(
        janus, media["room_id"], token=media["token"], sender_id=1, frequency=FLOOR_A
    )
    peers: list[Any] = [speaker]
    try:
        await speaker.join(media["feed_id"])
        await speaker.publish()
        assert (await meeting.send("speaker", "POST", "live/published")).status_code == 200
        opened = await meeting.send("speaker", "POST", "live/microphone", {"muted": False})
        assert opened.status_code == 200, opened.text

        booths = {}
        for key, tone in (("b1", FRENCH_B1), ("b2", FRENCH_B2), ("c", GERMAN_C)):
            access = await meeting.get(key, "interpretation/access")
            booth = access["booth"]
            microphone = BoothMicrophone(janus, tone, AMPLITUDE)
            await microphone.join(
                booth["room_id"], booth["token"], booth["participant_id"], muted=True
            )
            peers.append(microphone)
            booths[key] = booth
        for key in ("b1", "c"):
            live = await meeting.send(key, "POST", "interpretation/on-air", {"on_air": True})
            assert live.status_code == 200, live.text

        access = await meeting.get("france", "interpretation/access")
        channels = {c["language"]: c for c in access["channels"]}
        assert sorted(channels) == ["de", "fr"]
        assert access["booth"] is None  # a delegate is given no booth to speak into
        french = ChannelEar(janus)
        german = ChannelEar(janus)
        peers += [french, german]
        await french.watch(channels["fr"]["mountpoint"], channels["fr"]["pin"])
        await german.watch(channels["de"]["mountpoint"], channels["de"]["pin"])
        chose = await meeting.send("france", "PUT", "interpretation/channel", {"channel": "fr"})
        assert chose.status_code == 200, chose.text

        china = await meeting.get("china", "live/media")
        floor = Subscriber(janus, china["room_id"], token=china["token"])
        peers.append(floor)
        # China's page would enter under its own granted id: anyone else is put out.
        await floor.enter(china["feed_id"], "China")
        await floor.subscribe([media["feed_id"]])

        await asyncio.sleep(1.5)  # the router feeds the floor into each channel
        since, until = await _listen(2.0)
        b1, a = french.level(FRENCH_B1, since, until), french.level(FLOOR_A, since, until)
        # The interpretation is loud; the floor stays underneath at the planned 18 %
        # (-14.9 dB); nothing of the other booth leaks in.
        assert b1 > -16, f"French interpretation at {b1:.1f} dBFS"
        assert 11 < b1 - a < 19, f"floor {b1 - a:.1f} dB under the interpretation"
        assert french.level(GERMAN_C, since, until) < b1 - 50
        assert french.level(FRENCH_B2, since, until) < b1 - 50  # the partner is off the air
        c = german.level(GERMAN_C, since, until)
        assert c > -16
        assert 11 < c - german.level(FLOOR_A, since, until) < 19
        assert german.level(FRENCH_B1, since, until) < c - 50
        # On the floor: the speaker, and no interpretation.
        heard = floor.recorded(media["feed_id"], since)
        assert band_dbfs(heard, FLOOR_A) > -16
        assert band_dbfs(heard, FRENCH_B1) < -50

        # Nobody else speaks into a channel: Janus refuses the delegate's token and the
        # German interpreter's in the French booth.
        france_media = await meeting.get("france", "live/media")
        intruder = BoothMicrophone(janus, 3000.0)
        peers.append(intruder)
        with pytest.raises(JanusError):
            await intruder.join(
                booths["b1"]["room_id"],
                france_media["token"],
                france_media["feed_id"],
                muted=False,
            )
        stranger = BoothMicrophone(janus, 3000.0)
        peers.append(stranger)
        with pytest.raises(JanusError):
            await stranger.join(
                booths["b1"]["room_id"],
                booths["c"]["token"],
                booths["c"]["participant_id"],
                muted=False,
            )

        # Handover in the French booth: B1 gives the channel to B2.
        handover_at = time.monotonic()
        handed = await meeting.send(
            "b1", "POST", "interpretation/hand-over", {"to": meeting.people["b2"].attendee_id}
        )
        assert handed.status_code == 200, handed.text
        await asyncio.sleep(1.5)
        frames = [(at, s) for at, s in french.audio if at >= handover_at - 1.0]
        last_b1 = max(at for at, s in frames if band_dbfs(s, FRENCH_B1) > -30)
        first_b2 = min(at for at, s in frames if band_dbfs(s, FRENCH_B2) > -30)
        gap = first_b2 - last_b1
        assert gap < 0.5, f"{gap * 1000:.0f} ms of silence at the handover"
        since, until = await _listen(1.0)
        assert french.level(FRENCH_B2, since, until) > -16
        assert french.level(FRENCH_B1, since, until) < -60
        state = (await meeting.get("france", "live"))["state"]["interpretation"]
        assert state["live"] == {
            "de": meeting.people["c"].attendee_id,
            "fr": meeting.people["b2"].attendee_id,
        }

        # Relay: the German interpreter listens to the French booth instead of the floor.
        relay = await meeting.send("c", "PUT", "interpretation/relay", {"booth": "fr"})
        assert relay.status_code == 200, relay.text
        c_access = await meeting.get("c", "interpretation/access")
        relayed = {x["language"]: x for x in c_access["channels"]}["fr"]
        relay_ear = ChannelEar(janus)
        peers.append(relay_ear)
        await relay_ear.watch(relayed["mountpoint"], relayed["pin"])
        since, until = await _listen(1.5)
        assert relay_ear.level(FRENCH_B2, since, until) > -16
        state = (await meeting.get("c", "live"))["state"]["interpretation"]
        assert state["relays"] == {str(meeting.people["c"].attendee_id): "fr"}

        # The floor language: when the speaker speaks French, the French channel carries the
        # floor at full level; the German one still has it underneath.
        assert (
            await meeting.send("speaker", "PUT", "interpretation/language", {"language": "fr"})
        ).status_code == 200
        assert (
            await meeting.send("secretariat", "POST", "floor/items/0/open", {})
        ).status_code == 200
        assert (await meeting.send("speaker", "POST", "floor/requests", {})).status_code == 200
        assert (await meeting.send("secretariat", "POST", "floor/give", {})).status_code == 200
        await asyncio.sleep(1.0)
        since, until = await _listen(1.5)
        assert french.level(FLOOR_A, since, until) > -14
        c_now = german.level(GERMAN_C, since, until)
        assert 11 < c_now - german.level(FLOOR_A, since, until) < 19
    finally:
        for peer in reversed(peers):
            await peer.close()
        await janus.close()
