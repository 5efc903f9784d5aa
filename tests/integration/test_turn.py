"""TURN credentials of one's own, proven on a real coturn: they open a relay while fresh,
never once expired or made with another secret, and the record keeps none of them."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aioice import stun
from aioice import turn as aioice_turn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry import log
from summitry.engagements.models import Engagement, Role
from summitry.interpretation.routing import ChannelRouter
from summitry.log.hub import LiveHub
from summitry.media.channels import LanguageChannels
from summitry.media.ice import IceServers
from summitry.media.meetings import JanusMeetingMedia
from summitry.media.nodes import MediaNodes
from summitry.media.rooms import MeetingRooms
from summitry.meeting.media_port import IceServer
from tests.support.janus import JanusServer
from tests.support.netns import NotInTestNamespace, current_test_namespace
from tests.support.turn import Coturn, coturn

Invite = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]
# The test namespace's second veth end: coturn listens and relays there, Janus is on the first.
TURN_ADDRESS = "10.99.0.2"


@pytest.fixture(scope="module")
def turn_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    try:
        current_test_namespace()
    except NotInTestNamespace as err:
        pytest.fail(str(err), pytrace=False)
    with coturn(tmp_path_factory.mktemp("coturn"), TURN_ADDRESS, TURN_ADDRESS) as server:
        yield server


async def relay(server: Coturn, given: IceServer) -> tuple[str, int]:
    """Open a relay on ``server`` with the credentials ``given``; the relayed address."""
    transport, _ = await aioice_turn.create_turn_endpoint(
        asyncio.DatagramProtocol, (server.address, server.port), given.username, given.credential
    )
    try:
        relayed: tuple[str, int] = transport.get_extra_info("sockname")
        return relayed
    finally:
        transport.close()


async def test_fresh_credentials_open_a_relay_expired_or_forged_ones_do_not(
    turn_server: Coturn,
) -> None:
    servers = IceServers([], [turn_server.urls("udp", "tcp")], turn_server.secret, 600)
    (given,) = servers.for_holder("e7a3")
    assert given.urls == (turn_server.urls("udp", "tcp"),)
    expiry, label = (given.username or "").split(":")
    assert label == "e7a3"
    assert 590 <= int(expiry) - time.time() <= 600
    address, _port = await relay(turn_server, given)
    assert address == TURN_ADDRESS

    ten_minutes_old = IceServers(
        [], [turn_server.urls("udp")], turn_server.secret, 600, clock=lambda: time.time() - 601
    )
    with pytest.raises(stun.TransactionFailed, match="401"):
        await relay(turn_server, ten_minutes_old.for_holder("e7a3")[0])
    forged = IceServers([], [turn_server.urls("udp")], "not the shared secret", 600)
    with pytest.raises(stun.TransactionFailed, match="401"):
        await relay(turn_server, forged.for_holder("e7a3")[0])
    assert "e7a3" in turn_server.log_text()


@pytest.fixture
async def turn_media(
    app: Any,
    janus: JanusServer,
    turn_server: Coturn,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[None]:
    """The app on the test run's Janus, telling pages of STUN and of the real coturn."""
    await janus.start()
    ice = IceServers(
        [f"stun:{TURN_ADDRESS}:{turn_server.port}"],
        [turn_server.urls("udp", "tcp")],
        turn_server.secret,
        300,
    )
    rooms = MeetingRooms(janus.url, admin_key=janus.room_admin_key)
    media = JanusMeetingMedia(MediaNodes.one(rooms, janus.url), ice=ice)
    app.state.runtime.media = media
    app.state.runtime.channels = ChannelRouter(
        LanguageChannels(media.nodes), sessionmaker, LiveHub(), media.ice_servers
    )
    yield
    await rooms.close()


async def test_each_admitted_person_gets_turn_credentials_of_their_own_and_the_record_none(
    turn_media: None,
    turn_server: Coturn,
    db: AsyncSession,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
    tmp_path: Path,
) -> None:
    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    waiting, _waiting_attendee, _ = await make_invitee(engagement, Role.DELEGATE, "CN")
    assert (await waiting.post(f"{live}/enter")).status_code == 200
    refused = await waiting.get(f"{live}/media")
    assert refused.status_code == 403, "nobody in the lobby gets a relay"
    assert "credential" not in refused.text

    handed: list[dict[str, Any]] = []
    for code in ("DE", "EUCO"):
        client, attendee, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, code)
        assert (await client.post(f"{live}/enter")).status_code == 200
        admitted = await secretariat.post(f"{live}/participants/{attendee.id}/admit")
        assert admitted.status_code == 200, admitted.text
        access = await client.get(f"{live}/media")
        assert access.status_code == 200, access.text
        stun_server, turn = access.json()["ice_servers"]
        assert stun_server == {
            "urls": [f"stun:{TURN_ADDRESS}:{turn_server.port}"],
            "username": None,
            "credential": None,
        }
        assert turn["urls"] == [turn_server.urls("udp", "tcp")]
        assert turn["username"].endswith(f":e{engagement.id}a{attendee.id}")
        # The language channels' page relays through the same server, with the same name.
        channels = await client.get(f"/api/v1/engagements/{engagement.id}/interpretation/access")
        assert channels.status_code == 200, channels.text
        listening = channels.json()["ice_servers"][1]["username"]
        assert listening.endswith(f":e{engagement.id}a{attendee.id}")
        handed.append(turn)
        await relay(turn_server, IceServer((), turn["username"], turn["credential"]))
    assert handed[0]["username"] != handed[1]["username"]
    assert handed[0]["credential"] != handed[1]["credential"]

    recorded = json.dumps(
        [e.model_dump(mode="json") for e in await log.events_after(db, engagement.id, 0, 10_000)]
    )
    for turn in handed:
        assert turn["credential"] not in recorded
        assert turn["username"] not in recorded
