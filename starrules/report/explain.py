"""A result in words: the trace as sentences (`starrules explain`) and as a table (`starrules eval`)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from ..check.model import CheckedRubric
from ..lang import ast
from ..core.numbers import Exact, format_decimal
from ..core.sourcetext import show_percent, show_value
from ..plan.expressions import value_key
from ..grade.ranking import Ranking
from ..eval.result import ChoiceResult, ClauseTrace, Gap, ItemResult, Need, Result, Scalar, SectionResult
from ..core.source import display_width

_KIND_WORDS = {"regular": "类型", "bonus": "加分项", "penalty": "减分项", "group": "类型"}


def pts(value: Exact) -> str:
    return format_decimal(Fraction(value))


def clause_sentence(t: ClauseTrace) -> str | None:
    """What one fired clause did, in words; None for clauses that changed nothing."""
    if not t.fired or t.kind == "base":
        return None
    if t.kind in ("judged", "grades"):
        # 分档: “评为 X,得 N 分”; 酌情给分 / 酌情扣分: the evaluator's words (“酌情给分 1 分(至多 2 分)”)
        head = f"{t.because},得 {pts(t.points)} 分" if t.kind == "grades" else t.because or f"酌情给 {pts(t.points)} 分"
        who = ":".join(x for x in (t.rater, t.reason) if x)
        return f"{head}{f'({who})' if who else ''}"
    template = _SENTENCES.get(t.kind)
    if template is None:
        return None
    return template.format(amount=pts(-t.points if t.points < 0 else t.points), value=pts(t.points),
                           because=f",因为 {t.because}" if t.because else "", formula=t.because or "",
                           text=t.text, where=f"(第 {t.line} 行)")


_SENTENCES = {
    "deduct": "扣 {amount} 分{because}{where}", "deduct_per": "扣 {amount} 分{because}{where}",
    "award": "加 {amount} 分{because}{where}", "zero": "不得分{because}{where}",
    "not_applicable": "不适用{because}{where}", "score": "得分 {value} 分,按 {formula}{where}",
    "start": "起评 {value} 分{where}", "max_deduct": "{text},退回 {amount} 分{where}",
    "floor_zero": "扣完为止,退回 {amount} 分", "cap": "不超过分值,超出的 {amount} 分不计",
}


def item_reasons(item: ItemResult) -> list[str]:
    return [s for t in item.trace if (s := clause_sentence(t)) is not None]


def item_sentence(item: ItemResult) -> str:
    """`党员教育培训 4→2分:扣 2 分,因为 党员学习学时 30 少于 32(第 31 行)`"""
    reasons = item_reasons(item)
    if not item.applicable:
        return f"{item.name}:{';'.join(reasons) or '不适用'}"
    # a 酌情给分 item's base is the part the rater does not judge: the sentence starts from its points
    judged = any(t.kind == "judged" for t in item.trace)
    start = item.max if judged else next((t.points for t in item.trace if t.kind == "base"), item.max)
    return f"{item.name} {pts(start)}→{pts(item.score)}分:{';'.join(reasons) or '未扣分'}"


def section_heading(section: SectionResult) -> str:
    head = f"{_KIND_WORDS[section.kind]} {section.name} {pts(section.score)}/{pts(section.max)}分"
    if section.pass_line is not None:
        head += f"(达标线 {pts(section.pass_line)} 分,{'已达标' if section.passed else '未达标'})"
    return head


def explain(result: Result) -> str:
    """Every section and item as sentences, then the total and the vetoes."""
    lines = [f"标准 {result.rubric}:合计 {pts(result.total)}/{pts(result.max)}分(总分不计,等级只看条件)"
             if total_unused(result) else f"标准 {result.rubric}:总分 {pts(result.total)}/{pts(result.max)}分"]
    for section in result.sections:
        lines.extend(_section_lines(section, ""))
    lines.extend(_veto_lines(result))
    lines.extend(grading_lines(result))
    return "\n".join(lines)


def _section_lines(section: SectionResult, indent: str) -> list[str]:
    """A section's heading, then its items and groups as written (a group indented one more)."""
    lines = [indent + section_heading(section)]
    for part in section.parts():
        if isinstance(part, SectionResult):
            lines.extend(_section_lines(part, indent + "  "))
        else:
            lines.append(f"{indent}  {item_sentence(part)}")
    lines.extend(f"{indent}  {choice_sentence(choice)}" for choice in section.choices)
    return lines


