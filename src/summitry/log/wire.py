"""The live feed on the wire: one message framed once, written to every socket as it is.

uvicorn frames (and with permessage-deflate, compresses) every message for every connection
in turn, through the ASGI ``send`` of each; for 1,000 delegates following one meeting that
per-connection work, not the network, is what the floor's new state waits for. This module's
protocol is uvicorn's own Sans-I/O WebSocket protocol with two changes:

- permessage-deflate is negotiated with ``server_no_context_takeover``: each message is
  compressed on its own, so its compressed frame is the same for every connection with the
  same window size, and can be made once;
- the ASGI scope of each socket carries a ``Wire`` (extension ``summitry.wire``) through which
  the live hub writes such a frame straight to the socket's transport.

Everything else (the handshake, pings, closing, per-connection ``send``) stays uvicorn's.
Under another server there is no wire and the live feed sends each message itself. Both this
protocol and ``LiveHttp``, the HTTP protocol that hands a connection over to it, take care
that a closed connection leaves no reference cycle: 1,000 pages come and go, and what only
the garbage collector's full pass could free was freed hundreds at a time, stopping the server.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.server import ServerProtocol

WIRE = "summitry.wire"
WINDOW_BITS = 12  # uvicorn's own choice: a 4 KiB window keeps each connection's memory small
COMPRESS_SETTINGS = {"memLevel": 5}
WRITE_LIMIT = 1 << 20
"""Bytes a socket may have waiting in our buffer before the hub stops writing to it directly:
past that its own task sends (and waits), so a client that stops reading holds up nobody."""


def frame_of(text: str, window_bits: int | None) -> bytes:
    """The text frame of ``text``: compressed on its own with that window, or plain."""
    frame = Frame(Opcode.TEXT, text.encode())
    if window_bits is None:
        return frame.serialize(mask=False)
    deflate = PerMessageDeflate(
        remote_no_context_takeover=True,
        local_no_context_takeover=True,
        remote_max_window_bits=15,
        local_max_window_bits=window_bits,
        compress_settings=COMPRESS_SETTINGS,
    )
    return frame.serialize(mask=False, extensions=[deflate])


class Wire:
    """Writes whole frames to one socket, bypassing its per-message framing."""

    def __init__(self, protocol: LiveWebSockets, window_bits: int | None) -> None:
        self._protocol = protocol
        self._transport = protocol.transport
        self.window_bits = window_bits
        """The compression every frame for this socket must have (``None``: none)."""

    def write(self, frame: bytes) -> bool:
        """Write ``frame`` now; False, writing nothing, if the socket is closing or behind.

        Called for every socket of a meeting in one go: each check here costs 1,000 times."""
        transport = self._transport
        if (
            transport.is_closing()  # also once the connection is lost
            or transport.get_write_buffer_size() > WRITE_LIMIT
            or self._protocol.close_sent
        ):
            return False
        transport.write(frame)
        return True


class LiveHttp(HttpToolsProtocol):
    """uvicorn's HTTP protocol, which lets go of its parser once the connection is a WebSocket.

    The parser calls back the protocol's methods: a cycle that outlived the upgrade, held all
    through the socket's life and then left, with every closed socket's, for the collector's
    full pass, which under churn stopped the server for a quarter of a second and more."""

    def handle_websocket_upgrade(self) -> None:
        super().handle_websocket_upgrade()
        self.parser = None  # type: ignore[assignment]  # as uvicorn's own connection_lost


class LiveWebSockets(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, whose frames the live hub can make once for everyone."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.config.ws_per_message_deflate:
            self.conn = ServerProtocol(
                extensions=[
                    ServerPerMessageDeflateFactory(
                        server_no_context_takeover=True,
                        server_max_window_bits=WINDOW_BITS,
                        client_max_window_bits=WINDOW_BITS,
                        compress_settings=COMPRESS_SETTINGS,
                    )
                ],
                max_size=self.config.ws_max_size,
                logger=logging.getLogger("uvicorn.error"),
            )

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        # The application's task is scheduled, not yet running: it will find the wire.
        if self.response.status_code == 101:
            extensions = cast(dict[str, Any], self.scope["extensions"])
            extensions[WIRE] = Wire(self, self._window_bits())

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        # The wire holds this protocol, and the scope the wire: a cycle that would keep each
        # closed connection for the collector's full pass (hundreds at once under churn).
        scope: dict[str, Any] = getattr(self, "scope", None) or {}  # none before a handshake
        (scope.get("extensions") or {}).pop(WIRE, None)

    def _window_bits(self) -> int | None:
        for extension in self.conn.extensions:
            if isinstance(extension, PerMessageDeflate):
                return extension.local_max_window_bits
        return None
