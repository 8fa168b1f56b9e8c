"""The scoring plan: the evaluation graph lowered once into frozen records every engine reads.

An item becomes an `ItemPlan` — its clauses sorted by the role they play in §3's item rule
(不适用, base, deductions, the 最多扣 cap, awards, 不得分, the floor), with points already in
grid units — a section a `SectionPlan`, the regular sections' combination a `RegularSum`, and
the order to run them in a tuple of `Step`s. The reference interpreter (eval/evaluator.py), the
generated fast path (eval/fastpath.py) and the numpy engine (batch/engine.py) are consumers of
these records; none of them reads the AST's clause list or the graph to find out what to do.
`describe()` prints the plan (`starrules plan`).
"""

from __future__ import annotations

from fractions import Fraction
from collections.abc import Callable, Sequence
from typing import Literal

import attrs

from ..core.numbers import Exact, Grid, format_decimal, half_up
from ..core.sourcetext import SourceTexts
from ..lang import ast
from ..check.judged import judged_part
from .expressions import TOTAL_KEY, ExprCompiler, value_key
from .graph import REGULAR, TOTAL, Graph, Node, item_id, section_id

Kind = Literal["regular", "bonus", "penalty", "group"]  # group: a 类型 inside a 类型
_KINDS: dict[str, Kind] = {"section": "regular", "bonus": "bonus", "penalty": "penalty"}  # container → kind


@attrs.frozen
class Rule:
    """One clause: what it tests or counts (`source`), its points in grid units, the `每 K`
    step, and the value keys it reads."""

    clause: ast.Clause | ast.Veto = attrs.field(eq=False, repr=False)
    source: ast.Expr | None = attrs.field(eq=False, repr=False)
    units: int = 0
    step: Fraction | None = None
    reads: tuple[str, ...] = ()

    @property
    def line(self) -> int:
        return self.clause.span.line


# §3's item rule, once: an item is a program of these steps, run in order. Two registers hold
# the item's running score and its deductions so far; each engine implements each step once
# (the interpreter with a trace, the generator as source, the numpy engine over columns).

@attrs.frozen
class LeaveOut:
    """① 不适用 如果 C (one rule per clause): where any holds, the item is left out — it scores
    0, its points leave its section's maximum, and no later step runs."""

    rules: tuple[Rule, ...]


@attrs.frozen
class ComputeScore:
    """② 得分 = E: the score is E's value made grid units by 四舍五入 once."""

    rule: Rule


@attrs.frozen
class Base:
    """② Where the score starts: the item's points (`full`), 起评 N (`start`), the rater's
    entry for 酌情, 酌情给分, 酌情扣分 or 分档 (`judged`: `units + sign × entry`), or nothing
    (`none`: an item of a bonus or penalty section, whose clauses say what it adds or takes away).

    A judged entry is a part of the score (check/judged.py): 酌情 and 分档 start at the entry
    (units 0, sign +1); 酌情给分 at the points the rater does not judge plus the entry (units: the
    item's points less the top of the entry's range, sign +1); 酌情扣分 at the item's points less
    the entry (units: the points, sign −1). Every engine computes the start as `start` says."""

    kind: Literal["full", "start", "judged", "none"]
    units: int  # full: the item's points; start: N; judged: the offset; none: 0
    rule: Rule | None  # the 起评, 酌情 or 分档 clause (None for full and none)
    sign: Literal[-1, 1] = 1  # judged: +1 the entry is given, −1 it is taken away

    def start(self, entry: int) -> int:
        """The start, in grid units, for a judged entry of `entry` grid units."""
        return self.units + self.sign * entry

    def starts(self, low: int, high: int) -> tuple[int, int]:
        """The least and the most start for an entry in [low, high] (grid units)."""
        return (self.start(low), self.start(high)) if self.sign > 0 else (self.start(high), self.start(low))

    @property
    def partial(self) -> bool:
        """The start is not the entry itself (酌情给分 with deductions, 酌情扣分)."""
        return self.kind == "judged" and (self.units != 0 or self.sign < 0)


