"""Signing: the adopted text as a PDF/A, signed by each party's authorised signatory, one
signature after another on the same file; the host's signing authority; checking a file
against the record.

Each revision's hash is in the log (``copy_prepared``, ``document_signed``); a stored file
whose hash is not the one recorded is not signed on, and a copy brought back is compared
with them. Rendering and signing are CPU work of tenths of a second: they run in a thread,
the engagement held meanwhile, so that two signatories signing at once sign one after the
other on the same file.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.db import intend_to_write
from summitry.delegations.catalogue import language_name
from summitry.delegations.models import Delegation
from summitry.documents import authority as ca
from summitry.documents import circulars, rendering, services
from summitry.documents.actors import Actor, require_secretariat
from summitry.documents.drafting import version_of
from summitry.documents.events import CopyPrepared, DocumentSigned
from summitry.documents.models import (
    DocumentStage,
    OutcomeDocument,
    SignedCopy,
    SigningAuthority,
    SigningCertificate,
)
from summitry.documents.schemas import CheckOut, ComparedOut
from summitry.engagements.operations import engagement_row
from summitry.errors import Conflict, Forbidden
from summitry.settings_tables import SigningServiceSettings
from summitry.web.rendering import humanise

_PRINTS = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True)
"""The templates of what is printed: a command signs the demo's agreement with no web app."""
_PRINTS.filters.update(language_name=language_name, humanise=humanise)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def signing_authority(db: AsyncSession, name: str, passphrase: bytes) -> ca.Authority:
    """The host's authority, made the first time it is needed (one row, whoever asks first)."""
    found = await db.get(SigningAuthority, 1)
    if found is None:
        made = await asyncio.to_thread(ca.new_authority, name, passphrase)
        try:
            async with db.begin_nested():
                db.add(
                    SigningAuthority(
                        id=1, certificate_pem=made.certificate_pem, key_pem=made.key_pem
                    )
                )
        except IntegrityError:  # another process made it first: theirs is the one
            pass
        found = await db.get(SigningAuthority, 1, populate_existing=True)
        assert found is not None  # noqa: S101 - made above, by us or by the other
    return ca.Authority(found.certificate_pem, found.key_pem)


async def latest_copy(db: AsyncSession, document_id: int) -> SignedCopy | None:
    return await db.scalar(
        select(SignedCopy)
        .where(SignedCopy.document_id == document_id)
        .order_by(SignedCopy.revision.desc())
        .limit(1)
    )


async def copy_at(db: AsyncSession, document_id: int, revision: int | None) -> SignedCopy | None:
    """One revision of the file (the latest for ``None``)."""
    if revision is None:
        return await latest_copy(db, document_id)
    return await db.scalar(
        select(SignedCopy).where(
            SignedCopy.document_id == document_id, SignedCopy.revision == revision
        )
    )


async def recorded_hashes(db: AsyncSession, engagement_id: int, document_id: int) -> list[str]:
    """The file's hashes as the log fixed them, revision by revision."""
    found: list[str] = []
    for envelope in await log.events_of(db, engagement_id, ("copy_prepared", "document_signed")):
        event = envelope.event
        if isinstance(event, CopyPrepared) and event.document_id == document_id:
            found = [event.sha256]
        elif isinstance(event, DocumentSigned) and event.document_id == document_id:
            found.append(event.sha256)
    return found


def print_html(
    document: OutcomeDocument,
    texts: dict[str, list[str]],
    heading: str,
    parties: list[tuple[str, str]],
) -> str:
    """The text as it is printed and signed: every language, the authentic ones marked, a
    place for each party's signature."""
    return _PRINTS.get_template("print.html").render(
        document=document, texts=texts, heading=heading, parties=parties, css=rendering.PRINT_CSS
    )


async def prepare_copy(db: AsyncSession, actor: Actor, document: OutcomeDocument) -> SignedCopy:
    """Render the adopted text to PDF/A for signature, and fix its hash in the log."""
    require_secretariat(actor, "prepare the copy for signature")
    await _preparable(db, document)
    adopted = await version_of(db, document.id, document.adopted_version)
    engagement = await engagement_row(db, document.engagement_id)
    rows = await db.execute(
        select(Delegation.code, Delegation.name).where(Delegation.code.in_(document.parties))
    )
    names = {code: name for code, name in rows.all()}  # noqa: C416 - rows, not pairs, to mypy
    parties = [(code, names.get(code, code)) for code in document.parties]
    html = print_html(document, adopted.texts, engagement.title, parties)
    # Rendered with no lock held (half a second; on SQLite the write lock is the whole
    # database's): the adopted text cannot change, and whether a copy was prepared meanwhile
    # is asked again below.
    await db.commit()
    pdf = await asyncio.to_thread(
        rendering.render_pdf, html, title=document.title, language=document.languages[0]
    )
    await intend_to_write(db)
    await _preparable(db, document)
    copy = SignedCopy(document_id=document.id, revision=0, pdf=pdf, sha256=sha256(pdf))
    db.add(copy)
    await db.flush()
    await log.append(
        db,
        document.engagement_id,
        CopyPrepared(
            document_id=document.id,
            version=adopted.number,
            sha256=copy.sha256,
            by=actor.name,
        ),
    )
    await circulars.copy_prepared(db, document)
    await db.commit()
    return copy


