"""The live feed as browsers get it from `summitry serve`: uvicorn with Summitry's WebSocket
protocol, the hub writing each commit's frame to every socket, the media access for the
admitted person alone."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from summitry import log
from summitry.engagements.models import Engagement, Role
from summitry.log import feed as log_feed
from summitry.log.store import HUB
from summitry.log.wire import LiveHttp, LiveWebSockets, Wire
from summitry.media.meetings import JanusMeetingMedia
from summitry.media.nodes import MediaNodes
from summitry.media.rooms import MeetingRooms
from summitry.meeting import feed as live_feed
from summitry.meeting.events import RoomLocked
from summitry.security.models import Invitation
from summitry.security.tokens import token_hash
from tests.support.janus import JanusServer
from tests.support.postgres import free_port

Invite = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """The app on a real socket, served as `summitry serve` serves it."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_config=None,
            http=LiveHttp,
            ws=LiveWebSockets,
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
        await asyncio.sleep(0.02)
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def served(app: Any, janus: JanusServer) -> AsyncIterator[str]:
    """The test app served with a real Janus as its media server."""
    await janus.start()
    rooms = MeetingRooms(janus.url, admin_key=janus.room_admin_key)
    app.state.runtime.media = JanusMeetingMedia(MediaNodes.one(rooms, janus.url))
    async with serving(app) as base:
        yield base
    await rooms.close()


@contextlib.asynccontextmanager
async def live_socket(
    base: str,
    engagement_id: int,
    who: httpx.AsyncClient,
    compression: str | None = "deflate",
    query: str = "",
    read_hello: bool = True,
) -> AsyncIterator[ClientConnection]:
    """A page's live socket (``query``: ``after=…`` to resume), its hello read if asked."""
    cookie = who.cookies["summitry_session"]
    async with connect(
        f"{base}/api/v1/engagements/{engagement_id}/live/ws{'?' + query if query else ''}",
        additional_headers={"Cookie": f"summitry_session={cookie}"},
        compression=compression,
        proxy=None,
    ) as socket:
        if read_hello:
            hello = json.loads(await socket.recv())
            assert hello["type"] == "hello"
        yield socket


async def until(socket: ClientConnection, wanted: Callable[[dict[str, Any]], bool]) -> list[Any]:
    """Every message up to and including the first that ``wanted`` accepts."""
    seen = []
    async with asyncio.timeout(10):
        while True:
            message = json.loads(await socket.recv())
            seen.append(message)
            if wanted(message):
                return seen


async def settled(app: Any, engagement_id: int) -> None:
    """Until every feed of the engagement has gone: a closed page's notices at its heartbeat.
    The test's database is one connection, which the next request would otherwise share."""
    followers = app.state.runtime.hub._followers
    async with asyncio.timeout(10):
        while followers.get(engagement_id):  # noqa: ASYNC110 - the hub offers no event
            await asyncio.sleep(0.05)


def admits(attendee_id: int) -> Callable[[dict[str, Any]], bool]:
    return lambda m: (
        m["type"] == "events"
        and any(
            e["event"]["kind"] == "admitted" and e["event"]["attendee_id"] == attendee_id
            for e in m["events"]
        )
    )


