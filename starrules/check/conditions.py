"""Named conditions: `条件 名称 = C` at a file's top level (issue 22 §4, docs/language.md §4).

A named condition belongs to the program — the file and every file it imports, as schemes do —
so two schemes (or a scheme and a standard's 否决) write a level's conditions once. It may be used
by name wherever a condition is read after scoring: a level's `且` conditions, 降档, 否决, 提示 and
排名's `当`. It is not a value: grading is lowered with each name replaced by its expression
(`inline`), so every engine runs the expression itself and nothing new reaches them.

Checked here, once per program: a name declared twice (E426), conditions that use each other in
a circle (E427), and one that, expanded, is nested deeper than an expression may be or grows too
large to run (E006). Per standard: a condition named like one of its facts, 令 or choice values
(E426). Where it is used, the expression checker types it (a 是否, E428).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import attrs

from ..core.limits import DEFAULT, Limits
from ..core.reporter import Reporter
from ..core.source import Span
from ..lang import ast
from .cycles import cycles
from .exprcheck import children, walk

Named = Mapping[str, ast.NamedCondition]
EXPANDED_NODES = 10_000  # nodes of one condition with the conditions it uses written out [E006]
HIDDEN = Span("<条件>", 0, 0, 0, 0)  # where a read inside an expansion is, when it is not to be shown


@attrs.frozen
class ProgramConditions:
    """The program's named conditions by name (the first of a name declared twice), and those
    fit to expand: not in a circle, not too deep or too large when written out."""

    declared: dict[str, ast.NamedCondition]
    expandable: dict[str, ast.NamedCondition]


def program_conditions(modules: Iterable[ast.Module], reporter: Reporter, limits: Limits = DEFAULT) -> ProgramConditions:
    declared: dict[str, ast.NamedCondition] = {}
    for module in modules:
        for block in module.blocks:
            if not isinstance(block, ast.NamedCondition):
                continue
            first = declared.get(block.name)
            if first is not None:
                reporter.report("E426", f"条件“{block.name}”定义了两次", block.name_span,
                                "每个条件只定义一次;引用的文件中的条件在本文件中也能用",
                                [reporter.note(first.name_span, "第一次定义在这里")])
            else:
                declared[block.name] = block
    circular = _circles(declared, reporter)
    sound = {name: c for name, c in declared.items() if name not in circular}
    too_big = _too_big(sound, reporter, limits)
    return ProgramConditions(declared, {name: c for name, c in sound.items() if name not in too_big})


def uses(expr: ast.Expr, conditions: Named) -> Iterator[ast.NameRef]:
    """The names of conditions in `expr` (not looking inside them)."""
    return (n for n in walk(expr) if isinstance(n, ast.NameRef) and n.name in conditions)


def check_names(rubric: ast.Rubric, facts: Mapping[str, ast.Fact], lets: Mapping[str, ast.Let],
                conditions: Named, reporter: Reporter) -> dict[str, ast.NamedCondition]:
    """E426 for a condition named like one of the standard's facts, 令 or choice values (a bare
    name would mean two things); the conditions the standard sees are the others."""
    options = {option for fact in facts.values() for option in fact.type.choices}
    visible: dict[str, ast.NamedCondition] = {}
    for name, condition in conditions.items():
        what = "事实" if name in facts else "派生值" if name in lets else "选项值" if name in options else None
        if what is None:
            visible[name] = condition
            continue
        reporter.report("E426", f"条件“{name}”与标准“{rubric.name}”的{what}同名", condition.name_span,
                        "给条件换一个名字:同一个名称在条件中只能指一样东西")
    return visible


def inline(expr: ast.Expr, conditions: Named, shown: bool = True) -> ast.Expr:
    """`expr` with every name of a condition replaced by that condition's expression, itself
    expanded (names outside `conditions` — facts, 令, choice values — are left as they are).
    `shown` False: the reads inside an expansion get a span no rule text contains, so a trace
    written from `expr`'s own text shows the name as written and no values it cannot place."""
    return _Inliner(conditions, shown).expr(expr)


def walk_expanded(expr: ast.Expr, conditions: Named) -> Iterator[ast.Expr]:
    """Every sub-expression of `expr` and of each condition it uses, each condition once."""
    seen: set[str] = set()
    stack = [expr]
    while stack:
        for node in walk(stack.pop()):
            yield node
            if isinstance(node, ast.NameRef) and node.name in conditions and node.name not in seen:
                seen.add(node.name)
                stack.append(conditions[node.name].expr)


