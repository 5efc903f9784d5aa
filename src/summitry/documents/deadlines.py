"""Deadlines of adoption procedures: counted in UTC, read in each capital's time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def deadline_after(start: dt.datetime, hours: float) -> dt.datetime:
    """A deadline so many hours after ``start``, counted in UTC: a 72-hour silence is 72
    hours long even when a capital's clocks change in between."""
    return (start.astimezone(dt.UTC) + dt.timedelta(hours=hours)).replace(microsecond=0)


def local_time(moment: dt.datetime, zone: str) -> str:
    """``moment`` as a capital reads it: 2020-03-30 14:00 (UTC+02:00)."""
    local = moment.astimezone(ZoneInfo(zone))
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"
