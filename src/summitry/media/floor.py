"""Feeding the floor into an AudioBridge room: one publisher's audio, mixed there.

Interpretation's language channels and a telephone caller's ear both hear the floor this way:
a receive-only plain-RTP participant joins the room (Janus gives it a port), and the VideoRoom
``rtp_forward``s the publisher's audio to that port. The participant's volume is a clean
linear gain, so a channel can carry the floor under its interpreter.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from summitry.errors import MediaUnavailable
from summitry.media.audiobridge import AudioBridge, RtpEntry
from summitry.media.plugin import OPUS_PT
from summitry.media.videoroom import VideoRoom


@dataclass(frozen=True)
class FloorSource:
    """Where the floor is: the meeting's VideoRoom, and the adapter that forwards from it."""

    videoroom: VideoRoom
    room_id: int
    secret: str = field(repr=False)


@dataclass
class FloorFeed:
    """One publisher's audio arriving in a mixing room, over a handle Summitry holds."""

    bridge: AudioBridge
    forwarder: int
    publisher: int
    volume: int | None


async def feed_publisher(
    bridge: AudioBridge,
    source: FloorSource,
    room_id: int,
    entry: RtpEntry,
    publisher: int,
    mid: str,
) -> FloorFeed | None:
    """Bring ``publisher``'s audio (stream ``mid``) into ``room_id`` over ``bridge``, a fresh
    handle entering as ``entry``; None if the publisher left in between. On failure the
    handle is let go."""
    # No address of ours: Janus only receives on this leg.
    entry = replace(entry, display=f"floor {publisher}", muted=False, send_to=None)
    try:
        _, port = await bridge.join_rtp(room_id, entry, "a floor feed")
        forwarder = await source.videoroom.rtp_forward(
            source.room_id, source.secret, publisher, mid, port, OPUS_PT
        )
    except MediaUnavailable:
        await bridge.detach()
        raise
    if forwarder is None:  # the publisher left in between
        await bridge.detach()
        return None
    return FloorFeed(bridge, forwarder, publisher, entry.volume)
