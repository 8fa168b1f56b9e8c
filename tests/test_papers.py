"""The papers after a rating (`report --papers`: 整改台账, 公示, 命名) and the per-rater columns of the report,
for small batches whose figures are worked out by hand below."""

from __future__ import annotations

from decimal import Decimal

from starrules import loads
from starrules.report.papers import named, rectifications
from starrules.report.summary import Summary, summarise
from starrules.report.xlsx_report import report_workbook

SMALL = """标准 小 {
    标题 "测试支部评分表"
    满分 100
    等级 分类定级
    事实 三会一课缺次数: 计数
    事实 按期换届: 是否
    事实 严重违纪: 是否 默认 否
    类型 组织 60分 {
        项目 三会一课 20分 {
            每 三会一课缺次数 扣 5分
            扣完为止
        }
        项目 换届 10分 {
            不得分 如果 非 按期换届
        }
        项目 建设 30分 { 酌情 }
    }
    类型 作用 40分 {
        项目 作用发挥 40分 { 酌情 }
    }
    否决 如果 严重违纪 "发生严重违纪的一票否决"
}
措施 分类定级 {
    好: "总结经验,授牌表彰"
    一般: "明确目标,抓好整改落实"
    较差: "限期整改"
}
排名 分类定级 {
    倒排 25% 为 相对后进
}
"""


def line_of(text: str) -> int:
    """The line of SMALL a clause is written on (the trace cites it)."""
    return next(n for n, line in enumerate(SMALL.splitlines(), 1) if text in line)


def branch(name: str, missed: int, elected: bool, building: int, role: int, breach: bool = False) -> dict[str, object]:
    return {"id": name, "三会一课缺次数": missed, "按期换届": elected, "建设": building, "作用发挥": role,
            "严重违纪": breach}


# A: 20 + 10 + 30 + 40 = 100 → 好.  B: 15 + 10 + 28 + 36 = 89 → 较好.  C: 5 missed × 5 = 25, floored at 0 (loses
# 20); not re-elected (loses 10); 20 + 25 = 45 → 较差.  D: 2 × 5 = 10 lost; 10 + 10 + 25 + 30 = 75 → 一般.
# E: 20 + 10 + 28 + 40 = 98 but vetoed → 较差.  Ranks by total: A 100, E 98, B 89, D 75, C 45.
# 倒排 25% of 5: at least ⌈1.25⌉ = 2 from the bottom, the vetoed E last, then C (45): both 相对后进.
BATCH = [branch("A", 0, True, 30, 40), branch("B", 1, True, 28, 36), branch("C", 5, False, 20, 25),
         branch("D", 2, True, 25, 30), branch("E", 0, True, 28, 40, breach=True)]


def small_summary() -> Summary:
    rubric = loads(SMALL)
    results = [rubric.evaluate(e) for e in BATCH]
    return summarise(rubric, results, ["分类定级"], {"A": "甲支部", "C": "丙支部"})


def test_rectification_lists_the_levels_whose_measures_say_rectify_and_the_marked() -> None:
    summary = small_summary()
    assert [(r.id, r.levels, r.marks) for r in summary.rows] == [
        ("A", ("好",), ()), ("E", ("较差",), ("相对后进",)), ("B", ("较好",), ()), ("D", ("一般",), ()),
        ("C", ("较差",), ("相对后进",))]
    listed = rectifications(summary)
    # 一般 (“抓好整改落实”) and 较差 (“限期整改”) speak of 整改; 好 and 较好 do not
    assert [(e.row.id, e.why) for e in listed] == [
        ("E", ("分类定级 较差", "相对后进", "一票否决")), ("D", ("分类定级 一般",)),
        ("C", ("分类定级 较差", "相对后进"))]
    got = {e.row.id: [(p.section, p.item, p.lost) for p in e.problems] for e in listed}
    assert got == {"E": [("组织", "建设", 2), ("一票否决", "", None)],
                   "D": [("组织", "三会一课", 10), ("组织", "建设", 5), ("作用", "作用发挥", 10)],
                   "C": [("组织", "三会一课", 20), ("组织", "换届", 10), ("组织", "建设", 10), ("作用", "作用发挥", 15)]}
    c = {p.item: p.sentence for p in listed[2].problems}
    # each clause by the values that fired it (explain.fired_words): 5 × 5 = 25, 20 counted (扣完为止)
    assert c["三会一课"] == "组织/三会一课 失 20 分:三会一课缺次数 5 → 扣 25 分;扣完为止,退回 5 分"
    assert c["换届"] == "组织/换届 失 10 分:按期换届(否) → 不得分"
    assert c["建设"] == "组织/建设 失 10 分:酌情给 20 分"
    assert listed[0].problems[-1].sentence == (f'一票否决:否决 如果 严重违纪 "发生严重违纪的一票否决",因为 严重违纪 是'
                                               f"(第 {line_of('否决 如果')} 行)")


