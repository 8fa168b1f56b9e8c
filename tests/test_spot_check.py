"""武威市人民检察院机关委员会《…“达标创星、整体创优”活动实施方案》: 院机关党委“向市委直属机关工委上报
评分表”,“市委直属机关工委将通过随机抽查、现场打分最终评星定级”. rubrics/机关达标创星.rubric says so with
`综合 { 机关党委评分 100%  以 工委抽查 为准 }`: a branch drawn in the random check gets the 工委抽查 result;
one that was not (most of them) keeps its 机关党委评分; `starrules report` and the scorecard put the two
sheets side by side with the difference per item. Every expected value is worked out by hand below."""

from __future__ import annotations

import json
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

import starrules
from starrules import EvidenceError, check_file, evaluate_batch
from starrules.cli import main
from starrules.core.numbers import format_decimal

RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"
RUBRIC = RUBRICS / "机关达标创星.rubric"
EXAMPLES = RUBRICS / "examples" / "机关达标创星-批量.jsonl"

# a sheet with every requirement met and every 酌情 item at its maximum: 15 + 15 + 15 + 20 + 15 + 20 = 100
FULL = {"党员人数": 25, "划分党小组": False, "及时补选改选": True, "按期换届": True, "有信教参教或涉黑涉恶党员": False,
        "三会一课未按期次数": 0, "开展主题党日": True, "召开组织生活会": True, "开展谈心谈话": True,
        "开展民主评议党员": True, "活动场所缺少项数": 0, "经费纳入预算": True,
        "支部书记": 5, "支部班子": 5, "党员管理": 5, "学习教育": 10, "激励关怀帮带": 5, "工作制度": 4,
        "党建业务融合": 10, "服务群众": 10}
# the 工委 on site: 三会一课 missed twice (8 − 2×1 = 6), one of the “六有” missing (活动场所 10 − 2 = 8), and
# 学习教育 judged 8 of 10: 100 − 2 − 2 − 2 = 94
CHECKED = {**FULL, "三会一课未按期次数": 2, "活动场所缺少项数": 1, "学习教育": 8}
# 第二党支部 of the bundled example: 35 members, no 党小组 (支部设置 5 − 2 = 3), 三会一课 missed once (8 − 1 = 7);
# 15 − 2 + (5 + 4.5 + 5) + (9 + 5) + (7 + 8 + 4) + 15 + (9.5 + 9.5) = 94.5
SECOND = {**FULL, "党员人数": 35, "三会一课未按期次数": 1, "支部班子": 4.5, "学习教育": 9,
          "党建业务融合": 9.5, "服务群众": 9.5}


def sections(result: starrules.Result) -> dict[str, Decimal]:
    return {s.name: Decimal(format_decimal(s.score)) for s in result.sections}


