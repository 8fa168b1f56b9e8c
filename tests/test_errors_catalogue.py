"""docs/errors.md lists every code the package defines, and each entry's example triggers its
code when run (or the entry names an existing test that does)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from starrules import Diagnostic, Limits, StarrulesError, check_file, load
from starrules.core.diagnostics import CODES

CATALOGUE = Path(__file__).resolve().parent.parent / "docs" / "errors.md"
TEXT = CATALOGUE.read_text(encoding="utf-8")
ENTRY = re.compile(r"^### ([EW]\d{3}) (.+?)\n(.*?)(?=^##|\Z)", re.MULTILINE | re.DOTALL)
BLOCK = re.compile(r"^```(rubric|json|jsonl|csv) (示例|证据)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
TEST_NAMED = re.compile(r"触发它的测试:`(tests/[\w/]+\.py)::(\w+)`")
ENTRIES = {code: (title, body) for code, title, body in ENTRY.findall(TEXT)}


def test_every_code_is_in_the_catalogue_under_its_title() -> None:
    assert {code: title for code, (title, _) in ENTRIES.items()} == CODES
    headings = re.findall(r"^### ([EW]\d{3})", TEXT, re.MULTILINE)
    assert headings == sorted(headings, key=lambda c: (c[0] == "W", c))  # in order, errors first


def run_example(body: str, folder: Path) -> list[Diagnostic]:
    """Write the entry's files, check the first rubric, then load it and score its evidence."""
    limits: dict[str, int] = {}
    entry: Path | None = None
    evidence: Path | None = None
    for kind, _, options, text in BLOCK.findall(body):
        settings = dict(option.split("=", 1) for option in options.split())
        name = settings.pop("file", None) or ("示例.rubric" if kind == "rubric" else f"证据.{kind}")
        limits.update({key: int(value) for key, value in settings.items()})
        (folder / name).write_text(text, encoding="utf-8")
        if kind == "rubric":
            entry = entry or folder / name
        else:
            evidence = folder / name
    assert entry is not None, "an example needs a rubric"
    bounds = Limits(**limits)
    report = check_file(entry, limits=bounds)
    if report.errors:
        return list(report.diagnostics)
    try:
        rubric = load(entry, limits=bounds)
        if evidence is None:
            return list(report.diagnostics)
        if evidence.suffix == ".json":
            rubric.evaluate(evidence)
            return []
        return [d for row in rubric.evaluate_many(evidence, errors="collect") for d in getattr(row, "diagnostics", ())]
    except StarrulesError as exc:
        return list(exc.diagnostics)


@pytest.mark.parametrize("code", sorted(ENTRIES))
def test_each_entry_triggers_its_code(code: str, tmp_path: Path) -> None:
    _, body = ENTRIES[code]
    assert "含义" in body and ("改法" in body or code.startswith("W"))
    named = TEST_NAMED.search(body)
    if named:
        file, function = named.groups()
        source = (CATALOGUE.parent.parent / file).read_text(encoding="utf-8")
        assert f"def {function}(" in source and f'"{code}"' in source
        return
    found = run_example(body, tmp_path)
    assert code in [d.code for d in found], "\n\n".join(d.render() for d in found)


def test_the_rendering_shown_at_the_top_is_real(tmp_path: Path) -> None:
    shown = re.search(r"```text\n(.*?)```", TEXT, re.DOTALL)
    assert shown is not None
    found = run_example(ENTRIES["E201"][1], tmp_path)
    assert found[0].render().replace(str(tmp_path) + "/", "") + "\n" == shown.group(1)

