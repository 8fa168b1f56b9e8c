"""The figures of `starrules report`: the 一览表 (one row per branch: sections, total, levels after
名额, marks, consequences, rank) and the 汇总表 (how many branches reached each level, and what
share, per group). Shares are rounded half up to 0.1% for display; every count is exact."""

from __future__ import annotations

import os
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import attrs

from ..check.model import CheckedRubric
from ..core.numbers import Exact
from ..grade.ranking import Ranking, rank
from ..io.records import records
from ..eval.result import Result
from ..grade.grading import grader_for
from ..check.schemes import resolve_scheme

ALL = "合计"


@attrs.frozen
class BranchRow:
    rank: int
    id: str | None
    name: str | None
    group: str | None
    sections: tuple[Exact, ...]
    total: Exact
    levels: tuple[str, ...]  # per scheme, after 名额
    marks: tuple[str, ...]
    vetoed: bool
    consequences: tuple[str, ...]
    result: Result = attrs.field(eq=False, repr=False)


@attrs.frozen
class Tally:
    """Counts per level of one scheme, for each group and for all branches (the last row)."""

    scheme: str
    levels: tuple[str, ...]  # best first
    rows: tuple[tuple[str, tuple[int, ...]], ...]  # (group, count per level); the last is 合计

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
    rubric: CheckedRubric
    schemes: tuple[str, ...]
    section_names: tuple[str, ...]
    rows: tuple[BranchRow, ...]  # in rank order under the first scheme
    tallies: tuple[Tally, ...]
    group_by: str | None


def summarise(rubric: CheckedRubric, results: Sequence[Result], schemes: Sequence[str], names: dict[str, str] | None = None,
              group_by: str | None = None) -> Summary:
    if group_by is not None and group_by not in rubric.facts:
        raise ValueError(f"分组用的“{group_by}”不是本标准的事实;可用的事实:{'、'.join(rubric.facts)}")
    rankings = [rank(results, scheme, rubric=rubric) for scheme in schemes]
    placed = [{id(b.result): b for b in ranking.branches} for ranking in rankings]
    section_names = tuple(s.name for s in results[0].sections) if results else ()
    rows = []
    for branch in rankings[0].branches:
        result = branch.result
        ranked = {scheme: p[id(result)] for scheme, p in zip(schemes, placed)}
        levels = {scheme: b.level for scheme, b in ranked.items()}  # after 名额, a 基于 scheme following its base
        group = dict(result.facts).get(group_by) if group_by else None
        measures = [c.text for scheme in schemes for c in grader_for(rubric, scheme).measures(result, levels[scheme])]
        rows.append(BranchRow(branch.rank, result.id, (names or {}).get(result.id or ""),
                              None if group is None else str(group), tuple(s.score for s in result.sections),
                              result.total, tuple(levels[scheme] for scheme in schemes),
                              tuple(dict.fromkeys(m for b in ranked.values() for m in b.marks)), result.vetoed,
                              tuple(measures), result))
    tallies = tuple(_tally(rubric, ranking, n, rows) for n, ranking in enumerate(rankings))
    return Summary(rubric, tuple(schemes), section_names, tuple(rows), tallies, group_by)


def _tally(rubric: CheckedRubric, ranking: Ranking, position: int, rows: Sequence[BranchRow]) -> Tally:
    levels = resolve_scheme(rubric, ranking.scheme).levels
    groups = list(dict.fromkeys(row.group for row in rows if row.group is not None))
    counted = []
    for group in [*groups, None]:
        members = [row for row in rows if group is None or row.group == group]
        counted.append((ALL if group is None else group,
                        tuple(sum(1 for row in members if row.levels[position] == level) for level in levels)))
    return Tally(ranking.scheme, levels, tuple(counted))


def branch_names(path: str | os.PathLike[str], rubric: CheckedRubric) -> dict[str, str]:
    """id → 名称 of the records of a batch file (results keep only the id)."""
    found: dict[str, str] = {}
    for record in records(Path(path), rubric.limits):
        data = record.data or {}
        name = data.get("名称", data.get("name"))
        if data.get("id") is not None and name is not None:
            found[str(data["id"])] = str(name)
    return found
