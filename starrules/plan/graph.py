"""The evaluation graph: a checked rubric as nodes in dependency order.

facts → derived values → clauses → items → sections (regular, bonus, penalty) → total → vetoes.
`@` references and derived values that read scores can order items among themselves, so the
order is a topological sort, not the order of the file. The graph is plain frozen data
(picklable); the evaluator turns it into functions.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from fractions import Fraction

import attrs

from ..lang import ast
from ..check.checker import clause_expressions
from ..check.exprcheck import walk
from ..core.limits import DEFAULT, Limits
from ..check.model import CheckedRubric
from ..core.source import Span

TOTAL = "总分"
REGULAR = "合计"
BELOW_PASS = "未达标类型数"

Payload = ast.Fact | ast.Let | ast.Clause | ast.Item | ast.Container | ast.Veto | None


@attrs.frozen
class Node:
    """One value computed during evaluation; `id` is unique, `inputs` are the ids it reads."""

    id: str
    kind: str  # fact let clause item section bonus penalty below_pass regular total veto
    name: str
    inputs: tuple[str, ...]
    span: Span
    payload: Payload = attrs.field(eq=False, repr=False)
    parent: str | None = None  # an item's container, a clause's item


@attrs.frozen
class Graph:
    """Everything evaluation needs, and nothing from the parser or checker."""

    rubric: str
    title: str | None
    precision: Fraction
    max_score: Fraction | None
    rescale: Fraction | None
    nodes: tuple[Node, ...]  # topologically ordered: every input comes before its reader
    sources: dict[str, str] = attrs.field(eq=False, repr=False)  # file → text, for rule text
    limits: Limits = attrs.field(default=DEFAULT, eq=False, repr=False)  # bounds on the evidence
    _index: dict[str, Node] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_index", {n.id: n for n in self.nodes})

    def __getitem__(self, node_id: str) -> Node:
        return self._index[node_id]

    def get(self, node_id: str) -> Node | None:
        """The node, or None for an input that is not a node (an assessor's 酌情 / 分档 entry)."""
        return self._index.get(node_id)

    def of_kind(self, *kinds: str) -> Iterator[Node]:
        return (n for n in self.nodes if n.kind in kinds)


def fact_id(name: str) -> str:
    return f"事实 {name}"


def let_id(name: str) -> str:
    return f"令 {name}"


def item_id(name: str) -> str:
    return f"项目 {name}"


def section_id(container: ast.Container) -> str:
    if isinstance(container, ast.Section):
        return f"类型 {container.name}"
    word = "加分项" if container.kind == "bonus" else "减分项"
    return word if container.name is None else f"{word} {container.name}"


def compile_graph(rubric: CheckedRubric) -> Graph:
    """The rubric's nodes in dependency order (the checker has ruled out cycles)."""
    builder = _Builder(rubric)
    return Graph(rubric.name, rubric.title, rubric.precision, rubric.max_score, rubric.rescale,
                 tuple(_topological(builder.nodes)), rubric.sources, rubric.limits)


class _Builder:
    def __init__(self, rubric: CheckedRubric) -> None:
        self.rubric = rubric
        self.scores: dict[str, str] = {}
        for container in rubric.containers:
            self.scores[container.display_name] = section_id(container)
            for group in container.nested() if isinstance(container, ast.Section) else ():
                self.scores[group.name] = section_id(group)
            for item in container.items:
                self.scores[item.name] = item_id(item.name)
        self.nodes: list[Node] = []
        for fact in rubric.facts.values():
            self.nodes.append(Node(fact_id(fact.name), "fact", fact.name, (), fact.span, fact))
        for let in rubric.lets.values():
            self.nodes.append(Node(let_id(let.name), "let", let.name, self.inputs(let.expr), let.span, let))
        for container in rubric.containers:
            self.add_container(container)
        sections = tuple(section_id(s) for s in rubric.sections)
        below = tuple(section_id(s) for s in rubric.sections if s.pass_line is not None)
        name_span = rubric.definition.name_span
        self.nodes.append(Node(BELOW_PASS, "below_pass", BELOW_PASS, below, name_span, None))
        self.nodes.append(Node(REGULAR, "regular", REGULAR, sections, name_span, None))
        extras = tuple(section_id(s) for s in rubric.extra_sections)
        self.nodes.append(Node(TOTAL, "total", TOTAL, (REGULAR, *extras), name_span, None))
        for number, veto in enumerate(rubric.vetoes, 1):
            self.nodes.append(Node(f"否决 {number}", "veto", f"否决 {number}", self.inputs(veto.condition),
                                   veto.span, veto))

    def add_container(self, container: ast.Container, parent: str | None = None) -> None:
        """A section's (or a group's, inside `parent`) items and clauses, and its groups', in the
        order written (the engines keep items in this order)."""
        kind = "section" if isinstance(container, ast.Section) else container.kind
        container_id = section_id(container)
        groups = container.groups if isinstance(container, ast.Section) else ()
        holding = {item.name: group for group in groups for item in group.items}
        added: set[str] = set()
        for item in container.items:
            group = holding.get(item.name)
            if group is None:
                self.add_item(item, container_id)
            elif group.name not in added:
                added.add(group.name)
                self.add_container(group, container_id)
        for group in groups:
            if group.name not in added:  # a group with no items
                self.add_container(group, container_id)
        own = container.own_items if isinstance(container, ast.Section) else container.items
        self.nodes.append(Node(container_id, kind, container.display_name,
                               (*(item_id(i.name) for i in own), *(section_id(g) for g in groups)), container.span,
                               container, parent))

    def add_item(self, item: ast.Item, container_id: str) -> None:
        clause_ids: list[str] = []
        for number, clause in enumerate(item.clauses, 1):
            inputs = tuple(dict.fromkeys(i for e, _, _ in clause_expressions(clause) for i in self.inputs(e)))
            if inputs or isinstance(clause, (ast.Judged, ast.Grades)):
                clause_id = f"子句 {item.name}#{number}"
                if isinstance(clause, (ast.Judged, ast.Grades)):
                    inputs = (f"证据 {item.name}",)  # the assessor's entry in the evidence
                self.nodes.append(Node(clause_id, "clause", _clause_label(clause), inputs, clause.span, clause,
                                       item_id(item.name)))
                clause_ids.append(clause_id)
        self.nodes.append(Node(item_id(item.name), "item", item.name, tuple(clause_ids), item.span, item,
                               container_id))

    def inputs(self, expr: ast.Expr) -> tuple[str, ...]:
        found: list[str] = []
        for node in walk(expr):
            if isinstance(node, ast.NameRef):
                if node.name in self.rubric.facts:
                    found.append(fact_id(node.name))
                elif node.name in self.rubric.lets:
                    found.append(let_id(node.name))
            elif isinstance(node, ast.ScoreRef):
                found.append(self.scores[node.name])
            elif isinstance(node, ast.TotalRef):
                found.append(TOTAL)
            elif isinstance(node, ast.BelowPassRef):
                found.append(BELOW_PASS)
        return tuple(dict.fromkeys(found))


_CLAUSE_LABELS: dict[type, str] = {
    ast.DeductIf: "扣分", ast.DeductPer: "每…扣", ast.Award: "加分", ast.Zero: "不得分", ast.Judged: "酌情",
    ast.Grades: "分档", ast.NotApplicable: "不适用", ast.ScoreIs: "得分 =",
}


def _clause_label(clause: ast.Clause) -> str:
    return _CLAUSE_LABELS.get(type(clause), type(clause).__name__)


def _topological(nodes: list[Node]) -> list[Node]:
    """Kahn's algorithm, keeping file order among nodes that are ready together."""
    known = {n.id for n in nodes}
    waiting = {n.id: sum(1 for i in n.inputs if i in known) for n in nodes}
    readers: dict[str, list[int]] = {}
    for index, node in enumerate(nodes):
        for source in node.inputs:
            readers.setdefault(source, []).append(index)
    ready = [i for i, n in enumerate(nodes) if waiting[n.id] == 0]
    heapq.heapify(ready)
    order: list[Node] = []
    while ready:
        node = nodes[heapq.heappop(ready)]
        order.append(node)
        for reader in readers.get(node.id, []):
            waiting[nodes[reader].id] -= 1
            if waiting[nodes[reader].id] == 0:
                heapq.heappush(ready, reader)
    if len(order) != len(nodes):
        raise ValueError("cycle in the evaluation graph; the checker should have reported E406")
    return order
