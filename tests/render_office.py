"""Rendering workbooks and documents as they print: headless LibreOffice converts a file to PDF, and
poppler's pdfinfo and pdftotext read the pages back (tests/render_browser.py reads Chromium's PDFs
with the same functions). Each conversion runs with a profile of its own,
so tests running in parallel do not wait on (or corrupt) one another's LibreOffice profile. A tool
that is missing fails the test loudly: a print test that cannot print has checked nothing."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

OFFICE = "soffice"
TIMEOUT = 240  # seconds; a conversion takes a few on a quiet machine, far longer on a busy one


def tool(name: str) -> str:
    """The program `name` (a name on PATH or a path); a missing one fails the test that needs it."""
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed: the print tests render with it (LibreOffice's soffice, "
                           "chromium, poppler-utils)")
    return found


def office_pdf(path: Path, out_dir: Path) -> Path:
    """`path` (xlsx, docx, …) converted to PDF in `out_dir` by headless LibreOffice; returns the PDF."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="starrules-office-") as profile:
        result = subprocess.run(
            [tool(OFFICE), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(out_dir), str(path)],
            capture_output=True, text=True, timeout=TIMEOUT, check=False)
    pdf = out_dir / (path.stem + ".pdf")
    if result.returncode != 0 or not pdf.is_file():
        raise RuntimeError(f"LibreOffice did not convert {path} (exit {result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}")
    return pdf


def pdf_info(pdf: Path) -> dict[str, str]:
    """pdfinfo's fields (Pages, Page size, …)."""
    result = subprocess.run([tool("pdfinfo"), str(pdf)], capture_output=True, text=True, timeout=60, check=True)
    return {key.strip(): value.strip() for key, _, value in
            (line.partition(":") for line in result.stdout.splitlines()) if value}


def pdf_pages(pdf: Path) -> int:
    return int(pdf_info(pdf)["Pages"])


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    """(width, height) in points of every page (pdfinfo -f 1 -l N), e.g. (842, 595) for landscape A4."""
    pages = pdf_pages(pdf)
    result = subprocess.run([tool("pdfinfo"), "-f", "1", "-l", str(pages), str(pdf)],
                            capture_output=True, text=True, timeout=60, check=True)
    sizes = re.findall(r"^Page\s+\d+\s+size:\s+([\d.]+) x ([\d.]+) pts", result.stdout, re.MULTILINE)
    return [(float(width), float(height)) for width, height in sizes]


def pdf_text(pdf: Path, raw: bool = False) -> str:
    """The PDF's text, pages separated by form feeds (\\f): laid out as printed (columns side by side), or
    with `raw` in the order it is drawn, where the wrapped lines of one cell follow one another."""
    result = subprocess.run([tool("pdftotext"), "-raw" if raw else "-layout", str(pdf), "-"],
                            capture_output=True, text=True, timeout=60, check=True)
    return result.stdout


def page_texts(pdf: Path, raw: bool = False) -> list[str]:
    """The text of each page."""
    pages = pdf_text(pdf, raw).split("\f")
    return pages[:pdf_pages(pdf)]


def joined(text: str) -> str:
    """`text` without whitespace: CJK text wrapped across lines compares whole again."""
    return re.sub(r"\s+", "", text)


def png_page(pdf: Path, out: Path, page: int = 1, resolution: int = 60) -> Path:
    """One page of `pdf` as a PNG at `out` (pdftoppm -png -r resolution -f page -l page)."""
    stem = out.with_suffix("")
    subprocess.run([tool("pdftoppm"), "-png", "-r", str(resolution), "-f", str(page), "-l", str(page),
                    "-singlefile", str(pdf), str(stem)], capture_output=True, timeout=120, check=True)
    return stem.with_suffix(".png")
