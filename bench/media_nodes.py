"""Media nodes benchmark: how many subscribers 1 or 2 private Janus nodes hold on this machine
with at most 0.5 % of their packets lost.

    .venv/bin/python bench/media_nodes.py [--nodes 1,2] [--max-subscribers N]   (as root)

Per node count N: N Janus processes (``JanusProcess``: own WebSocket port, config folder and
RTP ports), each with a room made as Summitry makes them and an aiortc publisher (320×240 VP8
at 30 frames a second, Opus). Subscribers join as the meeting page does, in steps; each step
settles and is measured for ``--step-seconds`` (once more if over the limit: the machine is
shared); the ramp stops at a step over the limit, a failed join, or all cores busy.

Loss is measured at the subscribers per stream: expected is how far the highest RTP sequence
number advanced (for a stream silent at the window's end, what its node's others expected),
received the packets in time (one half a second behind its stream's best transit is lost, as
a jitter buffer would drop it). Subscribers are real aiortc peer connections (ICE, DTLS, SRTP)
that only count the RTP they decrypt: no decoding, and no NACK, so no retransmission hides a
loss. CPU from /proc: Janus, this process (the peers) and its event loop, interrupts, others.

Progress goes to stderr; the last line of stdout is one JSON object with the figures. Media
stays inside a network namespace (bench/stage.py), made here unless started in the test one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import statistics
import struct
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "src", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench.fanout import cpu_seconds, machine  # noqa: E402 - needs the path above
from bench.stage import inside_namespace, run_in_folder, say  # noqa: E402
from tests.support.peers import Publisher, Subscriber  # noqa: E402
from tests.support.postgres import free_port  # noqa: E402

from summitry.media.janus import JanusClient, connect  # noqa: E402
from summitry.media.server import JanusConfig, JanusProcess  # noqa: E402

LOSS_LIMIT_PCT = 0.5
SETTLE_S = 3.0  # after joins: the newcomers' keyframes sent, their negotiations' work done
STALL_S = 0.5  # a stream silent this long at a window's end has stopped
LATE_S = 0.5  # a packet this much later than its stream's best transit is lost to a meeting
JOINING = 8  # subscribers negotiating at once, over all nodes
BUSY_PCT = 98.0  # the machine's cores are all busy: its CPU is exhausted
LOOP_BUSY_PCT = 90.0  # the peers' event loop (one thread: one core at most) is saturated
OTHERS_PCT = 20.0  # of a core, taken by other work: the figures are not this machine's best
PORTS_PER_NODE = 2000
_NOT_MEDIA = {"rtx", "red", "ulpfec", "flexfec-03"}


def schedule(limit: int) -> list[int]:
    """Subscribers per node: fine where two cores give out, coarse above (six minutes)."""
    steps, n = [], 5
    while n < limit:
        steps.append(n)
        n = n * 2 if n < 40 else n + 20 if n < 100 else n + 40
    return [*steps, limit]


def media_kinds(sdp: str) -> dict[int, tuple[str, int]]:
    """Payload type → (kind, clock rate) for the media codecs an SDP offers (not RTX: its
    packets have sequence numbers of their own)."""
    kinds: dict[int, tuple[str, int]] = {}
    kind = ""
    for line in sdp.splitlines():
        if line.startswith("m="):
            kind = line[2:].split(" ", 1)[0]
        match = re.match(r"a=rtpmap:(\d+) ([^/]+)/(\d+)", line)
        if match and match.group(2).lower() not in _NOT_MEDIA:
            kinds[int(match.group(1))] = (kind, int(match.group(3)))
    return kinds


@dataclass
class Stream:
    """One received RTP stream: its extended sequence number and timestamp, what came."""

    first: int
    highest: int
    ts: int
    clock: int
    base: float  # the least (arrival - timestamp) seen: the stream's own transit
    last: float
    received: int
    late: int = 0
    octets: int = 0

    def add(self, seq: int, ts: int, size: int, now: float) -> None:
        ahead = (seq - self.highest) & 0xFFFF
        if ahead < 0x8000:  # not a reordered packet
            self.highest += ahead
        step = (ts - self.ts) & 0xFFFFFFFF
        self.ts += step if step < 0x80000000 else step - 0x100000000
        delay = now - self.ts / self.clock
        if delay < self.base:
            self.base = delay
        elif delay - self.base > LATE_S:
            self.late += 1
        self.received += 1
        self.octets += size
        self.last = now

    def counts(self) -> tuple[int, int, int, int]:
        return self.highest, self.received, self.late, self.octets


class Counting(Subscriber):
    """A subscriber whose peer connection counts the RTP packets it decrypts and stops
    there: its receivers never see one, so no jitter buffer, decoding or NACK."""

    def __init__(self, client: JanusClient, room_id: int, *, token: str | None) -> None:
        super().__init__(client, room_id, token=token)
        self.counted: dict[str, Stream] = {}
        self._kinds: dict[int, tuple[str, int]] = {}
        self._counting = False

    def _on_track(self, track: Any) -> None:
        if self._counting:
            return  # one bundled transport carries both tracks
        self._counting = True
        transport = next(t.receiver.transport for t in self.pc.getTransceivers())
        transport._handle_rtp_data = self._count  # type: ignore[method-assign]

    async def _count(self, data: bytes, arrival_time_ms: int) -> None:
        if not self._kinds:
            self._kinds = media_kinds(self.pc.remoteDescription.sdp)
        media = self._kinds.get(data[1] & 0x7F) if len(data) >= 12 else None
        if media is None:
            return
        (seq, ts), (kind, clock), now = struct.unpack_from("!HI", data, 2), media, time.monotonic()
        if kind not in self.counted:
            self.counted[kind] = Stream(seq, seq - 1, ts, clock, now - ts / clock, now, received=0)
        self.counted[kind].add(seq, ts, len(data), now)


@dataclass
class Node:
    janus: JanusProcess
    client: JanusClient
    room_id: int
    token: str
    publisher: Publisher
    feed: int
    subscribers: list[Counting] = field(default_factory=list)


@contextlib.asynccontextmanager
async def node(index: int, folder: Path, ice_iface: str) -> AsyncIterator[Node]:
    """A private Janus with one room (made as Summitry makes them) and its publisher."""
    from summitry.media.rooms import MeetingRooms, new_join_token, new_room_id, new_room_secret

    low = 20000 + index * PORTS_PER_NODE  # nodes do not race for the same ICE ports
    config = JanusConfig(
        folder / f"node-{index}", ws_port=free_port(), ice_enforce_list=ice_iface,
        plugins=("videoroom",), rtp_port_range=(low, low + PORTS_PER_NODE - 1),
    )  # fmt: skip
    # setpriv: Janus dies with us if we are killed.
    prefix = ["setpriv", "--pdeathsig", "KILL"] if shutil.which("setpriv") else []
    janus = JanusProcess(config, prefix=prefix)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(janus.stop)
        await janus.start()
        rooms = MeetingRooms(config.ws_url, admin_key=config.room_admin_key)
        stack.push_async_callback(rooms.close)
        room_id, token = new_room_id(), new_join_token()
        await rooms.create_room(room_id, new_room_secret(), f"node {index}", [token])
        client = await connect(config.ws_url)
        stack.push_async_callback(client.close)
        publisher = Publisher(client, room_id, token=token, sender_id=index + 1)
        stack.push_async_callback(publisher.close)
        the_node = Node(janus, client, room_id, token, publisher, await publisher.join())
        await publisher.publish()
        stack.push_async_callback(
            lambda: asyncio.gather(*(s.close() for s in the_node.subscribers))
        )
        say(f"node {index}: Janus pid {janus.pid} on {config.ws_url}, publisher in")
        yield the_node


async def grow(nodes: list[Node], per_node: int) -> int:
    """Subscribers joined until each node has ``per_node``; how many failed to join."""
    gate = asyncio.Semaphore(JOINING)

    async def join(the_node: Node) -> bool:
        async with gate:
            subscriber = Counting(the_node.client, the_node.room_id, token=the_node.token)
            the_node.subscribers.append(subscriber)  # a failed one counts as all lost
            try:
                await subscriber.join([the_node.feed])
            except Exception as err:  # any failure to join is a subscriber not held
                say(f"a subscriber failed to join: {type(err).__name__}: {err}")
                return False
            return True

    joins = [join(n) for n in nodes for _ in range(per_node - len(n.subscribers))]
    return sum(not joined for joined in await asyncio.gather(*joins))


Counts = dict[tuple[int, str], tuple[int, int, int, int]]  # (subscriber, kind): Stream.counts()


def window(the_node: Node, before: Counts, end: float) -> list[int]:
    """[expected, received in time, late, octets] over a node's subscribers since
    ``before``; a stream silent at the end expected what its node's flowing ones did."""
    moved: dict[tuple[int, str], tuple[int, int, int, int, bool]] = {}
    for s in the_node.subscribers:
        for kind, st in s.counted.items():
            # A stream born in the window expected everything from its first packet on.
            high, got, late, octets = before.get((id(s), kind), (st.first - 1, 0, 0, 0))
            stalled = end - st.last > STALL_S
            moved[id(s), kind] = (
                st.highest - high, st.received - got, st.late - late, st.octets - octets, stalled
            )  # fmt: skip
    totals = [0, 0, 0, 0]
    for kind in {kind for _, kind in moved} or {"audio", "video"}:
        flowing = [m[0] for (_, k), m in moved.items() if k == kind and not m[4]]
        usual = int(statistics.median(flowing)) if flowing else 1
        for s in the_node.subscribers:
            exp, got, late, octets, stalled = moved.get((id(s), kind), (0, 0, 0, 0, True))
            exp = max(exp, usual) if stalled else exp
            for i, value in enumerate((exp, min(got, exp) - late, late, octets)):
                totals[i] += value
    return totals


