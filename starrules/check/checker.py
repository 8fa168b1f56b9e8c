"""Static checks of LANGUAGE.md §6 over a loaded program: names, types, points, schemes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import attrs

from ..lang import ast
from .exprcheck import BOOL, NUMERIC, UNKNOWN, ExprChecker, Scope, Type, fact_type, walk
from .applies import check_applies
from .conditions import ProgramConditions, check_names, inline, program_conditions, walk_expanded
from .subject import check_subject
from .inherit import flatten
from ..core.limits import DEFAULT, Limits
from .cycles import cycles
from ..lang.loader import Program
from .model import CheckedScheme, CheckReport, CheckedRubric
from ..core.numbers import format_decimal, is_multiple
from .ranges import Interval, Ranges, deduction_interval, fact_interval, rubric_ranges
from .judged import JUDGED_WORDS, remaining
from ..core.diagnostics import Note
from ..core.reporter import Reporter, did_you_mean
from ..core.resources import BUILTIN_SCHEMES_DIR
from ..core.source import Span

DEFAULT_PRECISION = Fraction(1, 2)
FINEST_PRECISION = Fraction(1, 10**9)
_HUNDRED_PERCENT = Fraction(1)
_SINGLE_SETTINGS = {ast.MaxScore: "满分", ast.TotalUnused: "总分 不计", ast.Rescale: "折算", ast.Precision: "精度",
                    ast.DefaultSchemes: "等级", ast.Raters: "综合"}
_META_WORDS = {"title": "标题", "version": "版本", "source": "来源"}


def check_program(program: Program, reporter: Reporter, limits: Limits = DEFAULT) -> CheckReport:
    conditions = program_conditions(program.modules.values(), reporter, limits)
    _check_condition_kinds(conditions, reporter)
    schemes = _check_schemes(program, reporter)
    for consequences in program.consequences.values():
        _check_consequences(consequences, schemes, reporter)
    for ranking in program.rankings.values():
        _check_ranking_levels(ranking, schemes, reporter)
    rubrics: dict[str, CheckedRubric] = {}
    sources = {name: module.text for name, module in program.modules.items()}
    for rubric in program.rubrics.values():
        _check_settings_once(rubric, reporter)
        check_subject(rubric, reporter)
        flat = flatten(rubric, program.rubrics, reporter)
        rubrics[rubric.name] = attrs.evolve(_RubricChecker(flat, schemes, reporter, conditions, limits).run(), sources=sources,
                                            known_schemes=schemes, limits=limits)
    return CheckReport(tuple(reporter.diagnostics), rubrics, schemes)


# ── schemes, consequences, rankings ──────────────────────────────────────────


def _check_schemes(program: Program, reporter: Reporter) -> dict[str, CheckedScheme]:
    checked: dict[str, CheckedScheme] = {}

    def build(name: str, chain: tuple[str, ...]) -> CheckedScheme | None:
        if name in checked:
            return checked[name]
        scheme = program.schemes.get(name)
        if scheme is None or name in chain:
            return None
        base = build(scheme.base, (*chain, name)) if scheme.base else None
        if scheme.base and base is None:
            reporter.report("E104", f"未知的等级方案“{scheme.base}”", scheme.name_span,
                            did_you_mean(scheme.base, list(program.schemes)))
        _check_scheme(scheme, base, reporter)
        checked[name] = CheckedScheme(scheme, base, program.consequences.get(name), program.rankings.get(name))
        return checked[name]

    for name in program.schemes:
        build(name, ())
    return checked


def _check_scheme(scheme: ast.Scheme, base: CheckedScheme | None, reporter: Reporter) -> None:
    seen: dict[str, Span] = {}
    for statement in scheme.body:
        if isinstance(statement, (ast.Level, ast.LevelMap)):
            _unique(statement.name, statement.span, seen, "等级", reporter)
        if isinstance(statement, ast.Downgrade) and not _positive_whole(statement.steps.value):
            reporter.report("E415", "降档的档数必须是正整数", statement.steps.span)
        if isinstance(statement, ast.Minima):
            _check_minima(scheme, statement, reporter)
    if scheme.base is not None:
        _check_derived(scheme, base, reporter)
        return
    levels = [s for s in scheme.body if isinstance(s, ast.Level)]
    for statement in scheme.body:
        if isinstance(statement, ast.LevelMap):
            reporter.report("E410", f"“{statement.name} = …”只能用在基于其他方案的等级方案中", statement.span,
                            f"写成“等级 {scheme.name} 基于 <方案> {{ … }}”")
    previous: ast.Level | None = None
    for level in levels:
        if level.bound is None:
            continue
        if previous is not None and previous.bound is not None and level.bound.value >= previous.bound.value:
            reporter.report("E404", f"“{level.name}”的分数线 {level.bound.text} 分不低于上一等级"
                            f"“{previous.name}”的 {previous.bound.text} 分", level.bound.span,
                            "等级从高到低排列,分数线必须严格递减")
        previous = level
    if not levels or levels[-1].bound is not None:
        span = levels[-1].bound.span if levels and levels[-1].bound else scheme.name_span
        reporter.report("E405", f"等级方案“{scheme.name}”的最后一个等级不能有分数线", span,
                        "在最后加一个没有分数线的最低等级,例如“无星”")


def _check_minima(scheme: ast.Scheme, table: ast.Minima, reporter: Reporter) -> None:
    """A 最低要求 table names levels of its own scheme other than the lowest, each once, and
    gives every row one cell per level."""
    if scheme.base is not None:
        reporter.report("E410", "基于其他方案的等级方案不能写“最低要求”,请写在基础方案中", table.span)
        return
    levels = [s.name for s in scheme.body if isinstance(s, ast.Level)]
    seen: dict[str, Span] = {}
    for name, span in zip(table.levels, table.level_spans):
        if name not in levels:
            reporter.report("E204", f"等级方案“{scheme.name}”中没有等级“{name}”", span, did_you_mean(name, levels))
        elif name == levels[-1]:
            reporter.report("E418", f"“{name}”是最低等级,不能有最低要求", span,
                            "分数达不到任何等级的都落在最低等级,最低要求只能写给它上面的等级")
        elif name in seen:
            reporter.report("E418", f"等级“{name}”在最低要求表头中出现了两次", span,
                            notes=[reporter.note(seen[name], "第一次在这里")])
        seen.setdefault(name, span)
    for row in table.rows:
        if len(row.cells) != len(table.levels):
            reporter.report("E419", f"这一行有 {len(row.cells)} 个最低值,表头有 {len(table.levels)} 个等级",
                            row.span, "每个等级写一个值,没有要求的写“-”")


def _check_derived(scheme: ast.Scheme, base: CheckedScheme | None, reporter: Reporter) -> None:
    if base is None:
        return
    mapped: dict[str, Span] = {}
    for statement in scheme.body:
        if isinstance(statement, ast.Level):
            reporter.report("E410", "基于其他方案的等级只能写“名称 = 基础等级, …”", statement.span)
            continue
        if not isinstance(statement, ast.LevelMap):
            continue
        for level in statement.base_levels:
            if level not in base.levels:
                reporter.report("E204", f"“{base.name}”中没有等级“{level}”", statement.span,
                                did_you_mean(level, list(base.levels)))
            elif level in mapped:
                reporter.report("E408", f"基础等级“{level}”被映射了两次", statement.span,
                                notes=[reporter.note(mapped[level], "第一次映射在这里")])
            else:
                mapped[level] = statement.span
    for level in base.levels:
        if level not in mapped:
            reporter.report("E407", f"“{base.name}”的等级“{level}”没有对应的“{scheme.name}”等级",
                            scheme.name_span, f"加一行“<等级> = {level}”")


def _check_consequences(block: ast.Consequences, schemes: dict[str, CheckedScheme], reporter: Reporter) -> None:
    scheme = _scheme_or_report(block.scheme, block.name_span, schemes, reporter)
    for measure in block.measures:
        if scheme is not None:
            _level_or_report(measure.level, scheme, measure.span, reporter)
        if measure.years is not None and not _positive_whole(measure.years.value):
            reporter.report("E415", "连续年数必须是正整数", measure.years.span)


def _check_ranking_levels(block: ast.Ranking, schemes: dict[str, CheckedScheme], reporter: Reporter) -> None:
    scheme = _scheme_or_report(block.scheme, block.name_span, schemes, reporter)
    for statement in block.body:
        if isinstance(statement, ast.Quota):
            for entry in statement.entries:
                if scheme is not None:
                    _level_or_report(entry.level, scheme, entry.span, reporter)
                if isinstance(entry.amount, ast.Percent):
                    _percent_in_range(entry.amount, reporter)
                elif not _whole(entry.amount.value):
                    reporter.report("E415", "名额必须是整数", entry.amount.span)
        elif isinstance(statement, ast.ForcedShare):
            _percent_in_range(statement.share, reporter)
            if statement.below is not None and scheme is not None:
                _level_or_report(statement.below, scheme, statement.below_span, reporter)


def _chain_levels(scheme: CheckedScheme) -> list[str]:
    """The levels of a scheme and of every scheme it is 基于, nearest first."""
    levels: list[str] = []
    found: CheckedScheme | None = scheme
    while found is not None:
        levels += found.levels
        found = found.base
    return levels


def _scheme_or_report(name: str, span: Span, schemes: dict[str, CheckedScheme],
                      reporter: Reporter) -> CheckedScheme | None:
    if name not in schemes:
        reporter.report("E104", f"未知的等级方案“{name}”", span, did_you_mean(name, list(schemes)))
    return schemes.get(name)


def _level_or_report(level: str, scheme: CheckedScheme, span: Span, reporter: Reporter) -> None:
    if level not in scheme.levels:
        reporter.report("E204", f"等级方案“{scheme.name}”中没有等级“{level}”", span,
                        did_you_mean(level, list(scheme.levels)))


def _percent_in_range(percent: ast.Percent, reporter: Reporter) -> None:
    if percent.value > 1:
        reporter.report("E415", f"百分比 {percent.text}% 超过 100%", percent.span)


def _whole(value: Fraction) -> bool:
    return value.denominator == 1


def _positive_whole(value: Fraction) -> bool:
    return _whole(value) and value >= 1


def _unique(name: str, span: Span, seen: dict[str, Span], what: str, reporter: Reporter) -> None:
    if name in seen:
        reporter.report("E202", f"重复的{what}名称“{name}”", span,
                        notes=[reporter.note(seen[name], f"“{name}”第一次出现在这里")])
    else:
        seen[name] = span


def _check_settings_once(rubric: ast.Rubric, reporter: Reporter) -> None:
    seen: dict[object, Span] = {}
    for statement in rubric.body:
        key: object
        if isinstance(statement, ast.Meta):
            key, word = statement.key, _META_WORDS[statement.key]
        elif type(statement) in _SINGLE_SETTINGS:
            key, word = type(statement), _SINGLE_SETTINGS[type(statement)]
        else:
            continue
        if key in seen:
            reporter.report("E414", f"“{word}”写了不止一次", statement.span,
                            notes=[reporter.note(seen[key], "第一次写在这里")])
        else:
            seen[key] = statement.span


# ── one rubric ───────────────────────────────────────────────────────────────


def clause_expressions(clause: ast.Clause) -> list[tuple[ast.Expr, str, str]]:
    """(expression, the kind it must have, what it is for) of each expression in a clause."""
    if isinstance(clause, (ast.DeductIf, ast.Award, ast.Zero, ast.NotApplicable)):
        return [(clause.condition, BOOL, "条件")]
    if isinstance(clause, ast.DeductPer):
        return [(clause.per, NUMERIC, "“每”后面的数量")]
    if isinstance(clause, ast.ScoreIs):
        return [(clause.expr, NUMERIC, "“得分 =”")]
    return []


def _clause_points(clause: ast.Clause) -> list[ast.Number]:
    if isinstance(clause, (ast.DeductIf, ast.DeductPer, ast.Award, ast.Start, ast.MaxDeduct)):
        return [clause.points]
    if isinstance(clause, ast.Judged):
        return [p for p in (clause.low, clause.high) if p is not None]
    if isinstance(clause, ast.Grades):
        return [g.points for g in clause.levels]
    return []


class _RubricChecker:
    def __init__(self, rubric: ast.Rubric, schemes: dict[str, CheckedScheme], reporter: Reporter,
                 conditions: ProgramConditions = ProgramConditions({}, {}), limits: Limits = DEFAULT) -> None:
        self.rubric, self.all_schemes, self.reporter, self.limits = rubric, schemes, reporter, limits
        body = rubric.body
        self.facts = {s.name: s for s in body if isinstance(s, ast.Fact)}
        self.lets = {s.name: s for s in body if isinstance(s, ast.Let)}
        self.sections = [s for s in body if isinstance(s, ast.Section)]
        self.extras = [s for s in body if isinstance(s, ast.ExtraSection)]
        self.containers: list[ast.Container] = [*self.sections, *self.extras]
        self.item_names = {item.name for container in self.containers for item in container.items}
        self.vetoes = [s for s in body if isinstance(s, ast.Veto)]
        self.notices = [s for s in body if isinstance(s, ast.Notice)]
        self.raters = next((s for s in body if isinstance(s, ast.Raters)), None)
        self.max_node = next((s for s in body if isinstance(s, ast.MaxScore)), None)
        self.max_score = self.max_node.value.value if self.max_node is not None else None
        self.rescale = next((s.value.value for s in body if isinstance(s, ast.Rescale)), None)
        precision = next((s.value for s in body if isinstance(s, ast.Precision)), None)
        self.precision_node = precision
        self.precision = precision.value if precision is not None and precision.value > 0 else DEFAULT_PRECISION
        self.scheme_names = next((s for s in body if isinstance(s, ast.DefaultSchemes)), None)
        # the program's named conditions, less any named like a fact, 令 or choice value here (E426)
        self.conditions = check_names(rubric, self.facts, self.lets, conditions.declared, reporter)
        self.expandable = {n: c for n, c in conditions.expandable.items() if n in self.conditions}
        self.total_unused = any(isinstance(s, ast.TotalUnused) for s in body)
        self.scope = Scope(facts=self.facts, scores=_score_names(self.containers), conditions=self.conditions,
                           within=_score_paths(self.containers), groups=_group_names(self.containers))
        self.exprs = ExprChecker(self.scope, reporter)
        self.first_diagnostic = len(reporter.diagnostics)

    def run(self) -> CheckedRubric:
        self._check_names()
        self._check_numbers()
        self._check_facts()
        self._check_lets()
        for section in self.sections:
            self._check_section(section)
        for extra in self.extras:
            self._check_extra(extra)
        self._check_totals()
        self._check_raters()
        schemes = self._check_schemes()
        for veto in self.vetoes:
            self.exprs.in_veto = True
            self.exprs.expect_graded(veto.condition, BOOL, "否决条件")
            self.exprs.in_veto = False
            if self.total_unused:
                reads_total(veto.condition, self.conditions, self.rubric.name, "否决", self.reporter)
            # 最高 names a level of a scheme on the 等级 line, or of a scheme one is 基于 (the
            # base applies the cap, and the mapping carries it to the derived scheme)
            levels = [lv for s in schemes.values() for lv in _chain_levels(s)]
            unknown_scheme = self.scheme_names is not None and len(schemes) < len(set(self.scheme_names.names))
            if veto.highest is not None and veto.highest not in levels and not unknown_scheme:  # else E104 only
                self.reporter.report("E204", f"本标准的等级方案中没有等级“{veto.highest}”", veto.span,
                                     did_you_mean(veto.highest, levels))
        for notice in self.notices:
            self.exprs.expect_graded(notice.condition, BOOL, "提示条件")
        check_applies(self.rubric, self.lets, self.exprs, self.reporter)
        self._check_cycles()
        ranges = rubric_ranges(self.sections, self.extras, self.facts, self.lets, self.max_score, self.rescale)
        self._check_ranges(ranges, schemes)
        self._check_unused()
        self._relocate_builtin(schemes)
        warnings = tuple(d for d in self.reporter.diagnostics[self.first_diagnostic:] if not d.is_error)
        return CheckedRubric(self.rubric, self.facts, self.lets, tuple(self.sections), tuple(self.extras),
                      self._lowered_vetoes(), self.raters, self.max_score, self.precision, self.rescale, schemes,
                      ranges, warnings, conditions=self.conditions, expandable=self.expandable)

    def _lowered_vetoes(self) -> tuple[ast.Veto, ...]:
        """The vetoes with each named condition written out: the scoring plan and its engines read
        them as any other condition. A veto that is one condition's name shows that condition's
        text with its values; in a longer condition the name stays as written, without them."""
        return tuple(attrs.evolve(v, condition=inline(v.condition, self.expandable,
                                                      shown=isinstance(v.condition, ast.NameRef)))
                     for v in self.vetoes)

    # names
    def _check_names(self) -> None:
        seen: dict[str, Span] = {}
        declared: list[tuple[str, Span]] = []
        shared: set[Span] = set()  # items named like their own section (a one-item section, often)
        for statement in self.rubric.body:
            if isinstance(statement, (ast.Fact, ast.Let, ast.Section)):
                declared.append((statement.name, statement.name_span))
            if isinstance(statement, ast.Section):
                declared.extend((group.name, group.name_span) for group in statement.nested())
            if isinstance(statement, ast.ExtraSection) and statement.name:
                declared.append((statement.name, statement.name_span))
            if isinstance(statement, (ast.Section, ast.ExtraSection)):
                declared.extend((item.name, item.name_span) for item in statement.items)
                groups = (statement, *statement.nested()) if isinstance(statement, ast.Section) else (statement,)
                for group in groups:
                    own = group.own_items if isinstance(group, ast.Section) else group.items
                    first = next((i for i in own if i.name == group.name), None) if group.name else None
                    if first is not None:
                        shared.add(first.name_span)
        for name, span in declared:
            if span in shared:  # its section's name: allowed once, `@名称` then reads the item
                seen[name] = span
                continue
            _unique(name, span, seen, "", self.reporter)
        for fact in self.facts.values():
            options: dict[str, Span] = {}
            for option in fact.type.choices:
                _unique(option, fact.span, options, "选项", self.reporter)
                if option in self.facts or option in self.lets:
                    self.reporter.report("E202", f"选项值“{option}”与同名的事实或派生值冲突", fact.span,
                                         "给选项值或事实换一个名字")

    # points and the precision grid
    def _check_numbers(self) -> None:
        if self.precision_node is not None and self.precision_node.value <= 0:
            self.reporter.report("E415", "精度必须大于 0", self.precision_node.span)
        elif self.precision_node is not None and self.precision_node.value < FINEST_PRECISION:
            # points are counted in whole grid units in 64-bit columns (the batch engine, Parquet
            # results): 10⁻⁹ leaves room for any total under the points limit
            self.reporter.report("E415", "精度过细(最细 0.000000001 分)", self.precision_node.span)
        for number in self._point_literals():
            if not is_multiple(number.value, self.precision):
                self.reporter.report("E411", f"{number.text} 分不是精度 {format_decimal(self.precision)} 分的整数倍",
                                     number.span, "改正分值,或用“精度”设置更小的计分单位")

    def _point_literals(self) -> Iterator[ast.Number]:
        for statement in self.rubric.body:
            if isinstance(statement, (ast.MaxScore, ast.Rescale)):
                yield statement.value
            elif isinstance(statement, ast.Section):
                yield statement.points
                if statement.pass_line is not None:
                    yield statement.pass_line
            elif isinstance(statement, ast.ExtraSection):
                yield statement.cap
            if isinstance(statement, (ast.Section, ast.ExtraSection)):
                for item in statement.items:
                    yield item.points
                    for clause in item.clauses:
                        yield from _clause_points(clause)

    # facts and derived values
    def _check_facts(self) -> None:
        for fact in self.facts.values():
            default = fact.default
            if default is None:
                continue
            kind = fact.type.kind
            if kind == "choice":
                if not isinstance(default, ast.NameRef) or default.name not in fact.type.choices:
                    shown = default.name if isinstance(default, ast.NameRef) else "这个值"
                    self.reporter.report("E304", f"默认值“{shown}”不是“{fact.name}”的选项", default.span,
                                         did_you_mean(shown, fact.type.choices))
            elif not _default_fits(kind, default):
                self.reporter.report("E305", f"默认值与“{fact.name}”的类型({fact_type(fact).word})不符",
                                     default.span, _DEFAULT_HINTS[kind])

    def _check_lets(self) -> None:
        _type_lets(self.lets, self.exprs)

    # sections and items
    def _check_section(self, section: ast.Section) -> None:
        for item in section.items:
            self._check_item(item, "regular")
        self._check_group(section, 1)

    def _check_group(self, section: ast.Section, depth: int) -> None:
        """A section's or group's sums, pass line and choices, then its groups' (E401 / W102 per level)."""
        for choice in section.choices:
            self._check_choice(choice)
        if depth > 1 and section.weight is not None:
            self.reporter.report("E430", f"类型“{section.name}”写在另一个类型里,不能有权重", section.weight.span,
                                 "权重把一级类型合成总分:写在最外层的类型上")
        if depth == self.limits.group_depth + 1:
            self.reporter.report("E431", f"类型套了 {depth} 层,超过上限 {self.limits.group_depth} 层",
                                 section.name_span, "一级、二级、三级指标……最多写 "
                                 f"{self.limits.group_depth} 层(限额 group_depth)")
        for group in section.groups:
            self._check_group(group, depth + 1)
        points = section.points.value
        # one path of each 取其高 / 任选其一 counts: the choice's own points; a group counts its points
        items_total = sum((i.points.value for i in section.free_items), Fraction(0)) + \
            sum((c.points.value for c in section.choices), Fraction(0)) + \
            sum((g.points.value for g in section.groups), Fraction(0))
        if items_total > points:
            self.reporter.report("E401", f"类型“{section.name}”的项目分值合计 {format_decimal(items_total)} 分,"
                                 f"超过类型分值 {section.points.text} 分", section.name_span)
        elif items_total < points:
            self.reporter.report("W102", f"类型“{section.name}”的项目分值合计 {format_decimal(items_total)} 分,"
                                 f"少于类型分值 {section.points.text} 分", section.name_span,
                                 "如果原评分表就是这样,可以保留;否则补齐项目或改正分值")
        if section.pass_line is not None and section.pass_line.value > points:
            self.reporter.report("E415", f"达标线 {section.pass_line.text} 分超过类型分值 {section.points.text} 分",
                                 section.pass_line.span)

    def _check_choice(self, choice: ast.Choice) -> None:
        word = "取其高" if choice.kind == "best" else "任选其一"
        if not choice.paths:
            self.reporter.report("E420", f"{word}“{choice.name}”里没有路径", choice.name_span,
                                 "写出各条路径:一个项目,或“路径 名称 { 项目 … }”")
            return
        seen: dict[str, Span] = {}
        for path in choice.paths:
            _unique(path.name, path.name_span, seen, "路径", self.reporter)
            total = sum((i.points.value for i in path.items), Fraction(0))
            if total != choice.points.value:
                self.reporter.report("E420", f"路径“{path.name}”的分值合计 {format_decimal(total)} 分,"
                                     f"与{word}“{choice.name}”的 {choice.points.text} 分不同", path.name_span,
                                     "每条路径都是同一分值的另一种得分办法,分值合计应当相同")
            for item in path.items:
                left_out = next((c for c in item.clauses if isinstance(c, ast.NotApplicable)), None)
                if left_out is not None:
                    self.reporter.report("E422", f"{word}中的项目“{item.name}”不能写“不适用”", left_out.span,
                                         "不适用的做法另写一条不含它的路径")
        if choice.kind == "best":
            if choice.by is not None:
                self.reporter.report("E421", "取其高按得分最高的路径计分,不需要“以 …”", choice.span,
                                     "要由证据指定路径,写成“任选其一 … 以 <选项事实>”")
            return
        fact = self.facts.get(choice.by or "")
        names = [p.name for p in choice.paths]
        if fact is None or fact.type.kind != "choice":
            self.reporter.report("E421", f"任选其一“{choice.name}”要写“以 <选项事实>”,由证据指定计分的路径",
                                 choice.span, f"例如:事实 {choice.name}路径: 选项({', '.join(names)})")
            return
        self.scope.used.add(fact.name)
        if sorted(fact.type.choices) != sorted(names):
            self.reporter.report("E421", f"事实“{fact.name}”的选项({'、'.join(fact.type.choices)})与"
                                 f"任选其一“{choice.name}”的路径({'、'.join(names)})不一致", choice.span,
                                 "选项就是各路径的名称(只有一个项目的路径,名称就是项目名)")

    def _check_extra(self, extra: ast.ExtraSection) -> None:
        for item in extra.items:
            self._check_item(item, extra.kind)

    def _check_item(self, item: ast.Item, kind: str) -> None:
        for clause in item.clauses:
            for expr, expected, what in clause_expressions(clause):
                self.exprs.expect(expr, expected, what)
        self._check_clause_combination(item, kind)
        maximum = item.points.value
        for clause in item.clauses:
            if isinstance(clause, ast.Judged) and clause.mode != "judged" and clause.high is None \
                    and remaining(item) <= 0:
                self.reporter.report("E499", f"项目“{item.name}”的扣分子句已扣满 {item.points.text} 分,"
                                     f"“{JUDGED_WORDS[clause.mode]}”没有可评的分", clause.span,
                                     f"写明范围(如“{JUDGED_WORDS[clause.mode]} 0 至 1分”),或删掉一条扣分子句")
            elif isinstance(clause, ast.Judged):
                low = clause.low.value if clause.low else Fraction(0)
                high = clause.high.value if clause.high else maximum
                if not Fraction(0) <= low <= high <= maximum:
                    self.reporter.report("E412", f"酌情给分范围 {format_decimal(low)}–{format_decimal(high)} 分"
                                         f"不在 0–{item.points.text} 分之内或上下颠倒", clause.span)
            elif isinstance(clause, ast.Grades):
                grades: dict[str, Span] = {}
                for grade in clause.levels:
                    _unique(grade.name, grade.span, grades, "档次", self.reporter)
                    if grade.points.value > maximum:
                        self.reporter.report("E412", f"档次“{grade.name}”的 {grade.points.text} 分超过项目分值"
                                             f" {item.points.text} 分", grade.span)
            elif isinstance(clause, ast.Start) and clause.points.value > maximum:
                self.reporter.report("E415", f"起评分 {clause.points.text} 分超过项目分值 {item.points.text} 分",
                                     clause.span)

    def _check_clause_combination(self, item: ast.Item, kind: str) -> None:
        clauses = item.clauses
        bases = [c for c in clauses if isinstance(c, (ast.Judged, ast.Grades, ast.Start, ast.ScoreIs))]
        for extra in bases[1:]:
            self.reporter.report("E410", f"项目“{item.name}”已有{_clause_word(bases[0])},"
                                 f"不能再用{_clause_word(extra)}", extra.span)
        if bases and isinstance(bases[0], ast.ScoreIs):
            for clause in clauses:
                if isinstance(clause, (ast.DeductIf, ast.DeductPer, ast.Award, ast.MaxDeduct, ast.FloorZero,
                                       ast.AllowNegative)):
                    self.reporter.report("E410", "有“得分 =”的项目不再使用其他计分子句", clause.span,
                                         "把这个条件写进“得分 =”的表达式,或删掉它")
        for single in (ast.FloorZero, ast.MaxDeduct, ast.AllowNegative):
            for repeated in [c for c in clauses if isinstance(c, single)][1:]:
                self.reporter.report("E410", f"{_CLAUSE_WORDS[single]}写了不止一次", repeated.span)
        if any(isinstance(c, ast.AllowNegative) for c in clauses):
            for clause in clauses:
                if isinstance(clause, (ast.FloorZero, ast.MaxDeduct)):
                    self.reporter.report("E410", f"“可倒扣”与{_CLAUSE_WORDS[type(clause)]}互相矛盾", clause.span)
        if kind != "regular":
            self._check_extra_clauses(item, kind)
        elif not any(isinstance(c, (ast.FloorZero, ast.MaxDeduct, ast.AllowNegative, ast.ScoreIs)) for c in clauses):
            self._warn_overdeduction(item)

    def _check_extra_clauses(self, item: ast.Item, kind: str) -> None:
        wrong: tuple[type, ...] = (ast.Start, ast.AllowNegative, ast.Judged, ast.Grades)
        wrong += (ast.DeductIf, ast.DeductPer) if kind == "bonus" else (ast.Award,)
        where = "加分项" if kind == "bonus" else "减分项"
        for clause in item.clauses:
            if isinstance(clause, wrong):
                self.reporter.report("E413", f"{where}中的项目不能使用{_clause_word(clause)}", clause.span,
                                     "加分项用“得/加 N分 如果 …”,减分项用“扣 N分 如果 …”或“每 … 扣 N分”")

    def _warn_overdeduction(self, item: ast.Item) -> None:
        deductions = deduction_interval(item, lambda name: fact_interval(self.facts.get(name)),
                                        lambda _: Interval(None, None))
        base = next((c.points.value for c in item.clauses if isinstance(c, ast.Start)), item.points.value)
        if deductions.hi is None or deductions.hi > base:
            most = "没有上限" if deductions.hi is None else f"最多可达 {format_decimal(deductions.hi)} 分"
            self.reporter.report("W103", f"项目“{item.name}”的扣分{most},可能超过项目分值 {item.points.text} 分",
                                 item.name_span, "写明“扣完为止”“最多扣 N分”或“可倒扣”")

    # totals, weights, raters
    def _check_totals(self) -> None:
        weighted = [s for s in self.sections if s.weight is not None]
        if weighted and len(weighted) != len(self.sections):
            unweighted = next(s for s in self.sections if s.weight is None)
            self.reporter.report("E403", f"类型“{unweighted.name}”没有权重;要么每个类型都有权重,要么都没有",
                                 unweighted.name_span)
        elif weighted:
            share = sum((s.weight.value for s in weighted if s.weight), Fraction(0))
            if share != _HUNDRED_PERCENT:
                self.reporter.report("E403", f"各类型权重之和是 {format_decimal(share * 100)}%,不是 100%",
                                     self.rubric.name_span)
        max_node = self.max_node
        if max_node is not None and not weighted and self.sections:
            total = sum((s.points.value for s in self.sections), Fraction(0))
            if total != max_node.value.value:
                self.reporter.report("E402", f"满分 {max_node.value.text} 分与各类型分值之和 {format_decimal(total)} 分不符",
                                     max_node.span)
        for extra in self.extras:
            if extra.cap.value <= 0:
                self.reporter.report("E415", "“最多”的分值必须大于 0", extra.cap.span)

    def _check_raters(self) -> None:
        if self.raters is None:
            return
        seen: dict[str, Span] = {}
        overrides = [e for e in self.raters.entries if isinstance(e, ast.RaterOverride)]
        for extra in overrides[1:]:
            self.reporter.report("E414", "“以 … 为准”写了不止一次", extra.span)
        weights = [e for e in self.raters.entries if isinstance(e, ast.RaterWeight)]
        for entry in weights:
            _unique(entry.name, entry.span, seen, "评价主体", self.reporter)
        share = sum((e.weight.value for e in weights), Fraction(0))
        if share != _HUNDRED_PERCENT:
            self.reporter.report("E409", f"评价主体权重之和是 {format_decimal(share * 100)}%,不是 100%", self.raters.span)

    # schemes named by the rubric
    def _check_schemes(self) -> dict[str, CheckedScheme]:
        found: dict[str, CheckedScheme] = {}
        if self.scheme_names is None:
            return found
        for name in self.scheme_names.names:
            scheme = self.all_schemes.get(name)
            if scheme is None:
                self.reporter.report("E104", f"未知的等级方案“{name}”", self.scheme_names.span,
                                     did_you_mean(name, list(self.all_schemes)) or "先定义或引用它")
                continue
            found[name] = scheme
            check_scheme_expressions(self.exprs, scheme, self.rubric.name if self.total_unused else None)
        return found

    # dependency cycles among derived values, items and sections
    def _check_cycles(self) -> None:
        graph: dict[str, list[str]] = {}
        spans: dict[str, Span] = {}
        for name, let in self.lets.items():
            graph[f"令 {name}"] = _references(let.expr, self)
            spans[f"令 {name}"] = let.name_span
        for container in self.containers:
            graph[f"类型 {container.display_name}"] = [f"@{i.name}" for i in container.items]
            for item in container.items:
                refs: list[str] = []
                for clause in item.clauses:
                    for expr, _, _ in clause_expressions(clause):
                        refs.extend(_references(expr, self))
                graph[f"@{item.name}"] = refs
                spans[f"@{item.name}"] = item.name_span
        graph["总分"] = [f"类型 {c.display_name}" for c in self.containers]
        for cycle in cycles(graph):
            start = next((n for n in cycle if n in spans), None)
            span = spans[start] if start else self.rubric.name_span
            self.reporter.report("E406", f"循环依赖:{' → '.join([*cycle, cycle[0]])}", span,
                                 "一个得分不能(直接或间接)依赖它自己")

    # ranges
    def _check_ranges(self, ranges: Ranges, schemes: dict[str, CheckedScheme]) -> None:
        for container in self.containers:
            for item in container.items:
                hi = ranges.items[item.name].hi
                if hi is not None and hi < item.points.value:
                    self.reporter.report("W105", f"项目“{item.name}”最高只能得 {format_decimal(hi)} 分,"
                                         f"达不到分值 {item.points.text} 分", item.name_span)
        top = ranges.total.hi
        max_node = self.max_node
        if max_node is not None and top is not None and top < max_node.value.value:
            self.reporter.report("W106", f"总分最高只能到 {format_decimal(top)} 分,达不到满分 {max_node.value.text} 分",
                                 max_node.span)
        for scheme in schemes.values():
            for statement in scheme.definition.body:
                if isinstance(statement, ast.Level) and statement.bound is not None and top is not None \
                        and statement.bound.value > top:
                    self.reporter.report("W104", f"在标准“{self.rubric.name}”中,总分最高 {format_decimal(top)} 分,"
                                         f"达不到等级“{statement.name}”的 {statement.bound.text} 分", statement.span)

    def _relocate_builtin(self, schemes: dict[str, CheckedScheme]) -> None:
        """A diagnostic this rubric caused inside a built-in scheme (W104 at a level of 星级, E429
        at its 分数线) is reported at the rubric's own `等级` line that names the scheme, with a
        note pointing to the line in the scheme's file: never only at a file inside the package."""
        named = self.scheme_names
        if named is None:
            return
        diagnostics = self.reporter.diagnostics
        for index in range(self.first_diagnostic, len(diagnostics)):
            found = diagnostics[index]
            if not _is_builtin_file(found.span.file):
                continue
            owners = [name for name, s in schemes.items() if s.definition.span.file == found.span.file] or \
                [name for name, s in schemes.items() if found.span.file in _chain_files(s)]  # a 基于's base
            scheme = owners[0] if owners else None
            if scheme is None:
                continue
            span = self._name_on_line(named, scheme)
            note = Note(found.span, f"内置等级方案“{scheme}”中的这一行", found.line_text)
            diagnostics[index] = attrs.evolve(found, span=span, line_text=self.reporter.note(span, "").line_text,
                                              notes=(note, *found.notes))

    def _name_on_line(self, named: ast.DefaultSchemes, scheme: str) -> Span:
        """Where the `等级` line writes `scheme` (the whole line's span when not found on its first line)."""
        span = named.span
        text = self.reporter.note(span, "").line_text
        keyword = re.match(r"\w*", text[span.column - 1:])
        at = text.find(scheme, span.column - 1 + (keyword.end() if keyword else 0))  # after 等级 / schemes
        if at < 0:
            return span
        return Span(span.file, span.line, at + 1, span.line, at + 1 + len(scheme))

    def _check_unused(self) -> None:
        used = self.scope.used
        for name, fact in self.facts.items():
            if name not in used:
                self.reporter.report("W101", f"事实“{name}”声明了但没有用到", fact.name_span, "删掉它,或在条款中使用它")
        for name, let in self.lets.items():
            if name not in used:
                self.reporter.report("W101", f"派生值“{name}”定义了但没有用到", let.name_span)


