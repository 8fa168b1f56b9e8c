"""`starrules fmt`: print a module in the canonical layout, keeping its comments and
writing every keyword in the file's own script (simplified, traditional or English)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from . import ast
from .keywords import DOCUMENT_SPELLINGS, Script, keywords
from .parser import is_bare_name, parse
from ..core.source import Span, normalise

INDENT = "    "
_WORD = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*|[^\W\d]\w*')
# Terminals whose English spelling lives on another terminal.
_ENGLISH_TWIN = {"K_IF": "K_IF_EN", "K_IF_COND": "K_IF_EN", "K_MAX_SCORE": "K_TOTAL_EN", "K_TOTAL": "K_TOTAL_EN",
                 "K_MODULE": "K_SECTION", "K_INDICATOR": "K_ITEM", "K_ADD": "K_AWARD"}
_PRECEDENCE = {ast.IfElse: 0, ast.Or: 1, ast.And: 2, ast.Not: 3, ast.Compare: 4, ast.InList: 4, ast.Negate: 7}
_PER_OPERANDS = (ast.NameRef, ast.ScoreRef, ast.TotalRef, ast.BelowPassRef, ast.Call, ast.ListCall)
_FUNCTION_TERMINALS = {"min": "K_MIN", "max": "K_MAX", "floor": "K_FLOOR", "count_true": "K_COUNT_TRUE",
                       "count_false": "K_COUNT_FALSE", "any": "K_ANY", "all": "K_ALL"}
FACT_TERMINALS = {"bool": "K_BOOL", "count": "K_COUNT", "number": "K_NUMBER", "ratio": "K_RATIO",
                   "choice": "K_CHOICE"}
_META_TERMINALS = {"title": "K_TITLE", "version": "K_VERSION", "source": "K_SOURCE"}


def format_text(text: str, filename: str | None = None) -> str:
    return format_module(parse(text, filename))


def format_module(module: ast.Module) -> str:
    return _Printer(module, detect_script(module.text)).run()


def detect_script(text: str) -> Script:
    """The script most keywords are written in; simplified where the file does not say."""
    votes: Counter[Script] = Counter()
    by_form: dict[str, list[Script | None]] = {}
    for kw in keywords().values():
        for form in {kw.simplified, kw.traditional, kw.english} - {None}:
            by_form.setdefault(form, []).append(kw.script_of(form))  # type: ignore[arg-type]
    for match in _WORD.finditer(normalise(text)):
        for script in by_form.get(match.group(0), []):
            if script is not None:
                votes[script] += 1
    if not votes:
        return Script.SIMPLIFIED
    best = max(votes.values())
    return next(s for s in Script if votes[s] == best)


def quote(text: str) -> str:
    """A string literal of the language: `text` in double quotes, backslashes and quotes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def name_text(text: str) -> str:
    """A name as written in a rubric: bare where the language reads it so, else quoted."""
    return text if is_bare_name(text) else quote(text)


