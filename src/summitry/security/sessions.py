"""The signed session cookie: who is signed in, and the CSRF token of their forms."""

from __future__ import annotations

import secrets

from fastapi import Request

from summitry.errors import Forbidden
from summitry.security.principals import MAX_INVITATIONS_PER_SESSION
from summitry.security.tokens import same


def sign_in(request: Request, account_id: int) -> None:
    """Start a fresh secretariat session (a new CSRF token against session fixation)."""
    request.session.clear()
    request.session["account_id"] = account_id
    request.session["csrf"] = secrets.token_urlsafe(32)


def remember_invitation(request: Request, invitation_id: int) -> None:
    """Add an opened invitation to the session; a secretariat session is left as it was."""
    if "account_id" in request.session:
        return
    ids = [i for i in request.session.get("invitations", []) if i != invitation_id]
    ids.append(invitation_id)
    request.session["invitations"] = ids[-MAX_INVITATIONS_PER_SESSION:]
    request.session.setdefault("csrf", secrets.token_urlsafe(32))


def sign_out(request: Request) -> None:
    request.session.clear()


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
    if not isinstance(expected, str) or not submitted or not same(expected, submitted):
        raise Forbidden("this form has expired or did not come from Summitry; reload the page")
