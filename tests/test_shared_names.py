"""An item may share its own section's name (a one-item section named like its item, common in
real 评分表): `@名称` then reads the item, in every engine. Expected values worked out by hand."""

from __future__ import annotations

from types import MappingProxyType

import pytest

import starrules
from starrules import RubricCheckError

TEXT = """标准 同名 {
    满分 20
    等级 档
    事实 按期: 是否
    事实 违规: 是否
    令 组织分 = @组织生活
    类型 组织生活 10分 {
        项目 组织生活 10分 {
            扣 12分 如果 非 按期
            可倒扣
        }
    }
    类型 纪律 10分 {
        项目 守纪 10分 {
            扣 4分 如果 违规
            加 1分 如果 组织分 < 0
        }
    }
}
等级 档 {
    好 >= 15分 且 @组织生活 >= 10
    中 >= 10分 且 @组织生活 >= -5
    差
}
"""


@pytest.mark.parametrize(("evidence", "item", "section", "total", "level"), [
    ({"按期": True, "违规": False}, 10, 10, 20, "好"),
    # 组织生活 10 − 12 = −2 (可倒扣), its section 0; 组织分 reads the item: −2 < 0, so 守纪 10 − 4 + 1 = 7
    ({"按期": False, "违规": True}, -2, 0, 7, "差"),
])
def test_at_name_reads_the_item_in_every_engine(evidence: dict[str, bool], item: int, section: int, total: int,
                                                level: str) -> None:
    rubric = starrules.loads(TEXT)
    for result in (rubric.evaluate(evidence), rubric.evaluate(evidence, explain=False),
                   rubric.evaluate(MappingProxyType(evidence))):
        assert (result.item("组织生活").score, result.section("组织生活").score) == (item, section)
        assert (result.total, result.level("档").level) == (total, level)
    batch = next(rubric.evaluate_columns([evidence]))
    assert batch.total.tolist() == [2 * total]  # half-point units
    assert list(batch.levels["档"]) == [level]


@pytest.mark.parametrize("text", [
    # two items with the section's name
    "类型 甲 10分 { 项目 甲 5分 { 起评 5分 } 项目 甲 5分 { 起评 5分 } }",
    # an item named like another section
    "类型 甲 5分 { 项目 乙 5分 { 起评 5分 } } 类型 乙 5分 { 项目 丙 5分 { 起评 5分 } }",
])
def test_other_clashes_are_still_e202(text: str) -> None:
    with pytest.raises(RubricCheckError) as caught:
        starrules.loads(f"标准 冲突 {{ {text} }}")
    assert [d.code for d in caught.value.diagnostics] == ["E202"]


def test_a_cycle_through_a_shared_section_is_found() -> None:
    """乙 reads 未达标类型数, which reads section 甲's score, which adds 乙: E406."""
    text = ("标准 环 { 事实 x: 是否 类型 甲 10分 达标 6分 { 项目 甲 5分 { 起评 5分 } "
            "项目 乙 5分 { 扣 1分 如果 未达标类型数 > 0 } } }")
    with pytest.raises(RubricCheckError) as caught:
        starrules.loads(text)
    assert "E406" in [d.code for d in caught.value.diagnostics]
