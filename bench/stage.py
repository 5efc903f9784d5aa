"""The stage the media benchmarks play on: a network namespace, a private Janus, Summitry served
in the benchmark's own process and event loop, its secretariat signed in, and the figures.

``bench/join.py``, ``bench/interpretation.py`` and ``bench/storm.py`` each run inside the test
namespace made by ``scripts/test`` if they are started there; otherwise they make their own
(``summitry-bench``: ``lo`` and an unconnected veth pair) and run themselves again inside it,
which takes root. Media never leaves the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "src", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from tests.support.netns import (  # noqa: E402 - needs the path above
    ICE_IFACE_ENV,
    NAMESPACE_ENV,
    NotInTestNamespace,
    current_test_namespace,
)

BENCH_NETNS = "summitry-bench"
BENCH_ICE_IFACE = "veth-a"
REEXEC_ENV = "SUMMITRY_BENCH_REEXEC"  # set when a script runs itself again in the namespace
PASSWORD = "a long benchmark password"  # noqa: S105 - a throwaway account
SECRETARY = "protocol@bench.example"


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# --- the network namespace ---------------------------------------------------------------------


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True)  # noqa: S603, S607 - iproute2, fixed arguments


def make_namespace() -> None:
    """``summitry-bench`` as ``scripts/test`` makes ``summitry-test``: replaced if it exists."""
    subprocess.run(  # noqa: S603
        ["ip", "netns", "delete", BENCH_NETNS],  # noqa: S607
        check=False,
        stderr=subprocess.DEVNULL,
    )
    _ip("netns", "add", BENCH_NETNS)
    _ip("-n", BENCH_NETNS, "link", "set", "lo", "up")
    _ip("-n", BENCH_NETNS, "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b")
    _ip("-n", BENCH_NETNS, "addr", "add", "10.99.0.1/24", "dev", "veth-a")
    _ip("-n", BENCH_NETNS, "addr", "add", "10.99.0.2/24", "dev", "veth-b")
    _ip("-n", BENCH_NETNS, "link", "set", "veth-a", "up")
    _ip("-n", BENCH_NETNS, "link", "set", "veth-b", "up")


def inside_namespace() -> str:
    """The veth Janus may offer media on; if outside any test namespace, re-run inside one."""
    try:
        return current_test_namespace().ice_iface
    except NotInTestNamespace as err:
        if os.environ.get(REEXEC_ENV):
            sys.exit(f"bench: started again inside {BENCH_NETNS}, but not in it: {err}")
        if os.geteuid() != 0:
            sys.exit(
                "bench: media runs only inside a network namespace, never on this machine's own "
                f"network; making namespace {BENCH_NETNS} needs root. Run as root: "
                f".venv/bin/python {sys.argv[0]} (or inside ./scripts/test's namespace)."
            )
        if shutil.which("ip") is None:
            sys.exit("bench: iproute2 (the ip command) is missing; apt-get install iproute2")
    make_namespace()
    say(f"made network namespace {BENCH_NETNS}; running inside it")
    env = {
        **os.environ,
        NAMESPACE_ENV: BENCH_NETNS,
        ICE_IFACE_ENV: BENCH_ICE_IFACE,
        REEXEC_ENV: "1",
    }
    command = [sys.executable, str(Path(sys.argv[0]).resolve()), *sys.argv[1:]]
    sys.stdout.flush()
    os.execvpe("ip", ["ip", "netns", "exec", BENCH_NETNS, *command], env)  # noqa: S606, S607
    raise AssertionError("exec does not return")


# --- figures -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def load_note(when: str) -> str:
    """The load average: the figures mean little if other work shares the cores."""
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0]
    note = f"load average {when} the run {load:.2f} on {cores} cores"
    if load > cores / 2:
        note += " (other work competes for the cores: expect slower, noisier figures)"
    return note


def run_in_folder(
    run: Callable[[Path], Coroutine[Any, Any, dict[str, Any]]],
    stopped: str,
    interrupts: tuple[type[BaseException], ...] = (),
) -> dict[str, Any]:
    """A benchmark's figures: ``run`` in a temporary folder, between notes of the machine's
    load. Interrupted (Ctrl-C, or one of ``interrupts``), it says what was stopped and exits."""
    say(load_note("before"))
    started = time.monotonic()
    try:
        folder = tempfile.TemporaryDirectory(prefix="summitry-bench-", ignore_cleanup_errors=True)
        with folder as tmp:
            figures = asyncio.run(run(Path(tmp)))
    except (KeyboardInterrupt, asyncio.CancelledError, *interrupts):
        say(f"interrupted; {stopped}")
        sys.exit(130)
    say(f"done in {time.monotonic() - started:.0f} s; {load_note('after')}")
    return figures


def ok(response: Any, status: int = 200) -> Any:
    """The JSON of an answer that had to be ``status``; anything else stops the benchmark."""
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:300]}"
        )
    return response.json() if response.content else None


# --- Janus and Summitry ------------------------------------------------------------------------


@dataclass
class Stage:
    """A private Janus, Summitry served on 127.0.0.1 with it, and the secretariat signed in."""

    base_url: str
    janus_url: str
    room_admin_key: str
    secretariat: Any  # httpx.AsyncClient, signed in

    def client(self) -> Any:
        """A fresh HTTP client for one person (their own cookies)."""
        import httpx

        return httpx.AsyncClient(base_url=self.base_url, timeout=20.0, trust_env=False)


@contextlib.asynccontextmanager
async def stage(folder: Path, ice_iface: str) -> AsyncIterator[Stage]:
    """Janus on the namespace's veth only; ``summitry serve`` (SQLite, ``media=True``, with
    that Janus) in a process of its own, as on a server: the benchmark's clients do not share
    its event loop. Everything is stopped on the way out."""
    import httpx
    from tests.support.postgres import free_port

    from summitry import schema
    from summitry.db import create_engine, create_sessionmaker
    from summitry.media.server import JanusConfig, JanusProcess
    from summitry.security.operations import create_account

    async with contextlib.AsyncExitStack() as stack:
        # setpriv: Janus and Summitry die with us if we are killed.
        prefix = ["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else []
        config = JanusConfig(folder / "janus", ws_port=free_port(), ice_enforce_list=ice_iface)
        janus = JanusProcess(config, prefix=prefix)
        stack.push_async_callback(janus.stop)
        await janus.start()
        say(f"Janus answers on {config.ws_url}, media on {ice_iface}")

        url = f"sqlite+aiosqlite:///{folder / 'summitry.db'}"
        await asyncio.to_thread(schema.upgrade, url)
        engine = create_engine(url)
        async with create_sessionmaker(engine)() as db:
            await create_account(db, SECRETARY, "Bench Secretariat", PASSWORD)
            await db.commit()
        await engine.dispose()

        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUMMITRY_")}
        env.update(
            SUMMITRY_DATA_DIR=str(folder),
            SUMMITRY_DATABASE_URL=url,
            SUMMITRY_SECRET_KEY=secrets.token_urlsafe(48),
            SUMMITRY_PORT=str(port),
            SUMMITRY_BASE_URL=base_url,
            SUMMITRY_MEDIA="true",
            SUMMITRY_JANUS_URL=config.ws_url,
            SUMMITRY_JANUS_ADMIN_KEY=config.room_admin_key,
        )
        log = stack.enter_context((folder / "server.log").open("wb"))
        server = subprocess.Popen(  # noqa: S603, ASYNC220 - our own command, started once
            [*prefix, sys.executable, "-m", "summitry.cli", "serve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

        def stop_server() -> None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

        stack.callback(stop_server)
        async with httpx.AsyncClient(timeout=1.0, trust_env=False) as probe:
            for _ in range(200):
                if server.poll() is not None:
                    raise RuntimeError(f"summitry serve stopped: see {folder / 'server.log'}")
                with contextlib.suppress(httpx.TransportError):
                    health = await probe.get(f"{base_url}/healthz")
                    if health.status_code == 200 and health.json().get("media") == "ok":
                        break
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"summitry serve did not answer: see {folder / 'server.log'}")
        say(f"Summitry serves on {base_url}")

        the_stage = Stage(base_url, config.ws_url, config.room_admin_key, None)
        secretariat = await stack.enter_async_context(the_stage.client())
        signing_in = {"email": SECRETARY, "password": PASSWORD}
        ok(await secretariat.post("/api/v1/session", json=signing_in))
        the_stage.secretariat = secretariat
        yield the_stage