@attrs.frozen
class Deduct:
    """③ Adds to the deductions: 扣 N 如果 C takes N where C holds (`per` False); 每 [K] E 扣 N
    takes N × ⌊E / K⌋ (N × E without K), rounded half up once, and nothing where E ≤ 0."""

    rule: Rule
    per: bool


@attrs.frozen
class CapDeductions:
    """④ 最多扣 N: the deductions so far count at most N."""

    rule: Rule


@attrs.frozen
class Settle:
    """The score becomes base − deductions (`sign` −1), or base + deductions for an item of a
    penalty section (`sign` +1: what it takes away accumulates)."""

    sign: Literal[-1, 1]


@attrs.frozen
class Award:
    """⑤ 加 N 如果 C: N more where C holds."""

    rule: Rule


@attrs.frozen
class Clamp:
    """⑥ Not above `high` (the item's points); not below `low` (0; None for 可倒扣). `floor` is the
    扣完为止 clause that says so, None where the floor is implied."""

    high: int
    low: int | None
    floor: Rule | None


@attrs.frozen
class Zero:
    """⑦ 不得分 如果 C: the score is 0 where C holds."""

    rule: Rule


Op = LeaveOut | ComputeScore | Base | Deduct | CapDeductions | Settle | Award | Clamp | Zero


@attrs.frozen
class ItemPlan:
    """An item: its points (`max`) and its §3 `program`, every rule's points in grid units."""

    id: str
    name: str
    kind: Kind  # the container's: a bonus item adds, a penalty item takes away
    line: int
    max: int
    item: ast.Item = attrs.field(eq=False, repr=False)
    program: tuple[Op, ...] = ()
    score_key: str | None = None  # `@名称` when something reads this item's score

    @property
    def leave_out(self) -> LeaveOut | None:
        """The item's 不适用 step (always first), if it has one."""
        first = self.program[0] if self.program else None
        return first if isinstance(first, LeaveOut) else None

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule its program reads, in order."""
        found: list[Rule] = []
        for op in self.program:
            if isinstance(op, LeaveOut):
                found.extend(op.rules)
            elif isinstance(op, (ComputeScore, Deduct, CapDeductions, Award, Zero)):
                found.append(op.rule)
            elif isinstance(op, Base) and op.rule is not None:
                found.append(op.rule)
            elif isinstance(op, Clamp) and op.floor is not None:
                found.append(op.floor)
        return tuple(found)

    @property
    def negative(self) -> bool:
        """可倒扣: the item's score may fall below 0."""
        return any(isinstance(op, Clamp) and op.low is None for op in self.program)


@attrs.frozen
class ChoicePlan:
    """取其高 (`by` None): the section counts the path whose items add up to most (the first
    such path on a tie); 任选其一: the path the 选项 fact `by` names. `paths`: each path's
    name and item ids, in the order written."""

    name: str
    points: int  # grid units; every path's items add up to this (the checker's E420)
    paths: tuple[tuple[str, tuple[str, ...]], ...]
    by: str | None = None

    def counted(self, sums: Sequence[int], chosen: object = None) -> int:
        """The index of the path that counts, given each path's sum (and the fact's value)."""
        if self.by is not None:
            return [name for name, _ in self.paths].index(str(chosen))
        return max(range(len(sums)), key=lambda k: (sums[k], -k))


@attrs.frozen
class SectionPlan:
    """A regular, bonus or penalty section: the clamped sum of its applicable items outside any
    choice (`free`) and of the path each choice counts."""

    id: str
    name: str
    kind: Kind
    points: int  # the section's points (a bonus or penalty section's cap), grid units
    items: tuple[str, ...]  # its own item ids (not its groups'), in the section's order
    item_max: dict[str, int] = attrs.field(eq=False)
    pass_line: int | None = None
    weight: Fraction | None = None
    score_key: str | None = None
    choices: tuple[ChoicePlan, ...] = ()
    groups: tuple[str, ...] = ()  # the ids of the groups (类型s) written in it: each adds its score
    within: tuple[str, ...] = ()  # every item id inside it, its groups' too, in the order written

    @property
    def free(self) -> tuple[str, ...]:
        """The item ids outside every choice: each counts in the section's sum."""
        inside = {i for choice in self.choices for _, path in choice.paths for i in path}
        return tuple(i for i in self.items if i not in inside)