def choice_sentence(choice: ChoiceResult) -> str:
    """“取其高 节能路径:计 规定性 13 分(性能化 10 分,不计)”."""
    others = ",".join(f"{name} {pts(score)} 分" for name, score in choice.paths if name != choice.counted)
    word = "取其高" if choice.kind == "best" else "任选其一"
    return f"{word} {choice.name}:计 {choice.counted} {pts(choice.score)} 分" + (f"({others},不计)" if others else "")


def grading_lines(result: Result, detailed: bool = True) -> list[str]:
    """Each scheme's level with its reasons, the measures, and the gap to the next level
    (in brief: one line per scheme)."""
    lines: list[str] = []
    by_conditions = total_unused(result)  # levels by conditions alone: no points to make up
    for name, level in result.levels.items():
        basis = "按条件为" if by_conditions else "按分数为"
        lines.append(f"等级 {name}:{level.level}" + (f"({basis} {level.by_score})" if level.by_score != level.level else ""))
        gap = result.gap.get(name)
        if not detailed:
            if gap is not None and gap.next_level is not None:
                lines[-1] += f",{gap_words(gap)}"
            continue
        lines.extend(f"  {reason}" for reason in level.reasons)
        if gap is not None and gap.next_level is not None:
            lines.append(f"  {gap_words(gap)}" + ("" if gap.reachable else "(按下列改进仍不能达到)" if gap.fixes
                                                  else "(不能靠分数达到)"))
            lines.extend(f"    改进 {fix.section}/{fix.item}:+{pts(fix.points)} 分({';'.join(fix.clauses)},"
                         f"第 {'、'.join(map(str, fix.lines))} 行)" for fix in gap.fixes)
            lines.extend(f"    阻碍:{reason}" for reason in gap.blocking)
        elif gap is not None and gap.chosen_by is not None:
            lines.append(f"  {chosen_words(result, gap)}")
    lines.extend(f"措施({c.scheme} {c.level}{f' 连续 {c.years} 年' if c.years else ''}):{c.text}"
                 for c in result.consequences)
    if result.raters:
        lines.append("评价主体:" + ";".join(f"{name} {pts(r.total)} 分" for name, r in result.raters.items()))
    return lines


def gap_words(gap: Gap) -> str:
    """The next level and what it asks: “距“四星级”还差 7 分”, “距“五星级”:设施设备 还差 1 分(需 >= 480,
    现为 479)”, a fact as “党员人数 需 >= 7(现为 5)”; only blocked: “距“五星级”有 1 处阻碍”."""
    head = f"距“{gap.next_level}”"
    short = [f"还差 {pts(gap.points_needed)} 分"] if gap.points_needed else []
    short += [need_words(need) for need in gap.needs]
    if not short:
        return f"{head}有 {len(gap.blocking)} 处阻碍" if gap.blocking else f"{head}还差 0 分"
    return head + ("" if gap.points_needed else ":") + ";".join(short)


def need_words(need: Need) -> str:
    """One requirement not met: a score with its distance, a fact with the value it needs."""
    value = need.value.removeprefix("@")
    if need.points is not None:
        return f"{value} 还差 {pts(need.points)} 分(需 {need.needed},现为 {need.current})"
    if need.needed == "成立":  # a condition that is no simple comparison: shown whole
        return f"需满足 {need.value}"
    is_word = need.needed in ("是", "否")
    return f"{value} 需{'为' if is_word else ''} {need.needed}(现为 {need.current})"


