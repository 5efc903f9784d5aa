"""A real coturn for the test run, and a delegate's network outside the media server's reach.

``outside_network`` makes three links from the test namespace (where Summitry and Janus run):

    delegate  10.98.N.2 ---- 10.98.N.1  test namespace: Summitry's HTTP (and Janus's API)
    delegate  10.96.N.2 ---- 10.96.N.1  TURN host: where the delegate finds coturn
    TURN host 10.97.N.2 ---- 10.97.N.1  test namespace: the media link Janus offers media on

The delegate has no route to the media link, so their media flows through coturn or not at
all. Janus must offer media on the media link itself (``SUMMITRY_JANUS_ICE_INTERFACE``): it
sends only through the interfaces it gathers on, as a server's Janus sends through its one
public interface. With ``udp=False`` a routing rule refuses every UDP packet leaving the
delegate's network, as a ministry firewall that lets only TCP through would.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.support.postgres import free_port

TURNSERVER = "/usr/bin/turnserver"
_outside_numbers = itertools.count(1)


@dataclass(frozen=True)
class OutsideNetwork:
    """A delegate's network and a TURN host beside the test namespace (see the module)."""

    name: str
    """The delegate's namespace."""
    turn_host: str
    """The TURN host's namespace."""
    inner: str
    """The test namespace's address on the delegate's link: where they find Summitry."""
    turn_listen: str
    """The TURN host's address on the delegate's link."""
    turn_relay: str
    """The TURN host's address on the media link."""
    media_interface: str
    """The test namespace's end of the media link, for Janus to offer media on."""

    def run(self, *command: str) -> list[str]:
        """``command`` run in the delegate's network."""
        return ["ip", "netns", "exec", self.name, *command]


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def _link(n: int, kind: str, here: str | None, there: str, subnet: str) -> None:
    """A veth pair from namespace ``here`` (None: this one) to ``there``, addressed
    ``subnet``.1 and ``subnet``.2."""
    a, b = f"veth-{kind}{n}a", f"veth-{kind}{n}b"
    ns = ["-n", here] if here else []
    _ip(*ns, "link", "add", a, "type", "veth", "peer", "name", b, "netns", there)
    _ip(*ns, "addr", "add", f"{subnet}.1/24", "dev", a)
    _ip(*ns, "link", "set", a, "up")
    _ip("-n", there, "addr", "add", f"{subnet}.2/24", "dev", b)
    _ip("-n", there, "link", "set", b, "up")


@contextlib.contextmanager
def outside_network(*, udp: bool = True) -> Iterator[OutsideNetwork]:
    """A fresh delegate's network and TURN host (``udp=False``: no UDP leaves the delegate's
    network), removed afterwards."""
    n = next(_outside_numbers)
    delegate, turn_host = f"summitry-outside-{n}", f"summitry-turn-{n}"
    _remove(n, delegate, turn_host)  # left by a run that was killed
    for name in (delegate, turn_host):
        _ip("netns", "add", name)
        _ip("-n", name, "link", "set", "lo", "up")
    try:
        _link(n, "o", None, delegate, f"10.98.{n}")  # the delegate reaches Summitry
        _link(n, "t", turn_host, delegate, f"10.96.{n}")  # the delegate reaches TURN
        _link(n, "r", None, turn_host, f"10.97.{n}")  # TURN reaches Janus: the media link
        if not udp:
            # Looked up after the local table: loopback still works, the links take no UDP.
            _ip("-n", delegate, "rule", "add", "ipproto", "udp", "prohibit")
        yield OutsideNetwork(
            delegate,
            turn_host,
            inner=f"10.98.{n}.1",
            turn_listen=f"10.96.{n}.1",
            turn_relay=f"10.97.{n}.2",
            media_interface=f"veth-r{n}a",
        )
    finally:
        _remove(n, delegate, turn_host)


def _remove(n: int, *namespaces: str) -> None:
    for veth in (f"veth-o{n}a", f"veth-r{n}a"):
        subprocess.run(["ip", "link", "delete", veth], capture_output=True, check=False)
    for name in namespaces:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True, check=False)


