"""Summitry's NAT and ICE settings reach a real Janus: a 1:1 NAT's public address in its
candidates, ICE Lite, and candidates over TCP for delegates whose network lets no UDP out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from summitry.config import Settings
from summitry.media.janus import connect
from summitry.media.rooms import MeetingRooms, new_join_token, new_room_id, new_room_secret
from summitry.media.server import JanusConfig, JanusNat, JanusProcess
from tests.support.netns import NotInTestNamespace, current_test_namespace
from tests.support.peers import Publisher
from tests.support.postgres import free_port

# The "public" address: the test namespace's other veth end, so that nothing is ever sent
# beyond it; Janus itself listens on the first.
MAPPED = "10.99.0.2"


async def test_the_nat_and_ice_settings_shape_what_janus_offers(tmp_path: Path) -> None:
    try:
        namespace = current_test_namespace()
    except NotInTestNamespace as err:
        pytest.fail(str(err), pytrace=False)
    settings = Settings(
        data_dir=tmp_path,
        janus_nat_1_1_mapping=MAPPED,
        janus_keep_private_host=True,
        janus_ice_lite=True,
        janus_ice_tcp=True,
    )
    config = JanusConfig(
        tmp_path / "janus",
        ws_port=free_port(),
        ice_enforce_list=namespace.ice_iface,
        nat=JanusNat.from_settings(settings),
    )
    process = JanusProcess(config)
    await process.start()
    client = await connect(config.ws_url)
    rooms = MeetingRooms(config.ws_url, admin_key=config.room_admin_key)
    token = new_join_token()
    room_id, secret = new_room_id(), new_room_secret()
    publisher = Publisher(client, room_id, token=token, sender_id=5)
    try:
        await rooms.create_room(room_id, secret, "Ministerial video call", [token])
        await publisher.join()
        await publisher.publish()  # returns once Janus reports the media up
        answer = publisher.pc.remoteDescription.sdp
    finally:
        await publisher.close()
        await rooms.close()
        await client.close()
        await process.stop()

    candidates = re.findall(r"a=candidate:\S+ 1 (udp|tcp) \d+ (\S+) \d+ typ host(.*)", answer)
    udp = {address for transport, address, _ in candidates if transport == "udp"}
    assert udp == {MAPPED, "10.99.0.1"}, "the public address, and the private one kept"
    assert any(t == "tcp" and "tcptype passive" in rest for t, _, rest in candidates), answer
    assert "a=ice-lite" in answer
