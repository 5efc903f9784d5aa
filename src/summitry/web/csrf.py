"""The token every form carries back, so that only Summitry's own pages can submit them."""

from __future__ import annotations

import secrets

from fastapi import Request

from summitry.errors import Forbidden


def csrf_token(request: Request) -> str:
    """The token every form of this session must carry back."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form that did not come from one of our own pages."""
    expected = request.session.get("csrf")
    if (
        not isinstance(expected, str)
        or not submitted
        or not secrets.compare_digest(expected.encode(), submitted.encode())
    ):
        raise Forbidden("this form has expired or did not come from Summitry; reload the page")
