"""Request-scoped plumbing shared by every capability's routes: the database and the principal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.db import intend_to_write, session_scope
from summitry.live.hub import HUB
from summitry.live.media_port import MeetingMedia
from summitry.security.principals import Principal, resolve


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One database session for the request."""
    async for session in session_scope(request.app.state.sessionmaker):
        # Events appended in this session reach this process's live connections on commit.
        session.info[HUB] = request.app.state.hub
        if request.method not in SAFE_METHODS:
            await intend_to_write(session)
        yield session


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Db = Annotated[AsyncSession, Depends(get_db)]


async def get_principal(request: Request, db: Db) -> Principal | None:
    """Who the signed session cookie says is asking, checked against the database."""
    return await resolve(db, request.session)


CurrentPrincipal = Annotated[Principal | None, Depends(get_principal)]


def media_of(request: Request) -> MeetingMedia | None:
    """The media engine this app drives, or ``None`` when it runs without one."""
    media: MeetingMedia | None = getattr(request.app.state, "media", None)
    return media
