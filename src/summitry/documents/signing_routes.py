"""HTTP API of signing: the copy for signature, each party's signature, the file, a copy
checked against the record, and the signing authority's root certificate."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from summitry.deps import CurrentPrincipal, Db, RecordId, runtime_of
from summitry.documents import certificates, services, signing
from summitry.documents.actors import actor_of, require_secretariat
from summitry.documents.authority import passphrase_from, pem_file, root_pem
from summitry.documents.presentation import document_detail
from summitry.documents.routes import act, attachment, document_asked, router
from summitry.documents.schemas import (
    CertificateIn,
    CertificateOut,
    CheckIn,
    CheckOut,
    DocumentDetail,
    ServiceCertificateIn,
    SignIn,
)
from summitry.errors import InvalidInput, NotFound


@router.post("/{document_id}/copy", status_code=201)
async def prepare_copy(
    engagement_id: RecordId, document_id: RecordId, db: Db, principal: CurrentPrincipal
) -> DocumentDetail:
    """The secretariat renders the adopted text to PDF/A for signature; its hash is fixed."""
    actor, document = await document_asked(db, principal, engagement_id, document_id)

    async def work() -> DocumentDetail:
        await signing.prepare_copy(db, actor, document)
        return await document_detail(db, document)

    return await act(db, actor, document, "prepare copy", work)


@router.post("/{document_id}/signatures", status_code=201)
async def sign_document(
    engagement_id: RecordId,
    document_id: RecordId,
    request: Request,
    db: Db,
    principal: CurrentPrincipal,
    data: SignIn | None = None,
) -> DocumentDetail:
    """A party's authorised signatory signs the file (PAdES), after the signatures before;
    with the PIN, where their key is at a signing service."""
    actor, document = await document_asked(db, principal, engagement_id, document_id)
    settings = runtime_of(request).settings

    async def work() -> DocumentDetail:
        await signing.sign(
            db,
            actor,
            document,
            authority_name=settings.signing_authority_name,
            passphrase=passphrase_from(settings.signing_key()),
            timestamp_url=settings.timestamp_url or None,
            timestamp_roots=pem_file(settings.timestamp_roots),
            signing_services=settings.signing_services,
            pin=data.pin if data else None,
        )
        return await document_detail(db, document)

    return await act(db, actor, document, "sign", work)


@router.get("/{document_id}/pdf", response_class=Response)
async def download_pdf(
    engagement_id: RecordId,
    document_id: RecordId,
    db: Db,
    principal: CurrentPrincipal,
    revision: Annotated[int | None, Query(ge=0, le=1000)] = None,
) -> Response:
    """The file: as prepared (revision 0), after each signature, or the latest."""
    _, document = await document_asked(db, principal, engagement_id, document_id)
    copy = await signing.copy_at(db, document.id, revision)
    if copy is None:
        raise NotFound("there is no such copy of this document: it is prepared once adopted")
    name = f"document-{document.id}-r{copy.revision}.pdf"
    return Response(copy.pdf, media_type="application/pdf", headers=attachment(name))


@router.post("/{document_id}/check")
async def check_copy(
    engagement_id: RecordId,
    document_id: RecordId,
    data: CheckIn,
    request: Request,
    db: Db,
    principal: CurrentPrincipal,
) -> CheckOut:
    """Whether a PDF is a copy the record fixed, and what its signatures say; a file whose
    hash the record does not hold is refused, and the refusal recorded."""
    actor, document = await document_asked(db, principal, engagement_id, document_id)
    try:
        pdf = base64.b64decode(data.pdf_base64, validate=True)
    except binascii.Error as err:
        raise InvalidInput("pdf_base64 is not base64: send the file's bytes in base64") from err
    settings = runtime_of(request).settings

    async def work() -> CheckOut:
        return await signing.check(
            db,
            document,
            pdf,
            settings.signing_authority_name,
            passphrase_from(settings.signing_key()),
            pem_file(settings.timestamp_roots),
        )

    return await act(db, actor, document, "check copy", work)


@router.post("/certificates", status_code=201)
async def import_certificate(
    engagement_id: RecordId,
    data: CertificateIn,
    request: Request,
    db: Db,
    principal: CurrentPrincipal,
) -> CertificateOut:
    """The secretariat imports a signatory's certificate (PKCS#12, with its key), to sign
    with instead of one from the host's authority."""
    actor = await actor_of(db, principal, engagement_id)
    try:
        pkcs12 = base64.b64decode(data.pkcs12_base64, validate=True)
    except binascii.Error as err:
        raise InvalidInput("pkcs12_base64 is not base64: send the file's bytes in base64") from err
    passphrase = passphrase_from(runtime_of(request).settings.signing_key())
    password = data.password.encode() if data.password else None
    kept = await certificates.import_certificate(
        db, actor, engagement_id, data.attendee_id, pkcs12, password, passphrase
    )
    return CertificateOut.model_validate(kept, from_attributes=True)


@router.post("/certificates/service", status_code=201)
async def link_service(
    engagement_id: RecordId,
    data: ServiceCertificateIn,
    request: Request,
    db: Db,
    principal: CurrentPrincipal,
) -> CertificateOut:
    """The secretariat links a signatory to their credential at a configured signing service
    (CSC API), whose certificate they will sign with, the key staying at the service."""
    actor = await actor_of(db, principal, engagement_id)
    require_secretariat(actor, "link a signatory to a signing service")
    settings = runtime_of(request).settings
    service = services.service_named(settings.signing_services, data.service)
    kept = await certificates.link_service(
        db,
        actor,
        engagement_id,
        data.attendee_id,
        (service, data.credential_id, data.token),
        passphrase_from(settings.signing_key()),
    )
    return CertificateOut.model_validate(kept, from_attributes=True)


authority_router = APIRouter(prefix="/signing", tags=["documents"])


@authority_router.get("/root.pem", response_class=Response)
async def root_certificate(request: Request, db: Db) -> Response:
    """The host's signing authority's root certificate, for the parties to trust (public)."""
    settings = runtime_of(request).settings
    made = await signing.signing_authority(
        db, settings.signing_authority_name, passphrase_from(settings.signing_key())
    )
    await db.commit()
    return Response(
        root_pem(made),
        media_type="application/x-pem-file",
        headers=attachment("summitry-signing-root.pem"),
    )
