"""Grading compiled into the generated function (eval/fastpath.py `inline_grading`): which
schemes it grades inline, that its levels and reasons are the scheme grader's, and that a
result made this way holds no reference cycle (it is freed as soon as it is dropped).

Expected levels are worked out by hand from the rubric text below (精度 0.5 分)."""

from __future__ import annotations

import gc
import pickle
import weakref
from collections.abc import Iterator
from types import MappingProxyType

import pytest

import starrules
from starrules.eval.result import LevelResult

TEXT = """
等级 档次 {
    优秀 >= 8分 且 按期
    良好 >= 6分
    一般
    降档 1 如果 问题数 >= 3
}

等级 晋级 {
    高 >= 5分
    低
    逐级晋升
}

等级 对应 基于 档次 {
    好 = 优秀, 良好
    差 = 一般
}

等级 比率 {
    高 >= 5分 且 问题数 / 问题基数 < 1
    低
}

标准 小 {
    满分 10
    精度 0.5
    等级 档次, 星级
    事实 按期: 是否
    事实 问题数: 计数
    事实 问题基数: 计数
    事实 违纪: 是否
    类型 工作 10分 {
        项目 制度 6分 {
            每 问题数 扣 0.5分
        }
        项目 成效 4分 {
            酌情
        }
    }
    否决 如果 违纪 最高 良好
}
"""


@pytest.fixture(scope="module")
def rubric() -> starrules.Rubric:
    return starrules.loads(TEXT)


def case(problems: int, on_time: bool = True, broken: bool = False, judged: float = 4) -> dict[str, object]:
    return {"按期": on_time, "问题数": problems, "问题基数": 2, "违纪": broken, "成效": judged}


def test_banded_schemes_are_graded_inline_and_the_others_are_not(rubric: starrules.Rubric) -> None:
    inline = rubric.evaluator.inline_schemes
    assert list(inline) == ["档次", "星级"]  # the rubric's 等级 line, both banded
    source = rubric.fast_source
    assert "# 定级 档次" in source and "# 定级 星级" in source
    # 逐级晋升 reads history, a division may fail in a condition: those the reference grades
    for name in ("晋级", "比率"):
        text = TEXT.replace("等级 档次, 星级", f"等级 {name}").replace("最高 良好", "")
        assert not starrules.loads(text).evaluator.inline_schemes
    derived = starrules.loads(TEXT.replace("等级 档次, 星级", "等级 对应, 档次"))
    assert list(derived.evaluator.inline_schemes) == ["对应", "档次"]  # 基于 a scheme graded inline


@pytest.mark.parametrize(("evidence", "level"), [
    (case(0), "好"),  # 优秀
    (case(4), "好"),  # 优秀 by score, 降 1 档: 良好
    (case(12, judged=0), "差"),  # 一般
    (case(0, broken=True), "好"),  # 最高 良好: the base caps it at 良好
])
def test_a_derived_scheme_is_graded_inline_as_the_grader_does(evidence: dict[str, object], level: str) -> None:
    rubric = starrules.loads(TEXT.replace("等级 档次, 星级", "等级 对应, 档次"))
    fast = rubric.evaluate(evidence, explain=False)
    assert fast.level("对应").level == level
    assert fast.levels == rubric.evaluate(MappingProxyType(evidence), explain=False).levels


@pytest.mark.parametrize(("evidence", "level", "by_score", "downgrade", "vetoed"), [
    (case(0), "优秀", "优秀", 0, False),  # 6 + 4 = 10 ≥ 8, 按期
    (case(0, on_time=False), "良好", "良好", 0, False),  # 10, but not 按期: 良好
    (case(4), "良好", "优秀", 1, False),  # 6 − 4 × 0.5 + 4 = 8 ≥ 8, 按期; 问题数 ≥ 3: 降 1 档
    (case(0, broken=True), "良好", "优秀", 0, True),  # 否决 … 最高 良好
    (case(0, judged=0), "良好", "良好", 0, False),  # 6 + 0 = 6
    (case(12, judged=0), "一般", "一般", 1, False),  # 6 − 6 = 0: 一般, and 降档 stays at the floor
])
def test_inline_levels_are_the_graders(rubric: starrules.Rubric, evidence: dict[str, object], level: str,
                                       by_score: str, downgrade: int, vetoed: bool) -> None:
    fast = rubric.evaluate(evidence, explain=False)
    assert rubric.evaluator.fast(evidence) is not None  # scored (and graded) by the generated function
    got = fast.level("档次")
    assert (got.level, got.by_score, got.downgrade, got.vetoed) == (level, by_score, downgrade, vetoed)
    reference = rubric.evaluate(MappingProxyType(evidence), explain=False)  # the reference reader and grader
    assert fast.levels == reference.levels  # levels and reasons, under both schemes
    assert fast.level("档次").reasons == reference.level("档次").reasons
    assert [r.levels for r in rubric.evaluate_many([evidence])] == [reference.levels]


def test_reasons_are_written_when_read(rubric: starrules.Rubric) -> None:
    level = rubric.evaluate(case(4), explain=False).level("档次")
    assert level.reasons == ("总分 8 分,达到“优秀”的分数线 8 分", "降档 1 级:问题数 4 >= 3")
    assert "降档 1 级" in repr(level)
    clone = pickle.loads(pickle.dumps(level))
    assert clone == level and hash(clone) == hash(level) and clone.reasons == level.reasons
    assert level == LevelResult("档次", "良好", "优秀", 1, False, level.reasons)
    assert level != LevelResult("档次", "良好", "优秀", 1, False, ())


def results_made(rubric: starrules.Rubric) -> Iterator[starrules.Result]:
    yield rubric.evaluate(case(4))
    yield rubric.evaluate(case(4), explain=False)
    yield rubric.evaluate(MappingProxyType(case(4)))  # the reference, graded afterwards


@pytest.mark.parametrize("index", range(3))
def test_a_graded_result_holds_no_cycle(rubric: starrules.Rubric, index: int) -> None:
    """With the collector off, a dropped result must be freed by reference counting alone."""
    gc.collect()
    gc.disable()
    try:
        result = list(results_made(rubric))[index]
        result.level("档次").reasons, result.sections  # noqa: B018  # read: parts and reasons made
        alive = weakref.ref(result)
        del result
        assert alive() is None
    finally:
        gc.enable()


def test_the_gap_is_read_through_its_result(rubric: starrules.Rubric) -> None:
    result = rubric.evaluate(case(4))
    gap = result.gap["档次"]
    assert gap.next_level == "优秀"  # 良好 after 降档; the next level up
    assert pickle.loads(pickle.dumps(result)).gap == result.gap
