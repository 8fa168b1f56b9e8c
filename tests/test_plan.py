"""The scoring plan (plan/scoring.py) and `starrules plan`: a small rubric lowered by hand.

Expected records are worked out from the rubric text below: 精度 0.5 分, so a point is 2 units."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

import starrules
from starrules.cli import main
from starrules.plan.scoring import Award, Base, CapDeductions, Clamp, Deduct, LeaveOut, Settle, Zero

TEXT = """标准 小 {
    满分 10
    精度 0.5
    等级 星级
    事实 按期: 是否
    事实 问题数: 计数
    事实 缺席: 是否
    令 问题多 = 问题数 >= 3
    类型 组织 8分 达标 6分 {
        项目 制度 5分 {
            不适用 如果 缺席
            扣 1分 如果 非 按期
            每 问题数 扣 0.5分
            最多扣 2分
            加 1分 如果 按期
            不得分 如果 问题多
        }
        项目 成效 3分 {
            酌情
        }
    }
    类型 作用 2分 {
        项目 发挥 2分 {
            起评 1分
            加 1分 如果 @制度 >= 4
        }
    }
    否决 如果 问题数 > 5 最高 一星级
}
"""


@pytest.fixture(scope="module")
def rubric() -> starrules.Rubric:
    return starrules.loads(TEXT)


def test_items_are_lowered_to_their_programs_in_grid_units(rubric: starrules.Rubric) -> None:
    """§3's order, written out by hand for each item of TEXT."""
    plan = rubric.scoring_plan
    assert plan.grid.step == Fraction(1, 2)
    items = {item.name: item for item in plan.items.values()}
    system = items["制度"]
    assert (system.max, system.kind) == (10, "regular")  # 5 points = 10 half-point units
    steps = system.program
    assert [type(op).__name__ for op in steps] == [
        "LeaveOut", "Base", "Deduct", "Deduct", "CapDeductions", "Settle", "Award", "Clamp", "Zero"]
    leave_out, base, first, second, cap, settle, award, clamp, zero = steps
    assert isinstance(leave_out, LeaveOut) and [r.reads for r in leave_out.rules] == [("缺席",)]
    assert base == Base("full", 10, None)  # no 起评: full marks
    assert isinstance(first, Deduct) and (first.rule.units, first.per) == (2, False)  # 扣 1分 如果
    assert isinstance(second, Deduct) and (second.rule.units, second.per) == (1, True)  # 每 … 扣 0.5分
    assert isinstance(cap, CapDeductions) and cap.rule.units == 4  # 最多扣 2分
    assert settle == Settle(-1)
    assert isinstance(award, Award) and award.rule.units == 2
    assert clamp == Clamp(10, 0, None)
    assert isinstance(zero, Zero) and zero.rule.reads == ("问题多",)
    assert system.leave_out is leave_out and not system.negative
    assert system.score_key == "@制度"  # 发挥 reads it, so it is made points during a run
    judged = items["成效"].program
    assert [type(op).__name__ for op in judged] == ["Base", "Clamp"]  # 酌情: the assessor's entry
    assert isinstance(judged[0], Base) and (judged[0].kind, judged[0].units) == ("judged", 0)
    started = items["发挥"].program
    assert isinstance(started[0], Base) and (started[0].kind, started[0].units) == ("start", 2)  # 起评 1分
    assert items["成效"].score_key is None and items["成效"].leave_out is None


def test_computed_bonus_and_negative_items() -> None:
    rubric = starrules.loads("""标准 另 {
    事实 次数: 计数
    类型 工作 10分 {
        项目 算 6分 {
            得分 = 次数 * 2
        }
        项目 倒 4分 {
            扣 5分 如果 次数 > 3
            可倒扣
        }
    }
    加分项 奖励 最多 3分 {
        项目 表彰 3分 {
            得 2分 如果 次数 > 0
        }
    }
}
""")
    items = {item.name: item for item in rubric.scoring_plan.items.values()}
    computed = items["算"].program
    assert [type(op).__name__ for op in computed] == ["ComputeScore", "Clamp"]
    assert computed[1] == Clamp(12, 0, None)  # the default 精度 is 0.5 分: 6 points are 12 units
    negative = items["倒"]
    assert negative.negative and negative.program[-1] == Clamp(8, None, None)
    bonus = items["表彰"].program
    assert bonus[0] == Base("none", 0, None)  # a bonus item starts from nothing
    assert [type(op).__name__ for op in bonus] == ["Base", "Award", "Clamp"]
    result = rubric.evaluate({"次数": 4}, explain=False)  # 算 8 → 6; 倒 4 − 5 = −1; 表彰 2
    assert (result.item("算").score, result.item("倒").score, result.item("表彰").score) == (6, -1, 2)


