"""The eight domain standards of rubrics/五好党支部.rubric, against the 静海区委“五好党支部”创建经验材料:
“对农村侧重评定带头人队伍建设,对社区侧重评定党建工作标准化创建,对机关事业单位侧重评定严肃党内政治生活情况,
对企业侧重评定党员日常管理情况,对其他领域侧重评定规范制度执行情况,并将其与共性要求相衔接,形成农村、社区、
机关(事业单位)、国有企业、非公企业(社会组织)、窗口单位和服务行业、学校、医疗卫生单位等8个领域创建标准细则”.

Each domain has one branch worked out by hand from the rubric (五个类型 20 分, 达标 18 分; 酌情 items start
from the assessor's score, then the deductions, then clamp to [0, 分值]; 五好党支部 needs ≥ 96 分 with the
basic conditions, and one section below 18 降档 1 to 未达标)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

import starrules
from starrules import rank
from starrules.core.numbers import format_decimal
from starrules.lang import ast

FILE = Path(__file__).resolve().parent.parent / "rubrics" / "五好党支部.rubric"
SECTIONS = ["领导班子好", "党员队伍好", "工作机制好", "工作业绩好", "群众反映好"]

# the document's list of the eight domains, in its order, as the 领域 fact spells them
DOMAINS = ["农村", "社区", "机关", "国有企业", "非公企业", "窗口单位和服务行业", "学校", "医疗卫生单位"]
STANDARDS = {"农村": "农村五好", "社区": "社区五好", "机关": "机关五好", "国有企业": "国有企业五好",
             "非公企业": "非公企业五好", "窗口单位和服务行业": "窗口服务五好", "学校": "学校五好",
             "医疗卫生单位": "医疗卫生五好"}

# the document's sentence, split into its five emphases
EMPHASES = "对农村侧重评定带头人队伍建设,对社区侧重评定党建工作标准化创建,对机关事业单位侧重评定严肃党内政治生活情况," \
           "对企业侧重评定党员日常管理情况,对其他领域侧重评定规范制度执行情况".split(",")
RURAL, COMMUNITY, ORGAN, ENTERPRISE, OTHER = EMPHASES


def basic(domain: str, **facts: Any) -> dict[str, Any]:
    """A branch meeting every basic condition, nothing wrong, every 酌情 item at its top; `facts` override."""
    return {"id": domain, "领域": domain, "党员人数": 12, "有专门办公场地": True, "有规范党员活动室": True,
            "本机关先进党支部": True, "集体解散解组": False, "违法违纪": False, "群众投诉查实": False,
            "固定党员活动日": True, "推行两册一证": True,
            "班子建设": 10, "书记履职": 10, "党员教育": 10, "党员管理": 10, "组织生活": 10, "制度执行": 10,
            "中心工作": 10, "作用发挥": 10, "群众满意": 20, **facts}


def sections(result: starrules.Result) -> list[Decimal]:
    return [Decimal(format_decimal(s.score)) for s in result.sections]


# (standard, evidence, sections in the order of SECTIONS, total, level by score, 降档, level)
BRANCHES = [
    # 带头人队伍合格 否: 书记履职 不得分 (the assessor's 10 does not count) → 领导班子好 10 + 0 = 10;
    # total 10 + 20 + 20 + 20 + 20 = 90 < 96: 未达标 by score; 降档 1 holds too (10 < 18), and 未达标 is already
    # the lowest level (language.md §4: the steps are counted, the level stops at the lowest)
    ("农村五好", basic("农村", 带头人队伍合格=False),
     [10, 20, 20, 20, 20], 90, "未达标", 1, "未达标"),
    # 标准化创建达标 是: 制度执行 keeps its 10; 中心工作 9 → 工作业绩好 19; total 20 + 20 + 20 + 19 + 20 = 99 ≥ 96,
    # the basic conditions hold and every section ≥ 18: 五好党支部
    ("社区五好", basic("社区", 标准化创建达标=True, 中心工作=9),
     [20, 20, 20, 19, 20], 99, "五好党支部", 0, "五好党支部"),
    # 政治生活不严肃 1 次: 组织生活 10 − 2 = 8 → 工作机制好 8 + 10 = 18, exactly its 达标 line (not below);
    # total 20 + 20 + 18 + 20 + 20 = 98: 五好党支部
    ("机关五好", basic("机关", 政治生活不严肃次数=1),
     [20, 20, 18, 20, 20], 98, "五好党支部", 0, "五好党支部"),
    # 日常管理缺 2 项: 党员管理 10 − 2×2 = 6 → 党员队伍好 10 + 6 = 16 < 18; total 20 + 16 + 20 + 20 + 20 = 96 ≥ 96,
    # so 五好党支部 by score, then 降档 1 (one section below its line): 未达标
    ("国有企业五好", basic("国有企业", 日常管理缺项数=2),
     [20, 16, 20, 20, 20], 96, "五好党支部", 1, "未达标"),
    # inherits the 企业 emphasis: 日常管理缺 1 项, 党员管理 10 − 2 = 8 → 党员队伍好 18; 群众满意 19;
    # total 20 + 18 + 20 + 20 + 19 = 97: 五好党支部
    ("非公企业五好", basic("非公企业", 日常管理缺项数=1, 群众满意=19),
     [20, 18, 20, 20, 19], 97, "五好党支部", 0, "五好党支部"),
    # 制度执行不规范 1 项: 制度执行 10 − 2 = 8 → 工作机制好 18; 作用发挥 9.5 → 工作业绩好 19.5;
    # total 20 + 20 + 18 + 19.5 + 20 = 97.5: 五好党支部
    ("窗口服务五好", basic("窗口单位和服务行业", 制度执行不规范项数=1, 作用发挥=9.5),
     [20, 20, 18, Decimal("19.5"), 20], Decimal("97.5"), "五好党支部", 0, "五好党支部"),
    # 制度执行不规范 2 项: 制度执行 10 − 2×2 = 6 → 工作机制好 16 < 18; total 20 + 20 + 16 + 20 + 20 = 96:
    # 五好党支部 by score, 降档 1: 未达标
    ("学校五好", basic("学校", 制度执行不规范项数=2),
     [20, 20, 16, 20, 20], 96, "五好党支部", 1, "未达标"),
    # 制度执行 酌情 5, 不规范 3 项: 5 − 3×2 = −1 stops at 0 (扣完为止) → 工作机制好 10 + 0 = 10;
    # total 20 + 20 + 10 + 20 + 20 = 90 < 96: 未达标 by score; 降档 1 holds (10 < 18) with nothing left to lower
    ("医疗卫生五好", basic("医疗卫生单位", 制度执行不规范项数=3, 制度执行=5),
     [20, 20, 10, 20, 20], 90, "未达标", 1, "未达标"),
]


@pytest.mark.parametrize(("standard", "evidence", "expected", "total", "by_score", "downgrade", "level"), BRANCHES,
                         ids=[b[0] for b in BRANCHES])
def test_each_domain_standard_scores_one_branch_worked_by_hand(
        standard: str, evidence: dict[str, Any], expected: list[Any], total: Any, by_score: str, downgrade: int,
        level: str) -> None:
    result = starrules.load(FILE, standard).evaluate(evidence)
    assert [s.name for s in result.sections] == SECTIONS
    assert sections(result) == [Decimal(v) for v in expected]
    assert result.total == Decimal(total) and not result.vetoed
    five = result.levels["五好"]
    assert (five.by_score, five.downgrade, five.level) == (by_score, downgrade, level)


def test_every_domain_of_the_document_has_its_standard() -> None:
    report = starrules.check_file(FILE)
    assert not report.errors
    assert set(report.rubrics) == {"五好通用", *STANDARDS.values()}
    for standard in ["五好通用", *STANDARDS.values()]:
        assert list(report.rubrics[standard].facts["领域"].type.choices) == DOMAINS


def mentions(node: object) -> set[str]:
    """Every name an AST node reads."""
    if isinstance(node, ast.NameRef):
        return {node.name}
    if isinstance(node, (tuple, list)):
        return set().union(*(mentions(n) for n in node))
    if attrs.has(type(node)):
        return set().union(*(mentions(getattr(node, f.name)) for f in attrs.fields(type(node))))
    return set()


# standard → (the document's emphasis for its domain, the section and item that carry it, the fact it reads)
WHERE = {
    "农村五好": (RURAL, "领导班子好", "书记履职", "带头人队伍合格"),
    "社区五好": (COMMUNITY, "工作机制好", "制度执行", "标准化创建达标"),
    "机关五好": (ORGAN, "工作机制好", "组织生活", "政治生活不严肃次数"),
    "国有企业五好": (ENTERPRISE, "党员队伍好", "党员管理", "日常管理缺项数"),
    "非公企业五好": (ENTERPRISE, "党员队伍好", "党员管理", "日常管理缺项数"),  # 企业, not 其他领域
    "窗口服务五好": (OTHER, "工作机制好", "制度执行", "制度执行不规范项数"),
    "学校五好": (OTHER, "工作机制好", "制度执行", "制度执行不规范项数"),
    "医疗卫生五好": (OTHER, "工作机制好", "制度执行", "制度执行不规范项数"),
}


@pytest.mark.parametrize("standard", list(WHERE))
def test_each_domain_standard_carries_the_documents_emphasis(standard: str) -> None:
    emphasis, section_name, item_name, fact = WHERE[standard]
    rubric = starrules.load(FILE, standard)
    section = next(s for s in rubric.sections if s.name == section_name)
    item = next(i for i in section.items if i.name == item_name)
    criteria = [c.text for c in item.clauses if isinstance(c, ast.Text) and c.kind == "criterion"]
    assert criteria == [emphasis + "。"]
    assert fact in mentions(item.clauses) and fact in rubric.facts
    # the standard carries its own emphasis and no other domain's (非公企业 is a 企业: not 其他领域)
    texts = {c.text for i in rubric.items for c in i.clauses if isinstance(c, ast.Text)}
    assert {e for e in EMPHASES if e + "。" in texts} == {emphasis}


def test_forced_shares_cover_the_eight_domains() -> None:
    """排名 五好: 国有企业 and 非公企业 together ⌈10% × n⌉, the six other domains together ⌈5% × m⌉. One branch
    per domain, every item at its top but 群众满意 (so the total is 80 + 群众满意):
    enterprises 国有企业 97, 非公企业 99.5 → ⌈10% × 2⌉ = 1: 国有企业 (the lower);
    others 农村 100, 社区 99, 机关 98, 窗口单位和服务行业 96.5, 学校 95, 医疗卫生单位 97.5 → ⌈5% × 6⌉ = 1: 学校.
    Were 窗口单位和服务行业 counted with the enterprises, it (96.5) and not 国有企业 would be marked there."""
    rubric = starrules.load(FILE, "五好通用")
    satisfaction = {"农村": 20, "社区": 19, "机关": 18, "国有企业": 17, "非公企业": 19.5, "窗口单位和服务行业": 16.5,
                    "学校": 15, "医疗卫生单位": 17.5}
    results = [rubric.evaluate(basic(d, 群众满意=s)) for d, s in satisfaction.items()]
    assert [r.total for r in results] == [100, 99, 98, 97, Decimal("99.5"), Decimal("96.5"), 95, Decimal("97.5")]
    marked = {b.id for b in rank(results, "五好", rubric=rubric).branches if b.marks}
    assert marked == {"国有企业", "学校"}
