"""The network namespace ``scripts/test`` runs the suite in, and a check that we are in it.

Media tests start Janus and WebRTC peers, which gather ICE candidates on every interface
they find: they must only ever run inside the namespace, never beside the machine's own
network. The check compares this process's namespace with the named one, not just a variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

NAMESPACE_ENV = "SUMMITRY_TEST_NETNS"
ICE_IFACE_ENV = "SUMMITRY_TEST_ICE_IFACE"
HOW = "media tests run inside the test namespace: use ./scripts/test as root"


class NotInTestNamespace(RuntimeError):
    """This process is not inside the test run's network namespace."""


@dataclass(frozen=True)
class Namespace:
    name: str
    ice_iface: str
    """The veth end Janus gathers its candidates on."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        sa, sb = a.stat(), b.stat()
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def current_test_namespace() -> Namespace:
    """The namespace this process runs in; NotInTestNamespace unless it is the test one."""
    name = os.environ.get(NAMESPACE_ENV, "")
    iface = os.environ.get(ICE_IFACE_ENV, "")
    if not name or not iface:
        raise NotInTestNamespace(HOW)
    # The same check as ``ip netns identify``: our namespace is the file /run/netns/<name>.
    if not _same_file(Path("/proc/self/ns/net"), Path("/run/netns") / name):
        raise NotInTestNamespace(f"{HOW} ({NAMESPACE_ENV}={name}, but this process is elsewhere)")
    if not (Path("/sys/class/net") / iface).exists():
        raise NotInTestNamespace(f"{HOW} (no interface {iface} in namespace {name})")
    return Namespace(name, iface)
