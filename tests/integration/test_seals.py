"""An outcome document rendered in three scripts and signed by three signatories in turn,
checked by pyHanko (``seals.verify``), by poppler's ``pdfsig`` and by ``summitry documents
verify``; then altered by one byte, and signed by someone the host's authority never vouched
for. Real tools throughout: WeasyPrint, pyHanko, poppler-utils and NSS's certutil.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from summitry.documents.authority import (
    Authority,
    SigningCredential,
    issue,
    new_authority,
    passphrase_from,
    root_pem,
)
from summitry.documents.rendering import PRINT_CSS, render_pdf
from summitry.documents.seals import sign, verify
from summitry.errors import InvalidInput

pytestmark = pytest.mark.filterwarnings(
    # WeasyPrint 70 opens its sRGB profile for PDF/A and never closes it; not ours to fix.
    r"ignore:unclosed file <_io.BufferedReader name='.*sRGB2014\.icc'>:ResourceWarning"
)

PASSPHRASE = passphrase_from("the server's secret key")
SIGNATORIES = [
    ("H.E. Mr Wang Yi", "People's Republic of China", "Minister of Foreign Affairs"),
    ("H.E. Mr Heiko Maas", "Federal Republic of Germany", "Federal Minister for Foreign Affairs"),
    ("H.E. Mr Sameh Shoukry", "Arab Republic of Egypt", "Minister of Foreign Affairs"),
]
HTML = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Joint Statement</title>
<style>{PRINT_CSS}</style></head><body>
<section class="print-text" lang="en"><h1>Joint Statement</h1>
<p class="preamble">The Parties, meeting by video conference on 14 September 2020,</p>
<h2>Article 1</h2><p>The Parties shall cooperate in good faith on matters of common concern.</p>
</section>
<section class="print-text" lang="zh"><h1>联合声明</h1>
<h2>第一条</h2><p>双方将本着诚意就共同关心的问题开展合作。</p></section>
<section class="print-text" lang="ar" dir="rtl"><h1>بيان مشترك</h1>
<h2>المادة 1</h2><p>يتعاون الطرفان بحسن نية في المسائل ذات الاهتمام المشترك.</p></section>
</body></html>"""


def tool(*args: str) -> str:
    """Run a poppler or NSS tool; their verdicts are on standard output."""
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert "Traceback" not in result.stderr
    return result.stdout + result.stderr


