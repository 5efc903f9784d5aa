"""Who may do what through the API: every route against every kind of principal.

The table below has one row per API route. A route added to the application without a row
makes ``test_every_api_route_has_a_row`` fail, so nobody can add an endpoint without saying
who may call it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import string
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from summitry.app import create_app
from summitry.config import Settings
from summitry.db import utcnow
from summitry.delegations.models import Delegation, Person
from summitry.engagements.models import Attendee, Engagement, Role
from summitry.engagements.operations import add_attendee, get_engagement
from summitry.security import passwords
from summitry.security.models import Invitation
from summitry.security.operations import issue_invitation
from summitry.security.tokens import token_hash
from tests.conftest import SECRETARY_PASSWORD

Invitee = tuple[httpx.AsyncClient, Attendee, str]
MakeInvitee = Callable[..., Awaitable[Invitee]]
MakeEngagement = Callable[..., Awaitable[Engagement]]

ASK_FOR_A_NEW_LINK = "Ask the secretariat that invited you for a new one"


# --- the table -----------------------------------------------------------------------------

OPEN = "open"  # anyone: signing in and out, opening a link
SIGNED_IN = "signed in"  # anyone signed in or holding an opened invitation
READER = "reader"  # the secretariat, and those invited to this engagement
SECRETARIAT = "secretariat"  # the host's secretariat only


FOLLOWER = "follower"  # like a reader, but not the press where details are withheld
SPEAKER = "speaker"  # a follower who may take the floor: not an interpreter, not the press
CHAIR = "chair"  # the chair, or the secretariat for the chair
INTERPRETER = "interpreter"  # an interpreter in a booth: nobody in these fixtures has one
PARTY = "party"  # a party's delegation: its chair, head of delegation or delegates
AUTHORISED = "authorised"  # who votes and signs for a party: its head of delegation, its chair
DELEGATIONS = "delegations"  # the secretariat, and the chair, heads and delegates (recordings)

PAST_ACCESS = None
"""``ok`` of a row whose answer depends on the meeting (an item open, someone speaking):
whoever is let through gets a 2xx or a refusal of the floor's rules, never 401, 403 or 404."""

# What must hold before a request of the row (see ``prepare``)
GUEST_WAITING = "the other attendee waits in the lobby"
GUEST_IN_ROOM = "the other attendee is in the room"
CALLER_IN_ROOM = "the caller is in the room"


@dataclass(frozen=True)
class Row:
    access: str
    ok: int | None
    body: Callable[[World], dict[str, Any]] | None = None
    before: str | None = None


@dataclass(frozen=True)
class World:
    """What exists when a request of the table is made."""

    engagement: Engagement  # the invitee's engagement
    other: Engagement  # one the invitee is not invited to
    attendee: Attendee  # someone else invited to ``engagement``
    invitation: Invitation  # ``attendee``'s invitation
    invitation_token: str
    person: Person  # a person of a participating delegation, not yet invited
    account_email: str
    document_id: int  # an outcome document of ``engagement`` (not confidential)
    amendment_id: int  # an amendment to it, proposed by China
    procedure_id: int  # a silence procedure under way on it

    def path_values(self) -> dict[str, object]:
        return {
            "engagement_id": self.engagement.id,
            "attendee_id": self.attendee.id,
            "invitation_id": self.invitation.id,
            # DE takes part, is not the host and has nobody invited: it can be withdrawn.
            "code": "DE",
            "position": 0,
            "request_id": 1,
            "document_id": self.document_id,
            "amendment_id": self.amendment_id,
            "procedure_id": self.procedure_id,
            "number": 1,
            "readout_id": 1,  # none is made: what is asked of it is past access a 404
            "chart": "channels",
        }


LIVE = "/api/v1/engagements/{engagement_id}/live"
FLOOR = "/api/v1/engagements/{engagement_id}/floor"
INTERPRETATION = "/api/v1/engagements/{engagement_id}/interpretation"
TELEPHONE = "/api/v1/engagements/{engagement_id}/telephone"
DOCUMENTS = "/api/v1/engagements/{engagement_id}/documents"
DOCUMENT = DOCUMENTS + "/{document_id}"
PROCEDURE = DOCUMENT + "/procedures/{procedure_id}"
MINUTES = "/api/v1/engagements/{engagement_id}/minutes"

