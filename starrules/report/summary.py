"""The figures of `starrules report`: the 一览表 (one row per branch: sections — each followed by its
groups, 组织建设/班子建设 — total, levels after 名额, marks, consequences, rank), the 汇总表 (how
many branches reached each level, and what share, per group) and, for a rubric whose `综合` has `以 X 为准`, the 评价主体对照 (each item as
every rater scored it beside X's score, and X's minus each other's). Shares are rounded half up
to 0.1% for display; every count is exact."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import attrs

from ..check.model import CheckedRubric
from ..lang import ast
from ..core.numbers import Exact
from ..grade.ranking import Ranking, rank
from ..io.records import records
from ..eval.result import Result, SectionResult
from ..grade.grading import grader_for, result_values
from ..check.schemes import resolve_scheme

ALL = "合计"


@attrs.frozen
class BranchRow:
    rank: int
    id: str | None
    name: str | None
    group: str | None
    sections: tuple[Exact, ...]  # one per Summary.section_names: each section, then its groups
    total: Exact
    levels: tuple[str, ...]  # per scheme, after 名额
    marks: tuple[str, ...]
    vetoed: bool
    consequences: tuple[str, ...]
    result: Result = attrs.field(eq=False, repr=False)
    comparison: Comparison | None = None  # the raters side by side, when X of `以 X 为准` and another rater scored it
    rater_totals: tuple[Exact | None, ...] = ()  # one per Summary.raters: each rater's own total (None: no sheet)


@attrs.frozen
class RaterLine:
    """One line of a 评价主体对照: an item (or the 总分, with no section), its points, each rater's
    score (None: not applicable) and the deciding rater's score minus each other rater's."""

    section: str | None  # its section, or the group it is in by path (组织建设/班子建设)
    item: str
    max: Exact
    scores: tuple[Exact | None, ...]  # one per Comparison.raters
    differences: tuple[Exact | None, ...]  # one per Comparison.others


@attrs.frozen
class Comparison:
    """A branch scored by the rater of `以 X 为准` (whose result is the branch's) and by others."""

    deciding: str
    raters: tuple[str, ...]  # the others in the rubric's order, then the deciding rater
    lines: tuple[RaterLine, ...]  # every item in order, then the 总分

    @property
    def others(self) -> tuple[str, ...]:
        return self.raters[:-1]


@attrs.frozen
class Tally:
    """Counts per level of one scheme, for each group and for all branches (the last row)."""

    scheme: str
    levels: tuple[str, ...]  # best first
    rows: tuple[tuple[str, tuple[int, ...]], ...]  # (group, count per level); the last is 合计
    # (rater, count per level) by each rater's own sheet graded alone (no 名额 or 倒排), for a rubric with raters
    by_rater: tuple[tuple[str, tuple[int, ...]], ...] = ()

    @property
    def overall(self) -> tuple[int, ...]:
        """The counts over all branches (the 合计 row)."""
        return self.rows[-1][1]

    @staticmethod
    def share(count: int, of: int) -> Decimal:
        """count / of as a fraction rounded half up to 0.1% (0.3333… → 0.333)."""
        return (Decimal(count) / Decimal(of)).quantize(Decimal("0.001"), ROUND_HALF_UP) if of else Decimal(0)


@attrs.frozen
class Summary:
    rubric: CheckedRubric  # the one standard, or the first of a family (its schemes, ranking and layout)
    schemes: tuple[str, ...]
    section_names: tuple[str, ...]  # each section, then its groups by path (组织建设/班子建设), as written
    rows: tuple[BranchRow, ...]  # in rank order under the first scheme
    tallies: tuple[Tally, ...]
    group_by: str | None
    # every standard that scored a branch, by name: one, or a family's (a standard per 领域)
    rubrics: dict[str, CheckedRubric] = attrs.field(factory=dict)
    raters: tuple[str, ...] = ()  # the rubric's raters (综合), in its order: a column each in the 一览表

    @property
    def grouped(self) -> tuple[tuple[str | None, tuple[BranchRow, ...]], ...]:
        """The rows by group, each group in rank order, the groups in the order their best branch ranks
        (one group None, all rows, without `group_by`); a branch without the fact is in group None, last."""
        if self.group_by is None:
            return ((None, self.rows),)
        names = list(dict.fromkeys(row.group for row in self.rows if row.group is not None))
        found = [(name, tuple(row for row in self.rows if row.group == name)) for name in names]
        rest = tuple(row for row in self.rows if row.group is None)
        return (*found, *([(None, rest)] if rest else []))

    @property
    def title(self) -> str:
        """The standard's title; for a family, what its members' titles share (“五好党支部”创建标准)."""
        titles = [r.title or r.name for r in self.rubrics.values()] or [self.rubric.title or self.rubric.name]
        shared = os.path.commonprefix(titles).rstrip("(( ")
        return titles[0] if len(titles) == 1 else shared or self.rubric.name

    @property
    def subject(self) -> str:
        """What the branches are, in the report's words (the standard's 主体; 党支部 by default)."""
        return self.rubric.subject

    @property
    def mixed(self) -> bool:
        """Branches were scored by more than one standard (a family): the listing names each one's."""
        return len(self.rubrics) > 1

    def rubric_of(self, result: Result) -> CheckedRubric:
        return self.rubrics.get(result.rubric, self.rubric)


def summarise(rubric: CheckedRubric, results: Sequence[Result], schemes: Sequence[str], names: dict[str, str] | None = None,
              group_by: str | None = None, members: Sequence[CheckedRubric] = (), within: str | None = None) -> Summary:
    """`members`: a family's standards (each branch's result names the one that scored it);
    their sections and schemes must be the same (ValueError otherwise). `group_by` is a fact of the
    standard (a 党总支 to group by is declared as one: evidence carries nothing else)."""
    family = {r.name: r for r in members} or {rubric.name: rubric}
    for other in family.values():
        mine = list(_column_names(rubric.sections)), list(rubric.schemes)
        theirs = list(_column_names(other.sections)), list(other.schemes)
        if theirs != mine:
            raise ValueError(f"标准“{other.name}”的类型或等级方案与“{rubric.name}”不同,不能合成一份报表:"
                             f"{'、'.join(theirs[0])}({'、'.join(theirs[1])})对 {'、'.join(mine[0])}({'、'.join(mine[1])})")
    if group_by is not None and group_by not in rubric.facts:
        raise ValueError(f"分组用的“{group_by}”不是本标准的事实;可用的事实:{'、'.join(rubric.facts)}")
    rankings = [rank(results, scheme, rubric=rubric, within=within) for scheme in schemes]  # `within`: per value
    raters = rater_names(rubric)
    placed = [{id(b.result): b for b in ranking.branches} for ranking in rankings]
    section_names = tuple(name for s in results[0].sections for name, _ in _scored_columns(s)) if results else ()
    rows = []
    for branch in rankings[0].branches:
        result = branch.result
        ranked = {scheme: p[id(result)] for scheme, p in zip(schemes, placed)}
        levels = {scheme: b.level for scheme, b in ranked.items()}  # after 名额, a 基于 scheme following its base
        group = dict(result.facts).get(group_by) if group_by else None
        measures = [c.text for scheme in schemes for c in grader_for(rubric, scheme).measures(result, levels[scheme])]
        rows.append(BranchRow(branch.rank, result.id, (names or {}).get(result.id or ""),
                              None if group is None else str(group),
                              tuple(score for s in result.sections for _, score in _scored_columns(s)),
                              result.total, tuple(levels[scheme] for scheme in schemes),
                              tuple(dict.fromkeys(m for b in ranked.values() for m in b.marks)), result.vetoed,
                              tuple(measures), result, rater_comparison(rubric, result),
                              tuple(_rater_total(result, name) for name in raters)))
    tallies = tuple(_tally(rubric, ranking, n, rows, raters) for n, ranking in enumerate(rankings))
    return Summary(rubric, tuple(schemes), section_names, tuple(rows), tallies, group_by, family, raters)


def _rater_total(result: Result, rater: str) -> Exact | None:
    own = result.raters.get(rater)
    return None if own is None else own.total


GROUP_SEPARATOR = "/"  # a group's column in the 一览表: 组织建设/班子建设


def _scored_columns(section: SectionResult, within: str = "") -> Iterator[tuple[str, Exact]]:
    """The 一览表's columns of a section: its own score, then each group's (by path), as written."""
    name = within + section.name
    yield name, section.score
    for group in section.groups:
        yield from _scored_columns(group, name + GROUP_SEPARATOR)


def _column_names(sections: Sequence[ast.Section], within: str = "") -> Iterator[str]:
    """The same columns read from the rubric (a family's standards must share them)."""
    for section in sections:
        yield within + section.name
        yield from _column_names(section.groups, within + section.name + GROUP_SEPARATOR)


def deciding_rater(rubric: CheckedRubric) -> str | None:
    """X of the rubric's `以 X 为准`, if it has one."""
    if rubric.raters is None:
        return None
    return next((e.name for e in rubric.raters.entries if isinstance(e, ast.RaterOverride)), None)


def sheet_result(rubric: CheckedRubric, result: Result) -> Result:
    """The fact sheet whose scores are the branch's, with its trace: the deciding rater's own result
    when its sheet is there, or the only weighted rater's (at 100%); otherwise the result itself."""
    if not result.raters or rubric.raters is None:
        return result
    deciding = deciding_rater(rubric)
    if deciding is not None and deciding in result.raters:
        return result.raters[deciding]
    weighted = [e.name for e in rubric.raters.entries if isinstance(e, ast.RaterWeight)]
    return result.raters[weighted[0]] if len(weighted) == 1 and weighted[0] in result.raters else result


def scoring_basis(rubric: CheckedRubric, result: Result) -> str | None:
    """Whose sheet the branch's scores come from, in words (None for a rubric without 综合)."""
    if rubric.raters is None or not result.raters:
        return None
    deciding = deciding_rater(rubric)
    if deciding is not None and deciding in result.raters:
        return f"{deciding}(以 {deciding} 为准)"
    weights = [(e.name, e.weight.text) for e in rubric.raters.entries if isinstance(e, ast.RaterWeight)]
    missing = f"(没有{deciding}的评分表)" if deciding is not None else ""
    if len(weights) == 1:
        return f"{weights[0][0]}{missing}"
    return "按权重综合 " + "、".join(f"{name} {weight}%" for name, weight in weights) + missing


def rater_comparison(rubric: CheckedRubric, result: Result) -> Comparison | None:
    """The raters' scores side by side, when the deciding rater and at least one other scored the branch."""
    deciding = deciding_rater(rubric)
    if rubric.raters is None or deciding is None or deciding not in result.raters or len(result.raters) < 2:
        return None
    order = dict.fromkeys(e.name for e in rubric.raters.entries)
    names = (*(n for n in order if n in result.raters and n != deciding), deciding)
    sheets = [result.raters[n] for n in names]
    found = [{(s.name, i.name): i for s in sheet.sections for i in s.items} for sheet in sheets]
    lines = []
    for section in sheets[-1].sections:
        homes = _item_homes(section)
        for item in section.items:  # every item once, its groups' too
            own = [f[(section.name, item.name)] for f in found]
            lines.append(_line(homes[item.name], item.name, max(i.max for i in own),
                               [i.score if i.applicable else None for i in own]))
    lines.append(_line(None, "总分", sheets[-1].max, [r.total for r in sheets]))
    return Comparison(deciding, names, tuple(lines))


def _item_homes(section: SectionResult, within: str = "") -> dict[str, str]:
    """Item name → where it is written: its section, or its innermost group by path (组织建设/班子建设)."""
    name = within + section.name
    homes = {item.name: name for item in section.items}
    for group in section.groups:
        homes.update(_item_homes(group, name + GROUP_SEPARATOR))
    return homes


def _line(section: str | None, item: str, points: Exact, scores: list[Exact | None]) -> RaterLine:
    last = scores[-1]
    return RaterLine(section, item, points, tuple(scores),
                     tuple(None if last is None or s is None else last - s for s in scores[:-1]))


def rater_names(rubric: CheckedRubric) -> tuple[str, ...]:
    """The raters of the rubric's 综合, each once, in the order written (none without 综合)."""
    if rubric.raters is None:
        return ()
    return tuple(dict.fromkeys(entry.name for entry in rubric.raters.entries))


def _tally(rubric: CheckedRubric, ranking: Ranking, position: int, rows: Sequence[BranchRow],
           raters: Sequence[str]) -> Tally:
    levels = resolve_scheme(rubric, ranking.scheme).levels
    groups = list(dict.fromkeys(row.group for row in rows if row.group is not None))
    counted = []
    for group in [*groups, None]:
        members = [row for row in rows if group is None or row.group == group]
        counted.append((ALL if group is None else group,
                        tuple(sum(1 for row in members if row.levels[position] == level) for level in levels)))
    by_rater = []
    for rater in raters:  # each rater's own sheets, graded as if alone: what 自评 or 测评 would have made
        reached = [_level_alone(rubric, ranking.scheme, row.result.raters[rater]) for row in rows
                   if rater in row.result.raters]
        by_rater.append((rater, tuple(reached.count(level) for level in levels)))
    return Tally(ranking.scheme, levels, tuple(counted), tuple(by_rater))


def _level_alone(rubric: CheckedRubric, scheme: str, sheet: Result) -> str:
    """The level one rater's sheet reaches by itself (a rater's result carries no levels)."""
    graded = sheet.levels.get(scheme)
    return graded.level if graded is not None else grader_for(rubric, scheme).grade(sheet, result_values(sheet)).level


def branch_names(path: str | os.PathLike[str], rubric: CheckedRubric) -> dict[str, str]:
    """id → 名称 of the records of a batch file (results keep only the id)."""
    found: dict[str, str] = {}
    for record in records(Path(path), rubric.limits):
        data = record.data or {}
        name = data.get("名称", data.get("name"))
        if data.get("id") is not None and name is not None:
            found[str(data["id"])] = str(name)
    return found