async def test_the_admitted_person_alone_gets_their_media_access_with_the_admission(
    served: str,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    newcomer, attendee, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "DE")
    colleague, other, _ = await make_invitee(engagement, Role.DELEGATE, "CN")
    assert (await secretariat.post(f"{live}/enter")).status_code == 200
    assert (await colleague.post(f"{live}/enter")).status_code == 200
    assert (await secretariat.post(f"{live}/participants/{other.id}/admit")).status_code == 200
    assert (await newcomer.post(f"{live}/enter")).status_code == 200

    # The colleague's browser offers no compression, the newcomer's does (as Chromium).
    async with (
        live_socket(served, engagement.id, newcomer) as mine,
        live_socket(served, engagement.id, colleague, compression=None) as theirs,
    ):
        assert "server_no_context_takeover" in (
            mine.response.headers["Sec-WebSocket-Extensions"] if mine.response else ""
        )
        admitted = await secretariat.post(f"{live}/participants/{attendee.id}/admit")
        assert admitted.status_code == 200, admitted.text

        got = await until(mine, admits(attendee.id))
        assert [m["type"] for m in got] == ["media", "events"], got
        asked = (await newcomer.get(f"{live}/media")).json()
        assert {k: got[0][k] for k in asked} == asked  # the same room, token and feed id

        seen = await until(theirs, admits(attendee.id))
        assert all(m["type"] != "media" for m in seen)
        assert asked["token"] not in json.dumps(seen)

        # One commit, one message, whoever reads it: the secretariat leaves and comes back.
        before = got[-1]["events"][-1]["seq"]
        assert (await secretariat.post(f"{live}/leave")).status_code == 200
        assert (await secretariat.post(f"{live}/enter")).status_code == 200
        for socket in (mine, theirs):
            messages = await until(socket, lambda m: m["type"] == "events" and len(m["events"]) > 1)
            seqs = [e["seq"] for m in messages for e in m.get("events", [])]
            assert seqs == list(range(before + 1, before + 1 + len(seqs))), seqs
            kinds = [e["event"]["kind"] for e in messages[-1]["events"]]
            assert kinds == ["lobby_entered", "admitted"]


async def test_a_revoked_invitation_closes_the_live_feed_at_the_next_heartbeat(
    app: Any,
    db: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    monkeypatch.setattr(log_feed, "HEARTBEAT_SECONDS", 0.4)
    monkeypatch.setattr(live_feed, "RECHECK_AGE", 0.1)
    engagement = await make_engagement()
    invited, _, token = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "DE")
    invitation = await db.scalar(
        select(Invitation).where(Invitation.token_hash == token_hash(token))
    )
    assert invitation is not None
    async with serving(app) as base, live_socket(base, engagement.id, invited) as socket:
        pings = await until(socket, lambda m: m["type"] == "ping")
        pings += await until(socket, lambda m: m["type"] == "ping")  # still welcome
        assert (await secretariat.delete(f"/api/v1/invitations/{invitation.id}")).is_success
        with pytest.raises(ConnectionClosed):
            await until(socket, lambda m: False)
        assert socket.close_code == 4401


async def test_a_resuming_page_is_sent_the_roster_only_when_it_has_changed(
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    # The test's database is one connection: a closed page's feed must be gone (it notices
    # at its heartbeat) before the next request, or the two would share that connection.
    monkeypatch.setattr(log_feed, "HEARTBEAT_SECONDS", 0.2)

    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    head, attendee, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "DE")
    entered = lambda m: m["type"] == "events"  # noqa: E731 - a predicate, named for reading
    async with serving(app) as base:
        async with live_socket(base, engagement.id, head, read_hello=False) as socket:
            hello = json.loads(await socket.recv())
        await settled(app, engagement.id)
        assert hello["type"] == "hello"
        version, cursor = hello["roster_version"], hello["cursor"]

        # Nobody new: the page that holds this roster is told it resumed, then what it missed.
        assert (await head.post(f"{live}/enter")).status_code == 200
        query = f"after={cursor}&roster={version}"
        async with live_socket(base, engagement.id, head, query=query, read_hello=False) as socket:
            got = await until(socket, entered)
        await settled(app, engagement.id)
        assert [m["type"] for m in got] == ["resumed", "events"], got
        assert got[0]["cursor"] == cursor
        assert [e["event"]["kind"] for e in got[1]["events"]] == ["lobby_entered"]
        cursor = got[1]["events"][-1]["seq"]

        # The secretariat enters and is recorded as an attendee: the roster has changed, and a
        # page holding the old one is sent the new one before the events that name them.
        assert (await secretariat.post(f"{live}/enter")).status_code == 200
        query = f"after={cursor}&roster={version}"
        async with live_socket(base, engagement.id, head, query=query, read_hello=False) as socket:
            got = await until(socket, entered)
        await settled(app, engagement.id)
        # (Whether the roster comes before "resumed" depends on the age of the read it was
        # compared with; it always comes before the events that name the newcomer.)
        assert sorted(m["type"] for m in got[:-1]) == ["resumed", "roster"], got
        assert got[-1]["type"] == "events"
        fresh = next(m for m in got if m["type"] == "roster")
        assert fresh["version"] != version
        assert {p["attendee_id"] for p in fresh["roster"]} > {attendee.id}

        # A page that names no roster (or one it cannot have) is sent it, as before.
        async with live_socket(
            base, engagement.id, head, query=f"after={cursor}", read_hello=False
        ) as socket:
            got = await until(socket, entered)
        await settled(app, engagement.id)
        assert [m["type"] for m in got][:2] == ["roster", "resumed"], got


