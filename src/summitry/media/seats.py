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

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from summitry.errors import MediaUnavailable
from summitry.media.audiobridge import AudioBridge, BridgeRoom, RtpEntry
from summitry.media.rooms import derived_id, moderator_token

SEAT_PREBUFFER = 2
"""Packets a seat buffers from the interpreter's browser (network jitter): 20 ms each."""
GATE_PREBUFFER = 2
"""Packets a gate buffers from the seat's mixer, on loopback but on a loaded machine."""
SEAT_BITRATE = 128_000


@dataclass(frozen=True)
class Seat:
    """One interpreter of a booth: their feed number (their id everywhere) and entry token."""

    feed_id: int
    token: str = field(repr=False)


@dataclass
class Gate:
    """Summitry's receive-only participant in the channel's room that carries one seat's mix."""

    bridge: AudioBridge
    feed_id: int


def seat_room_id(secret: str, feed_id: int) -> int:
    """The number of an interpreter's seat room: from the channel's secret, so unguessable."""
    return derived_id(secret, f"seat {feed_id}")


def gate_id(secret: str, feed_id: int) -> int:
    """The participant id of an interpreter's gate in the channel's room."""
    return derived_id(secret, f"gate {feed_id}")


async def open_seat(
    attach: Callable[[], Awaitable[AudioBridge]],
    bridge: AudioBridge,
    room_id: int,
    secret: str,
    seat: Seat,
    on_air: bool,
) -> Gate:
    """Make the seat room, the gate (open only ``on_air``) and the forwarder between them."""
    seat_room = seat_room_id(secret, seat.feed_id)
    gate = gate_id(secret, seat.feed_id)
    # Whatever an earlier Summitry left under these numbers belongs to a session that is gone.
    await bridge.kick(room_id, secret, gate)
    await bridge.destroy(seat_room, secret)
    held = await attach()
    entry = RtpEntry(
        display=f"seat {seat.feed_id}",
        token=moderator_token(secret),
        participant_id=gate,
        muted=not on_air,
        volume=100,
        prebuffer=GATE_PREBUFFER,
    )
    room = BridgeRoom(
        seat_room,
        secret,
        f"seat {seat.feed_id}",
        allowed=(seat.token, moderator_token(secret)),
        prebuffering=SEAT_PREBUFFER,
        # The voice is encoded once more on its way to the gate: on loopback, where bits are
        # free, so that the second generation adds no audible noise.
        bitrate=SEAT_BITRATE,
        audiolevel_event=False,
    )
    try:
        _, port = await held.join_rtp(room_id, entry, "an interpreter's gate")
        await bridge.create(room)
        await bridge.rtp_forward(seat_room, secret, port)
    except MediaUnavailable:
        await held.detach()
        raise
    return Gate(held, seat.feed_id)


async def set_seat_on_air(
    bridge: AudioBridge, room_id: int, secret: str, feed_id: int, on: bool
) -> bool:
    """Open or close an interpreter's gate and their seat's microphone; False if no gate."""
    seat = (seat_room_id(secret, feed_id), feed_id)
    gate = (room_id, gate_id(secret, feed_id))
    # Opening: the seat first, so its mix already carries the voice when the gate opens.
    # Closing: the gate first, which is what keeps the channel silent.
    first, then = (seat, gate) if on else (gate, seat)
    done = await bridge.mute(first[0], secret, first[1], not on)
    again = await bridge.mute(then[0], secret, then[1], not on)
    return again if on else done


async def close_seat(
    bridge: AudioBridge, room_id: int, secret: str, feed_id: int, gate: Gate | None
) -> None:
    """Put the interpreter out of their seat (the room goes) and close their gate."""
    await bridge.destroy(seat_room_id(secret, feed_id), secret)
    await bridge.kick(room_id, secret, gate_id(secret, feed_id))
    if gate is not None:
        await gate.bridge.detach()
