"""The host's signing authority: the root, the signatories' certificates, imported PKCS#12."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from summitry.documents.authority import (
    Authority,
    import_pkcs12,
    issue,
    new_authority,
    passphrase_from,
    root_pem,
)
from summitry.errors import InvalidInput

PASSPHRASE = passphrase_from("a test secret key of the server")
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def authority() -> Authority:
    return new_authority("Republic of Testland", PASSPHRASE)


def p12(
    *,
    signing: bool = True,
    expires: dt.datetime | None = None,
    password: bytes | None = b"ministry",
    with_key: bool = True,
) -> bytes:
    """A self-signed certificate as a foreign ministry's PKCS#12 export."""
    key = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Ms Helena Brandt"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Federal Foreign Office"),
        ]
    )
    usage = x509.KeyUsage(
        digital_signature=signing,
        content_commitment=False,
        key_encipherment=not signing,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    expires = expires or NOW + dt.timedelta(days=365)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(expires - dt.timedelta(days=730))
        .not_valid_after(expires)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(
        b"signatory", key if with_key else None, certificate, None, encryption
    )


def test_the_passphrase_is_derived_from_the_secret_key_and_printable() -> None:
    assert passphrase_from("one secret") == passphrase_from("one secret")
    assert passphrase_from("one secret") != passphrase_from("another secret")
    assert PASSPHRASE.isascii()
    assert len(PASSPHRASE) >= 40


def test_the_root_is_a_certificate_authority_with_its_key_sealed(authority: Authority) -> None:
    root = x509.load_pem_x509_certificate(root_pem(authority))

    assert "Republic of Testland" in root.subject.rfc4514_string()
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = root.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign
    assert usage.crl_sign
    assert root.not_valid_after_utc - NOW > dt.timedelta(days=19 * 365)
    assert b"ENCRYPTED PRIVATE KEY" in authority.key_pem
    with pytest.raises(TypeError):  # no passphrase, no key
        serialization.load_pem_private_key(authority.key_pem, password=None)


def test_a_signatory_certificate_names_the_person_delegation_and_office(
    authority: Authority,
) -> None:
    credential = issue(
        authority,
        PASSPHRASE,
        person="H.E. Mr Wang Yi",
        delegation="People's Republic of China",
        office="Minister of Foreign Affairs",
        now=NOW,
    )
    certificate = x509.load_pem_x509_certificate(credential.certificate_pem)
    root = x509.load_pem_x509_certificate(root_pem(authority))

    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "H.E. Mr Wang Yi"
    organisation = subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    assert organisation == "People's Republic of China"
    assert subject.get_attributes_for_oid(NameOID.TITLE)[0].value == "Minister of Foreign Affairs"
    assert certificate.issuer == root.subject
    certificate.verify_directly_issued_by(root)

    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert usage.content_commitment
    assert not usage.key_cert_sign
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    authority_key = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    root_key = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert authority_key.value.key_identifier == root_key.value.digest

    assert credential.fingerprint == certificate.fingerprint(hashes.SHA256()).hex()
    assert credential.chain_pem == root_pem(authority)
    assert "CN=H.E. Mr Wang Yi" in credential.subject
    assert dt.timedelta(days=3 * 365 - 1) < credential.not_after - NOW <= dt.timedelta(days=1095)
    key = serialization.load_pem_private_key(credential.key_pem, password=PASSPHRASE)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == "secp256r1"


def test_issuing_needs_the_passphrase_that_sealed_the_root(authority: Authority) -> None:
    with pytest.raises(InvalidInput, match="secret key has changed"):
        issue(authority, b"not the passphrase", person="X", delegation="Y", office="Z")


def test_a_good_pkcs12_file_is_imported_and_its_key_sealed_again() -> None:
    credential = import_pkcs12(p12(), b"ministry", PASSPHRASE)

    certificate = x509.load_pem_x509_certificate(credential.certificate_pem)
    assert certificate.subject.rfc4514_string() == credential.subject
    assert "Federal Foreign Office" in credential.subject
    assert credential.chain_pem == b""
    key = serialization.load_pem_private_key(credential.key_pem, password=PASSPHRASE)
    assert isinstance(key, ec.EllipticCurvePrivateKey)


def test_a_pkcs12_file_without_a_password_is_imported() -> None:
    assert import_pkcs12(p12(password=None), None, PASSPHRASE).fingerprint


def test_a_wrong_password_is_refused_saying_to_check_it() -> None:
    with pytest.raises(InvalidInput, match="check its password") as refused:
        import_pkcs12(p12(), b"not the password", PASSPHRASE)
    assert refused.value.field == "file"


def test_a_file_that_is_no_pkcs12_is_refused_saying_what_to_give() -> None:
    with pytest.raises(InvalidInput, match=r"PKCS#12 file \(\.p12 or \.pfx\)"):
        import_pkcs12(b"%PDF-1.7 not a certificate", b"ministry", PASSPHRASE)


def test_a_file_without_the_private_key_is_refused_saying_to_include_it() -> None:
    with pytest.raises(InvalidInput, match="not its private key: export it again"):
        import_pkcs12(p12(with_key=False), b"ministry", PASSPHRASE)


def test_a_certificate_not_meant_for_signing_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not meant for signing") as refused:
        import_pkcs12(p12(signing=False), b"ministry", PASSPHRASE)
    assert "ask the issuing authority for a signing certificate" in refused.value.message


def test_an_expired_certificate_is_refused_saying_when_and_what_to_do() -> None:
    expired = dt.datetime(2024, 3, 3, 12, 0, tzinfo=dt.UTC)
    with pytest.raises(InvalidInput, match="expired on 3 March 2024") as refused:
        import_pkcs12(p12(expires=expired), b"ministry", PASSPHRASE)
    assert "ask the issuing authority for a new one" in refused.value.message


def test_names_longer_than_a_certificate_holds_are_cut_with_an_ellipsis() -> None:
    passphrase = b"long names"
    long_host = "Ministry of Foreign Affairs and International Cooperation of Ruritania"
    made = new_authority(long_host, passphrase)
    root = x509.load_pem_x509_certificate(root_pem(made))
    common = root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert common == "Signing authority of Ministry of Foreign Affairs and Internat…"
    office = "Federal Chancellor of Germany (Germany holding the Presidency of the Council)"
    credential = issue(
        made, passphrase, person="Angela Merkel", delegation="Germany", office=office
    )
    certificate = x509.load_pem_x509_certificate(credential.certificate_pem)
    title = str(certificate.subject.get_attributes_for_oid(NameOID.TITLE)[0].value)
    assert len(title.encode()) <= 64
    assert title.endswith("…")
    assert title.startswith("Federal Chancellor of Germany (Germany holding the Presidency")
