"""WeasyPrint at work: the HTML of an outcome document typeset to PDF, loading nothing from
the network. Imported only when something is rendered (``rendering.render_pdf``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import weasyprint  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]


def write_pdf(html: str, base_url: str | None, title: str, language: str, variant: str) -> bytes:
    """The PDF of ``html`` in ``variant``, with the catalogue's title and language given."""
    fetcher = _LocalFetcher(base_url)
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).render()
    # The catalogue's title and language come from the record, not from whatever the
    # template happens to put in <title> and <html lang>.
    document.metadata.title = title
    document.metadata.lang = language
    pdf = document.write_pdf(pdf_variant=variant)
    if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf without a target returns bytes
        raise TypeError("WeasyPrint returned no PDF")
    return pdf


class _LocalFetcher(URLFetcher):  # type: ignore[misc]
    """Loads data: URLs and files under ``base_url``; nothing from the network.

    An adopted text is typed by delegates: a stray ``<img src="http://...">`` or a file
    attachment must not make the server fetch a URL or embed a file of its own.
    """

    def __init__(self, base_url: str | None) -> None:
        super().__init__(allowed_protocols={"data", "file"})
        self._folder = _folder(base_url)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(unquote(parts.path)).resolve()
            if self._folder is None or not path.is_relative_to(self._folder):
                raise ValueError(f"{url} is outside the document's folder")
        elif parts.scheme != "data":
            raise ValueError(f"{url}: only data: URLs and the document's own files are loaded")
        return super().fetch(url, headers)


def _folder(base_url: str | None) -> Path | None:
    if not base_url:
        return None
    parts = urlsplit(base_url)
    if parts.scheme not in ("", "file"):
        return None
    path = Path(unquote(parts.path)).resolve()
    return path if path.is_dir() else path.parent
