"""Logging for ``summitry serve``: access lines with invitation tokens taken out."""

from __future__ import annotations

import logging
import re

_TOKEN_IN_PATH = re.compile(r"(/invitation/)[^\s\"?/]+")


class RedactTokens(logging.Filter):
    """Replace the token in ``/invitation/<token>`` by ``[redacted]`` before a line is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Redact the finished line: a token may sit in the message or in any of its arguments.
        message = record.getMessage()
        if "/invitation/" in message:
            record.msg, record.args = _TOKEN_IN_PATH.sub(r"\1[redacted]", message), None
        return True


def configure_logging(level: int = logging.INFO) -> None:
    """One plain format for the server and the access log, with tokens redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = [handler] if name == "" else []
        logger.propagate = name != ""
        logger.setLevel(level)