class _Tables(HTMLParser):
    """The rows of every <table> of a page, each a list of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    parser = _Tables()
    parser.feed(html)
    return parser.rows


def card(html: str, branch: str) -> str:
    start = html.index(f"<h2>{branch}")
    return html[start:html.index("</section>", start)]


def sheet_rows(path: Path, sheet: str) -> list[tuple[object, ...]]:
    return [r for r in openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True) if any(v is not None for v in r)]


def test_the_rubric_checks_clean_and_defaults_no_compliance_fact() -> None:
    report = check_file(RUBRIC)
    assert report.errors == () and report.warnings == ()
    rubric = starrules.load(RUBRIC)
    assert [f for f, fact in rubric.facts.items() if fact.default is not None] == []


def test_spot_checked_branch_takes_the_committees_scores_and_level() -> None:
    result = starrules.load(RUBRIC).evaluate({"id": "抽查支部", "机关党委评分": FULL, "工委抽查": CHECKED})
    # 组织 15; 队伍 15; 活动 8 + 5 = 13; 制度 6 + 8 + 4 = 18; 保障 8 + 5 = 13; 作用 20 → 94
    assert sections(result) == {"健全基本组织": 15, "建强基本队伍": 15, "开展基本活动": 13, "落实基本制度": 18,
                                "强化基本保障": 13, "发挥两个作用": 20}
    # 90–94 分 四星级 (not the 机关党委's 100 → 五星级); 四星级 → 良好
    assert (result.total, result.levels["星级"].level, result.levels["等次"].level) == (94, "四星级", "良好")
    assert {name: r.total for name, r in result.raters.items()} == {"机关党委评分": 100, "工委抽查": 94}


def test_branch_not_drawn_keeps_the_organ_committees_result() -> None:
    result = starrules.load(RUBRIC).evaluate({"id": "自评支部", "机关党委评分": SECOND})
    assert list(result.raters) == ["机关党委评分"]
    # 13 + 14.5 + 14 + 19 + 15 + 19 = 94.5 → 四星级 (90–94 分 band: 94.5 < 95), 良好
    assert (result.total, result.levels["星级"].level, result.levels["等次"].level) == (Decimal("94.5"), "四星级", "良好")
    assert sections(result) == sections(result.raters["机关党委评分"]) == {
        "健全基本组织": 13, "建强基本队伍": Decimal("14.5"), "开展基本活动": 14, "落实基本制度": 19, "强化基本保障": 15,
        "发挥两个作用": 19}
    # the one sheet weighted 100% is the result: its trace and its gap are kept (支部设置: no 党小组, −2)
    deducted = [c for c in result.item("支部设置").trace if c.fired and c.points < 0]
    assert [c.points for c in deducted] == [-2]
    assert any(f.item == "支部设置" and f.points == 2 for f in result.gap["星级"].fixes)


def test_unknown_rater_is_e502_and_the_organ_sheet_is_required() -> None:
    rubric = starrules.load(RUBRIC)
    with pytest.raises(EvidenceError) as info:
        rubric.evaluate({"id": "x", "机关党委评分": FULL, "工委检查": CHECKED})  # a misspelt 工委抽查 is not ignored
    (problem,) = info.value.diagnostics
    assert problem.code == "E502" and "工委检查" in problem.message and "工委抽查" in (problem.hint or "")
    with pytest.raises(EvidenceError) as info:
        rubric.evaluate({"id": "x", "工委抽查": CHECKED})
    assert [(d.code, d.message) for d in info.value.diagnostics] == [("E501", "缺少评价主体“机关党委评分”的评分表")]


def test_an_unfilled_sheet_lists_every_missing_fact() -> None:
    """No fact defaults to “done” or “no problem”: a sheet with only the 酌情 scores and 党员人数 is refused with
    all eleven other facts named at once."""
    judged = {k: v for k, v in FULL.items() if k in ("党员人数", "支部书记", "支部班子", "党员管理", "学习教育", "激励关怀帮带",
                                                     "工作制度", "党建业务融合", "服务群众")}
    with pytest.raises(EvidenceError) as info:
        starrules.load(RUBRIC).evaluate({"id": "x", "机关党委评分": judged})
    assert {d.code for d in info.value.diagnostics} == {"E501"}
    missing = {k for k in FULL if k not in judged}
    assert len(missing) == 11 and all(any(f"“{k}”" in d.message for d in info.value.diagnostics) for k in missing)


def test_report_and_scorecard_put_the_two_sheets_side_by_side(tmp_path: Path) -> None:
    batch = tmp_path / "b.jsonl"
    batch.write_text(json.dumps({"id": "抽查支部", "机关党委评分": FULL, "工委抽查": CHECKED}, ensure_ascii=False) + "\n"
                     + json.dumps({"id": "自评支部", "机关党委评分": SECOND}, ensure_ascii=False) + "\n", encoding="utf-8")
    out, html_path = tmp_path / "r.xlsx", tmp_path / "c.html"
    assert main(["report", str(RUBRIC), str(batch), "-o", str(out), "--html", str(html_path)]) == 0
    # the 一览表: 自评支部 94.5 before 抽查支部 94 (the 抽查's total); both 四星级 (名额 四星级 2)
    listing = sheet_rows(out, "一览表")
    assert [(r[0], r[1], r[11], r[12]) for r in listing[2:]] == [(1, "自评支部", 94.5, "四星级"), (2, "抽查支部", 94, "四星级")]
    compared = sheet_rows(out, "评价主体对照")
    assert str(compared[0][0]).endswith("评价主体对照表(以 工委抽查 为准)")
    assert compared[1] == ("名次", "编号", "名称", "类型", "项目", "分值", "机关党委评分", "工委抽查", "差额(工委抽查−机关党委评分)")
    lines = {r[4]: r for r in compared[2:]}
    assert {r[1] for r in compared[2:]} == {"抽查支部"}  # 自评支部 has no 抽查 to compare
    assert len(lines) == 16  # the 15 items and the 总分
    assert lines["三会一课"] == (2, "抽查支部", None, "落实基本制度", "三会一课", 8, 8, 6, -2)
    assert lines["活动场所"][5:] == (10, 10, 8, -2) and lines["学习教育"][5:] == (10, 10, 8, -2)
    assert lines["支部书记"][5:] == (5, 5, 5, 0)
    assert lines["总分"] == (2, "抽查支部", None, None, "总分", 100, 100, 94, -6)  # −2 −2 −2

    html = html_path.read_text(encoding="utf-8")
    checked = card(html, "抽查支部")
    assert "评分依据:工委抽查(以 工委抽查 为准)" in checked and "<li>星级:四星级</li>" in checked
    rows = table_rows(checked)
    assert ["类型", "项目", "分值", "机关党委评分", "工委抽查", "差额(工委抽查−机关党委评分)"] in rows
    assert ["落实基本制度", "三会一课", "8", "8", "6", "-2"] in rows
    assert ["开展基本活动", "学习教育", "10", "10", "8", "-2"] in rows
    assert ["总分", "100", "100", "94", "-6"] in rows
    assert "距“五星级”还差 1 分" in checked  # 95 − 94
    alone = card(html, "自评支部")
    assert "评分依据:机关党委评分(没有工委抽查的评分表)" in alone and "评价主体对照" not in alone
    # its items with the reasons of its one sheet: 35 members and no 党小组
    assert "党员人数 35 名,超过 30;划分党小组(否) → 扣 2 分" in alone  # what fired it, in words


def test_bundled_example_spot_checks_two_of_five(tmp_path: Path) -> None:
    got = {r.id: r for r in evaluate_batch(starrules.load(RUBRIC), EXAMPLES)}
    assert {k for k, r in got.items() if "工委抽查" in r.raters} == {"第一党支部", "第三党支部"}
    # 第一: 100 by the 机关党委; the 工委 found 三会一课 missed once (8 − 1 = 7) and judged 学习教育 9.5: 98.5
    # 第三: 92 by the 机关党委 (活动场所 缺 1 项: 8; 学习教育 8; 党建业务融合 8; 服务群众 8); the 工委 found 2 items
    # missing (活动场所 6), judged 支部班子 4.5 and 服务群众 8.5: 92 − 2 − 0.5 + 0.5 = 90
    assert {k: (r.raters["机关党委评分"].total, r.total) for k, r in got.items() if "工委抽查" in r.raters} == {
        "第一党支部": (100, Decimal("98.5")), "第三党支部": (92, 90)}
    out, html_path = tmp_path / "r.xlsx", tmp_path / "c.html"
    assert main(["report", str(RUBRIC), str(EXAMPLES), "-o", str(out), "--html", str(html_path)]) == 0
    differing = {(r[1], r[4]): r[6:] for r in sheet_rows(out, "评价主体对照")[1:] if r[0] != "名次" and r[8] != 0}
    assert differing == {("第一党支部", "学习教育"): (10, 9.5, -0.5), ("第一党支部", "三会一课"): (8, 7, -1),
                         ("第一党支部", "总分"): (100, 98.5, -1.5),
                         ("第三党支部", "支部班子"): (5, 4.5, -0.5), ("第三党支部", "活动场所"): (8, 6, -2),
                         ("第三党支部", "服务群众"): (8, 8.5, 0.5), ("第三党支部", "总分"): (92, 90, -2)}
    third = table_rows(card(html_path.read_text(encoding="utf-8"), "第三党支部"))
    assert ["发挥两个作用", "服务群众", "10", "8", "8.5", "+0.5"] in third
