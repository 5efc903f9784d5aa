"""Reading HTML forms: CSRF first, then fields, with errors kept for the field they belong to."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData

from summitry.errors import SummitryError
from summitry.web.csrf import check_csrf


async def read_form(request: Request) -> FormData:
    """The submitted form, refused unless it carries this session's CSRF token."""
    form = await request.form(max_files=0, max_fields=400)
    token = form.get("csrf_token")
    check_csrf(request, token if isinstance(token, str) else None)
    return form


def text(form: FormData, name: str) -> str:
    """A text field, trimmed; missing or a file upload reads as empty."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def texts(form: FormData, name: str) -> list[str]:
    """Every non-empty value of a repeated field, in the order submitted."""
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


@dataclass
class FormErrors:
    """Messages to show beside fields, and one for the whole form."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add(self, err: SummitryError, default_field: str | None = None) -> None:
        name = err.field or default_field
        if name:
            self.fields.setdefault(name, _sentence(err.message))
        else:
            self.general.append(_sentence(err.message))

    def beside(self, name: str, err: SummitryError) -> None:
        """The error shown beside the field or row ``name``, whatever field it names."""
        self.fields.setdefault(name, _sentence(err.message))

    def add_validation(self, err: ValidationError) -> None:
        """Pydantic's problems in plain words, each beside its field."""
        for problem in err.errors():
            name = str(problem["loc"][0]) if problem["loc"] else ""
            message = _plain(problem["type"], problem.get("ctx") or {}, problem["msg"])
            if name:
                self.fields.setdefault(name, _sentence(message))
            else:
                self.general.append(_sentence(message))


def _sentence(message: str) -> str:
    message = message.removeprefix("Value error, ")
    return message[:1].upper() + message[1:]


def _plain(kind: str, ctx: dict[str, object], message: str) -> str:
    """A validator's message as a person reads it ("String should have at least 1 character"
    becomes "This is required")."""
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return "This is required"
    if kind == "string_too_short":
        return f"Give at least {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return f"Keep this to {ctx.get('max_length')} characters or fewer"
    if kind in ("value_error", "assertion_error"):
        return message
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return "This is not in a form Summitry reads: check what was typed"
    return message
