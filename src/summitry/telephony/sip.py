"""SIP signalling through sippy, adapted to asyncio.

sippy runs its own event loop (``ED2``, a process-wide singleton) in one daemon thread. Its
callbacks arrive there and are handed to asyncio with ``call_soon_threadsafe``; requests from
asyncio to sippy go through ``ED2.callFromThread``. Nothing else crosses the two. Once a call
is answered, its dialog's own requests (re-INVITE, UPDATE, session timers) are
``dialog.SessionUA``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sippy.CCEvents import (
    CCEventConnect,
    CCEventDisconnect,
    CCEventFail,
    CCEventInfo,
    CCEventRing,
    CCEventTry,
)
from sippy.Core.EventDispatcher import ED2
from sippy.MsgBody import MsgBody
from sippy.SipCallId import SipCallId
from sippy.SipTransactionManager import SipTransactionManager

from summitry.telephony.dialog import ALLOW, SessionUA, header, lower_transport, too_small
from summitry.telephony.negotiation import Media, Negotiation
from summitry.telephony.sessiontimer import MIN_SE

logger = logging.getLogger(__name__)

_REASONS = {403: "Forbidden", 486: "Busy Here", 503: "Service Unavailable"}

_thread: threading.Thread | None = None
_thread_lock = threading.Lock()


def _run_reactor() -> None:
    # ED2 was made by whichever thread imported sippy first; its timers check that they are
    # armed from the loop's own thread, so the loop's thread becomes the owner.
    ED2.my_ident = threading.get_ident()
    ED2.loop()


def _reactor() -> None:
    """Start sippy's loop once for the process."""
    global _thread
    with _thread_lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run_reactor, name="sippy", daemon=True)
            _thread.start()


class _SipLog:
    """sippy writes every message it sends and receives here: to our debug log."""

    def write(self, *parts: Any, **_: Any) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s", "".join(str(p) for p in parts))


@dataclass(frozen=True)
class Invite:
    """A new incoming call, as the gateway needs to decide on it."""

    source: tuple[str, int]
    caller: str
    called: str
    sdp: str | None


class CallEvents(Protocol):
    """What one call hears from SIP (always on the asyncio loop)."""

    def on_answered(self, sdp: str | None) -> None: ...
    def on_ringing(self) -> None: ...
    def on_digit_info(self, content_type: str, body: str) -> None: ...
    def on_media(self, media: Media) -> None: ...
    def on_ended(self, reason: str) -> None: ...


class Dialog:
    """One call's sippy user agent, seen from asyncio."""

    def __init__(self, loop: asyncio.AbstractEventLoop, ua: Any = None) -> None:
        self._loop = loop
        self._ua = ua
        self.listener: CallEvents | None = None
        self.ended = False
        self._expired = False

    def attach(self, ua: Any) -> None:
        self._ua = ua

    # --- from sippy's thread --------------------------------------------------------------
    def sip_event(self, event: Any, ua: Any) -> None:
        lower_transport(ua)
        self._loop.call_soon_threadsafe(self._dispatch, event)

    def on_media(self, media: Media) -> None:
        """An offer and answer in the dialog settled the media (hold, resume, codec)."""
        self._loop.call_soon_threadsafe(self._media, media)

    def on_expired(self) -> None:
        """The session timer ran out without a refresh: sippy sends BYE next."""
        self._expired = True

    def _media(self, media: Media) -> None:
        if self.listener is not None:
            self.listener.on_media(media)

    def _dispatch(self, event: Any) -> None:
        listener = self.listener
        if isinstance(event, CCEventConnect):
            _code, _reason, body = event.getData()
            if listener is not None:
                listener.on_answered(_text(body))
        elif isinstance(event, CCEventRing):
            if listener is not None:
                listener.on_ringing()
        elif isinstance(event, CCEventInfo):
            body = event.getData()
            if listener is not None and body is not None:
                listener.on_digit_info(str(body.mtype), str(body.content))
        elif isinstance(event, CCEventDisconnect | CCEventFail):
            self.ended = True
            if listener is not None:
                reason = "failed" if isinstance(event, CCEventFail) else "hung up"
                listener.on_ended("session expired" if self._expired else reason)

    # --- from asyncio ----------------------------------------------------------------------
    def _send(self, event: Any) -> None:
        # The user agent is read in sippy's thread: a dial-out's is made there, in order.
        def send() -> None:
            lower_transport(self._ua)
            self._ua.recvEvent(event)

        ED2.callFromThread(send)

    def answer(self, sdp: str, negotiation: Negotiation) -> None:
        """200 OK with ``sdp``; later offers in the dialog are answered from ``negotiation``."""

        def send() -> None:
            lower_transport(self._ua)
            self._ua.negotiation = negotiation
            event = CCEventConnect((200, "OK", MsgBody(sdp)))
            event.extra_headers = self._ua.answer_headers()
            self._ua.recvEvent(event)

        ED2.callFromThread(send)

    def refuse(self, code: int, reason: str) -> None:
        if not self.ended:
            self.ended = True
            self._send(CCEventFail((code, reason)))

    def hang_up(self) -> None:
        if not self.ended:
            self.ended = True
            self._send(CCEventDisconnect())


