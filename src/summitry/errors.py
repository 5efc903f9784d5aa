"""One error hierarchy: each error has a stable code, an HTTP status and a message to act on."""

from __future__ import annotations

from typing import ClassVar


class SummitryError(Exception):
    """Base of every error Summitry reports to a user or a client."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str]:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class InvalidInput(SummitryError):
    """The request is well formed but a value is not acceptable."""

    code = "invalid"
    status = 422


class NotSignedIn(SummitryError):
    """No valid session or invitation accompanies the request."""

    code = "not_signed_in"
    status = 401


class Forbidden(SummitryError):
    """The person is known but their role does not allow this."""

    code = "forbidden"
    status = 403


class NotFound(SummitryError):
    """The thing does not exist, or the person may not know that it does."""

    code = "not_found"
    status = 404


class Conflict(SummitryError):
    """The change would contradict what is already recorded (a duplicate, say)."""

    code = "conflict"
    status = 409


class InvitationUnusable(SummitryError):
    """An invitation token that is unknown, altered, expired or revoked."""

    code = "invitation_unusable"
    status = 403


class MediaUnavailable(SummitryError):
    """The media server (Janus) does not answer, or refused what Summitry asked of it."""

    code = "media_unavailable"
    status = 503


class ServiceUnreachable(SummitryError):
    """A service of another party Summitry relies on (a signing service) did not answer, or
    answered what cannot be used: nothing was refused here, so nothing is recorded."""

    code = "service_unreachable"
    status = 502