_CLAUSE_WORDS: dict[type, str] = {
    ast.Judged: "“酌情”", ast.Grades: "“分档”", ast.Start: "“起评”", ast.ScoreIs: "“得分 =”",
    ast.FloorZero: "“扣完为止”", ast.MaxDeduct: "“最多扣”", ast.AllowNegative: "“可倒扣”",
    ast.DeductIf: "“扣 … 如果”", ast.DeductPer: "“每 … 扣”", ast.Award: "“得/加 … 如果”",
}


def _clause_word(clause: ast.Clause) -> str:
    """The clause's keyword in quotes, as messages name it (“酌情给分” for a 酌情给分 clause)."""
    return f"“{JUDGED_WORDS[clause.mode]}”" if isinstance(clause, ast.Judged) else _CLAUSE_WORDS[type(clause)]


_DEFAULT_HINTS = {"bool": "是否型的默认值写“是”或“否”", "count": "计数型的默认值是不小于 0 的整数",
                  "number": "数值型的默认值是一个数", "ratio": "比例型的默认值在 0 到 1 之间,可以写成百分数"}


def _is_builtin_file(file: str) -> bool:
    return Path(file).parent == BUILTIN_SCHEMES_DIR.resolve()


def _chain_files(scheme: CheckedScheme) -> Iterator[str]:
    """The files of a scheme and the schemes it is based on."""
    current: CheckedScheme | None = scheme
    while current is not None:
        yield current.definition.span.file
        current = current.base


