"""The fill-in form (`starrules template`) prints as a real 评分表 (issue 20): a bordered table on landscape
A4 fitted to the page width, the header row on every page, 类型 and each item's cells merged down over
their rows, criteria and 考评方式 wrapped in full, the footer's page numbers and the signature line at the
foot. The fast tests read openpyxl's properties; the others print the form with headless LibreOffice
(tests/render_office.py) and read the PDF back with poppler. Expected rows, ranges and heights are worked
out by hand from rubrics/两新争先创优.rubric below."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from starrules import load, loads
from starrules.report.xlsx_template import write_template
from tests.render_office import joined, office_pdf, page_sizes, page_texts, pdf_pages

ROOT = Path(__file__).resolve().parent.parent
LIANGXIN = ROOT / "rubrics" / "两新争先创优.rubric"
TITLE = "“两新”党组织争先创优活动评定标准评分表"  # the standard's 标题 and 评分表

# five items, each with a criterion and a 考评方式 of a line or two, as a small unit's form has
FIVE = """
标准 五项 {
    标题 "五项测试评分表标准"
    满分 20
    事实 按期换届: 是否 "支部委员会按期换届"
    事实 会议次数: 计数 单位 "次"
    事实 台账齐全: 是否
    类型 组织建设 8分 {
        项目 换届 4分 {
            说明 "支部委员会任期届满按期换届,换届选举程序规范,选举结果及时报上级党组织审批。"
            方式 "未按期换届的不得分。"
            不得分 如果 非 按期换届
        }
        项目 会议 4分 {
            说明 "支部委员会每月至少召开1次会议,研究部署党建工作,会议有记录。"
            方式 "全年少于12次的扣2分。"
            扣 2分 如果 会议次数 少于 12
        }
    }
    类型 制度落实 12分 {
        项目 台账 4分 {
            说明 "党建工作台账齐全,分类归档,查阅方便。"
            方式 "台账不全的扣2分。"
            扣 2分 如果 非 台账齐全
        }
        项目 学习 4分 {
            说明 "制定年度学习计划,按计划组织党员集中学习。"
            方式 "根据学习计划的落实情况酌情给分。"
            酌情
        }
        项目 活动 4分 {
            说明 "结合实际开展主题党日活动,活动有特色、有成效。"
            方式 "根据活动开展情况酌情给分。"
            酌情
        }
    }
}
"""


def form_sheet(tmp_path: Path, text: str | None = None) -> Worksheet:
    path = tmp_path / "评分表.xlsx"
    write_template(load(LIANGXIN) if text is None else loads(text), path)
    return openpyxl.load_workbook(path)["评分表"]


def test_the_form_is_set_up_for_landscape_a4_one_page_wide(tmp_path: Path) -> None:
    sheet = form_sheet(tmp_path)
    setup = sheet.page_setup
    assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
    assert sheet.sheet_properties.pageSetUpPr is not None and sheet.sheet_properties.pageSetUpPr.fitToPage
    # the header row (3) on every page; the panes frozen below it
    assert sheet.print_title_rows == "$3:$3" and sheet.freeze_panes == "A4"
    footer = sheet.oddFooter
    assert footer is not None
    assert footer.center.text == "第 &P 页 共 &N 页" and footer.left.text == TITLE
    # the print area runs to the signature line: rows 4–42 are the table (see below), 43 blank, 44 the line
    assert sheet.print_area == "'评分表'!$A$1:$H$44"
    assert str(sheet["A44"].value).startswith("填表人(签字):") and "考核人(签字):" in str(sheet["A44"].value)
    assert "日期:" in str(sheet["A44"].value)


def test_types_and_items_are_merged_down_over_their_rows(tmp_path: Path) -> None:
    sheet = form_sheet(tmp_path)
    # rows, worked from the rubric: 4 编号, 5 名称; then one row per input, at least one per item:
    # 党的组织设置 6–8 (three items, one fact each); 班子队伍建设 9–12 (four 酌情 items); 党员教育管理 13–18
    # (党员教育培训 reads three facts: 14–16); 党内组织生活 19–28 (三会一课 four facts 19–22, 民主评议党员
    # two 23–24, 组织生活会 25, 党员活动日 two 26–27, 组织生活创新 28); 发挥作用途径 29–31 (the 服务 item:
    # its 酌情 score and 作用发挥明显, 29–30); 工作运行机制 32–35 (激励关怀机制 two, 34–35); 基本工作保障
    # 36–42 (政策保障 four facts 36–39, 场所保障 40, 经费保障 its score and 有党建经费 41–42)
    types = {"A4:A5", "A6:A8", "A9:A12", "A13:A18", "A19:A28", "A29:A31", "A32:A35", "A36:A42"}
    items = {f"{column}{first}:{column}{last}" for first, last in
             ((14, 16), (19, 22), (23, 24), (26, 27), (29, 30), (34, 35), (36, 39), (41, 42)) for column in "BCDE"}
    across = {"A1:H1", "A2:H2", "A44:H44"}  # the title, the note, the signature line
    assert {str(span) for span in sheet.merged_cells.ranges} == types | items | across
    assert [sheet.cell(row, 1).value for row in (4, 6, 9, 13, 19, 29, 32, 36)] == [
        "基本信息", "党的组织设置 20分", "班子队伍建设 15分", "党员教育管理 15分", "党内组织生活 20分",
        "发挥作用途径 10分", "工作运行机制 9分", "基本工作保障 11分"]
    assert sheet["B14"].value == "党员教育培训" and sheet["C14"].value == 4


def test_cells_are_boxed_and_wrapped_and_rows_tall_enough(tmp_path: Path) -> None:
    sheet = form_sheet(tmp_path)
    # every cell boxed: the header, a row of one-row items (班子任期), an input row beside merged cells
    # (全年无培训, 16: F–H); a merged range is boxed round its edge (the bottom of row 42, the last)
    for row, columns in ((3, range(1, 9)), (10, range(2, 9)), (16, range(6, 9))):
        for column in columns:
            border = sheet.cell(row, column).border
            assert border.left.style == border.right.style == border.top.style == border.bottom.style == "thin"
    assert all(sheet.cell(42, column).border.bottom.style == "thin" for column in range(1, 9))
    assert sheet["D41"].alignment.wrap_text and sheet["E41"].alignment.wrap_text
    assert sheet.cell(43, 1).border.top.style is None  # the blank row before the signature line
    # 经费保障 (rows 41–42): its criterion is 143 characters, all full-width but 1, % and the two quotes:
    # 282 display columns. The criterion column is as wide as its longest text allows up to 60 columns
    # (that text is this one), with a column kept for padding: 59 a line, so 5 lines of 16 points, which
    # the two rows share; the two rows' own cells need less (their 填写说明 2–3 lines and 1)
    assert sheet.column_dimensions["D"].width == pytest.approx(60 * 1.1)
    assert sheet.row_dimensions[41].height + sheet.row_dimensions[42].height >= 5 * 16
    # the input cells keep their fill and validation: 班子任期 (row 10) is 酌情 0 to 2
    assert sheet["F10"].fill.fgColor.rgb == "00FFF2CC"
    rules = {str(v.sqref): (v.type, v.formula1, v.formula2) for v in sheet.data_validations.dataValidation}
    assert ("decimal", "0", "2") in [rule for cells, rule in rules.items() if "F10" in cells.split()]


def test_the_batch_sheet_has_a_header_for_every_page_and_no_empty_boxes(tmp_path: Path) -> None:
    path = tmp_path / "评分表.xlsx"
    write_template(load(LIANGXIN), path)
    sheet = openpyxl.load_workbook(path)["批量"]
    assert sheet.print_title_rows == "$1:$1" and sheet.freeze_panes == "C2"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet["A1"].border.bottom.style == "thin" and sheet["A2"].border.bottom.style is None
    assert sheet["C1"].value == "应建未建党组织" and sheet["C1"].alignment.wrap_text


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("print")
    path = directory / "两新.xlsx"
    write_template(load(LIANGXIN), path)
    return office_pdf(path, directory)


def form_pages(pdf: Path, raw: bool = False) -> list[str]:
    """The pages of the 评分表 sheet: their footer names the standard (the 批量 sheet's says 批量)."""
    return [page for page in page_texts(pdf, raw) if TITLE in page and "第" in page]


def test_the_bundled_form_prints_on_three_landscape_pages(printed: Path) -> None:
    # the 评分表 on two pages, the 批量 sheet's header on one (before this layout: 14 portrait pages)
    assert pdf_pages(printed) <= 3
    assert all(width == pytest.approx(842, abs=1) and height == pytest.approx(595, abs=1)
               for width, height in page_sizes(printed))
    pages = form_pages(printed)
    assert 1 <= len(pages) <= 2
    for number, page in enumerate(pages, 1):  # the header row and the footer on every page of the form
        assert all(name in page for name in ("类型", "项目", "分值", "考核评价标准", "考评方式", "填写项"))
        assert f"第{number}页共{pdf_pages(printed)}页" in joined(page)
    # the signature line on the last page of the form only
    assert [("考核人(签字)" in page) for page in pages] == [False] * (len(pages) - 1) + [True]


def test_every_criterion_and_method_prints_in_full(printed: Path) -> None:
    text = joined("".join(form_pages(printed, raw=True)))
    rubric = load(LIANGXIN)
    from starrules.io.form import build_form
    texts = [entry.text(kind) for entry in build_form(rubric).items for kind in ("criterion", "method")]
    assert len([t for t in texts if t]) == 30  # the rubric has 15 说明 and 15 方式, one to an item
    missing = [t for t in texts if joined(t) not in text]
    assert missing == []


def test_a_five_item_form_prints_on_one_page(tmp_path: Path) -> None:
    path = tmp_path / "五项.xlsx"
    write_template(loads(FIVE), path)
    pdf = office_pdf(path, tmp_path)
    pages = [page for page in page_texts(pdf) if "五项测试评分表标准评分表" in page and "第" in page]
    assert len(pages) == 1
    assert "考核人(签字)" in pages[0] and "支部委员会每月至少召开1次会议" in joined(pages[0])


def test_a_form_with_raters_has_a_column_and_a_signature_per_rater(tmp_path: Path) -> None:
    path = tmp_path / "分类定级.xlsx"
    write_template(load(ROOT / "rubrics" / "学院分类定级.rubric"), path)
    sheet = openpyxl.load_workbook(path)["评分表"]
    # 综合 { 支部自评 … 党员群众测评 … 党委评定 … }: one input column each (F–H), then 填写项 and 填写说明
    assert [c.value for c in sheet[3]] == ["类型", "项目", "分值", "考核评价标准", "考评方式", "支部自评", "党员群众测评",
                                           "党委评定", "填写项", "填写说明"]
    # 编号 and 名称 are entered once, whoever rates: F–H merged on rows 4 and 5
    assert {"F4:H4", "F5:H5"} <= {str(span) for span in sheet.merged_cells.ranges}
    foot = str(sheet.cell(sheet.max_row, 1).value)
    assert all(f"{rater}(签字):" in foot for rater in ("支部自评", "党员群众测评", "党委评定")) and "日期:" in foot


def test_the_guide_shows_the_printed_form() -> None:
    image = ROOT / "docs" / "images" / "form.png"
    assert "](images/form.png)" in (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    data = image.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 250_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > height  # landscape: A4 at 60 dpi is 702 × 496 pixels


# FIVE filled in: 换届 on time (4), 10 meetings of the 12 asked (4 − 2 = 2), the 台账 incomplete (4 − 2 = 2),
# 学习 judged 3 and 活动 4: 4 + 2 + 2 + 3 + 4 = 15
FIVE_EVIDENCE = {"id": "A", "按期换届": "是", "会议次数": 10, "台账齐全": "否", "学习": 3, "活动": 4}


def test_a_form_reads_back_in_this_layout_and_in_the_previous_one(tmp_path: Path) -> None:
    from starrules import evaluate_batch
    from tests.xlsx_fill import fill_form
    blank = tmp_path / "空白.xlsx"
    write_template(loads(FIVE), blank)
    (result,) = evaluate_batch(loads(FIVE), fill_form(blank, FIVE_EVIDENCE, tmp_path / "新.xlsx"))
    assert (result.id, result.total) == ("A", 15)
    # the layout before print set-up: no merged cells, 基本信息 on both its rows, the same columns
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "评分表"
    sheet["A1"], sheet["A2"] = "五项测试评分表标准评分表", "在黄色单元格填写"
    rows: list[list[str | int | None]] = [
        ["类型", "项目", "分值", "考核评价标准", "考评方式", "填写", "填写项", "填写说明"],
        ["基本信息", "编号", None, None, None, "A", "id", None],
        ["基本信息", "名称", None, None, None, None, "名称", None],
        ["组织建设 8分", "换届", 4, None, None, "是", "按期换届", None],
        [None, "会议", 4, None, None, 10, "会议次数", None],
        ["制度落实 12分", "台账", 4, None, None, "否", "台账齐全", None],
        [None, "学习", 4, None, None, 3, "学习", None],
        [None, "活动", 4, None, None, 4, "活动", None]]
    for number, values in enumerate(rows, 3):
        for column, value in enumerate(values, 1):
            sheet.cell(number, column, value)
    book.save(tmp_path / "旧.xlsx")
    (old,) = evaluate_batch(loads(FIVE), tmp_path / "旧.xlsx")
    assert (old.id, old.total) == ("A", 15)
