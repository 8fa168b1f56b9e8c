"""The report workbook as it prints: the bundled 机关达标创星 example, enlarged to 40 branches so the 一览表 runs
over several pages, with the papers (`report --papers`), converted to PDF by LibreOffice and read back with
poppler (tests/render_office.py); the Excel chart's axis and colours read back with openpyxl."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest

from starrules import load
from starrules.batch.many import evaluate_batch
from starrules.report.summary import Summary, branch_names, summarise
from starrules.report.xlsx_report import write_report
from tests.render_office import office_pdf, page_sizes, page_texts

RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"
EXAMPLE = RUBRICS / "examples" / "机关达标创星-批量.jsonl"
LANDSCAPE_A4, PORTRAIT_A4 = (841.89, 595.3), (595.3, 841.89)  # points


def enlarged(tmp_path: Path, copies: int = 8) -> Summary:
    """The five example branches, each `copies` times (第五党支部-3 …)."""
    records = [json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    batch = tmp_path / "批量.jsonl"
    batch.write_text("".join(json.dumps({**r, "id": f"{r['id']}-{n}"}, ensure_ascii=False) + "\n"
                             for n in range(1, copies + 1) for r in records), encoding="utf-8")
    rubric = load(RUBRICS / "机关达标创星.rubric")
    results = evaluate_batch(rubric, batch)
    return summarise(rubric, results, list(results[0].levels), branch_names(batch, rubric))


Printed = tuple[Path, list[str], list[tuple[float, float]]]  # the workbook, each page's text, each page's size


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Printed:
    work = tmp_path_factory.mktemp("print")
    book = work / "汇总.xlsx"
    write_report(enlarged(work), book, papers=True)
    pdf = office_pdf(book, work / "pdf")
    return book, page_texts(pdf), page_sizes(pdf)


def pages_of(texts: list[str], title: str) -> list[int]:
    return [n for n, text in enumerate(texts) if title in text]


def same_size(size: tuple[float, float], expected: tuple[float, float]) -> bool:
    return all(abs(a - b) < 1 for a, b in zip(size, expected))


def test_the_listing_prints_landscape_with_its_header_on_every_page(printed: Printed) -> None:
    _, texts, sizes = printed
    listing = pages_of(texts, "评定情况一览表")
    assert len(listing) >= 2  # 40 branches with their 措施 do not fit one page
    for page in listing:
        assert same_size(sizes[page], LANDSCAPE_A4)
        # the header row repeats, and its last column (措施) is on every page: fitted to one page wide
        assert "名次" in texts[page] and "措施" in texts[page] and "填报单位" in texts[page]
    assert "第 1 页" in texts[listing[0]]
    shown = "".join(texts[page] for page in listing)
    assert all(f"第{n}党支部-{k}" in shown for n in "一二三四五" for k in range(1, 9))


def test_the_tally_prints_one_page_wide_with_its_signature(printed: Printed) -> None:
    _, texts, sizes = printed
    tally = pages_of(texts, "评定情况汇总表")
    assert tally and all(same_size(sizes[p], LANDSCAPE_A4) for p in tally)
    shown = "".join(texts[p] for p in tally)
    assert "合计(个)" in shown and "填表人" in shown and "按评价主体" in shown
    # the chart printed with its title and the level names under its bars, in order, on one line (the tables name
    # them with “(个)” after each, or one per row)
    assert "星级 等级分布" in shown and re.search(r"五星级 +四星级 +三星级 +二星级 +一星级 +无星", shown)


def test_the_rectification_ledger_lists_the_backward_branches(printed: Printed) -> None:
    _, texts, sizes = printed
    ledger = pages_of(texts, "整改台账")
    assert ledger and all(same_size(sizes[p], LANDSCAPE_A4) and "复查验收" in texts[p] for p in ledger)
    shown = "".join(texts[p] for p in ledger)
    # 第五党支部 (37 → 无星, 等次 后进: “结合台账制定整顿转化方案”) is the only one listed, eight times; 三会一课: 10
    # meetings missed at 1 point each from 8, floored at 0
    assert all(f"第五党支部-{k}" in shown for k in range(1, 9))
    assert not any(f"第{n}党支部" in shown for n in "一二三四")
    assert "三会一课 失 8 分" in shown and "党建经费 失 5 分" in shown


def test_the_notice_prints_portrait_and_the_naming_list(printed: Printed) -> None:
    _, texts, sizes = printed
    notice = pages_of(texts, "评定结果公示")
    assert notice and all(same_size(sizes[p], PORTRAIT_A4) for p in notice)
    assert "公示期" in "".join(texts[p] for p in notice)
    naming = "".join(texts[p] for p in pages_of(texts, "拟命名名单"))
    # 名额 五星级 1: the eight copies of 第一党支部 (98.5) tie at the cut, so all eight are 待定 (the committee
    # places them) and none is named yet; 先进 follows 五星级
    assert "本次评定没有可列入本名单的党支部" in naming and "第一党支部" not in naming


def test_the_chart_has_whole_counts_and_a_colour_per_level(printed: Printed) -> None:
    book, _, _ = printed
    sheet = openpyxl.load_workbook(book)["汇总表"]
    chart = sheet._charts[0]
    # counts 8, 8, 16, 0, 0, 8 (each example eight times; the quota leaves ties 待定 at their level): the tallest
    # bar is 16, so whole-number ticks 2 apart (at most ten), from 0
    assert chart.y_axis.majorUnit == 2 and chart.y_axis.numFmt.formatCode == "0" and chart.y_axis.scaling.min == 0
    assert chart.x_axis.delete is False and chart.y_axis.delete is False
    # the categories are the level names, best first (星级: 五星级 … 无星)
    source = chart.series[0].cat
    categories = (source.numRef or source.strRef).f
    cells = sheet[categories.split("!")[1].replace("$", "")]
    assert [row[0].value for row in cells] == ["五星级", "四星级", "三星级", "二星级", "一星级", "无星"]
    # png_chart's colours, best first: red, orange, yellow, green, blue, purple
    fills = [str(point.spPr.solidFill.srgbClr) for point in chart.series[0].dPt]  # read back as RRGGBB text
    assert fills == ["C0392B", "E67E22", "F1C40F", "27AE60", "2980B9", "8E44AD"]
