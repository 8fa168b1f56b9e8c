"""A result in words: the trace as sentences (`starrules explain`) and as a table (`starrules eval`)."""

from __future__ import annotations

from fractions import Fraction

from ..core.numbers import Exact, format_decimal
from ..grade.ranking import Ranking
from ..eval.result import ChoiceResult, ClauseTrace, Gap, ItemResult, Need, Result, SectionResult
from ..core.source import display_width

_KIND_WORDS = {"regular": "类型", "bonus": "加分项", "penalty": "减分项", "group": "类型"}


def pts(value: Exact) -> str:
    return format_decimal(Fraction(value))


def clause_sentence(t: ClauseTrace) -> str | None:
    """What one fired clause did, in words; None for clauses that changed nothing."""
    if not t.fired or t.kind == "base":
        return None
    if t.kind in ("judged", "grades"):
        head = f"{t.because},得 {pts(t.points)} 分" if t.kind == "grades" else f"酌情给 {pts(t.points)} 分"
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
    start = next((t.points for t in item.trace if t.kind == "base"), item.max)
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


def ranking_table(ranking: Ranking) -> str:
    """`starrules rank`: one row per branch in rank order, with quota moves and marks."""
    rows = [("排名", "编号", "合计" if ranking.by_level else "总分", "等级", "标记", "说明")]
    rows += [(str(b.rank), b.id or "", pts(b.total), b.level + ("" if b.level == b.scored_level else f"(原{b.scored_level})"),
              "、".join(b.marks), ";".join(b.reasons)) for b in ranking.branches]
    widths = [max(display_width(r[c]) for r in rows) for c in range(5)]
    lines = [f"按“{ranking.scheme}”排名,共 {len(ranking.branches)} 个{ranking.subject}"
             + ("(总分不计:先按等级,同一等级依次比较并列项)" if ranking.by_level else "")]
    for row in rows:
        cells = [_pad(cell, widths[c], right=c in (0, 2)) for c, cell in enumerate(row[:5])]
        lines.append(("  ".join(cells) + "  " + row[5]).rstrip())
    return "\n".join(lines)


def total_unused(result: Result) -> bool:
    """The result's standard counts no total (总分 不计): its sum is shown as 合计, never as the
    basis of a level."""
    rubric = result._rubric
    return rubric is not None and rubric.total_unused


def _pad(text: str, width: int, right: bool = False) -> str:
    space = " " * (width - display_width(text))
    return space + text if right else text + space