async def _preparable(db: AsyncSession, document: OutcomeDocument) -> None:
    """Hold the engagement; refuse a document not adopted, or with its copy prepared."""
    await log.hold(db, document.engagement_id)
    await db.refresh(document)
    if document.stage is not DocumentStage.ADOPTED or document.adopted_version is None:
        raise Conflict("only an adopted text is prepared for signature: adopt it first")
    if await latest_copy(db, document.id) is not None:
        raise Conflict("the copy for signature is prepared already")


async def credential_of(
    db: AsyncSession,
    actor: Actor,
    authority: ca.Authority,
    passphrase: bytes,
) -> SigningCertificate:
    """The signatory's certificate: imported, or issued now by the host's authority."""
    assert actor.person_id is not None  # noqa: S101 - only a delegation's person signs
    found = await current_certificate(db, actor.person_id)
    if found is not None:
        return found
    issued = await asyncio.to_thread(
        ca.issue,
        authority,
        passphrase,
        person=actor.name,
        delegation=actor.delegation_name,
        office=actor.office,
    )
    return await keep_credential(db, actor.person_id, issued, "host")


async def current_certificate(db: AsyncSession, person_id: int) -> SigningCertificate | None:
    """The certificate this person signs with, if they have one yet: the newest not retired."""
    return await db.scalar(
        select(SigningCertificate)
        .where(SigningCertificate.person_id == person_id, SigningCertificate.revoked_at.is_(None))
        .order_by(SigningCertificate.id.desc())
        .limit(1)
    )


async def keep_credential(
    db: AsyncSession, person_id: int, credential: ca.SigningCredential, source: str
) -> SigningCertificate:
    row = SigningCertificate(
        person_id=person_id,
        certificate_pem=credential.certificate_pem,
        key_pem=credential.key_pem,
        chain_pem=credential.chain_pem,
        fingerprint=credential.fingerprint,
        subject=credential.subject,
        source=source,
        not_after=credential.not_after,
    )
    db.add(row)
    await db.flush()
    return row


async def sign(
    db: AsyncSession,
    actor: Actor,
    document: OutcomeDocument,
    *,
    authority_name: str,
    passphrase: bytes,
    timestamp_url: str | None,
    timestamp_roots: list[bytes] | None = None,
    signing_services: list[SigningServiceSettings] | None = None,
    pin: str | None = None,
) -> SignedCopy:
    """The authorised signatory of a party signs the file as it stands; ``pin`` authorises
    a signature at the signing service that keeps their key, if one does."""
    delegation = actor.authorised_for(document.parties)
    if delegation is None:
        raise Forbidden(
            "a party signs through its authorised signatory (its head of delegation, or the "
            "chair sitting for it); you are not authorised to sign"
        )
    await log.hold(db, document.engagement_id)
    await db.refresh(document)
    current = await latest_copy(db, document.id)
    if current is None:
        raise Conflict("the copy for signature is not prepared yet: the secretariat prepares it")
    signed_by = await db.scalar(
        select(func.count())
        .select_from(SignedCopy)
        .where(SignedCopy.document_id == document.id, SignedCopy.delegation == delegation)
    )
    if signed_by:
        raise Conflict(f"{delegation} has signed already: a party signs once")
    recorded = await recorded_hashes(db, document.engagement_id, document.id)
    if not recorded or recorded[-1] != sha256(current.pdf) or current.sha256 != recorded[-1]:
        raise Conflict(
            "the stored file is not the one the record fixed (its hash differs): it is not "
            "signed on; ask the secretariat to check the record (summitry audit verify)"
        )
    authority = await signing_authority(db, authority_name, passphrase)
    credential = await credential_of(db, actor, authority, passphrase)
    # pyHanko and aiohttp are imported at the first signature, not with the app: they cost
    # every command and server start most of a second, and most never sign anything.
    from summitry.documents import seals

    # At a signing service, the call is made holding the engagement, as a local signature is:
    # the meeting's other writes wait for the service's answer (TIMEOUT at most).
    pdf = await asyncio.to_thread(
        seals.sign,
        current.pdf,
        _opened(credential, signing_services or [], pin, passphrase),
        passphrase,
        field_name=f"Signature-{delegation}",
        signer_name=actor.name,
        reason=f"Signed for {actor.delegation_name}",
        location=None,
        timestamp_url=timestamp_url,
        trust_roots=[*_roots_for(credential, authority), *(timestamp_roots or [])],
    )
    copy = SignedCopy(
        document_id=document.id,
        revision=current.revision + 1,
        pdf=pdf,
        sha256=sha256(pdf),
        delegation=delegation,
        signatory=actor.name,
    )
    db.add(copy)
    await db.flush()
    await log.append(
        db,
        document.engagement_id,
        DocumentSigned(
            document_id=document.id,
            revision=copy.revision,
            delegation=delegation,
            signatory=actor.name,
            certificate=credential.fingerprint,
            previous_sha256=current.sha256,
            sha256=copy.sha256,
        ),
    )
    if copy.revision >= len(document.parties):
        document.stage = DocumentStage.SIGNED
    await db.commit()
    return copy


