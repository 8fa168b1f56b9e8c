"""Every ```rubric example in docs/ checks without errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from starrules import check_text

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"```rubric\n(.*?)```", re.DOTALL)
EXAMPLES = [(path.name, index, block) for path in sorted(DOCS.glob("*.md"))
            for index, block in enumerate(BLOCK.findall(path.read_text(encoding="utf-8")))]


def test_language_reference_has_examples() -> None:
    assert sum(1 for name, _, _ in EXAMPLES if name == "language.md") >= 9


@pytest.mark.parametrize(("name", "index", "text"), EXAMPLES, ids=[f"{n}#{i}" for n, i, _ in EXAMPLES])
def test_example_checks_without_errors(name: str, index: int, text: str) -> None:
    report = check_text(text, f"{name}#{index}")
    assert report.errors == (), "\n".join(d.render() for d in report.errors)


PYTHON = re.compile(r"```python\n(# runs as a test.*?)```", re.DOTALL)
CONSOLE = re.compile(r"```text\n(\$ starrules .*?)```", re.DOTALL)


@pytest.mark.parametrize("code", [b for p in sorted(DOCS.glob("*.md")) for b in PYTHON.findall(p.read_text("utf-8"))])
def test_python_examples_run(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DOCS.parent)
    exec(compile(code, "docs example", "exec"), {})


CONSOLE_EXAMPLES = [b for p in sorted(DOCS.glob("*.md")) for b in CONSOLE.findall(p.read_text("utf-8"))]


def test_every_command_is_documented_with_a_running_example() -> None:
    commands = {block.split()[2] for block in CONSOLE_EXAMPLES}
    assert {"check", "eval", "explain", "schema", "graph", "rank", "template", "report"} <= commands


@pytest.mark.parametrize("block", CONSOLE_EXAMPLES, ids=[b.split()[2] for b in CONSOLE_EXAMPLES])
def test_console_examples_print_what_the_docs_show(block: str, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Each shown line (up to an elision mark …) is printed, in order. A command that ends with
    `# 退出码 N` must exit with N, and its shown lines are looked for in stdout and stderr."""
    from starrules.cli import main
    monkeypatch.chdir(DOCS.parent)
    command, *shown = block.rstrip("\n").split("\n")
    command, _, status = command.partition("  # 退出码 ")
    assert main(command.split()[2:]) == int(status or 0)
    captured = capsys.readouterr()
    printed = (captured.out + captured.err if status else captured.out).split("\n")
    position = 0
    for line in shown:
        if line == "…":
            continue
        position = printed.index(line, position) + 1


def test_result_schema_examples_match_real_output() -> None:
    from starrules import load
    text = (DOCS / "result-schema.md").read_text("utf-8")
    top, first_item, grading = (json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, re.DOTALL))
    result = load(DOCS.parent / "rubrics" / "两新争先创优.rubric").evaluate(
        DOCS.parent / "rubrics" / "examples" / "两新-示例支部.json").to_dict()
    assert {k: result[k] for k in top} == top
    assert result["sections"][0]["items"][0] == first_item
    assert {k: result[k] for k in grading} == grading
