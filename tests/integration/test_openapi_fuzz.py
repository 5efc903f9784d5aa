"""Schemathesis over /openapi.json: no request the schema allows makes the API fail or lie.

Every operation under /api/v1 gets generated requests, in-process against the ASGI app, as an
anonymous client and as a signed-in member of the secretariat. Half the cases use the ids of an
engagement, an attendee, an invitation and a delegation that exist, so that the routes behind
the 404s are reached too. Each response must not be a 5xx, and its status, content type and
body must be the ones the schema declares.

The app runs as in production (its own engine, opened by its lifespan) on a database of its own:
schemathesis calls it from another thread and event loop, which the rolled-back connection of
the other tests cannot follow. Both databases: PostgreSQL refuses what SQLite lets through (a
NUL byte, an id beyond 32 bits), and those are the 500s worth finding.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from summitry import log
from summitry import schema as migrations
from summitry.app import create_app
from summitry.config import Settings
from summitry.db import create_engine, create_sessionmaker
from summitry.delegations.operations import add_person
from summitry.delegations.schemas import PersonIn
from summitry.engagements.models import Role
from summitry.engagements.operations import add_attendee, create_engagement, get_engagement
from summitry.engagements.schemas import EngagementIn
from summitry.security.operations import create_account, issue_invitation
from tests.conftest import SECRETARY_PASSWORD
from tests.support.postgres import create_database

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 25
# Without a session nearly every operation answers 401 before it reads anything: fewer examples
# find the same; signing in and opening a link (which anyone may try) get the full count.
ANONYMOUS_EXAMPLES = 8
SECRETARY_EMAIL = "fuzz@mfa.example"


@dataclass(frozen=True)
class Existing:
    """Ids of things that exist in the fuzzed database."""

    path_values: dict[str, object]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    else:
        url = create_database(request.getfixturevalue("postgres_url"), "summitry_fuzz")
    migrations.upgrade(url)
    return url


async def _prepare(url: str) -> Existing:
    engine = create_engine(url)
    try:
        async with log.offline(create_sessionmaker(engine))() as db:
            await create_account(db, SECRETARY_EMAIL, "Fuzz Officer", SECRETARY_PASSWORD)
            engagement = await create_engagement(
                db,
                EngagementIn(
                    title="EU–China leaders' meeting",
                    starts_at="2020-09-14T14:00:00+02:00",  # type: ignore[arg-type]
                    host="EUCO",
                    delegations=["CN", "DE", "EUCO"],
                    languages=["en", "zh", "de"],
                    agenda=["Opening"],
                ),
                by="Fuzz Officer",
            )
            person = await add_person(
                db,
                engagement.delegations[0].delegation,
                PersonIn(name="Li Keqiang", office="Premier", language="zh"),
            )
            attendee = await add_attendee(
                db, engagement, person, Role.HEAD_OF_DELEGATION, by="Test"
            )
            engagement = await get_engagement(db, engagement.id)
            issued = await issue_invitation(db, engagement, attendee.id, days=14, by="Test")
            return Existing(
                {
                    "engagement_id": engagement.id,
                    "attendee_id": attendee.id,
                    "invitation_id": issued.invitation.id,
                    "code": "DE",
                }
            )
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def fuzzed(
    fuzz_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, Existing, dict[str, str]]]:
    """The app over the fuzz database, what exists in it, and the secretariat's cookies."""
    existing = asyncio.run(_prepare(fuzz_database))
    app = create_app(
        Settings(
            database_url=fuzz_database,
            data_dir=Path(tmp_path_factory.mktemp("fuzz-data")),
            secret_key="fuzz-secret-key-long-enough-for-signing-cookies",
            media=False,  # no Janus: the API, not the media server, is under test
        )
    )
    try:
        with asgi.get_client(app) as client:
            signed_in = client.post(
                "/api/v1/session", json={"email": SECRETARY_EMAIL, "password": SECRETARY_PASSWORD}
            )
            assert signed_in.status_code == 200, signed_in.text
            cookies = {"summitry_session": signed_in.cookies["summitry_session"]}
        yield app, existing, cookies
    finally:
        asgi.shutdown_lifespans()  # closes the app's engine in the loop that opened it


def _fuzz(app: Any, existing: Existing, cookies: dict[str, str]) -> list[str]:
    api = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=r"^/api/v1/")
    problems: list[str] = []
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 20, "the schema lost its operations"
    for operation in operations:
        names = re.findall(r"{(\w+)}", operation.path)
        strategy = operation.as_strategy()
        # Ids of things that exist where known; any other path parameter is generated.
        real = {name: existing.path_values[name] for name in names if name in existing.path_values}
        if real:
            strategy = st.one_of(strategy, operation.as_strategy(path_parameters=real))

        open_to_all = operation.path.startswith("/api/v1/session")

        @settings(
            max_examples=EXAMPLES_PER_OPERATION if cookies or open_to_all else ANONYMOUS_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def call(case: Any) -> None:
            case.call_and_validate(cookies=cookies, checks=CHECKS)

        try:
            call()
        except Exception as err:  # every operation is tried, and all failures reported
            problems.append(f"{operation.label}: {err}")
    return problems


@pytest.mark.parametrize("who", ["anonymous", "secretariat"])
def test_no_generated_request_breaks_the_api_or_its_schema(
    who: str, fuzzed: tuple[Any, Existing, dict[str, str]]
) -> None:
    app, existing, cookies = fuzzed

    problems = _fuzz(app, existing, cookies if who == "secretariat" else {})

    assert not problems, "\n\n".join(problems)
