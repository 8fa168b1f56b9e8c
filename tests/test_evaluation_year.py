"""The evaluation year (issue 18 §2): `年度` in the evidence, `year=` in the API, `--year` on the
CLI. History is read against it: 逐级晋升 looks at the year before, 连续 N 年 counts back from it,
and a year missing from the history breaks a run. Expected values worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import starrules
from starrules import EvidenceError, Result
from starrules.cli import main

TEXT = """
等级 等次 {
    先进 >= 90分
    后进
}
等级 晋级 {
    好 >= 90分
    中 >= 60分
    差
    逐级晋升
}
措施 等次 {
    后进: "限期整改"
    连续 2 年 后进: "免去党支部书记职务"
}
标准 年度示例 {
    等级 等次
    事实 违规: 是否
    类型 甲 100分 { 项目 甲项 100分 { 不得分 如果 违规 } }
}
"""


def measures(result: Result) -> list[str]:
    return [c.text for c in result.consequences]


@pytest.fixture(scope="module")
def rubric() -> starrules.Rubric:
    return starrules.loads(TEXT)


def test_a_gap_in_the_history_breaks_a_run(rubric: starrules.Rubric) -> None:
    """后进 this year (违规: 0 分) and 后进 in 2019: in 2025 that is not 连续 2 年 — 2024 is missing."""
    evidence = {"违规": True, "历史": {"等次": {"2019": "后进"}}}
    assert measures(rubric.evaluate({**evidence, "年度": 2025})) == ["限期整改"]
    assert measures(rubric.evaluate({**evidence, "年度": 2020})) == ["限期整改", "免去党支部书记职务"]
    # without a year, the year after the latest in the history (2020) is the one evaluated
    assert measures(rubric.evaluate(evidence)) == ["限期整改", "免去党支部书记职务"]
    # year= is the default for evidence that gives none; the evidence's own wins
    assert measures(rubric.evaluate(evidence, year=2025)) == ["限期整改"]
    assert measures(rubric.evaluate({**evidence, "year": "2020"}, year=2025)) == ["限期整改", "免去党支部书记职务"]
    assert rubric.evaluate(evidence, year=2025).year == 2025


def test_one_step_up_reads_the_year_before(rubric: starrules.Rubric) -> None:
    history = {"晋级": {"2023": "差"}}
    # 100 分 is 好, but last year (2023, for 2024) was 差: at most 中
    assert rubric.evaluate({"违规": False, "历史": history, "年度": 2024}, schemes=["晋级"]).level("晋级").level == "中"
    with pytest.raises(EvidenceError) as caught:  # 2025: 2024 is not in the history
        rubric.evaluate({"违规": False, "历史": history, "年度": 2025}, schemes=["晋级"])
    assert [d.code for d in caught.value.diagnostics] == ["E513"]
    assert "2024 年" in caught.value.diagnostics[0].message


@pytest.mark.parametrize(("year", "code"), [(2023, "E513"), (2019, "E513"), ("二〇二五", "E512"), (True, "E512"),
                                            (25, "E512")])
def test_a_bad_year_is_refused(rubric: starrules.Rubric, year: object, code: str) -> None:
    """A history at or after the year evaluated (2023, 2019 ≤ 2023), a year that is not four digits."""
    with pytest.raises(EvidenceError) as caught:
        rubric.evaluate({"违规": True, "历史": {"等次": {"2023": "后进"}}, "年度": year})
    assert [d.code for d in caught.value.diagnostics] == [code]


def test_the_year_is_kept_in_the_result_json(rubric: starrules.Rubric) -> None:
    result = rubric.evaluate({"违规": True, "年度": 2025})
    assert result.to_dict()["year"] == 2025 and Result.from_json(result.to_json()).year == 2025
    assert "year" not in rubric.evaluate({"违规": True}).to_dict()


def test_batches_and_the_cli_take_the_year(rubric: starrules.Rubric, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"id": "甲", "违规": True, "历史": {"等次": {"2019": "后进"}}}, {"id": "乙", "违规": False}]
    got = {r.id: measures(r) for r in rubric.evaluate_many(rows, year=2025)}  # type: ignore[union-attr]
    assert got == {"甲": ["限期整改"], "乙": []}
    batch = next(rubric.evaluate_columns(rows, year=2025))
    assert [measures(batch.result(i)) for i in range(2)] == [["限期整改"], []]
    path = tmp_path / "年度.rubric"
    path.write_text(TEXT, encoding="utf-8")
    evidence = tmp_path / "甲.json"
    evidence.write_text(json.dumps(rows[0], ensure_ascii=False), encoding="utf-8")
    assert main(["eval", str(path), str(evidence), "--year", "2025", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["year"] == 2025 and [c["text"] for c in shown["consequences"]] == ["限期整改"]
