"""The fill-in form of a rubric: what an assessor enters for each item, in the order of the
评分表. An item's inputs are its own 酌情 / 分档 entry and the facts its rules read that no
earlier item asked for; facts read only by schemes, vetoes or derived values come last.
The Excel template, the Excel reader and the printed scorecard all follow this one layout."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import attrs

from ..lang import ast
from ..plan.evidence import judged_items, judged_range, may_be_left_out
from ..plan.graph import Graph, item_id
from ..check.model import CheckedRubric
from ..core.numbers import format_decimal
from ..eval.evaluator import evaluator_for

_TYPE_HINTS = {"bool": "填 是 或 否", "count": "填不小于 0 的整数", "number": "填数值",
               "ratio": "填 0 到 1 之间的小数或百分数(如 85%)"}


# the workbook's layout, shared by the template writer (report/xlsx_template.py) and its reader
FORM_SHEET, BATCH_SHEET = "评分表", "批量"
INPUT_HEADER, KEY_HEADER, HINT_HEADER = "填写", "填写项", "填写说明"
TABLE_HEADERS = ("类型", "项目", "分值", "考核评价标准", "考评方式")
# a rubric with groups (类型 inside 类型) has one column per level in place of 类型: 一级指标, 二级指标 …
LEVEL_NUMERALS = "一二三四五六七八九"
METHOD_HEADER = TABLE_HEADERS[-1]  # the last column of the paper form; the input columns follow it
KEY_SEPARATOR = "/"  # 批量 column of a rater's sheet or the history: 支部自评/设置合理, 历史/等次/2025


@attrs.frozen
class Input:
    """One value the assessor enters: a fact, or the entry of a 酌情 / 分档 item."""

    key: str  # the evidence key
    kind: str  # bool count number ratio choice judged grades
    hint: str  # 填写说明
    required: bool
    choices: tuple[str, ...] = ()  # 是/否, the options, or the grade names
    low: Fraction | None = None  # a 酌情 range
    high: Fraction | None = None


@attrs.frozen
class FormItem:
    section: ast.Container
    item: ast.Item
    inputs: tuple[Input, ...]
    groups: tuple[ast.Section, ...] = ()  # the groups it lies in within `section`, outermost first

    @property
    def heading(self) -> str:
        """The section as the 类型 column shows it: 党的组织设置 20分, 加分项 最多 5分."""
        return heading_of(self.section)

    @property
    def path(self) -> tuple[ast.Container, ...]:
        """Its section and the groups it lies in: one per 一级、二级 … 指标 column."""
        return (self.section, *self.groups)

    def text(self, kind: str) -> str:
        """The item's 说明 (criterion) or 方式 (method) text, joined when written more than once."""
        return "\n".join(c.text for c in self.item.clauses if isinstance(c, ast.Text) and c.kind == kind)


def heading_of(section: ast.Container) -> str:
    """A section or group as its column shows it: 党的组织设置 20分, 班子建设 12分, 加分项 最多 5分."""
    if isinstance(section, ast.Section):
        return f"{section.display_name} {format_decimal(section.points.value)}分"
    return f"{section.display_name} 最多 {format_decimal(section.cap.value)}分"


@attrs.frozen
class Form:
    items: tuple[FormItem, ...]
    other_facts: tuple[Input, ...]  # facts no item reads

    def inputs(self) -> Iterator[Input]:
        for entry in self.items:
            yield from entry.inputs
        yield from self.other_facts

    @property
    def levels(self) -> int:
        """How many levels the table has: 1 without groups, 3 for 一级 → 二级 → 三级指标."""
        return max((len(entry.path) for entry in self.items), default=1)

    @property
    def table_headers(self) -> tuple[str, ...]:
        """The paper form's columns: 类型 | 项目 | … , or 一级指标 | 二级指标 | … | 项目 | … with groups."""
        if self.levels == 1:
            return TABLE_HEADERS
        return (*(level_header(n) for n in range(1, self.levels + 1)), *TABLE_HEADERS[1:])