def summitry(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The installed ``summitry`` command, as an operator runs it."""
    command = Path(sys.executable).with_name("summitry")
    return subprocess.run(
        [str(command), *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("seals")


@pytest.fixture(scope="module")
def authority() -> Authority:
    return new_authority("Republic of Testland", PASSPHRASE)


@pytest.fixture(scope="module")
def root_file(authority: Authority, folder: Path) -> Path:
    path = folder / "root.pem"
    path.write_bytes(root_pem(authority))
    return path


@pytest.fixture(scope="module")
def credentials(authority: Authority) -> list[SigningCredential]:
    return [
        issue(authority, PASSPHRASE, person=person, delegation=delegation, office=office)
        for person, delegation, office in SIGNATORIES
    ]


@pytest.fixture(scope="module")
def rendered(folder: Path) -> Path:
    path = folder / "statement.pdf"
    path.write_bytes(render_pdf(HTML, title="Joint Statement", language="en"))
    return path


def sign_as(pdf: bytes, number: int, credential: SigningCredential, roots: list[bytes]) -> bytes:
    return sign(
        pdf,
        credential,
        PASSPHRASE,
        field_name=f"signatory-{number}",
        signer_name=credential.subject,
        reason="Adopted at the video conference of 14 September 2020",
        location="Video conference",
        trust_roots=roots,
    )


@pytest.fixture(scope="module")
def signed(
    rendered: Path, credentials: list[SigningCredential], authority: Authority, folder: Path
) -> Path:
    pdf = rendered.read_bytes()
    for number, credential in enumerate(credentials, start=1):
        pdf = sign_as(pdf, number, credential, [root_pem(authority)])
    path = folder / "statement-signed.pdf"
    path.write_bytes(pdf)
    return path


@pytest.fixture(scope="module")
def altered(signed: Path, rendered: Path, folder: Path) -> Path:
    """The signed file with one byte of the first page's text flipped."""
    offset = content_stream_byte(rendered.read_bytes())
    data = bytearray(signed.read_bytes())
    first_signature = data.index(b"/Contents <")
    assert offset < first_signature, "the byte must be in the first revision, not a signature"
    data[offset] ^= 0x01
    path = folder / "statement-altered.pdf"
    path.write_bytes(bytes(data))
    return path


def content_stream_byte(pdf: bytes) -> int:
    """The offset of a byte in the middle of the first page's content stream."""
    page = PdfFileReader(BytesIO(pdf)).root["/Pages"]["/Kids"][0]
    contents = page.raw_get("/Contents")
    start = pdf.index(b"stream", pdf.index(f"\n{contents.idnum} 0 obj".encode())) + 7
    end = pdf.index(b"endstream", start)
    return (start + end) // 2


@pytest.fixture(scope="module")
def nss(root_file: Path, folder: Path) -> str:
    """An NSS database trusting the host's root, as a party's pdfsig would use."""
    database = folder / "nss"
    database.mkdir()
    tool("certutil", "-N", "-d", f"sql:{database}", "--empty-password")
    tool("certutil", "-A", "-d", f"sql:{database}", "-n", "summitry", "-t", "C,C,C", "-i",
         str(root_file))  # fmt: skip
    assert "summitry" in tool("certutil", "-L", "-d", f"sql:{database}")
    return f"sql:{database}"


def test_every_script_is_set_in_an_embedded_noto_font(rendered: Path) -> None:
    fonts = tool("pdffonts", str(rendered)).splitlines()[2:]

    names = [line.split()[0] for line in fonts]
    assert any("Noto-Serif-CJK-SC" in name for name in names), names
    assert any("Noto-Naskh-Arabic" in name for name in names), names
    assert any(re.search(r"\+Noto-Serif$", name) for name in names), names
    for line in fonts:
        embedded, _subset, unicode = line.split()[-5:-2]
        assert (embedded, unicode) == ("yes", "yes"), line
    info = tool("pdfinfo", str(rendered))
    assert re.search(r"Title:\s+Joint Statement", info)
    assert re.search(r"PDF version:\s+1\.7", info)


def test_the_signed_file_still_says_what_it_is_pdf_1_7_and_pdf_a_3b(signed: Path) -> None:
    data = signed.read_bytes()
    reader = PdfFileReader(BytesIO(data))
    metadata = reader.root["/Metadata"].data.decode()

    assert data.startswith(b"%PDF-1.7")
    assert "/Version" not in reader.root, "a PDF/A-3 file must not become PDF 2.0"
    assert re.search(r"PDF version:\s+1\.7", tool("pdfinfo", str(signed)))
    assert re.search(r"pdfaid:part(=\"|>)3", metadata)
    assert re.search(r"pdfaid:conformance(=\"|>)B", metadata)
    producer = re.search(r"pdf:Producer(?:=\"|>)([^\"<]+)", metadata)
    assert producer
    assert reader.trailer["/Info"]["/Producer"] == producer.group(1), "PDF/A: /Info = XMP"


def test_three_signatures_are_intact_valid_and_trusted(signed: Path, root_file: Path) -> None:
    found = verify(signed.read_bytes(), [root_file.read_bytes()])

    assert found.readable
    assert found.all_good
    assert [s.signer for s in found.signatures] == [name for name, _, _ in SIGNATORIES]
    assert [s.organisation for s in found.signatures] == [d for _, d, _ in SIGNATORIES]
    assert all(s.intact and s.valid and s.trusted for s in found.signatures)
    assert [s.covers_whole_file for s in found.signatures] == [False, False, True]
    assert not any(s.changed_after for s in found.signatures)
    assert not any(s.timestamped for s in found.signatures)
    assert all(s.signed_at is not None for s in found.signatures)
    assert all(len(s.certificate_fingerprint) == 64 for s in found.signatures)

    lines = found.explain()
    assert lines[1].startswith(
        "Signature 2 of 3: signed by H.E. Mr Heiko Maas (Federal Republic of Germany) on "
    )
    assert "UTC" in lines[1]
    assert "has not been changed since this signature, except by the signatures" in lines[0]
    assert "The document has not been changed since this signature." in lines[2]
    assert "Signing authority of Republic of Testland (trusted)" in lines[2]
    assert lines[-1] == "All 3 signatures are intact and come from trusted authorities."
    assert not any("ByteRange" in line for line in lines)


def test_pdfsig_finds_each_signature_valid_and_trusted(signed: Path, nss: str) -> None:
    report = tool("pdfsig", "-nssdir", nss, str(signed))

    assert report.count("Signature is Valid.") == 3, report
    assert report.count("Certificate is Trusted.") == 3, report
    for name, _, _ in SIGNATORIES:
        assert f"Common Name: {name}" in report


def test_a_field_is_signed_only_once(signed: Path, credentials: list[SigningCredential]) -> None:
    with pytest.raises(InvalidInput, match=r"already signed by H\.E\. Mr Wang Yi"):
        sign_as(signed.read_bytes(), 1, credentials[1], [])


def test_one_flipped_byte_is_found_by_both_validators(
    altered: Path, root_file: Path, nss: str
) -> None:
    found = verify(altered.read_bytes(), [root_file.read_bytes()])

    assert found.readable
    assert len(found.signatures) == 3
    assert not any(s.intact for s in found.signatures)
    assert not found.all_good
    lines = found.explain()
    assert all("The document WAS CHANGED after it was signed" in line for line in lines[:3])
    assert all(
        "Its certificate was issued by Signing authority of Republic of Testland" in line
        for line in lines[:3]
    )
    assert lines[-1].startswith("Do not rely on this copy")

    report = tool("pdfsig", "-nssdir", nss, str(altered))
    assert report.count("Digest Mismatch.") == 3, report


def test_a_page_turned_after_the_last_signature_is_a_change_after_each(
    signed: Path, root_file: Path
) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(signed.read_bytes()))
    page = writer.root["/Pages"]["/Kids"][0]
    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    turned = BytesIO()
    writer.write(turned)

    found = verify(turned.getvalue(), [root_file.read_bytes()])

    assert all(s.intact and s.valid and s.trusted for s in found.signatures)
    assert all(s.changed_after and not s.covers_whole_file for s in found.signatures)
    assert not found.all_good
    assert "WAS CHANGED after this signature, by more than the signatures" in found.explain()[2]
    assert found.explain()[-1] == "Do not rely on this copy: it was changed after it was signed."