def _text(body: Any) -> str | None:
    if body is None:
        return None
    return str(body.content) if not isinstance(body.content, str) else body.content


InviteHandler = Callable[[Invite, Dialog], None]
Screen = Callable[[str], int | None]
"""Says, in sippy's thread, whether a source may call now: None, or a SIP status to refuse."""


class SipEndpoint:
    """A SIP listener on ``host:port`` (UDP), for calls in and out."""

    def __init__(
        self,
        host: str,
        port: int,
        on_invite: InviteHandler,
        screen: Screen,
        user_agent: str = "Summitry",
        min_session_expires: int = MIN_SE,
    ) -> None:
        self.host = host
        self.port = port
        self.user_agent = user_agent
        self._on_invite = on_invite
        self._screen = screen
        self.min_session_expires = min_session_expires
        """The shortest session interval (Min-SE) accepted; RFC 4028 says 90 s."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._config: dict[str, Any] = {}

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._config = {
            "_sip_address": self.host,
            "_sip_port": self.port,
            "_sip_logger": _SipLog(),
        }
        _reactor()

        def listen() -> None:
            # sippy probes for IPv6 with a socket it never closes; the warning it causes is
            # sippy's, and harmless.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                self._config["_sip_tm"] = SipTransactionManager(self._config, self._request)

        try:
            await asyncio.to_thread(ED2.callFromThreadSync, listen)
        except OSError as err:
            raise OSError(f"cannot listen for SIP on {self.host}:{self.port}: {err}") from err

    async def stop(self) -> None:
        manager = self._config.get("_sip_tm")
        if manager is not None:
            # Only the sockets: sippy's timers of calls that just ended still refer to the
            # manager for a while (its full shutdown would make them fail).
            with contextlib.suppress(Exception):
                await asyncio.to_thread(ED2.callFromThreadSync, manager.l4r.shutdown)
        self._config = {}

    def _request(self, req: Any, sip_t: Any) -> Any:
        """sippy's thread: a request outside any dialog we know."""
        method = req.getMethod()
        if req.getHFBody("to").getTag() is not None:
            return (req.genResponse(481, "Call Leg/Transaction Does Not Exist"), None, None)
        if method == "OPTIONS":
            return (req.genResponse(200, "OK"), None, None)
        if method != "INVITE":
            return (req.genResponse(501, "Not Implemented"), None, None)
        (address, port), _transport = req.source
        small = too_small(req, self.min_session_expires)
        if small is not None:
            return (small, None, None)  # nothing allocated: the phone asks again, longer
        refusal = self._screen(str(address))
        if refusal is not None:
            # Refused before anything is allocated for the call.
            return (req.genResponse(refusal, _REASONS.get(refusal, "Refused")), None, None)
        loop = self._loop
        if loop is None:
            return (req.genResponse(503, "Service Unavailable"), None, None)
        dialog = Dialog(loop)
        ua = SessionUA(self._config, dialog.sip_event, dialog, self.min_session_expires)
        ua.local_ua = self.user_agent
        dialog.attach(ua)
        answer = ua.recvRequest(req, sip_t)
        invite = Invite(
            source=(str(address), int(port)),
            caller=str(req.getHFBody("from").getUrl().username or ""),
            called=str(req.getRURI().username or ""),
            sdp=_text(req.getBody()),
        )
        loop.call_soon_threadsafe(self._on_invite, invite, dialog)
        return answer

    def dial(
        self, target_host: str, target_port: int, user: str, caller: str, negotiation: Negotiation
    ) -> Dialog:
        """Call ``sip:user@target_host:target_port`` offering ``negotiation``'s offer."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the SIP endpoint is not started")
        dialog = Dialog(loop)

        def start() -> None:
            ua = SessionUA(
                self._config,
                dialog.sip_event,
                dialog,
                self.min_session_expires,
                nh_address=(target_host, target_port),
            )
            ua.local_ua = self.user_agent
            ua.negotiation = negotiation
            dialog.attach(ua)
            offer = MsgBody(negotiation.offer())
            event = CCEventTry((SipCallId(), caller, user, offer, None, "Summitry"))
            event.extra_headers = (header("Supported", "timer"), header("Allow", ALLOW))
            ua.recvEvent(event)

        ED2.callFromThread(start)
        return dialog
