"""The Excel workflow: `starrules template` writes a 评分表 with data validation and a 批量 sheet;
filled forms are read back by `eval`, `rank` and `report`, and a wrong cell is named by its
sheet and address."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

import starrules
from starrules import EvidenceError, evaluate_batch
from starrules.cli import main

from tests.xlsx_fill import cell_value, fill_batch, fill_form, form_rows

RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"
LIANGXIN = RUBRICS / "两新争先创优.rubric"
EXAMPLE = json.loads((RUBRICS / "examples" / "两新-示例支部.json").read_text(encoding="utf-8"))
BATCH = [json.loads(line) for line in (RUBRICS / "examples" / "两新-批量.jsonl").read_text(encoding="utf-8").splitlines()]


def template(tmp_path: Path, rubric: Path = LIANGXIN, *extra: str) -> Path:
    out = tmp_path / "评分表.xlsx"
    assert main(["template", str(rubric), *extra, "-o", str(out)]) == 0
    return out


def validation_of(sheet: openpyxl.worksheet.worksheet.Worksheet, cell: str) -> tuple[str, str | None, str | None]:
    for rule in sheet.data_validations.dataValidation:
        if cell in rule.sqref:
            return rule.type, rule.formula1, rule.formula2
    raise AssertionError(f"no data validation on {cell}")


def test_template_is_laid_out_like_the_paper_form(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(template(tmp_path))
    assert book.sheetnames == ["评分表", "批量"]
    sheet = book["评分表"]
    assert [c.value for c in sheet[3]] == ["类型", "项目", "分值", "考核评价标准", "考评方式", "填写", "填写项", "填写说明"]
    rows = form_rows(sheet)
    first = sheet[rows["应建未建党组织"]]
    assert [c.value for c in first[:3]] == ["党的组织设置 20分", "组织覆盖", 10]
    assert first[4].value == "应建未建党组织的不得分。"
    # every fact and every 酌情 item has exactly one input row, after id and 名称
    rubric = starrules.load(LIANGXIN)
    judged = [i.name for i in rubric.items if any(type(c).__name__ == "Judged" for c in i.clauses)]
    assert sorted(rows) == sorted(["id", "名称", *rubric.facts, *judged])
    assert list(rows)[:2] == ["id", "名称"]


def test_template_validates_each_input_by_type_and_range(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(template(tmp_path))
    sheet = book["评分表"]
    rows = form_rows(sheet)
    assert validation_of(sheet, f"F{rows['应建未建党组织']}") == ("list", '"是,否"', None)
    assert validation_of(sheet, f"F{rows['未发挥表率作用党员数']}")[:2] == ("whole", "0")
    assert validation_of(sheet, f"F{rows['配套组织']}") == ("decimal", "0", "5")  # 酌情 0 to the item's 5
    assert validation_of(sheet, f"F{rows['党员学习学时']}")[0] == "decimal"
    batch = book["批量"]
    headers = [c.value for c in batch[1]]
    assert headers[:2] == ["id", "名称"]
    column = openpyxl.utils.get_column_letter(headers.index("组织生活创新") + 1)
    assert validation_of(batch, f"{column}2") == ("decimal", "0", "4")
    assert validation_of(batch, f"{column}501") == ("decimal", "0", "4")


def test_filled_form_scores_like_the_json_example(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    filled = fill_form(template(tmp_path), EXAMPLE, tmp_path / "填好.xlsx")
    capsys.readouterr()
    assert main(["eval", str(LIANGXIN), str(filled), "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["id"] == "示例-001" and result["total"] == 83.5  # README's hand-worked example


def test_filled_batch_sheet_scores_every_branch(tmp_path: Path) -> None:
    filled = fill_batch(template(tmp_path), BATCH, tmp_path / "批量.xlsx")
    totals = {r.id: r.total for r in evaluate_batch(starrules.load(LIANGXIN), filled)}
    assert totals == {"示例-001": 83.5, "示例-002": 87.5, "示例-003": 91, "示例-004": 73.5}


def test_raters_get_one_input_column_each(tmp_path: Path) -> None:
    college = RUBRICS / "学院分类定级.rubric"
    path = template(tmp_path, college)
    book = openpyxl.load_workbook(path)
    sheet = book["评分表"]
    assert [c.value for c in sheet[3]][5:] == ["支部自评", "党员群众测评", "党委评定", "填写项", "填写说明"]
    example = json.loads((RUBRICS / "examples" / "学院分类定级-批量.jsonl").read_text(encoding="utf-8").splitlines()[1])
    rows = {row[8].value: row[8].row for row in sheet.iter_rows(min_row=4) if row[8].value}
    sheet.cell(rows["id"], 6, example["id"])
    for column, rater in enumerate(["支部自评", "党员群众测评", "党委评定"], 6):
        for key, value in example[rater].items():
            sheet.cell(rows[key], column, cell_value(value))
    assert "支部自评/设置合理" in [c.value for c in book["批量"][1]]
    book.save(tmp_path / "填好.xlsx")
    (result,) = evaluate_batch(starrules.load(college), tmp_path / "填好.xlsx")
    # the 党委评定 column decides (以 党委评定 为准: 82, test_library); the other two are kept beside it
    assert result.total == 82 and {name: r.total for name, r in result.raters.items()} == \
        {"支部自评": 100, "党员群众测评": 86, "党委评定": 82}


def test_a_wrong_cell_is_named_by_sheet_and_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = template(tmp_path)
    book = openpyxl.load_workbook(path)
    rows = form_rows(book["评分表"])
    bad = fill_form(path, {**EXAMPLE, "班子任期": "两分", "党员学习学时": None}, tmp_path / "错.xlsx")
    assert main(["eval", str(LIANGXIN), str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"错.xlsx:评分表!F{rows['班子任期']}: 错误[E503]" in err and "两分" in err
    # a required value left empty points at the cell to fill in
    assert f"错.xlsx:评分表!F{rows['党员学习学时']}: 错误[E501]" in err


def test_a_wrong_cell_in_the_batch_sheet(tmp_path: Path) -> None:
    path = template(tmp_path)
    headers = [c.value for c in openpyxl.load_workbook(path)["批量"][1]]
    column = openpyxl.utils.get_column_letter(headers.index("配套组织") + 1)
    bad = fill_batch(path, [BATCH[0], {**BATCH[1], "配套组织": 7}], tmp_path / "错.xlsx")
    with pytest.raises(EvidenceError) as info:
        evaluate_batch(starrules.load(LIANGXIN), bad)
    (problem,) = info.value.diagnostics
    assert problem.code == "E507" and problem.span.file == f"{bad}:批量!{column}3"


def test_history_columns_and_duplicate_ids(tmp_path: Path) -> None:
    rubric = RUBRICS / "机关达标创星.rubric"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "批量"
    row = json.loads((RUBRICS / "examples" / "机关达标创星-批量.jsonl").read_text(encoding="utf-8").splitlines()[4])
    # one rater's sheet (综合: 机关党委评分 100%, 以 工委抽查 为准): its columns are 机关党委评分/事实
    late = {"id": row["id"], **{f"机关党委评分/{k}": v for k, v in row["机关党委评分"].items()}}
    keys = list(late)
    sheet.append([*keys, "历史/等次/2025"])
    sheet.append([late[k] for k in keys] + ["后进"])
    book.save(tmp_path / "b.xlsx")
    (result,) = evaluate_batch(starrules.load(rubric), tmp_path / "b.xlsx")
    assert result.total == 37 and "免去党支部书记职务" in [c.text for c in result.consequences]
    sheet.append([late[k] for k in keys])
    book.save(tmp_path / "twice.xlsx")
    with pytest.raises(EvidenceError) as info:
        evaluate_batch(starrules.load(rubric), tmp_path / "twice.xlsx")
    assert info.value.code == "E515" and info.value.span.file.endswith("twice.xlsx:批量!A3")


@pytest.mark.parametrize(("make", "code"), [
    (lambda p: p.write_bytes(b"not a zip"), "E511"),
    (lambda p: openpyxl.Workbook().save(p), "E511"),  # no 评分表 or 批量 sheet
    (None, "E514"),  # the template as written: nothing filled in
])
def test_unusable_workbooks(tmp_path: Path, make: object, code: str) -> None:
    path = tmp_path / "x.xlsx"
    if make is None:
        path = template(tmp_path)
    else:
        make(path)  # type: ignore[operator]
    with pytest.raises(EvidenceError) as info:
        evaluate_batch(starrules.load(LIANGXIN), path)
    assert info.value.code == code


def test_workbook_over_the_evidence_size_limit(tmp_path: Path) -> None:
    filled = fill_form(template(tmp_path), EXAMPLE, tmp_path / "填好.xlsx")
    rubric = starrules.load(LIANGXIN, limits=starrules.Limits(evidence_bytes=1000))
    with pytest.raises(EvidenceError) as info:
        evaluate_batch(rubric, filled)
    assert info.value.code == "E516"


def test_template_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["template", str(LIANGXIN), "-o", str(tmp_path / "x.csv")])
    assert info.value.code == 2 and ".xlsx" in capsys.readouterr().err
    assert main(["template", str(LIANGXIN), "-o", str(tmp_path / "missing" / "x.xlsx")]) == 1
    assert "无法写入" in capsys.readouterr().err


def test_bundled_filled_forms_match_the_template_and_the_json_example(tmp_path: Path) -> None:
    from tests.xlsx_fill import bundled_forms
    examples = RUBRICS / "examples"
    for fresh in bundled_forms(tmp_path):
        bundled = openpyxl.load_workbook(examples / fresh.name)
        rebuilt = openpyxl.load_workbook(fresh)
        for name in ("评分表", "批量"):
            assert [r for r in bundled[name].iter_rows(values_only=True)] == \
                [r for r in rebuilt[name].iter_rows(values_only=True)], f"{fresh.name}: python tests/xlsx_fill.py"
    (result,) = evaluate_batch(starrules.load(LIANGXIN), examples / "两新-评分表.xlsx")
    assert result.total == 83.5


def test_eval_streams_an_xlsx_batch_to_a_file(tmp_path: Path) -> None:
    import pyarrow  # noqa: F401  (a test dependency: missing, the test fails)
    filled = fill_batch(template(tmp_path), BATCH, tmp_path / "批量.xlsx")
    out = tmp_path / "结果.jsonl"
    assert main(["eval", str(LIANGXIN), str(filled), "-o", str(out), "--quiet"]) == 0
    totals = {row["id"]: row["total"] for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert totals == {"示例-001": 83.5, "示例-002": 87.5, "示例-003": 91, "示例-004": 73.5}