def usage(nodes: list[Node]) -> list[float]:
    """Now, and CPU seconds so far: Janus, this process (all the peers), its event loop's
    thread, interrupts (the packets' own path), the machine (all but idle); and the namespace's
    UDP receive-buffer drops (nearly every datagram here goes to a peer: drops mean slow peers)."""
    hz = os.sysconf("SC_CLK_TCK")
    cpu = [int(x) / hz for x in Path("/proc/stat").read_text().split()[1:9]]
    loop = Path(f"/proc/self/task/{os.getpid()}/stat").read_text().rsplit(")", 1)[1].split()
    udp = [ln.split() for ln in Path("/proc/net/snmp").read_text().splitlines() if ln[:4] == "Udp:"]
    janus = sum(cpu_seconds(n.janus.pid) for n in nodes if n.janus.pid is not None)
    return [
        time.monotonic(), janus, cpu_seconds(os.getpid()),
        (int(loop[11]) + int(loop[12])) / hz, cpu[5] + cpu[6], sum(cpu) - cpu[3] - cpu[4],
        int(udp[1][udp[0].index("RcvbufErrors")]),
    ]  # fmt: skip


def usage_between(start: list[float], end: list[float]) -> dict[str, float]:
    """CPU in percent of one core (the machine's: of all its cores), and the drops."""
    janus, peers, loop, irq, busy = (
        round((e - s) * 100 / (end[0] - start[0]), 1)
        for e, s in zip(end[1:6], start[1:6], strict=True)
    )
    return {
        "janus_cpu_pct": janus, "client_cpu_pct": peers, "client_loop_pct": loop,
        "kernel_irq_cpu_pct": irq, "other_cpu_pct": round(busy - janus - peers - irq, 1),
        "machine_busy_pct": round(busy / (os.cpu_count() or 1), 1),
        "udp_receive_drops": int(end[6] - start[6]),
    }  # fmt: skip