class _Printer:
    def __init__(self, module: ast.Module, script: Script) -> None:
        self.module, self.script = module, script
        self.lines: list[str] = []
        self.source_lines = module.text.split("\n")
        self.comments = list(module.comments)
        self.last_line = 0  # last source line accounted for

    # output with comments and blank lines carried over from the source
    def run(self) -> str:
        for index, block in enumerate(self.module.blocks):
            previous = self.module.blocks[index - 1] if index > 0 else None
            # a run of imports, or of 条件 lines, stays together (an author's blank line is kept)
            same_kind = isinstance(block, (ast.Import, ast.NamedCondition)) and type(previous) is type(block)
            if index > 0 and not same_kind:
                self._blank()
            self._block(block)
        self._comments_before(len(self.source_lines) + 1, 0)
        while self.lines and not self.lines[-1]:
            self.lines.pop()
        return "\n".join(self.lines) + "\n" if self.lines else ""

    def _blank(self) -> None:
        if self.lines and self.lines[-1] and not self.lines[-1].endswith("{"):
            self.lines.append("")

    def _comments_before(self, line: int, depth: int) -> None:
        while self.comments and self.comments[0].span.line < line:
            comment = self.comments.pop(0)
            self._gap(comment.span.line)
            self.lines.append(INDENT * depth + comment.text.rstrip())
            self.last_line = comment.span.line

    def _gap(self, line: int) -> None:
        if self.last_line and line > self.last_line + 1:
            between = self.source_lines[self.last_line : line - 1]
            if any(not text.strip() for text in between):
                self._blank()

    def _trailing(self, line: int) -> str:
        if self.comments and self.comments[0].span.line == line:
            comment = self.comments.pop(0)
            return "  " + comment.text.rstrip()
        return ""

    def _emit(self, text: str, span: Span, depth: int) -> None:
        """One statement on one line, with the comments that stood before and after it."""
        self._comments_before(span.line, depth)
        self._gap(span.line)
        for line in range(span.line, span.end_line + 1):
            text += self._trailing(line)
        self.lines.append(INDENT * depth + text)
        self.last_line = span.end_line

    def _open(self, header: str, span: Span, depth: int, body: Sequence[Any] = ()) -> None:
        """A block's first line; a comment at the end of it belongs to the header unless the
        block's first statement stands on the same line (then it is that statement's)."""
        self._comments_before(span.line, depth)
        self._gap(span.line)
        shares_line = bool(body) and body[0].span.line == span.line
        self.lines.append(INDENT * depth + header + " {" + ("" if shares_line else self._trailing(span.line)))
        self.last_line = span.line

    def _close(self, span: Span, depth: int) -> None:
        self._comments_before(span.end_line, depth + 1)
        self.lines.append(INDENT * depth + "}" + self._trailing(span.end_line))
        self.last_line = span.end_line

    # spelling
    def kw(self, terminal: str) -> str:
        if self.script is Script.ENGLISH and terminal in _ENGLISH_TWIN:
            terminal = _ENGLISH_TWIN[terminal]
        return keywords()[terminal].spell(self.script)

    def name(self, text: str) -> str:
        return name_text(text)

    def points(self, number: ast.Number) -> str:
        return f"{number.text}{self.kw('K_POINTS')}" if self.script is not Script.ENGLISH else number.text

    def glue(self, word: str, node: ast.Expr, text: str) -> str:
        """`word text`, or `wordtext` where the author glued the number to its Chinese keyword
        (扣1分, 不足3, 权重20%): the author's spelling is kept; the meaning is the same."""
        leaf = node
        while isinstance(leaf, ast.Binary):
            leaf = leaf.left
        glued = isinstance(leaf, (ast.Number, ast.Percent)) and leaf.glued and text[:1].isdigit() \
            and not word.isascii()
        return f"{word}{'' if glued else ' '}{text}"

    def kw_points(self, terminal: str, number: ast.Number) -> str:
        return self.glue(self.kw(terminal), number, self.points(number))

    # top-level blocks
    def _block(self, block: ast.TopLevel) -> None:
        if isinstance(block, ast.Import):
            self._emit(f"{self.kw('K_IMPORT')} {quote(block.path)}", block.span, 0)
        elif isinstance(block, ast.NamedCondition):
            self._emit(f"{self.kw('K_CONDITION')} {self.name(block.name)} = {self.expr(block.expr)}", block.span, 0)
        elif isinstance(block, ast.Scheme):
            self._scheme(block)
        elif isinstance(block, ast.Consequences):
            self._open(f"{self.kw('K_CONSEQUENCES')} {self.name(block.scheme)}", block.span, 0, block.measures)
            for measure in block.measures:
                years = ""
                if measure.years:  # glued as the document prints it: 连续2年
                    word = self.glue(self.kw("K_CONSECUTIVE"), measure.years, measure.years.text)
                    years = word + ("" if word[-1:].isdigit() and measure.years.glued else " ") + self.kw("K_YEAR") + " "
                texts = ", ".join(quote(t) for t in measure.texts)
                self._emit(f"{years}{self.name(measure.level)}: {texts}", measure.span, 1)
            self._close(block.span, 0)
        elif isinstance(block, ast.Ranking):
            self._open(f"{self.kw('K_RANKING')} {self.name(block.scheme)}", block.span, 0, block.body)
            for statement in block.body:
                self._emit(self._ranking_statement(statement), statement.span, 1)
            self._close(block.span, 0)
        else:
            self._rubric(block)

    def _scheme(self, scheme: ast.Scheme) -> None:
        header = f"{self.kw('K_SCHEME')} {self.name(scheme.name)}"
        if scheme.display is not None:
            header += f" {quote(scheme.display)}"
        if scheme.base is not None:
            header += f" {self.kw('K_BASED_ON')} {self.name(scheme.base)}"
        self._open(header, scheme.span, 0, scheme.body)
        for statement in scheme.body:
            if isinstance(statement, ast.Minima):
                self._minima(statement)
            else:
                self._emit(self._scheme_statement(statement), statement.span, 1)
        self._close(scheme.span, 0)

    def _minima(self, table: ast.Minima) -> None:
        self._open(f"{self.kw('K_MINIMA')} " + ", ".join(self.name(n) for n in table.levels), table.span, 1, table.rows)
        for row in table.rows:
            cells = ", ".join("-" if cell is None else self.expr(cell) for cell in row.cells)
            self._emit(f"{self.expr(row.value)}: {cells}", row.span, 2)
        self._close(table.span, 1)

    def _scheme_statement(self, statement: ast.SchemeStatement) -> str:
        if isinstance(statement, ast.Level):
            text = self.name(statement.name)
            if statement.bound is not None:
                text += f" >= {self.points(statement.bound)}"
            for condition in statement.conditions:
                text += f" {self.kw('K_AND')} {self.expr(condition, 3)}"
            return text
        if isinstance(statement, ast.LevelMap):
            return f"{self.name(statement.name)} = " + ", ".join(self.name(n) for n in statement.base_levels)
        if isinstance(statement, ast.Downgrade):
            steps = self.glue(self.kw("K_DOWNGRADE"), statement.steps, statement.steps.text)
            return f"{steps} {self.kw('K_IF')} {self.expr(statement.condition)}"
        if isinstance(statement, ast.OneStepUp):
            return self.kw("K_ONE_STEP_UP")
        raise TypeError(f"no spelling for {type(statement).__name__}")  # a new statement must be written out, never dropped

    def _ranking_statement(self, statement: ast.RankingStatement) -> str:
        if isinstance(statement, ast.Quota):
            entries = ", ".join(
                f"{self.name(e.level)} {e.amount.text}{'%' if isinstance(e.amount, ast.Percent) else ''}"
                for e in statement.entries)
            when = f" {self.kw('K_WHEN')} {self.expr(statement.when)}" if statement.when is not None else ""
            return f"{self.kw('K_QUOTA')} {entries}{when}"
        if isinstance(statement, ast.ForcedShare):
            share = self.glue(self.kw("K_BOTTOM"), statement.share, f"{statement.share.text}%")
            text = f"{share} {self.kw('K_AS')} {self.name(statement.mark)}"
            if statement.below is not None:
                text += f" {self.kw('K_ALSO')} {self.kw('K_LOWER')} {self.name(statement.below)}"
            if statement.when is not None:
                text += f" {self.kw('K_WHEN')} {self.expr(statement.when)}"
            elif statement.others:
                text += f" {self.kw('K_OTHERS')}"
            return text
        if isinstance(statement, ast.QuotaTies):
            return f"{self.kw('K_QUOTA_TIES')} {self.kw('K_PENDING' if statement.pending else 'K_FALL')}"
        keys = ", ".join(self.expr(k) for k in statement.keys)
        return f"{self.kw('K_TIE')} {self.kw('K_IN_ORDER')} {keys}"

    # rubrics
    def _rubric(self, rubric: ast.Rubric) -> None:
        header = f"{self.kw('K_RUBRIC')} {self.name(rubric.name)}"
        if rubric.parent is not None:
            header += f" {self.kw('K_EXTENDS')} {self.name(rubric.parent)}"
        self._open(header, rubric.span, 0, rubric.body)
        after_block = False
        for statement in rubric.body:
            is_block = isinstance(statement, (ast.Section, ast.ExtraSection))
            if is_block or after_block:
                self._blank()
            after_block = is_block
            if isinstance(statement, (ast.Section, ast.ExtraSection)):
                self._container(statement, 1)
            elif isinstance(statement, ast.Raters):
                self._open(self.kw("K_RATERS"), statement.span, 1, statement.entries)
                for entry in statement.entries:
                    self._emit(self._rater(entry), entry.span, 2)
                self._close(statement.span, 1)
            else:
                self._emit(self._statement(statement), statement.span, 1)
        self._close(rubric.span, 0)

    def _rater(self, entry: ast.RaterWeight | ast.RaterOverride) -> str:
        if isinstance(entry, ast.RaterWeight):
            return f"{self.name(entry.name)} {entry.weight.text}%"
        if self.script is Script.ENGLISH:
            return f"{self.kw('K_OVERRIDE')} {self.name(entry.name)}"
        return f"{self.kw('K_BY')} {self.name(entry.name)} {self.kw('K_PREVAIL')}"

    def _statement(self, statement: ast.RubricStatement) -> str:
        if isinstance(statement, ast.Meta):
            return f"{self.kw(_META_TERMINALS[statement.key])} {quote(statement.text)}"
        if isinstance(statement, ast.MaxScore):
            return self.glue(self.kw("K_MAX_SCORE"), statement.value, statement.value.text)
        if isinstance(statement, ast.TotalUnused):
            return f"{self.kw('K_TOTAL')} {self.kw('K_UNUSED')}"
        if isinstance(statement, ast.Rescale):
            return self.glue(self.kw("K_RESCALE"), statement.value, statement.value.text)
        if isinstance(statement, ast.Precision):
            return self.glue(self.kw("K_PRECISION"), statement.value, statement.value.text)
        if isinstance(statement, ast.DefaultSchemes):
            word = "schemes" if self.script is Script.ENGLISH else self.kw("K_SCHEME")
            return f"{word} " + ", ".join(self.name(n) for n in statement.names)
        if isinstance(statement, ast.Fact):
            return self._fact(statement)
        if isinstance(statement, ast.Let):
            return f"{self.kw('K_LET')} {self.name(statement.name)} = {self.expr(statement.expr)}"
        if isinstance(statement, ast.Veto):
            text = f"{self.kw('K_VETO')} {self.kw('K_IF')} {self.expr(statement.condition)}"
            if statement.highest is not None:
                text += f" {self.kw('K_HIGHEST')} {self.name(statement.highest)}"
            return text + (f" {quote(statement.text)}" if statement.text is not None else "")
        if isinstance(statement, ast.Applies):
            return f"{self.kw('K_APPLIES')} {self.kw('K_IF')} {self.expr(statement.condition)}"
        if isinstance(statement, ast.Subject):
            return f"{self.kw('K_SUBJECT')} {quote(statement.word)}"
        if isinstance(statement, ast.Notice):
            return f"{self.kw('K_NOTICE')} {self.kw('K_IF')} {self.expr(statement.condition)} {quote(statement.text)}"
        assert isinstance(statement, ast.Remove)
        what = self.kw("K_ITEM" if statement.kind == "item" else "K_SECTION")
        return f"{self.kw('K_REMOVE')} {what} {self.name(statement.name)}"

    def _fact(self, fact: ast.Fact) -> str:
        kind = self.kw(FACT_TERMINALS[fact.type.kind])
        if fact.type.kind == "choice":
            kind += "(" + ", ".join(self.name(c) for c in fact.type.choices) + ")"
        text = f"{self.kw('K_FACT')} {self.name(fact.name)}: {kind}"
        if fact.unit is not None:
            text += f" {self.kw('K_UNIT')} {quote(fact.unit)}"
        if fact.default is not None:
            text += f" {self.kw('K_DEFAULT')} {self.expr(fact.default)}"
        return text + (f" {quote(fact.description)}" if fact.description is not None else "")

    def _container(self, block: ast.Section | ast.ExtraSection, depth: int) -> None:
        if isinstance(block, ast.Section):
            header = f"{self.kw(block.spelling)} {self.name(block.name)} {self.points(block.points)}"
            if block.pass_line is not None:
                header += f" {self.kw_points('K_PASS', block.pass_line)}"
            if block.weight is not None:
                header += f" {self.glue(self.kw('K_WEIGHT'), block.weight, f'{block.weight.text}%')}"
        else:
            header = self.kw("K_BONUS" if block.kind == "bonus" else "K_PENALTY")
            if block.name is not None:
                header += f" {self.name(block.name)}"
            header += f" {self.kw_points('K_AT_MOST', block.cap)}"
        # its own items, choices and groups in the order written (a choice or group writes its items)
        parts: list[ast.Item | ast.Choice | ast.Section] = [*block.items]
        if isinstance(block, ast.Section):
            parts = sorted([*block.free_items, *block.choices, *block.groups],
                           key=lambda part: (part.span.line, part.span.column))
        self._open(header, block.span, depth, parts)
        for part in parts:
            if isinstance(part, ast.Choice):
                self._choice(part, depth + 1)
            elif isinstance(part, ast.Section):
                self._container(part, depth + 1)
            else:
                self._item(part, depth + 1)
        self._close(block.span, depth)

    def _item(self, item: ast.Item, depth: int) -> None:
        self._open(f"{self.kw(item.spelling)} {self.name(item.name)} {self.points(item.points)}", item.span,
                   depth, item.clauses)
        previous: ast.Clause | None = None
        for clause in item.clauses:
            self._emit(self._clause(clause, previous), clause.span, depth + 1)
            previous = clause
        self._close(item.span, depth)

    def _choice(self, choice: ast.Choice, depth: int) -> None:
        header = f"{self.kw('K_BEST_OF' if choice.kind == 'best' else 'K_ONE_OF')} {self.name(choice.name)} " \
                 f"{self.points(choice.points)}"
        if choice.by is not None:
            header += f" {self.kw('K_BY')} {self.name(choice.by)}"
        self._open(header, choice.span, depth, choice.paths)
        for path in choice.paths:
            if path.bare:
                self._item(path.items[0], depth + 1)
                continue
            self._open(f"{self.kw('K_PATH')} {self.name(path.name)}", path.span, depth + 1, path.items)
            for item in path.items:
                self._item(item, depth + 2)
            self._close(path.span, depth + 1)
        self._close(choice.span, depth)

    def _first(self, condition: ast.Expr, lead: str, action: str, previous: ast.Clause | None) -> str | None:
        """A clause as its author wrote it, condition first (`X的 不得分`); None in an English file,
        which has no 的 (the canonical order is written). The condition goes in parentheses where the
        clause before would take its first token (`-x`, or a number or string after 酌情)."""
        if not lead or self.script is Script.ENGLISH:
            return None
        text = self.expr(condition)
        ends_in_expr = isinstance(previous, (ast.DeductIf, ast.Award, ast.Zero, ast.NotApplicable, ast.ScoreIs)) \
            and not getattr(previous, "lead", "")
        if (text.startswith("-") and ends_in_expr) or (text[:1] in '"0123456789' and isinstance(previous, ast.Judged)):
            text = f"({text})"
        return f"{text}{lead}{action}"

    def _per(self, clause: ast.DeductPer, previous: ast.Clause | None) -> str:
        deduct = self.kw_points("K_DEDUCT", clause.points)
        if clause.form == "each" and clause.lead and self.script is not Script.ENGLISH \
                and isinstance(clause.per, ast.ListCall) and clause.per.function == "count_false":
            items = "[" + ", ".join(self.expr(i) for i in clause.per.items) + "]"
            return f"{items} {self.kw('K_EACH_FALSE')}{clause.lead}{deduct}"
        if clause.form.startswith("short") and clause.shortfall is not None and clause.step is not None:
            step = clause.step
            every = self.glue(self.kw("K_PER_SHORT"), step, f"{step.text}{step.label}")
            written = self._first(clause.shortfall, clause.lead,
                                  every + ("" if clause.form == "short_glued" else " ") + deduct, previous)
            if written is not None:
                return written
        if clause.step is None:
            per = self.glue(self.kw("K_PER"), clause.per, self._per_operand(clause.per))
        else:
            operand = self._per_operand(clause.per)
            per = self.glue(self.kw("K_PER"), clause.step, clause.step.text) + " " + (
                operand if isinstance(clause.per, _PER_OPERANDS) else f"({operand})")
        return f"{per} {deduct}"

    def _per_operand(self, per: ast.Expr) -> str:
        """What follows 每: a name ending in 的 at its end is quoted, or `每 目的 扣1分` would read as
        `目` and the 的 of a condition written first."""
        text = self.expr(per)
        leaf = per
        while isinstance(leaf, (ast.Binary, ast.Compare)):
            leaf = leaf.right
        if isinstance(leaf, ast.NameRef) and leaf.name.endswith("的") and text.endswith(leaf.name):
            text = text[: len(text) - len(leaf.name)] + quote(leaf.name)
        return text

    def _clause(self, clause: ast.Clause, previous: ast.Clause | None = None) -> str:
        if_ = self.kw("K_IF")
        if isinstance(clause, ast.DeductIf):
            action = self.kw_points("K_DEDUCT", clause.points)
            return self._first(clause.condition, clause.lead, action, previous) or \
                f"{action} {if_} {self.expr(clause.condition)}"
        if isinstance(clause, ast.DeductPer):
            return self._per(clause, previous)
        if isinstance(clause, ast.Award):
            action = self.kw_points(clause.spelling, clause.points)
            return self._first(clause.condition, clause.lead, action, previous) or \
                f"{action} {if_} {self.expr(clause.condition)}"
        if isinstance(clause, ast.Zero):
            return self._first(clause.condition, clause.lead, self.kw("K_ZERO"), previous) or \
                f"{self.kw('K_ZERO')} {if_} {self.expr(clause.condition)}"
        if isinstance(clause, ast.NotApplicable):
            return self._first(clause.condition, clause.lead, self.kw("K_NOT_APPLICABLE"), previous) or \
                f"{self.kw('K_NOT_APPLICABLE')} {if_} {self.expr(clause.condition)}"
        if isinstance(clause, ast.Start):
            return self.kw_points("K_START", clause.points)
        if isinstance(clause, ast.Judged):
            terminal = next(t for t, mode in ast.JUDGED_TERMINALS.items() if mode == clause.mode)
            text = self.kw(terminal)
            if clause.low is not None and clause.high is not None:
                text = f"{self.kw_points(terminal, clause.low)} {self.kw_points('K_TO', clause.high)}"
            return text + (f" {quote(clause.guidance)}" if clause.guidance is not None else "")
        if isinstance(clause, ast.Grades):
            levels = ", ".join(f"{self.name(g.name)} {self.points(g.points)}" for g in clause.levels)
            return f"{self.kw('K_GRADES')} [{levels}]"
        if isinstance(clause, ast.ScoreIs):
            return f"{self.kw('K_SCORE')} = {self.expr(clause.expr)}"
        if isinstance(clause, ast.MaxDeduct):
            return self.kw_points("K_MAX_DEDUCT", clause.points)
        if isinstance(clause, ast.Text):
            return f"{self.kw('K_CRITERION' if clause.kind == 'criterion' else 'K_METHOD')} {quote(clause.text)}"
        return self.kw("K_FLOOR_ZERO" if isinstance(clause, ast.FloorZero) else "K_ALLOW_NEGATIVE")

    # expressions, with the fewest parentheses that keep the tree
    def expr(self, expr: ast.Expr, minimum: int = 0) -> str:
        text = self._expr(expr)
        return f"({text})" if _precedence(expr) < minimum else text

    def _expr(self, e: ast.Expr) -> str:
        if isinstance(e, ast.Number):
            if e.label:  # the fact's unit, glued as written (32学时)
                return f"{e.text}{e.label}"
            return f"{e.text}{self.kw('K_POINTS')}" if e.unit and self.script is not Script.ENGLISH else e.text
        if isinstance(e, ast.Percent):
            return f"{e.text}%"
        if isinstance(e, ast.Bool):
            return self.kw("K_TRUE" if e.value else "K_FALSE")
        if isinstance(e, ast.NameRef):
            return self.name(e.name)
        if isinstance(e, ast.ScoreRef):
            path = "".join(f"{self.name(group)}." for group in e.path)
            english = self.script is Script.ENGLISH
            part = {"rate": ".rate" if english else ".得分率",
                    "max": ".max" if english else f".{self.kw('K_MAX_SCORE')}"}.get(e.part or "", "")
            return f"@{path}{self.name(e.name)}{part}"
        if isinstance(e, ast.TotalRef):
            return self.kw("K_TOTAL")
        if isinstance(e, ast.BelowPassRef):
            return self.kw("K_SECTIONS_BELOW_PASS")
        if isinstance(e, ast.Negate):
            return f"-{self.expr(e.operand, 7)}"
        if isinstance(e, ast.Binary):
            level = _precedence(e)
            return f"{self.expr(e.left, level)} {e.op} {self.expr(e.right, level + 1)}"
        if isinstance(e, ast.Compare):
            return f"{self.expr(e.left, 5)} {self.glue(self._compare_word(e), e.right, self.expr(e.right, 5))}"
        if isinstance(e, ast.InList):
            options = ", ".join(self.expr(o) for o in e.options)
            return f"{self.expr(e.operand, 5)} {self.kw('K_IN')} [{options}]"
        if isinstance(e, ast.Not):
            word = e.spelling if e.spelling and self.script is not Script.ENGLISH else self.kw("K_NOT")
            return f"{word} {self.expr(e.operand, 3)}"
        if isinstance(e, ast.And):
            return f" {self.kw('K_AND')} ".join(self.expr(o, 3) for o in e.operands)
        if isinstance(e, ast.Or):
            return f" {self.kw('K_OR')} ".join(self.expr(o, 2) for o in e.operands)
        if isinstance(e, ast.IfElse):
            return (f"{self.kw('K_IF_COND')} {self.expr(e.condition, 1)} {self.kw('K_THEN')} {self.expr(e.then)} "
                    f"{self.kw('K_ELSE')} {self.expr(e.otherwise)}")
        if isinstance(e, ast.Call):
            return f"{self.kw(_FUNCTION_TERMINALS[e.function])}(" + ", ".join(self.expr(a) for a in e.args) + ")"
        assert isinstance(e, ast.ListCall)
        return f"{self.kw(_FUNCTION_TERMINALS[e.function])}[" + ", ".join(self.expr(i) for i in e.items) + "]"

    def _compare_word(self, e: ast.Compare) -> str:
        """The author's word: a keyword in the file's script, a 评分表 word (不足) as written, a symbol."""
        if self.script is Script.ENGLISH or not e.spelling:
            return e.op
        if e.spelling.startswith("K_"):
            return self.kw(e.spelling)
        return e.spelling if e.spelling in DOCUMENT_SPELLINGS else e.op


def _precedence(e: ast.Expr) -> int:
    if isinstance(e, ast.Binary):
        return 5 if e.op in "+-" else 6
    return _PRECEDENCE.get(type(e), 8)

