"""The diplomatic calendar's archive: a ministry's history imported from CSV or JSON (all or
nothing, every bad row named, twice the same as once), and the archive's filters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from summitry.cli import app as cli
from summitry.delegations.models import Delegation
from summitry.engagements.calendar import CalendarFilter, calendar_page
from summitry.engagements.models import Channel, Engagement, EngagementKind, EngagementStatus

HISTORY_CSV = "\n".join(
    (
        "date,start_utc,counterparts,kind,channel,title,topics,outcomes,sources",
        "2019-05-02,2019-05-02T09:00:00Z,FR|NZ,,in_person,Bilateral talks in Wellington,"
        "Trade|climate,Joint declaration on climate signed|Working group on dairy set up,"
        "https://example.org/a",
        "2019-06-10,,FR|BR,telephone_call,,Call with the President of Brazil,amazon,,",
        "2019-07-01,,FR|NZ|BR,video_summit,,Trilateral video summit on oceans,climate,"
        "Ocean statement adopted,",
    )
)
HISTORY_JSON = [
    {
        "date": "2018-03-04",
        "counterparts": ["FR", "JP"],
        "channel": "telephone",
        "title": "Call with the Prime Minister of Japan",
        "topics": ["Trade"],
        "outcomes": ["Both agreed to meet at the G7"],
    },
    {
        "date": "2018-04-05",
        "start_utc": "2018-04-05T08:30:00+00:00",
        "counterparts": ["FR", "JP"],
        "kind": "ceremony",
        "title": "Signing of the economic partnership",
    },
]


async def _count(db: AsyncSession, what: Any) -> int:
    return int(await db.scalar(select(func.count(what))) or 0)


async def _import(secretariat: httpx.AsyncClient, body: str, form: str = "csv") -> httpx.Response:
    return await secretariat.post(
        "/api/v1/engagements/import", json={"format": form, "content": body}
    )


async def test_a_csv_history_is_imported_once_as_records(
    db: AsyncSession, secretariat: httpx.AsyncClient
) -> None:
    first = await _import(secretariat, HISTORY_CSV)
    assert first.status_code == 200, first.text
    assert first.json() == {"rows": 3, "added": 3, "already_there": 0}
    again = await _import(secretariat, HISTORY_CSV)
    assert again.json() == {"rows": 3, "added": 0, "already_there": 3}
    assert await _count(db, Engagement.id) == 3
    # New Zealand and Brazil were not recorded: ISO 3166 knows them.
    names = set(await db.scalars(select(Delegation.name)))
    assert {"New Zealand", "Brazil", "France"} <= names

    page = await calendar_page(db, CalendarFilter())
    by_title = {e.title: e for e in page.engagements}
    talks = by_title["Bilateral talks in Wellington"]
    assert talks.kind is EngagementKind.IN_PERSON_MEETING
    assert talks.channel is Channel.IN_PERSON
    assert talks.status is EngagementStatus.ENDED
    assert talks.topics == ["trade", "climate"]
    assert talks.outcomes == [
        "Joint declaration on climate signed",
        "Working group on dairy set up",
    ]
    assert talks.starts_at is not None
    assert talks.starts_at.hour == 9
    call = by_title["Call with the President of Brazil"]
    assert call.channel is Channel.TELEPHONE
    assert [p.delegation.code for p in call.delegations] == ["FR", "BR"]
    assert page.by_channel == {Channel.IN_PERSON: 1, Channel.TELEPHONE: 1, Channel.VIDEO: 1}


async def test_a_json_history_is_imported_once(
    db: AsyncSession, secretariat: httpx.AsyncClient
) -> None:
    body = json.dumps(HISTORY_JSON, indent=2)
    first = await _import(secretariat, body, "json")
    assert first.json() == {"rows": 2, "added": 2, "already_there": 0}
    assert (await _import(secretariat, body, "json")).json()["added"] == 0
    page = await calendar_page(db, CalendarFilter(counterpart="jp"))
    assert page.total == 2
    signing = next(e for e in page.engagements if e.kind is EngagementKind.CEREMONY)
    assert signing.channel is Channel.IN_PERSON  # a ceremony, unless said otherwise


async def test_bad_rows_are_each_named_and_nothing_is_imported(
    db: AsyncSession, secretariat: httpx.AsyncClient
) -> None:
    bad_csv = (
        "date,counterparts,kind,title\n"
        "2019-13-02,FR,video_meeting,A bad date\n"
        "2019-06-10,FR|NZ,telephone_call,A good row whose new delegation must not stay\n"
        "2019-06-11,FR|XX,telephone_call,An unknown code\n"
        "2019-06-12,FR,zoom_call,A bad kind\n"
    )
    refused = await _import(secretariat, bad_csv)
    assert refused.status_code == 422
    message = refused.json()["error"]["message"]
    assert message.startswith("nothing imported")
    assert "line 2, column date" in message
    assert "line 4, column counterparts: 'XX' is neither an ISO 3166 country code" in message
    assert "line 5, column kind" in message
    assert "line 3" not in message
    assert await _count(db, Engagement.id) == 0
    assert await db.scalar(select(Delegation.id).where(Delegation.code == "NZ")) is None

    bad_json = '[\n  {"date": "2019-01-01", "counterparts": ["FR"], "title": "No kind"},\n'
    bad_json += '  {"date": "2019-01-02", "counterparts": [], "kind": "ceremony", "title": "x"}\n]'
    refused = await _import(secretariat, bad_json, "json")
    message = refused.json()["error"]["message"]
    assert "line 2, column kind: give the kind or the channel" in message
    assert "line 3, column counterparts" in message
    assert await _count(db, Engagement.id) == 0

    unreadable = await _import(secretariat, '[{"date": "2019-01-01",', "json")
    assert unreadable.status_code == 422
    assert "line 1: not valid JSON" in unreadable.json()["error"]["message"]
    unsaid = await _import(secretariat, HISTORY_CSV, "xlsx")
    assert unsaid.status_code == 422


async def test_the_archive_filters_in_the_database(
    db: AsyncSession, secretariat: httpx.AsyncClient
) -> None:
    await _import(secretariat, HISTORY_CSV)
    await _import(secretariat, json.dumps(HISTORY_JSON), "json")

    async def titles(**given: Any) -> set[str]:
        return {e.title for e in (await calendar_page(db, CalendarFilter(**given))).engagements}

    assert await titles(counterpart="NZ") == {
        "Bilateral talks in Wellington",
        "Trilateral video summit on oceans",
    }
    assert await titles(channel=Channel.TELEPHONE) == {
        "Call with the President of Brazil",
        "Call with the Prime Minister of Japan",
    }
    assert await titles(kind=EngagementKind.VIDEO_SUMMIT) == {"Trilateral video summit on oceans"}
    assert await titles(topic="climate") == {
        "Bilateral talks in Wellington",
        "Trilateral video summit on oceans",
    }
    assert await titles(topic="clim") == set()  # a topic is matched whole
    assert await titles(outcome="declaration climate") == {"Bilateral talks in Wellington"}
    assert await titles(outcome="G7") == {"Call with the Prime Minister of Japan"}
    import datetime as dt

    assert await titles(since=dt.date(2019, 6, 1), until=dt.date(2019, 6, 30)) == {
        "Call with the President of Brazil"
    }
    newest = (await calendar_page(db, CalendarFilter(), limit=2)).engagements
    assert [e.title for e in newest] == [
        "Trilateral video summit on oceans",
        "Call with the President of Brazil",
    ]

    page = await secretariat.get("/archive", params={"counterpart": "nz", "topic": "climate"})
    assert page.status_code == 200
    assert "2 engagements match: 1 by video, 0 by telephone, 1 in person" in page.text
    assert "Trilateral video summit on oceans" in page.text
    assert "Call with the President of Brazil" not in page.text
    assert 'href="/search"' in page.text


def test_the_command_line_imports_and_refuses_in_words(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("SUMMITRY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SUMMITRY_DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    history = tmp_path / "history.csv"
    history.write_text(HISTORY_CSV)
    done = runner.invoke(cli, ["engagements", "import", str(history)])
    assert done.exit_code == 0, done.output
    assert "3 engagement(s) in history.csv: 3 added, 0 already in the calendar." in done.output
    again = runner.invoke(cli, ["engagements", "import", str(history), "--format", "csv"])
    assert "0 added, 3 already in the calendar" in again.output
    bad = tmp_path / "bad.txt"
    bad.write_text("date,counterparts,title\n2019-02-30,FR,x\n")
    refused = runner.invoke(cli, ["engagements", "import", str(bad), "--format", "csv"])
    assert refused.exit_code == 2
    assert "line 2, column date" in refused.output
    assert "Traceback" not in refused.output
    unsaid = runner.invoke(cli, ["engagements", "import", str(bad)])
    assert unsaid.exit_code == 2
    assert "say --format csv or --format json" in unsaid.output