def test_a_signature_from_another_authority_is_not_trusted(signed: Path, root_file: Path) -> None:
    elsewhere = new_authority("Another Host", PASSPHRASE)
    stranger = issue(elsewhere, PASSPHRASE, person="Mr Nobody", delegation="Nowhere", office="")
    pdf = sign_as(signed.read_bytes(), 4, stranger, [])

    found = verify(pdf, [root_file.read_bytes()])

    assert [s.trusted for s in found.signatures] == [True, True, True, False]
    assert all(s.intact and s.valid for s in found.signatures)
    assert not found.all_good
    assert "Signing authority of Another Host, which is not a trusted" in (found.explain()[3])
    assert found.explain()[-1].startswith("The document is intact, but not every certificate")
    with pytest.raises(InvalidInput, match="not from a trusted signing authority"):
        sign_as(signed.read_bytes(), 5, stranger, [root_file.read_bytes()])


def test_unsigned_damaged_and_foreign_files_are_explained_not_raised(rendered: Path) -> None:
    unsigned = verify(rendered.read_bytes(), [])
    assert unsigned.readable
    assert not unsigned.all_good
    assert unsigned.explain() == ["The file has no signatures."]

    text = verify(b"Minutes of the meeting, typed up.\n", [])
    assert not text.readable
    assert text.explain() == ["This file is not a PDF."]

    damaged = verify(rendered.read_bytes()[:2000], [])
    assert not damaged.readable
    assert damaged.problem
    assert "damaged" in damaged.problem

    with pytest.raises(InvalidInput, match="not a PEM certificate"):
        verify(rendered.read_bytes(), [b"not a certificate"])


def test_a_time_stamping_service_that_does_not_answer_is_named(
    rendered: Path, credentials: list[SigningCredential]
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/tsa"
    with pytest.raises(InvalidInput, match=f"time-stamping service at {url} did not answer"):
        sign(
            rendered.read_bytes(),
            credentials[0],
            PASSPHRASE,
            field_name="signatory-1",
            signer_name="H.E. Mr Wang Yi",
            reason="Adopted",
            timestamp_url=url,
            trust_roots=[],
        )


def test_a_wrong_passphrase_does_not_sign(
    rendered: Path, credentials: list[SigningCredential]
) -> None:
    with pytest.raises(InvalidInput, match="secret key has changed"):
        sign(
            rendered.read_bytes(),
            credentials[0],
            b"another passphrase",
            field_name="signatory-1",
            signer_name="H.E. Mr Wang Yi",
            reason="Adopted",
            trust_roots=[],
        )


def test_the_command_verifies_and_exits_by_what_it_found(
    signed: Path, altered: Path, root_file: Path, folder: Path
) -> None:
    good = summitry("documents", "verify", signed, "--root", root_file)
    assert good.returncode == 0, good.stdout + good.stderr
    for name, _, _ in SIGNATORIES:
        assert name in good.stdout
    assert "All 3 signatures are intact" in good.stdout

    changed = summitry("documents", "verify", altered, "--root", root_file)
    assert changed.returncode == 1
    assert "WAS CHANGED" in changed.stdout

    untrusted = summitry("documents", "verify", signed)
    assert untrusted.returncode == 1
    assert "intact" in untrusted.stdout
    assert "--root" in untrusted.stderr

    text = folder / "minutes.txt"
    text.write_text("Minutes of the meeting, typed up.\n")
    not_pdf = summitry("documents", "verify", text, "--root", root_file)
    assert not_pdf.returncode == 2
    assert "not a PDF" in not_pdf.stdout

    missing = summitry("documents", "verify", folder / "nowhere.pdf")
    assert missing.returncode == 2
    assert "there is no file" in missing.stderr

    bad_root = summitry("documents", "verify", signed, "--root", text)
    assert bad_root.returncode == 2
    assert "not a PEM certificate" in bad_root.stderr

    for result in (good, changed, untrusted, not_pdf, missing, bad_root):
        assert "Traceback" not in result.stdout + result.stderr
