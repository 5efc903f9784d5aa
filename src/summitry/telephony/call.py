"""One telephone call as the gateway holds it: its stage, its dialog and relay, and what the
SIP and media sides tell it. ``gateway.TelephoneGateway`` runs it from ring to hang-up."""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from dataclasses import dataclass, field

from summitry.security.principals import Invitee
from summitry.telephony.dtmf import info_digit
from summitry.telephony.leg import TelephoneLeg
from summitry.telephony.negotiation import Media
from summitry.telephony.relay import Relay
from summitry.telephony.sip import Dialog

logger = logging.getLogger(__name__)


class Stage(enum.StrEnum):
    RINGING = "ringing"
    PIN = "pin"
    LOBBY = "lobby"
    ROOM = "room"
    ENDED = "ended"


class CallEnded(Exception):
    """The call is over (hung up, refused or removed): stop what it was doing."""


@dataclass
class Call:
    """What the gateway knows of one call; its coroutine does the work."""

    id: int
    """This process's number for the call, in its logs."""
    direction: str
    source: str
    caller: str
    dialog: Dialog
    relay: Relay
    engagement_id: int | None = None
    attendee_id: int | None = None
    stage: Stage = Stage.RINGING
    started: float = field(default_factory=time.monotonic)
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds from the start to each milestone (answered, pin_ok, lobby, room)."""
    leg: TelephoneLeg | None = None
    principal: Invitee | None = None
    end_reason: str = ""
    digits: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    answer_sdp: str | None = None
    media: Media | None = None
    """What the last offer and answer settled (the dialog answers re-offers by itself)."""
    keyed: list[str] = field(default_factory=list)
    """Keypad commands carried out, with what came of them (``*1 floor_requested``)."""
    record_id: int | None = None
    """The call's number in the register (``register.py``), the one the API shows."""

    def seat(self) -> tuple[int, int]:
        """The engagement and attendee of a call that has them (after the PIN, or dialled)."""
        if self.engagement_id is None or self.attendee_id is None:
            raise CallEnded("the call has no place in a meeting")
        return self.engagement_id, self.attendee_id

    def acting(self) -> Invitee:
        """The principal the caller acts as (once the PIN was right, or the call answered)."""
        if self.principal is None:
            raise CallEnded("the call acts as nobody yet")
        return self.principal

    def mark(self, milestone: str) -> None:
        self.timings[milestone] = time.monotonic() - self.started

    def set_stage(self, stage: Stage) -> None:
        logger.info("call %s: %s → %s", self.id, self.stage.value, stage.value)
        self.stage = stage
        self.changed.set()

    # CallEvents, from the SIP side
    def on_answered(self, sdp_text: str | None) -> None:
        self.answer_sdp = sdp_text
        self.answered.set()

    def on_ringing(self) -> None:
        pass

    def on_media(self, media: Media) -> None:
        self.media = media
        self.relay.apply(media)

    def on_digit_info(self, content_type: str, body: str) -> None:
        digit = info_digit(content_type, body)
        if digit is not None:
            self.digits.put_nowait(digit)

    def on_ended(self, reason: str) -> None:
        self.end_reason = self.end_reason or reason
        self.ended.set()
        self.changed.set()
