"""适用 (issue 18: “a mixed-domain batch is scored with each branch's own 领域 standard, one command,
one report”): each 五好 domain standard says which branches it is for; a family scores each branch
with its own. Totals and levels below are worked out by hand from rubrics/五好党支部.rubric."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import starrules
from starrules import EvidenceError, Result, RowError, check_file
from starrules.cli import main

APPLIES_CODES = {"E521", "E522"}  # each has a test here (test_diagnostics counts them)
RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"
FILE = RUBRICS / "五好党支部.rubric"
MIXED = RUBRICS / "examples" / "五好-分领域批量.jsonl"
ROWS = [json.loads(line) for line in MIXED.read_text(encoding="utf-8").splitlines()]

# Every branch is judged 10 on each of the eight 10-point items and 20 on 群众满意 (5 × 20 = 100), keeps
# 两册一证 and the 活动日, has an office and an activity room and is 本机关先进; its 领域 picks its standard:
EXPECTED = {  # id → (standard, total, 五好 level); 五好党支部 needs ≥ 96, 党员人数 ≥ 7, no section < 18 (降档 1)
    # 农村五好: 带头人队伍合格 否 → 书记履职 不得分 0; 领导班子好 10 + 0 = 10; 100 − 10 = 90 < 96 → 未达标
    "农村-001": ("农村五好", 90, "未达标"),
    # 社区五好: 标准化创建达标 是, 制度执行 10; 中心工作 9 → 工作业绩好 19 ≥ 18; 100 − 1 = 99 ≥ 96 → 五好党支部
    "社区-002": ("社区五好", 99, "五好党支部"),
    # 机关五好: 政治生活不严肃 1 次 → 组织生活 10 − 1 × 2 = 8; 工作机制好 8 + 10 = 18 ≥ 18; 100 − 2 = 98 → 五好党支部
    "机关-003": ("机关五好", 98, "五好党支部"),
    # 国有企业五好: 日常管理缺 2 项 → 党员管理 10 − 2 × 2 = 6; 党员队伍好 16 < 18; 100 − 4 = 96 ≥ 96 is
    # 五好党支部 by score, 降档 1 (未达标类型数 1) → 未达标
    "国企-004": ("国有企业五好", 96, "未达标"),
    # 非公企业五好 (inherits 国有企业五好): 缺 0 项, total 100; 党员人数 5 < 7 → 未达标
    "非公-005": ("非公企业五好", 100, "未达标"),
    # 窗口服务五好: 制度执行不规范 1 项 → 制度执行 10 − 2 = 8; 工作机制好 18; 100 − 2 = 98 → 五好党支部
    "窗口-006": ("窗口服务五好", 98, "五好党支部"),
    # 学校五好: 0 项, total 100; 违法违纪 → 否决 (摘牌): the lowest level, 未达标
    "学校-007": ("学校五好", 100, "未达标"),
    # 医疗卫生五好: 不规范 3 项 → 制度执行 10 − 3 × 2 = 4; 工作机制好 14 < 18; 100 − 6 = 94 < 96 → 未达标
    "医疗-008": ("医疗卫生五好", 94, "未达标"),
}


@pytest.fixture(scope="module")
def family() -> starrules.RubricFamily:
    return starrules.load_family(FILE)


def test_the_family_is_the_eight_domain_standards(family: starrules.RubricFamily) -> None:
    assert [r.name for r in family.rubrics] == ["农村五好", "社区五好", "机关五好", "国有企业五好", "非公企业五好",
                                                "窗口服务五好", "学校五好", "医疗卫生五好"]


def test_each_branch_is_scored_by_its_own_standard(family: starrules.RubricFamily) -> None:
    got = {r.id: (r.rubric, r.total, r.level("五好").level)
           for r in family.evaluate_many(ROWS) if isinstance(r, Result)}
    assert got == EXPECTED
    assert family.pick(ROWS[0]).name == "农村五好"
    one = family.evaluate(ROWS[3], explain=False)
    assert (one.rubric, one.total, one.levels["五好"].downgrade) == ("国有企业五好", 96, 1)


def test_a_standard_refuses_a_branch_it_is_not_for() -> None:
    school = starrules.load(FILE, rubric="学校五好")
    # a 农村 branch as the batch gives it: it has 农村五好's 带头人队伍合格 (unknown to 学校五好, E502)
    # and lacks 学校五好's 制度执行不规范项数 (E501), but the standard is decided on the facts first
    village = ROWS[0]
    for score in (lambda: school.evaluate(village), lambda: school.evaluate(village, explain=False),
                  lambda: school.evaluate(village, schemes=()), lambda: school.evaluate(village, year=2024)):
        with pytest.raises(EvidenceError) as caught:
            score()
        [diagnostic] = caught.value.diagnostics
        assert diagnostic.code == "E521"
        assert diagnostic.message == "标准“学校五好”不适用于这个党支部:领域 农村 = 学校"
        assert diagnostic.span.line == 190  # the 适用 line of 学校五好
    # with exactly 学校五好's facts the scored values decide the same
    fitted = {**{k: v for k, v in village.items() if k != "带头人队伍合格"}, "制度执行不规范项数": 0}
    with pytest.raises(EvidenceError) as caught:
        school.evaluate(fitted)
    assert [d.code for d in caught.value.diagnostics] == ["E521"]
    [row] = school.evaluate_many([village], errors="collect")
    assert isinstance(row, RowError) and [d.code for d in row.diagnostics] == ["E521"]
    # the batch engine: the village row is an error row, the school row (违法违纪 cleared) is scored
    [batch] = school.evaluate_columns([fitted, {**ROWS[6], "违法违纪": False}], errors="collect")
    assert list(batch.ok) == [False, True] and [d.code for d in batch.errors[0].diagnostics] == ["E521"]


def test_a_missing_domain_is_still_e501() -> None:
    school = starrules.load(FILE, rubric="学校五好")
    no_domain = {k: v for k, v in ROWS[6].items() if k != "领域"}
    with pytest.raises(EvidenceError) as caught:
        school.evaluate(no_domain)
    assert [d.code for d in caught.value.diagnostics] == ["E501"]


def test_no_standard_or_several_is_e522(family: starrules.RubricFamily, tmp_path: Path) -> None:
    with pytest.raises(EvidenceError) as caught:
        family.evaluate({**ROWS[0], "领域": "部队"})
    assert caught.value.diagnostics[0].code == "E522"
    assert caught.value.diagnostics[0].message == "没有适用于这个党支部(领域 部队)的标准"
    overlapping = tmp_path / "f.rubric"
    overlapping.write_text(FILE.read_text(encoding="utf-8").replace("适用 如果 领域 = 社区", "适用 如果 领域 = 农村"),
                           encoding="utf-8")
    with pytest.raises(EvidenceError) as caught:
        starrules.load_family(overlapping).evaluate(ROWS[0])
    assert caught.value.diagnostics[0].message == "这个党支部(领域 农村)同时适用 2 个标准:农村五好、社区五好"


def test_the_condition_reads_only_facts(tmp_path: Path) -> None:
    path = tmp_path / "r.rubric"
    # line 2: @S is a score; 高 is a derived value that reads 总分 — both E423, located at the read
    path.write_text("标准 R { 满分 10  事实 领域: 选项(甲, 乙)  令 高 = 总分 >= 8\n"
                    "  适用 如果 @S >= 5 且 高\n"
                    "  类型 S 10分 { 项目 I 10分 { 酌情 } } }\n", encoding="utf-8")
    found = [(d.code, d.span.line, d.span.column) for d in check_file(path).diagnostics if d.is_error]
    assert found == [("E423", 2, 9), ("E423", 2, 19)]  # "  适用 如果 " is 8 characters; "@S >= 5 且 " 10 more
    path.write_text("标准 R { 满分 10  适用 如果 1  类型 S 10分 { 项目 I 10分 { 酌情 } } }", encoding="utf-8")
    assert [d.code for d in check_file(path).diagnostics if d.is_error] == ["E301"]
    path.write_text("标准 R { 满分 10  事实 甲: 是否\n  适用 如果 甲\n  适用 如果 甲\n  类型 S 10分 { 项目 I 10分 { 酌情 } } }",
                    encoding="utf-8")
    assert [(d.code, d.span.line) for d in check_file(path).diagnostics if d.is_error] == [("E414", 3)]
    # in a child: its own second 适用 is E414 (reported once), its single 适用 replaces the parent's
    path.write_text("标准 P { 满分 10  事实 甲: 是否  适用 如果 甲  类型 S 10分 { 项目 I 10分 { 酌情 } } }\n"
                    "标准 C 继承 P {\n  适用 如果 非 甲\n  适用 如果 甲\n}\n"
                    "标准 D 继承 P { 适用 如果 非 甲 }\n", encoding="utf-8")
    report = check_file(path)
    assert [(d.code, d.span.line) for d in report.diagnostics if d.is_error] == [("E414", 4)]
    path.write_text("标准 P { 满分 10  事实 甲: 是否  适用 如果 甲  类型 S 10分 { 项目 I 10分 { 酌情 } } }\n"
                    "标准 D 继承 P { 适用 如果 非 甲 }\n", encoding="utf-8")
    d = starrules.load(path, rubric="D")
    assert d.applies is not None and d.applies.span.line == 2
    assert d.evaluate({"甲": False, "I": 7}).total == 7
    with pytest.raises(EvidenceError) as caught:
        d.evaluate({"甲": True, "I": 7})
    assert caught.value.diagnostics[0].message == "标准“D”不适用于这个党支部:非 甲 是"


def test_a_derived_value_of_facts_may_decide(tmp_path: Path) -> None:
    path = tmp_path / "r.rubric"
    path.write_text("标准 R { 满分 10  事实 人数: 计数  令 大 = 人数 >= 50\n  适用 如果 大\n"
                    "  类型 S 10分 { 项目 I 10分 { 酌情 } } }\n", encoding="utf-8")
    rubric = starrules.load(path)
    assert rubric.evaluate({"人数": 60, "I": 9}).total == 9
    # 30 >= 50 fails: refused before the missing score I is looked at
    with pytest.raises(EvidenceError) as caught:
        rubric.evaluate({"人数": 30})
    assert [(d.code, d.message) for d in caught.value.diagnostics] == [("E521", "标准“R”不适用于这个党支部:大 否")]


def test_one_report_for_the_mixed_batch(tmp_path: Path) -> None:
    out, card = tmp_path / "r.xlsx", tmp_path / "c.html"
    assert main(["report", str(FILE), str(MIXED), "-o", str(out), "--html", str(card)]) == 0
    rows = list(openpyxl.load_workbook(out)["一览表"].iter_rows(values_only=True))
    assert rows[0][0] == "“五好党支部”创建标准 评定情况一览表"
    header = rows[1]
    got = {r[1]: (r[header.index("标准")], r[header.index("总分")], r[header.index("五好")]) for r in rows[2:]}
    assert got == EXPECTED
    # 倒排: 国有企业 + 非公企业 (2 branches) 10% → ⌈0.2⌉ = 1: 国企-004 (96 < 100); the other six 5% → 1:
    # 学校-007, vetoed, ranked last whatever its total
    marks = {r[1]: r[header.index("标记")] for r in rows[2:]}
    assert {k for k, v in marks.items() if v} == {"国企-004", "学校-007"}
    html = card.read_text(encoding="utf-8")
    assert "<h1>“五好党支部”创建标准(学校)</h1>" in html and "<h1>“五好党支部”创建标准(农村)</h1>" in html


def test_rank_ranks_the_whole_mixed_batch(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rank", str(FILE), str(MIXED), "--scheme", "五好", "--json"]) == 0
    ranked = json.loads(capsys.readouterr().out)["branches"]
    # by total over all eight, whatever their standard (EXPECTED): 100, 100, 99, 98, 98, 96, 94, 90;
    # equal totals share a rank, the next rank skips: 1, 1, 3, 4, 4, 6, 7, 8
    assert [(b["total"], b["rank"]) for b in ranked] == [(100, 1), (100, 1), (99, 3), (98, 4), (98, 4), (96, 6),
                                                           (94, 7), (90, 8)]
    assert {b["id"] for b in ranked if b["marks"]} == {"国企-004", "学校-007"}  # 倒排, as in the report below


def test_cli_eval_and_what_a_family_cannot_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps(ROWS[1], ensure_ascii=False), encoding="utf-8")
    assert main(["eval", str(FILE), str(one), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rubric"] == "社区五好"
    with pytest.raises(SystemExit) as stopped:
        main(["template", str(FILE), "-o", str(tmp_path / "t.xlsx")])
    assert stopped.value.code == 2 and "请用 --rubric 指定一个" in capsys.readouterr().err


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(ROWS), st.integers(0, 10), st.integers(0, 20))
def test_the_family_gives_the_picked_standards_own_result(family: starrules.RubricFamily, row: dict[str, object],
                                                          judged: int, satisfied: int) -> None:
    e = {**row, "班子建设": judged, "群众满意": satisfied}
    own = starrules.load(FILE, rubric=EXPECTED[str(row["id"])][0]).evaluate(e)
    assert family.evaluate(e) == own


def test_the_language_reference_example(tmp_path: Path) -> None:
    """docs/language.md §6 适用: the numbers its text gives."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "language.md").read_text(encoding="utf-8")
    block = next(b for b in doc.split("```rubric\n")[1:] if "标准 农村标准" in b).split("```")[0]
    path = tmp_path / "分领域.rubric"
    path.write_text(block, encoding="utf-8")
    family = starrules.load_family(path)
    assert [r.name for r in family.rubrics] == ["农村标准", "学校标准"]  # 分领域通用 has no 适用
    school = family.evaluate({"领域": "学校", "制度执行不规范项数": 2})
    village = family.evaluate({"领域": "农村", "制度执行不规范项数": 2})
    assert (school.rubric, school.total) == ("学校标准", 4)  # 10 − 2 × 3
    assert (village.rubric, village.total) == ("农村标准", 6)  # 10 − 2 × 2 (the parent's rule)


