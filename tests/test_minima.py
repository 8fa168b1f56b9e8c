"""Minimum standards per level as a table (issue 18 §7): `最低要求 L1, L2 { value: m1, m2 }`.

Each cell is a level condition `value >= m`; expected levels below are worked out by hand from
the table, and the property test grades against its own straightforward reading of the table."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import starrules
from starrules import RubricCheckError, check_file
from starrules.lang.formatter import format_text
from starrules.lang.parser import parse

SCHEME = "绿建星级"
RUBRIC = """
等级 绿建星级 {
    三星级 >= 85分
    二星级 >= 70分
    一星级 >= 60分
    基本级
    最低要求 三星级, 二星级, 一星级 {
        @安全耐久: 24分, 18分, 9分
        @资源节约: 24分, 18分, -
        满意率: 85%, 80%, -
    }
}

标准 绿建示例 {
    满分 100
    等级 绿建星级
    事实 满意率: 比例
    类型 安全耐久 30分 {
        项目 结构安全 30分 { 酌情 }
    }
    类型 资源节约 30分 {
        项目 节能 30分 { 酌情 }
    }
    类型 其他 40分 {
        项目 其余 40分 { 酌情 }
    }
}
"""

# (结构安全, 节能, 其余, 满意率) → level, worked out from the table:
CASES = [
    ((28, 20, 40, 0.9), "二星级"),   # 88 ≥ 85 but 资源节约 20 < 24; 二星级: 28 ≥ 18, 20 ≥ 18, 90% ≥ 80%
    ((28, 20, 40, 0.78), "一星级"),  # 二星级 fails on 78% < 80%; 一星级: 88 ≥ 60, 28 ≥ 9
    ((24, 24, 37, 0.85), "三星级"),  # 85 ≥ 85, every minimum met exactly (bounds are inclusive)
    ((8, 30, 40, 1.0), "基本级"),    # 78: 二星级 needs 安全耐久 ≥ 18, 一星级 ≥ 9: 8 fails both
    ((17, 30, 40, 0.9), "一星级"),   # 87: 三星级 needs 24, 二星级 18: 17 fails both; 一星级: 17 ≥ 9
    ((30, 17, 13, 0.9), "一星级"),   # 60 ≥ 60 and 30 ≥ 9; 资源节约 17 has no 一星级 minimum
]


def evidence(structure: int, saving: int, rest: int, rate: float) -> dict[str, object]:
    return {"结构安全": structure, "节能": saving, "其余": rest, "满意率": rate}


@pytest.fixture(scope="module")
def rubric(tmp_path_factory: pytest.TempPathFactory) -> starrules.Rubric:
    path = tmp_path_factory.mktemp("minima") / "绿建.rubric"
    path.write_text(RUBRIC, encoding="utf-8")
    return starrules.load(path)


@pytest.mark.parametrize(("scores", "level"), CASES)
def test_levels_follow_the_table(rubric: starrules.Rubric, scores: tuple[int, int, int, float], level: str) -> None:
    e = evidence(*scores)
    assert rubric.evaluate(e).level(SCHEME).level == level
    assert rubric.evaluate(e, explain=False).level(SCHEME).level == level  # graded inside the generated function
    [many] = rubric.evaluate_many([e])
    assert not isinstance(many, starrules.RowError) and many.level(SCHEME).level == level


def test_the_batch_engine_reads_the_table(rubric: starrules.Rubric) -> None:
    rows = [evidence(*scores) for scores, _ in CASES]
    levels = [str(level) for batch in rubric.evaluate_columns(rows) for level in batch.levels[SCHEME]]
    assert levels == [level for _, level in CASES]


def test_reasons_and_gap_name_the_minimum_that_blocks(rubric: starrules.Rubric) -> None:
    result = rubric.evaluate(evidence(28, 20, 40, 0.9))
    assert "未评为“三星级”:条件不成立:最低要求 @资源节约 20 >= 24分" in result.level(SCHEME).reasons
    assert result.gap[SCHEME].next_level == "三星级"
    # the minimum is a score line points can reach: 24 − 20 = 4 short, shown as a need, not as blocking
    assert [(n.condition, n.points) for n in result.gap[SCHEME].needs] == [("最低要求 @资源节约 >= 24分", 4)]
    # a value compared with a percentage is shown as one (0.78 would mix a decimal with 80%)
    lower = rubric.evaluate(evidence(28, 20, 40, 0.78)).level(SCHEME).reasons
    assert "未评为“二星级”:条件不成立:最低要求 满意率 78% >= 80%" in lower


def test_a_ratio_compared_with_a_percentage_reads_as_one(tmp_path: Path) -> None:
    path = tmp_path / "r.rubric"
    path.write_text("""
