"""What every request passes on its way in and out: the body's size and kind checked before
any route reads it, and the security headers added to every answer.

Plain ASGI rather than Starlette's ``BaseHTTPMiddleware``, whose task group and streams cost
each request most of a millisecond (the floor's change waits for it: docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 256 * 1024
TOO_LARGE = f"send at most {MAX_BODY_BYTES // 1024} KiB"
MAX_FILE_BYTES = 16 * 1024 * 1024
"""For a route that takes a file (its path ends in ``/check``: a signed PDF, in base64; or
``/import``: a ministry's history of engagements, in CSV or JSON text)."""


def body_limit(path: str) -> int:
    """How many bytes a request's body may have."""
    return MAX_FILE_BYTES if path.endswith(("/check", "/import")) else MAX_BODY_BYTES


def too_large(limit: int) -> str:
    return (
        f"send at most {limit // 1024} KiB"
        if limit < 1024 * 1024
        else f"send at most {limit // 1024 // 1024} MiB"
    )


def content_security_policy(media_origin: str = "") -> str:
    """Only our own scripts and styles; WebSockets to ourselves and to the media server."""
    return (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        f"connect-src 'self' {media_origin}".rstrip()
        + "; media-src 'self' blob: mediastream:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )


SECURITY_HEADERS = {
    # Invitation links carry their token in the path: never let it leave in a Referer.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


class BodyLimit:
    """Counts the bytes of a body as they arrive: a chunked body has no Content-Length for
    ``_refuse_body`` to check. Raised while a route reads, the 413 reaches the error handlers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0
        limit = body_limit(scope["path"])

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise StarletteHTTPException(413, too_large(limit))
            return message

        await self.app(scope, counted, send)


class GuardRequests:
    """Refuses a body too large or not JSON before a route runs, and gives every answer the
    security headers (a route's own, where it set one, are kept)."""

    def __init__(self, app: ASGIApp, policy: Callable[[], str]) -> None:
        self.app = app
        self.policy = policy
        """The Content-Security-Policy: asked per answer, as the media origin is known late."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in {"POST", "PUT", "PATCH"}:
            refusal = _refuse_body(scope["path"], Headers(scope=scope))
            if refusal is not None:
                refusal.headers.update(SECURITY_HEADERS)
                refusal.headers["Content-Security-Policy"] = self.policy()
                await refusal(scope, receive, send)
                return

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", self.policy())
            await send(message)

        await self.app(scope, receive, send_guarded)


def _refuse_body(path: str, headers: Headers) -> JSONResponse | None:
    length = headers.get("content-length")
    limit = body_limit(path)
    if length is not None and (not length.isdigit() or int(length) > limit):
        return _plain_error(413, "too_large", too_large(limit))
    if path.startswith("/api/"):
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if (chunked or length not in (None, "0")) and kind != "application/json":
            return _plain_error(
                415,
                "unsupported_media_type",
                "send the body as JSON with the header Content-Type: application/json",
            )
    return None


def _plain_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
