"""Signing services: a signatory's key kept at their ministry's remote signing service and
used through the Cloud Signature Consortium API v1 (the client is ``csc.py``, pyHanko's).

Only the services the settings name are ever called: a person names one, never an address.
The OAuth token the service issued the signatory is kept sealed under a key derived from the
server's secret; the PIN authorises one signature of one hash (SCAL 2) and is kept nowhere.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from summitry.documents import authority as ca
from summitry.documents.models import SigningCertificate
from summitry.errors import InvalidInput
from summitry.settings_tables import SigningServiceSettings


@dataclass(frozen=True)
class ServiceCredential:
    """A signatory's credential at a signing service, opened for one signature."""

    service: SigningServiceSettings
    credential_id: str
    certificate_pem: bytes
    chain_pem: bytes
    fingerprint: str
    """The certificate the record holds: the service must still hold this one."""
    token: str = field(repr=False)
    pin: str = field(repr=False)


def service_named(configured: list[SigningServiceSettings], name: str) -> SigningServiceSettings:
    """The configured service of that name; refused, naming the configured ones, if none."""
    for service in configured:
        if service.name == name:
            return service
    known = ", ".join(s.name for s in configured)
    raise InvalidInput(
        f"there is no signing service called {name!r} here: the configured ones are {known}"
        if known
        else f"there is no signing service called {name!r}: none is configured "
        "(signing_services in the settings)",
        field="service",
    )


def seal_token(token: str, passphrase: bytes) -> bytes:
    return _sealer(passphrase).encrypt(token.encode())


def opened(
    row: SigningCertificate,
    configured: list[SigningServiceSettings],
    pin: str | None,
    passphrase: bytes,
) -> ServiceCredential:
    """The linked credential, with its token unsealed and the PIN given for this signature."""
    service = service_named(configured, row.service or "")
    if not pin:
        raise InvalidInput(
            f"this signatory signs through {service.shown_as}: give the PIN",
            field="pin",
        )
    try:
        token = _sealer(passphrase).decrypt(row.service_token or b"").decode()
    except InvalidToken:
        raise InvalidInput(
            "the signing service's token cannot be opened: the server's secret key has changed "
            "since the signatory was linked; the secretariat links them again"
        ) from None
    return ServiceCredential(
        service,
        row.credential_id or "",
        row.certificate_pem,
        row.chain_pem,
        row.fingerprint,
        token=token,
        pin=pin,
    )


def _sealer(passphrase: bytes) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"summitry signing service tokens"
    ).derive(passphrase)
    return Fernet(base64.urlsafe_b64encode(key))


async def fetch_certificate(
    service: SigningServiceSettings, credential_id: str, token: str
) -> ca.SigningCredential:
    """The certificate and chain the service holds for the credential (``credentials/info``),
    refused unless it can sign today; the key stays at the service."""
    # pyHanko's client and aiohttp are imported when a service is first asked, not with the
    # app: they cost every command and server start most of a second.
    from summitry.documents import csc

    return await csc.fetch_certificate(service, credential_id, token)
