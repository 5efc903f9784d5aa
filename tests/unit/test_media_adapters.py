"""The plugin adapters: the request each writes, what it makes of Janus's answers, and that
nothing outside ``summitry.media`` speaks to Janus itself.

The adapters run here over a scripted handle: each plugin request is answered from a list,
an ``int`` standing for a Janus error with that code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import pytest

from summitry.errors import MediaUnavailable
from summitry.media.audiobridge import AudioBridge, BridgeRoom, RtpEntry
from summitry.media.floor import FloorSource, feed_publisher
from summitry.media.janus import JSON, Handle, JanusError, PluginReply
from summitry.media.plugin import OPUS_PT
from summitry.media.streaming import Streaming
from summitry.media.videoroom import VideoRoom, publishers_in

SRC = Path(__file__).resolve().parents[2] / "src" / "summitry"


class ScriptedHandle:
    """A plugin handle answering each request with the next scripted reply."""

    def __init__(self, *replies: JSON | int) -> None:
        self.replies = list(replies)
        self.sent: list[JSON] = []
        self.detached = False

    async def request(self, body: JSON) -> JSON:
        return (await self.message(body)).data

    async def message(self, body: JSON, jsep: JSON | None = None) -> PluginReply:
        self.sent.append(body)
        reply = self.replies.pop(0)
        if isinstance(reply, int):
            raise JanusError(reply, "scripted refusal")
        return PluginReply(reply, None)

    async def detach(self) -> None:
        self.detached = True


def handle(scripted: ScriptedHandle) -> Handle:
    return cast(Handle, scripted)


def test_no_code_outside_media_speaks_to_janus() -> None:
    speaking = re.compile(r"summitry\.media\.janus|janus\.plugin\.|\"request\":")
    offenders = [
        f"{path.relative_to(SRC)}: {line.strip()}"
        for path in SRC.rglob("*.py")
        if "media" not in path.relative_to(SRC).parts[:1]
        for line in path.read_text().splitlines()
        if speaking.search(line)
    ]
    assert offenders == []


async def test_a_floor_feed_joins_receive_only_and_forwards_the_publisher_to_its_port() -> None:
    bridge = ScriptedHandle({"audiobridge": "joined", "rtp": {"ip": "127.0.0.1", "port": 5004}})
    floor = ScriptedHandle({"videoroom": "rtp_forward", "forwarders": [{"stream_id": 9}]})
    source = FloorSource(VideoRoom(handle(floor), admin_key="key"), 7, "video secret")
    entry = RtpEntry("ignored", token="tok", volume=18, send_to=("10.0.0.1", 1))

    feed = await feed_publisher(AudioBridge(handle(bridge)), source, 70, entry, 1234, "0")

    assert feed is not None
    assert (feed.forwarder, feed.publisher, feed.volume) == (9, 1234, 18)
    join = bridge.sent[0]
    assert join["room"] == 70
    assert join["token"] == "tok"
    assert join["display"] == "floor 1234"
    assert join["rtp"] == {"payload_type": OPUS_PT}  # no address: Janus only receives
    forward = floor.sent[0]
    assert forward["request"] == "rtp_forward"
    assert forward["admin_key"] == "key"
    assert forward["publisher_id"] == 1234
    assert forward["streams"] == [{"mid": "0", "port": 5004, "pt": OPUS_PT}]
    assert not bridge.detached


async def test_a_floor_feed_for_a_publisher_gone_lets_its_handle_go() -> None:
    bridge = ScriptedHandle({"rtp": {"port": 5004}})
    floor = ScriptedHandle(428)  # No such feed: left in between
    source = FloorSource(VideoRoom(handle(floor)), 7, "secret")

    feed = await feed_publisher(AudioBridge(handle(bridge)), source, 70, RtpEntry("x"), 5, "0")

    assert feed is None
    assert bridge.detached


async def test_a_floor_feed_refused_lets_its_handle_go_and_says_why() -> None:
    bridge = ScriptedHandle({"rtp": {}})
    source = FloorSource(VideoRoom(handle(ScriptedHandle())), 7, "secret")

    with pytest.raises(MediaUnavailable, match="a floor feed no port"):
        await feed_publisher(AudioBridge(handle(bridge)), source, 70, RtpEntry("x"), 5, "0")
    assert bridge.detached


async def test_audiobridge_requests_tolerate_only_what_is_gone() -> None:
    scripted = ScriptedHandle(492, {"audiobridge": "success"}, 485, 433)
    bridge = AudioBridge(handle(scripted), admin_key="key")

    assert not await bridge.kick(70, "secret", 1)
    assert await bridge.mute(70, "secret", 1, muted=False)
    assert scripted.sent[1]["request"] == "unmute"
    assert await bridge.list_participants(70) == []
    with pytest.raises(MediaUnavailable, match="433"):
        await bridge.allowed(70, "secret", "remove", ["tok"])


async def test_an_audiobridge_room_is_made_with_only_the_settings_given() -> None:
    scripted = ScriptedHandle(486, 486)
    bridge = AudioBridge(handle(scripted), admin_key="key")
    room = BridgeRoom(70, "secret", "telephone 5", sampling_rate=16000)

    assert not await bridge.create(room, exist_ok=True)
    made = scripted.sent[0]
    assert made["admin_key"] == "key"
    assert made["is_private"] is True
    assert made["sampling_rate"] == 16000
    assert not {"allowed", "allow_rtp_participants", "default_prebuffering"} & set(made)
    with pytest.raises(MediaUnavailable, match="486"):
        await bridge.create(room)


async def test_a_mountpoint_is_made_private_for_opus_and_gives_its_port() -> None:
    ports: dict[str, Any] = {"stream": {"ports": [{"type": "audio", "port": 6000}]}}
    scripted = ScriptedHandle(ports, 455)
    streaming = Streaming(handle(scripted), admin_key="key")

    assert await streaming.create_audio(70, "secret", "channel fr", "pin") == 6000
    made = scripted.sent[0]
    assert made["is_private"] is True
    assert made["pin"] == "pin"
    assert made["media"][0]["pt"] == OPUS_PT
    assert not await streaming.destroy(70, "secret")


def test_publishers_are_read_with_their_audio_mids_only() -> None:
    data: JSON = {
        "publishers": [
            {"id": 1, "streams": [{"type": "video", "mid": "0"}, {"type": "audio", "mid": "1"}]},
            {"id": "not a number", "streams": []},
            {"id": 2},
        ]
    }
    found = {p.id: p.audio_mids for p in publishers_in(data)}
    assert found == {1: ("1",), 2: ()}
