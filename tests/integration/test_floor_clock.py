"""The floor's clock: it ends a turn whose time and grace are over, from the state the hub
keeps current, and learns within seconds of what another process wrote to the log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry import log
from summitry.db import intend_to_write
from summitry.engagements.models import Engagement, Role
from summitry.floor import clock as floor_clock
from summitry.floor.clock import FloorClock
from summitry.floor.events import FloorReleased
from summitry.log.hub import LiveHub
from tests.integration.test_floor import Invite, microphones, seated


async def test_the_clock_ends_a_turn_that_ran_out_and_follows_the_log(
    app: Any,
    sessionmaker: async_sessionmaker[AsyncSession],
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engagement = await make_engagement(("CN", "DE", "EUCO"))
    api = f"/api/v1/engagements/{engagement.id}"
    people = await seated(
        secretariat,
        engagement,
        make_invitee,
        {"EUCO": Role.CHAIR, "CN": Role.HEAD_OF_DELEGATION, "DE": Role.HEAD_OF_DELEGATION},
    )
    chair, _ = people["EUCO"]
    china, china_id = people["CN"]
    germany, germany_id = people["DE"]
    runtime = app.state.runtime
    clock = FloorClock(runtime.sessions, runtime.hub, None)

    opened = await chair.post(f"{api}/floor/items/1/open", json={})
    assert opened.json()["events"][0]["event"]["limit_s"], "the item must have a time limit"
    for client in (china, germany):
        assert (await client.post(f"{api}/floor/requests", json={})).status_code == 200
    assert (await chair.post(f"{api}/floor/give", json={})).status_code == 200
    clock.watch(engagement.id)

    # Within its time, China keeps the floor.
    await clock.tick()
    assert microphones((await chair.get(f"{api}/live")).json())[china_id] is True

    # Germany is given the floor (the clock's kept state hears of it through the hub).
    assert (await chair.post(f"{api}/floor/give", json={})).status_code == 200
    # Time and grace are over an hour from now: the next tick ends Germany's turn.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    monkeypatch.setattr(floor_clock, "utcnow", lambda: later)
    await clock.tick()
    snapshot = (await chair.get(f"{api}/live")).json()
    assert microphones(snapshot)[germany_id] is False
    assert snapshot["state"]["floor"]["turn"] is None
    async with sessionmaker() as db:
        kinds = [e.event.kind for e in await log.events_after(db, engagement.id)]
    assert kinds.count("floor_released") == 2  # China's turn when Germany's began, then hers

    # Another process gives the floor back to China: the hub of this one never hears of it,
    # and the clock learns it from the log at its next check.
    monkeypatch.setattr(floor_clock, "utcnow", lambda: dt.datetime.now(dt.UTC))
    assert (await chair.post(f"{api}/floor/requests", json={"attendee_id": china_id})).is_success
    assert (await chair.post(f"{api}/floor/give", json={})).status_code == 200
    clock.watch(engagement.id)
    await clock.tick()  # folded from the log: China speaks, within her time
    async with log.offline(async_sessionmaker(bind=sessionmaker.kw["bind"]))() as db:
        await intend_to_write(db)
        await log.append(db, engagement.id, FloorReleased(reason="done", by="elsewhere"))
        await db.commit()
    monkeypatch.setattr(floor_clock, "VERIFY_SECONDS", 0.0)
    await clock.tick()
    assert engagement.id not in clock.due, "the released turn is no longer watched"


async def test_a_floor_given_on_another_replica_is_watched_without_its_message(
    app: Any,
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invite,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engagement = await make_engagement(("CN", "EUCO"))
    api = f"/api/v1/engagements/{engagement.id}"
    people = await seated(
        secretariat, engagement, make_invitee, {"EUCO": Role.CHAIR, "CN": Role.HEAD_OF_DELEGATION}
    )
    chair, _ = people["EUCO"]
    china, china_id = people["CN"]
    # The clock of another replica whose relay brought nothing: a hub of its own hears nothing.
    clock = FloorClock(app.state.runtime.sessions, LiveHub(), None)
    await clock.rescan()
    assert engagement.id not in clock.due

    assert (await chair.post(f"{api}/floor/items/1/open", json={})).status_code == 200
    assert (await china.post(f"{api}/floor/requests", json={})).status_code == 200
    assert (await chair.post(f"{api}/floor/give", json={})).status_code == 200
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    monkeypatch.setattr(floor_clock, "utcnow", lambda: later)
    await clock.tick()
    assert microphones((await chair.get(f"{api}/live")).json())[china_id] is True, "not seen yet"

    await clock.rescan()  # its next look at the log, two seconds on
    assert engagement.id in clock.due
    await clock.tick()
    snapshot = (await chair.get(f"{api}/live")).json()
    assert microphones(snapshot)[china_id] is False
    assert snapshot["state"]["floor"]["turn"] is None
