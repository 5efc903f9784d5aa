"""A call's SIP dialog once it is established: re-INVITEs and UPDATEs answered (RFC 3261
§14, RFC 3311) and session timers kept (RFC 4028).

sippy's UA, left to itself, answers an in-dialog INVITE with 100 Trying and waits for its
application to answer (so a held call never resumed), turns an INVITE without SDP into a hold,
and leaves UPDATE unanswered. ``SessionUA`` is sippy's UA with those requests answered here, in
sippy's thread, from the call's ``Negotiation``; what they change is handed to ``DialogHooks``.
"""

from __future__ import annotations

import logging
import random
from functools import partial
from typing import Any, Protocol

from sippy.MsgBody import MsgBody
from sippy.SipGenericHF import SipGenericHF
from sippy.SipHeader import SipHeader
from sippy.Time.Timeout import Timeout
from sippy.UA import UA
from sippy.UaStateConnected import UaStateConnected

from summitry.telephony import sessiontimer
from summitry.telephony.negotiation import Media, Negotiation
from summitry.telephony.sdp import SdpError
from summitry.telephony.sessiontimer import Agreement, SessionExpires, SessionTimer, TooSmall

logger = logging.getLogger(__name__)

ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE"


class DialogHooks(Protocol):
    """What the call hears from its dialog (in sippy's thread)."""

    def on_media(self, media: Media) -> None: ...
    def on_expired(self) -> None: ...


class _Named(SipGenericHF):  # type: ignore[misc]
    """A header sippy has no class for, written with its usual capitals (Session-Expires)."""

    def __init__(self, body: str, name: str) -> None:
        super().__init__(body, name)
        self.canonical = name

    def getCanName(self, name: str, compact: bool = False) -> str:  # noqa: N802 - sippy's
        return self.canonical

    def getCopy(self) -> _Named:  # noqa: N802 - sippy's
        return _Named(self.body, self.canonical)


def header(name: str, value: str) -> Any:
    return SipHeader(name=name.lower(), body=_Named(value, name))


def values(message: Any, *names: str) -> list[str]:
    """Every value of a header (by its long and compact names), split at commas."""
    found: list[str] = []
    for name in names:
        for field in message.getHFs(name):
            found += [v.strip() for v in str(field.body).split(",") if v.strip()]
    return found


def tokens(message: Any, *names: str) -> set[str]:
    return {v.lower() for v in values(message, *names)}


def timer_request(message: Any) -> sessiontimer.Request:
    """What a request says about session timers (Session-Expires, Min-SE, Supported)."""
    expires = values(message, "session-expires", "x")
    return sessiontimer.Request(
        session_expires=sessiontimer.parse_session_expires(expires[0]) if expires else None,
        min_se=_seconds(values(message, "min-se")),
        supports_timer="timer" in tokens(message, "supported", "k"),
    )


def _seconds(found: list[str]) -> int | None:
    """The delta-seconds of a Min-SE header (its parameters left aside)."""
    value = found[0].split(";")[0].strip() if found else ""
    return int(value) if value.isdigit() else None


def too_small(request: Any, min_se: int) -> Any:
    """422 with our Min-SE when the request asks a shorter session interval; else None."""
    try:
        sessiontimer.answer(timer_request(request), min_se)
    except TooSmall as err:
        response = request.genResponse(422, "Session Interval Too Small")
        response.appendHeader(header("Min-SE", str(err.min_se)))
        return response
    return None


def lower_transport(ua: Any) -> None:
    """sippy 2.5 routes in-dialog requests only to ``transport=udp`` in lower case, but URI
    parameters are case-insensitive (RFC 3261 §19.1.4) and phones (SIPp among them) write
    ``transport=UDP``: without this, our BYE to such a phone is never sent."""
    target = getattr(ua, "rTarget", None)
    transport = getattr(target, "transport", None)
    if target is not None and isinstance(transport, str):
        target.transport = transport.lower()
    address = getattr(ua, "rAddr", None)  # where requests go: (host, port), transport
    if isinstance(address, tuple) and len(address) == 2 and isinstance(address[1], str):
        ua.rAddr = (address[0], address[1].lower())


def _text(body: Any) -> str:
    return body.content if isinstance(body.content, str) else str(body.content)


