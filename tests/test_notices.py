"""提示 lines (issue 18: “存在重大财务纰漏情况另行处理” raises a flag in the result): a notice changes
no score and no level, and every engine and every output carries the texts whose conditions hold."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import starrules
from starrules import Result, check_file, result_schema
from starrules.lang.formatter import format_text
from starrules.lang.parser import parse

RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"
FINANCE, SHORT = "存在重大财务纰漏情况,另行处理", "经费不足一半,报上级研究"
TEXT = f"""
标准 提示示例 {{
    满分 10
    等级 星级
    事实 经费未落实到位: 是否
    事实 存在重大财务纰漏: 是否
    事实 经费落实比例: 比例

    类型 基本经费保障 10分 {{
        项目 党建经费 10分 {{
            不得分 如果 经费未落实到位
            扣 4分 如果 经费落实比例 < 50%
        }}
    }}

    提示 如果 存在重大财务纰漏 "{FINANCE}"
    提示 如果 @党建经费 < 10 且 经费落实比例 < 50% "{SHORT}"
}}
"""


@pytest.fixture(scope="module")
def rubric(tmp_path_factory: pytest.TempPathFactory) -> starrules.Rubric:
    path = tmp_path_factory.mktemp("notices") / "提示.rubric"
    path.write_text(TEXT, encoding="utf-8")
    return starrules.load(path)


def branch(unfunded: bool, lapse: bool, share: float) -> dict[str, object]:
    return {"经费未落实到位": unfunded, "存在重大财务纰漏": lapse, "经费落实比例": share}


# worked by hand: (evidence) → total, notices
CASES = [
    ((False, True, 0.8), 10, (FINANCE,)),          # funded: 10; only the 纰漏 notice
    ((False, True, 0.4), 6, (FINANCE, SHORT)),     # 10 − 4 = 6 < 10 and 40% < 50%: both, in the order written
    ((True, False, 0.4), 0, (SHORT,)),             # 不得分: 0 < 10 and 40% < 50%
    ((False, False, 0.5), 10, ()),                 # 50% is not below 50%: nothing
]


@pytest.mark.parametrize(("facts", "total", "notices"), CASES)
def test_every_path_carries_the_notices_that_hold(rubric: starrules.Rubric, facts: tuple[bool, bool, float],
                                                  total: int, notices: tuple[str, ...]) -> None:
    e = branch(*facts)
    for result in (rubric.evaluate(e), rubric.evaluate(e, explain=False), rubric.evaluate(e, schemes=())):
        assert (result.total, result.notices) == (total, notices)
    [many] = rubric.evaluate_many([e])
    assert isinstance(many, Result) and many.notices == notices
    assert many.to_row()["notices"] == ";".join(notices)


def test_a_notice_changes_no_score_and_no_level(rubric: starrules.Rubric, tmp_path: Path) -> None:
    without = tmp_path / "无提示.rubric"
    without.write_text("\n".join(line for line in TEXT.splitlines() if "提示 如果" not in line), encoding="utf-8")
    plain = starrules.load(without, rubric="提示示例")
    for facts, _, _ in CASES:
        a, b = rubric.evaluate(branch(*facts)), plain.evaluate(branch(*facts))
        assert (a.total, a.sections, a.levels, a.vetoed) == (b.total, b.sections, b.levels, b.vetoed)
        assert b.notices == ()


def test_the_batch_engine_gives_the_same_column(rubric: starrules.Rubric) -> None:
    rows = [branch(*facts) for facts, _, _ in CASES]
    [batch] = rubric.evaluate_columns(rows)
    assert [r["notices"] for r in batch.to_rows()] == [";".join(n) for _, _, n in CASES]
    assert batch.to_arrow().column("notices").to_pylist() == [";".join(n) for _, _, n in CASES]


def test_json_round_trip_schema_and_pickle(rubric: starrules.Rubric) -> None:
    result = rubric.evaluate(branch(False, True, 0.4), year=2025)
    data = result.to_dict()
    assert data["notices"] == [FINANCE, SHORT]
    jsonschema.validate(data, result_schema())  # notices and year are both in the schema
    assert Result.from_dict(json.loads(result.to_json())).notices == (FINANCE, SHORT)
    assert pickle.loads(pickle.dumps(result)).notices == (FINANCE, SHORT)
    assert "notices" not in rubric.evaluate(branch(False, False, 1.0)).to_dict()  # written only when some hold


def test_explain_prints_the_notices(rubric: starrules.Rubric) -> None:
    from starrules.report.explain import explain, table
    result = rubric.evaluate(branch(False, True, 0.8))
    assert f"提示:{FINANCE}" in explain(result).splitlines()
    assert f"提示:{FINANCE}" in table(result).splitlines()


def test_a_condition_that_is_not_a_yes_or_no_is_e301(tmp_path: Path) -> None:
    path = tmp_path / "r.rubric"
    path.write_text(TEXT.replace("提示 如果 存在重大财务纰漏", "提示 如果 经费落实比例"), encoding="utf-8")
    assert [(d.code, d.span.line) for d in check_file(path).diagnostics if d.is_error] == [("E301", 16)]  # the first 提示 line


def test_formatter_keeps_notices_and_english_spelling_parses_the_same() -> None:
    assert parse(format_text(TEXT)) == parse(TEXT)
    english = TEXT.replace("提示 如果", "notice if")
    assert parse(english) == parse(TEXT)


def test_the_village_rubric_flags_a_major_financial_lapse() -> None:
    """村(社区) table, 党建经费: “存在重大财务纰漏情况另行处理” — the flag, no score change."""
    village = starrules.load(RUBRICS / "村社区争先创优.rubric")
    first = json.loads((RUBRICS / "examples" / "村社区-批量.jsonl").read_text(encoding="utf-8").splitlines()[0])
    clean, lapsed = village.evaluate(first), village.evaluate({**first, "存在重大财务纰漏": True})
    assert clean.notices == () and lapsed.notices == ("存在重大财务纰漏情况,另行处理",)
    assert (clean.total, clean.levels) == (lapsed.total, lapsed.levels)


@settings(max_examples=60, deadline=None)
@given(st.booleans(), st.booleans(), st.sampled_from([0.0, 0.3, 0.49, 0.5, 0.51, 1.0]))
def test_notices_read_straight(rubric: starrules.Rubric, unfunded: bool, lapse: bool, share: float) -> None:
    score = 0 if unfunded else 10 - (4 if share < 0.5 else 0)
    expected = tuple(text for text, holds in ((FINANCE, lapse), (SHORT, score < 10 and share < 0.5)) if holds)
    e = branch(unfunded, lapse, share)
    assert rubric.evaluate(e, explain=False).notices == expected
    [batch] = rubric.evaluate_columns([e])
    assert next(batch.to_rows())["notices"] == ";".join(expected)


def test_report_lists_and_scorecard_shows_the_notices(tmp_path: Path) -> None:
    import openpyxl

    from starrules.cli import main
    lines = (RUBRICS / "examples" / "村社区-批量.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    batch = tmp_path / "b.jsonl"
    batch.write_text("\n".join([json.dumps({**first, "存在重大财务纰漏": True}, ensure_ascii=False), *lines[1:]]) + "\n",
                     encoding="utf-8")
    out, card = tmp_path / "r.xlsx", tmp_path / "c.html"
    assert main(["report", str(RUBRICS / "村社区争先创优.rubric"), str(batch), "-o", str(out), "--html", str(card)]) == 0
    rows = list(openpyxl.load_workbook(out)["一览表"].iter_rows(values_only=True))
    column = rows[1].index("提示")
    assert {row[1]: row[column] for row in rows[2:]} == {
        json.loads(line)["id"]: ("存在重大财务纰漏情况,另行处理" if n == 0 else None) for n, line in enumerate(lines)}
    assert card.read_text(encoding="utf-8").count("提示:存在重大财务纰漏情况,另行处理") == 1
