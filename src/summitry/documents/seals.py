"""PAdES signatures on outcome documents, one incremental revision per signatory, and their
verification told in words a protocol officer can act on.

Both functions are synchronous and run pyHanko's event loop inside (``asyncio.run``): call
them from a worker thread, never from a coroutine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from io import BytesIO

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import constants
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathError, ValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from summitry.documents import csc
from summitry.documents.authority import SigningCredential
from summitry.documents.explanation import explain_signature
from summitry.documents.services import ServiceCredential
from summitry.errors import InvalidInput

log = logging.getLogger(__name__)

# Either usage makes a signing certificate, as import_pkcs12 accepts either.
SIGNING_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)
# Later signatures fill fields of their own: pyHanko calls that form filling.
HARMLESS_LATER = frozenset(
    {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING}
)
"""What may follow a signature without the document counting as changed since."""


@dataclass(frozen=True)
class SignatureFinding:
    """What the validator found about one signature, in plain fields."""

    field: str
    signer: str
    organisation: str | None
    signed_at: dt.datetime | None
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool
    changed_after: bool
    timestamped: bool
    certificate_fingerprint: str
    issuer: str
    checked: bool = True
    """False: the validator could not judge the signature at all (not: found it broken)."""

    @property
    def good(self) -> bool:
        """Whether this signature can be relied on: unaltered, genuine and trusted."""
        return self.intact and self.valid and self.trusted and not self.changed_after


@dataclass(frozen=True)
class Verification:
    """Every signature of a file, its SHA-256, and why it could not be read if it could not."""

    signatures: tuple[SignatureFinding, ...]
    sha256: str
    readable: bool
    problem: str | None = None

    @property
    def all_good(self) -> bool:
        """Whether the file is signed and every signature can be relied on."""
        return self.readable and bool(self.signatures) and all(s.good for s in self.signatures)

    def explain(self) -> list[str]:
        """A line per signature and a verdict, in words a protocol officer acts on."""
        if not self.readable:
            return [self.problem or "This file cannot be read."]
        if not self.signatures:
            return ["The file has no signatures."]
        total = len(self.signatures)
        lines = [explain_signature(n, total, s) for n, s in enumerate(self.signatures, start=1)]
        return [*lines, self._verdict()]

    def _verdict(self) -> str:
        found = self.signatures
        if self.all_good:
            if len(found) == 1:
                return "The signature is intact and comes from a trusted authority."
            return f"All {len(found)} signatures are intact and come from trusted authorities."
        if not all(s.intact and s.valid for s in found):
            return "Do not rely on this copy: it is not the document that was signed."
        if any(s.changed_after for s in found):
            return "Do not rely on this copy: it was changed after it was signed."
        return "The document is intact, but not every certificate comes from a trusted authority."


def sign(
    pdf: bytes,
    credential: SigningCredential | ServiceCredential,
    passphrase: bytes,
    *,
    field_name: str,
    signer_name: str,
    reason: str,
    location: str | None = None,
    timestamp_url: str | None = None,
    trust_roots: list[bytes],
) -> bytes:
    """``pdf`` with one more PAdES signature, in a revision of its own; a field signs once:
    with the key sealed here, or by the signing service that keeps it."""
    # Given trust_roots, pyHanko also refuses a certificate that does not chain to one today.
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        _refuse_signed_field(writer.prev, field_name)
    except PdfError:
        raise InvalidInput("this file is not a PDF that can be signed", field="file") from None
    _align_producer(writer)
    roots = _certificates(trust_roots)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        name=signer_name,
        validation_context=_context(roots) if roots else None,
        signer_key_usage=_usages(credential),
    )
    timestamper = HTTPTimeStamper(timestamp_url) if timestamp_url else None

    def pdf_signer(signer: signers.Signer) -> _Pdf17Signer:
        return _Pdf17Signer(meta, signer, timestamper=timestamper)

    try:
        if isinstance(credential, ServiceCredential):
            out = csc.sign_with(credential, lambda at: pdf_signer(at).async_sign_pdf(writer))
        else:
            out = pdf_signer(_local_signer(credential, passphrase)).sign_pdf(writer)
    except OSError as err:  # pyHanko's TimestampRequestError is one
        raise InvalidInput(
            f"the time-stamping service at {timestamp_url} did not answer "
            f"({err.__cause__ or err}): check the address (SUMMITRY_TIMESTAMP_URL) and that the "
            "service runs, then sign again",
            field="timestamp_url",
        ) from err
    except (PathError, ValidationError) as err:  # pyHanko checks the service's certificate
        raise InvalidInput(
            f"the certificate of the time-stamping service at {timestamp_url} does not come "
            f"from a trusted authority, or is no longer valid ({err}): name the service's root "
            "in SUMMITRY_TIMESTAMP_ROOTS",
            field="timestamp_url",
        ) from err
    except (SigningError, PdfError) as err:
        if roots and "could not be validated" in str(err):
            raise InvalidInput(
                f"the certificate of {signer_name} is not from a trusted signing authority, or "
                "is no longer valid: issue or import a current one",
            ) from err
        raise InvalidInput(f"the document could not be signed: {err}") from err
    return bytes(out.getvalue())


def verify(pdf: bytes, trust_roots: list[bytes]) -> Verification:
    """Every signature of ``pdf`` checked against ``trust_roots`` (PEM), never fetching."""
    sha256 = hashlib.sha256(pdf).hexdigest()
    roots = _certificates(trust_roots)
    if b"%PDF-" not in pdf[:1024]:
        return Verification((), sha256, readable=False, problem="This file is not a PDF.")
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        if reader.encrypted:
            return Verification(
                (),
                sha256,
                readable=False,
                problem="This PDF is locked with a password: ask "
                "for a copy without one, as the signatories signed it.",
            )
        embedded = sorted(reader.embedded_signatures, key=lambda e: e.signed_revision)
    except Exception:  # a damaged file fails anywhere in the parser, with any exception
        return Verification(
            (),
            sha256,
            readable=False,
            problem="This file is damaged: it starts like a PDF, but it cannot be read as one.",
        )
    last = len(embedded) - 1
    found = tuple(_finding(e, roots, final=i == last) for i, e in enumerate(embedded))
    return Verification(found, sha256, readable=True)


def _local_signer(credential: SigningCredential, passphrase: bytes) -> signers.SimpleSigner:
    try:
        certificate = next(iter(load_certs_from_pemder_data(credential.certificate_pem)))
        key = load_private_key_from_pemder_data(credential.key_pem, passphrase)
    except (ValueError, TypeError):
        raise InvalidInput(
            "the signing key cannot be opened: the server's secret key has changed since the "
            "certificate was issued or imported; restore the previous secret key"
        ) from None
    return signers.SimpleSigner(
        signing_cert=certificate, signing_key=key, cert_registry=_registry(credential)
    )


class _Pdf17Signer(signers.PdfSigner):
    """A signer that leaves a PDF 1.7 file at 1.7.

    For a P-256 key pyHanko declares ISO 32002 and raises the catalogue's version to 2.0;
    a PDF/A-3 file must stay PDF 1.7. PAdES has signed with ECDSA in PDF 1.7 files, under the
    ESIC extension still declared here, since long before ISO 32002.
    """

    def register_extensions(self, pdf_out: BasePdfFileWriter, *, md_algorithm: str) -> None:
        if pdf_out.output_version >= (2, 0):
            super().register_extensions(pdf_out, md_algorithm=md_algorithm)
            return
        pdf_out.ensure_output_version(version=(1, 7))  # type: ignore[no-untyped-call]
        pdf_out.register_extension(constants.ESIC_EXTENSION_1)


def _align_producer(writer: IncrementalPdfFileWriter) -> None:
    # pyHanko writes "pyHanko" as the XMP producer but appends it to the /Info one; PDF/A
    # wants the two to agree, so the /Info producer becomes what the XMP will say.
    info_ref = writer.prev.trailer.raw_get("/Info")
    if "/Metadata" not in writer.root or not isinstance(info_ref, generic.IndirectObject):
        return
    info = info_ref.get_object()  # type: ignore[no-untyped-call]
    if isinstance(info, generic.DictionaryObject):
        info["/Producer"] = generic.TextStringObject(VENDOR)
        writer.mark_update(info_ref)


def _refuse_signed_field(reader: PdfFileReader, field_name: str) -> None:
    for name, value, _ in fields.enumerate_sig_fields(reader, with_name=field_name):
        if value is None:
            continue
        signed = next((e for e in reader.embedded_signatures if e.field_name == name), None)
        who = _name_of(_certificate(signed), NameOID.COMMON_NAME) if signed else None
        raise InvalidInput(
            f"the field {field_name!r} is already signed by {who or 'someone'}: each "
            "signatory signs in a field of their own",
            field="field_name",
        )


def _finding(
    embedded: EmbeddedPdfSignature, roots: list[object], *, final: bool
) -> SignatureFinding:
    """What one signature says; the ``final`` one must cover the whole file: what was added
    after the last signature, harmless as it may look to the validator (a field drawn over
    the page), was signed by no one."""
    try:
        certificate: x509.Certificate | None = _certificate(embedded)
    except Exception:  # a signature whose contents are garbage names no one
        certificate = None
    status = _validate(embedded, roots) if certificate else None
    timestamp = status.timestamp_validity if status else None
    # A time vouched for by a service nobody trusts is the signer's word, not a service's.
    timestamped = bool(timestamp and timestamp.intact and timestamp.valid and timestamp.trusted)
    covers = bool(status and status.coverage == SignatureCoverageLevel.ENTIRE_FILE)
    return SignatureFinding(
        field=str(embedded.field_name),
        signer=_name_of(certificate, NameOID.COMMON_NAME) or "an unknown signer",
        organisation=_name_of(certificate, NameOID.ORGANIZATION_NAME),
        signed_at=timestamp.timestamp if timestamp and timestamped else _reported(embedded),
        intact=bool(status and status.intact),
        valid=bool(status and status.valid),
        trusted=bool(status and status.trusted),
        covers_whole_file=covers,
        changed_after=not covers and (final or not _only_harmless_after(status)),
        timestamped=timestamped,
        certificate_fingerprint=certificate.fingerprint(hashes.SHA256()).hex()
        if certificate
        else "",
        issuer=_issuer_name(certificate) if certificate else "an unknown authority",
        checked=status is not None,
    )


def _validate(embedded: EmbeddedPdfSignature, roots: list[object]) -> PdfSignatureStatus | None:
    for skip_diff in (False, True):
        # Without the difference analysis (when what came after cannot be analysed) the
        # signature is judged on its own, and reads as changed after unless it covers all.
        try:
            return validate_pdf_signature(
                embedded,
                _context(roots),
                key_usage_settings=SIGNING_USAGE,
                skip_diff=skip_diff,
            )
        except Exception as err:  # a forged or damaged signature fails with any exception
            log.info("signature %r could not be validated: %r", embedded.field_name, err)
    return None


def _only_harmless_after(status: PdfSignatureStatus | None) -> bool:
    if status is None or not status.docmdp_ok:
        return False
    if status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return False
    return status.modification_level in HARMLESS_LATER


def _reported(embedded: EmbeddedPdfSignature) -> dt.datetime | None:
    moment = embedded.self_reported_timestamp
    return moment if isinstance(moment, dt.datetime) else None


def _context(roots: list[object]) -> ValidationContext:
    # An empty list, not None: None would mean the operating system's web roots.
    return ValidationContext(trust_roots=list(roots), allow_fetching=False)


def _certificates(pems: list[bytes]) -> list[object]:
    found: list[object] = []
    for pem in pems:
        try:
            x509.load_pem_x509_certificates(pem)
        except ValueError:
            raise InvalidInput(
                "a trusted root given is not a PEM certificate (it should start with "
                "-----BEGIN CERTIFICATE-----)",
                field="trust_roots",
            ) from None
        found.extend(load_certs_from_pemder_data(pem))
    return found


def _registry(credential: SigningCredential | ServiceCredential) -> SimpleCertificateStore:
    # The issuers travel in the signature, so that a verifier needs only the root.
    chain = load_certs_from_pemder_data(credential.chain_pem) if credential.chain_pem else []
    return SimpleCertificateStore.from_certs(chain)  # type: ignore[no-untyped-call,no-any-return]


def _usages(credential: SigningCredential | ServiceCredential) -> set[str]:
    certificate = x509.load_pem_x509_certificate(credential.certificate_pem)
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return set()
    return {"non_repudiation"} if usage.content_commitment else {"digital_signature"}


def _certificate(embedded: EmbeddedPdfSignature) -> x509.Certificate:
    return x509.load_der_x509_certificate(embedded.signer_cert.dump())


def _name_of(certificate: x509.Certificate | None, oid: x509.ObjectIdentifier) -> str | None:
    if certificate is None:
        return None
    values = certificate.subject.get_attributes_for_oid(oid)
    value = values[0].value if values else None
    return value.decode() if isinstance(value, bytes) else value


def _issuer_name(certificate: x509.Certificate) -> str:
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        values = certificate.issuer.get_attributes_for_oid(oid)
        if values:
            value = values[0].value
            return value.decode() if isinstance(value, bytes) else value
    return certificate.issuer.rfc4514_string()
