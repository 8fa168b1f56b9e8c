"""`starrules report --html`: the printable scorecards, rendered by jinja2 (the `html` extra) from
templates/scorecard.html.j2 with autoescaping on — every name and text from a rubric or a batch is
text on the page, never markup.

A summary page comes first (the level counts per scheme and group, and the first scheme's
distribution as an SVG bar chart in the PNG chart's colours), then a page per branch (A4 portrait;
a long rubric runs on with the table header repeated): the 评分表 filled in with each item's score
(a group, 类型 inside 类型, as a sub-heading with its score before its items), what fired each
deduction and award in words (“党员学习学时 20 学时,少于 24 → 扣 1 分”), the total, the levels and
measures, and the gap to the next level; with `综合 { … 以 X 为准 }`, whose sheet the scores are and,
when X and another rater both scored the branch, every item as each scored it and the difference.

This module turns the summary into plain values (strings, numbers); the template only lays them out."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fractions import Fraction
from functools import cache
from typing import TYPE_CHECKING

import attrs

from ..check.model import CheckedRubric
from ..core.numbers import Exact, format_decimal
from ..eval.result import ItemResult, SectionResult
from ..io.form import Form, FormItem, build_form
from .explain import chosen_words, fired_words, gap_words
from .png_chart import hex_colour
from .summary import BranchRow, Comparison, Summary, Tally, scoring_basis, sheet_result

if TYPE_CHECKING:
    from jinja2 import Environment

NEEDS_JINJA2 = "评分卡(--html)需要 jinja2:pip install 'starrules[html]'"


class ScorecardUnavailable(ImportError):
    """jinja2, which renders the scorecard (the `html` extra), is not installed."""


def scorecard_html(summary: Summary) -> str:
    forms = {name: build_form(rubric) for name, rubric in summary.rubrics.items()}  # each standard's own texts
    cards = [_card(summary, forms.get(row.result.rubric) or build_form(summary.rubric), row) for row in summary.rows]
    return _environment().get_template("scorecard.html.j2").render(
        title=summary.title, subject=summary.subject, count=len(summary.rows),
        tallies=[_tally(t) for t in summary.tallies], chart=_chart(summary.tallies[0]), cards=cards)


@cache  # one Environment for the process: jinja2 compiles each template once and renders it in any thread
def _environment() -> Environment:
    try:
        from jinja2 import Environment, PackageLoader, StrictUndefined
    except ImportError:
        raise ScorecardUnavailable(NEEDS_JINJA2) from None
    return Environment(loader=PackageLoader("starrules.report", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _n(value: Exact) -> str:
    return format_decimal(Fraction(value))


def signed(value: Exact) -> str:
    """A difference with its sign: +0.5, -2, 0."""
    return f"+{_n(value)}" if value > 0 else _n(value)


# ── the summary page ──


@attrs.frozen
class TallyRow:
    group: str
    cells: tuple[str, ...]  # count(share) per level
    of: int


@attrs.frozen
class TallyView:
    scheme: str
    levels: tuple[str, ...]
    rows: tuple[TallyRow, ...]


def _tally(tally: Tally) -> TallyView:
    rows = tuple(TallyRow(group, tuple(f"{c}({Tally.share(c, sum(counts)) * 100:.1f}%)" for c in counts), sum(counts))
                 for group, counts in tally.rows)
    return TallyView(tally.scheme, tally.levels, rows)


@attrs.frozen
class Bar:
    level: str
    count: int
    x: int
    y: int
    width: int
    height: int
    fill: str

    @property
    def centre(self) -> int:
        return self.x + self.width // 2


@attrs.frozen
class ChartView:
    label: str
    width: int
    height: int
    base: int  # the y of the axis line
    bars: tuple[Bar, ...]


def _chart(tally: Tally) -> ChartView:
    """The first scheme's distribution over all branches: a bar per level, best first."""
    counts = tally.overall
    tallest = max(counts, default=0) or 1
    width, base, room = 640, 230, 180
    slot = (width - 40) // max(len(counts), 1)
    bars = tuple(Bar(level, count, 20 + index * slot + slot // 5, base - room * count // tallest, slot * 3 // 5,
                     room * count // tallest, hex_colour(index))
                 for index, (level, count) in enumerate(zip(tally.levels, counts)))
    return ChartView(f"{tally.scheme} 等级分布", width, base + 32, base, bars)


# ── a branch's page ──


@attrs.frozen
class GroupLine:
    """A group's sub-heading: its name, score and applicable maximum, `depth` levels in."""

    depth: int
    text: str
    group: bool = True


@attrs.frozen
class ItemLine:
    heading: str  # the section, on its first row only (the cells below it are left empty, as if merged)
    name: str
    max: str
    criterion: str
    method: str
    score: str
    why: tuple[str, ...]  # what fired each deduction and award, and the assessor's reasons
    group: bool = False


@attrs.frozen
class ComparisonRow:
    section: str | None  # None for the 总分
    item: str
    max: str
    cells: tuple[str, ...]  # each rater's score, then each difference


@attrs.frozen
class ComparisonView:
    deciding: str
    raters: tuple[str, ...]
    others: tuple[str, ...]
    rows: tuple[ComparisonRow, ...]


@attrs.frozen
class Card:
    title: str
    name: str
    rank: int
    lines: tuple[GroupLine | ItemLine, ...]
    total: str
    max: str
    vetoed: bool
    basis: str | None
    notices: tuple[str, ...]
    warnings: tuple[str, ...]
    comparison: ComparisonView | None
    levels: tuple[tuple[str, str], ...]  # (scheme, level after 名额)
    marks: str
    measures: tuple[str, ...]
    gaps: tuple[str, ...]

    @property
    def widths(self) -> tuple[float, ...]:
        """The 评分表's column widths in % of the page: 考评方式 narrow when no item has one."""
        methods = any(line.method for line in self.lines if isinstance(line, ItemLine))
        return (8.5, 9.5, 4, 33.5, 24.5, 4, 16) if methods else (8.5, 9.5, 4, 50, 8, 4, 16)


def _card(summary: Summary, form: Form, row: BranchRow) -> Card:
    result = row.result
    # the sheet the scores come from, for its trace (a result combined from raters keeps none)
    own = summary.rubric_of(result)  # a family's member that scored this branch
    entries = {entry.item.name: entry for entry in form.items}
    lines = _shown_once([line for section in sheet_result(own, result).sections
                         for line in _lines(section, entries, own)])
    return Card(own.title or own.name, f"{row.id or ''} {row.name or ''}".strip(), row.rank, tuple(lines),
                _n(result.total), _n(result.max), result.vetoed, scoring_basis(own, result), tuple(result.notices),
                tuple(w.text for w in result.warnings),  # W501
                _comparison(row.comparison) if row.comparison else None, tuple(zip(summary.schemes, row.levels)),
                "、".join(row.marks), row.consequences, tuple(_gaps(summary, row)))


def _lines(section: SectionResult, entries: Mapping[str, FormItem], rubric: CheckedRubric,
           depth: int = 0) -> Iterator[GroupLine | ItemLine]:
    """A section's rows of the 评分表 in the order written: its items, and each group as a
    sub-heading (its score / applicable maximum) followed by its own rows, one level further in."""
    for part in section.parts():
        if isinstance(part, SectionResult):
            yield GroupLine(depth, f"{part.name} {_n(part.score)} / {_n(part.max)} 分")
            yield from _lines(part, entries, rubric, depth + 1)
        elif part.name in entries:
            entry = entries[part.name]
            yield ItemLine(entry.heading, part.name, _n(part.max), entry.text("criterion"), entry.text("method"),
                           _n(part.score), _why(part, rubric))


def _shown_once(lines: list[GroupLine | ItemLine]) -> Iterator[GroupLine | ItemLine]:
    """The section heading on the first item row of each run of its items (and again after a
    group's sub-heading), so a narrow 类型 column does not make every row three lines tall."""
    previous: str | None = None
    for line in lines:
        if isinstance(line, ItemLine):
            shown = line.heading if line.heading != previous else ""
            previous = line.heading
            yield attrs.evolve(line, heading=shown)
        else:
            previous = None
            yield line


def _why(item: ItemResult, rubric: CheckedRubric) -> tuple[str, ...]:
    reasons = [f"评分理由:{t.reason}" for t in item.trace if t.kind in ("judged", "grades") and t.reason]
    return (*fired_words(item, rubric), *reasons)


def _comparison(comparison: Comparison) -> ComparisonView:
    """Each item as every rater scored it, and the deciding rater's score minus each other's."""
    rows = tuple(ComparisonRow(line.section, line.item, _n(line.max),
                               (*("不适用" if s is None else _n(s) for s in line.scores),
                                *("" if d is None else signed(d) for d in line.differences)))
                 for line in comparison.lines)
    return ComparisonView(comparison.deciding, comparison.raters, comparison.others, rows)


def _gaps(summary: Summary, row: BranchRow) -> Iterator[str]:
    """Per scheme, the gap to the next level — or, where a quota moved the branch, that."""
    result = row.result
    moved = {scheme: level for scheme, level in zip(summary.schemes, row.levels)
             if scheme in result.levels and result.levels[scheme].level != level}
    for scheme, level in moved.items():
        yield f"{scheme}:分数达到“{result.levels[scheme].level}”,按名额评为“{level}”"
    for scheme, gap in result.gap.items():
        if scheme in moved:
            continue
        if gap.next_level is None:
            yield f"{scheme}:{chosen_words(result, gap) if gap.chosen_by is not None else '已是最高等级'}"
            continue
        fixes = ";".join(f"{f.item} 可挽回 {_n(f.points)} 分" for f in gap.fixes)
        blocking = ";".join(gap.blocking)
        yield (f"{scheme}:{gap_words(gap)}"  # what the level asks, score and facts
               + (f";{fixes}" if fixes else "") + (f";另需:{blocking}" if blocking else ""))
