"""The ``summitry`` command: serve, migrate, load the demo, list engagements, make accounts."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from summitry import __version__, capabilities, log  # noqa: F401 - every kind of event known
from summitry.config import Settings, get_settings
from summitry.documents.commands import documents_app
from summitry.errors import SummitryError
from summitry.records.calendar_commands import import_engagements
from summitry.settings_file import ConfigurationError

app = typer.Typer(
    help="Summitry: online diplomacy on your own servers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
engagements_app = typer.Typer(help="Look at engagements; import past ones.", no_args_is_help=True)
accounts_app = typer.Typer(help="Manage secretariat accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="Check the record.", no_args_is_help=True)
janus_app = typer.Typer(help="Run Janus media nodes for several replicas.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(janus_app, name="janus")
app.add_typer(audit_app, name="audit")
app.add_typer(engagements_app, name="engagements")
app.add_typer(accounts_app, name="accounts")
app.add_typer(documents_app, name="documents")
engagements_app.command("import")(import_engagements)

console = Console()
errors = Console(stderr=True)
T = TypeVar("T")


def _fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


def _settings() -> Settings:
    try:
        return get_settings()
    except ConfigurationError as err:
        raise _fail(str(err)) from None


def _run_with_db(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one session on the configured database, reporting errors plainly."""
    from summitry.db import create_engine, create_sessionmaker

    settings = _settings()

    async def main() -> T:
        engine = create_engine(settings.effective_database_url)
        try:
            # A command: no live connection follows the log from this process.
            async with log.offline(create_sessionmaker(engine))() as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except SummitryError as err:
        raise _fail(err.message) from None
    except OSError as err:
        raise _fail(f"cannot reach the database: {err}") from None
    except DBAPIError as err:
        if "no such table" in str(err) or "does not exist" in str(err):
            raise _fail("the database has no tables yet: run summitry db upgrade") from None
        raise _fail(f"the database refused the request: {err.orig}") from None


def _upgrade(settings: Settings) -> None:
    from summitry import schema

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        schema.upgrade(settings.effective_database_url)
    except OSError as err:
        raise _fail(f"cannot reach the database: {err}") from None
    except Exception as err:
        # Alembic wraps driver errors in many types; the message is what the operator needs.
        raise _fail(f"the database could not be upgraded: {err}") from None


