"""Delegations (states and international organisations) and the people who represent them."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from summitry.db import Base, db_enum


class DelegationKind(enum.StrEnum):
    STATE = "state"
    ORGANISATION = "organisation"


class Delegation(Base):
    """A sovereign state (ISO 3166 alpha-2 code) or an international organisation."""

    __tablename__ = "delegation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    kind: Mapped[DelegationKind] = mapped_column(db_enum(DelegationKind))
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))

    people: Mapped[list[Person]] = relationship(
        back_populates="delegation", order_by="Person.id", cascade="all, delete-orphan"
    )


class Person(Base):
    """Someone who may take part for a delegation, with the office they hold."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("delegation_id", "name", "office"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegation.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(200))
    """``None`` where the sources confirm the office but not who held it."""
    office: Mapped[str] = mapped_column(String(300))
    form_of_address: Mapped[str] = mapped_column(String(60), default="")
    """Courtesy before the name, e.g. "H.E. Ms" or "His Majesty"."""
    language: Mapped[str | None] = mapped_column(String(16))
    """The language the person usually speaks (a BCP 47 / ISO 639 code)."""
    email: Mapped[str | None] = mapped_column(String(254))

    delegation: Mapped[Delegation] = relationship(back_populates="people")

    @property
    def display_name(self) -> str:
        """Name with the form of address, or the office where the name is not known."""
        return display_name(self.name, self.form_of_address, self.office)


def display_name(name: str | None, form_of_address: str, office: str) -> str:
    """How a person is named on every page (their row's columns, where no object is loaded)."""
    if not name:
        return f"{office} (name not confirmed)"
    return f"{form_of_address} {name}".strip()