@attrs.frozen
class RegularSum:
    """The regular sections' sum and maximum: raw, or weighted (a section's score over its
    applicable maximum — its points less those of its 不适用 items — × its weight × 满分; a section
    with nothing applicable adds nothing to either), or rescaled (折算), each rounded once (四舍五入)."""

    points: tuple[int, ...]
    weights: tuple[Fraction | None, ...] | None
    scale: int  # the rubric's 满分 in grid units (100 when it declares none)
    target: int | None  # 折算 to this many grid units

    @property
    def plain(self) -> bool:
        """A plain sum of whole grid units (no weights, no 折算)."""
        return self.weights is None and self.target is None

    def combine(self, scores: list[int], maxima: list[int]) -> tuple[int, int]:
        score: Exact
        maximum: Exact
        if self.weights is not None:  # each section's score over its applicable maximum, × weight × 满分
            score = sum((Fraction(u * self.scale, m) * (w or 0) for u, m, w in zip(scores, maxima, self.weights) if m),
                        Fraction(0))
            maximum = sum((self.scale * (w or 0) for m, w in zip(maxima, self.weights) if m), Fraction(0))
        else:
            score, maximum = sum(scores), sum(maxima)
        if self.target is not None:
            score = Fraction(score * self.target, maximum) if maximum else 0
            maximum = self.target
        return half_up(score), half_up(maximum)


@attrs.frozen
class VetoPlan:
    rule: Rule
    highest: str | None  # 最高 X: the level a fired veto caps at (None: the scheme's lowest)

    @property
    def source(self) -> ast.Expr | None:
        return self.rule.source


@attrs.frozen
class Step:
    """One node to run, in graph order: a derived value (`let`, by name), an item or section
    (by id), the count of failing sections, the regular sum, the total, or a veto (by index)."""

    kind: Literal["let", "item", "section", "below_pass", "regular", "total", "veto"]
    key: str | int


@attrs.frozen
class ScoringPlan:
    rubric: str
    title: str | None
    grid: Grid
    facts: dict[str, ast.Fact] = attrs.field(eq=False, repr=False)
    lets: dict[str, ast.Expr] = attrs.field(eq=False, repr=False)  # in graph order
    items: dict[str, ItemPlan]  # by id, in graph order
    sections: tuple[SectionPlan, ...]  # the rubric's order: regular, then bonus and penalty
    vetoes: tuple[VetoPlan, ...]
    regular_sum: RegularSum
    steps: tuple[Step, ...]
    referenced: frozenset[str]  # `@名称`, 总分, 未达标类型数 that a derived value, clause or veto reads
    graph: Graph = attrs.field(eq=False, repr=False)

    @property
    def regular(self) -> tuple[SectionPlan, ...]:
        return tuple(p for p in self.sections if p.kind == "regular")

    def section(self, section_id: str) -> SectionPlan:
        return next(p for p in self.sections if p.id == section_id)

    def describe(self) -> str:
        """The plan as text: every step in order, points in the rubric's points."""
        return "\n".join(_describe(self))