def _version(value: bool) -> None:
    if value:
        console.print(f"summitry {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Summitry: online diplomacy on your own servers."""


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the web application (upgrading the database first)."""
    import uvicorn

    from summitry.app import create_app, prepare_to_serve
    from summitry.log.wire import LiveHttp, LiveWebSockets
    from summitry.logs import configure_logging

    settings = _settings()
    if host or port:
        settings = settings.model_copy(
            update={"host": host or settings.host, "port": port or settings.port}
        )
    _upgrade(settings)
    configure_logging()
    console.print(
        f"Summitry {__version__} on [bold]{settings.effective_base_url}[/] "
        f"({'SQLite' if settings.effective_database_url.startswith('sqlite') else 'PostgreSQL'})"
    )
    app = create_app(settings)
    prepare_to_serve()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        http=LiveHttp,
        ws=LiveWebSockets,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest schema (creating it if needed), and make the host's
    signing authority if it has none (``summitry documents authority`` exports its root)."""
    from summitry.documents.authority import passphrase_from
    from summitry.documents.signing import signing_authority

    settings = _settings()
    _upgrade(settings)
    passphrase = passphrase_from(settings.signing_key())

    async def authority(db: AsyncSession) -> None:
        await signing_authority(db, settings.signing_authority_name, passphrase)
        await db.commit()

    _run_with_db(authority)
    console.print("The database is up to date, with the host's signing authority.")


def _ports(text: str, option: str) -> tuple[int, int]:
    low, dash, high = text.partition("-")
    if dash and low.isdigit() and high.isdigit() and 1024 <= int(low) < int(high) <= 65535:
        return int(low), int(high)
    raise _fail(f"{option} takes a range of ports such as 20000-29999 (1024–65535), not {text!r}")


@janus_app.command("node")
def janus_node(
    folder: Annotated[Path, typer.Argument(help="The node's configuration, keys and log.")],
    ws_port: Annotated[int, typer.Option(min=1, max=65535, help="Its WebSocket API.")] = 8188,
    listen: Annotated[
        str,
        typer.Option(help="Address of its API and telephone RTP, reached by every replica."),
    ] = "127.0.0.1",
    rtp_ports: Annotated[str, typer.Option(help="UDP ports for browsers' media.")] = "20000-29999",
    plain_rtp_ports: Annotated[
        str, typer.Option(help="UDP ports for telephone legs.")
    ] = "40000-42499",
    channel_ports: Annotated[
        str, typer.Option(help="UDP ports for the language channels.")
    ] = "45000-47499",
    write_only: Annotated[
        bool, typer.Option("--write-only", help="Write the configuration; do not start Janus.")
    ] = False,
) -> None:
    """Configure one Janus node as Summitry needs it and run it (name it in ``janus_nodes``).

    Its room key is ``janus_admin_key`` when set (the same in the node's entry), else kept in
    FOLDER/keys.json; NAT, STUN, TURN and ICE interface come from Summitry's settings."""
    from summitry.media.meetings import janus_keys
    from summitry.media.server import JanusConfig, JanusNat

    settings = _settings()
    folder = folder.resolve()
    ranges = {
        "--rtp-ports": _ports(rtp_ports, "--rtp-ports"),
        "--plain-rtp-ports": _ports(plain_rtp_ports, "--plain-rtp-ports"),
        "--channel-ports": _ports(channel_ports, "--channel-ports"),
    }
    for (one, (low, high)), (other, (low2, high2)) in itertools.combinations(ranges.items(), 2):
        if low <= high2 and low2 <= high:
            raise _fail(f"{one} and {other} overlap: give each its own ports")
    try:
        keys = janus_keys(folder)
        config = JanusConfig(
            folder,
            ws_port=ws_port,
            ws_ip=listen,
            rtp_port_range=ranges["--rtp-ports"],
            plain_rtp_port_range=ranges["--plain-rtp-ports"],
            plain_rtp_ip=listen,
            channel_port_range=ranges["--channel-ports"],
            ice_enforce_list=settings.janus_ice_interface or None,
            nat=JanusNat.from_settings(settings),
            admin_secret=keys["admin_secret"],
            room_admin_key=settings.janus_admin_key or keys["room_admin_key"],
        )
        config.write()
    except OSError as err:  # FileNotFoundError too: Janus or its plugins are missing
        raise _fail(f"cannot write the node's configuration: {err}") from None
    console.print(
        f"Janus node at {config.ws_url}; its room key is "
        f"{'janus_admin_key' if settings.janus_admin_key else folder / 'keys.json'}"
    )
    if write_only:
        return
    janus = shutil.which("janus")
    if janus is None:
        raise _fail("Janus is not installed here: apt-get install janus")
    os.chdir(folder)  # Janus may leave a core file where it runs
    # The node becomes Janus, so that its service manager signals and watches Janus itself.
    os.execv(janus, [janus, "-F", str(folder)])  # noqa: S606


@app.command()
def demo(
    password: Annotated[
        str | None,
        typer.Option(envvar="SUMMITRY_DEMO_PASSWORD", help="Password of the demo secretariat."),
    ] = None,
) -> None:
    """Load the demo: 34 engagements of online diplomacy in 2020, and a secretariat account."""
    from summitry.demo.loader import DEMO_EMAIL, load_demo
    from summitry.demo.outcomes import signed_agreement
    from summitry.demo.practice import practice_meeting
    from summitry.documents.authority import passphrase_from

    settings = _settings()
    if settings.environment == "production":
        raise _fail("the demo is for development installations; it is refused in production")
    _upgrade(settings)
    report = _run_with_db(lambda db: load_demo(db, password=password))
    console.print(
        f"Demo loaded: {report.engagements_added} engagement(s) added, "
        f"{report.engagements_kept} already there; {report.delegations} delegations, "
        f"{report.people} people."
    )
    if report.account_created:
        console.print(f"Sign in as [bold]{DEMO_EMAIL}[/] with the demo password.")
    passphrase = passphrase_from(settings.signing_key())
    agreement = _run_with_db(
        lambda db: signed_agreement(db, settings.signing_authority_name, passphrase)
    )
    if agreement is not None:
        console.print(
            "The EU–China agreement on geographical indications is signed by both parties: "
            f"{settings.effective_base_url}/engagements/{agreement.engagement_id}/documents/"
            f"{agreement.id}/signing"
        )
    engagement, links = _run_with_db(practice_meeting)
    console.print(
        f"\n[bold]{engagement.title}[/] is ready to hold: sign in as the secretariat and open "
        f"{settings.effective_base_url}/engagements/{engagement.id}/meeting\n"
        "then open one of these personal links in a second browser (shown only now):"
    )
    for link in links:
        url = f"{settings.effective_base_url}{link.path}"
        console.print(f"  {link.person} ({link.delegation}): {url}", soft_wrap=True)


@engagements_app.command("list")
def engagements_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    year: Annotated[int | None, typer.Option(help="Only engagements of this year.")] = None,
) -> None:
    """List the engagements, soonest first."""
    from summitry.engagements.presentation import engagement_summary
    from summitry.security.principals import Secretary
    from summitry.security.visibility import engagements_visible

    cli = Secretary(account_id=0, name="command line", email="")

    async def work(db: AsyncSession) -> list[dict[str, Any]]:
        found = await engagements_visible(db, cli, year=year)
        return [engagement_summary(e).model_dump(mode="json") for e in found]

    rows = _run_with_db(work)
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:
        console.print("No engagements yet. Load the demo with [bold]summitry demo[/].")
        return
    table = Table("Date", "Start (UTC)", "Kind", "Title", "Delegations", "Status")
    for row in rows:
        start = row["starts_at"][11:16] if row["starts_at"] else "—"
        table.add_row(
            row["held_on"],
            start,
            row["kind"].replace("_", " "),
            row["title"],
            str(len(row["delegation_codes"])),
            row["status"],
        )
    console.print(table)


