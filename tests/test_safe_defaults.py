"""Safe defaults (issue 18): no bundled rubric gives a compliance fact a default. A default of 是 on “did the
right thing”, 否 on “something bad happened”, 0 on a count of problems or a high rate would score a form left
unfilled as a good branch; without one, the missing fact is an evidence error (E501) and every missing fact is
listed at once. Only a neutral default — not a compliance judgement — may stay, on the allow-list below with its
reason (and argued in a comment in its rubric)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import starrules
from starrules import EvidenceError
from starrules.lang import ast

RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"
BUNDLED = ["两新争先创优", "村社区争先创优", "机关达标创星", "五好党支部", "机关星级评定", "学院分类定级"]

# (file, 标准, 事实) → why its default is neutral, one line each. None today: every fact of every bundled
# standard is filled in by the assessor.
NEUTRAL_DEFAULTS: dict[tuple[str, str, str], str] = {}


def files() -> list[Path]:
    return sorted(RUBRICS.glob("*.rubric"))


def standards(path: Path) -> dict[str, starrules.Rubric]:
    report = starrules.check_file(path)
    assert not report.errors, [d.render() for d in report.errors]
    return report.rubrics


def test_all_six_bundled_rubrics_are_covered() -> None:
    assert set(BUNDLED) <= {p.stem for p in files()}


@pytest.mark.parametrize("path", files(), ids=lambda p: p.stem)
def test_no_fact_has_a_default_unless_it_is_neutral(path: Path) -> None:
    defaulted = [(path.stem, name, fact) for name, rubric in standards(path).items()
                 for fact, spec in rubric.facts.items() if spec.default is not None]
    assert [key for key in defaulted if key not in NEUTRAL_DEFAULTS] == []


def test_every_allowed_default_exists_and_has_a_reason() -> None:
    for (file, name, fact), reason in NEUTRAL_DEFAULTS.items():
        assert reason.strip()
        assert starrules.load(RUBRICS / f"{file}.rubric", name).facts[fact].default is not None, (file, name, fact)


def value(spec: Any) -> object:
    """A valid value of the fact's type (the best one for a rate)."""
    kind = spec.type.kind
    return spec.type.choices[0] if kind == "choice" else {"bool": True, "count": 0, "number": 100, "ratio": 1}[kind]


def two_facts(rubric: starrules.Rubric) -> dict[str, object]:
    """Two facts given, rates first (the satisfaction rates of 机关星级评定), else the first two declared."""
    names = sorted(rubric.facts, key=lambda n: rubric.facts[n].type.kind != "ratio")[:2]
    given = {n: value(rubric.facts[n]) for n in names}
    applies = rubric.applies  # a 领域's standard (适用 如果 领域 = 社区): a branch it is for, else E521 comes first
    if applies is not None:
        assert isinstance(applies.condition, ast.Compare) and isinstance(applies.condition.left, ast.NameRef)
        assert isinstance(applies.condition.right, ast.NameRef)
        given[applies.condition.left.name] = applies.condition.right.name
    return given


def required(file: str, rubric: starrules.Rubric, given: dict[str, object]) -> set[str]:
    """Every fact but an allowed neutral default, and every 酌情/分档 item (none is 不适用 in the bundled
    rubrics), less `given`."""
    facts = {n for n in rubric.facts if (file, rubric.name, n) not in NEUTRAL_DEFAULTS}
    judged = {i.name for i in rubric.items if any(isinstance(c, (ast.Judged, ast.Grades)) for c in i.clauses)
              and not any(isinstance(c, ast.NotApplicable) for c in i.clauses)}
    return (facts | judged) - set(given)


MISSING = re.compile(r"^缺少(?:事实“(.*)”\(|项目“(.*)”的评分\()")  # E501: 缺少事实“X”(…) / 缺少项目“X”的评分(…)


def missing_names(error: EvidenceError) -> list[str]:
    """The fact or item each E501 names."""
    names = []
    for diagnostic in error.diagnostics:
        found = MISSING.match(diagnostic.message)
        assert diagnostic.code == "E501" and found, diagnostic.render()
        names.append(found.group(1) if found.group(1) is not None else found.group(2))
    return names


@pytest.mark.parametrize("path", files(), ids=lambda p: p.stem)
def test_two_facts_alone_are_refused_with_every_other_one_listed(path: Path) -> None:
    """Each standard, given only two facts (on each rater's sheet when it has raters), is refused: the
    EvidenceError lists every other required fact and 酌情/分档 item, not just the first one."""
    for name, rubric in standards(path).items():
        given = two_facts(rubric)
        raters = [e.name for e in rubric.raters.entries if isinstance(e, ast.RaterWeight)] if rubric.raters else []
        evidence = {rater: dict(given) for rater in raters} if raters else given
        with pytest.raises(EvidenceError) as info:
            rubric.evaluate(evidence)
        named = missing_names(info.value)
        assert set(named) == required(path.stem, rubric, given), name
        assert len(named) > 2, name  # far more than one missing: all of them at once


def test_filling_only_two_satisfaction_rates_does_not_make_five_stars() -> None:
    rubric = starrules.load(RUBRICS / "机关星级评定.rubric")
    rates = [n for n, spec in rubric.facts.items() if spec.type.kind == "ratio"]
    assert rates == ["党员满意率", "群众满意率"]
    with pytest.raises(EvidenceError) as info:
        rubric.evaluate({"党员满意率": "100%", "群众满意率": "100%"})
    assert set(missing_names(info.value)) == set(rubric.facts) - set(rates)  # all 35 other facts (机关星级评定 has no 酌情 item)


def test_a_missing_fact_is_to_be_filled_not_defaulted() -> None:
    """E501's hint tells whoever fills the evidence to give the fact; it no longer suggests a 默认
    (a favourable default is what this file forbids)."""
    rubric = starrules.loads("标准 R { 事实 按期换届: 是否  类型 S 2分 { 项目 I 2分 { 扣 2分 如果 非 按期换届 } } }")
    with pytest.raises(EvidenceError) as raised:
        rubric.evaluate({})
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.code == "E501" and diagnostic.message == "缺少事实“按期换届”(是否(是/否、true/false))"
    assert diagnostic.hint == "在证据中填上 \"按期换届\": …(没有默认值的事实必须填写,空着不会按有利的一方计分)"
    assert "默认”" not in (diagnostic.hint or "")
