"""The minutes as a page and as a PDF: one body for both, every time on two clocks."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from summitry.documents.rendering import PRINT_CSS, render_pdf
from summitry.floor.records import Statement
from summitry.records.minutes_drafting import Minutes
from summitry.records.minutes_models import MinutesVersion
from summitry.web.rendering import templates, zone_label

OUTCOMES = {
    "adopted": "Adopted",
    "broken": "Not adopted: silence broken",
    "rejected": "Not adopted: rejected in the vote",
    "withdrawn": "Withdrawn",
    "pending": "Under way",
}
PROCEDURES = {
    "consensus": "By consensus",
    "silence": "By silence procedure",
    "written_vote": "By written vote",
}
PLACES = {
    "video_meeting": "By video conference",
    "telephone_call": "By telephone",
    "video_summit": "Summit by video conference",
    "ceremony": "Ceremony, by video conference",
}
LEFT = {
    "left": "left",
    "removed": "removed by the secretariat",
    "meeting_ended": "meeting ended",
    "invitation_withdrawn": "invitation withdrawn",
}


def utc(moment: dt.datetime | None) -> str:
    return "—" if moment is None else moment.astimezone(dt.UTC).strftime("%H:%M:%S UTC")


def host_clock(moment: dt.datetime | None, zone: str) -> str:
    return "—" if moment is None else moment.astimezone(ZoneInfo(zone)).strftime("%H:%M:%S")


def hour(moment: dt.datetime, zone: str) -> str:
    """``13:00 UTC (14:00 host time)``: an engagement's planned hours, to the minute."""
    local = moment.astimezone(ZoneInfo(zone)).strftime("%H:%M")
    return f"{moment.astimezone(dt.UTC):%H:%M} UTC ({local} host time)"


def duration(seconds: float | None) -> str:
    """``2 min 05 s``; an em dash for a turn that has not ended."""
    if seconds is None:
        return "—"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def paragraphs(text: str) -> list[str]:
    """The written text's paragraphs: a blank line between two."""
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def channels_during(minutes: Minutes, speech: Statement) -> list[str]:
    """The booths on the air at some time during the turn: the channels it was heard in."""
    end = speech.ended_at or dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(
        {
            turn.booth
            for turn in minutes.record.interpretation
            if turn.started_at < end
            and (turn.ended_at is None or turn.ended_at > speech.started_at)
        }
    )


def context(minutes: Minutes, version: MinutesVersion | None) -> dict[str, Any]:
    """What the body of the minutes needs, draft or published."""
    heading = minutes.record.heading
    return {
        "m": minutes,
        "h": heading,
        "published": version,
        "zone": heading.zone,
        "zone_name": zone_label(heading.starts_at, heading.zone),
        "utc": utc,
        "host_clock": lambda moment: host_clock(moment, heading.zone),
        "hour": lambda moment: hour(moment, heading.zone),
        "places": PLACES,
        "duration": duration,
        "channels_during": lambda speech: channels_during(minutes, speech),
        "paragraphs": paragraphs,
        "outcomes": OUTCOMES,
        "procedures": PROCEDURES,
        "left": LEFT,
        "items": {line.number: line for line in minutes.record.agenda},
    }


def title_of(minutes: Minutes, version: MinutesVersion | None) -> str:
    numbered = f", version {version.number}" if version else " (draft)"
    return f"Minutes of {minutes.record.heading.title}{numbered}"


async def pdf_of(minutes: Minutes, version: MinutesVersion) -> bytes:
    """The published minutes as PDF/A, with the same content as the page."""
    html = templates.env.get_template("records/minutes_print.html").render(
        css=PRINT_CSS, title=title_of(minutes, version), **context(minutes, version)
    )
    return await asyncio.to_thread(
        render_pdf, html, title=title_of(minutes, version), language="en"
    )
