"""Invitation tokens never reach the server's log."""

from __future__ import annotations

import io
import logging

from summitry.logs import RedactTokens


def test_an_access_line_with_an_invitation_link_is_written_without_its_token() -> None:
    token = "lUped2dy-JcHSNmFyeM6WxuNj4nATekAmjaGfGerToM"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactTokens())
    logger = logging.getLogger("test.access")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        # uvicorn's access log passes the path as an argument of the message
        logger.warning(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/invitation/{token}", "1.1", 303
        )
        logger.warning("opened /invitation/%s?x=1", token)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert token not in written
    assert written.count("/invitation/[redacted]") == 2
