"""Recordings through a real Summitry and its own Janus: tones in, standard files out.

A speaker at the floor sends one tone, the French and German interpreters theirs. Janus is
killed mid-meeting; after it comes back, the speaker sends another tone; then Summitry is
killed and started again. The files Summitry gives back are decoded here: each part holds the
tones sent while it was recorded, and nothing before a crash is lost.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from summitry.media.janus import JanusClient, connect
from tests.e2e.conftest import LiveServer, screenshot
from tests.e2e.test_meeting import meet
from tests.support.channels import BoothMicrophone, band_dbfs
from tests.support.interpreted import Meeting, signed_in
from tests.support.peers import SAMPLE_RATE, Publisher

pytestmark = pytest.mark.e2e

BEFORE = 440.0  # the speaker, before Janus is killed
AFTER = 660.0  # the speaker, after it came back
FRENCH = 1000.0
GERMAN = 2250.0
SPEAKING = 3.0  # seconds of each part


def decoded(data: bytes, folder: Path, name: str) -> np.ndarray:
    """The file's sound as mono samples at 48 kHz, from -1 to 1."""
    path = folder / name
    path.write_bytes(data)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    chunks = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(chunks) if chunks else np.zeros(0)


async def speak(meeting: Meeting, janus: JanusClient, tone: float) -> list[Any]:
    """The speaker publishes ``tone`` with the microphone open; both interpreters, on the air,
    speak into their booths (unmuted, as the console joins when on the air)."""
    media = await meeting.get("speaker", "live/media")
    speaker = Publisher(janus, media["room_id"], token=media["token"], sender_id=1, frequency=tone)
    await speaker.join(media["feed_id"])
    await speaker.publish()
    assert (await meeting.send("speaker", "POST", "live/published")).status_code == 200
    peers: list[Any] = [speaker]
    for key, interpreting in (("b1", FRENCH), ("c", GERMAN)):
        booth = (await meeting.get(key, "interpretation/access"))["booth"]
        microphone = BoothMicrophone(janus, interpreting)
        await microphone.join(
            booth["room_id"], booth["token"], booth["participant_id"], muted=False
        )
        peers.append(microphone)
    return peers


async def test_the_floor_and_each_channel_are_recorded_and_a_janus_crash_keeps_the_part_before(
    media_server: LiveServer, tmp_path: Path
) -> None:
    secretariat = await signed_in(media_server)
    meeting = Meeting(media_server, secretariat)
    await meeting.plan()
    peers: list[Any] = []
    janus: JanusClient | None = None
    try:
        # Not confidential: recorded from the start, and every participant's state says so.
        state = (await meeting.get("france", "live"))["state"]
        assert state["recording"] == {"on": None, "by": None}
        opened = await meeting.send("speaker", "POST", "live/microphone", {"muted": False})
        assert opened.status_code == 200, opened.text
        for key in ("b1", "c"):
            live = await meeting.send(key, "POST", "interpretation/on-air", {"on_air": True})
            assert live.status_code == 200, live.text

        server_url = (await meeting.get("speaker", "live/media"))["server_url"]
        janus = await connect(server_url)
        peers = await speak(meeting, janus, BEFORE)
        await asyncio.sleep(SPEAKING)

        epoch = state["media_epoch"]
        media_server.kill_janus()
        for peer in peers:
            await peer.close()
        await janus.close()
        janus = None
        deadline = time.monotonic() + 40
        while (await meeting.get("france", "live"))["state"]["media_epoch"] == epoch:
            assert time.monotonic() < deadline, "Janus did not come back"
            await asyncio.sleep(0.3)
        janus = await connect(server_url)
        peers = await speak(meeting, janus, AFTER)
        await asyncio.sleep(SPEAKING)

        # Summitry crashes and comes back; Janus, and the floor's recording, go on. The new
        # server makes the channels afresh (a new part); the interpreters' consoles rejoin.
        await asyncio.to_thread(media_server.kill_and_restart)
        for key, interpreting in (("b1", FRENCH), ("c", GERMAN)):
            deadline = time.monotonic() + 20
            while not (booth := (await meeting.get(key, "interpretation/access"))["booth"]):
                assert time.monotonic() < deadline, "the booth was not made again"
                await asyncio.sleep(0.3)
            microphone = BoothMicrophone(janus, interpreting)
            await microphone.join(
                booth["room_id"], booth["token"], booth["participant_id"], muted=False
            )
            peers.append(microphone)
        await asyncio.sleep(SPEAKING)

        stopped = await meeting.send("secretariat", "PUT", "recording", {"on": False})
        assert stopped.status_code == 200, stopped.text
        assert stopped.json()["events"][0]["event"]["kind"] == "recording_stopped"
        again = await meeting.send("secretariat", "PUT", "recording", {"on": False})
        assert again.json()["events"] == []  # said once
        refused = await meeting.send("france", "PUT", "recording", {"on": True})
        assert refused.status_code == 403, refused.text
        await asyncio.sleep(0.5)

        # An interpreter is not given the recordings; a delegation is.
        assert (await meeting.send("c", "GET", "recordings")).status_code == 403
        listed = await meeting.send("france", "GET", "recordings")
        assert listed.status_code == 200, listed.text
        tracks = listed.json()
        parts: dict[str, list[dict[str, Any]]] = {}
        for found in tracks:
            parts.setdefault(found["label"], []).append(found)
        floor = "Floor: United Kingdom, Speaker GB (microphone)"
        camera = "Floor: United Kingdom, Speaker GB (camera)"
        assert {floor, camera, "French channel", "German channel"} <= set(parts), sorted(parts)
        # The floor's file went on through Summitry's crash; the channels began a third part.
        assert [p["part"] for p in parts[floor]] == [1, 2], parts[floor]
        assert parts[floor][1]["seconds"] > 2 * SPEAKING - 1, parts[floor]
        for label in ("French channel", "German channel"):
            assert [p["part"] for p in parts[label]] == [1, 2, 3], (label, parts[label])

        async def heard(found: dict[str, Any]) -> np.ndarray:
            reply = await meeting.people["france"].client.get(found["url"])
            assert reply.status_code == 200, found
            assert reply.headers["content-type"] == "audio/ogg"
            samples = decoded(reply.content, tmp_path, found["name"])
            assert len(samples) / SAMPLE_RATE > 1.5, (found, len(samples) / SAMPLE_RATE)
            return samples

        levels = {}
        for label, tones in (
            (floor, (BEFORE, AFTER)),
            ("French channel", (FRENCH, BEFORE, AFTER, GERMAN)),
            ("German channel", (GERMAN, BEFORE, AFTER, FRENCH)),
        ):
            for found in parts[label]:
                samples = await heard(found)
                levels[label, found["part"]] = {t: band_dbfs(samples, t) for t in tones}
        print("recorded levels (dBFS):", levels)
        # The part before the crash holds the first tone alone, the part after the second.
        assert levels[floor, 1][BEFORE] > -20
        assert levels[floor, 1][AFTER] < -50
        assert levels[floor, 2][AFTER] > -20
        assert levels[floor, 2][BEFORE] < -50
        # Each channel: its interpreter loud, the floor of that part underneath, no other booth.
        for label, own, other in (
            ("French channel", FRENCH, GERMAN),
            ("German channel", GERMAN, FRENCH),
        ):
            for part, speaking, silent in (
                (1, BEFORE, AFTER),
                (2, AFTER, BEFORE),
                (3, AFTER, BEFORE),
            ):
                heard_levels = levels[label, part]
                assert heard_levels[own] > -20, (label, part, heard_levels)
                assert 8 < heard_levels[own] - heard_levels[speaking] < 22, (label, part)
                assert heard_levels[silent] < heard_levels[speaking] - 30, (label, part)
                assert heard_levels[other] < heard_levels[own] - 40, (label, part)
        video = parts[camera][0]
        film = await meeting.people["france"].client.get(video["url"])
        assert film.headers["content-type"] == "video/webm"
        (tmp_path / "camera.webm").write_bytes(film.content)
        with av.open(str(tmp_path / "camera.webm")) as container:
            frames = sum(1 for _ in container.decode(video=0))
        assert frames > 10, frames

        # Nothing but a listed file is served.
        sneaky = await meeting.people["france"].client.get(
            f"/engagements/{meeting.id}/recordings/..%2F..%2Fsummitry.db"
        )
        assert sneaky.status_code == 404
    finally:
        for peer in reversed(peers):
            await peer.close()
        if janus is not None:
            await janus.close()
        await meeting.close()
        await secretariat.aclose()