def _score_paths(containers: Iterable[ast.Container]) -> dict[str, tuple[str, ...]]:
    """Per section, group and item name, the sections and groups it is written in, outermost first."""
    found: dict[str, tuple[str, ...]] = {}

    def walk(container: ast.Container, outside: tuple[str, ...]) -> None:
        inside = (*outside, container.display_name)
        found.setdefault(container.display_name, outside)
        for group in container.groups if isinstance(container, ast.Section) else ():
            walk(group, inside)
        for item in container.own_items if isinstance(container, ast.Section) else container.items:
            found[item.name] = inside  # an item named like its section wins, as `@名称` reads it
    for container in containers:
        walk(container, ())
    return found


def _group_names(containers: Iterable[ast.Container]) -> set[str]:
    return {g.display_name for c in containers for g in (c, *(c.nested() if isinstance(c, ast.Section) else ()))}


def _score_names(containers: Iterable[ast.Container]) -> set[str]:
    """What `@名称` may name: sections (by display name) and items."""
    return {name for c in containers for name in (c.display_name, *(i.name for i in c.items),
                                                  *(g.name for g in (c.nested() if isinstance(c, ast.Section) else ())))}


def _type_lets(lets: dict[str, ast.Let], exprs: ExprChecker) -> None:
    for name in _let_order(lets):
        exprs.scope.lets[name] = Type(UNKNOWN)  # a self-reference is caught as a cycle
        exprs.scope.lets[name] = exprs.check(lets[name].expr)


