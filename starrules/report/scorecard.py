"""`starrules report --html`: a printable page per branch — the 评分表 filled in with each item's
score (a group, 类型 inside 类型, as a sub-heading with its score before its items), the
deductions and awards that fired, the total, the levels and measures, and the gap to the next level; with `综合 { … 以 X 为准 }`, whose sheet the scores are and, when X and another
rater both scored the branch, every item as each scored it and the difference — after a summary
with the level distribution as an SVG bar chart."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fractions import Fraction
from html import escape

from ..io.form import Form, FormItem, build_form
from ..core.numbers import Exact, format_decimal
from .png_chart import colour
from ..eval.result import ItemResult, SectionResult
from .explain import chosen_words, gap_words
from .summary import BranchRow, Comparison, Summary, Tally, scoring_basis, sheet_result

_STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em; }
table { border-collapse: collapse; width: 100%; margin: 0.8em 0; }
th, td { border: 1px solid #888; padding: 4px 6px; vertical-align: top; font-size: 13px; }
th { background: #ddebf7; }
td.num { text-align: right; white-space: nowrap; }
tr.group td { background: #f2f2f2; font-weight: bold; }
.card { page-break-after: always; }
.why { color: #a33; }
.notice { color: #a33; font-weight: bold; }
.warning { color: #b60; }
@media print { body { margin: 0; } }
"""


def scorecard_html(summary: Summary) -> str:
    title = escape(summary.title)
    parts = [f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{title}</title>",
             f"<style>{_STYLE}</style></head><body>", f"<section class=\"card\"><h1>{title} 评定汇总</h1>",
             f"<p>共 {len(summary.rows)} 个{escape(summary.subject)}</p>"]
    for tally in summary.tallies:
        parts.append(_tally_table(tally))
    parts.append(_svg_chart(summary.tallies[0]) + "</section>")
    forms = {name: build_form(rubric) for name, rubric in summary.rubrics.items()}  # each standard's own texts
    parts.extend(_card(summary, forms.get(row.result.rubric) or build_form(summary.rubric), row) for row in summary.rows)
    parts.append("</body></html>")
    return "\n".join(parts)


def _n(value: Exact) -> str:
    return format_decimal(Fraction(value))


def _tally_table(tally: Tally) -> str:
    head = "".join(f"<th>{escape(level)}</th>" for level in tally.levels)
    rows = []
    for group, counts in tally.rows:
        of = sum(counts)
        cells = "".join(f"<td class=\"num\">{c}({Tally.share(c, of) * 100:.1f}%)</td>" for c in counts)
        rows.append(f"<tr><td>{escape(group)}</td>{cells}<td class=\"num\">{of}</td></tr>")
    return (f"<h2>{escape(tally.scheme)}</h2><table><tr><th>分组</th>{head}<th>合计</th></tr>"
            + "".join(rows) + "</table>")


def _svg_chart(tally: Tally) -> str:
    counts = tally.overall
    tallest = max(counts, default=0) or 1
    width, height, slot = 640, 260, 600 // max(len(counts), 1)
    bars = []
    for index, (level, count) in enumerate(zip(tally.levels, counts)):
        x, bar = 20 + index * slot + slot // 5, 180 * count // tallest
        fill = "#%02x%02x%02x" % colour(index)
        bars.append(f"<rect x=\"{x}\" y=\"{210 - bar}\" width=\"{slot * 3 // 5}\" height=\"{bar}\" fill=\"{fill}\"/>"
                    f"<text x=\"{x + slot * 3 // 10}\" y=\"{204 - bar}\" text-anchor=\"middle\">{count}</text>"
                    f"<text x=\"{x + slot * 3 // 10}\" y=\"232\" text-anchor=\"middle\">{escape(level)}</text>")
    return (f"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\" "
            f"aria-label=\"{escape(tally.scheme)} 等级分布\">" + "".join(bars) + "</svg>")


def _card(summary: Summary, form: Form, row: BranchRow) -> str:
    result = row.result
    name = f"{escape(row.id or '')} {escape(row.name or '')}".strip()
    # the sheet the scores come from, for its trace (a result combined from raters keeps none)
    own = summary.rubric_of(result)  # a family's member that scored this branch
    entries = {entry.item.name: entry for entry in form.items}
    basis = scoring_basis(own, result)
    lines = [line for section in sheet_result(own, result).sections for line in _rows(section, entries)]
    levels = "".join(f"<li>{escape(scheme)}:{escape(level)}</li>" for scheme, level in zip(summary.schemes, row.levels))
    measures = "".join(f"<li>{escape(text)}</li>" for text in row.consequences) or "<li>无</li>"
    return (f"<section class=\"card\"><h1>{escape(own.title or own.name)}</h1>"
            f"<h2>{name}  名次 {row.rank}</h2>"
            "<table><tr><th>类型</th><th>项目</th><th>分值</th><th>考核评价标准</th><th>考评方式</th><th>得分</th>"
            "<th>扣分与加分</th></tr>" + "".join(lines) + "</table>"
            f"<p><b>总分 {_n(result.total)} / {_n(result.max)}</b>{'(一票否决)' if result.vetoed else ''}</p>"
            + (f"<p>评分依据:{escape(basis)}</p>" if basis else "")
            + "".join(f"<p class=\"notice\">提示:{escape(text)}</p>" for text in result.notices)
            + "".join(f"<p class=\"warning\">{escape(w.text)}</p>" for w in result.warnings)  # W501
            + (_comparison(row.comparison) if row.comparison else "")
            + f"<h3>等级</h3><ul>{levels}</ul>"
            + (f"<p>标记:{escape('、'.join(row.marks))}</p>" if row.marks else "")
            + f"<h3>措施</h3><ul>{measures}</ul><h3>距上一等级</h3><ul>{_gaps(summary, row)}</ul></section>")


