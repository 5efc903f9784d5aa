"""Outcome documents as archival PDF: WeasyPrint, the fonts Debian has, PDF/A-3b.

**Why PDF/A-3b.** WeasyPrint's ``pdf/a-3b`` writes a ``%PDF-1.7`` header and XMP that says
``pdfaid:part="3"``, and PDF/A-3 is built on PDF 1.7: the file says what it is. (The spike's
"PDF 2.0" came from signing, not rendering: pyHanko declares ISO 32002 for a P-256 key and
raises the catalogue's version to 2.0; ``seals.sign`` keeps a PDF 1.7 file at 1.7.) PDF/A-4
is the PDF 2.0 archive, but WeasyPrint 70 offers only ``pdf/a-4u``, which writes a conformance
level ``U`` that PDF/A-4 does not have (it knows only E and F), so it would claim something
false. Level ``b`` (the page looks the same forever) rather than ``a`` (fully tagged): tagging
is not WeasyPrint's strength, and a tag tree that is wrong is worse than none.

The print style (``PRINT_CSS``) is meant for the template to include: A4, serif, generous
margins, "Page N of M" at the foot, the script of each language in its own Noto face,
right-to-left text wherever the HTML says ``dir="rtl"``, each language's text on a page of
its own and the signatories' blocks side by side (the ``print-*`` classes of print.html).
"""

from __future__ import annotations

from summitry.errors import InvalidInput

PDF_VARIANT = "pdf/a-3b"

PRINT_CSS = """
@page {
  size: A4;
  margin: 28mm 25mm 30mm 25mm;
  @bottom-center {
    content: "Page " counter(page) " of " counter(pages);
    font-family: "Noto Serif", serif;
    font-size: 9pt;
    color: #444;
  }
}
html {
  font-family: "Noto Serif", "Noto Serif CJK SC", "Noto Naskh Arabic", serif;
  font-size: 11.5pt;
  line-height: 1.5;
  color: #000;
}
:lang(zh) { font-family: "Noto Serif CJK SC", "Noto Serif", serif; line-height: 1.7; }
:lang(ar) { font-family: "Noto Naskh Arabic", "Noto Sans Arabic", "Noto Serif", serif; }
[dir="rtl"] { direction: rtl; }
h1, h2, h3 { font-weight: bold; text-align: center; break-after: avoid; }
h1 { font-size: 16pt; margin: 0 0 4mm; letter-spacing: 0.03em; }
h2 { font-size: 12.5pt; margin: 8mm 0 3mm; }
h3 { font-size: 11.5pt; margin: 5mm 0 2mm; font-style: italic; }
p { margin: 0 0 3mm; text-align: justify; orphans: 3; widows: 3; }
.print-head { text-align: center; margin-bottom: 10mm; }
.print-head p { text-align: center; }
.print-occasion, .print-kind { font-style: italic; }
.print-text { break-before: page; }
.print-head + .print-text { break-before: auto; }
.print-language { text-align: center; font-variant: small-caps; letter-spacing: 0.05em; }
.print-number { font-weight: bold; }
.print-done { margin-top: 12mm; break-inside: avoid; }
.print-signatories { display: flex; flex-wrap: wrap; gap: 10mm; margin-top: 8mm; }
.print-signatory { flex: 0 1 45%; break-inside: avoid; }
.print-signatory .print-line { border-bottom: 0.5pt solid #000; height: 16mm; margin: 0; }
.print-seal { margin-top: 10mm; font-size: 9pt; color: #444; text-align: start; }
"""
"""The print style of an outcome document; the HTML includes it in a ``<style>`` element."""


def render_pdf(html: str, *, base_url: str | None = None, title: str, language: str) -> bytes:
    """The PDF/A-3b of ``html``, titled ``title`` and in ``language`` (a BCP 47 tag)."""
    if not title.strip():
        raise InvalidInput("give the document a title", field="title")
    # Imported at the first rendering, not with this module: WeasyPrint (Pango, fontconfig)
    # takes some two seconds to import, which every process — each ``summitry`` command, each
    # server start, each replica — would otherwise pay whether it prints anything or not.
    from summitry.documents import typesetting

    return typesetting.write_pdf(html, base_url, title.strip(), language, PDF_VARIANT)