async def test_a_resuming_page_is_sent_what_this_process_never_published(
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
    sessionmaker: Any,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    # What a page missed comes from the hub's kept commits, but an event another process
    # wrote (a command, another replica) never passed through this hub: it must still come
    # with the resumption, not at the next heartbeat's catching up (3 s here).
    monkeypatch.setattr(log_feed, "HEARTBEAT_SECONDS", 3.0)

    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    head, _, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "DE")
    locked = lambda m: m["type"] == "events" and m["events"][-1]["event"]["kind"] == "room_locked"  # noqa: E731
    async with serving(app) as base:
        async with live_socket(base, engagement.id, head, read_hello=False) as socket:
            cursor = json.loads(await socket.recv())["cursor"]
        await settled(app, engagement.id)
        assert (await head.post(f"{live}/enter")).status_code == 200  # through this hub
        async with sessionmaker() as db:
            db.info[HUB] = None  # as another process: committed, never published here
            await log.append(db, engagement.id, RoomLocked(locked=True, by="another replica"))
            await db.commit()

        for after, expected in (
            (cursor, ["lobby_entered", "room_locked"]),
            (cursor + 1, ["room_locked"]),
        ):
            query = f"after={after}"
            began = asyncio.get_running_loop().time()
            async with live_socket(
                base, engagement.id, head, query=query, read_hello=False
            ) as socket:
                got = await until(socket, locked)
                waited = asyncio.get_running_loop().time() - began
            await settled(app, engagement.id)
            kinds = [e["event"]["kind"] for m in got if m["type"] == "events" for e in m["events"]]
            assert kinds == expected, got
            assert waited < 1.5, f"the missed event came {waited:.1f} s later, with a heartbeat"


async def test_a_closed_page_is_freed_at_once_not_left_to_the_collector(
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
) -> None:
    # Under churn, closed connections that only the collector's full pass could free piled up
    # by the hundred, and each full pass stopped the server for a quarter to nearly a second
    # (docs/benchmarks.md). With the collector off, nothing of a closed page may remain: one
    # that said goodbye, one that vanished (its network gone), one that vanished while the
    # meeting went on.
    monkeypatch.setattr(log_feed, "HEARTBEAT_SECONDS", 0.2)
    engagement = await make_engagement()
    live = f"/api/v1/engagements/{engagement.id}/live"
    head, _, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "DE")
    kinds = (LiveHttp, LiveWebSockets, Wire, log_feed.Feed)
    gc.collect()
    gc.disable()
    try:
        async with serving(app) as base:
            for leaving, query in (("goodbye", ""), ("vanish", "after=0"), ("vanish", "")):
                async with live_socket(
                    base, engagement.id, head, query=query, read_hello=False
                ) as socket:
                    await socket.recv()  # its opening: the server is following the log for it
                    if leaving == "vanish":
                        socket.transport.abort()
                if query == "":
                    assert (await head.post(f"{live}/enter")).is_success  # an event for it
                await settled(app, engagement.id)
            await asyncio.sleep(0.3)  # the server's side of the last close
            left = [t.__name__ for t in map(type, gc.get_objects()) if issubclass(t, kinds)]
            assert left == [], f"closed connections kept by reference cycles: {left}"
    finally:
        gc.enable()
