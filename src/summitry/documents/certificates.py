"""Signatories' certificates brought from elsewhere: a PKCS#12 file from a ministry's own
authority, or one a signing service issued. The newest usable one is the one a person signs
with (``signing.credential_of``); importing one retires those before it.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.db import utcnow
from summitry.documents import authority as ca
from summitry.documents.actors import Actor, require_secretariat
from summitry.documents.events import CertificateKept
from summitry.documents.models import SigningCertificate
from summitry.documents.signing import keep_credential
from summitry.engagements.attendance import attendee_in
from summitry.errors import NotFound


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
    await log.hold(db, engagement_id)
    attendee = await attendee_in(db, engagement_id, attendee_id=attendee_id)
    if attendee is None:
        raise NotFound("this engagement has no such attendee")
    credential = await asyncio.to_thread(ca.import_pkcs12, pkcs12, password, passphrase)
    await db.execute(
        update(SigningCertificate)
        .where(
            SigningCertificate.person_id == attendee.person_id,
            SigningCertificate.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    kept = await keep_credential(db, attendee.person_id, credential, "imported")
    await log.append(
        db,
        engagement_id,
        CertificateKept(
            attendee_id=attendee_id,
            fingerprint=kept.fingerprint,
            subject=kept.subject,
            by=actor.name,
        ),
    )
    await db.commit()
    return kept
