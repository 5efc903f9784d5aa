"""A delegate outside the media server's network meets through TURN: a real coturn relays the
media of Chromium in a network namespace that reaches Summitry and coturn but has no route to
Janus's media address; and a delegate whose network lets no UDP out relays over TCP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, screenshot, serve
from tests.e2e.test_meeting import meet_between
from tests.support.netns import NotInTestNamespace, current_test_namespace
from tests.support.postgres import free_port
from tests.support.turn import Forwarder, OutsideNetwork, coturn, outside_network, self_signed

pytestmark = pytest.mark.e2e

# Every peer connection the page makes, kept where the test can ask for its statistics.
KEEP_PEER_CONNECTIONS = """
window.peerConnections = [];
window.RTCPeerConnection = class extends window.RTCPeerConnection {
  constructor(...given) { super(...given); window.peerConnections.push(this); }
};
"""

# For each connected peer connection: the kind and transport of its chosen local candidate.
CHOSEN_PATHS = """async () => {
  const chosen = [];
  for (const pc of window.peerConnections) {
    if (pc.connectionState !== "connected") continue;
    const stats = [...(await pc.getStats()).values()];
    const transport = stats.find((s) => s.type === "transport" && s.selectedCandidatePairId);
    const pair = stats.find((s) => s.id === transport?.selectedCandidatePairId);
    const local = stats.find((s) => s.id === pair?.localCandidateId);
    chosen.push({type: local?.candidateType, relay: local?.relayProtocol ?? null,
                 received: pair?.bytesReceived ?? 0, sent: pair?.bytesSent ?? 0});
  }
  return chosen;
}"""


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def inside(playwright: Playwright) -> Iterator[Browser]:
    """Chromium beside Summitry, for the secretariat."""
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


def outside_browser(
    playwright: Playwright, network: OutsideNetwork, origin: str, folder: Path, spki: str
) -> Browser:
    """Chromium inside the outside network; ``origin`` (plain HTTP, as a test has no
    certificate the browser trusts) is treated as secure, so the camera may be used."""
    wrapper = folder / "chromium-outside"
    wrapper.write_text(f'#!/bin/sh\nexec {" ".join(network.run(CHROMIUM))} "$@"\n')
    wrapper.chmod(0o755)
    args = [
        *CHROMIUM_ARGS,
        f"--unsafely-treat-insecure-origin-as-secure={origin}",
        f"--ignore-certificate-errors-spki-list={spki}",
    ]
    return playwright.chromium.launch(executable_path=str(wrapper), args=args)


def chosen_paths(page: Page) -> list[dict[str, Any]]:
    paths: list[dict[str, Any]] = page.evaluate(CHOSEN_PATHS)
    return paths


@pytest.mark.parametrize(
    ("udp", "transports", "relayed_over"),
    # With UDP open, only a UDP relay is offered: given a TCP one too, Chromium on a loaded
    # machine sometimes nominates the TCP relay first (a relay all the same, but not the one
    # this case names); the second case is the one where the TCP relay must be chosen.
    [(True, ("udp",), "udp"), (False, ("udp", "tcp"), "tcp"), (False, ("tls",), "tls")],
    ids=["through-turn", "udp-blocked-relay-over-tcp", "only-tls-relay"],
)
def test_a_delegate_with_no_route_to_the_media_server_meets_through_turn(
    playwright: Playwright,
    inside: Browser,
    tmp_path: Path,
    udp: bool,
    transports: tuple[str, ...],
    relayed_over: str,
) -> None:
    try:
        current_test_namespace()
    except NotInTestNamespace as err:
        pytest.fail(str(err), pytrace=False)
    with outside_network(udp=udp) as network:
        certificate, key, spki = self_signed(tmp_path / "tls", network.turn_listen)
        with coturn(
            tmp_path / "coturn",
            network.turn_listen,
            network.turn_relay,
            namespace=network.turn_host,
            certificate=certificate,
            key=key,
        ) as turn:
            janus_port, port = free_port(), free_port()
            janus_proxy = Forwarder(network.inner, ("127.0.0.1", janus_port))
            origin = f"http://{network.inner}:{port}"
            settings = {
                # Every address of the test namespace: the secretariat on loopback (a secure
                # context for the camera), the delegate on her link. Nothing else reaches it.
                "SUMMITRY_HOST": "0.0.0.0",  # noqa: S104
                "SUMMITRY_PORT": str(port),
                "SUMMITRY_BASE_URL": origin,
                "SUMMITRY_JANUS_WS_PORT": str(janus_port),
                "SUMMITRY_JANUS_ICE_INTERFACE": network.media_interface,
                "SUMMITRY_JANUS_PUBLIC_URL": f"ws://{network.inner}:{janus_proxy.port}",
                "SUMMITRY_TURN_URLS": turn.urls(*transports),
                "SUMMITRY_TURN_SECRET": turn.secret,
            }
            outside = outside_browser(playwright, network, origin, tmp_path, spki)
            try:
                with serve(tmp_path / "summitry", media=True, settings=settings) as server:
                    guest, engagement, guest_id = meet_from_outside(server, inside, outside, origin)
                    paths = chosen_paths(guest)
                    assert paths, "the delegate's page has no connected peer connection"
                    for path in paths:
                        assert path["type"] == "relay", paths
                        assert path["relay"] == relayed_over, paths
                        assert path["received"] > 0, paths
                        assert path["sent"] > 0, paths
                    assert re.search(
                        rf"user <\d+:e{engagement}a{guest_id}>: incoming packet ALLOCATE "
                        "processed, success",
                        turn.log_text(),
                    ), "coturn made no relay for her credentials"
                    if udp:
                        screenshot(guest, "36-meeting-room-through-turn")
            finally:
                outside.close()
                janus_proxy.close()


def meet_from_outside(
    server: LiveServer, inside: Browser, outside: Browser, origin: str
) -> tuple[Page, int, int]:
    """The secretariat (inside) admits a head of delegation (outside), and each sees the
    other's video; her page, the engagement and her attendee number."""
    host = inside.new_context(locale="en-GB").new_page()
    guest = outside.new_context(locale="en-GB").new_page()
    guest.add_init_script(KEEP_PEER_CONNECTIONS)
    engagement, _host_id, guest_id = meet_between(host, guest, server, origin, timeout=45)
    return guest, engagement, guest_id
