"""A real Summitry server and Debian's Chromium, for tests that act as a person would."""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.accessibility import assert_accessible
from tests.support.netns import NotInTestNamespace, current_test_namespace
from tests.support.postgres import create_database, free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
SECRETARY_EMAIL = "protocol@mfa.example"
SECRETARY_PASSWORD = "a long protocol password"

# Chromium as root, headless, and with nothing that reaches beyond this machine.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # A fake camera (a moving test pattern) and a fake microphone (a beep), granted at once.
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]


class LiveServer:
    def __init__(self, url: str, env: dict[str, str]) -> None:
        self.url = url
        self.env = env
        self.process: subprocess.Popen[bytes]
        self.log: Path

    def kill_janus(self) -> None:
        """SIGKILL the Janus that this Summitry started, as a crash would."""
        folder = Path(self.env["SUMMITRY_DATA_DIR"]) / "janus"
        subprocess.run(["pkill", "-KILL", "-f", f"janus -F {folder}"], check=True)

    def kill(self) -> None:
        """SIGKILL the server, as a crash would (Janus, if any, outlives it)."""
        self.process.kill()
        self.process.wait(timeout=10)

    def restart(self) -> None:
        """Start the server again on the same port and database, after ``kill``."""
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "summitry.cli", "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_healthy(self)

    def kill_and_restart(self) -> None:
        """SIGKILL the server, as a crash would, and start it again on the same port."""
        self.kill()
        self.restart()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the ``summitry`` command against this server's database."""
        return subprocess.run(
            [sys.executable, "-m", "summitry.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )


@contextlib.contextmanager
def serve(
    data_dir: Path,
    *,
    demo: bool = False,
    media: bool = False,
    telephone: bool = False,
    database_url: str | None = None,
    settings: dict[str, str] | None = None,
    account: bool = True,
) -> Iterator[LiveServer]:
    """``summitry serve`` with one secretariat account: on SQLite in ``data_dir``, or on
    ``database_url`` (an empty database, which ``summitry db upgrade`` migrates first).

    With ``media``, Summitry starts its own Janus, offering media only on the test
    namespace's veth (the caller has checked that we are inside it). ``settings`` are more
    ``SUMMITRY_*`` variables, over those made here.
    """
    port = int((settings or {}).get("SUMMITRY_PORT") or free_port())
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUMMITRY_")}
    env.update(
        SUMMITRY_DATA_DIR=str(data_dir),
        SUMMITRY_PORT=str(port),
        SUMMITRY_NEW_PASSWORD=SECRETARY_PASSWORD,
        SUMMITRY_MEDIA="true" if media else "false",
    )
    if media:
        env.update(
            SUMMITRY_JANUS_WS_PORT=str(free_port()),
            SUMMITRY_JANUS_ICE_INTERFACE=current_test_namespace().ice_iface,
            SUMMITRY_TEST_NETNS=os.environ.get("SUMMITRY_TEST_NETNS", ""),
        )
    if telephone:
        env.update(SUMMITRY_SIP_ENABLED="true", SUMMITRY_SIP_PORT=str(free_port()))
    if database_url is not None:
        env.update(SUMMITRY_DATABASE_URL=database_url)
    env.update(settings or {})
    server = LiveServer(f"http://127.0.0.1:{port}", env)
    if database_url is not None:
        upgraded = server.cli("db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
    if account:  # not for a second replica of the same database
        made = server.cli(
            "accounts", "create", "--email", SECRETARY_EMAIL, "--name", "Ms Helena Brandt"
        )
        assert made.returncode == 0, made.stderr
    if demo:
        loaded = server.cli("demo")
        assert loaded.returncode == 0, loaded.stderr
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "summitry.cli", "serve"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server.process = process
    server.log = data_dir / "server.log"
    try:
        _wait_healthy(server)
        yield server
    finally:
        current = server.process
        current.terminate()
        try:
            current.wait(timeout=15)
        except subprocess.TimeoutExpired:
            current.kill()
            current.wait()  # else its Popen warns, at some later test, that it still runs
        log.close()
        # A Janus that outlived a killed Summitry (as it should in production) goes too.
        subprocess.run(["pkill", "-KILL", "-f", f"janus -F {data_dir / 'janus'}"], check=False)


def _wait_healthy(server: LiveServer, media: bool = False) -> None:
    deadline = time.monotonic() + 40
    while True:
        try:
            health = httpx.get(f"{server.url}/healthz", timeout=1)
            if health.status_code == 200 and health.json()["media"] != "unavailable":
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.process.poll() is not None:
            raise RuntimeError(server.log.read_text())
        time.sleep(0.2)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """An empty Summitry, for journeys that build their own engagements."""
    with serve(tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Summitry with the 2020 demo loaded by ``summitry demo``."""
    with serve(tmp_path_factory.mktemp("demo"), demo=True) as server:
        yield server


@pytest.fixture
def plain_server(tmp_path: Path) -> Iterator[LiveServer]:
    """Summitry without a media server, for one test: meetings are their record and floor."""
    with serve(tmp_path) as server:
        yield server


_databases = itertools.count(1)


def fresh_database(request: pytest.FixtureRequest, kind: str) -> str | None:
    """``None`` for SQLite (the server's own file), or a new empty database on the test
    run's PostgreSQL server."""
    if kind == "sqlite":
        return None
    assert kind == "postgresql", kind
    server: str = request.getfixturevalue("postgres_url")
    return create_database(server, f"summitry_served_{next(_databases)}")


@pytest.fixture
def media_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """Summitry with its own Janus, for one test (a test may crash either of them).

    On SQLite, unless the test asks for PostgreSQL too, indirectly:
    ``@pytest.mark.parametrize("media_server", ["sqlite", "postgresql"], indirect=True)``.
    """
    try:
        current_test_namespace()
    except NotInTestNamespace as err:
        pytest.fail(str(err), pytrace=False)
    database_url = fresh_database(request, getattr(request, "param", "sqlite"))
    with serve(tmp_path, media=True, database_url=database_url) as server:
        yield server


@pytest.fixture
def telephone_server(tmp_path: Path) -> Iterator[LiveServer]:
    """Summitry with its own Janus and its telephone gateway (SIP on loopback), for one test."""
    try:
        current_test_namespace()
    except NotInTestNamespace as err:
        pytest.fail(str(err), pytrace=False)
    with serve(tmp_path, media=True, telephone=True) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one module; Playwright's loop must not outlive the browser tests."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run scripts/bootstrap")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[object]:
    """Pages in fresh contexts: each person gets their own cookies."""
    contexts = []

    def make(width: int = 1280, height: int = 800) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="en-GB", timezone_id="Europe/Berlin"
        )
        contexts.append(context)
        page = context.new_page()
        if os.environ.get("SUMMITRY_TEST_CONSOLE"):
            n = len(contexts)
            page.on("console", lambda m: print(f"[{n}] {m.type}: {m.text}"))
            page.on("pageerror", lambda e: print(f"[{n}] pageerror: {e}"))
        return page

    yield make
    for context in contexts:
        context.close()


def screenshot(page: Page, name: str) -> Path:
    """Keep a full-page screenshot under test-artifacts/screenshots for a person to look at;
    every state worth looking at is first checked with axe against WCAG 2.2 AA."""
    assert_accessible(page, name)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("E-mail address").fill(SECRETARY_EMAIL)
    page.get_by_label("Password").fill(SECRETARY_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}/engagements")