ROUTES: dict[tuple[str, str], Row] = {
    ("POST", "/api/v1/session"): Row(
        OPEN, 200, lambda w: {"email": w.account_email, "password": SECRETARY_PASSWORD}
    ),
    ("POST", "/api/v1/session/invitation"): Row(OPEN, 200, lambda w: {"token": w.invitation_token}),
    ("DELETE", "/api/v1/session"): Row(OPEN, 204),
    ("GET", "/api/v1/me"): Row(SIGNED_IN, 200),
    ("GET", "/api/v1/engagements"): Row(SIGNED_IN, 200),
    ("GET", "/api/v1/engagements/{engagement_id}"): Row(READER, 200),
    # Readouts: a delegation drafts its own; published ones are read by anyone they are open to
    ("GET", "/api/v1/readouts"): Row(OPEN, 200),
    ("GET", "/api/v1/readouts/{readout_id}"): Row(OPEN, 404),
    ("GET", "/api/v1/engagements/{engagement_id}/readouts"): Row(READER, 200),
    ("POST", "/api/v1/engagements/{engagement_id}/readouts"): Row(PARTY, 201, lambda w: {}),
    ("PATCH", "/api/v1/readouts/{readout_id}"): Row(
        SIGNED_IN, 404, lambda w: {"title": "Readout", "body": "Met."}
    ),
    ("POST", "/api/v1/readouts/{readout_id}/approval"): Row(SIGNED_IN, 404),
    ("POST", "/api/v1/readouts/{readout_id}/publication"): Row(SIGNED_IN, 404),
    ("GET", "/api/v1/search"): Row(OPEN, 200),
    ("POST", "/api/v1/engagements"): Row(
        SECRETARIAT,
        201,
        lambda w: {
            "title": "Access check",
            "starts_at": "2021-03-01T10:00:00+01:00",
            "delegations": ["CN", "DE"],
        },
    ),
    ("PATCH", "/api/v1/engagements/{engagement_id}"): Row(
        SECRETARIAT, 200, lambda w: {"title": "Renamed by someone"}
    ),
    ("POST", "/api/v1/engagements/{engagement_id}/delegations"): Row(
        SECRETARIAT, 201, lambda w: {"code": "JP"}
    ),
    ("DELETE", "/api/v1/engagements/{engagement_id}/delegations/{code}"): Row(SECRETARIAT, 200),
    ("POST", "/api/v1/engagements/{engagement_id}/attendees"): Row(
        SECRETARIAT, 201, lambda w: {"person_id": w.person.id, "role": "delegate"}
    ),
    ("DELETE", "/api/v1/engagements/{engagement_id}/attendees/{attendee_id}"): Row(
        SECRETARIAT, 204
    ),
    ("PUT", "/api/v1/engagements/{engagement_id}/agenda"): Row(
        SECRETARIAT, 200, lambda w: {"items": ["Opening", "Closing"]}
    ),
    ("GET", "/api/v1/engagements/{engagement_id}/invitations"): Row(SECRETARIAT, 200),
    ("POST", "/api/v1/engagements/{engagement_id}/attendees/{attendee_id}/invitations"): Row(
        SECRETARIAT, 201
    ),
    ("DELETE", "/api/v1/invitations/{invitation_id}"): Row(SECRETARIAT, 200),
    # The calendar: the secretariat imports a ministry's history; each reader counts what
    # they may see (an invitee: the engagements of their invitations)
    ("POST", "/api/v1/engagements/import"): Row(
        SECRETARIAT,
        200,
        lambda w: {
            "format": "csv",
            "content": "date,counterparts,kind,title\n2019-01-02,FR,ceremony,A",
        },
    ),
    ("GET", "/api/v1/analytics/{chart}"): Row(SIGNED_IN, 200),
    ("GET", "/api/v1/analytics/{chart}.csv"): Row(SIGNED_IN, 200),
    ("GET", "/api/v1/analytics/{chart}.json"): Row(SIGNED_IN, 200),
    ("GET", "/api/v1/delegations"): Row(SECRETARIAT, 200),
    ("POST", "/api/v1/delegations"): Row(SECRETARIAT, 201, lambda w: {"code": "FR"}),
    ("GET", "/api/v1/delegations/{code}"): Row(SECRETARIAT, 200),
    ("GET", "/api/v1/delegations/{code}/people"): Row(SECRETARIAT, 200),
    ("POST", "/api/v1/delegations/{code}/people"): Row(
        SECRETARIAT, 201, lambda w: {"name": "Dr. Newly Recorded", "office": "Ambassador"}
    ),
    # The live meeting
    ("GET", LIVE): Row(FOLLOWER, 200),
    ("GET", LIVE + "/events"): Row(FOLLOWER, 200),
    ("POST", LIVE + "/enter"): Row(FOLLOWER, 200),
    ("POST", LIVE + "/leave"): Row(FOLLOWER, 200, before=CALLER_IN_ROOM),
    # The tests run without a media server: past every check, that is what an admitted
    # person is told.
    ("GET", LIVE + "/media"): Row(FOLLOWER, 404, before=CALLER_IN_ROOM),
    ("POST", LIVE + "/microphone"): Row(
        FOLLOWER, 200, lambda w: {"muted": False}, before=CALLER_IN_ROOM
    ),
    ("POST", LIVE + "/published"): Row(FOLLOWER, 200, before=CALLER_IN_ROOM),
    ("POST", LIVE + "/camera"): Row(FOLLOWER, 200, lambda w: {"on": True}, before=CALLER_IN_ROOM),
    ("POST", LIVE + "/lock"): Row(SECRETARIAT, 200, lambda w: {"locked": True}),
    ("POST", LIVE + "/end"): Row(SECRETARIAT, 200),
    ("POST", LIVE + "/participants/admit"): Row(
        SECRETARIAT, 200, lambda w: {"attendee_ids": [w.attendee.id]}, before=GUEST_WAITING
    ),
    ("POST", LIVE + "/participants/{attendee_id}/admit"): Row(
        SECRETARIAT, 200, before=GUEST_WAITING
    ),
    ("POST", LIVE + "/participants/{attendee_id}/turn-away"): Row(
        SECRETARIAT, 200, before=GUEST_WAITING
    ),
    ("POST", LIVE + "/participants/{attendee_id}/remove"): Row(
        SECRETARIAT, 200, before=GUEST_WAITING
    ),
    ("POST", LIVE + "/participants/{attendee_id}/microphone"): Row(
        SECRETARIAT, 200, lambda w: {"muted": True}, before=GUEST_IN_ROOM
    ),
    # The floor
    ("POST", FLOOR + "/items/{position}/open"): Row(CHAIR, PAST_ACCESS, lambda w: {}),
    ("POST", FLOOR + "/items/close"): Row(CHAIR, PAST_ACCESS),
    ("POST", FLOOR + "/requests"): Row(
        SPEAKER, PAST_ACCESS, lambda w: {"kind": "statement"}, before=CALLER_IN_ROOM
    ),
    ("DELETE", FLOOR + "/requests/{request_id}"): Row(FOLLOWER, PAST_ACCESS),
    ("POST", FLOOR + "/requests/{request_id}/skip"): Row(CHAIR, PAST_ACCESS),
    ("PUT", FLOOR + "/requests/order"): Row(CHAIR, PAST_ACCESS, lambda w: {"request_ids": []}),
    ("POST", FLOOR + "/give"): Row(CHAIR, PAST_ACCESS, lambda w: {}),
    ("POST", FLOOR + "/release"): Row(FOLLOWER, PAST_ACCESS, lambda w: {"cut": False}),
    ("POST", FLOOR + "/extend"): Row(CHAIR, PAST_ACCESS, lambda w: {"seconds": 60}),
    ("POST", FLOOR + "/list"): Row(CHAIR, PAST_ACCESS, lambda w: {"closed": True}),
    ("POST", FLOOR + "/roll-call/open"): Row(CHAIR, PAST_ACCESS),
    ("POST", FLOOR + "/roll-call/answer"): Row(FOLLOWER, PAST_ACCESS, lambda w: {"present": True}),
    ("POST", FLOOR + "/roll-call/close"): Row(CHAIR, PAST_ACCESS),
    ("GET", FLOOR + "/log"): Row(FOLLOWER, 200),
    ("GET", FLOOR + "/log.csv"): Row(FOLLOWER, 200),
    ("GET", FLOOR + "/attendance"): Row(FOLLOWER, 200),
    # Interpretation (the fixtures' engagements have no booths, and no media server)
    ("GET", INTERPRETATION + "/access"): Row(FOLLOWER, 404, before=CALLER_IN_ROOM),
    ("PUT", INTERPRETATION + "/channel"): Row(FOLLOWER, 200, lambda w: {"channel": None}),
    ("POST", INTERPRETATION + "/on-air"): Row(
        INTERPRETER, 403, lambda w: {"on_air": True}, before=CALLER_IN_ROOM
    ),
    ("POST", INTERPRETATION + "/hand-over"): Row(
        INTERPRETER, 403, lambda w: {"to": w.attendee.id}, before=CALLER_IN_ROOM
    ),
    ("PUT", INTERPRETATION + "/relay"): Row(INTERPRETER, 403, lambda w: {"booth": None}),
    ("POST", INTERPRETATION + "/slow-down"): Row(INTERPRETER, 403),
    ("PUT", INTERPRETATION + "/language"): Row(SPEAKER, 200, lambda w: {"language": "de"}),
    ("PUT", INTERPRETATION + "/floor-level"): Row(CHAIR, 200, lambda w: {"percent": 20}),
    ("PUT", "/api/v1/engagements/{engagement_id}/precedence"): Row(
        SECRETARIAT, 200, lambda w: {"rule": "alphabetical", "language": "fr"}
    ),
    # The telephone
    ("GET", TELEPHONE + "/line"): Row(SECRETARIAT, 200),
    ("POST", TELEPHONE + "/line"): Row(SECRETARIAT, 200),
    ("POST", TELEPHONE + "/pins/{attendee_id}"): Row(SECRETARIAT, 200),
    ("GET", TELEPHONE + "/calls"): Row(SECRETARIAT, 200),
    # The tests run without a SIP listener: past every check, that is what the secretariat hears.
    ("POST", TELEPHONE + "/calls"): Row(
        SECRETARIAT,
        409,
        lambda w: {"attendee_id": w.attendee.id, "uri": "sip:delegate@192.0.2.10:5060"},
    ),
    # Outcome documents (the fixture's document is not confidential; a silence procedure runs
    # on it, so what changes the text is past access refused by the procedure, not by role)
    ("GET", DOCUMENTS): Row(FOLLOWER, 200),
    ("POST", DOCUMENTS): Row(
        SECRETARIAT, 201, lambda w: {"kind": "communique", "title": "C", "texts": {"en": "Agreed."}}
    ),
    ("GET", DOCUMENTS + "/screen"): Row(FOLLOWER, 200),
    ("GET", DOCUMENT): Row(FOLLOWER, 200),
    ("GET", DOCUMENT + "/versions"): Row(FOLLOWER, 200),
    ("GET", DOCUMENT + "/versions/{number}"): Row(FOLLOWER, 200),
    ("GET", DOCUMENT + "/compare"): Row(FOLLOWER, 200),
    ("POST", DOCUMENT + "/versions"): Row(
        SECRETARIAT, PAST_ACCESS, lambda w: {"language": "en", "paragraph": 1, "text": "New."}
    ),
    ("POST", DOCUMENT + "/amendments"): Row(
        PARTY, PAST_ACCESS, lambda w: {"language": "en", "paragraph": 1, "action": "delete"}
    ),
    ("POST", DOCUMENT + "/amendments/{amendment_id}/decision"): Row(
        SECRETARIAT, PAST_ACCESS, lambda w: {"decision": "rejected"}
    ),
    ("POST", DOCUMENT + "/screen"): Row(CHAIR, 204, lambda w: {"paragraph": 1}),
    ("POST", DOCUMENT + "/procedures"): Row(CHAIR, PAST_ACCESS, lambda w: {"kind": "consensus"}),
    ("GET", PROCEDURE): Row(FOLLOWER, 200),
    ("POST", PROCEDURE + "/gavel"): Row(CHAIR, PAST_ACCESS),
    ("POST", PROCEDURE + "/silence-breaks"): Row(PARTY, PAST_ACCESS, lambda w: {"reason": "No."}),
    ("POST", PROCEDURE + "/ballots"): Row(AUTHORISED, PAST_ACCESS, lambda w: {"choice": "yes"}),
    ("POST", PROCEDURE + "/withdraw"): Row(SECRETARIAT, 200),
    ("POST", DOCUMENT + "/copy"): Row(SECRETARIAT, PAST_ACCESS),
    ("POST", DOCUMENT + "/signatures"): Row(AUTHORISED, PAST_ACCESS),
    ("GET", DOCUMENT + "/pdf"): Row(FOLLOWER, 404),  # not adopted: no copy yet
    ("POST", DOCUMENT + "/check"): Row(FOLLOWER, PAST_ACCESS, lambda w: {"pdf_base64": "JVBERi0="}),
    ("POST", DOCUMENTS + "/certificates"): Row(
        SECRETARIAT,
        422,  # past every check, the file is no PKCS#12
        lambda w: {"attendee_id": w.attendee.id, "pkcs12_base64": "AAAA", "password": "x"},
    ),
    ("POST", DOCUMENTS + "/certificates/service"): Row(
        SECRETARIAT,
        422,  # past every check, no signing service is configured
        lambda w: {
            "attendee_id": w.attendee.id,
            "service": "x",
            "credential_id": "c",
            "token": "t",
        },
    ),
    ("GET", "/api/v1/signing/root.pem"): Row(OPEN, 200),
    # Minutes: the draft is the secretariat's (the fixture's engagement has none yet: past
    # access, that is what the secretariat is told); published ones are read by followers.
    ("GET", MINUTES + "/draft"): Row(SECRETARIAT, 404),
    ("POST", MINUTES + "/draft"): Row(SECRETARIAT, 200),
    ("PATCH", MINUTES + "/draft"): Row(SECRETARIAT, 404, lambda w: {"introduction": "Met."}),
    ("POST", MINUTES + "/versions"): Row(SECRETARIAT, 404),
    ("GET", MINUTES + "/versions"): Row(FOLLOWER, 200),
    ("GET", MINUTES + "/versions/{number}"): Row(FOLLOWER, 404),
    ("GET", MINUTES + "/versions/{number}/pdf"): Row(FOLLOWER, 404),
    # Recordings: the secretariat switches; the delegations (not the press, the interpreters,
    # observers or technicians) hear them.
    ("PUT", "/api/v1/engagements/{engagement_id}/recording"): Row(
        SECRETARIAT, 200, lambda w: {"on": False}
    ),
    ("GET", "/api/v1/engagements/{engagement_id}/recordings"): Row(DELEGATIONS, 200),
}
WEBSOCKETS = {LIVE + "/ws": FOLLOWER}


