"""Request-scoped plumbing shared by every capability's routes: the database and the principal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from summitry.db import MAX_ID, intend_to_write
from summitry.meeting.media_port import MeetingMedia
from summitry.runtime import Runtime
from summitry.security.principals import Principal, resolve


def runtime_of(request: HTTPConnection) -> Runtime:
    """This process's running parts (built in the app's lifespan)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


Rt = Annotated[Runtime, Depends(runtime_of)]


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """One database session for the request (it publishes what it commits), rolled back and
    closed before the request's handling ends if the request fails."""
    # Not an ``async for`` over another generator: an exception leaving such a loop does not
    # close the inner one, whose rollback then waited for the garbage collector.
    async with runtime_of(request).sessions() as session:
        if request.method not in SAFE_METHODS:
            await intend_to_write(session)
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Db = Annotated[AsyncSession, Depends(get_db)]


async def get_principal(request: Request, db: Db) -> Principal | None:
    """Who the signed session cookie says is asking, checked against the database."""
    return await resolve(db, request.session)


CurrentPrincipal = Annotated[Principal | None, Depends(get_principal)]


def media_of(request: Request) -> MeetingMedia | None:
    """The media engine this app drives, or ``None`` when it runs without one."""
    return runtime_of(request).media


async def page_principal(request: Request, principal: CurrentPrincipal) -> Principal | None:
    """The principal, kept on the request so that every template can show who is signed in."""
    request.state.principal = principal
    return principal


PagePrincipal = Annotated[Principal | None, Depends(page_principal)]
"""Who is asking, for a page: as ``CurrentPrincipal``, and shown in the page's header."""

RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""An id in a path; one no database can hold is refused rather than looked up."""
