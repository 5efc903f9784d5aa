"""The e-mails that carry notices, sent by one process at a time through the configured mail
server.

An e-mail is a row written with the change it tells of, so nothing is lost to a restart or to
a mail server that is away: each tick sends what is due, and one that fails is tried again
later (a minute, then longer, up to an hour), until the server refuses it outright. A person
no longer in the engagement in the notice's role is not written to.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

import aiosmtplib
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from summitry.db import intend_to_write, utcnow
from summitry.delegations.models import Delegation, Person, display_name
from summitry.engagements.models import Attendee
from summitry.notices.models import Notice, NoticeMail
from summitry.ticking import Ticking

logger = logging.getLogger(__name__)

TICK_SECONDS = 1.0
BATCH = 20
GIVE_UP_AFTER = 20
"""Attempts before an e-mail the server keeps turning away for now is dropped (some days)."""


@dataclass(frozen=True)
class MailServer:
    """Where notices are sent from, read from ``mail_url`` and ``mail_from``."""

    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None
    sender: str
    base_url: str

    @classmethod
    def parse(cls, mail_url: str, mail_from: str, base_url: str) -> MailServer:
        """The server a ``smtp://`` or ``smtps://`` URL names (settings checked the scheme)."""
        parts = urlsplit(mail_url)
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if tls else 25),
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            sender=mail_from,
            base_url=base_url.rstrip("/"),
        )


def letter(server: MailServer, notice: Notice, name: str, address: str, to: str) -> EmailMessage:
    """The e-mail that carries ``notice`` to one person of delegation ``to``."""
    message = EmailMessage()
    message["From"] = server.sender
    message["To"] = formataddr((name, address))
    message["Date"] = format_datetime(utcnow())
    domain = parseaddr(server.sender)[1].rpartition("@")[2] or "summitry.invalid"
    message["Message-ID"] = make_msgid(domain=domain)
    link = f"{server.base_url}{notice.path}"
    if notice.confidential:
        # A confidential text does not travel by e-mail: only that there is something to read.
        message["Subject"] = f"A confidential notice for the delegation of {to}"
        message.set_content(
            f"Summitry holds a confidential notice for the delegation of {to}.\n\n"
            f"Read it once signed in, on your engagements' page or at:\n{link}\n"
        )
    else:
        message["Subject"] = notice.subject
        message.set_content(f"{notice.body}\n\n{link}\n")
    return message


async def send_due(
    sessionmaker: async_sessionmaker[AsyncSession], server: MailServer, now: dt.datetime | None
) -> int:
    """Send the e-mails that are due; how many were sent."""
    moment = now or utcnow()
    async with sessionmaker() as db:
        due = list(
            await db.scalars(
                select(NoticeMail.id)
                .where(
                    NoticeMail.sent_at.is_(None),
                    NoticeMail.dropped.is_(None),
                    NoticeMail.next_attempt_at <= moment,
                )
                .order_by(NoticeMail.id)
                .limit(BATCH)
            )
        )
    sent = 0
    for mail_id in due:
        async with sessionmaker() as db:
            sent += await _send_one(db, server, mail_id)
    return sent


async def _send_one(db: AsyncSession, server: MailServer, mail_id: int) -> int:
    mail = await db.get(NoticeMail, mail_id)
    notice = await db.get(Notice, mail.notice_id) if mail else None
    if mail is None or notice is None or mail.sent_at is not None:
        return 0
    found = await db.execute(
        select(Attendee.role, Person.name, Person.form_of_address, Person.office, Delegation.name)
        .join(Person, Person.id == Attendee.person_id)
        .join(Delegation, Delegation.id == Person.delegation_id)
        .where(Attendee.engagement_id == notice.engagement_id, Attendee.person_id == mail.person_id)
    )
    row = found.first()
    # Sent with no transaction open: on SQLite one would hold every writer of the server
    # while the mail server answers.
    await db.commit()
    if row is None or row.role.value not in notice.roles:
        await intend_to_write(db)
        await db.refresh(mail)
        mail.dropped = "no longer attends the engagement in a role the notice is for"
        await db.commit()
        return 0
    message = letter(server, notice, display_name(*row[1:4]), mail.address, row[4])
    failure: str | None
    try:
        await aiosmtplib.send(
            message,
            hostname=server.host,
            port=server.port,
            use_tls=server.tls,
            username=server.username,
            password=server.password,
            timeout=15,
        )
    except aiosmtplib.SMTPRecipientsRefused as err:
        failure, permanent = f"the address was refused ({err.recipients[0]})", True
    except aiosmtplib.SMTPAuthenticationError as err:  # the operator's to fix: keep trying
        failure, permanent = f"the login was refused ({err.code} {err.message})", False
    except aiosmtplib.SMTPResponseException as err:
        failure, permanent = f"{err.code} {err.message}", 500 <= err.code < 600
    except (aiosmtplib.SMTPException, OSError) as err:
        failure, permanent = str(err) or type(err).__name__, False
    else:
        failure, permanent = None, False
    await intend_to_write(db)
    await db.refresh(mail)
    if failure is None:
        mail.sent_at = utcnow()
    else:
        _failed(mail, failure, permanent=permanent)
    mail.attempts += 1
    await db.commit()
    return 1 if failure is None else 0


def _failed(mail: NoticeMail, why: str, *, permanent: bool) -> None:
    mail.last_error = why[:500]
    if permanent or mail.attempts + 1 >= GIVE_UP_AFTER:
        mail.dropped = f"the mail server refused it: {why}"[:300]
        return
    wait = min(60 * 2**mail.attempts, 3600)
    mail.next_attempt_at = utcnow() + dt.timedelta(seconds=wait)
    logger.warning("could not send notice e-mail %s (%s); trying again in %ds", mail.id, why, wait)


class Mailer(Ticking):
    """Sends due notice e-mails every ``TICK_SECONDS`` while it runs."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], server: MailServer) -> None:
        super().__init__("mailer", self._send_due, TICK_SECONDS, timeout=120)
        self.sessionmaker = sessionmaker
        self.server = server

    async def _send_due(self) -> None:
        await send_due(self.sessionmaker, self.server, None)
