"""Every evidence error kind: one EvidenceError with all problems, each naming its key."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import jsonschema
import pytest

from starrules import EvidenceError, loads

RUBRIC = """标准 例 { 精度 0.5
    事实 学时: 数值
    事实 人数: 计数
    事实 满意率: 比例
    事实 违纪: 是否
    事实 领域: 选项(农村, 社区, 机关)
    事实 应到: 计数 默认 1
    令 到会率 = 人数 / 应到
    类型 组织 20分 {
        项目 评议 6分 { 酌情 1分 至 5分 }
        项目 等次 4分 { 分档 [好 4分, 中 2分, 差 0分] }
        项目 选做 5分 { 不适用 如果 领域 = 机关 酌情 }
        项目 到会 5分 { 扣 1分 如果 到会率 少于 0.5 }
    }
}"""
GOOD = {"学时": 32, "人数": 3, "满意率": "85%", "违纪": "否", "领域": "农村", "评议": 4, "等次": "好", "选做": 3}
EVIDENCE_CODES = {"E501", "E502", "E503", "E504", "E505", "E506", "E507", "E508", "E509", "E510", "E511"}


def problems(evidence: object) -> list[tuple[str, str]]:
    with pytest.raises(EvidenceError) as info:
        loads(RUBRIC).evaluate(evidence)  # type: ignore[arg-type]
    return [(d.code, d.message) for d in info.value.diagnostics]


def test_good_evidence_with_every_accepted_spelling() -> None:
    result = loads(RUBRIC).evaluate(GOOD)
    assert result.total == 16  # 4 + 4 + 3 + 5 (到会率 3 is not below 0.5)
    assert dict(result.facts)["满意率"] == Fraction(17, 20)
    for spelling in (True, "true", "是", "TRUE"):
        assert dict(loads(RUBRIC).evaluate({**GOOD, "违纪": spelling}).facts)["违纪"] is True


@pytest.mark.parametrize(("change", "code", "key"), [
    ({"学时": None}, "E503", "学时"),
    ({"学时": "三十"}, "E503", "学时"),
    ({"违纪": 1}, "E503", "违纪"),
    ({"人数": True}, "E503", "人数"),
    ({"人数": -1}, "E504", "人数"),
    ({"人数": 1.5}, "E504", "人数"),
    ({"满意率": 1.2}, "E505", "满意率"),
    ({"满意率": "120%"}, "E505", "满意率"),
    ({"领域": "城市"}, "E506", "领域"),
    ({"领域": 3}, "E503", "领域"),
    ({"评议": 5.5}, "E507", "评议"),
    ({"评议": 0.5}, "E507", "评议"),
    ({"评议": 2.3}, "E508", "评议"),
    ({"评议": "好"}, "E503", "评议"),
    ({"等次": "较好"}, "E509", "等次"),
    ({"评议": {"理由": "无"}}, "E501", "评议"),
    ({"评议": {"得分": 3, "备注": "x"}}, "E502", "备注"),
    ({"学识": 30}, "E502", "学识"),
    ({"到会": 5}, "E502", "到会"),
])
def test_each_problem_names_its_key(change: dict[str, object], code: str, key: str) -> None:
    found = problems({**GOOD, **change})
    assert len(found) == 1 and found[0][0] == code and f"“{key}”" in found[0][1]


def test_missing_facts_and_judgements() -> None:
    found = problems({k: v for k, v in GOOD.items() if k not in ("学时", "评议", "选做")})
    assert [c for c, _ in found] == ["E501", "E501"]
    assert "“学时”" in found[0][1] and "“评议”" in found[1][1]


def test_a_judgement_may_be_left_out_only_when_the_item_is_not_applicable() -> None:
    evidence = {k: v for k, v in GOOD.items() if k != "选做"}
    assert loads(RUBRIC).evaluate({**evidence, "领域": "机关"}).item("选做").applicable is False
    found = problems(evidence)
    assert found[0][0] == "E501" and "“选做”" in found[0][1]


def test_all_problems_at_once_with_did_you_mean() -> None:
    with pytest.raises(EvidenceError) as info:
        loads(RUBRIC).evaluate({**GOOD, "学识": 1, "人数": -2, "领域": "农场"})
    codes = sorted(d.code for d in info.value.diagnostics)
    assert codes == ["E502", "E504", "E506"]
    unknown = next(d for d in info.value.diagnostics if d.code == "E502")
    assert unknown.hint == "你是不是想写“学时”?"


def test_division_by_zero_points_at_the_rubric() -> None:
    found = problems({**GOOD, "应到": 0})
    assert found == [("E510", "按这份证据计算时除数为 0")]
    with pytest.raises(EvidenceError) as info:
        loads(RUBRIC, filename="例.rubric").evaluate({**GOOD, "应到": 0})
    assert info.value.span.line == 8 and info.value.span.file == "例.rubric"


def test_evidence_file_errors_show_the_line(tmp_path: Path) -> None:
    file = tmp_path / "e.json"
    file.write_text('{\n  "学时": 32,\n  "人数": -1\n}', encoding="utf-8")
    with pytest.raises(EvidenceError) as info:
        loads(RUBRIC).evaluate(file)
    first = next(d for d in info.value.diagnostics if d.code == "E504")
    assert (first.span.line, first.span.column) == (3, 3)
    assert "3 |   \"人数\": -1" in first.render()


@pytest.mark.parametrize(("content", "words"), [
    ("{\"学时\": 3", "不是有效的 JSON"), ("[1, 2]", "应当是一个对象"), ('{"学时": NaN}', "不是有效的 JSON"),
])
def test_unreadable_evidence_files(tmp_path: Path, content: str, words: str) -> None:
    file = tmp_path / "e.json"
    file.write_text(content, encoding="utf-8")
    with pytest.raises(EvidenceError) as info:
        loads(RUBRIC).evaluate(file)
    assert info.value.code == "E511" and words in info.value.diagnostics[0].message


def test_missing_evidence_file(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError) as info:
        loads(RUBRIC).evaluate(tmp_path / "none.json")
    assert info.value.code == "E511" and "文件不存在" in str(info.value)


def test_every_evidence_code_is_tested_here() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    assert all(f'"{code}"' in source for code in EVIDENCE_CODES)


def test_evidence_schema_accepts_good_and_rejects_bad_evidence() -> None:
    schema = loads(RUBRIC).evidence_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(GOOD)
    assert validator.is_valid({**GOOD, "评议": {"得分": 3.5, "理由": "较好", "评分人": "张三"}})
    assert set(schema["required"]) == {"学时", "人数", "满意率", "违纪", "领域", "评议", "等次"}
    for bad in ({**GOOD, "人数": -1}, {**GOOD, "满意率": 1.5}, {**GOOD, "领域": "城市"}, {**GOOD, "评议": 5.5},
                {**GOOD, "评议": 2.25}, {**GOOD, "等次": "较好"}, {**GOOD, "学识": 1},
                {k: v for k, v in GOOD.items() if k != "学时"}):
        assert not validator.is_valid(bad), bad
