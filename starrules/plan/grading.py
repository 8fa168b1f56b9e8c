"""The grading plan: a scheme lowered once, for one rubric, into frozen records every grading
engine reads (LANGUAGE.md §4, §5; docs/language.md §4 定级).

A `GradePlan` holds a scheme's level names best first; for a scheme with levels of its own, each
level's bound (in the rubric's grid units, and as written) and extra conditions; its downgrades
(降档); for every veto of the rubric, by index, what a fired veto does here (caps at a level,
drops to the lowest level, or is left to the base scheme); for a derived scheme (基于) its base's
plan and the base level → level mapping; 逐级晋升; the measures (措施); and the value keys its
conditions read. A condition keeps its expression (for engines that evaluate it their own way),
its source text, the template its reasons are written from, and its compiled Python closure.

The meaning, which each engine implements from these fields and nothing else:

1. banding (a scheme with levels of its own): the first level whose bound, if any, is ≤ the total
   and whose conditions all hold; else the last level;
   a derived scheme instead takes its base's level — graded with the vetoes this scheme caps
   itself left out — through `mapping`;
2. 降档: the steps of every downgrade whose condition holds, added up; the level moves down that
   many, never below the last;
3. 逐级晋升 (needs history);
4. each fired veto not left out: `cap` a level index → the level is at most that one (a lower level
   stays); "lowest" → the last level; "base" → nothing here (the base scheme applied it).

The scalar grader (grade/grading.py) and the vector grader (batch/grading.py) are the engines.
`describe()` (or `str(plan)`) prints a plan; `grade_plan(rubric, name)` gives one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Literal

import attrs

from ..check.model import CheckedRubric, CheckedScheme
from ..check.conditions import inline, uses
from ..check.minima import level_minima
from ..check.schemes import resolve_scheme, scheme_sources
from ..core.numbers import Grid, format_decimal
from ..core.sourcetext import SourceTexts, Slot, Template, show_percent, show_value
from ..lang import ast
from ..lang.keywords import Script, keywords
from .expressions import Compiled, ExprCompiler, Value

Values = Mapping[str, Value]
Cap = int | Literal["lowest", "base"]

MINIMUM = keywords()["K_MINIMA"].spell(Script.SIMPLIFIED)  # how a 最低要求 condition is shown


class Shown:
    """A condition's text as written with the values it read, and each named condition it uses
    (条件 名称 = …) shown after its name in brackets with its own text and values:
    “五星条件(@必备项目 560 >= 540 且 @设施设备 460 >= 480)”. The name says which rule of the
    document it is; the bracket shows which comparison held or failed."""

    __slots__ = ("parts",)

    def __init__(self, parts: tuple[str | Slot | Shown, ...]) -> None:
        self.parts = parts

    def render(self, lookup: Callable[[str], object]) -> str:
        pieces = [p if isinstance(p, str) else f"({p.render(lookup)})" if isinstance(p, Shown)
                  else f" {(show_percent if p[1] else show_value)(lookup(p[0]))}" for p in self.parts]
        return _SPACES.sub(" ", "".join(pieces)).strip()


_SPACES = re.compile(r"\s+")
_NAMED = "\n"  # starts the stand-in key of a named condition's place in a template (no name holds a newline)


@attrs.frozen
class Condition:
    """A level's extra condition or a 降档 condition: `text` as written, `reads` the value keys
    it reads, `expr` for engines that evaluate it their own way (named conditions written out),
    `template` the text with each value read spliced in (for reasons), `test` compiled for one
    branch's values."""

    text: str
    reads: tuple[str, ...]
    expr: ast.Expr = attrs.field(eq=False, repr=False)
    template: Template | Shown = attrs.field(eq=False, repr=False)
    test: Compiled = attrs.field(eq=False, repr=False)

    def holds(self, values: Values) -> bool:
        return bool(self.test(values))

    def shown(self, values: Values) -> str:
        return self.template.render(values.__getitem__)


@attrs.frozen
class LevelPlan:
    """A level reached by score: `bound` is the least total, in grid units, at or above the bound
    as written (`points`, in points); None for a level reached on its conditions alone."""

    name: str
    bound: int | None
    points: Fraction | None
    conditions: tuple[Condition, ...]


@attrs.frozen
class DowngradePlan:
    steps: int
    condition: Condition


@attrs.frozen
class VetoCap:
    """What the rubric's veto number `index` (from 0) does to this scheme's level when it fires."""

    index: int
    line: int
    highest: str | None  # its 最高 level as written
    cap: Cap  # a level index of this scheme, "lowest", or "base" (the base scheme applies it)


