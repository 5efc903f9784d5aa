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

    def add_validation(self, err: ValidationError) -> None:
        for problem in err.errors():
            name = str(problem["loc"][0]) if problem["loc"] else ""
            message = problem["msg"]
            if problem["type"] == "missing":
                message = "This is required"
            if name:
                self.fields.setdefault(name, _sentence(message))
            else:
                self.general.append(_sentence(message))


def _sentence(message: str) -> str:
    message = message.removeprefix("Value error, ")
    return message[:1].upper() + message[1:]