def _rows(section: SectionResult, entries: Mapping[str, FormItem], depth: int = 0) -> Iterator[str]:
    """A section's rows of the 评分表 in the order written: its items, and each group as a
    sub-heading (its score / applicable maximum) followed by its own rows, one level further in."""
    for part in section.parts():
        if isinstance(part, SectionResult):
            yield (f"<tr class=\"group\"><td colspan=\"7\" style=\"padding-left: {depth + 1}em\">{escape(part.name)}"
                   f" {_n(part.score)} / {_n(part.max)} 分</td></tr>")
            yield from _rows(part, entries, depth + 1)
        elif part.name in entries:
            yield _item_row(entries[part.name], part)


def _item_row(entry: FormItem, item: ItemResult) -> str:
    return (f"<tr><td>{escape(entry.heading)}</td><td>{escape(item.name)}</td><td class=\"num\">{_n(item.max)}</td>"
            f"<td>{escape(entry.text('criterion'))}</td><td>{escape(entry.text('method'))}</td>"
            f"<td class=\"num\">{_n(item.score)}</td><td class=\"why\">{_why(item)}</td></tr>")


def _comparison(comparison: Comparison) -> str:
    """Each item as every rater scored it, and the deciding rater's score minus each other's."""
    deciding = escape(comparison.deciding)
    head = "".join(f"<th>{escape(name)}</th>" for name in comparison.raters)
    head += "".join(f"<th>差额({deciding}−{escape(other)})</th>" for other in comparison.others)
    rows = []
    for line in comparison.lines:
        scores = "".join(f"<td class=\"num\">{'不适用' if s is None else _n(s)}</td>" for s in line.scores)
        differences = "".join(f"<td class=\"num\">{'' if d is None else signed(d)}</td>" for d in line.differences)
        first = f"<td>{escape(line.section)}</td><td>{escape(line.item)}</td>" if line.section is not None else \
            f"<td colspan=\"2\"><b>{escape(line.item)}</b></td>"
        rows.append(f"<tr>{first}<td class=\"num\">{_n(line.max)}</td>{scores}{differences}</tr>")
    return (f"<h3>评价主体对照(以 {deciding} 为准)</h3><table><tr><th>类型</th><th>项目</th><th>分值</th>{head}</tr>"
            + "".join(rows) + "</table>")


def signed(value: Exact) -> str:
    """A difference with its sign: +0.5, -2, 0."""
    return f"+{_n(value)}" if value > 0 else _n(value)


_SHOWN = frozenset({"deduct", "deduct_per", "award", "zero", "not_applicable", "max_deduct", "floor_zero", "cap"})


def _why(item: ItemResult) -> str:
    fired = [t for t in item.trace if t.fired and t.kind in _SHOWN]
    shown = []
    for trace in fired:
        points = f"({_n(trace.points)} 分)" if trace.points else ""
        shown.append(escape(trace.text + points))
    judged = [t for t in item.trace if t.kind in ("judged", "grades") and t.reason]
    shown.extend(f"评分理由:{escape(t.reason or '')}" for t in judged)
    return "<br>".join(shown)


def _gaps(summary: Summary, row: BranchRow) -> str:
    """Per scheme, the gap to the next level — or, where a quota moved the branch, that."""
    result, parts = row.result, []
    moved = {scheme: level for scheme, level in zip(summary.schemes, row.levels)
             if scheme in result.levels and result.levels[scheme].level != level}
    for scheme, level in moved.items():
        parts.append(f"<li>{escape(scheme)}:分数达到“{escape(result.levels[scheme].level)}”,"
                     f"按名额评为“{escape(level)}”</li>")
    for scheme, gap in result.gap.items():
        if scheme in moved:
            continue
        if gap.next_level is None:
            top = chosen_words(result, gap) if gap.chosen_by is not None else "已是最高等级"
            parts.append(f"<li>{escape(scheme)}:{escape(top)}</li>")
            continue
        fixes = ";".join(f"{escape(f.item)} 可挽回 {_n(f.points)} 分" for f in gap.fixes)
        blocking = ";".join(escape(b) for b in gap.blocking)
        parts.append(f"<li>{escape(scheme)}:{escape(gap_words(gap))}"  # what the level asks, score and facts
                     + (f";{fixes}" if fixes else "") + (f";另需:{blocking}" if blocking else "") + "</li>")
    return "".join(parts) or "<li>无</li>"