@accounts_app.command("create")
def accounts_create(
    email: Annotated[str, typer.Option(help="E-mail address to sign in with.")],
    name: Annotated[str, typer.Option(help="The member's full name.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="SUMMITRY_NEW_PASSWORD",
            help="At least 12 characters.",
        ),
    ],
) -> None:
    """Create a secretariat account."""
    from summitry.security.operations import create_account

    _upgrade(_settings())
    account = _run_with_db(lambda db: create_account(db, email, name, password))
    console.print(f"Account created for {account.name} <{account.email}>.")


@audit_app.command("verify")
def audit_verify(
    engagement: Annotated[
        int | None,
        typer.Argument(help="The engagement's number; without it, every engagement's log."),
    ] = None,
) -> None:
    """Check the hash chain of each engagement's log; name the first event altered, inserted
    or deleted. Exits with 1 if any log is broken."""
    from summitry.engagements.operations import get_engagement
    from summitry.log.audit import Finding, audit, logged_engagements

    async def work(db: AsyncSession) -> list[tuple[str, Finding]]:
        ids = [engagement] if engagement is not None else await logged_engagements(db)
        found = []
        for engagement_id in ids:
            title = (await get_engagement(db, engagement_id)).title
            found.append((title, await audit(db, engagement_id)))
        return found

    findings = _run_with_db(work)
    if not findings:
        console.print("No engagement has a log yet: nothing to verify.")
        return
    for title, finding in findings:
        mark = "[green]intact[/]" if finding.intact else "[bold red]BROKEN[/]"
        console.print(f"{mark}  {finding.engagement_id} · {title}: {finding.explain()}")
    broken = [f for _, f in findings if not f.intact]
    if broken:
        errors.print(
            f"{len(broken)} of {len(findings)} log(s) broken: the record was tampered with"
        )
        raise typer.Exit(code=1)


def run() -> None:  # pragma: no cover - the console script
    logging.basicConfig(level=logging.WARNING)
    app()


if __name__ == "__main__":  # python -m summitry.cli, as the browser tests start it
    app()
