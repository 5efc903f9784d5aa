"""Jinja2 templates and the filters that show dates, zones and names the same way everywhere."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_timezone_name
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader

from summitry import __version__
from summitry.web.csrf import csrf_token

LOCALE = "en_GB"

# A capability's templates live in its own package and are named ``<capability>/<page>.html``;
# the shared pieces (``base.html``, ``macros.html``, ``error.html``) live here.
_capability_templates: dict[str, FileSystemLoader] = {}
templates = Jinja2Templates(
    env=Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(Path(__file__).parent / "templates"),
                PrefixLoader(_capability_templates),
            ]
        ),
        autoescape=True,
    )
)


def add_templates(capability: str, directory: Path) -> None:
    """Serve ``directory``'s templates as ``<capability>/<name>``."""
    _capability_templates[capability] = FileSystemLoader(directory)


def local_time(moment: dt.datetime | None, zone: str) -> str:
    """``20:00`` on the clock of ``zone``; an em dash where the hour is not known."""
    if moment is None:
        return "—"
    return format_datetime(moment.astimezone(ZoneInfo(zone)), "HH:mm", locale=LOCALE)


def local_day(moment: dt.datetime | None, zone: str) -> str:
    """``Monday 14 September 2020`` in ``zone``."""
    if moment is None:
        return "—"
    return format_datetime(moment.astimezone(ZoneInfo(zone)), "EEEE d MMMM y", locale=LOCALE)


def zone_label(moment: dt.datetime | None, zone: str) -> str:
    """``China Standard Time (UTC+08:00)``, the zone's name on that day."""
    at = (moment or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(zone))
    name = get_timezone_name(at, width="long", locale=LOCALE)
    offset = format_datetime(at, "xxxxx", locale=LOCALE)
    offset = "+00:00" if offset == "Z" else offset
    return f"{name} (UTC{offset})"


def long_date(day: dt.date) -> str:
    return format_date(day, "EEEE d MMMM y", locale=LOCALE)


def short_date(day: dt.date) -> str:
    return format_date(day, "d MMM y", locale=LOCALE)


def humanise(value: object) -> str:
    """``video_summit`` → ``Video summit``."""
    text = str(getattr(value, "value", value)).replace("_", " ")
    return text[:1].upper() + text[1:]


templates.env.filters.update(
    local_time=local_time,
    local_day=local_day,
    zone_label=zone_label,
    long_date=long_date,
    short_date=short_date,
    humanise=humanise,
)
templates.env.globals.update(version=__version__)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page, with what every page needs (the signed-in person, the CSRF token)."""
    context.setdefault("principal", getattr(request.state, "principal", None))
    context.setdefault("now", dt.datetime.now(dt.UTC))
    context["csrf_token"] = csrf_token(request)
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def render_error(request: Request, status_code: int, message: str) -> HTMLResponse:
    """An error page that says what happened and where to go next."""
    titles = {
        401: "Please sign in",
        403: "Not open to you",
        404: "Not found",
        409: "Already recorded",
        422: "Please check what you entered",
    }
    return render(
        request,
        "error.html",
        status_code=status_code,
        title=titles.get(status_code, "Something went wrong"),
        message=message,
        status=status_code,
    )
