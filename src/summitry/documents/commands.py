"""``summitry documents``: check a signed outcome document from the command line."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from summitry import log
from summitry.config import get_settings
from summitry.db import create_engine, create_sessionmaker
from summitry.documents.authority import passphrase_from, root_pem
from summitry.documents.signing import signing_authority
from summitry.errors import SummitryError
from summitry.settings_file import ConfigurationError

documents_app = typer.Typer(
    help="Outcome documents: verify a signed PDF, export the signing authority's root.",
    no_args_is_help=True,
)

# Exit codes: 0 every signature can be relied on, 1 the document is not as signed (or its
# signers are not trusted), 2 the input could not be used at all.
DOCUMENT_WRONG = 1
UNUSABLE = 2


def _unusable(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=UNUSABLE)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise _unusable(f"there is no {what} {path}") from None
    except IsADirectoryError:
        raise _unusable(f"{path} is a folder, not a {what}") from None
    except OSError as err:
        raise _unusable(f"cannot read {path}: {err.strerror}") from None


@documents_app.command("verify")
def verify(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="The signed PDF to check.", show_default=False)
    ],
    root: Annotated[
        list[Path] | None,
        typer.Option(
            "--root",
            metavar="PEM",
            help="A trusted root certificate (PEM), such as the host's; repeat for several.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Say who signed a PDF, whether it changed since, and whether each signer is trusted.

    Exits with 1 if the document is altered, unsigned or not trusted; 2 if it is unusable."""
    from summitry.documents.seals import verify as verify_pdf

    # pyHanko logs each certificate it cannot trust as a warning with a traceback; the
    # explanation below says the same in words.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    pdf = _read(file, "file")
    roots = [_read(path, "certificate file") for path in root or []]
    try:
        verification = verify_pdf(pdf, roots)
    except SummitryError as err:
        raise _unusable(err.message) from None
    for line in verification.explain():
        typer.echo(line)
    typer.echo(f"SHA-256 of the file: {verification.sha256}")
    if not verification.readable:
        raise typer.Exit(code=UNUSABLE)
    if verification.all_good:
        return
    untrusted = any(not s.trusted for s in verification.signatures)
    if untrusted and not roots:
        typer.echo(
            "No trusted authority was given, so no certificate could be trusted: pass the "
            "host's root certificate with --root ROOT.pem to check who issued them.",
            err=True,
        )
    raise typer.Exit(code=DOCUMENT_WRONG)


@documents_app.command("authority")
def authority(
    out: Annotated[
        Path | None, typer.Option(help="Write the root certificate here instead of printing it.")
    ] = None,
) -> None:
    """Make the host's signing authority if there is none, and give its root certificate."""
    try:
        settings = get_settings()
    except ConfigurationError as err:
        raise _unusable(str(err)) from None
    passphrase = passphrase_from(settings.signing_key())

    async def work() -> bytes:
        engine = create_engine(settings.effective_database_url)
        try:
            async with log.offline(create_sessionmaker(engine))() as db:
                made = await signing_authority(db, settings.signing_authority_name, passphrase)
                await db.commit()
                return root_pem(made)
        finally:
            await engine.dispose()

    try:
        pem = asyncio.run(work())
    except DBAPIError as err:
        if "no such table" in str(err) or "does not exist" in str(err):
            raise _unusable("the database has no tables yet: run summitry db upgrade") from None
        raise _unusable(f"the database refused the request: {err.orig}") from None
    except OSError as err:
        raise _unusable(f"cannot reach the database: {err}") from None
    if out is None:
        typer.echo(pem.decode(), nl=False)
        return
    try:
        out.write_bytes(pem)
    except OSError as err:
        raise _unusable(f"cannot write {out}: {err.strerror}") from None
    typer.echo(f"The signing authority's root certificate is in {out}: give it to the parties.")
