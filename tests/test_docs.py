"""Every ```rubric example in docs/ checks without errors."""

from __future__ import annotations

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
