"""What the API accepts and returns about delegations and people."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator
from pydantic_core import PydanticCustomError

from summitry.delegations.models import DelegationKind

# Control characters other than tab and line breaks, and lone surrogates: PostgreSQL cannot store
# NUL, and none of them belongs in a title, a name or a code.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class InputModel(BaseModel):
    """Base of every request body: unknown fields refused, text trimmed and printable."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and (found := _UNPRINTABLE.search(text)):
                raise PydanticCustomError(
                    "control_character",
                    "contains the control character U+{point}; remove it",
                    {"point": f"{ord(found.group()):04X}"},
                )
        return value


class DelegationIn(InputModel):
    """A delegation to record: a state by ISO code, or an organisation."""

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


class PersonIn(InputModel):
    """A person who may take part for a delegation."""

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
