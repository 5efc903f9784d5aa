"""Signatures made at a ministry's remote signing service (Cloud Signature Consortium API v1).

The service is a real one on loopback (``tests/support/signing_service.py``); Summitry reaches
it through the app exactly as a ministry's.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.config import Settings
from summitry.documents import seals
from summitry.documents.models import SigningCertificate
from summitry.engagements.models import Engagement, Role
from summitry.settings_tables import SigningServiceSettings
from tests.support.documents import refused
from tests.support.loopback import nowhere
from tests.support.signing_service import (
    CREDENTIAL,
    LABEL,
    PIN,
    TOKEN,
    SigningService,
    signing_service,
)

pytestmark = pytest.mark.filterwarnings(
    # WeasyPrint 70 opens its sRGB profile for PDF/A and never closes it; not ours to fix.
    r"ignore:unclosed file <_io.BufferedReader name='.*sRGB2014\.icc'>:ResourceWarning"
)

Invitee = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]


@pytest.fixture
def csc() -> Iterator[SigningService]:
    """The service listening on a free loopback port, for one test."""
    with signing_service() as service:
        yield service


@pytest.fixture
def settings(settings: Settings, csc: SigningService) -> Settings:
    """The app's settings, with the service named as an operator names one, and another
    service configured at an address where nothing answers."""
    services = [
        SigningServiceSettings(name="ruritania", url=f"{csc.url}/", label=LABEL),
        SigningServiceSettings(name="gone", url=nowhere()),
    ]
    return settings.model_copy(update={"signing_services": services})


@pytest.fixture
async def prepared(
    secretariat: httpx.AsyncClient, adopted: tuple[Engagement, str], make_invitee: Invitee
) -> tuple[Engagement, str, httpx.AsyncClient, int]:
    """The adopted document's copy prepared, and the European Council's head of delegation
    (a client, and the attendee's id), whose key is at the Ruritanian service."""
    engagement, document = adopted
    assert (await secretariat.post(f"{document}/copy")).status_code == 201
    euco, attendee, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "EUCO")
    return engagement, document, euco, attendee.id


async def _link(
    secretariat: httpx.AsyncClient, engagement: Engagement, attendee_id: int, **given: str
) -> httpx.Response:
    body = {"service": "ruritania", "credential_id": CREDENTIAL, "token": TOKEN, **given}
    return await secretariat.post(
        f"/api/v1/engagements/{engagement.id}/documents/certificates/service",
        json={"attendee_id": attendee_id, **body},
    )


async def _record(db: AsyncSession, engagement: Engagement) -> str:
    """Every event of the engagement, as the log holds them."""
    events = await log.events_of(db, engagement.id, ("certificate_kept", "document_signed"))
    refusals = await log.events_of(db, engagement.id, ("document_action_refused",))
    return json.dumps([e.model_dump(mode="json") for e in [*events, *refusals]])


async def test_a_party_signs_at_its_ministrys_service_and_every_signature_verifies(
    secretariat: httpx.AsyncClient,
    prepared: tuple[Engagement, str, httpx.AsyncClient, int],
    make_invitee: Invitee,
    csc: SigningService,
    db: AsyncSession,
) -> None:
    engagement, document, euco, attendee = prepared
    china, _, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "CN")

    linked = await _link(secretariat, engagement, attendee)
    assert linked.status_code == 201, linked.text
    assert linked.json()["source"] == "service"
    assert linked.json()["service"] == "ruritania"
    assert linked.json()["subject"] == "O=European Council,CN=H.E. Ms Ana Flores"
    row = await db.scalar(
        select(SigningCertificate).where(SigningCertificate.id == linked.json()["id"])
    )
    assert row is not None
    assert row.key_pem == b""
    assert row.credential_id == CREDENTIAL
    assert row.service_token
    assert TOKEN.encode() not in row.service_token  # sealed, never in clear
    (kept,) = await log.events_of(db, engagement.id, ("certificate_kept",))
    assert kept.event.source == "service"  # type: ignore[attr-defined]

    page = await euco.get(
        f"/engagements/{engagement.id}/documents/{document.split('/')[-1]}/signing"
    )
    assert f"PIN for {LABEL}</label>" in page.text
    assert 'name="pin" type="password"' in page.text
    china_page = await china.get(
        f"/engagements/{engagement.id}/documents/{document.split('/')[-1]}/signing"
    )
    assert 'name="pin"' not in china_page.text

    signed = await euco.post(f"{document}/signatures", json={"pin": PIN})
    assert signed.status_code == 201, signed.text
    assert (await china.post(f"{document}/signatures")).status_code == 201

    paths = [path for path, _ in csc.calls]
    assert paths == [
        "/csc/v1/credentials/info",  # linking
        "/csc/v1/credentials/info",  # signing: still the certificate linked
        "/csc/v1/credentials/authorize",
        "/csc/v1/signatures/signHash",
    ]
    authorised, hashed = csc.calls[2][1], csc.calls[3][1]
    assert authorised["hash"] == hashed["hash"]  # the SAD bound to what was signed
    assert [body.get("PIN") for _, body in csc.calls] == [None, None, PIN, None]

    detail = (await secretariat.get(document)).json()
    assert [(s["revision"], s["delegation"]) for s in detail["signatures"]] == [
        (1, "EUCO"),
        (2, "CN"),
    ]
    pdf = (await secretariat.get(f"{document}/pdf")).content
    host_root = (await secretariat.get("/api/v1/signing/root.pem")).content
    both = await asyncio.to_thread(seals.verify, pdf, [host_root, csc.root_pem])
    assert [s.good for s in both.signatures] == [True, True], both.explain()
    assert both.signatures[0].signer == "H.E. Ms Ana Flores"
    assert "Ministry of Foreign Affairs of Ruritania CA (trusted)" in both.explain()[0]
    host_only = await asyncio.to_thread(seals.verify, pdf, [host_root])
    assert [s.trusted for s in host_only.signatures] == [False, True]
    checked = await secretariat.post(
        f"{document}/check", json={"pdf_base64": base64.b64encode(pdf).decode()}
    )
    assert checked.json()["all_good"] is True  # the service's chain vouched for when linked

    assert PIN not in await _record(db, engagement)
    assert TOKEN not in await _record(db, engagement)


