"""Issue 18 §4: a weighted section scores credits achieved over credits applicable — an item that
is 不适用 leaves the section's maximum — so a section can always reach its weight. Worked by hand."""

from __future__ import annotations

from types import MappingProxyType

import pytest

import starrules

TEXT = """标准 加权 {
    满分 100
    事实 无食堂: 是否
    事实 问题: 是否
    类型 管理 20分 权重 40% {
        项目 制度 10分 { 扣 2分 如果 问题 }
        项目 食堂 10分 { 不适用 如果 无食堂 }
    }
    类型 服务 30分 权重 60% {
        项目 窗口 30分 { 不适用 如果 无食堂 且 问题 }
    }
}
"""


@pytest.mark.parametrize(("evidence", "total", "maximum"), [
    # everything applicable: 20/20 × 40 + 30/30 × 60
    ({"无食堂": False, "问题": False}, 100, 100),
    # 食堂 不适用: 管理 10 of an applicable 10 → the full 40 (before: 10/20 × 40 = 20, a 80 maximum)
    ({"无食堂": True, "问题": False}, 100, 100),
    # 扣 2, all applicable: 管理 (8 + 10) / 20 × 40 = 36, 服务 60
    ({"无食堂": False, "问题": True}, 96, 100),
    # 食堂 不适用 and 扣 2: 8 / 10 × 40 = 32; 窗口 不适用 too: 服务 has nothing applicable and adds
    # nothing, to the total or to the maximum (40)
    ({"无食堂": True, "问题": True}, 32, 40),
])
def test_a_weighted_section_is_scored_over_what_applies(evidence: dict[str, bool], total: int,
                                                        maximum: int) -> None:
    rubric = starrules.loads(TEXT)
    for result in (rubric.evaluate(evidence), rubric.evaluate(evidence, explain=False),
                   rubric.evaluate(MappingProxyType(evidence))):
        assert (result.total, result.max) == (total, maximum)
    batch = next(rubric.evaluate_columns([evidence]))
    assert batch.total.tolist() == [2 * total]  # half-point units