def test_a_confidential_meeting_is_recorded_only_when_the_secretariat_says_so_and_all_see_it(
    media_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    host, guest, _host_id, _guest_id = meet(media_server, new_page)
    engagement = guest.evaluate("Number(document.getElementById('meeting').dataset.engagement)")
    recordings = f"{media_server.url}/api/v1/engagements/{engagement}/recordings"
    mark = guest.locator('[data-mark="recording"]')
    expect(mark).to_have_text("Not recorded")
    # The meeting has run with sound and pictures: nothing of it was recorded.
    assert guest.request.get(recordings).json() == []
    assert guest.locator("[data-recorder]").count() == 0

    host.get_by_role("button", name="Record", exact=True).click()
    expect(mark).to_have_text("Recorded", timeout=3000)
    switch = host.get_by_role("button", name="Stop recording")
    switch.scroll_into_view_if_needed()
    screenshot(host, "66-meeting-recording-switch")
    guest.get_by_role("button", name=re.compile("^People")).click()
    expect(guest.locator("#present-list [data-recorder]")).to_contain_text("Recorder")
    screenshot(guest, "64-meeting-recorded")
    guest.get_by_role("button", name="Microphone").click()  # she speaks (the fake beep)
    guest.wait_for_timeout(3000)
    host.get_by_role("button", name="Stop recording").click()
    expect(mark).to_have_text("Not recorded", timeout=3000)
    expect(guest.locator("#present-list [data-recorder]")).to_have_count(0)

    guest.goto(f"{media_server.url}/engagements/{engagement}/recordings")
    expect(guest.get_by_role("heading", name="This meeting is not being recorded")).to_be_visible()
    expect(guest.get_by_text("Turned off by")).to_be_visible()
    files = guest.locator("table.recordings tbody tr")
    expect(files.first).to_be_visible()
    labels = files.locator("th").all_inner_texts()
    assert "Floor: Germany, H.E. Dr Angela Merkel (microphone)" in labels, labels
    assert "Floor: Germany, H.E. Dr Angela Merkel (camera)" in labels, labels
    # Each file plays in place: the browser reads its length from the file itself.
    player = guest.get_by_label("Floor: Germany, H.E. Dr Angela Merkel (camera), part 1")
    expect(player).to_have_js_property("readyState", 4, timeout=10000)
    assert player.evaluate("(v) => v.duration") > 2
    assert guest.get_by_role("button", name="Record the meeting").count() == 0  # not hers
    screenshot(guest, "65-recordings")
    host.goto(f"{media_server.url}/engagements/{engagement}/recordings")
    expect(host.get_by_role("button", name="Record the meeting")).to_be_visible()