@dataclass
class Coturn:
    """A running coturn: its addresses, shared secret and log."""

    address: str
    port: int
    tls_port: int
    secret: str
    log: Path
    process: subprocess.Popen[bytes]

    def urls(self, *transports: str) -> str:
        """``SUMMITRY_TURN_URLS`` for these transports (``udp``, ``tcp``, ``tls``)."""
        given = {
            "udp": f"turn:{self.address}:{self.port}?transport=udp",
            "tcp": f"turn:{self.address}:{self.port}?transport=tcp",
            "tls": f"turns:{self.address}:{self.tls_port}?transport=tcp",
        }
        return ",".join(given[t] for t in transports)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def coturn(
    folder: Path,
    listen: str,
    relay: str,
    *,
    namespace: str | None = None,
    certificate: Path | None = None,
    key: Path | None = None,
) -> Iterator[Coturn]:
    """coturn listening on ``listen`` and relaying from ``relay`` (in ``namespace``, or this
    one), with the TURN REST API's shared secret (``use-auth-secret``); TLS on a second port
    when a certificate is given."""
    folder.mkdir(parents=True, exist_ok=True)
    port, tls_port = free_port(), free_port()
    secret = secrets.token_urlsafe(24)
    log = folder / "turnserver.log"
    lines = [
        f"listening-ip={listen}",
        f"relay-ip={relay}",
        f"listening-port={port}",
        f"tls-listening-port={tls_port}",
        "min-port=52000",
        "max-port=52999",
        "use-auth-secret",
        f"static-auth-secret={secret}",
        "realm=summitry.test",
        "fingerprint",
        "no-cli",
        "no-dtls",
        "no-multicast-peers",
        "no-software-attribute",
        f"userdb={folder / 'turndb'}",
        f"pidfile={folder / 'turnserver.pid'}",
        f"log-file={log}",
        "simple-log",
        "verbose",
    ]
    if certificate and key:
        lines += [f"cert={certificate}", f"pkey={key}"]
    else:
        lines.append("no-tls")
    config = folder / "turnserver.conf"
    config.write_text("\n".join(lines) + "\n")
    inside = ["ip", "netns", "exec", namespace] if namespace else []
    process = subprocess.Popen(
        [*inside, TURNSERVER, "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_listening(log, process)
        yield Coturn(listen, port, tls_port, secret, log, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_listening(log: Path, process: subprocess.Popen[bytes]) -> None:
    """Until coturn's log says it listens (it may be in another namespace: no probe here)."""
    deadline = time.monotonic() + 15
    while True:
        text = log.read_text(errors="replace") if log.exists() else ""
        if "Total General servers" in text:
            return
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"coturn did not start:\n{text[-3000:] or '(no log)'}")
        time.sleep(0.1)


def self_signed(folder: Path, address: str) -> tuple[Path, Path, str]:
    """A certificate for ``address`` (an IP address) and its key, made with openssl; and the
    base64 SHA-256 of its public key, which Chromium can be told to trust."""
    folder.mkdir(parents=True, exist_ok=True)
    certificate, key = folder / "turn.pem", folder / "turn.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=turn.summitry.test",
            "-addext",
            f"subjectAltName=IP:{address}",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
    )
    public = x509.load_pem_x509_certificate(certificate.read_bytes()).public_key()
    der = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    spki = base64.b64encode(hashlib.sha256(der).digest()).decode()
    return certificate, key, spki


class Forwarder:
    """A plain TCP relay (what a reverse proxy does for Janus's WebSocket in production)."""

    def __init__(self, listen: str, target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.create_server((listen, 0))
        self.port: int = self.server.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._closers: list[threading.Thread] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return  # closed
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            pumps = [
                threading.Thread(target=self._pump, args=(a, b), daemon=True)
                for a, b in ((client, upstream), (upstream, client))
            ]
            for pump in pumps:
                pump.start()
            closer = threading.Thread(target=self._close_after, args=(pumps, client, upstream))
            closer.start()
            self._closers.append(closer)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def _close_after(self, pumps: list[threading.Thread], *pair: socket.socket) -> None:
        for pump in pumps:
            pump.join()
        with self._lock:
            for sock in pair:
                sock.close()
                self._open.discard(sock)

    def close(self) -> None:
        """Stop accepting and cut every connection (their pumps end and close them)."""
        self.server.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        for closer in self._closers:
            closer.join(timeout=5)