def api_routes(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the application answers under /api/v1, however routers nest."""
    found = set()
    for context in iter_route_contexts(app.routes):
        if not context.path or not context.path.startswith("/api/v1"):
            continue
        if isinstance(context.original_route, APIRoute):
            found |= {(method, context.path) for method in context.methods or ()}
        elif isinstance(context.original_route, APIWebSocketRoute):
            found.add(("WEBSOCKET", context.path))
    return found


def test_every_api_route_has_a_row(tmp_path: Any) -> None:
    app = create_app(Settings(data_dir=tmp_path, secret_key="x" * 40, media=False))
    routes = api_routes(app)
    known = ROUTES.keys() | {("WEBSOCKET", path) for path in WEBSOCKETS}
    assert routes - known == set(), "a new API route needs a row in ROUTES (or WEBSOCKETS)"
    assert known - routes == set(), "ROUTES names a route the API no longer has"


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its production cost takes about a second here; these tests are about access,
    not about the hash, and sign in a few hundred times."""
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


async def table_counts(db: AsyncSession) -> tuple[Any, ...]:
    """How many of each thing are recorded: a refused request must change none of them. One
    query, as it is asked before every request of every caller (some twenty thousand times)."""
    counted = [
        f"(SELECT count(*) FROM {name})"  # noqa: S608 - table names from this list
        for name in (
            "engagement",
            "participation",
            "attendee",
            "agenda_item",
            "invitation",
            "delegation",
            "person",
        )
    ]
    counted.append("(SELECT count(*) FROM invitation WHERE revoked_at IS NOT NULL)")
    row = (await db.execute(text(f"SELECT {', '.join(counted)}"))).one()
    titles = await db.scalars(select(Engagement.title).order_by(Engagement.id))
    return (*row, hash(tuple(titles)))


@pytest.fixture
async def world(
    db: AsyncSession,
    make_engagement: MakeEngagement,
    make_person: Callable[..., Awaitable[Person]],
    make_delegation: Callable[..., Awaitable[Delegation]],
    make_account: Callable[..., Awaitable[Any]],
) -> World:
    engagement = await make_engagement(("CN", "DE", "EUCO"))
    other = await make_engagement(("CN", "DE", "EUCO"))
    await make_delegation("JP")
    someone = await make_person("CN")
    attendee = await add_attendee(db, engagement, someone, Role.DELEGATE, by="Test")
    engagement = await get_engagement(db, engagement.id)
    issued = await issue_invitation(db, engagement, attendee.id, days=14, by="Test")
    person = await make_person("CN")
    account = await make_account()
    document_id, amendment_id, procedure_id = await outcome_document(db, engagement, someone)
    return World(
        engagement=engagement,
        other=other,
        attendee=attendee,
        invitation=issued.invitation,
        invitation_token=issued.token,
        person=person,
        account_email=account.email,
        document_id=document_id,
        amendment_id=amendment_id,
        procedure_id=procedure_id,
    )


async def outcome_document(
    db: AsyncSession, engagement: Engagement, delegate: Person
) -> tuple[int, int, int]:
    """A document of the engagement, an amendment China proposed to it, and a silence
    procedure on it, made through the capability's operations."""
    from summitry.documents import adoption, drafting
    from summitry.documents.actors import Actor
    from summitry.documents.models import DocumentKind, ProcedureKind
    from summitry.documents.texts import Change

    secretariat = Actor("Secretariat", True)
    text = {"en": "The Parties agree.\n\nThey meet again."}
    draft = drafting.Draft(DocumentKind.COMMUNIQUE, "Communiqué", text, confidential=False)
    document = await drafting.draft(db, secretariat, engagement.id, draft)
    china = Actor("Delegate", False, Role.DELEGATE, "CN", delegate.id, "China", "Minister")
    amendment = await drafting.propose(db, china, document, Change("en", 2, "delete"))
    deadline = utcnow() + dt.timedelta(hours=1)
    procedure = await adoption.open_procedure(
        db, secretariat, document, ProcedureKind.SILENCE, deadline
    )
    return document.id, amendment.id, procedure.id


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role | None
    client: httpx.AsyncClient
    attendee_id: int | None = None


@pytest.fixture
async def callers(
    world: World,
    db: AsyncSession,
    make_client: Callable[[], httpx.AsyncClient],
    make_person: Callable[..., Awaitable[Person]],
) -> AsyncIterator[list[Caller]]:
    """A client for each principal, the secretariat last (its requests change things). The
    invitees are made together (as ``make_invitee`` makes one): every route's test makes them."""
    engagement = await get_engagement(db, world.engagement.id)
    attendees = [
        await add_attendee(db, engagement, await make_person("CN"), role, by="Test")
        for role in Role
    ]
    engagement = await get_engagement(db, world.engagement.id)
    found = [Caller("anonymous", None, make_client())]
    for attendee in attendees:
        issued = await issue_invitation(db, engagement, attendee.id, days=14, by="Test")
        invited = make_client()
        opened = await invited.post("/api/v1/session/invitation", json={"token": issued.token})
        assert opened.status_code == 200, opened.text
        found.append(Caller(f"invitee:{attendee.role.value}", attendee.role, invited, attendee.id))
    secretary = make_client()
    credentials = {"email": world.account_email, "password": SECRETARY_PASSWORD}
    assert (await secretary.post("/api/v1/session", json=credentials)).status_code == 200
    found.append(Caller("secretariat", None, secretary))
    yield found
    for caller in found:
        await caller.client.aclose()


# --- every route × every principal ----------------------------------------------------------


def expected_status(row: Row, caller: Caller) -> int | None:
    """The status ``caller`` must get; ``PAST_ACCESS`` where only being let through is fixed."""
    if row.access == INTERPRETER:
        return 401 if caller.name == "anonymous" else 403
    if row.access in (PARTY, AUTHORISED) and caller.name == "secretariat":
        return 403
    if row.access == OPEN or caller.name == "secretariat":
        return row.ok
    if caller.role is None:
        return 401
    if row.access in (SIGNED_IN, READER):
        return row.ok
    # The engagements of the fixtures are restricted: the press may not follow them.
    following = caller.role is not Role.PRESS
    if row.access == FOLLOWER and following:
        return row.ok
    # Interpreters and technicians serve the meeting: they never take the floor.
    speaks = caller.role not in (Role.INTERPRETER, Role.TECHNICIAN)
    if row.access == SPEAKER and following and speaks:
        return row.ok
    if row.access == CHAIR and caller.role is Role.CHAIR:
        return row.ok
    # Outcome documents: a party's delegation amends and breaks silence, its head (or its
    # chair) votes and signs; the secretariat does neither.
    if row.access == PARTY and following and caller.role in PARTY_ROLES:
        return row.ok
    if row.access == AUTHORISED and caller.role in (Role.CHAIR, Role.HEAD_OF_DELEGATION):
        return row.ok
    if row.access == DELEGATIONS and following and caller.role in PARTY_ROLES:
        return row.ok
    return 403


PARTY_ROLES = (Role.CHAIR, Role.HEAD_OF_DELEGATION, Role.DELEGATE)


async def prepare(
    row: Row,
    world: World,
    callers: list[Caller],
    make_client: Callable[[], httpx.AsyncClient],
) -> None:
    """Bring the meeting to where the requests of ``row`` can succeed."""
    live = LIVE.format(engagement_id=world.engagement.id)
    secretary = callers[-1].client
    if row.before in (GUEST_WAITING, GUEST_IN_ROOM):
        async with make_client() as guest:
            opened = await guest.post(
                "/api/v1/session/invitation", json={"token": world.invitation_token}
            )
            assert opened.status_code == 200
            assert (await guest.post(f"{live}/enter")).status_code == 200
    if row.before == GUEST_IN_ROOM:
        admitted = await secretary.post(f"{live}/participants/{world.attendee.id}/admit")
        assert admitted.status_code == 200, admitted.text


async def enter_the_room(caller: Caller, world: World, secretary: httpx.AsyncClient) -> None:
    live = LIVE.format(engagement_id=world.engagement.id)
    if caller.role is Role.PRESS or caller.name == "anonymous":
        return  # kept out: the request itself shows how
    assert (await caller.client.post(f"{live}/enter")).status_code == 200
    if caller.attendee_id is not None:
        admitted = await secretary.post(f"{live}/participants/{caller.attendee_id}/admit")
        assert admitted.status_code == 200, admitted.text


@pytest.mark.parametrize(
    ("method", "path"), sorted(ROUTES), ids=[" ".join(r) for r in sorted(ROUTES)]
)
async def test_route_admits_only_whom_it_should(
    method: str,
    path: str,
    callers: list[Caller],
    world: World,
    db: AsyncSession,
    make_client: Callable[[], httpx.AsyncClient],
    subtests: pytest.Subtests,
) -> None:
    row = ROUTES[method, path]
    url = path.format(**world.path_values())
    body = row.body(world) if row.body else None
    await prepare(row, world, callers, make_client)
    for caller in callers:
        with subtests.test(principal=caller.name):
            if row.before == CALLER_IN_ROOM:
                await enter_the_room(caller, world, callers[-1].client)
            before = await table_counts(db)
            response = await caller.client.request(method, url, json=body)
            expected = expected_status(row, caller)
            if expected is PAST_ACCESS:
                assert response.status_code not in (401, 403, 404), response.text
                assert response.status_code < 500, response.text
                continue
            assert response.status_code == expected, response.text
            if expected in (401, 403):
                error = response.json()["error"]
                if expected == 401:
                    assert error["code"] == "not_signed_in"
                    assert "sign in" in error["message"]
                else:
                    assert error["code"] == "forbidden"
                    # The press are kept out of a restricted meeting at one door or another.
                    assert caller.role is Role.PRESS or any(
                        reason in error["message"]
                        for reason in (
                            "only the secretariat",
                            "only the chair",
                            "does not take",
                            "only an interpreter",
                            "delegations of the parties",
                            "delegation taking part",
                            "not authorised",
                        )
                    ), error
                assert await table_counts(db) == before, "a refused request changed something"
            elif caller.role is not None:
                check_what_an_invitee_sees(method, path, response, world, caller)
            elif caller.name == "secretariat" and (method, path) == ("GET", "/api/v1/engagements"):
                listed = {e["id"] for e in response.json()}
                assert {world.engagement.id, world.other.id} <= listed


def check_what_an_invitee_sees(
    method: str, path: str, response: httpx.Response, world: World, caller: Caller
) -> None:
    role = caller.role
    if (method, path) == ("GET", "/api/v1/engagements"):
        assert [e["id"] for e in response.json()] == [world.engagement.id]
    elif (method, path) == ("GET", "/api/v1/me"):
        assert response.json()["kind"] == "invitee"
        assert response.json()["grants"] == [
            {"engagement_id": world.engagement.id, "role": role.value}
        ]
    elif (method, path) == ("GET", "/api/v1/engagements/{engagement_id}"):
        shown = response.json()
        assert shown["id"] == world.engagement.id
        # The engagements of the fixtures are restricted: only the press are kept out.
        assert shown["details_withheld"] is (role is Role.PRESS)
        assert bool(shown["attendees"]) is (role is not Role.PRESS)
        assert bool(shown["agenda"]) is (role is not Role.PRESS)
    elif (method, path) == ("GET", LIVE):
        assert response.json()["me"] == caller.attendee_id
        assert world.attendee.id in [p["attendee_id"] for p in response.json()["roster"]]


# --- engagements one is not invited to -------------------------------------------------------


@pytest.mark.parametrize("role", list(Role), ids=str)
async def test_an_engagement_one_is_not_invited_to_does_not_exist(
    role: Role, make_engagement: MakeEngagement, make_invitee: MakeInvitee
) -> None:
    mine = await make_engagement(("CN", "DE", "EUCO"))
    theirs = await make_engagement(("CN", "FR", "EUCO"), confidentiality="public")
    invited, _attendee, _token = await make_invitee(mine, role, code="CN")

    hidden = await invited.get(f"/api/v1/engagements/{theirs.id}")
    absent = await invited.get("/api/v1/engagements/2147483000")

    assert hidden.status_code == 404
    # The same answer as for an id nobody uses: an outsider learns nothing.
    assert hidden.json() == absent.json()
    assert theirs.title not in hidden.text
    listed = await invited.get("/api/v1/engagements")
    assert [e["id"] for e in listed.json()] == [mine.id]
    assert (await invited.get(f"/api/v1/engagements/{mine.id}")).status_code == 200


async def test_one_session_sees_each_engagement_it_holds_a_link_for(
    db: AsyncSession, make_engagement: MakeEngagement, make_invitee: MakeInvitee
) -> None:
    first = await make_engagement(("CN", "DE", "EUCO"))
    second = await make_engagement(("CN", "DE", "EUCO"))
    third = await make_engagement(("CN", "DE", "EUCO"))
    invited, attendee, _token = await make_invitee(first, Role.DELEGATE, code="CN")
    second = await get_engagement(db, second.id)
    again = await add_attendee(db, second, attendee.person, Role.OBSERVER, by="Test")
    issued = await issue_invitation(
        db, await get_engagement(db, second.id), again.id, days=1, by="Test"
    )
    opened = await invited.post("/api/v1/session/invitation", json={"token": issued.token})
    assert opened.status_code == 200, opened.text

    listed = await invited.get("/api/v1/engagements")

    assert [e["id"] for e in listed.json()] == [first.id, second.id]
    assert (await invited.get(f"/api/v1/engagements/{third.id}")).status_code == 404
    grants = (await invited.get("/api/v1/me")).json()["grants"]
    assert grants == [
        {"engagement_id": first.id, "role": "delegate"},
        {"engagement_id": second.id, "role": "observer"},
    ]


# --- what the press see ---------------------------------------------------------------------


@pytest.mark.parametrize("confidentiality", ["restricted", "confidential"])
async def test_press_see_no_details_of_a_closed_engagement(
    confidentiality: str, make_engagement: MakeEngagement, make_invitee: MakeInvitee
) -> None:
    engagement = await make_engagement(
        confidentiality=confidentiality, description="Talking points on the sanctions regime"
    )
    await make_invitee(engagement, Role.HEAD_OF_DELEGATION, code="CN")
    press, _attendee, _token = await make_invitee(engagement, Role.PRESS, code="DE")

    response = await press.get(f"/api/v1/engagements/{engagement.id}")

    assert response.status_code == 200
    shown = response.json()
    assert shown["details_withheld"] is True
    assert shown["attendees"] == []
    assert shown["agenda"] == []
    assert shown["description"] == ""
    assert "sanctions" not in response.text
    assert "Geographical indications" not in response.text
    # What a press release would say anyway is still there.
    assert shown["title"] == engagement.title
    assert [d["code"] for d in shown["delegations"]] == ["CN", "DE", "EUCO"]


async def test_press_see_the_details_of_a_public_engagement(
    make_engagement: MakeEngagement, make_invitee: MakeInvitee
) -> None:
    engagement = await make_engagement(confidentiality="public", description="Open to all")
    _head, head, _token = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, code="CN")
    press, _attendee, _token = await make_invitee(engagement, Role.PRESS, code="DE")

    shown = (await press.get(f"/api/v1/engagements/{engagement.id}")).json()

    assert shown["details_withheld"] is False
    assert head.id in [a["id"] for a in shown["attendees"]]
    assert [i["title"] for i in shown["agenda"]] == ["Opening", "Geographical indications"]
    assert shown["description"] == "Open to all"