def chosen_words(result: Result, gap: Gap) -> str:
    """No level above is open: the fact that picks the level (what was applied for) says so."""
    chosen = dict(result.facts).get(gap.chosen_by or "")  # a choice fact: its value is a choice name
    shown = f"({chosen})" if chosen is not None else ""
    return f"等级由“{gap.chosen_by}”{shown}选定,没有更高的等级可建议"


def _veto_lines(result: Result) -> list[str]:
    """The vetoes that fired, the notices (提示) that hold, then the warnings (a score given for a
    不适用 item, W501): all shown before the levels."""
    return [f"一票否决:{v.text}" + (f",因为 {v.because}" if v.because else "") + f"(第 {v.line} 行)"
            for v in result.vetoes if v.fired] + [f"提示:{text}" for text in result.notices] + \
        [w.text for w in result.warnings]


def table(result: Result) -> str:
    """Sections and items with score / maximum and what was deducted and why."""
    rows: list[tuple[str, str, str, str]] = [("项目", "得分", "分值", "说明")]
    for section in result.sections:
        rows.extend(_section_rows(section, ""))
    vetoed = "一票否决" if result.vetoed else ""
    rows.append(("合计", pts(result.total), pts(result.max), "、".join(filter(None, ("总分不计", vetoed))))
                if total_unused(result) else ("总分", pts(result.total), pts(result.max), vetoed))
    widths = [max(display_width(r[c]) for r in rows) for c in range(3)]
    lines = [f"{result.title or result.rubric}"]
    for name, score, maximum, note in rows:
        line = _pad(name, widths[0]) + "  " + _pad(score, widths[1], right=True) + "  " + \
            _pad(maximum, widths[2], right=True)
        lines.append((line + "  " + note).rstrip())
    lines.extend(_veto_lines(result))
    lines.extend(grading_lines(result, detailed=False))
    return "\n".join(lines)


def _section_rows(section: SectionResult, indent: str) -> list[tuple[str, str, str, str]]:
    passed = "" if section.passed is None else ("已达标" if section.passed else "未达标")
    rows = [(f"{indent}{_KIND_WORDS[section.kind]} {section.name}", pts(section.score), pts(section.max), passed)]
    for part in section.parts():
        if isinstance(part, SectionResult):
            rows.extend(_section_rows(part, indent + "  "))
        else:
            score = pts(part.score) if part.applicable else "—"
            rows.append((f"{indent}  {part.name}", score, pts(part.max), ";".join(item_reasons(part))))
    rows.extend(("", "", "", choice_sentence(choice)) for choice in section.choices)
    return rows


def ranking_table(ranking: Ranking, names: Mapping[str, str] | None = None) -> str:
    """`starrules rank`: one row per branch in rank order, with its 名称 (`names`: id → 名称),
    quota moves and marks."""
    named = names or {}
    with_names = any(named.get(b.id or "") for b in ranking.branches)  # the column only when the batch gives 名称
    rows = [("排名", "编号", *(("名称",) if with_names else ()), "合计" if ranking.by_level else "总分", "等级", "标记",
             "说明")]
    rows += [(str(b.rank), b.id or "", *((named.get(b.id or "", ""),) if with_names else ()), pts(b.total),
              b.level + ("" if b.level == b.scored_level else f"(原{b.scored_level})"),
              "、".join(b.marks), ";".join(b.reasons)) for b in ranking.branches]
    last = len(rows[0]) - 1  # 说明, not padded
    widths = [max(display_width(r[c]) for r in rows) for c in range(last)]
    lines = [f"按“{ranking.scheme}”排名,共 {len(ranking.branches)} 个{ranking.subject}"
             + ("(总分不计:先按等级,同一等级依次比较并列项)" if ranking.by_level else "")]
    for row in rows:
        cells = [_pad(cell, widths[c], right=c in (0, last - 3)) for c, cell in enumerate(row[:last])]
        lines.append(("  ".join(cells) + "  " + row[last]).rstrip())
    return "\n".join(lines)


