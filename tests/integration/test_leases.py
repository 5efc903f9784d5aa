"""Background work runs in one replica at a time: a lease in the database, on SQLite and on
PostgreSQL, taken by one of many at once, moved when its holder dies or lets go."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from summitry.db import create_sessionmaker
from summitry.leases import Lease

LIFE = 0.9
"""Seconds a lease lasts in these tests (the service's is longer)."""


class Work:
    """Background work that records whether it runs, and whether it ever ran twice at once."""

    running = 0
    most = 0

    def __init__(self) -> None:
        self.runs = False

    async def start(self) -> None:
        self.runs = True
        Work.running += 1
        Work.most = max(Work.most, Work.running)

    async def stop(self) -> None:
        self.runs = False
        Work.running -= 1


def replicas(engine: AsyncEngine, count: int) -> list[tuple[Lease, Work]]:
    name = f"test work {secrets.token_hex(4)}"
    made = []
    for _ in range(count):
        work = Work()
        made.append(
            (Lease(create_sessionmaker(engine), name, work.start, work.stop, seconds=LIFE), work)
        )
    return made


async def until(condition: Callable[[], bool], within: float) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < within, "not within the lease's life"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_of_forty_replicas_starting_at_once_exactly_one_runs_the_work(
    engine: AsyncEngine,
) -> None:
    Work.running = Work.most = 0
    forty = replicas(engine, 40)
    await asyncio.gather(*(lease.begin() for lease, _ in forty))
    try:
        assert [work.runs for _, work in forty].count(True) == 1
        await asyncio.sleep(LIFE * 2)  # renewals: still the same one
        assert [work.runs for _, work in forty].count(True) == 1
        assert Work.most == 1
    finally:
        for lease, _ in forty:
            await lease.end()


async def test_the_work_moves_when_its_holder_dies_and_at_once_when_it_lets_go(
    engine: AsyncEngine,
) -> None:
    Work.running = Work.most = 0
    (a, a_work), (b, b_work) = replicas(engine, 2)
    await a.begin()
    await b.begin()
    assert a_work.runs
    assert not b_work.runs
    # A dies: its process stops renewing (its work dies with it).
    assert a._task is not None
    a._task.cancel()
    await a_work.stop()
    moved = await until(lambda: b_work.runs, LIFE + LIFE / 3 + 0.5)
    assert moved <= LIFE + LIFE / 3 + 0.5
    # B shuts down cleanly: the lease is free at once, so A (back again) takes it at its
    # next turn rather than after a lease's life.
    a = Lease(a.sessionmaker, a.name, a_work.start, a_work.stop, seconds=LIFE)
    await a.begin()
    assert not a_work.runs
    await b.end()
    assert not b_work.runs
    await until(lambda: a_work.runs, LIFE / 3 + 0.5)
    await a.end()
    assert Work.most == 1


async def test_work_that_fails_to_start_is_tried_again_at_the_next_turn(
    engine: AsyncEngine,
) -> None:
    attempts = 0

    async def start() -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("the SIP port is taken")

    async def stop() -> None:
        pass

    name = f"test work {secrets.token_hex(4)}"
    lease = Lease(create_sessionmaker(engine), name, start, stop, seconds=LIFE)
    await lease.begin()  # the failure is logged, not raised: the replica serves on
    assert not lease.held
    await until(lambda: lease.held, LIFE)
    assert attempts == 2
    await lease.end()
