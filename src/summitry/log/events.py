"""What the log holds: events of kinds the capabilities declare, each in an envelope.

The log knows no capability. Each declares its events where it lives (subclasses of
``Event`` with a literal ``kind``) and registers them with ``register``; the log stores,
chains and parses any registered kind. ``summitry.capabilities`` imports every capability,
so a process that reads the log knows every kind it may find there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    SerializeAsAny,
    TypeAdapter,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class Event(BaseModel):
    """One change recorded in an engagement's log; subclasses set ``kind`` to a literal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str


_KINDS: dict[str, type[Event]] = {}


class UnknownKind(ValueError):
    """An event of a kind no capability registered: not stored, or not read, until one does.

    A process that reads the log must import ``summitry.capabilities`` first (the runtime, the
    command line and the contract's generator do); the message says so, since a forgotten
    import is the likely cause when the kind is one Summitry writes.
    """

    def __init__(self, kind: object) -> None:
        super().__init__(
            f"unknown event kind {kind!r}: no capability registered it "
            "(a process that reads the log imports summitry.capabilities first)"
        )


def register(*classes: type[Event]) -> None:
    """Let the log store and read events of these classes; each kind names one class."""
    for cls in classes:
        kind = cls.model_fields["kind"].default
        if not isinstance(kind, str):
            raise TypeError(f"{cls.__name__} has no literal kind")
        known = _KINDS.get(kind)
        if known is not None and known is not cls:
            raise ValueError(f"event kind {kind!r} is declared twice: {known} and {cls}")
        _KINDS[kind] = cls
    _READER.clear()  # made again with the new kinds when next needed


def kinds() -> Mapping[str, type[Event]]:
    """Every registered kind of event and its class."""
    return dict(_KINDS)


def parse_event(data: Any) -> Event:
    """The event ``data`` (its JSON, as stored) describes; ``ValueError`` if unknown."""
    if isinstance(data, Event):
        return data
    if not isinstance(data, dict):
        raise ValueError("an event is a JSON object")
    if data.get("kind") not in _KINDS:
        raise UnknownKind(data.get("kind"))
    event: Event = _reader().validate_python(data)
    return event


_READER: list[TypeAdapter[Any]] = []


def _reader() -> TypeAdapter[Any]:
    """One discriminated union of every registered kind, made once they are all known: told
    apart by ``kind`` in pydantic's core, a third faster than a lookup and a class's own
    validation (bench/event_parse.py)."""
    if not _READER:
        classes = tuple(_KINDS.values())
        if len(classes) == 1:
            _READER.append(TypeAdapter(classes[0]))
        else:
            union: Any = Union[classes]  # noqa: UP007 - a union made of a tuple at run time
            _READER.append(TypeAdapter(Annotated[union, Field(discriminator="kind")]))
    return _READER[0]


class _OneOfTheKinds:
    """In the OpenAPI document, an event is one of the registered kinds, told by ``kind``."""

    @classmethod
    def __get_pydantic_json_schema__(
        cls, _core: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        kinds = sorted(_KINDS.items())
        choices = [handler(cls.__pydantic_core_schema__) for _, cls in kinds]
        schema: JsonSchemaValue = {"oneOf": choices}
        if all("$ref" in choice for choice in choices):
            pairs = zip(kinds, choices, strict=True)
            mapping = {kind: choice["$ref"] for (kind, _), choice in pairs}
            schema["discriminator"] = {"propertyName": "kind", "mapping": mapping}
        return schema


AnyEvent = Annotated[SerializeAsAny[Event], BeforeValidator(parse_event), _OneOfTheKinds]
"""An event of any registered kind: read by its kind, written with all its fields."""


class EventEnvelope(BaseModel):
    """An event as clients receive it: its place in the log, its time and its body."""

    model_config = ConfigDict(frozen=True)

    engagement_id: int
    seq: int
    at: dt.datetime
    event: AnyEvent


class Applied(BaseModel):
    """The events a request appended (none when nothing had to change)."""

    events: list[EventEnvelope]