def test_sections_steps_and_vetoes(rubric: starrules.Rubric) -> None:
    plan = rubric.scoring_plan
    organisation, role = plan.sections
    assert (organisation.name, organisation.points, organisation.pass_line) == ("组织", 16, 12)
    assert [plan.items[i].name for i in organisation.items] == ["制度", "成效"]
    assert (role.points, role.pass_line) == (4, None)
    assert plan.regular_sum.plain
    kinds = [s.kind for s in plan.steps]
    assert kinds.index("let") < kinds.index("item")  # 问题多 is read by 制度
    order = [plan.items[str(s.key)].name for s in plan.steps if s.kind == "item"]
    assert order.index("制度") < order.index("发挥")  # 发挥 reads @制度
    assert kinds[-1] == "veto" and kinds[-2] == "total"
    assert [v.highest for v in plan.vetoes] == ["一星级"]


def test_every_engine_scores_from_the_plan(rubric: starrules.Rubric) -> None:
    """制度: base 5, 扣 1 (not on time) and 2 × 0.5 = 1, 2 in all (最多扣 2 not exceeded) → 3, no
    award, 问题多 false: 3; 成效 2.5; 组织 5.5; 发挥 起评 1, @制度 3 < 4: 1. Total 6.5.
    With 4 问题, 问题多 holds: 制度 不得分 (0)."""
    evidence = {"按期": False, "问题数": 2, "缺席": False, "成效": 2.5}
    result = rubric.evaluate(evidence, explain=False)
    assert (result.item("制度").score, result.item("成效").score, result.item("发挥").score) == (3, Fraction(5, 2), 1)
    assert result.total == Fraction(13, 2)
    batch = next(rubric.evaluate_columns([evidence, {**evidence, "问题数": 4}]))
    assert batch.total.tolist() == [13, 7]  # half-point units: 6.5, then 制度 0 + 成效 2.5 + 发挥 1 = 3.5
    assert rubric.evaluate({**evidence, "问题数": 4}).item("制度").score == 0


def test_describe_names_every_step(rubric: starrules.Rubric) -> None:
    text = rubric.scoring_plan.describe()
    assert text.splitlines()[0] == "计分计划 小(精度 0.5 分;分数以精度单位计,四舍五入一次)"
    assert "项目 制度 [regular] 分值 5分" in text
    assert "    ① 不适用 不适用 如果 缺席(第 11 行;读 缺席)" in text
    assert "    ② 起点 5分(满分)" in text
    assert "    ③ 每 问题数 扣 0.5分(第 13 行;0.5分(1 单位);读 问题数)" in text
    assert "    得分 = 起点 − 扣分" in text
    assert "    ⑥ 不超过 5分,不低于 0分" in text
    assert "    ④ 最多扣 2分(第 14 行;2分(4 单位))" in text
    assert "类型 组织 [regular] 8分 达标线 6分 = 制度 + 成效,限于 0 到 8分" in text
    assert "否决 1:否决 如果 问题数 > 5 最高 一星级(第 28 行)" in text


def test_plan_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "小.rubric"
    path.write_text(TEXT, encoding="utf-8")
    assert main(["plan", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("计分计划 小")
    assert "定级计划 星级(达标创星)" in out  # the rubric's own 等级 line
    assert main(["plan", str(path), "--scheme", "分类定级"]) == 0
    out = capsys.readouterr().out
    assert "定级计划 分类定级" in out and "定级计划 星级" not in out
    assert main(["plan", str(path), "--scheme", "没有这个"]) == 1
    assert "E104" in capsys.readouterr().err