def total_unused(result: Result) -> bool:
    """The result's standard counts no total (总分 不计): its sum is shown as 合计, never as the
    basis of a level."""
    rubric = result._rubric
    return rubric is not None and rubric.total_unused


def _pad(text: str, width: int, right: bool = False) -> str:
    space = " " * (width - display_width(text))
    return space + text if right else text + space


# ── what fired a clause, in words (the scorecard's 扣分与加分 column; `explain` may use it too) ──

_EFFECT_KINDS = frozenset({"deduct", "deduct_per", "award", "zero", "not_applicable"})
_CLAUSE_TYPES: dict[str, type] = {"deduct": ast.DeductIf, "deduct_per": ast.DeductPer, "award": ast.Award,
                                  "zero": ast.Zero, "not_applicable": ast.NotApplicable}
_OP_WORDS = {"<": "少于", "<=": "不超过", ">": "超过", ">=": "不少于", "=": "为", "!=": "不为"}
_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "=": "!=", "!=": "="}
_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
# a comparison word as the grammar's terminal records it (lang/parser.py), back in its plain spelling
_TERMINAL_WORDS = {"K_FEWER": "少于", "K_LOWER": "低于", "K_NOT_FEWER": "不少于", "K_NOT_LOWER": "不低于",
                   "K_MORE": "超过", "K_HIGHER": "高于", "K_NOT_MORE": "不超过", "K_NOT_HIGHER": "不高于",
                   "K_EQUALS": "等于"}
_SYMBOLS = frozenset({"<", "<=", ">", ">=", "=", "!=", "==", "≠", "≤", "≥"})
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                                   ">=": operator.ge, "=": operator.eq, "!=": operator.ne}


def fired_words(item: ItemResult, rubric: CheckedRubric | None = None) -> list[str]:
    """Each clause that changed the item's score, as the values that fired it and what it did:
    “未满足:支委会按期(否)、党课按期(否) → 扣 2 分”, “党员学习学时 30 学时,少于 32 → 扣 2 分”,
    “扣完为止,退回 1 分”. The values come from the trace; the clause's condition (from `rubric`,
    the standard that scored the item) says how to word them. Without the rubric (a result read
    back from JSON), or for a condition too involved to word (arithmetic), the condition is shown
    with its values spliced in, as `explain` does. 酌情 / 分档 entries are not among them."""
    facts = rubric.facts if rubric is not None else {}
    words = []
    for trace in item.trace:
        if not trace.fired or not trace.points and trace.kind not in ("zero", "not_applicable"):
            continue
        if trace.kind in _EFFECT_KINDS:
            clause = _clause_of(rubric, item.name, trace) if rubric is not None else None
            words.append(f"{_condition_words(trace, clause, facts)} → {_effect(trace)}")
        elif trace.kind in _SETTLE_WORDS:
            amount = pts(-trace.points if trace.points < 0 else trace.points)
            words.append(_SETTLE_WORDS[trace.kind].format(text=trace.text, amount=amount))
    return words


_SETTLE_WORDS = {"max_deduct": "{text},退回 {amount} 分", "floor_zero": "扣完为止,退回 {amount} 分",
                 "cap": "不超过分值,超出的 {amount} 分不计"}


def _effect(trace: ClauseTrace) -> str:
    if trace.kind in ("deduct", "deduct_per"):
        return f"扣 {pts(-trace.points)} 分"
    if trace.kind == "award":
        return f"加 {pts(trace.points)} 分"
    return "不得分" if trace.kind == "zero" else "不适用"


def _condition_words(trace: ClauseTrace, clause: ast.Clause | None, facts: Mapping[str, ast.Fact]) -> str:
    words = _ValueWords(dict(trace.values), facts)
    phrases: list[str] | None = None
    if isinstance(clause, ast.DeductPer):
        phrases = words.amount(clause.per)
    elif isinstance(clause, (ast.DeductIf, ast.Award, ast.Zero, ast.NotApplicable)):
        phrases = words.holds(clause.condition)
    if phrases:
        return _joined(phrases)
    return trace.because or trace.text  # the condition with its values spliced in


