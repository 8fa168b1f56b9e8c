"""Draw the pictures of the guide (docs/images/) from a bundled example, as a user would get them:

- scorecard.png: `starrules report --html` on 机关达标创星 printed by headless Chromium to PDF, its
  second page (the first branch's card; the first page is the summary) at 80 dpi by pdftoppm;
- chart.png: the `--png` level distribution of the same report (matplotlib, the `chart` extra);
- form.png, report.png, rectification.png, tasks.png: what LibreOffice prints of the fill-in form, the 一览表,
  the 整改台账 and the 整改任务书 (docs/make_images_office.py).

Run from anywhere: `python docs/make_images.py` makes them all. Needs chromium, LibreOffice, poppler-utils,
a CJK font (fonts-noto-cjk) and starrules with the html and chart extras."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starrules.batch.many import evaluate_batch  # noqa: E402  (after the path above)
from starrules import load  # noqa: E402
from starrules.cli import main  # noqa: E402
from starrules.report.png_chart import write_chart  # noqa: E402
from starrules.report.summary import branch_names, summarise  # noqa: E402
from tests.render_browser import print_to_pdf  # noqa: E402
from tests.render_office import png_page  # noqa: E402
from docs.make_images_office import form_image, report_images, tasks_image  # noqa: E402

IMAGES = ROOT / "docs" / "images"
RUBRIC = ROOT / "rubrics" / "机关达标创星.rubric"
BATCH = ROOT / "rubrics" / "examples" / "机关达标创星-批量.jsonl"
CARD_PAGE, DPI = 2, 80


def scorecard_image(work: Path, out: Path) -> None:
    html = work / "评分卡.html"
    if main(["report", str(RUBRIC), str(BATCH), "-o", str(work / "汇总.xlsx"), "--html", str(html)]) != 0:
        raise SystemExit("starrules report failed")
    pdf = print_to_pdf(html, work / "评分卡.pdf")
    png_page(pdf, out, page=CARD_PAGE, resolution=DPI)


def chart_image(out: Path) -> None:
    rubric = load(RUBRIC)
    results = evaluate_batch(rubric, BATCH, None)
    write_chart(summarise(rubric, results, list(results[0].levels), branch_names(BATCH, rubric)), out)


def run() -> None:
    IMAGES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        scorecard_image(Path(work), IMAGES / "scorecard.png")
    chart_image(IMAGES / "chart.png")
    form_image()
    report_images()
    tasks_image()
    for image in ("scorecard.png", "chart.png", "form.png", "report.png", "rectification.png", "tasks.png"):
        print(f"{IMAGES / image}: {(IMAGES / image).stat().st_size // 1024} KB")


if __name__ == "__main__":
    run()