等级 S { 好 >= 3分 且 满意率 >= 85% 且 @A / 10 >= 50%  差 }
标准 R { 满分 10 等级 S 事实 满意率: 比例 类型 T 10分 { 项目 A 10分 { 酌情  扣 1分 如果 满意率 < 90% } } }
""", encoding="utf-8")
    result = starrules.load(path).evaluate({"满意率": 0.8483, "A": 4})
    # a read compared with a percentage directly: 84.83%; the parts of a quotient stay as they are
    assert result.level("S").reasons[0] == "未评为“好”:条件不成立:满意率 84.83% >= 85%;@A 3 / 10 >= 50%"
    assert result.item("A").trace[1].because == "满意率 84.83% < 90%"


def check_errors(tmp_path: Path, text: str) -> list[tuple[str, int]]:
    path = tmp_path / "r.rubric"
    path.write_text(text, encoding="utf-8")
    return [(d.code, d.span.line) for d in check_file(path).diagnostics if d.is_error]


TAIL = "标准 R { 满分 30  等级 绿建  事实 达标: 是否  类型 安全耐久 30分 { 项目 结构 30分 { 不得分 如果 非 达标 } } }\n"


@pytest.mark.parametrize(("table", "codes"), [
    ("最低要求 基本级 { @安全耐久: 10分 }", [("E418", 5)]),                      # the lowest level
    ("最低要求 三星级, 三星级 { @安全耐久: 10分, 12分 }", [("E418", 5)]),          # a level twice
    ("最低要求 四星级 { @安全耐久: 10分 }", [("E204", 5)]),                        # no such level
    ("最低要求 三星级 { @安全耐久: 10分, 12分 }", [("E419", 5)]),                  # two cells, one level
    ("最低要求 三星级 {\n @安全耐久: 10分\n 达标: 1 }", [("E302", 7)]),            # a 是否 fact has no least value
    ("最低要求 三星级 { @安全耐久: 是 }", [("E302", 5)]),                          # nor is 是 one
])
def test_table_errors_are_located(tmp_path: Path, table: str, codes: list[tuple[str, int]]) -> None:
    text = f"等级 绿建 {{\n    三星级 >= 25分\n    二星级 >= 20分\n    基本级\n    {table}\n}}\n{TAIL}"
    assert check_errors(tmp_path, text) == codes


def test_a_derived_scheme_cannot_have_a_table(tmp_path: Path) -> None:
    text = ("等级 绿建 {\n    三星级 >= 25分\n    基本级\n}\n"
            "等级 评价 基于 绿建 {\n    好 = 三星级\n    差 = 基本级\n    最低要求 好 { @安全耐久: 10分 }\n}\n" + TAIL)
    assert ("E410", 8) in check_errors(tmp_path, text)


def test_formatter_keeps_the_table() -> None:
    messy = RUBRIC.replace("@安全耐久: 24分, 18分, 9分", "@安全耐久 :24分,18分,  9分   # 安全")
    formatted = format_text(messy)
    assert parse(formatted) == parse(RUBRIC)
    assert "        @安全耐久: 24分, 18分, 9分  # 安全\n" in formatted
    assert format_text(formatted) == formatted


LEVELS = [("三星级", 85, {"安全耐久": 24, "资源节约": 24, "满意率": 0.85}),
          ("二星级", 70, {"安全耐久": 18, "资源节约": 18, "满意率": 0.80}),
          ("一星级", 60, {"安全耐久": 9})]


def table_level(structure: int, saving: int, rest: int, rate: float) -> str:
    """The table read straight: the first level whose line and every minimum are met."""
    values = {"安全耐久": structure, "资源节约": saving, "满意率": rate}
    for name, line, minima in LEVELS:
        if structure + saving + rest >= line and all(values[key] >= least for key, least in minima.items()):
            return name
    return "基本级"


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 40), st.sampled_from([0.5, 0.78, 0.8, 0.84, 0.85, 1.0]))
def test_every_engine_reads_the_table_as_written(rubric: starrules.Rubric, structure: int, saving: int, rest: int,
                                                 rate: float) -> None:
    e = evidence(structure, saving, rest, rate)
    expected = table_level(structure, saving, rest, rate)
    assert rubric.evaluate(e, explain=False).level(SCHEME).level == expected
    assert rubric.evaluate(e).level(SCHEME).level == expected
    [batch] = rubric.evaluate_columns([e])
    assert str(batch.levels[SCHEME][0]) == expected


def test_a_table_the_rubric_cannot_read_is_reported(tmp_path: Path) -> None:
    text = RUBRIC.replace("满意率: 85%, 80%, -", "群众满意率: 85%, 80%, -")
    path = tmp_path / "r.rubric"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RubricCheckError) as caught:
        starrules.load(path)
    assert [d.code for d in caught.value.diagnostics if d.is_error] == ["E201"]
