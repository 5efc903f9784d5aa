"""The signed session cookie and the server's record of it: who is signed in, and the CSRF
token of their forms. Signing out ends the record, so a copied cookie names nobody after."""

from __future__ import annotations

import secrets

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.db import utcnow
from summitry.log.committed import Recheck, recheck_after_commit
from summitry.security.models import BrowserSession
from summitry.security.principals import MAX_INVITATIONS_PER_SESSION, SESSION_KEY
from summitry.security.tokens import new_token, token_hash


async def sign_in(db: AsyncSession, request: Request, account_id: int) -> None:
    """Start a fresh secretariat session (a new key and CSRF token against session fixation)."""
    await _end(db, request.session)
    request.session.clear()
    key = new_token()
    db.add(BrowserSession(key_hash=token_hash(key), account_id=account_id))
    await db.commit()
    request.session[SESSION_KEY] = key
    request.session["account_id"] = account_id
    request.session["csrf"] = secrets.token_urlsafe(32)


async def remember_invitation(db: AsyncSession, request: Request, invitation_id: int) -> None:
    """Add an opened invitation to the session; a secretariat session is left as it was."""
    if "account_id" in request.session:
        return
    key = request.session.get(SESSION_KEY)
    known = isinstance(key, str) and await _live(db, key)
    if not known:
        request.session.clear()
        key = new_token()
        db.add(BrowserSession(key_hash=token_hash(key), account_id=None))
        await db.commit()
        request.session[SESSION_KEY] = key
    ids = [i for i in request.session.get("invitations", []) if i != invitation_id]
    ids.append(invitation_id)
    request.session["invitations"] = ids[-MAX_INVITATIONS_PER_SESSION:]
    request.session.setdefault("csrf", secrets.token_urlsafe(32))


async def sign_out(db: AsyncSession, request: Request) -> str | None:
    """End the session on the server and in the browser; its key, for closing its sockets."""
    key = await _end(db, request.session)
    request.session.clear()
    return key


async def _end(db: AsyncSession, session: dict[str, object]) -> str | None:
    key = session.get(SESSION_KEY)
    if not isinstance(key, str):
        return None
    record = await db.get(BrowserSession, token_hash(key))
    if record is not None and record.ended_at is None:
        record.ended_at = utcnow()
        recheck_after_commit(db, Recheck(session_key=key))
        await db.commit()
    return key


async def _live(db: AsyncSession, key: str) -> bool:
    record = await db.get(BrowserSession, token_hash(key))
    return record is not None and record.ended_at is None