def lower(graph: Graph) -> ScoringPlan:
    """The graph's scoring plan: every clause sorted by role, points in grid units."""
    grid = Grid(graph.precision)
    facts = {n.name: n.payload for n in graph.of_kind("fact") if isinstance(n.payload, ast.Fact)}
    lets = {n.name: n.payload.expr for n in graph.of_kind("let") if isinstance(n.payload, ast.Let)}
    compiler = ExprCompiler({*facts, *lets})
    referenced = _score_keys_read(graph)
    items: dict[str, ItemPlan] = {}
    sections: list[SectionPlan] = []
    vetoes: list[VetoPlan] = []
    steps: list[Step] = []
    for node in graph.nodes:
        if node.kind == "let":
            steps.append(Step("let", node.name))
        elif node.kind == "item":
            container = graph[node.parent].kind if node.parent else "section"
            items[node.id] = _item(node, _KINDS[container], grid, compiler, referenced)
            steps.append(Step("item", node.id))
        elif node.kind in ("section", "bonus", "penalty"):
            sections.append(_section(node, grid, referenced))
            steps.append(Step("section", node.id))
        elif node.kind == "below_pass":
            steps.append(Step("below_pass", node.name))
        elif node.kind == "regular":
            steps.append(Step("regular", node.name))
        elif node.kind == "total":
            steps.append(Step("total", node.name))
        elif node.kind == "veto":
            assert isinstance(node.payload, ast.Veto)
            steps.append(Step("veto", len(vetoes)))
            vetoes.append(VetoPlan(_rule(compiler, node.payload, node.payload.condition), node.payload.highest))
    # the rubric's order (regular, then bonus and penalty), not source lines: inherited and
    # imported sections come from other places in the file or from other files; each section's
    # groups follow it, each before the groups inside it
    by_id = {plan.id: plan for plan in sections}

    def with_groups(section_id: str) -> list[SectionPlan]:
        return [by_id[section_id], *(found for g in by_id[section_id].groups for found in with_groups(g))]

    sections = [found for top in (*graph[REGULAR].inputs, *graph[TOTAL].inputs[1:]) for found in with_groups(top)]
    regular = [p for p in sections if p.kind == "regular"]
    weights = tuple(p.weight for p in regular) if any(p.weight is not None for p in regular) else None
    regular_sum = RegularSum(tuple(p.points for p in regular), weights,
                             grid.units(graph.max_score if graph.max_score is not None else Fraction(100)),
                             None if graph.rescale is None else grid.units(graph.rescale))
    return ScoringPlan(graph.rubric, graph.title, grid, facts, lets, items, tuple(sections), tuple(vetoes),
                       regular_sum, tuple(steps), frozenset(referenced), graph)


def _rule(compiler: ExprCompiler, clause: ast.Clause | ast.Veto, source: ast.Expr | None, units: int = 0,
          step: Fraction | None = None) -> Rule:
    reads = tuple(dict.fromkeys(value_key(e) for e in compiler.reads(source))) if source is not None else ()
    return Rule(clause, source, units, step, reads)