def check_scheme_expressions(exprs: ExprChecker, scheme: CheckedScheme, total_unused: str | None = None) -> None:
    """Type-check a scheme's level conditions, downgrades and ranking keys (and its base's)
    against one rubric's names; `total_unused`: the name of a rubric with `总分 不计`, whose
    schemes may not read its total (E429)."""
    conditions = exprs.scope.conditions
    while True:
        read: list[tuple[ast.Expr, str]] = []
        for statement in scheme.definition.body:
            if isinstance(statement, ast.Level):
                for condition in statement.conditions:
                    exprs.expect_graded(condition, BOOL, "等级条件")
                    read.append((condition, "等级条件"))
                if total_unused is not None and statement.bound is not None:
                    exprs.reporter.report("E429", f"标准“{total_unused}”写了“总分 不计”,等级“{statement.name}”不能有"
                                          f"分数线(“>= {statement.bound.text}分”读的是总分)", statement.bound.span,
                                          f"只用条件定级,例如“{statement.name} 且 @某类型 >= 分数”")
            elif isinstance(statement, ast.Minima):
                for row in statement.rows:
                    exprs.expect_graded(row.value, NUMERIC, "最低要求")
                    read.append((row.value, "最低要求"))
                    for cell in row.cells:
                        if cell is not None:
                            exprs.expect_graded(cell, NUMERIC, "最低要求")
            elif isinstance(statement, ast.Downgrade):
                exprs.expect_graded(statement.condition, BOOL, "降档条件")
                read.append((statement.condition, "降档条件"))
        if scheme.ranking is not None:
            for rule in scheme.ranking.body:
                if isinstance(rule, ast.ForcedShare) and rule.when is not None:
                    exprs.expect_graded(rule.when, BOOL, "倒排的范围条件")
                    read.append((rule.when, "倒排的范围条件"))
                elif isinstance(rule, ast.Quota) and rule.when is not None:
                    exprs.expect_graded(rule.when, BOOL, "名额的范围条件")
                    read.append((rule.when, "名额的范围条件"))
                elif isinstance(rule, ast.TieBreak):
                    for key in rule.keys:
                        exprs.expect_graded(key, NUMERIC, "并列比较项")
                        read.append((key, "并列比较项"))
        if total_unused is not None:
            for expr, what in read:
                reads_total(expr, conditions, total_unused, what, exprs.reporter)
        if scheme.base is None:
            return
        scheme = scheme.base


