"""An independent reference evaluator, written straight from LANGUAGE.md §3 and §7 for the
property tests: a plain recursive interpreter over the checked AST with Fractions, no grid
units, no compiled closures, no shared code with starrules.eval.evaluator."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from starrules import Rubric, ast


def half_up_to(value: Fraction, step: Fraction) -> Fraction:
    units = value / step
    rounded = math.floor(abs(units) + Fraction(1, 2))
    return (rounded if units >= 0 else -rounded) * step


def to_fraction(value: object) -> object:
    if isinstance(value, bool) or isinstance(value, str) and not value[:1].isdigit():
        return value
    if isinstance(value, str):
        return Fraction(Decimal(value.rstrip("%"))) / (100 if value.endswith("%") else 1)
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    return Fraction(value)  # type: ignore[arg-type]


def entry_range(item: ast.Item, clause: ast.Judged) -> tuple[Fraction, Fraction]:
    """The range of a 酌情 / 酌情给分 / 酌情扣分 entry, as docs/language.md says: the range written;
    else 0 to the item's points for 酌情, and 0 to R for the other two — R = 分值 − the sum of the
    `扣 N分 如果` clauses' N, that sum counted at most up to 最多扣 (每 … 扣 is not counted)."""
    if clause.low is not None and clause.high is not None:
        return clause.low.value, clause.high.value
    if clause.mode == "judged":
        return Fraction(0), item.points.value
    fixed = Fraction(0)
    cap: Fraction | None = None
    for c in item.clauses:
        if type(c).__name__ == "DeductIf":
            fixed += c.points.value  # type: ignore[union-attr]
        elif type(c).__name__ == "MaxDeduct":
            cap = c.points.value  # type: ignore[union-attr]
    if cap is not None and fixed > cap:
        fixed = cap
    return Fraction(0), item.points.value - fixed


