"""Signatures time-stamped by a real RFC 3161 time-stamping authority over HTTP on loopback.

The authority is pyHanko's own test TSA (``DummyTimeStamper``) behind the standard library's
HTTP server, with an RSA certificate for time stamping issued by a root of its own: the
request goes out through pyHanko's HTTP client exactly as it would to a public service.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import http.server
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import DummyTimeStamper

from summitry.config import Settings
from summitry.documents.authority import (
    Authority,
    SigningCredential,
    issue,
    new_authority,
    passphrase_from,
    root_pem,
)
from summitry.documents.rendering import PRINT_CSS, render_pdf
from summitry.documents.seals import sign, verify
from summitry.engagements.models import Engagement, Role
from summitry.errors import InvalidInput
from tests.support.loopback import nowhere, serving

pytestmark = pytest.mark.filterwarnings(
    # WeasyPrint 70 opens its sRGB profile for PDF/A and never closes it; not ours to fix.
    r"ignore:unclosed file <_io.BufferedReader name='.*sRGB2014\.icc'>:ResourceWarning"
)

PASSPHRASE = passphrase_from("the server's secret key")
SIGNATORY = ("H.E. Ms Retno Marsudi", "Republic of Indonesia", "Minister for Foreign Affairs")
HTML = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Joint Communiqué</title>
<style>{PRINT_CSS}</style></head><body>
<section class="print-text" lang="en"><h1>Joint Communiqué</h1>
<p class="preamble">The Parties, meeting by video conference,</p>
<h2>Article 1</h2><p>The Parties shall consult each other on matters of common concern.</p>
</section></body></html>"""
EMPTY_SHA256 = hashlib.sha256(b"").digest()
"""What pyHanko has stamped first, to learn the size of a token before it signs."""


@dataclass
class TimeStampingAuthority:
    """A test TSA: its root (which a verifier trusts), its certificate and key, and what it
    was asked and answered."""

    root: x509.Certificate
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    url: str = ""
    requests: list[tsp.TimeStampReq] = field(default_factory=list)
    issued_at: list[dt.datetime] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    def answer(self, request: tsp.TimeStampReq) -> bytes:
        """The DER ``TimeStampResp`` for ``request``, stamped with the time now."""
        now = dt.datetime.now(dt.UTC)
        stamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(
                self.certificate.public_bytes(serialization.Encoding.DER)
            ),
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                self.key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
            fixed_dt=now,  # not the host's local zone, which pyHanko would look up
        )
        response = stamper.request_tsa_response(request)
        with self.lock:
            self.requests.append(request)
            self.issued_at.append(now)
        return bytes(response.dump())


class _TsaServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, authority: TimeStampingAuthority) -> None:
        super().__init__(("127.0.0.1", 0), _TsaHandler)
        self.authority = authority


class _TsaHandler(http.server.BaseHTTPRequestHandler):
    server: _TsaServer

    def do_POST(self) -> None:
        authority = self.server.authority
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        kind = self.headers.get("Content-Type")
        if kind != "application/timestamp-query":
            authority.refused.append(f"{kind} to {self.path}")
            self.send_error(415, "a time-stamp query is application/timestamp-query")
            return
        answer = authority.answer(tsp.TimeStampReq.load(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the requests are counted, not logged


@pytest.fixture(scope="module")
def tsa_certificates() -> tuple[x509.Certificate, x509.Certificate, rsa.RSAPrivateKey]:
    """A root of its own, and an RSA time-stamping certificate it issued (pyHanko's test TSA
    signs with RSA only)."""
    now = dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Loopback TSA Root")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Loopback TSA")]))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        # RFC 3161 2.3: the one purpose, and critical.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )
    return root, certificate, key


@pytest.fixture
def tsa(
    tsa_certificates: tuple[x509.Certificate, x509.Certificate, rsa.RSAPrivateKey],
) -> Iterator[TimeStampingAuthority]:
    """The TSA listening on a free loopback port, for one test."""
    authority = TimeStampingAuthority(*tsa_certificates)
    with serving(_TsaServer(authority), "loopback-tsa") as url:
        authority.url = f"{url}/"
        yield authority


@pytest.fixture(scope="module")
def authority() -> Authority:
    return new_authority("Republic of Testland", PASSPHRASE)


@pytest.fixture(scope="module")
def credential(authority: Authority) -> SigningCredential:
    person, delegation, office = SIGNATORY
    return issue(authority, PASSPHRASE, person=person, delegation=delegation, office=office)


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render_pdf(HTML, title="Joint Communiqué", language="en")


def sign_stamped(pdf: bytes, credential: SigningCredential, url: str, roots: list[bytes]) -> bytes:
    return sign(
        pdf,
        credential,
        PASSPHRASE,
        field_name="signatory-1",
        signer_name=credential.subject,
        reason="Adopted at the video conference",
        location="Video conference",
        timestamp_url=url,
        trust_roots=roots,
    )


