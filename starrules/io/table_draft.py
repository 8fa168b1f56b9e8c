"""`starrules import`, writing: a 评分表 read by table_import as a draft `.rubric` — a 标准 with the
table's sections and items and points, each item's 考核评价标准 as 说明 and 考评方式 as 方式, the
clauses table_clauses recognises as rules over invented, declared facts, and `酌情` with a
`# 待确认:「…」` comment for the rest. The text is laid out by the project's formatter.

Choices a person should know:
- a 类型 cell that prints its points ("党的组织设置10分") gives the section those points; otherwise
  the section has the sum of its items. Items that add up to more than the printed points (E401)
  make the section the sum, with a comment;
- 精度 is 0.5, or finer when a printed value needs it;
- an item whose deductions could add up to more than its points, or that counts (每 … 扣) or
  starts from 酌情, gets `扣完为止` with a comment saying the table did not write it;
- an unrecognised clause makes the item start from 酌情 (the recognised rules still apply after it)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import attrs

from ..core.numbers import format_decimal
from ..lang.formatter import format_text, name_text, quote
from .table_clauses import Clause, Fact, Rule, Unrecognised, clauses, judged_word
from .table_import import SourceItem, SourceTable, item_points, read_table, section_name_and_points


@attrs.frozen
class Draft:
    text: str  # the formatted .rubric
    table: SourceTable
    recognised: int  # clauses written as rules
    unconfirmed: int  # clauses left as 酌情 + 待确认
    no_method: int  # items whose 考评方式 the table does not show


def import_table(path: str | Path) -> Draft:
    """The draft rubric for the 评分表 in `path` (.xlsx or .docx); TableImportError (E007) when the
    file holds no 评分表."""
    return draft(read_table(path))


def draft(table: SourceTable) -> Draft:
    return _Writer(table).run()


def _comment(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class _Writer:
    def __init__(self, table: SourceTable) -> None:
        self.table = table
        self.used: dict[str, str] = {}  # name → what it names (section, item, fact)
        self.facts: dict[str, Fact] = {}
        self.fact_names: dict[tuple[str, str, str | None], str] = {}  # (words, kind, unit) → name
        self.notices: list[tuple[str, str]] = []
        self.recognised = self.unconfirmed = self.no_method = 0
        self.points: list[Fraction] = []

    def run(self) -> Draft:
        sections = self._sections()
        body: list[str] = []
        totals: list[Fraction] = []
        for printed, items in sections:
            body.extend(self._section(printed, items, totals))
        title = self.table.title or Path(self.table.file).stem
        name = self._unique(re.sub(r"[^\w]", "", _name_from(title)) or "评分标准", "standard")
        precision = _precision(self.points)
        head = [f"# 由 starrules import 从“{Path(self.table.file).name}”({self.table.where})生成的草稿。",
                f"# 考评方式中的 {self.recognised + self.unconfirmed} 条计分规定:{self.recognised} 条写成了规则,"
                f"{self.unconfirmed} 条待确认(酌情给分,见“# 待确认”);{self.no_method} 个项目原表没有考评方式。",
                "# 事实的名称取自原文,请改成本单位习惯的说法;每条规则都请与原表核对。",
                f"标准 {name_text(name)} {{",
                f"标题 {quote(title)}",
                f"来源 {quote(Path(self.table.file).name)}",
                f"满分 {format_decimal(sum(totals, Fraction(0)))}",
                f"精度 {format_decimal(precision)}", ""]
        for fact in self.facts.values():
            unit = f" 单位 {quote(fact.unit)}" if fact.unit else ""
            head.append(f"事实 {name_text(fact.name)}: {fact.kind}{unit} {quote('原文:' + fact.text)}")
        tail = [f"提示 如果 {name_text(fact)} {quote(text)}" for fact, text in self.notices]
        text = "\n".join([*head, "", *body, *tail, "}", ""])
        return Draft(format_text(text, f"{self.table.file}.rubric"), self.table, self.recognised,
                     self.unconfirmed, self.no_method)

    # ── sections and items ──

    def _sections(self) -> list[tuple[str, list[SourceItem]]]:
        sections: list[tuple[str, list[SourceItem]]] = []
        for item in self.table.items:
            if not sections or sections[-1][0] != item.section:
                sections.append((item.section, []))
            sections[-1][1].append(item)
        return sections

    def _section(self, printed: str, items: Sequence[SourceItem], totals: list[Fraction]) -> list[str]:
        title, stated = section_name_and_points(printed) if printed else (_name_from(self.table.title or "") or "评分", None)
        name = self._unique(_name_from(title) or "类型", "section")
        sums = sum((item_points(i.points) or Fraction(0) for i in items), Fraction(0))
        note: list[str] = []
        points = stated if stated is not None else sums
        if stated is not None and sums > stated:
            note.append(f"# 原表“{_comment(printed)}”,但各项目合计 {format_decimal(sums)} 分:这里按合计计")
            points = sums
        self.points.append(points)
        totals.append(points)
        lines = [*note, f"类型 {name_text(name)} {format_decimal(points)}分 {{"]
        for item in items:
            lines.extend(self._item(item, name))
        return [*lines, "}", ""]

    def _item(self, item: SourceItem, section: str) -> list[str]:
        points = item_points(item.points) or Fraction(0)
        self.points.append(points)
        name = self._unique(_name_from(item.name) or "项目", "item", section)
        lines = [f"项目 {name_text(name)} {format_decimal(points)}分 {{"]
        if item.sub_rows:
            lines.append(f"# 原表此项下还列有:{'、'.join(_comment(s) for s in item.sub_rows)}")
        if item.criteria:
            lines.append(f"说明 {quote(''.join(_comment(c) for c in item.criteria))}")
        method = "".join(_comment(m) for m in item.method)
        if method:
            lines.append(f"方式 {quote(method)}")
        found = clauses(method, name, points) if method else []
        rules = [c for c in found if isinstance(c, Rule)]
        unknown = [c for c in found if isinstance(c, Unrecognised)]
        if not found:
            self.no_method += 1 if not method else 0
            self.unconfirmed += 1 if method else 0
            quoted = f"「{_comment(method)}」" if method else "原表没有写考评方式"
            return [*lines, f"# 待确认:{quoted}", "酌情", "}"]
        judged = [r for r in rules if r.kind == "judged"]
        body: list[str] = []
        if judged or unknown:
            guidance = "".join(r.guidance or "" for r in judged[:1])
            word = judged_word(rules, points) if not unknown else "酌情"  # an unknown clause: for a person
            body.append(word + (f" {quote(guidance)}" if guidance else ""))
        for clause in found:
            if isinstance(clause, Unrecognised):
                body.insert(0, f"# 待确认:「{_comment(clause.text)}」")
                self.unconfirmed += 1
                continue
            self.recognised += 1
            body.extend(self._rule(clause))
        if not any(r.kind in ("floor", "max") for r in rules) and _may_overrun(rules, points, bool(judged or unknown)):
            body.append("扣完为止  # 原表没有写“扣完为止”:各条扣分合计可能超过分值")
        return [*lines, *body, "}"]

    def _rule(self, rule: Rule) -> list[str]:
        n = format_decimal(rule.points) if rule.points is not None else ""
        if rule.kind == "zero":
            return [f"不得分 如果 {self._fact(rule.fact)}"]
        if rule.kind == "deduct":
            condition = self._fact(rule.fact)
            if rule.compare is not None:
                condition += f" {rule.compare[0]} {format_decimal(rule.compare[1])}"
            return [f"扣 {n}分 如果 {condition}"]
        if rule.kind == "per":
            step = f"{rule.step} " if rule.step else ""
            return [f"每 {step}{self._fact(rule.fact)} 扣 {n}分"]
        if rule.kind == "per_list":
            names = ", ".join(self._fact(f) for f in rule.facts)
            return [f"每 {'未满足数' if rule.count_false else '满足数'}[{names}] 扣 {n}分"]
        if rule.kind == "award":
            return [f"得 {n}分 如果 {self._fact(rule.fact)}"]
        if rule.kind == "floor":
            return ["扣完为止"]
        if rule.kind == "max":
            return [f"最多扣 {n}分"]
        if rule.kind == "notice":
            fact = self._fact(rule.fact)
            self.notices.append((fact, _comment(rule.text).replace("情况另行处理", "情况,另行处理")))
            return [f"# 原文“{_comment(rule.text)}”:不计分,见文末的“提示”"]
        if rule.kind == "full":
            return [f"# 原文“{_comment(rule.text)}”:满分起评,不另写规则"]
        return []  # judged: written once, before the rules

    # ── names ──

    def _fact(self, fact: Fact | None) -> str:
        assert fact is not None
        key = (fact.name, fact.kind, fact.unit)
        if key not in self.fact_names:
            name = self._unique(fact.name, "fact")
            self.fact_names[key] = name
            self.facts[name] = attrs.evolve(fact, name=name)
        return name_text(self.fact_names[key])

    def _unique(self, name: str, kind: str, section: str | None = None) -> str:
        """`name`, or `name2`, `name3` … when a section, item or fact already has it (an item may
        share the name of its own section)."""
        candidate, number = name, 1
        while candidate in self.used and not (kind == "item" and self.used[candidate] == f"section:{candidate}"
                                              and candidate == section):
            number += 1
            candidate = f"{name}{number}"
        self.used[candidate] = f"{kind}:{candidate}"
        return candidate


def _name_from(text: str) -> str:
    """A cell's text as a name: spaces and line breaks dropped, a leading number (“1.”, “(一)”) and
    quotes around the whole dropped."""
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"^(?:[((]?[0-9一二三四五六七八九十]+[))、.．]|[0-9]+\s)", "", text)
    if len(text) > 2 and text[0] in "“\"" and text[-1] in "”\"" and text.count("“") <= 1:
        text = text[1:-1]
    return text[:60]


def _precision(points: Sequence[Fraction]) -> Fraction:
    """0.5, or the first finer step every printed value is a multiple of."""
    for step in (Fraction(1, 2), Fraction(1, 10), Fraction(1, 20), Fraction(1, 100), Fraction(1, 1000)):
        if all((p / step).denominator == 1 for p in points):
            return step
    return Fraction(1, 1000)


def _may_overrun(rules: Sequence[Rule], points: Fraction, judged: bool) -> bool:
    deductions = [r for r in rules if r.kind in ("deduct", "per", "per_list")]
    if not deductions:
        return False
    if judged or any(r.kind == "per" for r in deductions):
        return True
    most = sum((r.points or Fraction(0)) * (len(r.facts) if r.kind == "per_list" else 1) for r in deductions)
    return most > points


__all__ = ["Draft", "import_table", "draft", "Clause"]
