"""Fixtures shared by the whole suite: both databases, a rolled-back session per test, clients.

Every test that asks for ``db`` or ``client`` runs twice: on SQLite and on a real PostgreSQL
that the test run starts itself.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from summitry import log, schema
from summitry.app import create_app
from summitry.config import Settings
from summitry.db import create_engine
from summitry.delegations.models import Delegation, Person
from summitry.delegations.operations import add_person, create_delegation
from summitry.delegations.schemas import DelegationIn, PersonIn
from summitry.engagements.models import Attendee, Engagement, Role
from summitry.engagements.operations import add_attendee, create_engagement, get_engagement
from summitry.engagements.schemas import EngagementIn
from summitry.security.operations import create_account, issue_invitation
from tests.support.documents import adopted  # noqa: F401 - an adopted document, to sign
from tests.support.janus import *  # noqa: F403 - the Janus fixtures
from tests.support.postgres import create_database, postgres_server

SECRETARY_PASSWORD = "a long protocol password"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    else:
        server = request.getfixturevalue("postgres_url")
        url = create_database(server, "summitry_test")
    schema.upgrade(url)
    return url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back when the test ends."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        await transaction.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    # Every commit of the code under test becomes a savepoint of the test's transaction.
    # No live page follows the log until a test builds the app (``Runtime.use_database``).
    return log.offline(
        async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
    )


@pytest.fixture
async def db(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        environment="development",
        data_dir=tmp_path,
        secret_key="test-secret-key-that-is-long-enough-for-signing",
        base_url="http://summitry.test",
        media=False,
    )


@pytest.fixture
def app(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> Any:
    return create_app(settings, sessionmaker=sessionmaker)


@pytest.fixture
def make_client(app: Any) -> Callable[[], httpx.AsyncClient]:
    """Fresh clients, each with its own cookies (one per person in a test)."""

    def make() -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://summitry.test"
        )

    return make


@pytest.fixture
async def client(make_client: Callable[[], httpx.AsyncClient]) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous client."""
    async with make_client() as anonymous:
        yield anonymous


_serial = itertools.count(1)


@pytest.fixture
def make_account(db: AsyncSession) -> Callable[..., Awaitable[Any]]:
    async def make(email: str | None = None, name: str = "Protocol Officer") -> Any:
        return await create_account(
            db, email or f"officer{next(_serial)}@mfa.example", name, SECRETARY_PASSWORD
        )

    return make


@pytest.fixture
async def secretariat(
    make_client: Callable[[], httpx.AsyncClient], make_account: Callable[..., Awaitable[Any]]
) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as a member of the secretariat."""
    account = await make_account()
    async with make_client() as signed_in:
        response = await signed_in.post(
            "/api/v1/session", json={"email": account.email, "password": SECRETARY_PASSWORD}
        )
        assert response.status_code == 200, response.text
        yield signed_in


@pytest.fixture
def make_delegation(db: AsyncSession) -> Callable[..., Awaitable[Delegation]]:
    async def make(code: str, **fields: Any) -> Delegation:
        from summitry.delegations.operations import find_delegation

        existing = await find_delegation(db, code)
        if existing is not None:
            return existing
        kind = fields.pop(
            "kind", "state" if len(code) == 2 and code not in {"EU", "UN"} else "organisation"
        )
        return await create_delegation(db, DelegationIn(code=code, kind=kind, **fields))

    return make


@pytest.fixture
def make_person(
    db: AsyncSession, make_delegation: Callable[..., Awaitable[Delegation]]
) -> Callable[..., Awaitable[Person]]:
    async def make(code: str, name: str | None = None, office: str = "Minister") -> Person:
        delegation = await make_delegation(code)
        return await add_person(
            db, delegation, PersonIn(name=name or f"Person {next(_serial)}", office=office)
        )

    return make


@pytest.fixture
def make_engagement(
    db: AsyncSession, make_delegation: Callable[..., Awaitable[Delegation]]
) -> Callable[..., Awaitable[Engagement]]:
    async def make(codes: tuple[str, ...] = ("CN", "DE", "EUCO"), **fields: Any) -> Engagement:
        for code in codes:
            await make_delegation(code)
        data: dict[str, Any] = {
            "title": f"Leaders' video meeting {next(_serial)}",
            "starts_at": "2020-09-14T12:00:00Z",
            "ends_at": "2020-09-14T14:00:00Z",
            "host": codes[-1],
            "delegations": list(codes),
            "languages": ["en", "zh", "de"],
            "agenda": ["Opening", "Geographical indications"],
        }
        data.update(fields)
        return await create_engagement(db, EngagementIn.model_validate(data), by="Test")

    return make


@pytest.fixture
def make_invitee(
    db: AsyncSession,
    make_person: Callable[..., Awaitable[Person]],
    make_client: Callable[[], httpx.AsyncClient],
) -> Callable[..., Awaitable[tuple[httpx.AsyncClient, Attendee, str]]]:
    """A client that has opened a fresh invitation to ``engagement`` as ``role``."""

    async def make(
        engagement: Engagement,
        role: Role = Role.DELEGATE,
        code: str | None = None,
        booth: str | None = None,
    ) -> tuple[httpx.AsyncClient, Attendee, str]:
        code = code or engagement.delegations[0].delegation.code
        person = await make_person(code)
        engagement = await get_engagement(db, engagement.id)
        attendee = await add_attendee(db, engagement, person, role, booth, by="Test")
        engagement = await get_engagement(db, engagement.id)
        issued = await issue_invitation(db, engagement, attendee.id, days=14, by="Test")
        invited = make_client()
        response = await invited.post("/api/v1/session/invitation", json={"token": issued.token})
        assert response.status_code == 200, response.text
        return invited, attendee, issued.token

    return make
