"""The host's certificate authority: a root made at install and a certificate per signatory.

Every private key leaves this module encrypted under a passphrase derived from the server's
secret key, so a copy of the database alone cannot sign anything. Signatories who bring their
own certificate (a PKCS#12 file from their foreign ministry's authority) are checked here
before their key is sealed the same way.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
    PrivateKeyTypes,
)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from summitry.errors import InvalidInput

ROOT_VALIDITY = dt.timedelta(days=20 * 365)
SIGNATORY_VALIDITY = dt.timedelta(days=3 * 365)
# A server whose clock runs a little behind the host's must still accept a fresh certificate.
CLOCK_SKEW = dt.timedelta(hours=1)

SigningKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)
"""The kinds of key pyHanko signs PDFs with (DSA, which it also knows, is refused)."""


@dataclass(frozen=True)
class Authority:
    """The root certificate and its encrypted private key."""

    certificate_pem: bytes
    key_pem: bytes


@dataclass(frozen=True)
class SigningCredential:
    """A signatory's certificate, encrypted key and the certificates between it and its root."""

    certificate_pem: bytes
    key_pem: bytes
    chain_pem: bytes
    fingerprint: str
    subject: str
    not_after: dt.datetime


def passphrase_from(secret_key: str) -> bytes:
    """The passphrase that seals the authority's and signatories' keys, from the secret key."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"summitry signing authority"
    ).derive(secret_key.encode())
    # Printable, so that an operator can hand it to openssl when moving keys by hand.
    return base64.urlsafe_b64encode(derived).rstrip(b"=")


def new_authority(name: str, passphrase: bytes, *, now: dt.datetime | None = None) -> Authority:
    """A new self-signed P-256 root for the host ``name``, valid for 20 years."""
    if not name.strip():
        raise InvalidInput("give the host's name for its signing authority", field="name")
    now = now or dt.datetime.now(dt.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, _fitted(f"Signing authority of {name}")),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fitted(name)),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Authority(
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
        key_pem=_seal(key, passphrase),
    )


def pem_file(path: str) -> list[bytes]:
    """The certificates of a PEM file named in the settings, each as PEM; none for ``""``."""
    if not path:
        return []
    try:
        data = Path(path).read_bytes()
        found = x509.load_pem_x509_certificates(data)
    except (OSError, ValueError) as err:
        raise InvalidInput(
            f"the certificates in {path} could not be read ({err}): check "
            "SUMMITRY_TIMESTAMP_ROOTS, a PEM file"
        ) from err
    return [c.public_bytes(serialization.Encoding.PEM) for c in found]


def root_pem(authority: Authority) -> bytes:
    """The root certificate as PEM, for the parties to add to their trusted authorities."""
    certificate = x509.load_pem_x509_certificate(authority.certificate_pem)
    return certificate.public_bytes(serialization.Encoding.PEM)


def issue(
    authority: Authority,
    passphrase: bytes,
    *,
    person: str,
    delegation: str,
    office: str,
    now: dt.datetime | None = None,
) -> SigningCredential:
    """A P-256 signing certificate for ``person`` of ``delegation``, valid for 3 years."""
    if not person.strip():
        raise InvalidInput("give the name of the person who will sign", field="person")
    now = now or dt.datetime.now(dt.UTC)
    issuer = x509.load_pem_x509_certificate(authority.certificate_pem)
    issuer_key = load_key(authority.key_pem, passphrase)
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, _fitted(person))]
    if delegation.strip():
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fitted(delegation)))
    if office.strip():
        attributes.append(x509.NameAttribute(NameOID.TITLE, _fitted(office)))
    issuer_ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    # No extended key usage: NSS (pdfsig) and pyHanko both accept a certificate without one,
    # while a purpose they do not expect would make either refuse it.
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(min(now + SIGNATORY_VALIDITY, issuer.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )
    return _credential(certificate, _seal(key, passphrase), [issuer])


def import_pkcs12(data: bytes, password: bytes | None, passphrase: bytes) -> SigningCredential:
    """A credential from a PKCS#12 (.p12, .pfx) file, refused unless it can sign PDFs today."""
    try:
        key, certificate, extra = pkcs12.load_key_and_certificates(data, password or None)
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidInput(
            "the certificate file could not be opened: check its password, and that it is a "
            "PKCS#12 file (.p12 or .pfx) exported with its private key",
            field="file",
        ) from None
    if key is None:
        # Without a key cryptography cannot tell which certificate is the signatory's, so
        # any certificate at all comes back among the extra ones.
        raise InvalidInput(
            "the file holds the certificate but not its private key: export it again and "
            "choose to include the private key"
            if certificate or extra
            else "the file holds no certificate: export the signatory's certificate again, "
            "with its private key, as a PKCS#12 file (.p12 or .pfx)",
            field="file",
        )
    if certificate is None:
        raise InvalidInput(
            "the file holds a private key but no certificate for it: export the certificate "
            "again, with its private key",
            field="file",
        )
    if not isinstance(key, SigningKey):
        raise InvalidInput(
            "the certificate's key is of a kind PDF signatures do not use: ask the issuing "
            "authority for an RSA or elliptic-curve signing certificate",
            field="file",
        )
    if _public_der(key.public_key()) != _public_der(certificate.public_key()):
        raise InvalidInput(
            "the private key in the file does not belong to its certificate: export the "
            "certificate and its own key together",
            field="file",
        )
    _check_can_sign(certificate)
    return _credential(certificate, _seal(key, passphrase), list(extra))