class Reference:
    def __init__(self, rubric: Rubric, evidence: dict[str, object]) -> None:
        self.rubric = rubric
        self.env: dict[str, object] = {}
        for name, fact in rubric.facts.items():
            if name in evidence:
                self.env[name] = to_fraction(evidence[name])
            else:
                assert fact.default is not None
                d = fact.default
                self.env[name] = d.value if isinstance(d, ast.Bool) else d.name if isinstance(d, ast.NameRef) \
                    else d.value
        self.evidence = evidence
        self.scores: dict[str, Fraction] = {}
        self.left_out: set[str] = set()

    def value(self, e: ast.Expr) -> object:
        if isinstance(e, (ast.Number, ast.Percent)):
            return e.value
        if isinstance(e, ast.Bool):
            return e.value
        if isinstance(e, ast.NameRef):
            if e.name in self.env:
                return self.env[e.name]
            if e.name in self.rubric.lets:
                return self.value(self.rubric.lets[e.name].expr)
            return e.name
        if isinstance(e, ast.ScoreRef):
            return self.scores[e.name]
        if isinstance(e, ast.Negate):
            return -self.value(e.operand)  # type: ignore[operator]
        if isinstance(e, ast.Binary):
            a, b = self.value(e.left), self.value(e.right)
            return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,  # type: ignore[operator]
                    "/": lambda: Fraction(a) / b}[e.op]()  # type: ignore[arg-type, operator]
        if isinstance(e, ast.Compare):
            a, b = self.value(e.left), self.value(e.right)
            return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b,  # type: ignore[operator]
                    "=": a == b, "!=": a != b}[e.op]
        if isinstance(e, ast.InList):
            return self.value(e.operand) in [self.value(o) for o in e.options]
        if isinstance(e, ast.Not):
            return not self.value(e.operand)
        if isinstance(e, ast.And):
            return all(self.value(o) for o in e.operands)
        if isinstance(e, ast.Or):
            return any(self.value(o) for o in e.operands)
        if isinstance(e, ast.IfElse):
            return self.value(e.then) if self.value(e.condition) else self.value(e.otherwise)
        if isinstance(e, ast.Call):
            args = [self.value(a) for a in e.args]
            return math.floor(args[0]) if e.function == "floor" else (min if e.function == "min" else max)(args)  # type: ignore
        if isinstance(e, ast.ListCall):
            truths = [bool(self.value(i)) for i in e.items]
            return {"count_true": sum(truths), "count_false": len(truths) - sum(truths),
                    "any": any(truths), "all": all(truths)}[e.function]
        raise AssertionError(e)

    def item(self, item: ast.Item, kind: str) -> Fraction:
        """LANGUAGE.md §3, the item rule, line by line."""
        clauses, maximum, step = item.clauses, item.points.value, self.rubric.precision
        if any(isinstance(c, ast.NotApplicable) and self.value(c.condition) for c in clauses):
            self.left_out.add(item.name)
            return Fraction(0)
        computed = next((c for c in clauses if isinstance(c, ast.ScoreIs)), None)
        if computed is not None:
            score = min(max(half_up_to(Fraction(self.value(computed.expr)), step), Fraction(0)), maximum)  # type: ignore
        else:
            base = Fraction(0) if kind != "regular" else maximum
            deductions = awards = Fraction(0)
            for c in clauses:
                if isinstance(c, ast.Start):
                    base = c.points.value
                elif isinstance(c, (ast.Judged, ast.Grades)):
                    entry = self.evidence[item.name]
                    entry = entry.get("得分", entry) if isinstance(entry, dict) else entry
                    base = next(g.points.value for g in c.levels if g.name == entry) if isinstance(c, ast.Grades) \
                        else to_fraction(entry)  # type: ignore[assignment]
                    # docs/language.md “酌情给分与酌情扣分”: 酌情给分 starts at 分值 − R + the entry (R the
                    # top of the entry's range), 酌情扣分 at 分值 − the entry
                    if isinstance(c, ast.Judged) and c.mode == "award":
                        base = maximum - entry_range(item, c)[1] + base
                    elif isinstance(c, ast.Judged) and c.mode == "deduct":
                        base = maximum - base
                elif isinstance(c, ast.DeductIf) and self.value(c.condition):
                    deductions += c.points.value
                elif isinstance(c, ast.DeductPer):
                    count = Fraction(self.value(c.per))  # type: ignore[arg-type]
                    if count > 0:
                        units = math.floor(count / c.step.value) if c.step else count
                        deductions += half_up_to(c.points.value * units, step)
                elif isinstance(c, ast.Award) and self.value(c.condition):
                    awards += c.points.value
            cap = next((c.points.value for c in clauses if isinstance(c, ast.MaxDeduct)), None)
            if cap is not None:
                deductions = min(deductions, cap)
            score = {"regular": base - deductions + awards, "bonus": awards, "penalty": deductions}[kind]
            lower = None if any(isinstance(c, ast.AllowNegative) for c in clauses) else Fraction(0)
            score = min(score, maximum)
            if lower is not None:
                score = max(score, lower)
        if any(isinstance(c, ast.Zero) and self.value(c.condition) for c in clauses):
            score = Fraction(0)
        return score

    def total(self) -> tuple[Fraction, dict[str, Fraction], dict[str, Fraction]]:
        """(total, item scores, section scores) under §3 and §7."""
        rubric, step = self.rubric, self.rubric.precision
        sections: dict[str, Fraction] = {}
        raw = applicable = Fraction(0)
        scale = rubric.max_score or Fraction(100)

        def group(section: ast.Section) -> Fraction:
            """A section's or group's score — its own items and its groups, clamped to its points —
            and (in `maxima`) its points less what its 不适用 items and groups' items take away."""
            subtotal, lost = Fraction(0), Fraction(0)
            inner = {i.name for g in section.groups for i in g.items}
            for item in section.items:
                if item.name not in inner:
                    self.scores[item.name] = self.item(item, "regular")
                    subtotal += self.scores[item.name]
                    lost += item.points.value if item.name in self.left_out else 0
            for inside in section.groups:
                subtotal += group(inside)
                lost += inside.points.value - maxima[inside.name]
            sections[section.name] = min(max(subtotal, Fraction(0)), section.points.value)
            maxima[section.name] = max(section.points.value - lost, Fraction(0))
            return sections[section.name]

        maxima: dict[str, Fraction] = {}
        self.maxima = maxima  # each section's and group's applicable maximum (a bonus or penalty section's cap)
        for section in rubric.sections:
            group(section)
            section_max = maxima[section.name]
            if section.weight is not None:  # credits achieved / credits applicable × weight (§7)
                if section_max:
                    raw += sections[section.name] / section_max * section.weight.value * scale
                    applicable += section.weight.value * scale
            else:
                raw += sections[section.name]
                applicable += section_max
        if rubric.rescale is not None:
            raw = raw / applicable * rubric.rescale if applicable else Fraction(0)
        total = half_up_to(raw, step)
        for extra in rubric.extra_sections:
            subtotal = Fraction(0)
            for item in extra.items:
                self.scores[item.name] = self.item(item, extra.kind)
                subtotal += self.scores[item.name]
            sections[extra.display_name] = min(subtotal, extra.cap.value)
            maxima[extra.display_name] = extra.cap.value
            total += sections[extra.display_name] if extra.kind == "bonus" else -sections[extra.display_name]
        return max(total, Fraction(0)), dict(self.scores), sections
