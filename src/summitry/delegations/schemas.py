"""What the API accepts and returns about delegations and people."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from summitry.delegations.models import DelegationKind


class DelegationIn(BaseModel):
    """A delegation to record: a state by ISO code, or an organisation."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        min_length=2,
        max_length=12,
        pattern=r"^[A-Za-z][A-Za-z0-9]{1,11}$",
        description="ISO 3166 alpha-2 code for a state (DE), or an organisation's code (EUCOM)",
    )
    kind: DelegationKind = DelegationKind.STATE
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Required for an organisation not in the catalogue; states are named by ISO",
    )
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description="IANA zone of the seat; defaults to the state's or organisation's",
    )


class DelegationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    kind: DelegationKind
    name: str
    timezone: str


class PersonIn(BaseModel):
    """A person who may take part for a delegation."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    office: str = Field(min_length=1, max_length=300, examples=["Federal Chancellor"])
    form_of_address: str = Field(default="", max_length=60, examples=["H.E. Ms"])
    language: str | None = Field(default=None, max_length=16, examples=["de"])
    email: EmailStr | None = None


class PersonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    delegation_id: int
    name: str | None
    office: str
    form_of_address: str
    language: str | None
    display_name: str
