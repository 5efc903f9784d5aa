"""Signatures made at a ministry's remote signing service (Cloud Signature Consortium API v1).

The service is a real one on loopback, written here on the standard library's HTTP server: it
keeps an ECDSA key with a certificate from its own ministry's authority, answers
``credentials/info``, gives signature activation data bound to the hashes for the right token
and PIN (``credentials/authorize``, SCAL 2) and signs those hashes, and only those
(``signatures/signHash``). Summitry reaches it through the app exactly as a ministry's.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import http.server
import json
import secrets
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import log
from summitry.config import Settings
from summitry.documents import seals
from summitry.documents.models import SigningCertificate
from summitry.engagements.models import Engagement, Role
from summitry.settings_tables import SigningServiceSettings
from tests.support.documents import refused
from tests.support.loopback import nowhere, serving

pytestmark = pytest.mark.filterwarnings(
    # WeasyPrint 70 opens its sRGB profile for PDF/A and never closes it; not ours to fix.
    r"ignore:unclosed file <_io.BufferedReader name='.*sRGB2014\.icc'>:ResourceWarning"
)

Invitee = Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]]
TOKEN = "oauth-token-of-ana-flores"
PIN = "271828"
CREDENTIAL = "ana-flores-qualified"
ECDSA_SHA256 = "1.2.840.10045.4.3.2"
SHA256 = "2.16.840.1.101.3.4.2.1"
LABEL = "the Ruritanian signing service"


@dataclass
class SigningService:
    """The service's key and certificates, what it was asked, and what it may be made to do."""

    root: x509.Certificate
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    url: str = ""
    tokens: set[str] = field(default_factory=lambda: {TOKEN})
    failing: bool = False
    """Answer 503 to everything, as a service that is down behind its proxy."""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sads: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    def answer(self, path: str, bearer: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.calls.append((path, body))
        if self.failing:
            return 503, {"error": "unavailable"}
        if bearer not in self.tokens:
            return 401, {"error": "invalid_token", "error_description": "The token is invalid"}
        if body.get("credentialID") != CREDENTIAL:
            return 400, {
                "error": "invalid_request",
                "error_description": "Invalid parameter credentialID",
            }
        if path == "/csc/v1/credentials/info":
            return 200, self.info()
        if path == "/csc/v1/credentials/authorize":
            return self.authorize(body)
        if path == "/csc/v1/signatures/signHash":
            return self.sign_hash(body)
        return 404, {"error": "invalid_request", "error_description": f"no {path}"}

    def info(self) -> dict[str, Any]:
        der = serialization.Encoding.DER
        chain = [
            base64.b64encode(c.public_bytes(der)).decode() for c in (self.certificate, self.root)
        ]
        return {
            "key": {
                "status": "enabled",
                "algo": [ECDSA_SHA256],
                "len": 256,
                "curve": "1.2.840.10045.3.1.7",
            },
            "cert": {"status": "valid", "certificates": chain},
            "authMode": "explicit",
            "PIN": {"presence": "true", "format": "N"},
            "multisign": 1,
            "SCAL": "2",
        }

    def authorize(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if body.get("PIN") != PIN:
            return 400, {"error": "invalid_pin", "error_description": "The PIN is invalid"}
        hashes_given = body.get("hash")
        if not hashes_given or body.get("numSignatures") != len(hashes_given):
            return 400, {"error": "invalid_request", "error_description": "SCAL 2: give the hashes"}
        sad = secrets.token_urlsafe(16)
        with self.lock:
            self.sads[sad] = list(hashes_given)
        return 200, {"SAD": sad, "expiresIn": 300}

    def sign_hash(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            bound = self.sads.pop(str(body.get("SAD")), None)  # a SAD signs once
        if bound is None or body.get("hash") != bound:
            return 400, {"error": "invalid_request", "error_description": "Invalid SAD"}
        if (body.get("hashAlgo"), body.get("signAlgo")) != (SHA256, ECDSA_SHA256):
            return 400, {"error": "invalid_request", "error_description": "Unsupported algorithm"}
        prehashed = ec.ECDSA(Prehashed(hashes.SHA256()))
        signed = [self.key.sign(base64.b64decode(h), prehashed) for h in bound]
        return 200, {"signatures": [base64.b64encode(s).decode() for s in signed]}


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, service: SigningService) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.service = service


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
        status, answer = self.server.service.answer(self.path, bearer, json.loads(raw or b"{}"))
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the calls are kept, not logged


def _certificate(
    subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey, *, ca: bool
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    usage = dict.fromkeys(
        (
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_cert_sign=ca,
                crl_sign=ca,
                **usage,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


@pytest.fixture(scope="module")
def ministry() -> tuple[x509.Certificate, x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The ministry's root, and the signatory's certificate it issued for the service's key."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "Ministry of Foreign Affairs of Ruritania CA")]
    )
    root = _certificate(root_name, root_name, root_key.public_key(), ca=True).sign(
        root_key, hashes.SHA256()
    )
    key = ec.generate_private_key(ec.SECP256R1())
    signatory = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "H.E. Ms Ana Flores"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "European Council"),
        ]
    )
    certificate = (
        _certificate(signatory, root_name, key.public_key(), ca=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )
    return root, certificate, key


@pytest.fixture
def csc(
    ministry: tuple[x509.Certificate, x509.Certificate, ec.EllipticCurvePrivateKey],
) -> Iterator[SigningService]:
    """The service listening on a free loopback port, for one test."""
    service = SigningService(*ministry)
    with serving(_Server(service), "loopback-csc") as url:
        service.url = url
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
        f"the signing service {LABEL} does not know this credential",
    )
    refused(
        await _link(secretariat, engagement, attendee, token="stale"),
        422,
        f"the signing service {LABEL} did not accept the signatory's token",
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
        f"this signatory signs through the signing service {LABEL}: give the PIN",
    )
    await nothing_signed()
    refused(
        await euco.post(sign, json={"pin": "000000"}),
        422,
        f"the signing service {LABEL} refused the PIN: The PIN is invalid; sign again with "
        "the right PIN",
    )
    await nothing_signed()
    csc.failing = True
    refused(
        await euco.post(sign, json={"pin": PIN}),
        502,
        f"the signing service {LABEL} did not answer as a signing service does",
    )
    await nothing_signed()
    csc.failing = False
    csc.tokens.clear()  # the service revoked the token since it was linked
    refused(
        await euco.post(sign, json={"pin": PIN}),
        422,
        f"the signing service {LABEL} did not accept the signatory's token (HTTP 401)",
    )
    await nothing_signed()

    refusals = await log.events_of(db, engagement.id, ("document_action_refused",))
    reasons = [e.event.reason for e in refusals]  # type: ignore[attr-defined]
    assert [r.split(":")[0] for r in reasons] == [
        f"this signatory signs through the signing service {LABEL}",
        f"the signing service {LABEL} refused the PIN",
        f"the signing service {LABEL} did not accept the signatory's token (HTTP 401)",
    ]  # an outage is the service's, not a refusal: not in the record
    assert "000000" not in await _record(db, engagement)

    csc.tokens.add("a fresh token")  # linked again: the same certificate, a new token
    relinked = await _link(secretariat, engagement, attendee, token="a fresh token")
    assert relinked.status_code == 201, relinked.text
    assert (await euco.post(sign, json={"pin": PIN})).status_code == 201
