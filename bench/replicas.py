"""Replicas benchmark: the chair's change to the last of 2,000 live clients spread over two
Summitry replicas that pass their commits on through Redis, beside one replica in the same run.

    .venv/bin/python bench/replicas.py               (from the repository's root; about 3
                                                      minutes; starts its own PostgreSQL and
                                                      Redis in a temporary folder)
    .venv/bin/python bench/replicas.py --clients 500 --changes 10   (a quick look)

One PostgreSQL database (durable: each commit waits for its WAL), one engagement of
200 delegations x 10 people, each with an invitation opened over HTTP; the heads are in the
room, the chair is the secretariat. The clients are ``bench/fanout.py``'s: the ``websockets``
library's Sans-I/O client on asyncio transports, offering permessage-deflate as browsers do,
all in this process.

1. **One replica** (the baseline, given every advantage: no Redis, no relay): all clients
   connect to it; the chair gives the floor ``--changes`` times, one change at a time.
2. **Two replicas** with ``SUMMITRY_REDIS_URL``: half the clients on each; the chair's
   requests go to the first, so the other half's every change crosses Redis.

The clock starts when the chair's request leaves this process (``time.time()`` before the
HTTP request) and stops when the last client has the change's last event (its socket's data
read in this process): ``from_request``. The servers, Redis, PostgreSQL and the clients share
the machine's cores. The last line is the result as one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "src", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench.fanout import (  # noqa: E402 - needs the path above
    Chair,
    Client,
    Server,
    connect_all,
    machine,
    measure,
    open_sessions,
    populate,
    run_changes,
    serve_summitry,
    wait_until_listening,
)
from bench.stage import percentile  # noqa: E402
from tests.support.postgres import free_port  # noqa: E402


def say(message: str) -> None:
    print(f"replicas: {message}", file=sys.stderr, flush=True)


def start_replica(name: str, workdir: Path, database_url: str, redis_url: str) -> Server:
    port = free_port()
    data_dir = workdir / name
    data_dir.mkdir()
    log = workdir / f"{name}.log"
    command = [
        sys.executable, str(Path(__file__).resolve()), "--serve", "--port", str(port),
        "--data-dir", str(data_dir), "--database-url", database_url, "--redis-url", redis_url,
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)  # noqa: S603 - this very script
    return Server("summitry", process, port, log)


async def phase(
    label: str,
    servers: list[Server],
    cookies: list[str],
    fixture: Any,
    args: argparse.Namespace,
    reopen: bool = False,
) -> dict[str, Any]:
    """Clients spread evenly over ``servers``; the chair on the first; the changes timed."""
    for server in servers:
        await wait_until_listening(server)
    chair = Chair(f"http://127.0.0.1:{servers[0].port}", fixture.engagement_id)
    await chair.sign_in(fixture.secretary_email)
    await chair.post("/live/enter")
    path = f"/api/v1/engagements/{fixture.engagement_id}/live/ws"
    clients = [Client(i, cookie) for i, cookie in enumerate(cookies)]
    try:
        for k, server in enumerate(servers):
            mine = clients[k :: len(servers)]
            await connect_all(mine, f"ws://127.0.0.1:{server.port}{path}", 50)
        say(f"{label}: {len(clients)} clients on {len(servers)} replica(s)")
        if reopen:  # open since the phase before
            await chair.post("/floor/items/close")
        opened = await chair.post("/floor/items/1/open", {"inscribe_all": True})
        await asyncio.sleep(2)
        again = True  # fewer heads than changes: the speaker is inscribed again after each
        await run_changes(chair, clients, args.warmup, args.gap, f"{label} warm-up", again)
        changes = await run_changes(chair, clients, args.changes, args.gap, label, again)
        figures = measure(changes, clients)
        worst = sorted(figures.per_change_sent)
        return {
            "from_request_p50_ms": round(1000 * percentile(worst, 50), 1),
            "from_request_p95_ms": round(1000 * percentile(worst, 95), 1),
            "from_request_p99_ms": round(1000 * percentile(worst, 99), 1),
            "changes": len(worst),
            "incomplete": figures.incomplete,
            "missed": sum(c.missed for c in clients),
            "duplicated": sum(c.duplicated for c in clients),
            "opened_events": len(opened),
        }
    finally:
        for client in clients:
            await client.disconnect()
        await chair.close()


async def bench(args: argparse.Namespace, database_url: str, redis_url: str) -> dict[str, Any]:
    from summitry import schema

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(4 * args.clients + 1024, hard), hard))
    workdir = Path(tempfile.mkdtemp(prefix="summitry-replicas-"))
    say(f"machine {machine()}; working in {workdir}")
    schema.upgrade(database_url)
    fixture = await populate(database_url, args.clients // args.per_delegation, args.per_delegation)
    result: dict[str, Any] = {"machine": machine()}

    single = start_replica("single", workdir, database_url, "")
    try:
        await wait_until_listening(single)
        cookies = await open_sessions(
            f"http://127.0.0.1:{single.port}", fixture.tokens[: args.clients], 20
        )
        result["single"] = await phase("one replica", [single], cookies, fixture, args)
        say(f"one replica: {json.dumps(result['single'])}")
    finally:
        single.stop()

    replicas = [start_replica(n, workdir, database_url, redis_url) for n in ("a", "b")]
    try:
        result["replicas"] = await phase("two replicas", replicas, cookies, fixture, args, True)
        say(f"two replicas: {json.dumps(result['replicas'])}")
    finally:
        for server in replicas:
            server.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--per-delegation", type=int, default=10)
    parser.add_argument("--changes", type=int, default=40, help="measured changes")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--gap", type=float, default=0.2, help="mean pause between changes, s")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_summitry(args.port, args.data_dir, args.database_url, None, args.redis_url)
        return

    import uvloop
    from tests.support.postgres import create_database, postgres_server
    from tests.support.redis import redis_server

    with contextlib.ExitStack() as stack:
        say("starting PostgreSQL (durable) and Redis")
        server_url = stack.enter_context(postgres_server(durable=True))
        database_url = create_database(server_url, "summitry_replicas")
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="summitry-redis-")))
        redis = stack.enter_context(redis_server(folder))
        started = time.monotonic()
        result = uvloop.run(bench(args, database_url, redis.url))
        say(f"done in {time.monotonic() - started:.0f} s")
    single, two = result["single"], result["replicas"]
    headline = {
        "replicas": 2,
        "clients": args.clients,
        "from_request_p95_ms": two["from_request_p95_ms"],
        "from_request_p99_ms": two["from_request_p99_ms"],
        "single_from_request_p95_ms": single["from_request_p95_ms"],
        "single_from_request_p99_ms": single["from_request_p99_ms"],
        "ratio": round(two["from_request_p95_ms"] / single["from_request_p95_ms"], 2),
        "missed": two["missed"] + single["missed"],
        "duplicated": two["duplicated"] + single["duplicated"],
        "t0": "the chair's request leaves the client",
        "t1": "the last client has the change's last event",
        "detail": result,
    }
    print(json.dumps(headline))


if __name__ == "__main__":
    main()