def level_header(level: int) -> str:
    """一级指标 … 九级指标, then 10级指标 (Limits.group_depth allows 4 unless raised)."""
    return f"{LEVEL_NUMERALS[level - 1] if level <= len(LEVEL_NUMERALS) else level}级指标"


def build_form(rubric: CheckedRubric) -> Form:
    judged = judged_items(rubric)
    asked: set[str] = set()
    entries: list[FormItem] = []
    for section in rubric.containers:
        homes = _groups_holding(section) if isinstance(section, ast.Section) else {}
        for item in section.items:
            inputs = [_judged_input(item, rubric.precision, item.name in rubric.blank_scores)] if item.name in judged else []
            for fact in _facts_read(evaluator_for(rubric).graph, item_id(item.name)):
                if fact not in asked:
                    asked.add(fact)
                    inputs.append(fact_input(rubric.facts[fact]))
            entries.append(FormItem(section, item, tuple(inputs), homes.get(item.name, ())))
    others = tuple(fact_input(fact) for name, fact in rubric.facts.items() if name not in asked)
    return Form(tuple(entries), others)


def _groups_holding(section: ast.Section) -> dict[str, tuple[ast.Section, ...]]:
    """Item name → the groups of `section` it lies in, outermost first (an own item is absent)."""
    found: dict[str, tuple[ast.Section, ...]] = {}
    for group in section.groups:
        for name, inner in _groups_holding(group).items():
            found[name] = (group, *inner)
        for item in group.own_items:
            found[item.name] = (group,)
    return found


def _facts_read(graph: Graph, node_id: str) -> list[str]:
    """Facts an item's rules read, directly or through derived values, in the order written."""
    found: list[str] = []
    pending = list(graph[node_id].inputs)
    while pending:
        node = graph.get(pending.pop(0))
        if node is None or node.kind in ("item", "section", "bonus", "penalty", "total", "below_pass", "regular"):
            continue  # an assessor's entry, or a score read through @
        if node.kind == "fact":
            found.append(node.name)
        else:
            pending.extend(node.inputs)
    return list(dict.fromkeys(found))


def fact_input(fact: ast.Fact) -> Input:
    kind = fact.type.kind
    choices = ("是", "否") if kind == "bool" else fact.type.choices
    hint = "选一项:" + "、".join(choices) if kind == "choice" else _TYPE_HINTS[kind]
    if fact.unit:
        hint += f",单位:{fact.unit}"
    if fact.default is not None:
        hint += f";不填按 {_default_text(fact.default)}"
    if fact.description:
        hint = f"{fact.description}。{hint}"
    return Input(fact.name, kind, hint, fact.default is None, choices)


def _default_text(default: ast.Literal) -> str:
    if isinstance(default, ast.Bool):
        return "是" if default.value else "否"
    if isinstance(default, ast.NameRef):
        return default.name
    return format_decimal(default.value)


def _judged_input(item: ast.Item, precision: Fraction, on_a_path: bool) -> Input:
    """`on_a_path`: the item is on a 任选其一 path (its score is needed only when that path is chosen)."""
    clause = next(c for c in item.clauses if isinstance(c, (ast.Judged, ast.Grades)))
    required = not may_be_left_out(item) and not on_a_path
    if isinstance(clause, ast.Grades):
        names = tuple(g.name for g in clause.levels)
        hint = "分档,选一档:" + "、".join(f"{g.name}({g.points.text}分)" for g in clause.levels)
        return Input(item.name, "grades", hint, required, names)
    low, high = judged_range(item, clause)
    span = f"{format_decimal(low)} 至 {format_decimal(high)} 分,最小单位 {format_decimal(precision)} 分"
    hint = {"judged": f"酌情给分:{span}",  # 酌情: the entry is the item's score
            "award": f"酌情给分(扣分规则以外的部分):{span}",
            "deduct": f"酌情扣分,填要扣的分(不是得分):{span}"}[clause.mode]
    if clause.guidance:
        hint += f"({clause.guidance})"
    return Input(item.name, "judged", hint, required, (), low, high)
