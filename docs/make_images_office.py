"""Rebuild the pictures in docs/images/ that LibreOffice prints: the first page of the bundled 两新 fill-in
form (rubrics/examples/两新-评分表.xlsx, as `starrules template` lays it out and tests/xlsx_fill.py fills it),
of the 机关达标创星 report's 一览表 and 整改台账, and of its 整改任务书 (Word),
converted to PDF by headless LibreOffice and to PNG by poppler's pdftoppm at 60 dpi.

    .venv/bin/python docs/make_images_office.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"


def form_image(out: Path = IMAGES / "form.png") -> Path:
    """docs/images/form.png: page 1 of the filled 两新 评分表 as it prints (landscape A4)."""
    sys.path.insert(0, str(ROOT))
    from tests.render_office import office_pdf, png_page
    with tempfile.TemporaryDirectory(prefix="starrules-images-") as work:
        pdf = office_pdf(ROOT / "rubrics" / "examples" / "两新-评分表.xlsx", Path(work))
        page = png_page(pdf, Path(work) / "form.png", page=1, resolution=60)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(page, out)
    return out


def report_images(listing: Path = IMAGES / "report.png", ledger: Path = IMAGES / "rectification.png") -> list[Path]:
    """docs/images/report.png and rectification.png: the first page of the 一览表 and of the 整改台账 of the
    bundled 机关达标创星 batch's report (`starrules report … --papers`), as they print."""
    sys.path.insert(0, str(ROOT))
    from starrules import load
    from starrules.batch.many import evaluate_batch
    from starrules.report.summary import branch_names, summarise
    from starrules.report.xlsx_report import write_report
    from tests.render_office import office_pdf, page_texts, png_page
    batch = ROOT / "rubrics" / "examples" / "机关达标创星-批量.jsonl"
    rubric = load(ROOT / "rubrics" / "机关达标创星.rubric")
    results = evaluate_batch(rubric, batch)
    with tempfile.TemporaryDirectory(prefix="starrules-images-") as work:
        book = Path(work) / "汇总.xlsx"
        write_report(summarise(rubric, results, list(results[0].levels), branch_names(batch, rubric)), book, papers=True)
        pdf = office_pdf(book, Path(work))
        texts = page_texts(pdf)
        for title, out in (("评定情况一览表", listing), ("整改台账", ledger)):
            first = next(n for n, text in enumerate(texts, 1) if title in text)
            shutil.copyfile(png_page(pdf, Path(work) / out.name, page=first, resolution=60), out)
    return [listing, ledger]


def tasks_image(out: Path = IMAGES / "tasks.png") -> Path:
    """docs/images/tasks.png: the first page of the 整改任务书 of the same report (`starrules report … --tasks`),
    the Word document as LibreOffice prints it (A4 portrait)."""
    sys.path.insert(0, str(ROOT))
    from starrules.cli import main
    from tests.render_office import office_pdf, png_page
    batch = ROOT / "rubrics" / "examples" / "机关达标创星-批量.jsonl"
    with tempfile.TemporaryDirectory(prefix="starrules-images-") as work:
        tasks = Path(work) / "整改任务书.docx"
        if main(["report", str(ROOT / "rubrics" / "机关达标创星.rubric"), str(batch), "-o", str(Path(work) / "汇总.xlsx"),
                 "--tasks", str(tasks)]) != 0:
            raise SystemExit("starrules report --tasks failed")
        pdf = office_pdf(tasks, Path(work))
        shutil.copyfile(png_page(pdf, Path(work) / out.name, page=1, resolution=60), out)
    return out


if __name__ == "__main__":
    print(form_image())
    print(*report_images(), sep="\n")
    print(tasks_image())
