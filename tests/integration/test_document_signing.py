"""Signing through the API, on both databases: the copy prepared once adopted, each party's
authorised signatory signing once, a certificate imported from another authority, and every
refusal the issue names (recorded, nothing changed), down to a stored file that is not the
one the record fixed.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.documents import authority as ca
from summitry.documents import seals
from summitry.documents.models import SignedCopy
from summitry.engagements.models import Engagement, Role
from tests.support.documents import refused

Invitee = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]


def _foreign_pkcs12(password: bytes) -> tuple[bytes, bytes]:
    """A signatory's PKCS#12 from another ministry's authority, and that authority's root."""
    passphrase = b"another ministry"
    foreign = ca.new_authority("Ministry of Foreign Affairs of Ruritania", passphrase)
    credential = ca.issue(
        foreign,
        passphrase,
        person="H.E. Ms Ana Flores",
        delegation="European Council",
        office="President",
    )
    key = ca.load_key(credential.key_pem, passphrase)
    from cryptography import x509

    certificate = x509.load_pem_x509_certificate(credential.certificate_pem)
    root = x509.load_pem_x509_certificate(ca.root_pem(foreign))
    data = pkcs12.serialize_key_and_certificates(
        b"signatory", key, certificate, [root], BestAvailableEncryption(password)
    )
    return data, ca.root_pem(foreign)


async def test_each_party_signs_once_on_the_same_file_with_refusals_recorded(
    secretariat: httpx.AsyncClient,
    adopted: tuple[Engagement, str],
    make_invitee: Invitee,
    db: AsyncSession,
) -> None:
    engagement, document = adopted
    heads = {
        code: await make_invitee(engagement, Role.HEAD_OF_DELEGATION, code)
        for code in ("CN", "EUCO", "DE")
    }
    delegate, _, _ = await make_invitee(engagement, Role.DELEGATE, "CN")

    refused(await heads["CN"][0].post(f"{document}/signatures"), 409, "not prepared yet")
    assert (await secretariat.post(f"{document}/copy")).status_code == 201
    refused(await secretariat.post(f"{document}/copy"), 409, "prepared already")
    refused(await delegate.post(f"{document}/signatures"), 403, "not authorised to sign")
    refused(await secretariat.post(f"{document}/signatures"), 403, "not authorised to sign")

    assert (await heads["CN"][0].post(f"{document}/signatures")).status_code == 201
    refused(await heads["CN"][0].post(f"{document}/signatures"), 409, "CN has signed already")

    # The European Council's head signs with a certificate of its own ministry's authority.
    data, foreign_root = await asyncio.to_thread(_foreign_pkcs12, b"p12 password")
    path = f"/api/v1/engagements/{engagement.id}/documents/certificates"
    body = {"attendee_id": heads["EUCO"][1].id, "pkcs12_base64": base64.b64encode(data).decode()}
    refused(
        await secretariat.post(path, json={**body, "password": "wrong"}), 422, "check its password"
    )
    refused(
        await heads["EUCO"][0].post(path, json={**body, "password": "p12 password"}),
        403,
        "secretariat",
    )
    kept = await secretariat.post(path, json={**body, "password": "p12 password"})
    assert kept.status_code == 201, kept.text
    assert kept.json()["source"] == "imported"
    assert "key" not in kept.text.lower().replace("key_", "")
    signed = await heads["EUCO"][0].post(f"{document}/signatures")
    assert signed.status_code == 201, signed.text

    detail = (await secretariat.get(document)).json()
    assert [(s["revision"], s["delegation"]) for s in detail["signatures"]] == [
        (1, "CN"),
        (2, "EUCO"),
    ]
    pdf = (await secretariat.get(f"{document}/pdf")).content
    host_root = (await secretariat.get("/api/v1/signing/root.pem")).content
    both = await asyncio.to_thread(seals.verify, pdf, [host_root, foreign_root])
    assert [s.good for s in both.signatures] == [True, True], both.explain()
    host_only = await asyncio.to_thread(seals.verify, pdf, [host_root])
    assert [s.trusted for s in host_only.signatures] == [True, False]

    # A copy brought back is compared with the record; an altered one is refused.
    checked = await secretariat.post(
        f"{document}/check", json={"pdf_base64": base64.b64encode(pdf).decode()}
    )
    assert checked.json()["revision"] == 2
    assert checked.json()["latest"] is True
    assert checked.json()["all_good"] is True  # the imported chain vouched for on import
    altered = bytearray(pdf)
    altered[len(altered) // 3] ^= 0x01
    refused(
        await secretariat.post(
            f"{document}/check", json={"pdf_base64": base64.b64encode(bytes(altered)).decode()}
        ),
        409,
        "not a copy the record fixed",
    )

    # The stored file changed behind the record's back: nobody signs on it.
    await db.execute(update(SignedCopy).where(SignedCopy.revision == 2).values(pdf=bytes(altered)))
    await db.commit()
    refused(
        await heads["DE"][0].post(f"{document}/signatures"), 409, "not the one the record fixed"
    )
    assert len((await secretariat.get(document)).json()["signatures"]) == 2

    refusals = await log.events_of(db, engagement.id, ("document_action_refused",))
    actions = [e.event.action for e in refusals]  # type: ignore[attr-defined]
    assert actions.count("sign") == 5
    assert "check copy" in actions
    kept = await log.events_of(db, engagement.id, ("certificate_kept",))
    assert [e.event.attendee_id for e in kept] == [heads["EUCO"][1].id]  # type: ignore[attr-defined]
    assert "prepare copy" in actions