def verdict(step: dict[str, Any]) -> str:
    """What gave out at this step: whose CPU, and where the packets went missing."""
    facts = (
        "Janus {janus_cpu_pct:.0f} %, peers {client_cpu_pct:.0f} % (event loop "
        "{client_loop_pct:.0f} %), others {other_cpu_pct:.0f} % of a core, machine "
        "{machine_busy_pct:.0f} % busy; of {lost} packets lost {late} came late, "
        "{udp_receive_drops} overflowed the peers' sockets".format(**step)
    )
    if step["other_cpu_pct"] > OTHERS_PCT:
        facts += "; other work shared the cores: measure again on a quiet machine"
    if step["client_loop_pct"] >= LOOP_BUSY_PCT:
        return f"the Python test peers: their one event loop was saturated ({facts})"
    if step["failed_joins"]:
        return f"subscribers failed to join ({facts})"
    if step["machine_busy_pct"] < BUSY_PCT:
        return f"no CPU ran out ({facts})"
    late, drops = step["late"], step["udp_receive_drops"]
    if step["lost"] - late - drops > late + drops:  # most never reached a peer's socket
        return f"the machine's CPU, all busy; Janus gave out first ({facts})"
    if drops >= late:
        return f"the machine's CPU, all busy; the Python test peers read too slowly ({facts})"
    return f"the machine's CPU, all busy; packets queued behind it came late ({facts})"


