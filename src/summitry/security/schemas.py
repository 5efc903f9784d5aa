"""What the API accepts and returns about signing in and invitations."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from summitry.delegations.schemas import InputModel
from summitry.engagements.models import Role


class Credentials(InputModel):
    # A password is taken exactly as typed, blanks and all.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class InvitationToken(InputModel):
    token: str = Field(min_length=1, max_length=256)


class GrantOut(BaseModel):
    engagement_id: int
    role: Role


class Me(BaseModel):
    """Who the session belongs to."""

    kind: Literal["secretariat", "invitee"]
    name: str
    grants: list[GrantOut]


class InvitationOut(BaseModel):
    """An invitation as listed: never its token."""

    id: int
    attendee_id: int
    person: str
    role: Role
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    state: Literal["valid", "expired", "revoked"]


class IssuedInvitationOut(InvitationOut):
    """A new invitation: its link is shown this once and cannot be recovered."""

    url: str
