"""rubrics/村社区争先创优.rubric against 县委《基层党组织争先创优活动实施方案(范文)》附件1: the clauses the
table sets for a 社区 only (兼职委员, 社区用房, 社区功能室; the 远程教育站点 “仅限村改居社区”) never charge a 村;
no fact has a default, so a fact left out is an evidence error and every missing one is listed at once.
Every expected score is worked out by hand from the table's 考评方式 (the arithmetic is beside it)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import starrules
from starrules.core.numbers import format_decimal

RUBRIC = Path(__file__).resolve().parent.parent / "rubrics" / "村社区争先创优.rubric"

# A branch that meets every requirement: no problem fact holds, every 酌情 item at its top.
GOOD_FACTS: dict[str, Any] = {
    "组织设置不规范": False, "未进行摸底排查": False, "未进行兜底管理": False, "班子长期不健全": False,
    "未吸纳兼职委员": False, "党员学习学时": 24, "班子成员学习学时": 24, "班子成员参加集中培训": True,
    "远程教育站点不达标": False, "建立困难党员台账": True, "开展党内表彰活动": True, "社区用房不达标": False,
    "功能室未达标": False, "大讲堂缺少项数": 0, "设施设备登记不规范": False, "管理维护制度不健全": False,
    "服务体系未落实": False, "经费未落实到位": False, "存在重大财务纰漏": False,
}
TOP_JUDGEMENTS: dict[str, Any] = {
    "探索创新": 2, "纪检机构": 2, "健全社区组织体系": 4, "班子任期": 2, "自身建设": 2, "发展党员工作": 3, "党费缴纳管理": 2,
    "流动党员管理": 4, "党内激励关怀": 1, "管理手段创新": 4, "三会一课": 5, "民主评议党员": 2, "组织生活会": 2, "党员活动日": 3,
    "标识制度": 2, "基本设施": 2, "管理维护": 3, "服务体系": 6, "服务载体": 3, "服务创新": 5, "统筹协调机制": 5,
    "民主管理机制": 4, "激励评价机制": 6, "联系群众机制": 4, "党建经费": 3,
}
# The four 社区-only problems at once (and one 大讲堂 item missing, which the table charges everyone)
COMMUNITY_ONLY = {"未吸纳兼职委员": True, "社区用房不达标": True, "功能室未达标": True, "远程教育站点不达标": True}
# Every item at its top: 100 less the 5 points of 工作运行机制 (24) that the table does not show (19 visible).
TOP = 95


@pytest.fixture(scope="module")
def rubric() -> starrules.Rubric:
    return starrules.load(RUBRIC)


def item(result: starrules.Result, name: str) -> Decimal:
    return Decimal(format_decimal(result.item(name).score))


def test_the_rubric_checks_with_only_the_tables_own_warnings() -> None:
    report = starrules.check_file(RUBRIC)
    assert not report.errors
    assert sorted(d.code for d in report.warnings) == ["W102", "W106"]  # 24 分 over 19 分 of items; at most 95


def test_no_fact_has_a_default(rubric: starrules.Rubric) -> None:
    """Issue 18's safe defaults: a compliance fact left out must not pass as compliant; the classification
    类别 has no default either (a 社区 left unclassified must not escape the 社区 deductions)."""
    assert {name: fact.default for name, fact in rubric.facts.items() if fact.default is not None} == {}
    assert rubric.facts["类别"].type.choices == ("村", "社区", "村改居社区")


@pytest.mark.parametrize("kind", ["村", "社区", "村改居社区"])
def test_a_branch_meeting_everything_scores_the_top(rubric: starrules.Rubric, kind: str) -> None:
    result = rubric.evaluate({"类别": kind, **GOOD_FACTS, **TOP_JUDGEMENTS})
    assert result.total == TOP


def test_a_village_is_not_charged_the_community_only_clauses(rubric: starrules.Rubric) -> None:
    result = rubric.evaluate({"类别": "村", **GOOD_FACTS, **COMMUNITY_ONLY, **TOP_JUDGEMENTS})
    assert item(result, "班子职数") == 2  # 兼职委员 is asked of a 社区 only
    assert item(result, "建设标准") == 5  # 社区用房, 社区功能室 likewise
    assert item(result, "党员教育培训") == 3  # the 远程教育站点 is “仅限村改居社区”
    assert result.total == TOP


@pytest.mark.parametrize(("kind", "training", "total"), [
    # 党员教育培训 3: the station is charged only to a 村改居社区 (3 − 1 = 2)
    ("社区", 3, TOP - 1 - 2 - 2),  # 95 − 1 (兼职委员) − 2 (社区用房) − 2 (功能室) = 90
    ("村改居社区", 2, TOP - 1 - 2 - 2 - 1),  # 90 − 1 (远程教育站点) = 89
])
def test_a_community_is_charged(rubric: starrules.Rubric, kind: str, training: int, total: int) -> None:
    result = rubric.evaluate({"类别": kind, **GOOD_FACTS, **COMMUNITY_ONLY, **TOP_JUDGEMENTS})
    # 方式:“班子健全但未吸纳驻区单位党组织负责同志担任社区党组织委员会兼职委员得1分” (of 2)
    assert item(result, "班子职数") == 1
    # 方式:“社区用房不达标扣2分;社区功能室设置未达到“18室1厅1站6栏”要求扣2分”: 5 − 2 − 2 = 1
    assert item(result, "建设标准") == 1
    assert item(result, "党员教育培训") == training
    assert result.total == total


@pytest.mark.parametrize(("kind", "expected"), [
    ("村", 5 - 2),  # only the 大讲堂: 2 × 1
    ("社区", 0),  # 5 − 2 − 2 − 2 × 1 = −1, and the item stops at 0 (扣完为止)
])
def test_the_lecture_hall_is_charged_to_everyone(rubric: starrules.Rubric, kind: str, expected: int) -> None:
    """方式:“新时代“三新”大讲堂未依据“6有”标准建设,每少1项扣1分” is not a 社区-only clause."""
    result = rubric.evaluate({"类别": kind, **GOOD_FACTS, **COMMUNITY_ONLY, "大讲堂缺少项数": 2, **TOP_JUDGEMENTS})
    assert item(result, "建设标准") == expected


def test_the_long_vacant_committee_still_zeroes_a_village(rubric: starrules.Rubric) -> None:
    """The 村 is spared the 兼职委员 clause only: “班子长期不健全不得分” holds for a 村 too."""
    result = rubric.evaluate({"类别": "村", **GOOD_FACTS, "班子长期不健全": True, **TOP_JUDGEMENTS})
    assert item(result, "班子职数") == 0
    assert result.total == TOP - 2


def test_every_missing_fact_is_listed_at_once(rubric: starrules.Rubric) -> None:
    """Nothing but the 酌情 scores: each of the 20 facts (类别 and the 19 in GOOD_FACTS) is one E501, in one error."""
    with pytest.raises(starrules.EvidenceError) as caught:
        rubric.evaluate(dict(TOP_JUDGEMENTS))
    found = caught.value.diagnostics
    assert {d.code for d in found} == {"E501"}
    assert sorted(d.message.split("“")[1].split("”")[0] for d in found) == sorted(["类别", *GOOD_FACTS])
    assert len(found) == 1 + len(GOOD_FACTS) == 20


def test_one_missing_fact_is_not_taken_as_met(rubric: starrules.Rubric) -> None:
    """A 社区 that leaves 社区用房不达标 out is not scored as if its 用房 were up to standard."""
    facts = {k: v for k, v in GOOD_FACTS.items() if k != "社区用房不达标"}
    with pytest.raises(starrules.EvidenceError) as caught:
        rubric.evaluate({"类别": "社区", **facts, **TOP_JUDGEMENTS})
    assert [(d.code, d.message.split("“")[1].split("”")[0]) for d in caught.value.diagnostics] == [("E501", "社区用房不达标")]