def test_named_are_the_levels_whose_measures_name_them() -> None:
    # 好's measure says 授牌表彰: A alone
    assert [(n.scheme, n.level, [r.id for r in n.rows]) for n in named(small_summary())] == [("分类定级", "好", ["A"])]


def test_the_paper_sheets() -> None:
    book = report_workbook(small_summary(), papers=True)
    assert book.sheetnames == ["一览表", "汇总表", "整改台账", "公示", "命名"]
    ledger = book["整改台账"]
    assert ledger["A1"].value == "测试支部评分表 整改台账"
    assert [c.value for c in ledger[3]] == ["序号", "党支部", "等级", "问题", "整改措施", "整改目标", "责任人", "整改时限",
                                            "复查验收"]
    # E: 2 problems (rows 4–5), D: 3 (6–8), C: 4 (9–12); 序号, 党支部 and 等级 merged down each branch's rows
    assert [(ledger.cell(r, 1).value, ledger.cell(r, 2).value, ledger.cell(r, 3).value) for r in (4, 6, 9)] == [
        (1, "E", "较差、相对后进、一票否决"), (2, "D", "一般"), (3, "丙支部", "较差、相对后进")]
    assert {"A4:A5", "B6:B8", "C9:C12"} <= {str(r) for r in ledger.merged_cells.ranges}
    assert ledger.cell(12, 4).value == "作用/作用发挥 失 15 分:酌情给 25 分"
    assert all(ledger.cell(r, c).value is None and ledger.cell(r, c).border.left.style == "thin"
               for r in range(4, 13) for c in range(5, 10))  # the five columns to fill: empty and bordered
    notice = book["公示"]
    assert notice["A1"].value == "测试支部评分表 评定结果公示" and "公示期" in notice["A2"].value
    assert [tuple(c.value for c in notice[r])[:6] for r in range(4, 9)] == [
        (1, "A", "甲支部", 100, "好", None), (2, "E", None, 98, "较差", "相对后进"), (3, "B", None, 89, "较好", None),
        (4, "D", None, 75, "一般", None), (5, "C", "丙支部", 45, "较差", "相对后进")]
    naming = book["命名"]
    assert [c.value for c in naming[4]] == [1, "好", "A", "甲支部", 100, "总结经验,授牌表彰"]


RATED = """标准 评 {
    满分 10
    等级 档
    类型 甲 10分 { 项目 甲项 10分 { 酌情 } }
    综合 {
        自评 20%
        测评 30%
        党委评定 50%
        以 党委评定 为准
    }
}
等级 档 {
    好 >= 9分
    一般 >= 6分
    差
}
"""


def test_each_rater_has_a_column_and_a_count() -> None:
    rubric = loads(RATED)
    results = [rubric.evaluate({"id": "X", "自评": {"甲项": 10}, "测评": {"甲项": 8}, "党委评定": {"甲项": 7}}),
               rubric.evaluate({"id": "Y", "自评": {"甲项": 5}, "测评": {"甲项": 9}, "党委评定": {"甲项": 9}})]
    summary = summarise(rubric, results, ["档"])
    listing = report_workbook(summary)["一览表"]
    header = [c.value for c in listing[2]]
    assert header[3:9] == ["甲", "总分(自评)", "总分(测评)", "总分(党委评定)", "总分", "档"]
    # 以 党委评定 为准: Y's 9 (好) ranks first, X's 7 (一般) second; each rater's own total beside it
    assert [[c.value for c in listing[r]][:9] for r in (3, 4)] == [[1, "Y", None, 9, 5, 9, 9, 9, "好"],
                                                                 [2, "X", None, 7, 10, 8, 7, 7, "一般"]]
    # each rater's sheets graded alone: 自评 X 10 好, Y 5 差; 测评 X 8 一般, Y 9 好; 党委评定 X 7 一般, Y 9 好
    assert summary.tallies[0].by_rater == (("自评", (1, 0, 1)), ("测评", (1, 1, 0)), ("党委评定", (1, 1, 0)))
    tally = [tuple(c.value for c in row) for row in report_workbook(summary)["汇总表"].iter_rows()]
    by_rater = tally[next(n for n, r in enumerate(tally) if r[0] == "评价主体") + 1:][:4]
    assert [r[:8] for r in by_rater] == [("自评", 1, Decimal("0.5"), 0, 0, 1, Decimal("0.5"), 2),
                                         ("测评", 1, Decimal("0.5"), 1, Decimal("0.5"), 0, 0, 2),
                                         ("党委评定", 1, Decimal("0.5"), 1, Decimal("0.5"), 0, 0, 2),
                                         ("评定结果", 1, Decimal("0.5"), 1, Decimal("0.5"), 0, 0, 2)]