def _item(node: Node, kind: Kind, grid: Grid, compiler: ExprCompiler, referenced: set[str]) -> ItemPlan:
    """The item's clauses sorted into its §3 program: 不适用 → 得分 = E, or base → deductions →
    最多扣 → settle → awards → the clamp; then 不得分."""
    item = node.payload
    assert isinstance(item, ast.Item)
    maximum = grid.units(item.points.value)
    leave_out: list[Rule] = []
    zero: list[Zero] = []
    deduct: list[Deduct] = []
    award: list[Award] = []
    base = Base("full" if kind == "regular" else "none", maximum if kind == "regular" else 0, None)
    computed: ComputeScore | None = None
    cap: CapDeductions | None = None
    floor: Rule | None = None
    negative = False
    for clause in item.clauses:
        if isinstance(clause, ast.NotApplicable):
            leave_out.append(_rule(compiler, clause, clause.condition))
        elif isinstance(clause, ast.Zero):
            zero.append(Zero(_rule(compiler, clause, clause.condition)))
        elif isinstance(clause, ast.DeductIf):
            deduct.append(Deduct(_rule(compiler, clause, clause.condition, grid.units(clause.points.value)), False))
        elif isinstance(clause, ast.DeductPer):
            step = clause.step.value if clause.step is not None else None
            deduct.append(Deduct(_rule(compiler, clause, clause.per, grid.units(clause.points.value), step), True))
        elif isinstance(clause, ast.Award):
            award.append(Award(_rule(compiler, clause, clause.condition, grid.units(clause.points.value))))
        elif isinstance(clause, ast.ScoreIs):
            computed = ComputeScore(_rule(compiler, clause, clause.expr))
        elif isinstance(clause, ast.Judged) and kind == "regular":
            part = judged_part(item, clause)
            base = Base("judged", grid.units(part.offset), _rule(compiler, clause, None), part.sign)
        elif isinstance(clause, (ast.Start, ast.Grades)) and kind == "regular":
            start = isinstance(clause, ast.Start)
            units = grid.units(clause.points.value) if isinstance(clause, ast.Start) else 0
            base = Base("start" if start else "judged", units, _rule(compiler, clause, None, units))
        elif isinstance(clause, ast.MaxDeduct):
            cap = CapDeductions(_rule(compiler, clause, None, grid.units(clause.points.value)))
        elif isinstance(clause, ast.FloorZero):
            floor = _rule(compiler, clause, None)
        elif isinstance(clause, ast.AllowNegative):
            negative = True
    program: list[Op] = [LeaveOut(tuple(leave_out))] if leave_out else []
    if computed is not None:
        program += [computed, Clamp(maximum, 0, floor)]
    else:
        program += [base, *deduct]
        if deduct:
            program += [cap, Settle(1 if kind == "penalty" else -1)] if cap is not None else \
                [Settle(1 if kind == "penalty" else -1)]
        program += [*award, Clamp(maximum, None if negative else 0, floor)]
    program += zero
    key = f"@{item.name}"
    return ItemPlan(node.id, item.name, kind, item.span.line, maximum, item, tuple(program),
                    key if key in referenced else None)


def _section(node: Node, grid: Grid, referenced: set[str]) -> SectionPlan:
    container = node.payload
    assert isinstance(container, (ast.Section, ast.ExtraSection))
    kind = _KINDS["section" if isinstance(container, ast.Section) else container.kind]
    section = container if isinstance(container, ast.Section) else None
    if section is not None and node.parent is not None:
        kind = "group"
    name = container.display_name
    own = section.own_items if section else container.items
    return SectionPlan(
        node.id, name, kind,
        grid.units(container.points.value if isinstance(container, ast.Section) else container.cap.value),
        tuple(item_id(i.name) for i in own), {item_id(i.name): grid.units(i.points.value) for i in own},
        grid.units(section.pass_line.value) if section and section.pass_line else None,
        section.weight.value if section and section.weight else None,
        f"@{name}" if f"@{name}" in referenced and name not in {i.name for i in own} else None,
        tuple(ChoicePlan(c.name, grid.units(c.points.value),
                         tuple((p.name, tuple(item_id(i.name) for i in p.items)) for p in c.paths), c.by)
              for c in (section.choices if section else ())),
        tuple(section_id(g) for g in section.groups) if section else (),
        tuple(item_id(i.name) for i in container.items))


def _score_keys_read(graph: Graph) -> set[str]:
    """Value keys (`@名称`, 总分, 未达标类型数) that some derived value, clause or veto reads,
    from the graph's edges: only those scores are converted to points during a run."""
    keys: set[str] = set()
    for node in graph.nodes:
        if node.kind not in ("let", "clause", "veto"):
            continue
        for source in filter(None, map(graph.get, node.inputs)):
            if source.kind in ("item", "section", "bonus", "penalty"):
                keys.add(f"@{source.name}")
            elif source.kind in ("total", "below_pass"):
                keys.add(source.name)
    return keys