# --- invitation links that no longer admit ----------------------------------------------------


def _flip(token: str, at: int) -> str:
    replacement = "A" if token[at] != "A" else "B"
    return token[:at] + replacement + token[at + 1 :]


async def _expire(db: AsyncSession, invitation_id: int) -> None:
    await db.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id)
        .values(expires_at=utcnow() - dt.timedelta(minutes=1))
    )
    await db.commit()


async def _invitation_of(db: AsyncSession, token: str) -> Invitation:
    found = await db.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
    assert found is not None
    return found


@pytest.mark.parametrize(
    "spoil", ["expired", "revoked", "altered", "altered at the start", "unknown", "too short"]
)
async def test_a_spoilt_invitation_link_is_refused_with_a_way_forward(
    spoil: str,
    db: AsyncSession,
    make_engagement: MakeEngagement,
    make_invitee: MakeInvitee,
    secretariat: httpx.AsyncClient,
    client: httpx.AsyncClient,
) -> None:
    engagement = await make_engagement()
    _invited, _attendee, token = await make_invitee(engagement, Role.DELEGATE)
    invitation = await _invitation_of(db, token)
    if spoil == "expired":
        await _expire(db, invitation.id)
    elif spoil == "revoked":
        revoked = await secretariat.delete(f"/api/v1/invitations/{invitation.id}")
        assert revoked.status_code == 200
        assert revoked.json()["state"] == "revoked"
    elif spoil == "altered":
        token = _flip(token, len(token) // 2)
    elif spoil == "altered at the start":
        token = _flip(token, 0)
    elif spoil == "unknown":
        token = "q" * len(token)
    else:
        token = token[:8]

    response = await client.post("/api/v1/session/invitation", json={"token": token})

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "invitation_unusable"
    assert ASK_FOR_A_NEW_LINK in error["message"]
    # Nothing was opened: the anonymous client is still nobody.
    assert (await client.get("/api/v1/me")).status_code == 401


@pytest.mark.parametrize("end", ["revoked", "expired", "withdrawn from the engagement"])
async def test_a_session_ends_at_once_when_its_link_stops_working(
    end: str,
    db: AsyncSession,
    make_engagement: MakeEngagement,
    make_invitee: MakeInvitee,
    secretariat: httpx.AsyncClient,
) -> None:
    engagement = await make_engagement()
    invited, attendee, token = await make_invitee(engagement, Role.HEAD_OF_DELEGATION)
    assert (await invited.get(f"/api/v1/engagements/{engagement.id}")).status_code == 200
    invitation = await _invitation_of(db, token)

    if end == "revoked":
        response = await secretariat.delete(f"/api/v1/invitations/{invitation.id}")
        assert response.status_code == 200
    elif end == "expired":
        await _expire(db, invitation.id)
    else:
        response = await secretariat.delete(
            f"/api/v1/engagements/{engagement.id}/attendees/{attendee.id}"
        )
        assert response.status_code == 204

    for path in ("/api/v1/me", f"/api/v1/engagements/{engagement.id}", "/api/v1/engagements"):
        response = await invited.get(path)
        assert response.status_code == 401, (path, response.text)
        assert response.json()["error"]["code"] == "not_signed_in"
    reopened = await invited.post("/api/v1/session/invitation", json={"token": token})
    assert reopened.status_code == 403


async def test_revoking_one_link_leaves_the_others_of_the_session(
    db: AsyncSession,
    make_engagement: MakeEngagement,
    make_invitee: MakeInvitee,
    secretariat: httpx.AsyncClient,
) -> None:
    first = await make_engagement()
    second = await make_engagement()
    invited, attendee, first_token = await make_invitee(first, Role.DELEGATE, code="CN")
    again = await add_attendee(
        db, await get_engagement(db, second.id), attendee.person, Role.CHAIR, by="Test"
    )
    issued = await issue_invitation(
        db, await get_engagement(db, second.id), again.id, days=1, by="Test"
    )
    assert (
        await invited.post("/api/v1/session/invitation", json={"token": issued.token})
    ).status_code == 200

    first_invitation = await _invitation_of(db, first_token)
    assert (await secretariat.delete(f"/api/v1/invitations/{first_invitation.id}")).is_success

    assert (await invited.get(f"/api/v1/engagements/{first.id}")).status_code == 404
    assert (await invited.get(f"/api/v1/engagements/{second.id}")).status_code == 200
    assert [e["id"] for e in (await invited.get("/api/v1/engagements")).json()] == [second.id]


# --- tokens ---------------------------------------------------------------------------------

URL_SAFE = set(string.ascii_letters + string.digits + "-_")


async def test_issued_tokens_are_long_random_and_stored_only_as_a_hash(
    db: AsyncSession, make_engagement: MakeEngagement, secretariat: httpx.AsyncClient
) -> None:
    engagement = await make_engagement()
    attendee_ids = []
    for _ in range(3):
        person = await secretariat.post(
            "/api/v1/delegations/CN/people", json={"name": f"Envoy {_}", "office": "Envoy"}
        )
        added = await secretariat.post(
            f"/api/v1/engagements/{engagement.id}/attendees",
            json={"person_id": person.json()["id"], "role": "delegate"},
        )
        attendee_ids.append(added.json()["id"])

    tokens = []
    for attendee_id in attendee_ids:
        response = await secretariat.post(
            f"/api/v1/engagements/{engagement.id}/attendees/{attendee_id}/invitations"
        )
        assert response.status_code == 201
        url = response.json()["url"]
        assert url.startswith("http://summitry.test/invitation/")
        tokens.append(url.rsplit("/", 1)[1])

    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert set(token) <= URL_SAFE
        assert len(token) * 6 >= 128, "an invitation token needs at least 128 bits"
        rows = (await db.execute(text("SELECT * FROM invitation"))).all()
        stored = " ".join(str(value) for row in rows for value in row)
        assert token not in stored
        assert token_hash(token) in stored

    listed = await secretariat.get(f"/api/v1/engagements/{engagement.id}/invitations")
    shown = await secretariat.get(f"/api/v1/engagements/{engagement.id}")
    for token in tokens:
        assert token not in listed.text
        assert token not in shown.text
    assert {i["state"] for i in listed.json()} == {"valid"}
    assert "url" not in listed.json()[0]


async def test_an_invitation_link_works_once_opened_in_a_browser(
    make_engagement: MakeEngagement, secretariat: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    engagement = await make_engagement()
    person = await secretariat.post(
        "/api/v1/delegations/DE/people", json={"name": "A. Diplomat", "office": "Sherpa"}
    )
    attendee = await secretariat.post(
        f"/api/v1/engagements/{engagement.id}/attendees",
        json={"person_id": person.json()["id"], "role": "interpreter"},
    )
    issued = await secretariat.post(
        f"/api/v1/engagements/{engagement.id}/attendees/{attendee.json()['id']}/invitations"
    )
    token = issued.json()["url"].rsplit("/", 1)[1]

    opened = await client.post("/api/v1/session/invitation", json={"token": token})

    assert opened.status_code == 200
    assert opened.json() == {
        "kind": "invitee",
        "name": "A. Diplomat",
        "grants": [{"engagement_id": engagement.id, "role": "interpreter"}],
    }
    listed = await secretariat.get(f"/api/v1/engagements/{engagement.id}/invitations")
    assert listed.json()[0]["last_used_at"] is not None


# --- signing in -----------------------------------------------------------------------------


async def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(
    client: httpx.AsyncClient, make_account: Callable[..., Awaitable[Any]]
) -> None:
    account = await make_account()

    wrong_password = await client.post(
        "/api/v1/session", json={"email": account.email, "password": "not the password"}
    )
    unknown_address = await client.post(
        "/api/v1/session", json={"email": "nobody@mfa.example", "password": "not the password"}
    )

    assert wrong_password.status_code == unknown_address.status_code == 401
    assert wrong_password.json() == unknown_address.json()
    assert "e-mail address or the password" in wrong_password.json()["error"]["message"]
    assert "summitry_session" not in wrong_password.cookies
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_signing_in_ignores_the_case_of_the_address(
    client: httpx.AsyncClient, make_account: Callable[..., Awaitable[Any]]
) -> None:
    account = await make_account(email="Chef.Du.Protocole@MFA.example")

    response = await client.post(
        "/api/v1/session", json={"email": account.email.upper(), "password": SECRETARY_PASSWORD}
    )

    assert response.status_code == 200
    assert response.json()["kind"] == "secretariat"


async def test_signing_out_ends_the_session(secretariat: httpx.AsyncClient) -> None:
    assert (await secretariat.get("/api/v1/me")).status_code == 200

    assert (await secretariat.delete("/api/v1/session")).status_code == 204

    assert (await secretariat.get("/api/v1/me")).status_code == 401
    assert (await secretariat.get("/api/v1/delegations")).status_code == 401


async def test_a_forged_session_cookie_is_nobody(client: httpx.AsyncClient) -> None:
    client.cookies.set("summitry_session", "eyJhY2NvdW50X2lkIjogMX0=.forged.signature")

    response = await client.get("/api/v1/delegations")

    assert response.status_code == 401


async def test_the_session_cookie_is_out_of_reach_of_scripts_and_other_sites(
    client: httpx.AsyncClient, make_account: Callable[..., Awaitable[Any]]
) -> None:
    account = await make_account()

    response = await client.post(
        "/api/v1/session", json={"email": account.email, "password": SECRETARY_PASSWORD}
    )

    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("summitry_session=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


# --- the live meeting's WebSocket -----------------------------------------------------------


async def open_socket(app: Any, path: str, client: httpx.AsyncClient) -> dict[str, Any]:
    """Connect to a WebSocket of ``app`` with ``client``'s cookie; the first thing it says."""
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"summitry.test"), (b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("summitry.test", 80),
        "subprotocols": [],
        "state": {},
    }
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "websocket.connect"})
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    try:
        while True:
            message = await asyncio.wait_for(outbox.get(), timeout=10)
            if message["type"] == "websocket.close":
                return {"closed": message["code"]}
            if message["type"] == "websocket.send":
                return dict(json.loads(message["text"]))
    finally:
        await inbox.put({"type": "websocket.disconnect", "code": 1000})
        # An open feed notices a goodbye only at its next heartbeat: do not wait for that.
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_the_live_socket_admits_only_whom_it_should(
    app: Any,
    world: World,
    callers: list[Caller],
) -> None:
    path = (LIVE + "/ws").format(engagement_id=world.engagement.id)
    assert WEBSOCKETS[LIVE + "/ws"] == FOLLOWER
    for caller in callers:
        first = await open_socket(app, path, caller.client)
        if caller.name == "anonymous":
            assert first == {"closed": 4401}
        elif caller.role is Role.PRESS:
            assert "closed" in first, "the press must not follow a restricted meeting"
        else:
            assert first["type"] == "hello", (caller.name, first)
            assert world.attendee.id in [p["attendee_id"] for p in first["roster"]]

    outsider = await open_socket(
        app, (LIVE + "/ws").format(engagement_id=world.other.id), callers[1].client
    )
    assert outsider == {"closed": 4404}