def reads_total(expr: ast.Expr, conditions: dict[str, ast.NamedCondition], rubric: str, what: str,
                reporter: Reporter) -> None:
    """E429 at each `总分` that `expr` reads, itself or through a named condition, for a rubric
    with `总分 不计`."""
    for node in walk_expanded(expr, conditions):
        if isinstance(node, ast.TotalRef):
            reporter.report("E429", f"标准“{rubric}”写了“总分 不计”,{what}不能读总分", node.span,
                            "按类型或项目的得分(@名称)写条件")


def _check_condition_kinds(conditions: ProgramConditions, reporter: Reporter) -> None:
    """E428 for a named condition that is no 是否 whatever the standard (`@甲 + 1`); one that
    reads a fact or 令 is typed again against each standard that uses it."""
    exprs = ExprChecker(Scope(open_names=True, conditions=dict(conditions.declared)), reporter)
    for condition in conditions.declared.values():
        exprs.expect_graded(ast.NameRef(condition.name, condition.name_span), BOOL, "条件")


def check_scheme_for(rubric: CheckedRubric, scheme: CheckedScheme, reporter: Reporter) -> None:
    """Check a scheme the rubric did not name (graded on request) against its names."""
    exprs = ExprChecker(Scope(facts=dict(rubric.facts), scores=_score_names(rubric.containers),
                              conditions=dict(rubric.conditions), within=_score_paths(rubric.containers),
                              groups=_group_names(rubric.containers)), reporter)
    _type_lets(rubric.lets, exprs)
    check_scheme_expressions(exprs, scheme, rubric.name if rubric.total_unused else None)


