"""Notices to every party's delegation, on both databases: on "My engagements" and by e-mail
through a real SMTP server on loopback; confidential texts not e-mailed; a person struck off
not written to; a mail server that is away tried again, and each e-mail sent once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.delegations.models import Person
from summitry.engagements.models import Attendee, Engagement, Role
from summitry.notices.mailer import MailServer, send_due
from summitry.notices.models import NoticeMail
from tests.support.mail import Mailbox, mail_server
from tests.support.postgres import free_port

Invitee = Callable[..., Awaitable[tuple[httpx.AsyncClient, Attendee, str]]]

TEXT = "1. The Parties welcome the agreement.\n\n2. It enters into force on signature."


@pytest.fixture
def smtp() -> Iterator[tuple[str, Mailbox]]:
    with mail_server() as running:
        yield running


def _server(url: str) -> MailServer:
    return MailServer.parse(url, "Protocol <protocol@mfa.example>", "https://summitry.example")


async def _addressed(db: AsyncSession, attendee: Attendee, address: str) -> None:
    await db.execute(update(Person).where(Person.id == attendee.person_id).values(email=address))
    await db.commit()


async def _document(secretariat: httpx.AsyncClient, engagement: Engagement, **extra: Any) -> Any:
    body = {
        "kind": "joint_statement",
        "title": "Joint statement on vaccines",
        "texts": {"en": TEXT},
    }
    response = await secretariat.post(
        f"/api/v1/engagements/{engagement.id}/documents", json=body | extra
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _open_silence(
    secretariat: httpx.AsyncClient, engagement: Engagement, document: Any
) -> Any:
    opened = await secretariat.post(
        f"/api/v1/engagements/{engagement.id}/documents/{document['id']}/procedures",
        json={"kind": "silence", "hours": 72},
    )
    assert opened.status_code == 201, opened.text
    return opened.json()


async def test_a_silence_procedure_reaches_each_party_on_its_page_and_by_mail_in_its_capitals_time(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invitee,
    db: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp: tuple[str, Mailbox],
) -> None:
    url, mailbox = smtp
    engagement = await make_engagement(("CN", "EUCO", "DE"))
    document = await _document(secretariat, engagement, parties=["CN", "EUCO"], confidential=False)
    people = {}
    for code, role, address in [
        ("CN", Role.HEAD_OF_DELEGATION, "head@cn.example"),
        ("CN", Role.DELEGATE, "delegate@cn.example"),
        ("CN", Role.PRESS, "press@cn.example"),
        ("EUCO", Role.HEAD_OF_DELEGATION, "head@euco.example"),
        ("DE", Role.HEAD_OF_DELEGATION, "head@de.example"),
    ]:
        client, attendee, _ = await make_invitee(engagement, role, code)
        await _addressed(db, attendee, address)
        people[address] = client

    opened = await _open_silence(secretariat, engagement, document)
    assert await send_due(sessionmaker, _server(url), None) == 3
    # The parties' delegations, each once; not the press, not a delegation that is no party.
    assert sorted(r for rcpt, _ in mailbox.messages for r in rcpt) == [
        "delegate@cn.example",
        "head@cn.example",
        "head@euco.example",
    ]
    deadline = dt.datetime.fromisoformat(opened["deadline"])
    letter = mailbox.to("head@cn.example")[0]
    assert letter["Subject"] == (
        f"Silence procedure on “Joint statement on vaccines”: until {deadline:%Y-%m-%d %H:%M} UTC"
    )
    assert letter["From"] == "Protocol <protocol@mfa.example>"
    body = letter.get_content()
    beijing = deadline.astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"{beijing:%Y-%m-%d %H:%M} (UTC+08:00) in your capital" in body
    assert (
        f"https://summitry.example/engagements/{engagement.id}/documents/{document['id']}" in body
    )
    # Sent once: a second round finds nothing due.
    assert await send_due(sessionmaker, _server(url), None) == 0
    assert len(mailbox.messages) == 3

    page = (await people["delegate@cn.example"].get("/my")).text
    assert "Notices to your delegation" in page
    assert "Silence procedure on “Joint statement on vaccines”" in page
    for outsider in ("press@cn.example", "head@de.example"):
        assert "Silence procedure on" not in (await people[outsider].get("/my")).text

    broken = await people["head@euco.example"].post(
        f"/api/v1/engagements/{engagement.id}/documents/{document['id']}"
        f"/procedures/{opened['id']}/silence-breaks",
        json={"reason": "Paragraph 2 needs a date."},
    )
    assert broken.status_code in (200, 201), broken.text
    assert await send_due(sessionmaker, _server(url), None) == 3
    ended = mailbox.to("head@cn.example")[-1]
    assert ended["Subject"] == "“Joint statement on vaccines”: silence broken by EUCO"
    page = (await people["head@cn.example"].get("/my")).text
    assert page.index("silence broken by EUCO") < page.index("Silence procedure on")


async def test_a_confidential_text_is_not_mailed_and_one_struck_off_is_not_written_to(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invitee,
    db: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp: tuple[str, Mailbox],
) -> None:
    url, mailbox = smtp
    engagement = await make_engagement(("CN", "EUCO"))
    document = await _document(
        secretariat, engagement, confidential=True, title="Draft declaration on Hong Kong"
    )
    head, head_attendee, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "CN")
    _, struck, _ = await make_invitee(engagement, Role.DELEGATE, "EUCO")
    await _addressed(db, head_attendee, "head@cn.example")
    await _addressed(db, struck, "delegate@euco.example")
    await _open_silence(secretariat, engagement, document)
    removed = await secretariat.delete(f"/api/v1/engagements/{engagement.id}/attendees/{struck.id}")
    assert removed.status_code in (200, 204), removed.text

    assert await send_due(sessionmaker, _server(url), None) == 1
    [(recipients, letter)] = mailbox.messages
    assert recipients == ["head@cn.example"]
    assert "Hong Kong" not in letter["Subject"] + letter.get_content()
    assert letter["Subject"] == "A confidential notice for the delegation of China"
    # Who may read it reads the notice itself on the page.
    assert "Draft declaration on Hong Kong" in (await head.get("/my")).text
    dropped = await db.scalar(select(NoticeMail.dropped).where(NoticeMail.address.like("%euco%")))
    assert dropped == "no longer attends the engagement in a role the notice is for"


async def test_a_mail_server_that_is_away_is_tried_again_later_and_each_mail_goes_once(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invitee,
    db: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    engagement = await make_engagement(("CN", "EUCO"))
    document = await _document(secretariat, engagement)
    _, attendee, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "CN")
    await _addressed(db, attendee, "head@cn.example")
    await _open_silence(secretariat, engagement, document)

    port = free_port()
    away = _server(f"smtp://127.0.0.1:{port}")
    assert await send_due(sessionmaker, away, None) == 0
    mail = await db.scalar(select(NoticeMail).where(NoticeMail.address == "head@cn.example"))
    assert mail is not None
    await db.refresh(mail)
    assert (mail.attempts, mail.sent_at, mail.dropped) == (1, None, None)
    assert mail.last_error
    # Not due again at once: a minute later.
    with mail_server(port) as (_, mailbox):
        assert await send_due(sessionmaker, away, None) == 0
        later = mail.next_attempt_at + dt.timedelta(seconds=1)
        assert await send_due(sessionmaker, away, later) == 1
        assert await send_due(sessionmaker, away, later) == 0
        assert [rcpt for rcpt, _ in mailbox.messages] == [["head@cn.example"]]


async def test_each_party_is_told_when_the_copy_awaits_its_signature(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Invitee,
    db: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    smtp: tuple[str, Mailbox],
) -> None:
    url, mailbox = smtp
    engagement = await make_engagement(("CN", "EUCO"))
    document = await _document(secretariat, engagement, confidential=False)
    head, attendee, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "EUCO")
    await _addressed(db, attendee, "head@euco.example")
    base = f"/api/v1/engagements/{engagement.id}/documents/{document['id']}"
    opened = await secretariat.post(f"{base}/procedures", json={"kind": "consensus"})
    assert opened.status_code == 201, opened.text
    gavel = await secretariat.post(f"{base}/procedures/{opened.json()['id']}/gavel")
    assert gavel.status_code == 200, gavel.text
    prepared = await secretariat.post(f"{base}/copy")
    assert prepared.status_code in (200, 201), prepared.text

    assert await send_due(sessionmaker, _server(url), None) == 2
    subjects = [m["Subject"] for m in mailbox.to("head@euco.example")]
    assert subjects == [
        "“Joint statement on vaccines”: adopted by consensus",
        "“Joint statement on vaccines” is ready for signature",
    ]
    signing = f"/engagements/{engagement.id}/documents/{document['id']}/signing"
    assert signing in mailbox.to("head@euco.example")[-1].get_content()
    assert f'href="{signing}"' in (await head.get("/my")).text
