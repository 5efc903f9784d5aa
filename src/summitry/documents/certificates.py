"""Signatories' certificates brought from elsewhere: a PKCS#12 file from a ministry's own
authority, or one a signing service holds with the key. The newest usable one is the one a
person signs with (``signing.credential_of``); keeping one retires those before it.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.db import intend_to_write, utcnow
from summitry.documents import authority as ca
from summitry.documents import services
from summitry.documents.actors import Actor, require_secretariat
from summitry.documents.events import CertificateKept
from summitry.documents.models import SigningCertificate
from summitry.documents.signing import keep_credential
from summitry.engagements.attendance import attendee_in
from summitry.engagements.models import Attendee
from summitry.errors import Conflict, NotFound
from summitry.settings_tables import SigningServiceSettings


async def import_certificate(
    db: AsyncSession,
    actor: Actor,
    engagement_id: int,
    attendee_id: int,
    pkcs12: bytes,
    password: bytes | None,
    passphrase: bytes,
) -> SigningCertificate:
    """The secretariat gives an attendee the certificate they will sign with."""
    require_secretariat(actor, "import a signatory's certificate")
    attendee = await _signatory(db, engagement_id, attendee_id)
    credential = await asyncio.to_thread(ca.import_pkcs12, pkcs12, password, passphrase)
    await _retire(db, attendee.person_id)
    kept = await keep_credential(db, attendee.person_id, credential, "imported")
    return await _recorded(db, actor, engagement_id, attendee_id, kept)


async def link_service(
    db: AsyncSession,
    actor: Actor,
    engagement_id: int,
    attendee_id: int,
    link: tuple[SigningServiceSettings, str, str],
    passphrase: bytes,
) -> SigningCertificate:
    """The secretariat links an attendee to their credential at a signing service (``link``:
    the service, the credential's identifier, the token the service issued them)."""
    require_secretariat(actor, "link a signatory to a signing service")
    service, credential_id, token = link
    await _signatory(db, engagement_id, attendee_id)
    # Asked before the engagement is held: the meeting's writes do not wait for the service.
    await db.commit()
    credential = await services.fetch_certificate(service, credential_id, token)
    await intend_to_write(db)
    attendee = await _signatory(db, engagement_id, attendee_id)
    kept = await db.scalar(
        select(SigningCertificate).where(SigningCertificate.fingerprint == credential.fingerprint)
    )
    if kept is not None and kept.person_id != attendee.person_id:
        raise Conflict(
            "this credential's certificate is already another signatory's: each person signs "
            "with a certificate of their own"
        )
    await _retire(db, attendee.person_id)
    if kept is None:  # linked again (a fresh token, say): the same certificate, kept once
        kept = await keep_credential(db, attendee.person_id, credential, "service")
    kept.source, kept.service, kept.credential_id = "service", service.name, credential_id
    kept.service_token = services.seal_token(token, passphrase)
    kept.revoked_at = None
    return await _recorded(db, actor, engagement_id, attendee_id, kept)


async def _signatory(db: AsyncSession, engagement_id: int, attendee_id: int) -> Attendee:
    """The attendee, the engagement held."""
    await log.hold(db, engagement_id)
    attendee = await attendee_in(db, engagement_id, attendee_id=attendee_id)
    if attendee is None:
        raise NotFound("this engagement has no such attendee")
    return attendee


async def _retire(db: AsyncSession, person_id: int) -> None:
    await db.execute(
        update(SigningCertificate)
        .where(SigningCertificate.person_id == person_id, SigningCertificate.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def _recorded(
    db: AsyncSession, actor: Actor, engagement_id: int, attendee_id: int, kept: SigningCertificate
) -> SigningCertificate:
    await db.flush()
    await log.append(
        db,
        engagement_id,
        CertificateKept(
            attendee_id=attendee_id,
            fingerprint=kept.fingerprint,
            subject=kept.subject,
            by=actor.name,
            source=kept.source,
        ),
    )
    await db.commit()
    return kept
