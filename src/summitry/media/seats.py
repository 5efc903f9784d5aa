"""Interpreters' seats: each speaks into a room of their own, heard on the channel through a gate.

Janus 1.1.2 lets an AudioBridge participant unmute itself with ``configure`` whatever a
moderator did, so an interpreter inside the channel's room could always be heard there. Here
nobody but Summitry is in the channel's room. Each interpreter enters a **seat**: a private
AudioBridge room of their own (only their token is allowed), whose mix Janus forwards as plain
RTP to a **gate**, a receive-only participant of the channel's room that Summitry holds. Only
the gate of the interpreter on the air is unmuted, by Summitry, which alone has a handle on it:
whatever an interpreter sends to Janus, an off-air seat ends at a muted gate.

Seat rooms and gates are numbered from the channel's secret and the interpreter's feed number,
so that revoking or switching needs no memory of what was made.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from summitry.errors import MediaUnavailable
from summitry.media.janus import JSON, Handle, JanusClientError
from summitry.media.rooms import ROOM_ID_LIMIT, moderator_token

AUDIOBRIDGE = "janus.plugin.audiobridge"
OPUS_PT = 111
SEAT_PREBUFFER = 2
"""Packets a seat buffers from the interpreter's browser (network jitter): 20 ms each."""
GATE_PREBUFFER = 2
SEAT_BITRATE = 128_000
"""Packets a gate buffers from the seat's mixer, on loopback but on a loaded machine."""

# AudioBridge error codes (Janus 1.1.2), as observed.
AB_NO_SUCH_ROOM = 485
AB_NO_SUCH_USER = 492

Request = Callable[[JSON, frozenset[int]], Awaitable[JSON | None]]
"""One AudioBridge request with the plugin's admin key where needed; None on a tolerated code."""


@dataclass(frozen=True)
class Seat:
    """One interpreter of a booth: their feed number (their id everywhere) and entry token."""

    feed_id: int
    token: str = field(repr=False)


@dataclass
class Gate:
    """Summitry's receive-only participant in the channel's room that carries one seat's mix."""

    handle: Handle
    feed_id: int


def _derived(secret: str, what: str) -> int:
    digest = hmac.new(secret.encode(), what.encode(), hashlib.sha256).digest()
    return 1 + int.from_bytes(digest[:8], "big") % (ROOM_ID_LIMIT - 1)


def seat_room_id(secret: str, feed_id: int) -> int:
    """The number of an interpreter's seat room: from the channel's secret, so unguessable."""
    return _derived(secret, f"seat {feed_id}")


def gate_id(secret: str, feed_id: int) -> int:
    """The participant id of an interpreter's gate in the channel's room."""
    return _derived(secret, f"gate {feed_id}")


async def open_seat(
    attach: Callable[[], Awaitable[Handle]],
    request: Request,
    room_id: int,
    secret: str,
    seat: Seat,
    on_air: bool,
) -> Gate:
    """Make the seat room, the gate (open only ``on_air``) and the forwarder between them."""
    seat_room = seat_room_id(secret, seat.feed_id)
    gate = gate_id(secret, seat.feed_id)
    # Whatever an earlier Summitry left under these numbers belongs to a session that is gone.
    await request({"request": "kick", "room": room_id, "secret": secret, "id": gate}, _GONE)
    await request({"request": "destroy", "room": seat_room, "secret": secret}, _GONE)
    handle = await attach()
    try:
        joined = await handle.message(
            {
                "request": "join",
                "room": room_id,
                "id": gate,
                "token": moderator_token(secret),
                "display": f"seat {seat.feed_id}",
                "muted": not on_air,
                "volume": 100,
                "prebuffer": GATE_PREBUFFER,
                "rtp": {"payload_type": OPUS_PT},  # no address: Janus only receives here
                "codec": "opus",
            }
        )
        port = int(joined.data.get("rtp", {}).get("port", 0))
        if not port:
            raise MediaUnavailable("the media server gave an interpreter's gate no port")
        await request(
            {
                "request": "create",
                "room": seat_room,
                "permanent": False,
                "description": f"seat {seat.feed_id}",
                "secret": secret,
                "is_private": True,
                "allowed": [seat.token, moderator_token(secret)],
                "sampling_rate": 48000,
                "default_prebuffering": SEAT_PREBUFFER,
                # The voice is encoded once more on its way to the gate: on loopback, where
                # bits are free, so that the second generation adds no audible noise.
                "default_bitrate": SEAT_BITRATE,
                "audiolevel_event": False,
            },
            frozenset(),
        )
        await request(
            {
                "request": "rtp_forward",
                "room": seat_room,
                "secret": secret,
                "host": "127.0.0.1",
                "host_family": "ipv4",
                "port": port,
                "codec": "opus",
                "ptype": OPUS_PT,
            },
            frozenset(),
        )
    except JanusClientError as err:
        await detach(handle)
        raise MediaUnavailable(f"the media server refused an interpreter's seat: {err}") from err
    except MediaUnavailable:
        await detach(handle)
        raise
    return Gate(handle, seat.feed_id)


async def set_seat_on_air(
    request: Request, room_id: int, secret: str, feed_id: int, on: bool
) -> bool:
    """Open or close an interpreter's gate and their seat's microphone; False if no gate."""
    verb = "unmute" if on else "mute"
    seat = {"request": verb, "room": seat_room_id(secret, feed_id), "secret": secret, "id": feed_id}
    gate = {"request": verb, "room": room_id, "secret": secret, "id": gate_id(secret, feed_id)}
    # Opening: the seat first, so its mix already carries the voice when the gate opens.
    # Closing: the gate first, which is what keeps the channel silent.
    first, then = (seat, gate) if on else (gate, seat)
    done = await request(first, _GONE)
    again = await request(then, _GONE)
    return (again if on else done) is not None


async def close_seat(
    request: Request, room_id: int, secret: str, feed_id: int, gate: Gate | None
) -> None:
    """Put the interpreter out of their seat (the room goes) and close their gate."""
    await request(
        {"request": "destroy", "room": seat_room_id(secret, feed_id), "secret": secret}, _GONE
    )
    await request(
        {"request": "kick", "room": room_id, "secret": secret, "id": gate_id(secret, feed_id)},
        _GONE,
    )
    if gate is not None:
        await detach(gate.handle)


async def detach(handle: Handle) -> None:
    with contextlib.suppress(JanusClientError):
        await handle.detach()


_GONE = frozenset({AB_NO_SUCH_ROOM, AB_NO_SUCH_USER})