async def test_each_refusal_says_what_to_do_and_changes_nothing(
    secretariat: httpx.AsyncClient,
    prepared: tuple[Engagement, str, httpx.AsyncClient, int],
    csc: SigningService,
    db: AsyncSession,
) -> None:
    engagement, document, euco, attendee = prepared

    # Linking: nothing kept, nothing recorded, whatever the service says.
    refused(
        await _link(secretariat, engagement, attendee, service="atlantis"),
        422,
        "no signing service called 'atlantis' here: the configured ones are ruritania, gone",
    )
    refused(await _link(euco, engagement, attendee), 403, "only the secretariat")
    refused(
        await _link(secretariat, engagement, attendee, credential_id="someone-else"),
        422,
        f"{LABEL} does not know this credential",
    )
    refused(
        await _link(secretariat, engagement, attendee, token="stale"),
        422,
        f"{LABEL} did not accept the signatory's token",
    )
    refused(
        await _link(secretariat, engagement, attendee, service="gone"),
        502,
        "the signing service gone did not answer",
    )
    assert await db.scalar(select(SigningCertificate.id)) is None
    assert await log.events_of(db, engagement.id, ("certificate_kept",)) == []

    assert (await _link(secretariat, engagement, attendee)).status_code == 201

    async def nothing_signed() -> None:
        detail = (await secretariat.get(document)).json()
        assert detail["signatures"] == []
        assert detail["stage"] == "adopted"
        assert await log.events_of(db, engagement.id, ("document_signed",)) == []
        assert len((await secretariat.get(f"{document}/pdf")).content) > 0
        assert (
            "-r0.pdf" in (await secretariat.get(f"{document}/pdf")).headers["content-disposition"]
        )

    sign = f"{document}/signatures"
    refused(
        await euco.post(sign),
        422,
        f"this signatory signs through {LABEL}: give the PIN",
    )
    await nothing_signed()
    refused(
        await euco.post(sign, json={"pin": "000000"}),
        422,
        f"{LABEL} refused the PIN: The PIN is invalid; sign again with the right PIN",
    )
    await nothing_signed()
    csc.failing = True
    refused(
        await euco.post(sign, json={"pin": PIN}),
        502,
        f"{LABEL} did not answer as a signing service does",
    )
    await nothing_signed()
    csc.failing = False
    csc.tokens.clear()  # the service revoked the token since it was linked
    refused(
        await euco.post(sign, json={"pin": PIN}),
        422,
        f"{LABEL} did not accept the signatory's token (HTTP 401)",
    )
    await nothing_signed()

    refusals = await log.events_of(db, engagement.id, ("document_action_refused",))
    reasons = [e.event.reason for e in refusals]  # type: ignore[attr-defined]
    assert [r.split(":")[0] for r in reasons] == [
        f"this signatory signs through {LABEL}",
        f"{LABEL} refused the PIN",
        f"{LABEL} did not accept the signatory's token (HTTP 401)",
    ]  # an outage is the service's, not a refusal: not in the record
    assert "000000" not in await _record(db, engagement)

    csc.tokens.add("a fresh token")  # linked again: the same certificate, a new token
    relinked = await _link(secretariat, engagement, attendee, token="a fresh token")
    assert relinked.status_code == 201, relinked.text
    assert (await euco.post(sign, json={"pin": PIN})).status_code == 201
