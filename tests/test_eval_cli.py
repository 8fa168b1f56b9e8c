"""`starrules eval / explain / schema / graph`, and results checked against the published JSON Schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from starrules import load, result_schema
from starrules.cli import main

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = ROOT / "rubrics" / "两新争先创优.rubric"
EXAMPLE = ROOT / "rubrics" / "examples" / "两新-示例支部.json"


def test_eval_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(RUBRIC), str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "“两新”党组织争先创优活动评定标准"
    assert "扣 2 分,因为 党员学习学时 30 少于 32(第 80 行)" in out
    lines = out.rstrip().splitlines()
    assert lines[-2].split() == ["总分", "83.5", "100"]
    # 争先创优 (illustrative bands 90/80/60): 83.5 is 良好; 优秀 needs 90 − 83.5 = 6.5 more
    assert lines[-1] == "等级 争先创优:良好,距“优秀”还差 6.5 分"


def test_eval_json_prints_only_the_result(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(RUBRIC), str(EXAMPLE), "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["total"] == 83.5 and captured.err == ""
    jsonschema.validate(data, result_schema())


def test_explain_writes_sentences(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(RUBRIC), str(EXAMPLE)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "标准 两新争先创优:总分 83.5/100分"
    assert "  党员教育培训 4→2分:扣 2 分,因为 党员学习学时 30 少于 32(第 80 行)" in lines
    assert "  组织生活创新 4→3分:酌情给 3 分(县委组织部考核组:尝试了网上组织生活,参与面不广)" in lines
    assert "  组织覆盖 10→10分:未扣分" in lines


def test_evidence_errors_exit_one_with_diagnostics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"党员学习学时": "很多", "配套组织": 9}', encoding="utf-8")
    assert main(["eval", str(RUBRIC), str(bad), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "bad.json:1:2: 错误[E503]: “党员学习学时”应为数值" in captured.err
    assert "错误[E507]: 项目“配套组织”的酌情得分 9 分不在 0–5 分之内" in captured.err
    assert "错误[E501]: 缺少项目“班子职数”的评分" in captured.err


def test_rubric_errors_exit_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "r.rubric"
    broken.write_text("标准 例 { 类型 }", encoding="utf-8")
    assert main(["eval", str(broken), str(EXAMPLE)]) == 1
    assert "错误[E002]" in capsys.readouterr().err


def test_usage_errors_exit_two(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["eval", str(RUBRIC), "branch.xml"])
    assert info.value.code == 2 and "证据文件应为 .json" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["eval", str(RUBRIC)])
    assert info.value.code == 2


def test_schema_command_prints_the_evidence_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", str(RUBRIC)]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert jsonschema.Draft202012Validator(schema).is_valid(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert schema["properties"]["党员学习学时"]["x-unit"] == "学时"
    # no fact of the bundled 两新 rubric has a default (issue 18: safe defaults), so each is required
    assert "班子职数" in schema["required"] and "全年无培训" in schema["required"]


def test_graph_in_mermaid_and_dot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rubric = tmp_path / "r.rubric"
    rubric.write_text("""标准 例 { 事实 甲: 是否
        令 乙 = 非 甲
        类型 组织 5分 { 项目 A 5分 { 不得分 如果 乙 } }
        否决 如果 甲 }""", encoding="utf-8")
    assert main(["graph", str(rubric)]) == 0
    mermaid = capsys.readouterr().out
    assert mermaid.startswith("flowchart LR\n")
    labels = {m.group(2): m.group(1) for m in re.finditer(r'^    (n\d+)\W+"([^"]+)"', mermaid, re.MULTILINE)}
    for source, target in (("事实 甲", "令 乙"), ("项目 A", "类型 组织"), ("合计", "总分"), ("事实 甲", "否决 1")):
        assert f"    {labels[source]} --> {labels[target]}\n" in mermaid
    assert main(["graph", str(rubric), "--format", "dot"]) == 0
    dot = capsys.readouterr().out
    for edge in ('"事实 甲" -> "令 乙"', '"令 乙" -> "子句 A#1"', '"子句 A#1" -> "项目 A"', '"项目 A" -> "类型 组织"',
                 '"类型 组织" -> "合计"', '"合计" -> "总分"', '"事实 甲" -> "否决 1"'):
        assert edge in dot


def test_graph_is_topologically_ordered_for_the_bundled_rubric() -> None:
    graph = load(RUBRIC).graph
    seen: set[str] = set()
    for node in graph.nodes:
        assert all(i in seen or i.startswith("证据 ") for i in node.inputs), node.id
        seen.add(node.id)
    assert graph.nodes[-1].id == "总分"
