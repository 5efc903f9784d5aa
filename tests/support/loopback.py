"""Test services of other parties (a time-stamping authority, a signing service) answering
HTTP on a loopback port, each in a thread of its own."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def serving(server: http.server.HTTPServer, name: str) -> Iterator[str]:
    """``server`` answering in a thread until the block ends; its base URL (no final slash)."""
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def nowhere() -> str:
    """A loopback URL nobody listens on: a port free once the probe that took it is closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"