def _schedule(delay: float, callback: Any) -> Any:
    return Timeout(callback, delay)


class SessionUA(UA):  # type: ignore[misc]
    """sippy's user agent, answering in-dialog INVITE and UPDATE itself."""

    def __init__(
        self, config: dict[str, Any], event_cb: Any, hooks: DialogHooks, min_se: int, **kw: Any
    ) -> None:
        super().__init__(config, event_cb, **kw)
        self.hooks = hooks
        self.min_se = min_se
        self.negotiation: Negotiation | None = None
        """Set when the call is answered (in) or placed (out); until then sippy decides."""
        self.timer = SessionTimer(_schedule, self._refresh, self._expired)
        self._first: sessiontimer.Request | None = None
        self.peer_allows_update = False

    # --- requests from the phone -----------------------------------------------------------
    def recvRequest(self, req: Any, sip_t: Any) -> Any:  # noqa: N802 - sippy's
        method = req.getMethod()
        if self.state is None and method == "INVITE":
            self._first = timer_request(req)
            self.peer_allows_update = "update" in tokens(req, "allow")
        if (
            method in ("INVITE", "UPDATE")
            and isinstance(self.state, UaStateConnected)
            and self.negotiation is not None
        ):
            return self._in_dialog(req, sip_t)
        return super().recvRequest(req, sip_t)

    def answer_headers(self) -> tuple[Any, ...]:
        """The headers of our 200 OK to the first INVITE; the session timer starts with it."""
        agreement = None
        if self._first is not None:
            try:
                agreement = sessiontimer.answer(self._first, self.min_se)
            except TooSmall:  # refused with 422 before the call existed
                agreement = None
        self.timer.start(agreement)
        return self._headers(agreement)

    def _headers(self, agreement: Agreement | None) -> tuple[Any, ...]:
        headers = [header("Allow", ALLOW), header("Supported", "timer")]
        if agreement is not None:
            headers.append(header("Session-Expires", agreement.response.header()))
            if agreement.require_timer:
                headers.append(header("Require", "timer"))
        return tuple(headers)

    def _in_dialog(self, req: Any, sip_t: Any) -> Any:
        negotiation = self.negotiation
        assert negotiation is not None  # noqa: S101 - checked by the caller
        method = req.getMethod()
        cseq = req.getHFBody("cseq").getCSeqNum()
        last = getattr(self, "rCSeq", None)  # sippy's own check, which this bypasses
        if last is not None and last >= cseq:
            return (req.genResponse(500, "Server Internal Error", server=self.local_ua), None, None)
        self.rCSeq = cseq

        def respond(response: Any, ack_cb: Any = None) -> Any:
            if method != "INVITE":
                return (response, None, None)
            # Sent here rather than returned, for the ACK: it carries the answer to our offer.
            self.global_config["_sip_tm"].sendResponse(response, sip_t, ack_cb=ack_cb)
            return None

        try:
            agreement = sessiontimer.answer(timer_request(req), self.min_se)
        except TooSmall as err:
            response = req.genResponse(422, "Session Interval Too Small", server=self.local_ua)
            response.appendHeader(header("Min-SE", str(err.min_se)))
            return respond(response)
        body = req.getBody()
        media = None
        ack_cb = None
        if body is not None:
            try:
                text, media = negotiation.answer(_text(body))
            except SdpError as err:
                logger.info("re-offer refused: %s", err)
                return respond(req.genResponse(488, "Not Acceptable Here", server=self.local_ua))
            answer: MsgBody | None = MsgBody(text)
        elif method == "INVITE":
            # No offer: ours goes in the 200 OK and the answer comes in the ACK (RFC 3261 §14.2).
            answer = MsgBody(negotiation.offer())
            ack_cb = self._ack
        else:
            answer = None  # an UPDATE without SDP only refreshes the session
        self._target_refresh(req)
        response = req.genResponse(200, "OK", answer, server=self.local_ua)
        response.appendHeader(SipHeader(name="contact", body=self.lContact))
        response.appendHeaders(self._headers(agreement))
        self.timer.start(agreement)  # a request without Session-Expires turns the timer off
        if media is not None:
            self.hooks.on_media(media)
        return respond(response, ack_cb)

    def _ack(self, ack: Any) -> None:
        body = ack.getBody()
        if body is None or self.negotiation is None:
            return
        try:
            self.hooks.on_media(self.negotiation.accept(_text(body)))
        except SdpError as err:
            logger.warning("call %s: unusable answer in an ACK: %s", self.cId, err)

    def _target_refresh(self, req: Any) -> None:
        """A re-INVITE or UPDATE may move the phone's contact (RFC 3261 §12.2.2)."""
        if req.countHFs("contact") == 0 or self.routes:
            return
        self.rTarget = req.getHFBody("contact").getUrl().getCopy()
        self.rAddr = self.rTarget.getTAddr()
        lower_transport(self)

    # --- responses to a call out --------------------------------------------------------------
    def recvResponse(self, resp: Any, tr: Any) -> None:  # noqa: N802 - sippy's
        code = resp.getSCode()[0]
        method = resp.getHFBody("cseq").getCSeq()[1]
        first_answer = (
            method == "INVITE"
            and 200 <= code < 300
            and not self.isConnected()
            and self.negotiation is not None
            and self.negotiation.media is None
        )
        if first_answer and self.negotiation is not None and resp.getBody() is not None:
            # Before sippy tells the call it was answered, so that it knows its media by then.
            try:
                self.hooks.on_media(self.negotiation.accept(_text(resp.getBody())))
            except SdpError as err:
                logger.warning("call %s: unusable answer: %s", self.cId, err)
        super().recvResponse(resp, tr)
        if first_answer and self.isConnected():
            self.peer_allows_update = "update" in tokens(resp, "allow")
            expires = values(resp, "session-expires", "x")
            asked = SessionExpires(sessiontimer.MIN_SE, None)
            self.timer.start(
                sessiontimer.agreed_by_response(expires[0] if expires else None, asked)
            )

    # --- our refreshes -------------------------------------------------------------------
    def _refresh(self, interval: int) -> None:
        """Refresh the session: UPDATE without SDP when the phone takes it, else re-INVITE with
        our last description unchanged (RFC 4028 §7.4, §9)."""
        if not isinstance(self.state, UaStateConnected) or self.negotiation is None:
            return
        lower_transport(self)
        asked = SessionExpires(interval, "uac")
        headers = [
            header("Session-Expires", asked.header()),
            header("Min-SE", str(self.min_se)),
            header("Supported", "timer"),
        ]
        method = "UPDATE" if self.peer_allows_update else "INVITE"
        body = MsgBody(self.negotiation.sdp) if method == "INVITE" else None
        req = self.genRequest(method, body, extra_headers=headers)
        self.reqs.pop(req.getHFBody("cseq").getCSeqNum(), None)  # not sippy's to follow
        self.newTransaction(req, resp_cb=partial(self._refreshed, asked))

    def _refreshed(self, asked: SessionExpires, resp: Any) -> None:
        code = resp.getSCode()[0]
        if code < 200 or not isinstance(self.state, UaStateConnected):
            return
        if code < 300:
            expires = values(resp, "session-expires", "x")
            body = resp.getBody()
            if body is not None and self.negotiation is not None:
                try:
                    self.hooks.on_media(self.negotiation.accept(_text(body)))
                except SdpError as err:
                    logger.warning("call %s: unusable answer to a refresh: %s", self.cId, err)
            self.timer.start(
                sessiontimer.agreed_by_response(expires[0] if expires else None, asked)
            )
        elif code == 422:
            wanted = _seconds(values(resp, "min-se"))
            if wanted is not None and wanted > asked.seconds:
                self._refresh(wanted)
        elif code == 491:  # glare: try again after a while (RFC 3261 §14.1)
            Timeout(partial(self._refresh, asked.seconds), random.uniform(0.5, 2.0))  # noqa: S311
        elif code in (408, 481):
            self._expired()
        # Other failures leave the session to end at its expiry unless a refresh succeeds.

    def _expired(self) -> None:
        if isinstance(self.state, UaStateConnected):
            self.hooks.on_expired()
            self.disconnect()

    def changeState(self, newstate: Any) -> None:  # noqa: N802 - sippy's
        super().changeState(newstate)
        if self.state is not None and (self.state.dead or not self.state.connected):
            self.timer.stop()
