"""The Janus client's protocol layer, against a fake server replaying Janus 1.1.2's own replies.

The replies below were recorded from Janus 1.1.2 (Debian) with this client; only transaction
ids are filled in per request. The fake listens on 127.0.0.1 and is started by each test.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve

from summitry.errors import MediaUnavailable
from summitry.media.janus import (
    JanusClient,
    JanusError,
    JanusTimeout,
    JanusUnavailable,
    connect,
)
from summitry.media.rooms import MeetingRooms, _audio_mids_of, moderator_token
from summitry.media.server import JanusConfig
from tests.support.postgres import free_port

JSON = dict[str, Any]
SESSION = 4036459888053920
HANDLE = 4599128000694299
T = "<transaction>"

SERVER_INFO: JSON = {
    "janus": "server_info",
    "transaction": T,
    "name": "Janus WebRTC Server",
    "version": 1102,
    "version_string": "1.1.2",
    "session-timeout": 60,
    "plugins": {"janus.plugin.videoroom": {}, "janus.plugin.audiobridge": {}},
    "transports": {"janus.transport.websockets": {}},
}
CREATED_SESSION: JSON = {"janus": "success", "transaction": T, "data": {"id": SESSION}}
ATTACHED: JSON = {
    "janus": "success",
    "session_id": SESSION,
    "transaction": T,
    "data": {"id": HANDLE},
}
ACK: JSON = {"janus": "ack", "session_id": SESSION, "transaction": T}


def plugin_reply(data: JSON, janus: str = "success") -> JSON:
    return {
        "janus": janus,
        "session_id": SESSION,
        "transaction": T,
        "sender": HANDLE,
        "plugindata": {"plugin": "janus.plugin.videoroom", "data": data},
    }


ROOM_CREATED = plugin_reply({"videoroom": "created", "room": 7, "permanent": False})
ROOM_EXISTS = plugin_reply(
    {"videoroom": "event", "error_code": 427, "error": "Room 7 already exists"}
)
NO_SUCH_USER = plugin_reply(
    {"videoroom": "event", "error_code": 428, "error": "No such user 1 in room 7"}
)
NO_SUCH_SESSION: JSON = {
    "janus": "error",
    "session_id": 123,
    "transaction": T,
    "error": {"code": 458, "reason": "No such session 123"},
}
JOINED = plugin_reply(
    {
        "videoroom": "joined",
        "room": 7,
        "description": "Room 7",
        "id": 4321,
        "private_id": 3057706355,
        "publishers": [],
    },
    janus="event",
)
NOT_ALLOWED = plugin_reply(
    {"videoroom": "event", "error_code": 433, "error": "Unauthorized (not in the allowed list)"},
    janus="event",
)
CONFIGURED = {
    **plugin_reply(
        {"videoroom": "event", "room": 7, "configured": "ok", "audio_codec": "opus"},
        janus="event",
    ),
    "jsep": {"type": "answer", "sdp": "v=0\r\n"},
}
WEBRTCUP: JSON = {"janus": "webrtcup", "session_id": SESSION, "sender": HANDLE}
MEDIA: JSON = {
    "janus": "media",
    "session_id": SESSION,
    "sender": HANDLE,
    "mid": "0",
    "type": "audio",
    "receiving": True,
}
KICKED: JSON = {
    "janus": "event",
    "session_id": SESSION,
    "sender": HANDLE,
    "plugindata": {
        "plugin": "janus.plugin.videoroom",
        "data": {"videoroom": "event", "room": 7, "leaving": "ok", "reason": "kicked"},
    },
}
HANGUP: JSON = {"janus": "hangup", "session_id": SESSION, "sender": HANDLE, "reason": "Close PC"}
DETACHED: JSON = {"janus": "detached", "session_id": SESSION, "sender": HANDLE}
TIMEOUT: JSON = {"janus": "timeout", "session_id": SESSION}

Answer = Callable[[JSON], list[JSON]]


def key_of(request: JSON) -> str:
    if request.get("janus") == "message":
        return f"message:{request['body'].get('request')}"
    return str(request.get("janus"))


class FakeJanus:
    """Answers each request with recorded replies chosen by its verb (or plugin request)."""

    def __init__(self) -> None:
        self.answers: dict[str, list[JSON] | Answer] = {
            "info": [SERVER_INFO],
            "create": [CREATED_SESSION],
            "attach": [ATTACHED],
            "keepalive": [ACK],
            "trickle": [ACK],
        }
        self.received: list[JSON] = []
        self.subprotocols: list[str | None] = []
        self.connections: list[ServerConnection] = []
        self.server: Server | None = None
        self.url = ""

    async def _serve(self, socket: ServerConnection) -> None:
        self.connections.append(socket)
        self.subprotocols.append(socket.subprotocol)
        async for raw in socket:
            request = json.loads(raw)
            self.received.append(request)
            answer = self.answers.get(key_of(request), [])
            replies = answer(request) if callable(answer) else answer
            for reply in replies:
                filled = dict(reply)
                if filled.get("transaction") == T:
                    filled["transaction"] = request["transaction"]
                await socket.send(json.dumps(filled))

    async def push(self, message: JSON | str) -> None:
        """Send something unasked, as Janus does with events."""
        text = message if isinstance(message, str) else json.dumps(message)
        for socket in self.connections:
            await socket.send(text)

    async def hang_up(self) -> None:
        for socket in self.connections:
            await socket.close()

    def sent(self, key: str) -> list[JSON]:
        return [r for r in self.received if key_of(r) == key]


@pytest.fixture
async def fake() -> AsyncIterator[FakeJanus]:
    janus = FakeJanus()
    async with serve(
        janus._serve, "127.0.0.1", 0, subprotocols=["janus-protocol"], compression=None
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        janus.server, janus.url = server, f"ws://127.0.0.1:{port}"
        yield janus


@pytest.fixture
async def client(fake: FakeJanus) -> AsyncIterator[JanusClient]:
    janus = await connect(fake.url, request_timeout=2.0)
    yield janus
    await janus.close()


async def test_info_session_and_handle_ids_come_from_the_replies(
    fake: FakeJanus, client: JanusClient
) -> None:
    info = await client.info()
    assert info["version_string"] == "1.1.2"
    session = await client.create_session()
    handle = await session.attach("janus.plugin.videoroom")
    assert (session.id, handle.id) == (SESSION, HANDLE)
    assert fake.subprotocols == ["janus-protocol"]
    attach = fake.sent("attach")[0]
    assert attach["session_id"] == SESSION
    assert attach["plugin"] == "janus.plugin.videoroom"
    transactions = [r["transaction"] for r in fake.received]
    assert len(set(transactions)) == len(transactions)


async def test_a_synchronous_plugin_request_returns_the_plugins_data(
    fake: FakeJanus, client: JanusClient
) -> None:
    fake.answers["message:create"] = [ROOM_CREATED]
    handle = await (await client.create_session()).attach("janus.plugin.videoroom")
    data = await handle.request({"request": "create", "room": 7})
    assert data == {"videoroom": "created", "room": 7, "permanent": False}
    sent = fake.sent("message:create")[0]
    assert (sent["session_id"], sent["handle_id"], sent["body"]["room"]) == (SESSION, HANDLE, 7)


@pytest.mark.parametrize(
    ("reply", "code", "reason"),
    [
        (ROOM_EXISTS, 427, "Room 7 already exists"),
        (NO_SUCH_USER, 428, "No such user 1 in room 7"),
    ],
)
async def test_a_plugin_error_raises_janus_error_with_its_code(
    fake: FakeJanus, client: JanusClient, reply: JSON, code: int, reason: str
) -> None:
    fake.answers["message:create"] = [reply]
    handle = await (await client.create_session()).attach("janus.plugin.videoroom")
    with pytest.raises(JanusError) as raised:
        await handle.request({"request": "create", "room": 7})
    assert (raised.value.code, raised.value.reason) == (code, reason)


async def test_a_janus_level_error_raises_janus_error(fake: FakeJanus, client: JanusClient) -> None:
    fake.answers["keepalive"] = [NO_SUCH_SESSION]
    with pytest.raises(JanusError) as raised:
        await client.send({"janus": "keepalive", "session_id": 123}, ack_is_final=True)
    assert raised.value.code == 458


async def test_an_asynchronous_request_waits_past_the_ack_for_its_event(
    fake: FakeJanus, client: JanusClient
) -> None:
    fake.answers["message:join"] = [ACK, JOINED]
    fake.answers["message:publish"] = [ACK, CONFIGURED]
    handle = await (await client.create_session()).attach("janus.plugin.videoroom")
    joined = await handle.message({"request": "join", "ptype": "publisher", "room": 7})
    assert joined.data["id"] == 4321
    assert joined.jsep is None
    configured = await handle.message(
        {"request": "publish"}, jsep={"type": "offer", "sdp": "v=0\r\n"}
    )
    assert configured.data["configured"] == "ok"
    assert configured.jsep == {"type": "answer", "sdp": "v=0\r\n"}
    assert fake.sent("message:publish")[0]["jsep"]["type"] == "offer"


async def test_an_asynchronous_refusal_raises_janus_error(
    fake: FakeJanus, client: JanusClient
) -> None:
    fake.answers["message:join"] = [ACK, NOT_ALLOWED]
    handle = await (await client.create_session()).attach("janus.plugin.videoroom")
    with pytest.raises(JanusError) as raised:
        await handle.message({"request": "join", "ptype": "publisher", "room": 7, "token": "x"})
    assert raised.value.code == 433


async def test_events_go_to_their_handles_queue_until_detached(
    fake: FakeJanus, client: JanusClient
) -> None:
    fake.answers["detach"] = [{"janus": "success", "session_id": SESSION, "transaction": T}]
    handle = await (await client.create_session()).attach("janus.plugin.videoroom")
    for message in (WEBRTCUP, MEDIA, KICKED, HANGUP, {**WEBRTCUP, "sender": 999}, DETACHED):
        await fake.push(message)
    seen = [event async for event in handle.events()]
    assert [e.kind for e in seen] == ["webrtcup", "media", "event", "hangup", "detached"]
    assert seen[2].data == {"videoroom": "event", "room": 7, "leaving": "ok", "reason": "kicked"}
    assert seen[1].data["mid"] == "0"
    with pytest.raises(JanusUnavailable):
        await handle.next_event()


async def test_a_request_without_an_answer_raises_janus_timeout(fake: FakeJanus) -> None:
    fake.answers["message:kick"] = []  # Janus never answers
    async with await connect(fake.url, request_timeout=0.2) as client:
        handle = await (await client.create_session()).attach("janus.plugin.videoroom")
        with pytest.raises(JanusTimeout):
            await handle.request({"request": "kick", "room": 7, "id": 1})
        assert not client.closed  # a slow answer is not a dead connection


async def test_a_closed_socket_fails_waiting_requests_and_ends_event_streams(
    fake: FakeJanus, client: JanusClient
) -> None:
    fake.answers["message:join"] = [ACK]  # the event never comes: Janus goes away first
    handle = await (await client.create_session()).attach("janus.plugin.videoroom")
    waiting = asyncio.create_task(handle.message({"request": "join", "room": 7}))
    await asyncio.sleep(0.1)
    await fake.hang_up()
    with pytest.raises(JanusUnavailable):
        await waiting
    async with asyncio.timeout(2):
        await client.wait_closed()
    assert [e async for e in handle.events()] == []
    with pytest.raises(JanusUnavailable):
        await client.info()


async def test_nothing_listening_raises_janus_unavailable() -> None:
    with pytest.raises(JanusUnavailable, match="cannot connect"):
        await connect(f"ws://127.0.0.1:{free_port()}", request_timeout=1.0)


async def test_keepalives_keep_the_session_and_stop_with_it(fake: FakeJanus) -> None:
    async with await connect(fake.url, keepalive_interval=0.05) as client:
        session = await client.create_session()
        await asyncio.sleep(0.3)
        sent = len(fake.sent("keepalive"))
        assert sent >= 3
        assert all(k["session_id"] == SESSION for k in fake.sent("keepalive"))
        await fake.push(TIMEOUT)  # Janus expired it anyway: keepalives stop
        await asyncio.sleep(0.2)
        assert len(fake.sent("keepalive")) <= sent + 1
        assert session.id not in client._sessions


async def test_garbage_from_the_server_is_ignored(fake: FakeJanus, client: JanusClient) -> None:
    await fake.push("this is not JSON")
    await fake.push("[1, 2, 3]")
    await fake.push({"janus": "event", "sender": "not a number"})
    assert (await client.info())["version"] == 1102


async def test_meeting_rooms_turn_janus_errors_into_media_unavailable(fake: FakeJanus) -> None:
    fake.answers["message:create"] = [ROOM_EXISTS]
    fake.answers["message:kick"] = [NO_SUCH_USER]
    rooms = MeetingRooms(fake.url, admin_key="key", request_timeout=1.0)
    try:
        with pytest.raises(MediaUnavailable, match="427") as raised:
            await rooms.create_room(7, "secret", "Room", ["token"])
        assert isinstance(raised.value.__cause__, JanusError)
        assert raised.value.status == 503
        create = fake.sent("message:create")[0]["body"]
        assert create["admin_key"] == "key"
        assert create["require_pvtid"] is True
        assert create["allowed"] == ["token", moderator_token("secret")]
        assert not await rooms.kick(7, "secret", 1)  # not there: nothing to do

        await fake.hang_up()
        await rooms.wait_disconnected()
        fake.answers["info"] = []
        with pytest.raises(MediaUnavailable, match="does not answer"):
            await rooms.info()  # reconnected, but Janus does not answer
    finally:
        await rooms.close()


def test_audio_mids_are_read_from_the_publishers_streams() -> None:
    joined = {
        "videoroom": "joined",
        "publishers": [
            {
                "id": 1234,
                "streams": [
                    {"type": "video", "mindex": 0, "mid": "0", "codec": "vp8"},
                    {"type": "audio", "mindex": 1, "mid": "1", "codec": "opus"},
                ],
            },
            {"id": 99, "streams": [{"type": "audio", "mid": "0"}]},
        ],
    }
    assert _audio_mids_of(joined).get(1234) == ["1"]
    assert _audio_mids_of(joined).get(5, []) == []


def test_the_private_janus_config_keeps_to_loopback_and_its_own_secrets(tmp_path: Path) -> None:
    config = JanusConfig(tmp_path / "janus", ws_port=18188, ice_enforce_list="veth-a")
    config.write()
    core = (config.config_dir / "janus.jcfg").read_text()
    ws = (config.config_dir / "janus.transport.websockets.jcfg").read_text()
    videoroom = (config.config_dir / "janus.plugin.videoroom.jcfg").read_text()
    audiobridge = (config.config_dir / "janus.plugin.audiobridge.jcfg").read_text()

    assert f'configs_folder = "{config.config_dir}"' in core
    assert f'admin_secret = "{config.admin_secret}"' in core
    assert "janusoverlord" not in core
    assert 'ice_enforce_list = "veth-a"' in core
    assert "stun_server" not in core
    assert "nat_1_1_mapping" not in core
    assert 'ws_ip = "127.0.0.1"' in ws
    assert "ws_port = 18188" in ws
    assert "admin_ws = false" in ws
    for plugin in (videoroom, audiobridge):
        assert f'admin_key = "{config.room_admin_key}"' in plugin
        assert "room-" not in plugin  # no stock rooms
    assert 'local_ip = "127.0.0.1"' in audiobridge
    assert 'rtp_port_range = "40000-44999"' in audiobridge
    for name in ("libjanus_http.so", "libjanus_mqtt.so", "libjanus_pfunix.so"):
        if (config.lib_dir / "transports" / name).exists():
            assert name in core.split("transports: {")[1].split("}")[0]
    if (config.lib_dir / "plugins" / "libjanus_sip.so").exists():
        assert "libjanus_sip.so" in core.split("plugins: {")[1].split("}")[0]
    for wanted in ("videoroom", "audiobridge", "streaming"):
        assert f"libjanus_{wanted}.so" not in core
    streaming = (config.config_dir / "janus.plugin.streaming.jcfg").read_text()
    assert f'admin_key = "{config.room_admin_key}"' in streaming
    assert 'rtp_port_range = "45000-49999"' in streaming
    assert "mountpoint-" not in streaming  # no stock mountpoints
    assert oct(config.config_dir.stat().st_mode & 0o777) == "0o700"