def _describe(plan: ScoringPlan) -> list[str]:
    grid, texts = plan.grid, SourceTexts(plan.graph.sources)

    def pts(units: int) -> str:
        return format_decimal(Fraction(grid.points(units))) + "分"

    def rule(role: str, r: Rule) -> str:
        facts = [f"{pts(r.units)}({r.units} 单位)"] if r.units else []
        facts += [f"读 {'、'.join(r.reads)}"] if r.reads else []
        return f"    {role} {texts.text(r.clause.span)}(第 {r.line} 行" + "".join(f";{f}" for f in facts) + ")"

    lines = [f"计分计划 {plan.rubric}(精度 {format_decimal(grid.step)} 分;分数以精度单位计,四舍五入一次)",
             "项目的规则按顺序:① 不适用 → ② 起评/酌情/分档/得分 → ③ 扣分 → ④ 最多扣 → ⑤ 加分 → "
             "⑥ 不超过分值、不低于 0(可倒扣除外)→ ⑦ 不得分;每个项目列出它的各步",
             "事实 " + "、".join(f"{n}:{f.type.kind}" for n, f in plan.facts.items())]
    for step in plan.steps:
        if step.kind == "let":
            lines.append(f"令 {step.key}")
        elif step.kind == "item":
            item = plan.items[str(step.key)]
            lines.append(f"项目 {item.name} [{item.kind}] 分值 {pts(item.max)}")
            lines += [line for op in item.program for line in _describe_op(op, rule, pts)]
        elif step.kind == "section":
            section = plan.section(str(step.key))
            extra = "".join([f" 达标线 {pts(section.pass_line)}" if section.pass_line is not None else "",
                             f" 权重 {format_decimal(section.weight)}" if section.weight is not None else ""])
            parts = [*(plan.items[i].name for i in section.items), *(plan.section(g).name for g in section.groups)]
            lines.append(f"类型 {section.name} [{section.kind}] {pts(section.points)}{extra} = "
                         f"{' + '.join(parts) or '0'},限于 0 到 {pts(section.points)}")
        elif step.kind == "veto":
            veto = plan.vetoes[int(step.key)]
            lines.append(f"否决 {int(step.key) + 1}:{texts.text(veto.rule.clause.span)}(第 {veto.rule.line} 行)")
        elif step.kind == "regular":
            rs = plan.regular_sum
            how = "各类型得分率 × 权重 × 满分" if rs.weights is not None else "各类型得分相加"
            lines.append(f"合计 = {how}" + (f",再折算为 {pts(rs.target)}" if rs.target is not None else ""))
        elif step.kind == "total":
            lines.append(f"{TOTAL_KEY} = 合计 + 加分类型 − 扣分类型,不低于 0")
        else:
            lines.append("未达标类型数 = 得分低于达标线的类型个数")
    return lines


def _describe_op(op: Op, rule: Callable[[str, Rule], str], pts: Callable[[int], str]) -> list[str]:
    """One step of an item's program, as `starrules plan` prints it."""
    if isinstance(op, LeaveOut):
        return [rule("① 不适用", r) for r in op.rules]
    if isinstance(op, ComputeScore):
        return [rule("② 得分", op.rule)]
    if isinstance(op, Base):
        if op.partial:
            how = f"起点 = {pts(op.units)} {'+' if op.sign > 0 else '−'} 评定的分"
            return [rule("② 评定", op.rule) + f",{how}"] if op.rule is not None else [f"    ② {how}"]
        if op.rule is not None:
            return [rule("② 起评" if op.kind == "start" else "② 评定", op.rule)]
        return [f"    ② 起点 {pts(op.units)}" + ("(满分)" if op.kind == "full" else "(加分、扣分项目)")]
    if isinstance(op, Deduct):
        return [rule("③", op.rule)]
    if isinstance(op, CapDeductions):
        return [rule("④", op.rule)]
    if isinstance(op, Settle):
        return ["    得分 = 起点 − 扣分" if op.sign < 0 else "    得分 = 起点 + 扣分(扣分类型的项目,累计所扣)"]
    if isinstance(op, Award):
        return [rule("⑤", op.rule)]
    if isinstance(op, Clamp):
        low = "不设下限(可倒扣)" if op.low is None else f"不低于 {pts(op.low)}"
        return [f"    ⑥ 不超过 {pts(op.high)},{low}"] + ([rule("⑥", op.floor)] if op.floor is not None else [])
    return [rule("⑦", op.rule)]