class _Inliner:
    def __init__(self, conditions: Named, shown: bool) -> None:
        self.conditions, self.shown = conditions, shown
        self.expanded: dict[str, ast.Expr] = {}  # each condition written out once, then shared

    def expr(self, node: ast.Expr) -> ast.Expr:
        if isinstance(node, ast.NameRef) and node.name in self.conditions:
            return self.expansion(node.name)
        return _with_children(node, [self.expr(child) for child in children(node)])

    def expansion(self, name: str) -> ast.Expr:
        found = self.expanded.get(name)
        if found is None:
            found = self.expr(self.conditions[name].expr)
            if not self.shown:
                found = _hidden_reads(found)
            self.expanded[name] = found
        return found


_READS = (ast.NameRef, ast.ScoreRef, ast.TotalRef, ast.BelowPassRef)


def _hidden_reads(node: ast.Expr) -> ast.Expr:
    if isinstance(node, _READS):
        return attrs.evolve(node, span=HIDDEN)
    return _with_children(node, [_hidden_reads(child) for child in children(node)])


def _with_children(node: ast.Expr, new: list[ast.Expr]) -> ast.Expr:
    """`node` with its sub-expressions (in `children` order) replaced; itself when none changed."""
    if all(a is b for a, b in zip(new, children(node))):
        return node
    if isinstance(node, (ast.Negate, ast.Not)):
        return attrs.evolve(node, operand=new[0])
    if isinstance(node, (ast.Binary, ast.Compare)):
        return attrs.evolve(node, left=new[0], right=new[1])
    if isinstance(node, ast.InList):
        return attrs.evolve(node, operand=new[0], options=tuple(new[1:]))
    if isinstance(node, (ast.And, ast.Or)):
        return attrs.evolve(node, operands=tuple(new))
    if isinstance(node, ast.IfElse):
        return attrs.evolve(node, condition=new[0], then=new[1], otherwise=new[2])
    if isinstance(node, ast.Call):
        return attrs.evolve(node, args=tuple(new))
    assert isinstance(node, ast.ListCall)
    return attrs.evolve(node, items=tuple(new))


def _circles(declared: Named, reporter: Reporter) -> set[str]:
    """E427 for each circle of conditions using each other; the names in one."""
    found: set[str] = set()
    for circle in cycles({name: list(_used(condition, declared)) for name, condition in declared.items()}):
        found.update(circle)
        reporter.report("E427", f"条件循环引用:{' → '.join([*circle, circle[0]])}", declared[circle[0]].name_span,
                        "一个条件不能(直接或通过别的条件)用到它自己")
    return found


def _used(condition: ast.NamedCondition, declared: Named) -> Iterator[str]:
    return iter(list(dict.fromkeys(n.name for n in uses(condition.expr, declared))))


def _too_big(sound: Named, reporter: Reporter, limits: Limits) -> set[str]:
    """E006 for a condition that, written out with the conditions it uses, is nested deeper than
    an expression may be, or has more than EXPANDED_NODES nodes (a condition used twice in the
    next, and so on, doubles at each step); the names of those, and of those that use them."""
    depth: dict[str, int] = {}
    size: dict[str, int] = {}
    bad: set[str] = set()
    for name in _dependency_order(sound):
        condition = sound[name]
        if any(n.name in bad for n in uses(condition.expr, sound)):
            bad.add(name)
            continue
        depth[name], size[name] = _measure(condition.expr, sound, depth, size)
        if depth[name] > limits.expression_depth:
            reporter.report("E006", f"条件“{name}”连同它用到的条件展开后嵌套 {depth[name]} 层"
                            f"(最多 {limits.expression_depth} 层)", condition.name_span, "把条件拆开,少套几层")
            bad.add(name)
        elif size[name] > EXPANDED_NODES:
            reporter.report("E006", f"条件“{name}”连同它用到的条件展开后过大({size[name]} 个节点,"
                            f"最多 {EXPANDED_NODES} 个)", condition.name_span, "同一个条件不要在另一个条件中反复套用")
            bad.add(name)
    return bad


def _measure(expr: ast.Expr, sound: Named, depth: Mapping[str, int], size: Mapping[str, int]) -> tuple[int, int]:
    """(nesting, nodes) of `expr` written out, the conditions it uses measured already."""
    if isinstance(expr, ast.NameRef) and expr.name in sound:
        return depth[expr.name], size[expr.name]
    parts = [_measure(child, sound, depth, size) for child in children(expr)]
    return 1 + max((d for d, _ in parts), default=0), 1 + sum(s for _, s in parts)


def _dependency_order(sound: Named) -> list[str]:
    """The conditions (none in a circle) with each after those it uses."""
    order: list[str] = []
    done: set[str] = set()
    for root in sound:
        stack = [(root, _used(sound[root], sound))]
        while stack:
            name, pending = stack[-1]
            following = next(pending, None)
            if following is None:
                stack.pop()
                if name not in done:
                    done.add(name)
                    order.append(name)
            elif following not in done:
                stack.append((following, _used(sound[following], sound)))
    return order
