"""Print an HTML file to PDF with headless Chromium, as a user's 打印 → 另存为 PDF would, and read
the PDF back with poppler-utils (pdfinfo, pdftotext). A missing program fails the
test that needs it, loudly: these are the real components the scorecard is printed with."""

from __future__ import annotations

import html
import os
import re
import subprocess
import tempfile
from pathlib import Path

import attrs

from tests.render_office import page_sizes, tool

CHROMIUM = "/usr/bin/chromium"
TIMEOUT = 240  # seconds; a cold Chromium on a shared two-core machine takes a while


def print_to_pdf(page: Path, pdf: Path) -> Path:
    """The HTML file `page` printed by Chromium to `pdf`, with no header or footer (the page's own @page rules
    set size and margins), in a throwaway profile and HOME so no user state leaks in."""
    chromium = tool(CHROMIUM)
    with tempfile.TemporaryDirectory(prefix="chromium-") as home:
        done = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
             "--no-first-run", "--disable-extensions", f"--user-data-dir={home}/profile",
             f"--print-to-pdf={pdf}", page.resolve().as_uri()],
            env={**os.environ, "HOME": home}, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        raise AssertionError(f"chromium did not print {page} (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return pdf


def page_size_mm(pdf: Path) -> tuple[int, int]:
    """The first page's width and height in whole millimetres (A4 portrait: 210 × 297)."""
    width, height = page_sizes(pdf)[0]
    return round(width * 25.4 / 72), round(height * 25.4 / 72)


@attrs.frozen
class Word:
    """A run of text on a page without a space in it, and its box in points from the top left."""

    x0: float
    y0: float
    x1: float
    text: str


_PAGE = re.compile(r"<page [^>]*>(.*?)</page>", re.DOTALL)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>')


def page_words(pdf: Path) -> list[list[Word]]:
    """Every page's words with their positions (pdftotext -bbox)."""
    done = subprocess.run([tool("pdftotext"), "-enc", "UTF-8", "-bbox", str(pdf), "-"], capture_output=True,
                          timeout=60, check=True)
    return [[Word(float(x0), float(y0), float(x1), html.unescape(text)) for x0, y0, x1, text in _WORD.findall(page)]
            for page in _PAGE.findall(done.stdout.decode("utf-8"))]


def column_text(words: list[Word], header: str, until: str | None) -> str:
    """The text printed under the table header `header`, down the page, up to the column headed
    `until` (None: to the right edge), with no whitespace: a cell's text as the browser wrapped it
    comes back whole. pdftotext alone reads a table across its rows, mixing the columns."""
    heads = [w for w in words if w.text == header]
    assert heads, f"no column “{header}” on the page"
    head = heads[0]
    right = min((w.x0 for w in words if w.text == until and abs(w.y0 - head.y0) < 1), default=float("inf")) \
        if until is not None else float("inf")
    inside = [w for w in words if head.x0 - 0.5 <= w.x0 < right - 0.5 and w.y0 > head.y0 + 1]
    return "".join(w.text for w in sorted(inside, key=lambda w: (round(w.y0, 1), w.x0)))
