"""A small typed async client for the Janus WebSocket API: sessions, handles, transactions.

Every request carries a transaction id; its answer resolves the future waiting on that id.
Synchronous plugin requests are answered with ``success``; asynchronous ones with ``ack`` and
later an ``event`` carrying the same transaction. Everything else addressed to a handle
(``webrtcup``, ``media``, ``hangup``, unsolicited plugin events) goes to that handle's queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.typing import Subprotocol

log = logging.getLogger(__name__)

JSON = dict[str, Any]

SUBPROTOCOL = Subprotocol("janus-protocol")
DEFAULT_TIMEOUT = 10.0
KEEPALIVE_INTERVAL = 25.0
"""Janus drops a session after 60 s (its ``session_timeout``) without a request."""
_MAX_QUEUED_EVENTS = 1000


class JanusClientError(Exception):
    """Anything this client raises."""


class JanusUnavailable(JanusClientError):
    """Janus cannot be reached: the socket will not open, or it closed."""


class JanusTimeout(JanusUnavailable):
    """Janus did not answer a request in time."""


class JanusError(JanusClientError):
    """Janus, or one of its plugins, refused a request."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"Janus error {code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class JanusEvent:
    """Something Janus told one handle: a plugin ``event``, ``webrtcup``, ``hangup``..."""

    kind: str
    data: JSON
    """The plugin's data for ``event``; the whole message for the other kinds."""
    jsep: JSON | None
    message: JSON


@dataclass(frozen=True)
class PluginReply:
    """A plugin's answer to a request: its data and, for negotiations, an SDP."""

    data: JSON
    jsep: JSON | None


def _dict(value: object) -> JSON:
    return value if isinstance(value, dict) else {}


def _error_in(message: JSON) -> JanusError | None:
    """The error a reply carries, at the Janus level or in the plugin's data."""
    if message.get("janus") == "error":
        error = _dict(message.get("error"))
        return JanusError(_int(error.get("code")), str(error.get("reason", "unknown error")))
    data = _dict(_dict(message.get("plugindata")).get("data"))
    if "error_code" in data:
        return JanusError(_int(data.get("error_code")), str(data.get("error", "unknown error")))
    return None


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _jsep(message: JSON) -> JSON | None:
    jsep = message.get("jsep")
    return jsep if isinstance(jsep, dict) else None


def _event_of(message: JSON) -> JanusEvent:
    kind = str(message.get("janus", ""))
    data = _dict(_dict(message.get("plugindata")).get("data")) if kind == "event" else message
    return JanusEvent(kind=kind, data=data, jsep=_jsep(message), message=message)


@dataclass
class _Pending:
    future: asyncio.Future[JSON]
    ack_is_final: bool


async def connect(
    url: str,
    *,
    request_timeout: float = DEFAULT_TIMEOUT,
    keepalive_interval: float = KEEPALIVE_INTERVAL,
) -> JanusClient:
    """Open a WebSocket to Janus at ``url`` (``ws://127.0.0.1:8188``)."""
    try:
        socket = await ws_connect(
            url,
            subprotocols=[SUBPROTOCOL],
            open_timeout=request_timeout,
            proxy=None,  # the API is on loopback: never through a proxy from the environment
            compression=None,
            max_size=8 * 1024 * 1024,
        )
    except (OSError, TimeoutError, WebSocketException) as err:
        raise JanusUnavailable(f"cannot connect to Janus at {url}: {err}") from err
    return JanusClient(
        socket, request_timeout=request_timeout, keepalive_interval=keepalive_interval
    )


class JanusClient:
    """One WebSocket connection to Janus; sessions made through it die with it."""

    def __init__(
        self,
        socket: ClientConnection,
        *,
        request_timeout: float = DEFAULT_TIMEOUT,
        keepalive_interval: float = KEEPALIVE_INTERVAL,
    ) -> None:
        self.request_timeout = request_timeout
        """Seconds a request may wait for its answer before JanusTimeout."""
        self.keepalive_interval = keepalive_interval
        self._socket = socket
        self._pending: dict[str, _Pending] = {}
        self._sessions: dict[int, Session] = {}
        self._handles: dict[int, Handle] = {}
        self._closed = asyncio.Event()
        self._reader = asyncio.create_task(self._read(), name="janus-reader")

    async def __aenter__(self) -> JanusClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def wait_closed(self) -> None:
        """Return when the connection has closed (Janus stopped, crashed or hung up)."""
        await self._closed.wait()

    async def close(self) -> None:
        await self._socket.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def info(self) -> JSON:
        """Janus's ``server_info``: version, plugins, transports. Needs no session."""
        return await self.send({"janus": "info"})

    async def create_session(self) -> Session:
        reply = await self.send({"janus": "create"})
        session = Session(self, _int(_dict(reply.get("data")).get("id")))
        self._sessions[session.id] = session
        session.start_keepalive()
        return session

    async def send(self, body: JSON, *, ack_is_final: bool = False) -> JSON:
        """Send one request and return its final answer; raise if that answer is an error."""
        if self.closed:
            raise JanusUnavailable("the connection to Janus is closed")
        transaction = secrets.token_hex(8)
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._pending[transaction] = _Pending(future, ack_is_final)
        limit = self.request_timeout
        try:
            await self._socket.send(json.dumps({**body, "transaction": transaction}))
            async with asyncio.timeout(limit):
                return await future
        except ConnectionClosed as err:
            raise JanusUnavailable("the connection to Janus closed") from err
        except TimeoutError as err:
            raise JanusTimeout(f"Janus did not answer {body.get('janus')} in {limit} s") from err
        finally:
            self._pending.pop(transaction, None)

    async def _read(self) -> None:
        try:
            async for raw in self._socket:
                self._dispatch(raw)
        except ConnectionClosed:
            pass
        finally:
            self._closed.set()
            gone = JanusUnavailable("the connection to Janus closed")
            for pending in self._pending.values():
                if not pending.future.done():
                    pending.future.set_exception(gone)
            for session in list(self._sessions.values()):
                session.gone()

    def _dispatch(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("Janus sent something that is not JSON: %.200r", raw)
            return
        if not isinstance(message, dict):
            log.warning("Janus sent JSON that is not an object: %.200r", raw)
            return
        kind = message.get("janus")
        pending = self._pending.get(str(message.get("transaction")))
        if pending is not None and not pending.future.done():
            if kind == "ack" and not pending.ack_is_final:
                return  # an asynchronous request: its answer comes later as an event
            error = _error_in(message)
            if error is None:
                pending.future.set_result(message)
            else:
                pending.future.set_exception(error)
            return
        if kind == "timeout":
            session = self._sessions.get(_int(message.get("session_id")))
            if session is not None:
                log.warning("Janus expired session %s", session.id)
                session.gone()
            return
        handle = self._handles.get(_int(message.get("sender")))
        if handle is None:
            log.debug("Janus message for no handle of ours: %.200r", raw)
            return
        handle.deliver(_event_of(message))

    def register(self, handle: Handle) -> None:
        self._handles[handle.id] = handle

    def forget(self, session: Session | None = None, handle: Handle | None = None) -> None:
        if session is not None:
            self._sessions.pop(session.id, None)
        if handle is not None:
            self._handles.pop(handle.id, None)


class Session:
    """A Janus session: it holds handles, and lives as long as keepalives arrive."""

    def __init__(self, client: JanusClient, session_id: int) -> None:
        self.client = client
        self.id = session_id
        self.handles: dict[int, Handle] = {}
        self._keepalive: asyncio.Task[None] | None = None

    def start_keepalive(self) -> None:
        self._keepalive = asyncio.create_task(self._keep_alive(), name=f"janus-keepalive-{self.id}")

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.client.keepalive_interval)
            try:
                await self.client.send(
                    {"janus": "keepalive", "session_id": self.id}, ack_is_final=True
                )
            except JanusUnavailable:
                if self.client.closed:
                    return
                log.warning("Janus did not acknowledge a keepalive for session %s", self.id)
            except JanusError as err:
                log.warning("Janus refused a keepalive for session %s: %s", self.id, err)
                return

    async def attach(self, plugin: str) -> Handle:
        """A handle on ``plugin`` (``janus.plugin.videoroom``)."""
        reply = await self.client.send({"janus": "attach", "session_id": self.id, "plugin": plugin})
        handle = Handle(self, _int(_dict(reply.get("data")).get("id")), plugin)
        self.handles[handle.id] = handle
        self.client.register(handle)
        return handle

    async def destroy(self) -> None:
        try:
            await self.client.send({"janus": "destroy", "session_id": self.id})
        finally:
            self.gone()

    def gone(self) -> None:
        """The session ended (destroyed, expired or its connection closed)."""
        if self._keepalive is not None:
            self._keepalive.cancel()
        for handle in list(self.handles.values()):
            handle.gone()
        self.client.forget(session=self)


class Handle:
    """A handle on one plugin: requests to it, and a queue of the events it receives."""

    def __init__(self, session: Session, handle_id: int, plugin: str) -> None:
        self.session = session
        self.id = handle_id
        self.plugin = plugin
        self._events: asyncio.Queue[JanusEvent | None] = asyncio.Queue()
        self._gone = False

    @property
    def client(self) -> JanusClient:
        return self.session.client

    def _body(self, janus: str, **fields: Any) -> JSON:
        return {"janus": janus, "session_id": self.session.id, "handle_id": self.id, **fields}

    async def request(self, body: JSON) -> JSON:
        """A synchronous plugin request (create, kick, listparticipants...): its data."""
        return (await self.message(body)).data

    async def message(self, body: JSON, jsep: JSON | None = None) -> PluginReply:
        """A plugin request; for asynchronous ones (join, configure) waits for the event."""
        fields: JSON = {"body": body}
        if jsep is not None:
            fields["jsep"] = jsep
        reply = await self.client.send(self._body("message", **fields))
        return PluginReply(_dict(_dict(reply.get("plugindata")).get("data")), _jsep(reply))

    async def trickle(self, candidate: JSON | None = None) -> None:
        """Send an ICE candidate; none means "gathering completed" (all are in the SDP)."""
        await self.client.send(
            self._body("trickle", candidate=candidate or {"completed": True}), ack_is_final=True
        )

    async def hangup(self) -> None:
        await self.client.send(self._body("hangup"))

    async def detach(self) -> None:
        try:
            await self.client.send(self._body("detach"))
        finally:
            self.gone()

    def deliver(self, event: JanusEvent) -> None:
        if self._events.qsize() >= _MAX_QUEUED_EVENTS:
            self._events.get_nowait()  # nobody reads them: keep the newest
        self._events.put_nowait(event)
        if event.kind == "detached":
            self.gone()

    def gone(self) -> None:
        """No more events will come: wake whoever waits for one."""
        if not self._gone:
            self._gone = True
            self._events.put_nowait(None)
            self.session.handles.pop(self.id, None)
            self.client.forget(handle=self)

    async def next_event(self) -> JanusEvent:
        """The next event for this handle (bound the wait with ``asyncio.timeout``)."""
        event = await self._events.get()
        if event is None:
            self._events.put_nowait(None)  # stay ended for the next caller
            raise JanusUnavailable(f"handle {self.id} is gone")
        return event

    async def events(self) -> AsyncIterator[JanusEvent]:
        """Every event until the handle is detached or its connection closes."""
        while True:
            event = await self._events.get()
            if event is None:
                self._events.put_nowait(None)
                return
            yield event
