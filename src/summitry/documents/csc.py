"""pyHanko's client of the Cloud Signature Consortium API, as Summitry uses it: a credential's
certificate fetched, a signature authorised with the PIN for one hash and made at the service,
every failure told in words. Imported at first use (``services``, ``seals``)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from asn1crypto import x509 as asn1_x509  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.csc_signer import (
    CSCAuthorizationInfo,
    CSCAuthorizationManager,
    CSCCredentialInfo,
    CSCServiceSessionInfo,
    CSCSigner,
    fetch_certs_in_csc_credential,
)

from summitry.documents import authority as ca
from summitry.documents.services import ServiceCredential
from summitry.errors import InvalidInput, ServiceUnreachable, SummitryError
from summitry.settings_tables import SigningServiceSettings

TIMEOUT = 30
"""Seconds a call may take: a signature is asked for while the engagement is held."""
SAID_LIMIT = 200
"""How much of a service's own words a refusal quotes (they go into the record)."""
T = TypeVar("T")


async def fetch_certificate(
    service: SigningServiceSettings, credential_id: str, token: str
) -> ca.SigningCredential:
    """The certificate and chain the service holds for the credential (``credentials/info``),
    refused unless it can sign today; the key stays at the service."""
    info = CSCServiceSessionInfo(service.url, credential_id, oauth_token=token)
    async with _session() as session:
        found = await _credential_info(session, service, info)
    certificate = _cryptography(found.signing_cert)
    return ca.at_service(certificate, [_cryptography(c) for c in found.chain])


def sign_with(credential: ServiceCredential, signing: Callable[[CSCSigner], Awaitable[T]]) -> T:
    """``signing`` given a signer at the credential's service, in an event loop of its own:
    call from a worker thread; the HTTP session lives and ends in that loop."""
    return asyncio.run(_signing_with(credential, signing))


async def _signing_with(
    credential: ServiceCredential, signing: Callable[[CSCSigner], Awaitable[T]]
) -> T:
    service = credential.service
    info = CSCServiceSessionInfo(
        service.url, credential.credential_id, oauth_token=credential.token
    )
    async with _session() as session:
        found = await _credential_info(session, service, info)
        if _fingerprint(found.signing_cert) != credential.fingerprint:
            raise InvalidInput(
                f"{service.shown_as} now holds another certificate for this "
                "credential than the one linked: the secretariat links the signatory again"
            )
        authorisation = _PinAuthorisation(info, found, session, credential)
        return await signing(_ServiceSigner(session, authorisation, service))


class _PinAuthorisation(CSCAuthorizationManager):
    """Signature activation data for the hashes about to be signed, with the signatory's PIN."""

    def __init__(
        self,
        session_info: CSCServiceSessionInfo,
        credential_info: CSCCredentialInfo,
        session: aiohttp.ClientSession,
        credential: ServiceCredential,
    ) -> None:
        super().__init__(session_info, credential_info)
        self._session = session
        self._credential = credential

    async def authorize_signature(self, hash_b64s: list[str]) -> CSCAuthorizationInfo:
        # The hashes always: a SAD bound to them signs nothing else, whatever the SCAL.
        body = self.format_csc_auth_request(pin=self._credential.pin, hash_b64s=hash_b64s)
        service = self._credential.service
        url = self.csc_session_info.endpoint_url("credentials/authorize")  # type: ignore[no-untyped-call]
        try:
            async with self._session.post(
                url, headers=self.auth_headers, json=body, timeout=_timeout()
            ) as response:
                status, text = response.status, await response.text()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise _unreachable(service, err) from None
        said = _said(text)
        if status in (401, 403):
            raise _token_refused(service, status)
        if 400 <= status < 500:
            if "credential" in said.lower():
                raise _credential_unknown(service, said)
            raise InvalidInput(
                f"{service.shown_as} refused the PIN: {said}; sign again with the right PIN",
                field="pin",
            )
        try:
            if status >= 300:
                raise SigningError(f"HTTP {status}")
            return self.parse_csc_auth_response(json.loads(text))
        except (SigningError, ValueError, TypeError) as err:
            raise _unreachable(service, err) from None


class _ServiceSigner(CSCSigner):
    """pyHanko's CSC signer, whose failures are told in words instead of logged and lost."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        authorisation: _PinAuthorisation,
        service: SigningServiceSettings,
    ) -> None:
        super().__init__(session, authorisation, sign_timeout=TIMEOUT)
        self._service = service

    async def commit(self) -> None:
        try:
            await super().commit()  # type: ignore[no-untyped-call]
        except SigningError as err:
            raise _failure(self._service, err, "sign") from None


async def _credential_info(
    session: aiohttp.ClientSession, service: SigningServiceSettings, info: CSCServiceSessionInfo
) -> CSCCredentialInfo:
    try:
        return await fetch_certs_in_csc_credential(session, info, timeout=TIMEOUT)
    except (SigningError, TimeoutError) as err:
        raise _failure(service, err, "know the credential") from None


def _failure(service: SigningServiceSettings, err: Exception, doing: str) -> SummitryError:
    """What a failed call to the service means, in words: ``err`` is pyHanko's, its cause the
    HTTP client's."""
    cause = err.__cause__ or err
    if isinstance(cause, aiohttp.ClientResponseError) and cause.status >= 400:
        if cause.status in (401, 403):
            return _token_refused(service, cause.status)
        if cause.status < 500 and doing == "know the credential":
            return _credential_unknown(service, f"HTTP {cause.status}, {cause.message}")
        if cause.status < 500:
            return InvalidInput(
                f"{service.shown_as} refused to sign (HTTP {cause.status}, "
                f"{cause.message}): sign again; if it refuses again, ask the ministry why"
            )
    return _unreachable(service, cause)


def _unreachable(service: SigningServiceSettings, cause: BaseException) -> ServiceUnreachable:
    said = str(cause) or type(cause).__name__
    silent = isinstance(cause, aiohttp.ClientConnectionError | TimeoutError)
    return ServiceUnreachable(
        f"{service.shown_as} did not answer"
        f"{'' if silent else ' as a signing service does'} ({said[:SAID_LIMIT]}): try again "
        f"in a moment; if it persists, ask the ministry whether its service at {service.url} runs"
    )


def _token_refused(service: SigningServiceSettings, status: int) -> InvalidInput:
    return InvalidInput(
        f"{service.shown_as} did not accept the signatory's token "
        f"(HTTP {status}): it may have expired; the secretariat links the signatory again with "
        "a fresh token from the service",
        field="token",
    )


def _credential_unknown(service: SigningServiceSettings, said: str) -> InvalidInput:
    return InvalidInput(
        f"{service.shown_as} does not know this credential ({said}): check "
        "the credential ID with the ministry",
        field="credential_id",
    )


def _said(text: str) -> str:
    """A CSC error's own words (``error_description``, else ``error``), cut short."""
    try:
        answer: Any = json.loads(text)
    except ValueError:
        answer = None
    said = ""
    if isinstance(answer, dict):
        said = str(answer.get("error_description") or answer.get("error") or "")
    return " ".join(said.split())[:SAID_LIMIT] or "no reason given"


def _session() -> aiohttp.ClientSession:
    # No proxy from the environment: the address is the configured one, and only it.
    return aiohttp.ClientSession(trust_env=False, timeout=_timeout())


def _timeout() -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=TIMEOUT)


def _cryptography(certificate: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(certificate.dump())


def _fingerprint(certificate: asn1_x509.Certificate) -> str:
    return _cryptography(certificate).fingerprint(hashes.SHA256()).hex()