def test_in_a_batch_file_the_refusal_points_at_the_record() -> None:
    school = starrules.load(FILE, rubric="学校五好")
    outcomes = list(school.evaluate_many(MIXED, errors="collect"))
    # only line 7 (学校-007) is a 学校 branch: scored (违法违纪: vetoed, 100 points); the seven others are E521
    assert [o.row for o in outcomes if isinstance(o, RowError)] == [1, 2, 3, 4, 5, 6, 8]
    [scored] = [o for o in outcomes if isinstance(o, Result)]
    assert (scored.id, scored.total, scored.level("五好").level) == ("学校-007", 100, "未达标")
    first = outcomes[0]
    assert isinstance(first, RowError)
    [refusal] = first.diagnostics
    [note] = refusal.notes
    assert (refusal.code, refusal.span.line, note.span.file, note.span.line) == ("E521", 190, str(MIXED), 1)
    assert note.message == "这个党支部的“领域”"


def test_one_report_needs_the_same_sections_and_schemes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    changed = tmp_path / "五好.rubric"
    changed.write_text(FILE.read_text(encoding="utf-8").replace(
        "    适用 如果 领域 = 学校\n", "    适用 如果 领域 = 学校\n    等级 五好, 星级\n"), encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:  # a usage error
        main(["report", str(changed), str(MIXED), "-o", str(tmp_path / "r.xlsx")])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "标准“学校五好”的类型或等级方案与“农村五好”不同" in err and "(五好、星级)对" in err
    assert not (tmp_path / "r.xlsx").exists()


def test_several_standards_without_applies_stay_e108(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "两个.rubric"
    plain.write_text("标准 A { 满分 10 类型 S 10分 { 项目 I 10分 { 酌情 } } }\n"
                     "标准 B { 满分 10 类型 S 10分 { 项目 I 10分 { 酌情 } } }\n", encoding="utf-8")
    one = tmp_path / "e.json"
    one.write_text('{"I": 5}', encoding="utf-8")
    assert main(["eval", str(plain), str(one)]) != 0
    assert "E108" in capsys.readouterr().err
    with pytest.raises(starrules.RubricCheckError) as caught:
        starrules.load_family(plain)
    assert caught.value.diagnostics[0].code == "E108"


def test_a_division_by_zero_in_the_applies_line_is_e510_before_and_after_scoring() -> None:
    # 适用 reads 到会 / 应到: with 应到 given as 0 the line is tested on the evidence before scoring,
    # with 应到 left to its 默认 0 after it; either way the branch's evidence divides by 0 — E510 at
    # the division (line 4, column 11: after 4 spaces, 适用, a space, 如果, a space), not a bare exception
    rubric = starrules.loads("标准 率 {\n    事实 到会: 计数\n    事实 应到: 计数 默认 0\n"
                             "    适用 如果 到会 / 应到 >= 50%\n    类型 S 5分 { 项目 I 5分 { 扣 1分 如果 到会 < 1 } }\n}")
    for record in ({"到会": 3, "应到": 0}, {"到会": 3}):
        with pytest.raises(EvidenceError) as caught:
            rubric.evaluate(record)
        (diagnostic,) = caught.value.diagnostics
        assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("E510", 4, 11)
    assert rubric.evaluate({"到会": 3, "应到": 4}).total == 5
