"""The board pack as PDF (WeasyPrint, from the same HTML) and as Word (python-docx, from the same HTML's
headings, paragraphs, lists and tables), when those libraries are installed.

Where either is missing, `pdf_available()` and `word_available()` say so, and the pages offer the print
page (print it to PDF from the browser) instead. WeasyPrint fetches nothing from the network: its URL
fetcher serves Spiral's own static files (the pack's stylesheet) from disk and refuses everything else.
The HTML is read into plain blocks here (`pack_blocks`, tested) so that the Word writer stays a thin loop.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

PDF_MISSING = (
    "PDF needs WeasyPrint, which is not installed with this Spiral: print the pack to PDF from your browser."
)
WORD_MISSING = (
    "Word needs python-docx, which is not installed with this Spiral: download the HTML pack instead."
)


def pdf_available() -> bool:
    return importlib.util.find_spec("weasyprint") is not None


def word_available() -> bool:
    return importlib.util.find_spec("docx") is not None


def static_file(url: str) -> tuple[bytes, str]:
    """What WeasyPrint may fetch: Spiral's static files, from disk (content, type); nothing else, so no
    request ever leaves the server while a pack is made."""
    from urllib.parse import urlparse

    from django.conf import settings
    from django.contrib.staticfiles import finders

    path = urlparse(url).path
    prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    found = finders.find(path[len(prefix) :]) if path.startswith(prefix) else None
    if not found or isinstance(found, list):
        raise ValueError(f"The board pack refers to {url}, which is not one of Spiral's static files")
    with open(found, "rb") as f:
        return f.read(), "text/css" if found.endswith(".css") else "application/octet-stream"


def pack_pdf(html: str, *, base_url: str = "http://spiral.invalid/") -> bytes:
    """The pack as PDF, from the same HTML (charts stay vector). Raises RuntimeError without WeasyPrint."""
    if not pdf_available():
        raise RuntimeError(PDF_MISSING)
    weasyprint: Any = importlib.import_module("weasyprint")
    urls: Any = importlib.import_module("weasyprint.urls")

    class StaticOnly(urls.URLFetcher):  # WeasyPrint is imported at run time (an optional dependency)
        def fetch(self, url: str, headers: Any = None) -> Any:
            body, content_type = static_file(url)
            return urls.URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})

    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=StaticOnly())
    return bytes(document.write_pdf())


@dataclass
class Block:
    kind: str  # "h1".."h4", "p", "li", "table", "figure"
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)  # a table's rows, its header first
    caption: str = ""


class _Reader(HTMLParser):
    """Headings, paragraphs, list items, tables (with captions) and figures (by their caption) in order;
    SVG content is skipped (a figure becomes its caption: the charts' alternative text)."""

    TEXT = {"h1", "h2", "h3", "h4", "p", "li", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.current: Block | None = None
        self.table: Block | None = None
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.in_caption = False
        self.svg = 0
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.svg += 1
        elif tag in ("title", "style", "script", "nav"):
            self.skip += 1
        elif self.svg:
            return
        elif tag == "table":
            self.table = Block("table")
        elif tag == "caption" and self.table is not None:
            self.in_caption = True
        elif tag == "tr" and self.table is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif tag == "figcaption":
            self.current = Block("figure")
        elif tag in self.TEXT and self.table is None:
            self.current = Block("p" if tag == "blockquote" else tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.svg -= 1
        elif tag in ("title", "style", "script", "nav"):
            self.skip -= 1
        elif self.svg:
            return
        elif tag == "table" and self.table is not None:
            self.blocks.append(self.table)
            self.table = None
        elif tag == "caption":
            self.in_caption = False
        elif tag == "tr" and self.table is not None and self.row is not None:
            self.table.rows.append(self.row)
            self.row = None
        elif tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif (tag in self.TEXT or tag == "figcaption") and self.current is not None:
            self.current.text = " ".join(self.current.text.split())
            if self.current.text:
                self.blocks.append(self.current)
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.svg or self.skip:
            return
        if self.in_caption and self.table is not None:
            self.table.caption += data
        elif self.cell is not None:
            self.cell.append(data)
        elif self.current is not None:
            self.current.text += data


def pack_blocks(html: str) -> list[Block]:
    """The pack's HTML as blocks in reading order (what the Word document holds)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.blocks


def pack_docx(html: str) -> bytes:
    """The pack as a Word document: real headings, paragraphs, lists and tables; each chart by its text
    alternative. Raises RuntimeError without python-docx."""
    if not word_available():
        raise RuntimeError(WORD_MISSING)
    docx: Any = importlib.import_module("docx")
    document = docx.Document()
    for b in pack_blocks(html):
        if b.kind.startswith("h"):
            document.add_heading(b.text, level=min(int(b.kind[1]) - 1, 3) or 0)
        elif b.kind == "li":
            document.add_paragraph(b.text, style="List Bullet")
        elif b.kind == "figure":
            document.add_paragraph(f"Chart: {b.text}")
        elif b.kind == "table" and b.rows:
            if b.caption.strip():
                document.add_paragraph(" ".join(b.caption.split()), style="Caption")
            width = max(len(r) for r in b.rows)
            table = document.add_table(rows=len(b.rows), cols=width)
            table.style = "Table Grid"
            for i, row in enumerate(b.rows):
                for j, text in enumerate(row):
                    table.cell(i, j).text = text
        else:
            document.add_paragraph(b.text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
