"""A ministry's remote signing service (Cloud Signature Consortium API v1), real, on loopback.

Written on the standard library's HTTP server: it keeps an ECDSA key with a certificate from
its own ministry's authority, answers ``credentials/info``, gives signature activation data
bound to the hashes for the right token and PIN (``credentials/authorize``, SCAL 2) and signs
those hashes, and only those (``signatures/signHash``).
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID

from tests.support.loopback import serving

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


@contextmanager
def signing_service() -> Iterator[SigningService]:
    """A service with a fresh ministry, listening on a free loopback port."""
    service = SigningService(*ministry())
    with serving(_Server(service), "loopback-csc") as url:
        service.url = url
        yield service