def _default_fits(kind: str, default: ast.Literal) -> bool:
    if kind == "bool":
        return isinstance(default, ast.Bool)
    if kind == "count":
        return isinstance(default, ast.Number) and _whole(default.value)
    if kind == "number":
        return isinstance(default, ast.Number)
    return isinstance(default, (ast.Number, ast.Percent)) and 0 <= default.value <= 1


def _let_order(lets: dict[str, ast.Let]) -> list[str]:
    """Derived values in dependency order (cycles are reported separately)."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        stack = [(name, iter(_let_names(lets[name].expr, lets)))]
        state[name] = 1
        while stack:
            current, deps = stack[-1]
            dep = next(deps, None)
            if dep is None:
                stack.pop()
                state[current] = 2
                order.append(current)
            elif state.get(dep, 0) == 0:
                state[dep] = 1
                stack.append((dep, iter(_let_names(lets[dep].expr, lets))))

    for name in lets:
        if state.get(name, 0) == 0:
            visit(name)
    return order


def _let_names(expr: ast.Expr, lets: dict[str, ast.Let]) -> list[str]:
    return [e.name for e in walk(expr) if isinstance(e, ast.NameRef) and e.name in lets]


def _references(expr: ast.Expr, checker: _RubricChecker) -> list[str]:
    refs: list[str] = []
    for node in walk(expr):
        if isinstance(node, ast.NameRef) and node.name in checker.lets:
            refs.append(f"令 {node.name}")
        elif isinstance(node, ast.ScoreRef):  # an item's name wins over its section's
            refs.append(f"@{node.name}" if node.name in checker.item_names else f"类型 {node.name}")
        elif isinstance(node, ast.TotalRef):
            refs.append("总分")
        elif isinstance(node, ast.BelowPassRef):
            refs.extend(f"类型 {s.display_name}" for s in checker.sections)
    return refs