async def measure(nodes: list[Node], per_node: int, failed: int, span: float) -> dict[str, Any]:
    """One window of ``span`` seconds over every node's subscribers."""
    await asyncio.sleep(SETTLE_S)
    start, before = usage(nodes), Counts()
    for s in (s for n in nodes for s in n.subscribers):
        before.update({(id(s), kind): st.counts() for kind, st in s.counted.items()})
    await asyncio.sleep(span)
    end = time.monotonic()
    tallies = [window(the_node, before, end) for the_node in nodes]
    expected, received, late, octets = (sum(t) for t in zip(*tallies, strict=True))
    total = per_node * len(nodes)
    step: dict[str, Any] = {
        "nodes": len(nodes), "subscribers": total, "per_node": per_node,
        "loss_pct": round(100 * (expected - received) / max(expected, 1), 3),
        **usage_between(start, usage(nodes)),
        "lost": expected - received, "late": late, "failed_joins": failed,
        "packets_per_s_per_subscriber": round(received / span / total, 1),
        "kbps_per_subscriber": round(octets * 8 / 1000 / span / total, 1),
    }  # fmt: skip
    say(
        "{nodes} node(s), {subscribers} subscribers: loss {loss_pct} % ({late} late); CPU % of a "
        "core: Janus {janus_cpu_pct}, peers {client_cpu_pct} (loop {client_loop_pct}), others "
        "{other_cpu_pct}; {packets_per_s_per_subscriber} packets/s each".format(**step)
    )
    return step


async def ramp(n: int, args: argparse.Namespace, folder: Path, ice_iface: str) -> dict[str, Any]:
    """Every step for ``n`` nodes; the most subscribers held and what stopped the ramp."""
    steps: list[dict[str, Any]] = []
    held, limit = 0, f"not reached: --max-subscribers {args.max_subscribers} held"
    async with contextlib.AsyncExitStack() as stack:
        nodes = [
            await stack.enter_async_context(node(i, folder / f"{n}-nodes", ice_iface))
            for i in range(n)
        ]
        for per_node in schedule(args.max_subscribers):
            failed = await grow(nodes, per_node)
            steps.append(step := await measure(nodes, per_node, failed, args.step_seconds))
            if step["loss_pct"] > LOSS_LIMIT_PCT and not failed:
                say("measuring the step again")
                steps.append(step := await measure(nodes, per_node, 0, args.step_seconds))
            if step["loss_pct"] > LOSS_LIMIT_PCT or failed:
                limit = verdict(step)
                break
            held = step["subscribers"]
            if step["machine_busy_pct"] >= BUSY_PCT:
                limit = f"stopped, loss still low: {verdict(step)}"
                break
    return {"steps": steps, "held": held, "limited_by": limit}


async def run(args: argparse.Namespace, ice_iface: str, folder: Path) -> dict[str, Any]:
    main_task = asyncio.current_task()
    if main_task is not None:  # SIGTERM as Ctrl-C: cancel, and stop Janus on the way out
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    results: dict[int, dict[str, Any]] = {}
    for n in args.nodes:
        say(f"--- {n} Janus node(s): up to {args.max_subscribers} subscribers each")
        results[n] = await ramp(n, args, folder, ice_iface)
        say(f"{n} node(s): {results[n]['held']} subscribers held; {results[n]['limited_by']}")
    return {
        "nodes": args.nodes,
        "max_subscribers_at_loss": {str(n): r["held"] for n, r in results.items()},
        "loss_limit_pct": LOSS_LIMIT_PCT, "step_seconds": args.step_seconds,
        "steps": [step for r in results.values() for step in r["steps"]],
        "limited_by": "; ".join(f"{n} node(s): {r['limited_by']}" for n, r in results.items()),
        "loss": f"at the subscribers: RTP sequence gaps and packets over {LATE_S} s late",
        "window": f"per step: t0 {SETTLE_S} s after the step's last subscriber joined (its "
        f"keyframes sent), t1 = t0 + {args.step_seconds} s; what each subscriber decrypted "
        "between them, against what its stream's sequence numbers advanced",
        "machine": machine(),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", default="1,2", help="node counts to try (1,2)")
    parser.add_argument("--max-subscribers", type=int, default=200, help="per node (200)")
    parser.add_argument("--step-seconds", type=float, default=10.0, help="measured per step (10)")
    args = parser.parse_args()
    counts = args.nodes.split(",")
    if not all(c.strip().isdigit() and int(c) > 0 for c in counts) or args.step_seconds <= 0:
        parser.error("--nodes takes counts such as 1,2; --step-seconds must be above 0")
    if args.max_subscribers < 1:
        parser.error("--max-subscribers must be at least 1")
    args.nodes = [int(c) for c in counts]
    ice_iface = inside_namespace()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("aiortc").setLevel(logging.ERROR)
    figures = run_in_folder(lambda tmp: run(args, ice_iface, tmp), "the Janus nodes are stopped")
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
