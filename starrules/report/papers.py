"""What the papers after a rating say (the 整改台账, the 公示 list and the 命名 list), read from a report's
`Summary`; xlsx_papers.py lays them out.

The source documents ask for them: the 武威市人民检察院机关委员会's 达标创星 plan has the 一般 and 后进
branches “结合台账,分别制定改进提升、整顿转化方案” and five-star branches 授牌; the county's 争先创优
plan ends “公示命名 … 挂牌命名”; the college's 分类定级 opinion has the 较差 branches “限期进行整改” and
the results 公示.

Which branches each paper lists (docs/guide.md says the same):
- 整改台账: a branch whose level under any of the report's schemes is a rectification level — a level
  whose 措施 speak of 整改, 整顿 or 台账 — or that a 倒排 marked (相对后进) or a veto struck. When no scheme
  of the report has such 措施, the rectification level is the lowest level of the first scheme, if that
  scheme has three levels or more (not reaching a two-level title such as 五好党支部 is no failing by itself).
- 命名: a branch at a named level — one whose 措施 speak of 命名, 授星, 授牌, 授旗, 挂牌 or 表彰; when no
  scheme has such 措施, the top level of the first scheme — and not left 待定 by a quota.
- 公示: every branch, in rank order.

A branch's problems (问题) come from the trace of the sheet its scores are (the deciding rater's, for a
`以 X 为准` rubric): every item of a regular or penalty section that lost points, with the points lost and
each fired clause as the values that fired it (explain.fired_words; an item that lost points only by
the rater's judgement says what was given), and every veto that fired."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ..check.model import CheckedRubric
from ..core.numbers import Exact
from ..eval.result import Result, SectionResult
from ..grade.grading import grader_for
from ..grade.ranking import PENDING
from ..plan.cohort import cohort_plan
from .explain import fired_words, item_reasons, pts
from .summary import BranchRow, Summary, sheet_result

RECTIFY_WORDS = ("整改", "整顿", "台账")
NAMING_WORDS = ("命名", "授星", "授牌", "授旗", "挂牌", "表彰")


@attrs.frozen
class Problem:
    """One thing a branch lost points for: where (its section, or 一票否决), the item, the points lost
    (None for a veto) and the clauses that fired, in words."""

    section: str
    item: str
    lost: Exact | None
    text: str

    @property
    def sentence(self) -> str:
        """“落实基本制度/三会一课 失 8 分:扣 10 分,因为 三会一课未按期次数 10(第 79 行);扣完为止,退回 2 分”."""
        if self.lost is None:
            return f"一票否决:{self.text}"
        return f"{self.section}/{self.item} 失 {pts(self.lost)} 分:{self.text}"


@attrs.frozen
class Rectification:
    """A branch the 整改台账 lists: why (its levels and marks that put it there) and its problems."""

    row: BranchRow
    why: tuple[str, ...]  # “等次 后进”, “相对后进”, “一票否决”
    problems: tuple[Problem, ...]


@attrs.frozen
class Named:
    """The branches of one named level, in rank order."""

    scheme: str
    level: str
    rows: tuple[BranchRow, ...]


def levels_with(summary: Summary, words: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """scheme → its levels whose 措施 mention any of `words`, best first (schemes with none left out)."""
    found: dict[str, tuple[str, ...]] = {}
    for scheme in summary.schemes:
        grader = grader_for(summary.rubric, scheme)
        hit = {m.level for m in grader.consequences if any(w in text for text in m.texts for w in words)}
        levels = tuple(level for level in grader.levels if level in hit)
        if levels:
            found[scheme] = levels
    return found


def rectification_levels(summary: Summary) -> dict[str, tuple[str, ...]]:
    """scheme → the levels whose branches are to be rectified (the module's rule)."""
    found = levels_with(summary, RECTIFY_WORDS)
    if found or not summary.schemes:
        return found
    first = summary.tallies[0]
    return {first.scheme: first.levels[-1:]} if len(first.levels) >= 3 else {}


def named_levels(summary: Summary) -> dict[str, tuple[str, ...]]:
    """scheme → the levels whose branches are named (命名, 授星, 授牌 …), best first."""
    found = levels_with(summary, NAMING_WORDS)
    if found or not summary.schemes:
        return found
    first = summary.tallies[0]
    return {first.scheme: first.levels[:1]}


def rectifications(summary: Summary) -> tuple[Rectification, ...]:
    """The 整改台账's branches in rank order, each with why it is there and its problems."""
    chosen = rectification_levels(summary)
    marks = set(m for t in summary.tallies for m in _share_marks(summary, t.scheme))
    listed = []
    for row in summary.rows:
        why = [f"{scheme} {level}" for scheme, level in zip(summary.schemes, row.levels) if level in chosen.get(scheme, ())]
        why += [mark for mark in row.marks if mark in marks]
        why += ["一票否决"] if row.vetoed else []
        if why:
            rubric = summary.rubric_of(row.result)
            listed.append(Rectification(row, tuple(why), problems(sheet_result(rubric, row.result), rubric)))
    return tuple(listed)


def _share_marks(summary: Summary, scheme: str) -> tuple[str, ...]:
    """The marks 倒排 gives (not 待定, which leaves a branch to the committee)."""
    return cohort_plan(summary.rubric, scheme).marks


def problems(result: Result, rubric: CheckedRubric | None = None) -> tuple[Problem, ...]:
    """Each item that lost points, in the order written, then each veto that fired. With the standard that
    scored it (`rubric`), a clause is worded by the values that fired it (explain.fired_words)."""
    found = [problem for section in result.sections if section.kind != "bonus"
             for problem in _section_problems(section, rubric)]
    found += [Problem("一票否决", "", None, v.text + (f",因为 {v.because}" if v.because else "") + f"(第 {v.line} 行)")
              for v in result.vetoes if v.fired]
    return tuple(found)


def _section_problems(section: SectionResult, rubric: CheckedRubric | None) -> list[Problem]:
    homes = _homes(section)
    # the fired clauses in words; an item that lost points only by the rater's judgement says so (item_reasons)
    return [Problem(homes[item.name], item.name, item.max - item.score,
                    ";".join(fired_words(item, rubric) or item_reasons(item)) or "未得满分")
            for item in section.items if item.applicable and item.score < item.max]


def _homes(section: SectionResult, within: str = "") -> dict[str, str]:
    """Item name → its section, or its innermost group by path (组织建设/班子建设)."""
    name = within + section.name
    homes = {item.name: name for item in section.items}
    for group in section.groups:
        homes.update(_homes(group, name + "/"))
    return homes


def named(summary: Summary) -> tuple[Named, ...]:
    """The 命名 list: per named level (schemes in order, levels best first) its branches, none 待定."""
    found = []
    for scheme, levels in named_levels(summary).items():
        position = summary.schemes.index(scheme)
        for level in levels:
            rows = tuple(r for r in summary.rows if r.levels[position] == level and PENDING not in r.marks)
            if rows:
                found.append(Named(scheme, level, rows))
    return tuple(found)
