"""Session timers (RFC 4028): what to answer to a peer's Session-Expires, and when to refresh
the session or end it. Pure rules and a timer driven by whatever clock it is given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

MIN_SE = 90
"""RFC 4028 §4: no session interval below 90 seconds (the gateway's minimum defaults to it)."""


@dataclass(frozen=True)
class SessionExpires:
    seconds: int
    refresher: str | None
    """``uac`` or ``uas``, of the transaction that carried it."""

    def header(self) -> str:
        return f"{self.seconds};refresher={self.refresher}" if self.refresher else str(self.seconds)


def parse_session_expires(value: str) -> SessionExpires | None:
    """``1800;refresher=uac`` (RFC 4028 §4); None when unreadable."""
    first, *params = (p.strip() for p in value.split(";"))
    if not first.isdigit():
        return None
    refresher = None
    for param in params:
        name, _, found = param.partition("=")
        if name.strip().lower() == "refresher" and found.strip().lower() in ("uac", "uas"):
            refresher = found.strip().lower()
    return SessionExpires(int(first), refresher)


@dataclass(frozen=True)
class Request:
    """What a request from the peer says about session timers."""

    session_expires: SessionExpires | None
    min_se: int | None
    supports_timer: bool


class TooSmall(Exception):
    """422 Session Interval Too Small, with the Min-SE to answer (RFC 4028 §6)."""

    def __init__(self, min_se: int) -> None:
        super().__init__(f"the session interval is below {min_se} s")
        self.min_se = min_se


@dataclass(frozen=True)
class Agreement:
    """The session interval in force, and whether we refresh it."""

    interval: int
    we_refresh: bool
    response: SessionExpires
    require_timer: bool
    """``Require: timer`` in our response (only when the peer supports it, RFC 4028 §9)."""


def answer(request: Request, min_se: int) -> Agreement | None:
    """As the UAS of an INVITE or UPDATE: the agreement, None without a session timer, or
    TooSmall when the interval asked for is below our minimum."""
    asked = request.session_expires
    if asked is None:
        return None  # the peer wants none; we could insert one (§9) but have no need
    if asked.seconds < min_se:
        raise TooSmall(max(min_se, request.min_se or 0))
    refresher = asked.refresher
    if not request.supports_timer:
        refresher = "uas"  # a peer without the extension cannot refresh (§9)
    elif refresher is None:
        refresher = "uas"  # ours to choose: we know we will
    response = SessionExpires(asked.seconds, refresher)
    return Agreement(asked.seconds, refresher == "uas", response, request.supports_timer)


def agreed_by_response(value: str | None, asked: SessionExpires) -> Agreement | None:
    """As the UAC of our own refresh: the agreement its 2xx states (no header: no timer)."""
    if value is None:
        return None
    stated = parse_session_expires(value)
    if stated is None:
        return None
    refresher = stated.refresher or asked.refresher or "uac"
    return Agreement(stated.seconds, refresher == "uac", stated, False)


def refresh_after(interval: int) -> float:
    """A little before half the interval: RFC 4028 §10 asks half, and the refresh takes time
    to arrive (a lost first try is sent again half a second later)."""
    return interval * 0.45


def expire_after(interval: int) -> float:
    """Without a refresh, the other side sends BYE this long after the last one (§10)."""
    return interval - min(32.0, interval / 3)


class Cancel(Protocol):
    def cancel(self) -> None: ...


Schedule = Callable[[float, Callable[[], None]], Cancel]


class SessionTimer:
    """One dialog's timer: refresh when it is ours, end the call when the peer's is late."""

    def __init__(
        self, schedule: Schedule, refresh: Callable[[int], None], expire: Callable[[], None]
    ) -> None:
        self._schedule = schedule
        self._refresh = refresh
        self._expire = expire
        self._pending: Cancel | None = None
        self.agreement: Agreement | None = None
        self.refreshes_sent = 0

    def start(self, agreement: Agreement | None) -> None:
        """A new agreement (a 2xx to an INVITE or UPDATE either way) starts the interval."""
        self.stop()
        self.agreement = agreement
        if agreement is None:
            return
        if agreement.we_refresh:
            self._pending = self._schedule(refresh_after(agreement.interval), self._due)
        else:
            self._pending = self._schedule(expire_after(agreement.interval), self._expire)

    def _due(self) -> None:
        self._pending = None
        if self.agreement is not None:
            self.refreshes_sent += 1
            # Unless a 2xx to the refresh starts a new interval, the session ends with it.
            remaining = self.agreement.interval - refresh_after(self.agreement.interval)
            self._pending = self._schedule(remaining, self._expire)
            self._refresh(self.agreement.interval)

    def stop(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