def _joined(phrases: list[str]) -> str:
    return ("、" if not any("," in p for p in phrases) else ";").join(phrases)


def _clause_of(rubric: CheckedRubric, item: str, trace: ClauseTrace) -> ast.Clause | None:
    """The clause a trace step ran: the one of its kind on its line in the item (None when the
    line holds two of a kind: then the trace's own text is shown)."""
    index = rubric.compiled.get(_clause_of, lambda: _clause_index(rubric))
    found = index.get((item, trace.line, trace.kind), ())
    return found[0] if len(found) == 1 else None


def _clause_index(rubric: CheckedRubric) -> dict[tuple[str, int, str], tuple[ast.Clause, ...]]:
    index: dict[tuple[str, int, str], tuple[ast.Clause, ...]] = {}
    for item in rubric.items:
        for clause in item.clauses:
            for kind, kind_type in _CLAUSE_TYPES.items():
                if isinstance(clause, kind_type):
                    key = (item.name, clause.span.line, kind)
                    index[key] = (*index.get(key, ()), clause)
    return index


class _ValueWords:
    """A condition's reads in words, from the values a trace holds; None wherever a value is
    missing or the expression is more than reads, literals, comparisons and 与/或/非 of them."""

    def __init__(self, values: Mapping[str, Scalar], facts: Mapping[str, ast.Fact]) -> None:
        self.values, self.facts = values, facts

    def value(self, expr: ast.Expr) -> Scalar | None:
        if isinstance(expr, (ast.Number, ast.Percent)):
            return expr.value
        if isinstance(expr, ast.Bool):
            return expr.value
        if isinstance(expr, (ast.ScoreRef, ast.TotalRef, ast.BelowPassRef)):
            return self.values.get(value_key(expr))
        if isinstance(expr, ast.NameRef):  # a value read, or a choice written as a name (社区)
            return self.values.get(expr.name, None if expr.name in self.facts else expr.name)
        return None

    def truth(self, expr: ast.Expr) -> bool | None:
        if isinstance(expr, ast.Not):
            inner = self.truth(expr.operand)
            return None if inner is None else not inner
        if _joins(expr):
            parts = [self.truth(e) for e in _parts(expr)]
            if None in parts:
                return None
            return all(parts) if _every(expr) else any(parts)
        if isinstance(expr, ast.Compare):
            left, right = self.value(expr.left), self.value(expr.right)
            if left is None or right is None or isinstance(left, bool) != isinstance(right, bool):
                return None
            try:
                return bool(_COMPARE[expr.op](left, right))
            except TypeError:  # a number against a choice: not for words
                return None
        if isinstance(expr, ast.InList):
            found = self.value(expr.operand)
            return None if found is None else found in [self.value(o) for o in expr.options]
        found = self.value(expr)
        return found if isinstance(found, bool) else None

    def shown(self, expr: ast.Expr, percent: bool = False, joiner: str = " ") -> str | None:
        """A read with its value and unit (党员学习学时 30 学时; with `joiner` " 为 ": 类别 为 社区), a
        literal as written (32学时, 85%)."""
        if isinstance(expr, ast.Number):
            return expr.text + expr.label
        if isinstance(expr, ast.Percent):
            return f"{expr.text}%"
        found = self.value(expr)
        if found is None:
            return None
        value = (show_percent if percent else show_value)(found)
        if isinstance(expr, ast.NameRef):
            fact = self.facts.get(expr.name)
            unit = f" {fact.unit}" if fact is not None and fact.unit and not percent else ""
            return f"{expr.name}{joiner}{value}{unit}" if expr.name in self.values else expr.name
        if isinstance(expr, ast.ScoreRef):
            part = "得分" if expr.part is None else ast.GROUP_PARTS[expr.part]
            return f"{expr.name} {part}{joiner}{value}" + (" 分" if expr.part != "rate" else "")
        if isinstance(expr, (ast.TotalRef, ast.BelowPassRef)):
            return f"{value_key(expr)}{joiner}{value}" + (" 分" if isinstance(expr, ast.TotalRef) else "")
        return None

    def amount(self, expr: ast.Expr) -> list[str] | None:
        """What a 每 … counted: the items not met (未满足数) or met (满足数), or a count with its unit."""
        if isinstance(expr, ast.ListCall) and expr.function in ("count_true", "count_false"):
            wanted = expr.function == "count_true"
            named = [e for e in expr.items if self.truth(e) is wanted]
            if any(self.truth(e) is None for e in expr.items) or not named:
                return None
            listed = [self.holds(e, negated=not wanted) for e in named]
            if any(p is None for p in listed):
                return None
            return [("满足:" if wanted else "未满足:") + "、".join(p for phrases in listed for p in phrases or ())]
        shown = self.shown(expr) if isinstance(expr, ast.NameRef | ast.ScoreRef) else None
        return None if shown is None else [shown]

    def holds(self, expr: ast.Expr, negated: bool = False) -> list[str] | None:
        """Why `expr` is true (false, when `negated`): one phrase per fact that decided it."""
        if isinstance(expr, ast.Not):
            return self.holds(expr.operand, not negated)
        if _joins(expr):
            parts = _parts(expr)
            # all of an 且 held, or all of an 或 failed; else only the parts that decided it
            deciding = parts if _every(expr) != negated else [p for p in parts if self.truth(p) is (not negated)]
            phrases = [self.holds(p, negated) for p in deciding]
            if not deciding or any(p is None for p in phrases):
                return None
            return [p for found in phrases for p in found or ()]
        if isinstance(expr, ast.Compare):
            return self._compared(expr, negated)
        if isinstance(expr, ast.InList) and not negated:
            shown = self.shown(expr.operand, joiner=" 为 ")
            return None if shown is None else [shown]
        found = self.value(expr)
        if isinstance(expr, ast.NameRef) and isinstance(found, bool):
            return [f"{expr.name}({show_value(found)})"]
        return None

    def _compared(self, expr: ast.Compare, negated: bool) -> list[str] | None:
        reads = (ast.NameRef, ast.ScoreRef, ast.TotalRef, ast.BelowPassRef)
        op, left, right = expr.op, expr.left, expr.right
        if not isinstance(left, reads) or isinstance(left, ast.NameRef) and left.name not in self.values:
            op, left, right = _MIRRORED[op], right, left  # 32 > 党员学习学时: the read first
        if not isinstance(left, reads) or self.value(left) is None:
            return None
        percent = isinstance(right, ast.Percent)
        shown, threshold = self.shown(left, percent), self.shown(right, percent)
        if shown is None or threshold is None or (op in ("=", "!=") and isinstance(self.value(left), bool)):
            return None
        if negated:
            op = _NEGATED[op]
        if op == "=":  # the value is the one it equals: 类别 为 村改居社区
            return [self.shown(left, percent, " 为 ") or shown]
        written = "" if negated or op != expr.op else _TERMINAL_WORDS.get(expr.spelling, expr.spelling)
        return [f"{shown},{written if written and written not in _SYMBOLS else _OP_WORDS[op]} {threshold}"]


def _joins(expr: ast.Expr) -> bool:
    """且 / 或 / 任一[…] / 全部[…]: a truth made of its parts' truths."""
    return isinstance(expr, (ast.And, ast.Or)) or isinstance(expr, ast.ListCall) and expr.function in ("any", "all")


def _parts(expr: ast.Expr) -> tuple[ast.Expr, ...]:
    if isinstance(expr, ast.ListCall):
        return expr.items
    return expr.operands if isinstance(expr, (ast.And, ast.Or)) else ()


def _every(expr: ast.Expr) -> bool:
    return isinstance(expr, ast.And) or isinstance(expr, ast.ListCall) and expr.function == "all"
