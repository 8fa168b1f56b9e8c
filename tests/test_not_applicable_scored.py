"""Issue 22 §6: evidence that scores a 不适用 item gets a warning, W501. The score stays out of the
item, its section and the total, as before; the warning says so, names the item and its line,
and every engine and every output carries it (the fast path and the batch engine hand such a
branch to the reference, which writes the message)."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
import pyarrow as pa
import pytest

import starrules
from starrules import Result, result_schema
from starrules.cli import main
from starrules.core.diagnostics import CODES
from starrules.eval.evaluator import evaluator_for
from starrules.eval.result import ResultWarning
from starrules.report.explain import explain, table

NOT_APPLICABLE_SCORED_CODES = {"W501"}  # tested here (test_diagnostics counts it)

TEXT = """等级 档次 { 好 >= 6分 差 }
标准 R {
    等级 档次
    事实 有党小组: 是否
    事实 缺课: 计数
    类型 基本 10分 {
        项目 组织生活 4分 { 酌情 不适用 如果 非 有党小组 }
        项目 评议 3分 { 分档 [好 3分, 中 2分, 差 0分] 不适用 如果 非 有党小组 }
        项目 学习 3分 { 每 缺课 扣 1分 }
    }
}
"""
LINE_ORGANISED, LINE_REVIEW = 7, 8  # the items' lines in TEXT

# 有党小组 否 makes 组织生活 and 评议 不适用; the evidence scores both all the same
SCORED = {"id": "甲", "有党小组": False, "缺课": 1, "组织生活": 3, "评议": "好"}
BLANK = {"id": "乙", "有党小组": False, "缺课": 1}  # the same branch, the two scores left out
APPLIES = {"id": "丙", "有党小组": True, "缺课": 0, "组织生活": 3, "评议": "中"}

# the warnings SCORED gets, in the rubric's order: 非 有党小组 is shown with the value it read (否)
ORGANISED = "证据给项目“组织生活”的 3 分不计入得分和总分:它不适用,因为 非 有党小组 否"
REVIEW = "证据给项目“评议”评的“好”(3 分)不计入得分和总分:它不适用,因为 非 有党小组 否"
SHOWN = [f"警告 W501:{ORGANISED}(第 {LINE_ORGANISED} 行)", f"警告 W501:{REVIEW}(第 {LINE_REVIEW} 行)"]


@pytest.fixture(scope="module")
def rubric_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("w501") / "不适用.rubric"
    path.write_text(TEXT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def rubric(rubric_path: Path) -> starrules.Rubric:
    return starrules.load(rubric_path)


def expect_scored(result: Result) -> None:
    """SCORED, worked by hand: 组织生活 and 评议 0 of 0 (不适用, their scores kept out); 学习 3 − 1 × 1
    = 2; 基本 0 + 0 + 2 = 2 of 10 − 4 − 3 = 3; total 2 of 3, 档次 差 (2 < 6); both warnings."""
    assert (result.total, result.max) == (2, 3)
    assert [(i.name, i.score, i.max, i.applicable) for i in result.items] == \
        [("组织生活", 0, 0, False), ("评议", 0, 0, False), ("学习", 2, 3, True)]
    assert result.levels["档次"].level == "差"
    assert [(w.code, w.message, w.item, w.line) for w in result.warnings] == \
        [("W501", ORGANISED, "组织生活", LINE_ORGANISED), ("W501", REVIEW, "评议", LINE_REVIEW)]


def test_the_reference_warns_and_keeps_the_scores_out(rubric: starrules.Rubric) -> None:
    # a mapping that is not a dict is read by the reference itself, not offered to the fast path
    expect_scored(rubric.evaluate(MappingProxyType(SCORED)))
    expect_scored(rubric.evaluate(MappingProxyType(SCORED), explain=False))


def test_the_total_is_the_one_without_the_scores(rubric: starrules.Rubric) -> None:
    """BLANK, the same branch with the two scores left out: the same total 2 of 3, and nothing to say."""
    scored, blank = rubric.evaluate(SCORED), rubric.evaluate(BLANK)
    assert (blank.total, blank.max, blank.warnings) == (2, 3, ())
    assert [(i.score, i.max) for i in scored.items] == [(i.score, i.max) for i in blank.items]


def test_no_warning_where_the_item_applies(rubric: starrules.Rubric) -> None:
    """APPLIES: 组织生活 3 (酌情), 评议 2 (中), 学习 3 − 0 = 3; 8 of 10, 档次 好 (8 ≥ 6); no warning."""
    for explained in (True, False):
        result = rubric.evaluate(APPLIES, explain=explained)
        assert (result.total, result.max, result.levels["档次"].level, result.warnings) == (8, 10, "好", ())
        assert "warnings" not in result.to_dict()
        assert result.to_row()["warnings"] == ""  # the rubric can warn: its rows always have the column


def test_the_fast_path_hands_a_scored_left_out_item_to_the_reference(rubric: starrules.Rubric) -> None:
    fast = evaluator_for(rubric).fast
    assert fast(dict(SCORED)) is None
    assert fast({**BLANK, "评议": "好"}) is None  # one score is enough
    assert fast(dict(BLANK)) is not None and fast(dict(APPLIES)) is not None  # nothing to say: its own
    for explained in (True, False):
        expect_scored(rubric.evaluate(dict(SCORED), explain=explained))


def test_evaluate_many_carries_it(rubric: starrules.Rubric) -> None:
    results = list(rubric.evaluate_many([SCORED, BLANK, APPLIES]))
    assert isinstance(results[0], Result)
    expect_scored(results[0])
    assert [r.warnings for r in results[1:]] == [(), ()]  # type: ignore[union-attr]


@pytest.mark.parametrize("shape", ["dicts", "arrow"])
def test_evaluate_columns_carries_it(rubric: starrules.Rubric, shape: str) -> None:
    rows = [SCORED, BLANK, APPLIES]
    data: Any = rows
    if shape == "arrow":  # one type per column: the 分档 and 酌情 columns hold nulls where left out
        data = pa.Table.from_pylist([{"组织生活": None, "评议": None, **row} for row in rows])
    [batch] = list(rubric.evaluate_columns(data))
    assert [(w.row, w.id, w.warnings) for w in batch.warnings] == [(1, "甲", expect_warnings(rubric))]
    records = list(batch.to_rows())
    assert [r["total"] for r in records] == [2, 2, 8]  # the hand-worked totals above
    assert [r["warnings"] for r in records] == [";".join(SHOWN), "", ""]
    assert records == [rubric.evaluate(row, explain=False).to_row() for row in rows]
    assert batch.to_arrow().column("warnings").to_pylist() == [";".join(SHOWN), "", ""]
    assert pickle.loads(pickle.dumps(batch)).warnings == batch.warnings
    expect_scored(batch.result(0))


def expect_warnings(rubric: starrules.Rubric) -> tuple[ResultWarning, ...]:
    return rubric.evaluate(MappingProxyType(SCORED)).warnings


def test_json_round_trip_and_schema(rubric: starrules.Rubric) -> None:
    result = rubric.evaluate(SCORED)
    data = result.to_dict()
    assert data["warnings"] == [{"code": "W501", "message": ORGANISED, "item": "组织生活", "line": LINE_ORGANISED},
                                {"code": "W501", "message": REVIEW, "item": "评议", "line": LINE_REVIEW}]
    jsonschema.validate(data, result_schema())
    back = Result.from_json(result.to_json())
    assert back == result and back.warnings == result.warnings
    assert back.to_row()["warnings"] == ";".join(SHOWN)  # read back without its rubric: the column as it has one
    assert pickle.loads(pickle.dumps(result)).warnings == result.warnings
    with pytest.raises(jsonschema.ValidationError):  # a warning is a W5xx code with its item and line
        jsonschema.validate({**data, "warnings": [{"code": "E501", "message": "", "item": "x", "line": 1}]},
                            result_schema())


def test_explain_and_table_show_it(rubric: starrules.Rubric) -> None:
    result = rubric.evaluate(SCORED)
    for text in (explain(result), table(result)):
        lines = text.split("\n")
        assert lines[lines.index(SHOWN[0]):][:2] == SHOWN  # together, in the rubric's order
    assert "警告" not in explain(rubric.evaluate(APPLIES)) + table(rubric.evaluate(APPLIES))


def test_a_rubric_that_cannot_warn_has_no_warnings_column() -> None:
    plain = starrules.loads("标准 P { 事实 x: 是否 类型 S 2分 { 项目 I 2分 { 酌情 } 项目 J 0分 { 不适用 如果 x } } }")
    assert "warnings" not in plain.evaluate({"x": True, "I": 1}).to_row()


def test_the_cli_says_it_on_stderr(rubric_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evidence = tmp_path / "证据.json"
    evidence.write_text(json.dumps(SCORED, ensure_ascii=False), encoding="utf-8")
    assert main(["eval", str(rubric_path), str(evidence), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["warnings"][0]["code"] == "W501"
    assert err.split("\n")[:2] == [f"{evidence}: {line}" for line in SHOWN]
    assert main(["eval", str(rubric_path), str(evidence)]) == 0  # the table shows them itself
    out, err = capsys.readouterr()
    assert SHOWN[0] in out.split("\n") and err == ""
    batch = tmp_path / "批量.jsonl"
    batch.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in (APPLIES, SCORED)), encoding="utf-8")
    written = tmp_path / "结果.csv"
    assert main(["eval", str(rubric_path), str(batch), "-o", str(written), "--quiet"]) == 0
    assert capsys.readouterr().err.split("\n")[:2] == [f"{batch}:2: {line}" for line in SHOWN]  # line 2 of the file
    assert written.read_text(encoding="utf-8-sig").split("\n")[2].endswith(f"\"{';'.join(SHOWN)}\"")


def test_the_report_scorecard_shows_it(rubric_path: Path, tmp_path: Path) -> None:
    batch = tmp_path / "批量.jsonl"
    batch.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in (SCORED, APPLIES)), encoding="utf-8")
    card = tmp_path / "评分卡.html"
    assert main(["report", str(rubric_path), str(batch), "-o", str(tmp_path / "汇总.xlsx"), "--html", str(card)]) == 0
    assert re.findall(r'<p class="warning">([^<]*)</p>', card.read_text(encoding="utf-8")) == SHOWN  # 甲's card only


def test_the_catalogue_entry_shows_real_output(tmp_path: Path) -> None:
    """docs/errors.md's W501 example, run: the warning line it shows is the one printed. By hand: 组织生活
    is 不适用 (有党小组 否), its 5 kept out; 学习 4 − 1 = 3; total 3 of 10 − 6 = 4."""
    assert CODES["W501"] == "给不适用的项目评了分"
    catalogue = (Path(__file__).resolve().parent.parent / "docs" / "errors.md").read_text(encoding="utf-8")
    entry = catalogue[catalogue.index("### W501"):]
    text, evidence, shown = re.findall(r"```(?:rubric 示例|json 证据|text)\n(.*?)```", entry, re.DOTALL)[:3]
    result = starrules.loads(text).evaluate(json.loads(evidence))
    assert (result.total, result.max) == (3, 4)
    assert [w.text for w in result.warnings] == shown.strip().split("\n")


def test_raters_weighted_together_keep_each_sheet_s_warnings() -> None:
    rubric = starrules.loads(TEXT.replace("    等级 档次\n", "    等级 档次\n    综合 { 自评 40%  党委 60% }\n"))
    sheet = {k: v for k, v in SCORED.items() if k != "id"}
    result = rubric.evaluate({"自评": sheet, "党委": {**sheet, "组织生活": 2, "评议": "中"}})
    # each sheet scores 学习 3 - 1 = 2 only: 2 × 40% + 2 × 60% = 2; both sheets' warnings, 自评's first
    assert result.total == 2
    assert [w.item for w in result.warnings] == ["组织生活", "评议", "组织生活", "评议"]
    assert [w.message for w in result.warnings][:2] == [ORGANISED, REVIEW]
    assert [w.item for w in result.raters["党委"].warnings] == ["组织生活", "评议"]