def _opened(
    row: SigningCertificate,
    configured: list[SigningServiceSettings],
    pin: str | None,
    passphrase: bytes,
) -> ca.SigningCredential | services.ServiceCredential:
    if row.source == "service":
        return services.opened(row, configured, pin, passphrase)
    return ca.SigningCredential(
        row.certificate_pem, row.key_pem, row.chain_pem, row.fingerprint, row.subject, row.not_after
    )


async def _imported_roots(db: AsyncSession, document: OutcomeDocument) -> list[bytes]:
    """The chains of the imported certificates (or a signing service's) that signed this
    document, as the secretariat vouched for them when it imported or linked them."""
    signed = {
        e.event.certificate
        for e in await log.events_of(db, document.engagement_id, ("document_signed",))
        if isinstance(e.event, DocumentSigned) and e.event.document_id == document.id
    }
    rows = await db.scalars(
        select(SigningCertificate).where(
            SigningCertificate.fingerprint.in_(signed), SigningCertificate.source != "host"
        )
    )
    return [root for row in rows for root in _roots_for(row, None)]


def _roots_for(credential: SigningCertificate, authority: ca.Authority | None) -> list[bytes]:
    """What a signature is checked against as it is made: the host's root for the host's
    certificates; an imported one's own chain (or nothing, if it came without one: the
    parties judge it against the roots they trust); a signing service's likewise."""
    if credential.source == "host":
        return [ca.root_pem(authority)] if authority else []
    end = b"-----END CERTIFICATE-----"
    return [part.strip() + b"\n" + end + b"\n" for part in credential.chain_pem.split(end)[:-1]]


async def comparison_pdf(document: OutcomeDocument, compared: ComparedOut) -> bytes:
    """Two versions compared, as a PDF to print: insertions underlined, deletions struck."""
    html = _PRINTS.get_template("compare_print.html").render(
        document=document, compared=compared, css=rendering.PRINT_CSS
    )
    return await asyncio.to_thread(
        rendering.render_pdf,
        html,
        title=f"{document.title}: comparison",
        language=compared.language,
    )


async def check(
    db: AsyncSession,
    document: OutcomeDocument,
    pdf: bytes,
    authority_name: str,
    passphrase: bytes,
    timestamp_roots: list[bytes] | None = None,
) -> CheckOut:
    """Whether ``pdf`` is one of the files the record fixed, and what its signatures say."""
    digest = sha256(pdf)
    recorded = await recorded_hashes(db, document.engagement_id, document.id)
    if not recorded:
        raise Conflict("no copy of this document has been prepared for signature yet")
    if digest not in recorded:
        raise Conflict(
            f"this file is not a copy the record fixed: its SHA-256 ({digest[:16]}…) differs "
            f"from every recorded one (the latest is {recorded[-1][:16]}…); it may have been "
            "altered: download the document again"
        )
    authority = await signing_authority(db, authority_name, passphrase)
    roots = [ca.root_pem(authority), *await _imported_roots(db, document), *(timestamp_roots or [])]
    # Verified with no lock held: 40 signatures take seconds, and on SQLite this request's
    # transaction holds the whole database's write lock.
    await db.commit()
    from summitry.documents import seals  # at first use, as in ``sign``

    found = await asyncio.to_thread(seals.verify, pdf, roots)
    revision = recorded.index(digest)
    return CheckOut(
        sha256=digest,
        revision=revision,
        latest=revision == len(recorded) - 1,
        all_good=found.all_good or (revision == 0 and not found.signatures),
        explanation=found.explain(),
    )