def at_service(certificate: x509.Certificate, chain: list[x509.Certificate]) -> SigningCredential:
    """A certificate whose key a signing service keeps: checked as an imported one is; no key
    is kept here."""
    _check_can_sign(certificate)
    return _credential(certificate, b"", chain)


def load_key(key_pem: bytes, passphrase: bytes) -> SigningKey:
    """The private key sealed in ``key_pem``; refused if the passphrase no longer opens it."""
    key = _unseal(key_pem, passphrase)
    if not isinstance(key, SigningKey):
        raise InvalidInput("this signing key is of a kind PDF signatures do not use")
    return key


def _check_can_sign(certificate: x509.Certificate, now: dt.datetime | None = None) -> None:
    now = now or dt.datetime.now(dt.UTC)
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None  # RFC 5280: without the extension the key may be used for anything
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise InvalidInput(
            "this certificate is not meant for signing (its key usage allows neither digital "
            "signatures nor non-repudiation): ask the issuing authority for a signing "
            "certificate",
            field="file",
        )
    if certificate.not_valid_after_utc <= now:
        raise InvalidInput(
            f"this certificate expired on {_day(certificate.not_valid_after_utc)}: ask the "
            "issuing authority for a new one",
            field="file",
        )
    if certificate.not_valid_before_utc > now + CLOCK_SKEW:
        raise InvalidInput(
            f"this certificate is valid only from {_day(certificate.not_valid_before_utc)}: "
            "import it on or after that day",
            field="file",
        )


def _credential(
    certificate: x509.Certificate, key_pem: bytes, chain: list[x509.Certificate]
) -> SigningCredential:
    pem = serialization.Encoding.PEM
    return SigningCredential(
        certificate_pem=certificate.public_bytes(pem),
        key_pem=key_pem,
        chain_pem=b"".join(c.public_bytes(pem) for c in chain if c != certificate),
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
        subject=certificate.subject.rfc4514_string(),
        not_after=certificate.not_valid_after_utc,
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=not cert_sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _seal(key: SigningKey, passphrase: bytes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )


def _unseal(key_pem: bytes, passphrase: bytes) -> PrivateKeyTypes:
    try:
        return serialization.load_pem_private_key(key_pem, password=passphrase)
    except (ValueError, TypeError):
        raise InvalidInput(
            "the signing key cannot be opened: the server's secret key has changed since it "
            "was made; restore the previous secret key"
        ) from None


def _public_der(public: CertificatePublicKeyTypes) -> bytes:
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _day(moment: dt.datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


NAME_LIMIT = 64
"""X.509's upper bound on a name's common name, organisation and title (RFC 5280), which
``cryptography`` counts in UTF-8 bytes."""


def _fitted(value: str) -> str:
    """A name as a certificate can hold it: spaces made single, cut at 64 with an ellipsis
    (an office such as "Federal Chancellor of Germany (Germany holding the Presidency of the
    Council of the EU)" is longer)."""
    words = " ".join(value.split())
    if len(words.encode()) <= NAME_LIMIT:
        return words
    while len(f"{words}…".encode()) > NAME_LIMIT:
        words = words[:-1].rstrip()
    return f"{words}…"