@attrs.frozen
class GradePlan:
    scheme: str
    display: str | None
    grid: Grid = attrs.field(eq=False, repr=False)
    names: tuple[str, ...]  # best first; the last is the lowest (floor) level
    bands: tuple[LevelPlan, ...]  # one per name; empty for a derived scheme (it maps its base's)
    downgrades: tuple[DowngradePlan, ...]
    vetoes: tuple[VetoCap, ...]  # one per veto of the rubric, in its order
    base: GradePlan | None
    mapping: tuple[int, ...]  # base level index → level index; () without a base
    one_step_up: bool
    consequences: tuple[ast.Measure, ...] = attrs.field(eq=False, repr=False)
    reads: frozenset[str]  # value keys the conditions read, the base's included
    chain: frozenset[str]  # the level names of this scheme and of its bases
    definition: CheckedScheme = attrs.field(eq=False, repr=False)
    total_unused: bool = False  # the rubric's 总分 不计: reasons cite conditions, never the total

    @property
    def floor(self) -> int:
        return len(self.names) - 1

    @property
    def reads_history(self) -> bool:
        """逐级晋升 here or in a base: the level depends on last year's, one branch at a time."""
        return self.one_step_up or (self.base is not None and self.base.reads_history)

    @property
    def capped_here(self) -> frozenset[int]:
        """The vetoes whose 最高 names a level of this scheme: a derived scheme caps them itself,
        so its base is graded without them."""
        return frozenset(v.index for v in self.vetoes if isinstance(v.cap, int))

    def cap_of(self, highest: str | None) -> Cap:
        """What a veto with `最高 highest` (None: none written) does here."""
        if highest is not None and highest in self.names:
            return self.names.index(highest)
        if self.base is not None and highest is not None and highest in self.base.chain:
            return "base"
        return "lowest"

    def describe(self) -> str:
        """The plan as readable text (Chinese labels), a derived scheme's base plan indented."""
        return "\n".join(_describe(self))

    def __str__(self) -> str:
        return self.describe()


def grade_plan(rubric: CheckedRubric, name: str) -> GradePlan:
    """The plan of scheme `name` for this rubric, lowered once and kept in `rubric.compiled`;
    a scheme the rubric cannot be graded under raises RubricCheckError (E104, E201)."""
    return rubric.compiled.get((GradePlan, name), lambda: lower_scheme(rubric, resolve_scheme(rubric, name)))


class Conditions:
    """Conditions lowered against one rubric's names: compiled, with their text as written and a
    template that shows the values they read (level conditions, 降档, 最低要求, 提示). A named
    condition (条件 名称 = …) is written out here, so engines evaluate its expression and never
    its name; reasons show the name with its own text and values."""

    def __init__(self, rubric: CheckedRubric) -> None:
        self.compiler = ExprCompiler({*rubric.facts, *rubric.lets})
        self.texts = SourceTexts(scheme_sources(rubric))
        self.named = rubric.expandable
        self.named_shown: dict[str, Shown] = {}

    def condition(self, expr: ast.Expr) -> Condition:
        lowered = inline(expr, self.named)
        slots = self.compiler.slots(lowered)
        return Condition(self.texts.text(expr.span), tuple(dict.fromkeys(key for _, key, _ in slots)), lowered,
                         self.shown(expr), self.compiler.compile(lowered))

    def shown(self, expr: ast.Expr) -> Template | Shown:
        """The template of `expr` as written; a named condition's place holds its own."""
        places = [(ref.span, _NAMED + ref.name, False) for ref in uses(expr, self.named)]
        template = self.texts.template(expr.span, [*self.compiler.slots(expr), *places])
        if not places:
            return template
        return Shown(tuple(self.named_text(p[0][len(_NAMED):]) if isinstance(p, tuple) and p[0].startswith(_NAMED)
                           else p for p in template.parts))

    def named_text(self, name: str) -> Shown:
        found = self.named_shown.get(name)
        if found is None:
            shown = self.shown(self.named[name].expr)
            found = self.named_shown[name] = shown if isinstance(shown, Shown) else Shown(shown.parts)
        return found

    def minimum(self, expr: ast.Compare) -> Condition:
        """A 最低要求 cell: shown as “最低要求 V >= m”, with V's value after V in reasons."""
        texts = self.texts
        slots = [(span, key, isinstance(expr.right, ast.Percent) and span == expr.left.span)
                 for span, key, _ in self.compiler.slots(expr.left)]
        value, least = texts.text(expr.left.span), texts.text(expr.right.span)
        shown = texts.template(expr.left.span, slots)
        lowered = inline(expr, self.named)  # a row's value may test a named condition (若 … 则)
        return Condition(f"{MINIMUM} {value} >= {least}", tuple(dict.fromkeys(key for _, key, _ in slots)), lowered,
                         Template((f"{MINIMUM} ", *shown.parts, f" >= {least}")), self.compiler.compile(lowered))


