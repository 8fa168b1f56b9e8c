"""Several raters (综合, LANGUAGE.md §9), worked by hand."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from starrules import EvidenceError, Result, loads

RATERS = """
标准 三方 {
    满分 100
    等级 分类定级
    事实 违纪: 是否 默认 否
    类型 甲 50分 达标 30分 { 项目 甲项 50分 { 酌情 } }
    类型 乙 50分 { 项目 乙项 50分 { 酌情 } }
    否决 如果 违纪 "违纪的一票否决"
    综合 {
        支部自评 30%
        党员群众测评 30%
        党委评定 40%
        以 上级抽查 为准
    }
}
"""


def sheet(first: float, second: float, **facts: object) -> dict[str, object]:
    return {"甲项": first, "乙项": second, **facts}


SHEETS = {"支部自评": sheet(45, 45), "党员群众测评": sheet(40, 45), "党委评定": sheet(40, 40)}  # 90, 85, 80


def test_weighted_total_is_rounded_once() -> None:
    result = loads(RATERS).evaluate({"id": "支部1", **SHEETS})
    assert result.total == Fraction(169, 2)  # 0.3×90 + 0.3×85 + 0.4×80 = 27 + 25.5 + 32 = 84.5
    assert result.levels["分类定级"].level == "较好"
    assert {name: r.total for name, r in result.raters.items()} == {"支部自评": 90, "党员群众测评": 85, "党委评定": 80}
    assert result.raters["党委评定"].item("甲项").trace  # each rater keeps its own trace
    # 甲: 0.3×45 + 0.3×40 + 0.4×40 = 13.5 + 12 + 16 = 41.5; 乙: 13.5 + 13.5 + 16 = 43
    assert (result.section("甲").score, result.section("乙").score) == (Fraction(83, 2), 43)
    assert result.id == "支部1"


def test_rounding_half_up_on_the_grid() -> None:
    sheets = {"支部自评": sheet(45, 45.5), "党员群众测评": sheet(40, 45), "党委评定": sheet(40, 40)}
    # 0.3×90.5 + 25.5 + 32 = 27.15 + 57.5 = 84.65 → 84.5 (nearest 0.5; 84.65 is below 84.75)
    assert loads(RATERS).evaluate(sheets).total == Fraction(169, 2)
    sheets["支部自评"] = sheet(45, 46)  # 27.3 + 57.5 = 84.8 → 85
    assert loads(RATERS).evaluate(sheets).total == 85
    sheets["支部自评"] = sheet(45, 45)
    sheets["党委评定"] = sheet(40, 40.5)  # 27 + 25.5 + 0.4×80.5 = 84.7 → 84.5
    assert loads(RATERS).evaluate(sheets).total == Fraction(169, 2)


def test_spot_check_present_stands_for_the_whole() -> None:
    result = loads(RATERS).evaluate({**SHEETS, "上级抽查": sheet(30, 35)})
    assert result.total == 65 and result.levels["分类定级"].level == "一般"
    assert set(result.raters) == {"支部自评", "党员群众测评", "党委评定", "上级抽查"}


def test_any_raters_veto_vetoes_the_combination() -> None:
    sheets = {**SHEETS, "党员群众测评": sheet(40, 45, 违纪=True)}
    result = loads(RATERS).evaluate(sheets)
    assert result.vetoed and result.levels["分类定级"].level == "较差"


def test_rater_results_survive_json() -> None:
    result = loads(RATERS).evaluate(SHEETS)
    data = json.loads(result.to_json())
    assert data["raters"]["党员群众测评"]["total"] == 85
    assert Result.from_json(result.to_json()).raters == result.raters


@pytest.mark.parametrize(("evidence", "code", "word"), [
    ({"支部自评": sheet(45, 45), "党委评定": sheet(40, 40)}, "E501", "党员群众测评"),
    ({**SHEETS, "书记自评": sheet(1, 1)}, "E502", "书记自评"),
    ({**SHEETS, "党委评定": 80}, "E503", "党委评定"),
    ({**SHEETS, "党委评定": sheet(40, 60)}, "E507", "乙项"),
    ([1, 2], "E511", "对象"),
])
def test_rater_evidence_errors(evidence: object, code: str, word: str) -> None:
    with pytest.raises(EvidenceError) as info:
        loads(RATERS).evaluate(evidence)  # type: ignore[arg-type]
    assert info.value.diagnostics[0].code == code and word in info.value.diagnostics[0].message


def test_rater_errors_in_a_file_point_at_the_key(tmp_path: Path) -> None:
    path = tmp_path / "branch.json"
    path.write_text(json.dumps({**SHEETS, "党委评定": sheet(40, 60)}, ensure_ascii=False, indent=1), encoding="utf-8")
    with pytest.raises(EvidenceError) as info:
        loads(RATERS).evaluate(path)
    span = info.value.diagnostics[0].span
    assert span.file == str(path) and span.line > 0
