"""取其高 / 任选其一 (issue 18 §5): an alternative compliance path worth the same points as a set of
items. The section counts the best path (取其高) or the path a 选项 fact names (任选其一); every
path's items are scored and shown. Expected values are worked out by hand below, and the property
test reads the table straight (its own sums), not through the engines."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import starrules
from starrules import EvidenceError, Result, check_file, result_schema
from starrules.lang.formatter import format_text
from starrules.lang.parser import parse

TEXT = """
标准 路径示例 {
    满分 30
    事实 管理路径选用: 选项(整体评价, 逐项)
    事实 围护缺陷: 计数
    类型 节能 20分 {
        项目 基础 4分 { 酌情 }
        取其高 节能路径 16分 {
            项目 性能化 16分 { 酌情 }
            路径 规定性 {
                项目 围护 8分 { 每 围护缺陷 扣 2分  扣完为止 }
                项目 设备 8分 { 酌情 }
            }
        }
    }
    类型 管理 10分 {
        任选其一 管理路径 10分 以 管理路径选用 {
            项目 整体评价 10分 { 酌情 }
            路径 逐项 {
                项目 制度 5分 { 酌情 }
                项目 记录 5分 { 酌情 }
            }
        }
    }
}
"""


@pytest.fixture(scope="module")
def rubric(tmp_path_factory: pytest.TempPathFactory) -> starrules.Rubric:
    path = tmp_path_factory.mktemp("choices") / "路径.rubric"
    path.write_text(TEXT, encoding="utf-8")
    return starrules.load(path)


def every_engine(rubric: starrules.Rubric, e: dict[str, object]) -> list[Result]:
    traced, untraced = rubric.evaluate(e), rubric.evaluate(e, explain=False)
    [many] = rubric.evaluate_many([e])
    assert isinstance(many, Result)
    [batch] = rubric.evaluate_columns([e])
    assert batch.ok.all()
    batch_total = batch.grid.points(int(batch.total[0]))
    assert batch_total == traced.total == untraced.total == many.total
    return [traced, untraced, many]


def test_best_path_and_chosen_path_by_hand(rubric: starrules.Rubric) -> None:
    e = {"管理路径选用": "逐项", "围护缺陷": 1, "基础": 3, "性能化": 10, "设备": 7, "整体评价": 8, "制度": 5, "记录": 4}
    for result in every_engine(rubric, e):
        # 节能: 基础 3 + max(性能化 10, 规定性 (8 − 2) + 7 = 13) = 16; 管理: 逐项 5 + 4 = 9 (整体评价 8 not counted)
        assert [s.score for s in result.sections] == [16, 9]
        assert result.total == 25
        energy, management = (s.choices[0] for s in result.sections)
        assert (energy.paths, energy.counted, energy.score) == ((("性能化", 10), ("规定性", 13)), "规定性", 13)
        assert (management.kind, management.counted, management.score) == ("chosen", "逐项", 9)
        assert result.item("整体评价").score == 8  # scored and shown, just not counted


def test_a_path_not_chosen_needs_no_scores(rubric: starrules.Rubric) -> None:
    e = {"管理路径选用": "整体评价", "围护缺陷": 0, "基础": 4, "性能化": 12, "设备": 8, "整体评价": 9}
    for result in every_engine(rubric, e):
        # 节能: 4 + max(12, 8 + 8 = 16) = 20; 管理: 整体评价 9
        assert (result.total, [s.score for s in result.sections]) == (29, [20, 9])
    with pytest.raises(EvidenceError) as caught:
        rubric.evaluate({**e, "管理路径选用": "逐项"})
    assert [d.message for d in caught.value.diagnostics] == [
        "缺少项目“制度”的评分(它在选用的路径上)", "缺少项目“记录”的评分(它在选用的路径上)"]


def test_ties_count_the_first_path_written(rubric: starrules.Rubric) -> None:
    e = {"管理路径选用": "整体评价", "围护缺陷": 0, "基础": 0, "性能化": 16, "设备": 8, "整体评价": 0}
    assert rubric.evaluate(e).section("节能").choices[0].counted == "性能化"  # 16 = 8 + 8: the first


def test_gap_reads_the_chosen_path(rubric: starrules.Rubric) -> None:
    e = {"管理路径选用": "逐项", "围护缺陷": 4, "基础": 4, "性能化": 16, "设备": 0, "整体评价": 0, "制度": 1, "记录": 5}
    fixes = {f.item: f.points for f in rubric.evaluate(e, schemes=["星级"]).gap["星级"].fixes}
    # raising 制度 to 5 adds 4 (the chosen path); 整体评价 is not on it and 设备 is on a losing path: nothing
    assert fixes.get("制度") == 4 and "整体评价" not in fixes and fixes.get("设备", 0) == 0


def test_json_round_trip_and_schema(rubric: starrules.Rubric) -> None:
    e = {"管理路径选用": "逐项", "围护缺陷": 1, "基础": 3, "性能化": 10, "设备": 7, "整体评价": 8, "制度": 5, "记录": 4}
    result = rubric.evaluate(e)
    data = json.loads(result.to_json())
    jsonschema.validate(data, result_schema())
    assert data["sections"][0]["choices"] == [{"name": "节能路径", "kind": "best", "paths": {"性能化": 10, "规定性": 13},
                                               "counted": "规定性", "score": 13}]
    assert Result.from_dict(data).sections == result.sections


def test_formatter_keeps_the_paths() -> None:
    messy = TEXT.replace("取其高 节能路径 16分 {", "取其高   节能路径 16分{").replace("路径 逐项 {", "路径 逐项{")
    formatted = format_text(messy)
    assert parse(formatted) == parse(TEXT)
    assert format_text(formatted) == formatted
    assert "        取其高 节能路径 16分 {\n            项目 性能化 16分 {\n" in formatted


def errors(tmp_path: Path, text: str) -> list[tuple[str, int]]:
    path = tmp_path / "r.rubric"
    path.write_text(text, encoding="utf-8")
    return [(d.code, d.span.line) for d in check_file(path).diagnostics if d.is_error]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("项目 设备 8分 { 酌情 }", "项目 设备 6分 { 酌情 }", [("E420", 10)]),            # 规定性 adds to 14, not 16
    ("取其高 节能路径 16分 {", "取其高 节能路径 16分 以 管理路径选用 {", [("E421", 8)]),  # 取其高 takes no fact
    ("以 管理路径选用 {", "{", [("E421", 17)]),                                       # 任选其一 needs one
    ("事实 管理路径选用: 选项(整体评价, 逐项)", "事实 管理路径选用: 选项(整体评价, 分项)", [("E421", 17)]),
    ("事实 管理路径选用: 选项(整体评价, 逐项)", "事实 管理路径选用: 是否", [("E421", 17)]),
    ("项目 性能化 16分 { 酌情 }", "项目 性能化 16分 { 酌情  不适用 如果 围护缺陷 > 9 }", [("E422", 9)]),
    ("类型 节能 20分 {", "类型 节能 18分 {", [("E401", 6), ("E402", 3)]),  # 4 + 16 = 20 > 18; 18 + 10 ≠ 满分 30
])
def test_checker_errors_are_located(tmp_path: Path, old: str, new: str, expected: list[tuple[str, int]]) -> None:
    assert old in TEXT
    assert errors(tmp_path, TEXT.replace(old, new)) == expected


def test_a_choice_without_paths(tmp_path: Path) -> None:
    text = "标准 R { 满分 5  类型 S 5分 { 取其高 G 5分 { } } }"
    assert errors(tmp_path, text) == [("E420", 1)]


def test_the_section_counts_the_choice_points_not_every_item(tmp_path: Path) -> None:
    path = tmp_path / "r.rubric"
    path.write_text(TEXT, encoding="utf-8")
    assert [d.code for d in check_file(path).diagnostics] == []  # 4 + 16 = 20 and 10: no W102 / E401


SCORES = st.integers(0, 16)


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(["整体评价", "逐项"]), st.integers(0, 6), st.integers(0, 4), SCORES, st.integers(0, 8),
       st.integers(0, 10), st.integers(0, 5), st.integers(0, 5))
def test_every_engine_counts_the_best_or_chosen_path(rubric: starrules.Rubric, chosen: str, faults: int, base: int,
                                                     whole: int, device: int, overall: int, rules: int,
                                                     records: int) -> None:
    e = {"管理路径选用": chosen, "围护缺陷": faults, "基础": base, "性能化": whole, "设备": device,
         "整体评价": overall, "制度": rules, "记录": records}
    energy = base + max(whole, max(8 - 2 * faults, 0) + device)
    management = overall if chosen == "整体评价" else rules + records
    for result in every_engine(rubric, e):
        assert [s.score for s in result.sections] == [energy, management]


def test_a_child_standard_keeps_its_parents_paths_and_may_replace_an_item_on_one(tmp_path: Path) -> None:
    path = tmp_path / "r.rubric"
    path.write_text(TEXT + """
标准 子标准 继承 路径示例 {
    类型 节能 20分 {
        项目 设备 8分 { 酌情 0分 至 6分 }
    }
}
""", encoding="utf-8")
    child = starrules.load(path, rubric="子标准")
    e = {"管理路径选用": "整体评价", "围护缺陷": 0, "基础": 4, "性能化": 12, "设备": 6, "整体评价": 9}
    # the child's 设备 (at most 6) stays on the parent's 规定性 path: 4 + max(12, 8 + 6) = 18; 管理 9
    assert [s.score for s in child.evaluate(e).sections] == [18, 9]
    with pytest.raises(EvidenceError):
        child.evaluate({**e, "设备": 7})  # above the child's range
