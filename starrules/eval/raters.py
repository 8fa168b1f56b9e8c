"""Scoring with several raters (综合, LANGUAGE.md §9): one fact sheet per rater, each scored
on its own, combined by exact weights and rounded once; `以 X 为准` lets one rater's sheet,
when present, stand for the whole."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs

from ..lang import ast
from ..core.diagnostics import EvidenceError
from ..plan.evidence import RESERVED_KEYS, Locate, identifier_text, open_evidence, read_history, read_year
from ..check.model import CheckedRubric
from ..core.numbers import Exact, Grid
from ..core.reporter import Reporter, did_you_mean
from .result import Context, Detail, ItemResult, Result
from .evaluator import evaluator_for


def evaluate_branch(rubric: CheckedRubric, evidence: Mapping[str, Any] | str | os.PathLike[str], explain: bool) -> Result:
    """One branch's ungraded result: its single fact sheet, or its raters combined."""
    return evaluate_located(rubric, *open_evidence(evidence, rubric.limits), explain)


def evaluate_located(rubric: CheckedRubric, data: object, locate: Locate, reporter: Reporter, explain: bool) -> Result:
    if rubric.raters is None:
        return evaluator_for(rubric).run(data, locate, reporter, explain, rubric)
    return _combined(rubric, rubric.raters, data, locate, reporter, explain)


def _combined(rubric: CheckedRubric, raters: ast.Raters, data: object, locate: Locate, reporter: Reporter,
              explain: bool) -> Result:
    weights = {e.name: e.weight.value for e in raters.entries if isinstance(e, ast.RaterWeight)}
    override = next((e.name for e in raters.entries if isinstance(e, ast.RaterOverride)), None)
    names = list(dict.fromkeys([*weights, *([override] if override else [])]))  # the override may be weighted too
    sheets = _sheets(data, names, weights, locate, reporter)
    history = read_history(sheets, locate, reporter)
    year = read_year(sheets, history, locate, reporter)
    if reporter.errors:
        raise EvidenceError(reporter.errors)
    results = {name: evaluator_for(rubric).run(sheets[name], _within(name, locate), reporter, explain, rubric)
               for name in names if name in sheets}
    identifier = sheets.get("id")
    if override is not None and override in results:
        combined = results[override]
    elif len(weights) == 1:  # one sheet weighted 100%: its own result, with its trace and scheme values
        combined = results[next(iter(weights))]
    else:
        combined = _weighted(evaluator_for(rubric).grid, [(results[n], w) for n, w in weights.items()])
    return attrs.evolve(combined, context=Context(history, results, year), id=identifier_text(identifier))


def _sheets(data: object, names: list[str], weights: Mapping[str, Fraction], locate: Locate,
            reporter: Reporter) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        reporter.report("E511", "有多个评价主体时,证据应当是一个对象({\"评价主体\": {…事实…}, …})", locate(""))
        return {}
    for key, sheet in data.items():
        if key in RESERVED_KEYS:
            continue
        if key not in names:
            reporter.report("E502", f"未知的评价主体“{key}”", locate(str(key)),
                            did_you_mean(str(key), names) or f"本标准的评价主体:{'、'.join(names)}")
        elif not isinstance(sheet, Mapping):
            reporter.report("E503", f"评价主体“{key}”的评分表应为对象(事实名: 值)", locate(str(key)))
    for name in weights:
        if name not in data:
            reporter.report("E501", f"缺少评价主体“{name}”的评分表", locate(name),
                            f"证据写成 {{\"{name}\": {{…事实…}}, …}}")
    return data


def _within(rater: str, locate: Locate) -> Locate:
    return lambda path: locate(f"{rater}.{path}" if path else rater)


def _weighted(grid: Grid, parts: Sequence[tuple[Result, Fraction]]) -> Result:
    """Every score the exact weighted sum of the raters' scores, rounded once (四舍五入)."""
    def mix(values: Sequence[Exact]) -> Exact:
        return grid.points(grid.round_units(sum((v * w for v, (_, w) in zip(values, parts)), Fraction(0))))

    results = [r for r, _ in parts]
    sections = []
    for group in zip(*(r.sections for r in results)):
        first = group[0]
        items = tuple(ItemResult(i[0].name, mix([x.score for x in i]), mix([x.max for x in i]),
                                 any(x.applicable for x in i), (), i[0].line)
                      for i in zip(*(s.items for s in group)))
        score = mix([s.score for s in group])
        # raters may count different paths of a 取其高 / 任选其一: each rater's own result shows its own
        sections.append(attrs.evolve(first, score=score, max=mix([s.max for s in group]), items=items,
                                     passed=None if first.pass_line is None else score >= first.pass_line,
                                     choices=()))
    vetoes = tuple(next((v for v in group if v.fired), group[0]) for group in zip(*(r.vetoes for r in results)))
    last = results[-1]  # level conditions read the facts of the last rater listed (usually the superior)
    # the last rater's kept scheme values hold its own scores, not these: they are read from the sections
    return attrs.evolve(last, total=mix([r.total for r in results]), max=mix([r.max for r in results]),
                        vetoed=any(v.fired for v in vetoes),
                        detail=Detail(tuple(sections), vetoes, last.facts, last.derived,
                                      warnings=tuple(w for r in results for w in r.warnings)))