def test_a_signature_carries_the_time_the_service_gave(
    rendered: bytes,
    credential: SigningCredential,
    authority: Authority,
    tsa: TimeStampingAuthority,
) -> None:
    roots = [root_pem(authority), tsa.root_pem]
    signed = sign_stamped(rendered, credential, tsa.url, roots)

    assert not tsa.refused
    # pyHanko asks twice: a stamp of nothing (SHA-256 of no bytes), to size the signature
    # before it is made, then the stamp of the signature itself.
    assert len(tsa.requests) == 2
    sizing, stamped = tsa.requests
    assert sizing["message_imprint"]["hashed_message"].native == EMPTY_SHA256
    (embedded,) = PdfFileReader(BytesIO(signed)).embedded_signatures
    signature_value = embedded.signer_info["signature"].native
    imprint = stamped["message_imprint"]
    assert imprint["hash_algorithm"]["algorithm"].native == "sha256"
    assert imprint["hashed_message"].native == hashlib.sha256(signature_value).digest()
    assert stamped["cert_req"].native is True
    assert stamped["nonce"].native is not None

    found = verify(signed, roots)
    assert found.readable
    (signature,) = found.signatures
    assert signature.intact
    assert signature.valid
    assert signature.trusted
    assert signature.timestamped
    assert signature.covers_whole_file
    assert not signature.changed_after
    assert found.all_good
    # The service's time to the microsecond, which the signer's own clock (whole seconds in
    # the PDF) could not have given.
    assert signature.signed_at == tsa.issued_at[1]
    assert abs(dt.datetime.now(dt.UTC) - signature.signed_at) < dt.timedelta(seconds=10)
    first_line = found.explain()[0]
    assert "the time given by a time-stamping service" in first_line
    assert "signer's computer" not in first_line


def test_an_unreachable_time_stamping_service_is_named_with_what_to_do(
    rendered: bytes, credential: SigningCredential, authority: Authority
) -> None:
    url = f"{nowhere()}/"
    with pytest.raises(InvalidInput) as raised:
        sign_stamped(rendered, credential, url, [root_pem(authority)])
    message = str(raised.value)
    assert f"time-stamping service at {url} did not answer" in message
    assert "check the address (SUMMITRY_TIMESTAMP_URL)" in message
    assert raised.value.field == "timestamp_url"


def test_a_service_whose_root_is_not_trusted_is_refused_in_words(
    rendered: bytes,
    credential: SigningCredential,
    authority: Authority,
    tsa: TimeStampingAuthority,
) -> None:
    # What documents.signing.sign passes: the host's root only.
    with pytest.raises(InvalidInput, match="time-stamping service"):
        sign_stamped(rendered, credential, tsa.url, [root_pem(authority)])


def test_a_time_from_an_untrusted_service_is_not_told_as_a_services(
    rendered: bytes,
    credential: SigningCredential,
    authority: Authority,
    tsa: TimeStampingAuthority,
) -> None:
    signed = sign_stamped(rendered, credential, tsa.url, [root_pem(authority), tsa.root_pem])
    (signature,) = verify(signed, [root_pem(authority)]).signatures  # the TSA's root unknown
    assert signature.trusted  # the signer's certificate still is
    assert not signature.timestamped


@pytest.fixture
def settings(tmp_path: Path, tsa: TimeStampingAuthority) -> Settings:
    """The app's settings, with this TSA named as an operator names one."""
    roots = tmp_path / "tsa-roots.pem"
    roots.write_bytes(tsa.root_pem)
    return Settings(
        environment="development",
        data_dir=tmp_path,
        secret_key="test-secret-key-that-is-long-enough-for-signing",
        base_url="http://summitry.test",
        media=False,
        timestamp_url=tsa.url,
        timestamp_roots=str(roots),
    )


async def test_a_party_signs_through_the_app_with_the_configured_services_time(
    secretariat: httpx.AsyncClient,
    make_engagement: Callable[..., Awaitable[Engagement]],
    make_invitee: Callable[..., Awaitable[tuple[httpx.AsyncClient, Any, str]]],
    tsa: TimeStampingAuthority,
) -> None:
    engagement = await make_engagement(("CN", "EUCO"))
    api = f"/api/v1/engagements/{engagement.id}/documents"
    made = await secretariat.post(
        api, json={"kind": "communique", "title": "Communiqué", "texts": {"en": "Agreed."}}
    )
    document = f"{api}/{made.json()['id']}"
    opened = await secretariat.post(f"{document}/procedures", json={"kind": "consensus"})
    await secretariat.post(f"{document}/procedures/{opened.json()['id']}/gavel")
    assert (await secretariat.post(f"{document}/copy")).status_code == 201
    head, _, _ = await make_invitee(engagement, Role.HEAD_OF_DELEGATION, "CN")
    signed = await head.post(f"{document}/signatures")
    assert signed.status_code == 201, signed.text
    pdf = (await secretariat.get(f"{document}/pdf")).content
    host = (await secretariat.get("/api/v1/signing/root.pem")).content
    (signature,) = (await asyncio.to_thread(verify, pdf, [host, tsa.root_pem])).signatures
    assert signature.good
    assert signature.timestamped
    assert signature.signed_at == tsa.issued_at[-1]
    checked = await secretariat.post(
        f"{document}/check", json={"pdf_base64": base64.b64encode(pdf).decode()}
    )
    assert checked.json()["all_good"] is True
    assert "time-stamping service" in checked.json()["explanation"][0]