def lower_scheme(rubric: CheckedRubric, scheme: CheckedScheme) -> GradePlan:
    """`scheme` lowered against the rubric's names, grid and vetoes (its base by name, as kept)."""
    base = grade_plan(rubric, scheme.base.name) if scheme.base is not None else None
    grid = Grid(rubric.precision)
    conditions = Conditions(rubric)
    condition, minimum = conditions.condition, conditions.minimum

    body = scheme.definition.body
    names = scheme.levels
    minima = level_minima(scheme.definition)
    bands = tuple(LevelPlan(s.name, _units(grid, s.bound.value) if s.bound else None,
                            s.bound.value if s.bound else None,
                            (*map(condition, s.conditions), *map(minimum, minima.get(s.name, ()))))
                  for s in body if isinstance(s, ast.Level)) if base is None else ()
    to_level = {level: s.name for s in body if isinstance(s, ast.LevelMap) for level in s.base_levels}
    mapping = tuple(names.index(to_level[level]) for level in base.names) if base is not None else ()
    downgrades = tuple(DowngradePlan(int(s.steps.value), condition(s.condition)) for s in body
                       if isinstance(s, ast.Downgrade))
    reads = {key for band in bands for c in band.conditions for key in c.reads}
    reads.update(key for d in downgrades for key in d.condition.reads)
    plan = GradePlan(scheme.name, scheme.definition.display, grid, names, bands, downgrades, (), base, mapping,
                     any(isinstance(s, ast.OneStepUp) for s in body),
                     scheme.consequences.measures if scheme.consequences else (),
                     frozenset(reads | (base.reads if base is not None else frozenset())),
                     frozenset(names) | (base.chain if base is not None else frozenset()), scheme,
                     rubric.total_unused)
    vetoes = tuple(VetoCap(k, veto.span.line, veto.highest, plan.cap_of(veto.highest))
                   for k, veto in enumerate(rubric.vetoes))
    return attrs.evolve(plan, vetoes=vetoes)


def _units(grid: Grid, bound: Fraction) -> int:
    """The least whole number of grid units whose points are at or above `bound` (a total is
    always on the grid, so `total >= bound` ⇔ `units >= this`)."""
    return math.ceil(bound / grid.step)


def _describe(plan: GradePlan, indent: str = "") -> list[str]:
    step = format_decimal(plan.grid.step)
    shown = f"{plan.scheme}({plan.display})" if plan.display else plan.scheme
    head = f"定级计划 {shown}" + (f" 基于 {plan.base.scheme}" if plan.base is not None else "")
    lines = [head + f"(精度 {step} 分;分数线以精度单位计)"]

    def reads(c: Condition) -> str:
        return f"(读 {'、'.join(c.reads)})" if c.reads else ""

    if plan.base is None:
        if plan.total_unused:
            lines.append("  总分不计:等级只看条件(理由中写条件,不写总分)")
        lines.append("  等级(从高到低;取第一个“总分不低于分数线、条件全部成立”的等级,都不成立时为最低等级):")
        for k, band in enumerate(plan.bands):
            parts = [f"    [{k}] {band.name}"]
            if band.bound is not None and band.points is not None:
                parts.append(f"总分 >= {format_decimal(band.points)} 分({band.bound} 单位)")
            parts += [f"且 {c.text}{reads(c)}" for c in band.conditions]
            if k == plan.floor:
                parts.append("—— 最低等级")
            lines.append(" ".join(parts))
    else:
        lines.append("  等级(从高到低):" + "、".join(f"[{k}] {n}" for k, n in enumerate(plan.names)))
        lines.append(f"  映射(“{plan.base.scheme}”的等级 → 本方案):"
                     + "、".join(f"{b} → {plan.names[m]}" for b, m in zip(plan.base.names, plan.mapping)))
        if plan.capped_here:
            lines.append(f"  “{plan.base.scheme}”为本方案定级时略去否决 "
                         + "、".join(str(k + 1) for k in sorted(plan.capped_here)) + "(本方案自己限制)")
    for d in plan.downgrades:
        lines.append(f"  降档 {d.steps} 级 如果 {d.condition.text}{reads(d.condition)}")
    if plan.downgrades:
        lines.append("  (成立的降档级数相加,不低于最低等级)")
    if plan.one_step_up:
        lines.append("  逐级晋升:今年最多比历史中上一年高一级(读 历史,逐条定级)")
    if plan.vetoes:
        lines.append("  否决(标准中的否决,按顺序):")
    for veto in plan.vetoes:
        what = (f"最高“{plan.names[veto.cap]}”[{veto.cap}]" if isinstance(veto.cap, int)
                else f"降到最低等级“{plan.names[plan.floor]}”" if veto.cap == "lowest"
                else f"由基础方案“{plan.base.scheme if plan.base else ''}”处理,经映射带到本方案")
        written = f",最高 {veto.highest}" if veto.highest else ""
        lines.append(f"    否决 {veto.index + 1}(第 {veto.line} 行{written})→ {what}")
    for measure in plan.consequences:
        run = f"连续 {format_decimal(measure.years.value)} 年 " if measure.years is not None else ""
        lines.append(f"  措施 {run}{measure.level}:" + ";".join(measure.texts))
    lines.append("  读取:" + ("、".join(sorted(plan.reads)) if plan.reads else "只读总分和否决"))
    if plan.base is not None:
        lines.append("  基础方案:")
        lines += ["    " + line for line in _describe(plan.base)]
    return [indent + line for line in lines]
