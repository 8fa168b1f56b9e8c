"""Reading the evidence of one branch: every problem found at once, never a silent fix.

Evidence is a mapping from fact names (and the names of 酌情 / 分档 items) to values. JSON
floats are read through their decimal text, so 18.3 stays 18.3. Which values each fact and score
may take, and how they are read, is the acceptance table (acceptance.py), which the fast path and
the batch engine read too; this reader reports what it refuses, in the table's words.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, Protocol

import attrs

from ..lang import ast
from ..check.judged import JUDGED_WORDS, judged_part
from ..core.bounded import TooLarge, check_size, open_regular, read_bounded
from ..core.diagnostics import EvidenceError
from ..core.evidence_json import JsonFault, load_json
from ..core.limits import LimitExceeded, Limits
from ..core.numbers import Exact, Grid, exact, format_decimal
from ..core.reporter import Reporter, did_you_mean
from ..core.source import Span, decode
from .acceptance import (ENTRY, FACT_MESSAGES, FACTS, MISSING, MISSING_FACT_HINT, MISSING_SCORE, NO_SCORE, NOT_LISTED,
                         SCORE_MESSAGES, UNKNOWN, UNKNOWN_FIELD_HINT, Rejection, ScoreRange, Value, convert, level_units,
                         quick_test, score_range, score_units, split_entry)

RESERVED_KEYS = frozenset({"id", "名称", "name", "历史", "history", "年度", "year"})  # carried along, not facts
HISTORY_KEYS = ("历史", "history")
YEAR_KEYS = ("年度", "year")  # the evaluation year the history is read against
SCORE_KEYS, REASON_KEYS, RATER_KEYS = ENTRY.score, ENTRY.reason, ENTRY.rater  # the fields of {"得分": …, "理由": …}

Locate = Callable[[str], Span]


class RubricShape(Protocol):
    """What reading evidence needs of a rubric (a `Rubric` or its compiled `Evaluator`)."""

    @property
    def facts(self) -> Mapping[str, ast.Fact]: ...

    @property
    def items(self) -> tuple[ast.Item, ...]: ...

    @property
    def precision(self) -> Fraction: ...

    @property
    def blank_scores(self) -> frozenset[str]:
        """Judged items whose score may be left blank though they have no 不适用: the items of
        a 任选其一's paths (only the chosen path's scores are needed)."""
        ...

    @property
    def limits(self) -> Limits: ...


@attrs.frozen
class Judgement:
    """An assessor's entry for a 酌情 or 分档 item: the base points, and who said why."""

    units: int  # on the rubric's grid
    level: str | None  # the 分档 level chosen
    reason: str | None
    rater: str | None


@attrs.frozen
class Evidence:
    values: dict[str, Value]  # every fact, defaults filled in
    judgements: dict[str, Judgement]
    extra: dict[str, object]  # reserved keys (id, 名称, 历史), passed through
    history: dict[str, dict[int, str]] = attrs.Factory(dict)  # scheme → year → level (§5)
    year: int | None = None  # the evaluation year (年度), when given


def in_memory(label: str = "<证据>") -> Locate:
    """Locations for evidence given as a Python mapping: the key path only, no line."""
    return lambda path: Span(label, 0, 0, 0, 0)


def open_evidence(evidence: object, limits: Limits) -> tuple[object, Locate, Reporter]:
    """Evidence given as a mapping, or as the path of a JSON file (read and located)."""
    if isinstance(evidence, (str, os.PathLike)):
        return load_evidence_file(Path(evidence), limits)
    return evidence, in_memory(), Reporter()


def read_evidence_text(path: Path, what: str = "证据文件", limit: int | None = None) -> tuple[str, Reporter]:
    """A file's text and a reporter that knows it (so diagnostics show the line);
    EvidenceError (E511) when it cannot be read or is not a regular file, E516 when it is over
    `limit` bytes (refused before reading when its size says so; never read past the limit)."""
    try:
        text = decode(read_bounded(path, limit))
    except TooLarge as exc:
        raise file_error(str(path), "E516", f"{what}过大({exc.detail})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise unreadable(path, what, exc) from None
    reporter = Reporter()
    reporter.add_source(str(path), text)
    return text, reporter


def check_file_size(path: Path, what: str, limit: int) -> None:
    """Before reading: E511 when the file cannot be opened or is not a regular file (a FIFO, a
    device, a directory), E516 when it is over `limit` bytes. `open_checked` also gives the file."""
    open_checked(path, what, limit).close()


def open_checked(path: Path, what: str, limit: int) -> BinaryIO:
    """The file opened for binary reading once `check_file_size` passes, so what is read is
    the file that was checked (EvidenceError E511 / E516 as there)."""
    try:
        stream = open_regular(path)
    except OSError as exc:
        raise unreadable(path, what, exc) from None
    try:
        check_size(stream, limit)
    except TooLarge as exc:
        stream.close()
        raise file_error(str(path), "E516", f"{what}过大({exc.detail})") from None
    except BaseException:
        stream.close()
        raise
    return stream


def unreadable(path: Path, what: str, exc: Exception) -> EvidenceError:
    """E511 for an evidence or batch file that cannot be opened or decoded."""
    return file_error(str(path), "E511", f"无法读取{what}“{path}”:{os_reason(exc)}")


def file_error(file: str, code: str, message: str) -> EvidenceError:
    """An error about a whole evidence file (no line to point at)."""
    reporter = Reporter()
    reporter.report(code, message, Span(file, 0, 0, 0, 0))
    return EvidenceError(reporter.diagnostics)


def load_evidence_file(path: Path, limits: Limits) -> tuple[object, Locate, Reporter]:
    """Parse a JSON evidence file; returns the data, a key locator and a reporter."""
    text, reporter = read_evidence_text(path, limit=limits.evidence_bytes)
    file = str(path)
    try:
        data = load_json(text, limits, "证据文件")
    except LimitExceeded as exc:
        raise file_error(file, exc.code, exc.message) from None
    except JsonFault as exc:
        report_fault(reporter, exc, file, text)
        raise EvidenceError(reporter.diagnostics) from None
    except ValueError as exc:
        line, column = (exc.lineno, exc.colno) if isinstance(exc, json.JSONDecodeError) else (1, 1)
        reporter.report("E511", f"证据文件不是有效的 JSON:{_json_reason(exc)}", Span(file, line, column, line, column + 1))
        raise EvidenceError(reporter.diagnostics) from None
    return data, text_locator(file, text), reporter


def report_fault(reporter: Reporter, fault: JsonFault, file: str, text: str, first_line: int = 1) -> None:
    """E519 / E520 at its place in `text` (which starts at line `first_line` of `file`)."""
    notes = [] if fault.first is None else [reporter.note(fault.first.span(file, text, first_line), "第一次写在这里")]
    hint = "删去多余的一个,只留下正确的值" if fault.code == "E519" else "这多半是编码转换出了错;删去它,或改回原来的文字"
    reporter.report(fault.code, fault.message, fault.place.span(file, text, first_line), hint, notes)


def os_reason(exc: Exception) -> str:
    if isinstance(exc, FileNotFoundError):
        return "文件不存在"
    if isinstance(exc, UnicodeDecodeError):
        return "不是有效的 UTF-8 文本"
    return exc.strerror or type(exc).__name__ if isinstance(exc, OSError) else str(exc)


def _json_reason(exc: Exception) -> str:
    return exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)


def text_locator(file: str, text: str, first_line: int = 1) -> Locate:
    """The position of a key (`a` or `a.b` → the innermost) as first written in JSON `text`,
    which starts at line `first_line` of the file (a JSONL record); its first line when absent."""
    def locate(path: str) -> Span:
        key = path.rsplit(".", 1)[-1]
        match = re.search(re.escape(json.dumps(key, ensure_ascii=False)) + r"\s*:", text)
        if match is None:
            return Span(file, 0, 0, 0, 0) if first_line == 1 else Span(file, first_line, 1, first_line, 2)
        line = text.count("\n", 0, match.start()) + first_line
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        return Span(file, line, column, line, column + len(key) + 2)
    return locate


class EvidenceSpec:
    """What the evidence of one rubric may hold, worked out once per compiled rubric."""

    def __init__(self, rubric: RubricShape) -> None:
        self.facts = dict(rubric.facts)
        self.item_names = {i.name for i in rubric.items}
        self.grid = Grid(rubric.precision)
        self.limits = rubric.limits
        self.judged = judged_items(rubric)
        self.clauses = {name: next(c for c in item.clauses if isinstance(c, (ast.Judged, ast.Grades)))
                        for name, item in self.judged.items()}
        self.ranges = {name: judged_range(self.judged[name], c) for name, c in self.clauses.items()
                       if isinstance(c, ast.Judged)}
        self.levels = {name: {g.name: self.grid.units(g.points.value) for g in c.levels}
                       for name, c in self.clauses.items() if isinstance(c, ast.Grades)}
        self.unit_ranges = {name: (self.grid.units(low), self.grid.units(high)) for name, (low, high) in self.ranges.items()}
        self.scores: dict[str, ScoreRange] = {name: score_range(self.grid, low, high, self.limits)
                                              for name, (low, high) in self.unit_ranges.items()}
        self.defaults = {name: _default_value(f.default) for name, f in self.facts.items() if f.default is not None}
        # values final as given (acceptance.quick_test); anything else goes through acceptance.convert
        self.accept = {name: quick_test(FACTS[f.type.kind], self.limits, f.type.choices) for name, f in self.facts.items()}
        # scores that may be left blank: a 不适用 item's, or one on a 任选其一 path (the run decides)
        self.optional = frozenset(name for name, item in self.judged.items()
                                  if may_be_left_out(item) or name in rubric.blank_scores)
        self.required_judged = [name for name in self.judged if name not in self.optional]
        # keys the fast paths read themselves; history and anything unknown goes to the reference reader
        self.plain_keys = frozenset({*self.facts, *self.judged, *RESERVED_KEYS} - {*HISTORY_KEYS, *YEAR_KEYS})


def read_evidence(spec: EvidenceSpec, data: object, locate: Locate, reporter: Reporter | None = None) -> Evidence:
    """Validate and convert; raise one EvidenceError listing every problem."""
    reader = _Reader(spec, locate, reporter or Reporter())
    evidence = reader.read(data)
    if reader.reporter.errors:
        raise EvidenceError(reader.reporter.errors)
    return evidence


def read_history(data: Mapping[str, object], locate: Locate, reporter: Reporter) -> dict[str, dict[int, str]]:
    """`{"历史": {"等次": {"2022": "后进"}}}`: levels by scheme and year (E512 when malformed);
    the level names are checked against the scheme when a result is graded."""
    key = next((k for k in HISTORY_KEYS if k in data), None)
    if key is None:
        return {}
    raw = data[key]

    def problem(path: str, message: str) -> None:
        reporter.report("E512", message, locate(path))

    shape = f"“{key}”应为 {{\"方案名\": {{\"年份\": \"等级\"}}}},"
    if not isinstance(raw, Mapping):
        problem(key, shape + f"这里是{_json_type(raw)}")
        return {}
    history: dict[str, dict[int, str]] = {}
    for scheme, years in raw.items():
        if not isinstance(years, Mapping):
            problem(f"{key}.{scheme}", shape + f"“{scheme}”下是{_json_type(years)}")
            continue
        history[str(scheme)] = {}
        for year, level in years.items():
            if not re.fullmatch(r"\d{4}", str(year)) or not isinstance(level, str):
                problem(f"{key}.{scheme}", shape + f"“{scheme}”下的 {_preview(year)}: {_preview(level)} "
                        "不是“四位年份: 等级名”")
                continue
            history[str(scheme)][int(str(year))] = level
    return history


def read_year(data: Mapping[str, object], history: Mapping[str, Mapping[int, str]], locate: Locate,
              reporter: Reporter) -> int | None:
    """`"年度": 2025`: the year being evaluated (a four-digit int or text), None when not given;
    E512 when malformed, E513 when the history holds that year or a later one."""
    key = next((k for k in YEAR_KEYS if k in data), None)
    if key is None:
        return None
    raw = data[key]
    if type(raw) is int or isinstance(raw, str) and re.fullmatch(r"\d{4}", raw):  # noqa: E721
        year = int(raw)
        if 1000 <= year <= 9999:
            for scheme, years in history.items():
                later = sorted(y for y in years if y >= year)
                if later:
                    reporter.report("E513", f"历史中“{scheme}”有 {later[0]} 年的等级,不早于评定年度 {year}",
                                    locate(key), "历史只写评定年度以前各年的等级")
            return year
    reporter.report("E512", f"“{key}”应为四位数的年份(如 2025),这里是 {_preview(raw)}", locate(key))
    return None


def judged_items(rubric: RubricShape) -> dict[str, ast.Item]:
    """Items whose base the assessor enters (酌情 or 分档), by name."""
    return {i.name: i for i in rubric.items if any(isinstance(c, (ast.Judged, ast.Grades)) for c in i.clauses)}


def may_be_left_out(item: ast.Item) -> bool:
    return any(isinstance(c, ast.NotApplicable) for c in item.clauses)


def judged_range(item: ast.Item, clause: ast.Judged) -> tuple[Fraction, Fraction]:
    """The rater's entry's range: 酌情 0 to the points, 酌情给分 / 酌情扣分 0 to the points the
    deductions leave (check/judged.py), or the range written."""
    part = judged_part(item, clause)
    return part.low, part.high


class _Reader:
    def __init__(self, spec: EvidenceSpec, locate: Locate, reporter: Reporter) -> None:
        self.spec, self.locate, self.reporter = spec, locate, reporter

    def problem(self, code: str, path: str, message: str, hint: str | None = None) -> None:
        self.reporter.report(code, message, self.locate(path), hint)

    def read(self, data: object) -> Evidence:
        if not isinstance(data, Mapping):
            self.problem("E511", "", f"证据应当是一个对象({{\"事实名\": 值, …}}),这里是{_json_type(data)}")
            return Evidence({}, {}, {})
        spec = self.spec
        if len(data) > spec.limits.evidence_keys:
            self.problem("E516", "", f"证据过大({len(data)} 项,最多 {spec.limits.evidence_keys} 项)")
            return Evidence({}, {}, {})
        values: dict[str, Value] = {}
        judgements: dict[str, Judgement] = {}
        accepts = spec.accept
        for key, raw in data.items():
            if type(key) is not str:  # noqa: E721
                key = str(key)
            accept = accepts.get(key)
            if accept is not None:
                value = raw if accept(raw) else self.fact(spec.facts[key], raw)
                if value is not None:
                    values[key] = value
            elif key in spec.judged:
                judgement = self.judgement(key, raw)
                if judgement is not None:
                    judgements[key] = judgement
            elif key not in RESERVED_KEYS:
                self.unknown(key)
        if len(values) < len(spec.facts):
            for name, fact in spec.facts.items():
                if name in data:
                    continue
                if name in spec.defaults:
                    values[name] = spec.defaults[name]
                else:
                    self.problem(MISSING, name, FACT_MESSAGES[MISSING].format(name=name, words=FACTS[fact.type.kind].words),
                                 MISSING_FACT_HINT.format(name=name))
        for name in spec.required_judged:
            if name not in data:
                self.problem(MISSING, name, SCORE_MESSAGES[MISSING].format(name=name, words=_judged_word(spec.judged[name])))
        extra = {k: data[k] for k in RESERVED_KEYS if k in data}
        history = read_history(data, self.locate, self.reporter)
        return Evidence(values, judgements, extra, history, read_year(data, history, self.locate, self.reporter))

    def unknown(self, key: str) -> None:
        if key in self.spec.item_names:
            self.problem("E502", key, f"项目“{key}”按条款计分,不能在证据中直接给分",
                         "证据只填事实;只有“酌情”或“分档”的项目才填得分")
            return
        candidates = [*self.spec.facts, *self.spec.judged]
        self.problem("E502", key, f"未知的证据项“{key}”",
                     did_you_mean(key, candidates) or "证据中只能出现标准声明的事实和酌情/分档项目")

    def fact(self, fact: ast.Fact, raw: object) -> Value | None:
        """The fact's value, or None when refused (reported)."""
        rule = FACTS[fact.type.kind]
        found = convert(rule, raw, self.spec.limits, fact.type.choices)
        if not isinstance(found, Rejection):
            return found
        choices = fact.type.choices
        hint = did_you_mean(raw, choices) if found.code == NOT_LISTED and isinstance(raw, str) else None
        self.reject(FACT_MESSAGES, fact.name, found, raw, hint, words=rule.words, choices="、".join(choices))
        return None

    def reject(self, messages: Mapping[str, str], name: str, rejection: Rejection, raw: object,
               hint: str | None = None, **fields: object) -> None:
        """Report a value refused by the acceptance table, in the table's words."""
        shown = rejection.shown
        words = {"name": name, "type": _json_type(raw), "preview": _preview(raw), "digits": self.spec.limits.evidence_digits,
                 "value": _shown(shown) if isinstance(shown, (int, Fraction)) and not isinstance(shown, bool) else shown}
        self.problem(rejection.code, name, messages[rejection.code].format(**{**words, **fields}), hint)

    def judgement(self, name: str, raw: object) -> Judgement | None:
        spec = self.spec
        reason = rater = None
        if type(raw) is not int and type(raw) is not float and isinstance(raw, Mapping):  # noqa: E721
            entry = split_entry(raw)
            for key in entry.unknown:
                self.problem(UNKNOWN, f"{name}.{key}", SCORE_MESSAGES[UNKNOWN].format(name=name, field=key),
                             UNKNOWN_FIELD_HINT)
            if entry.score is NO_SCORE:
                self.problem(MISSING, f"{name}", MISSING_SCORE.format(name=name))
                return None
            raw, reason, rater = entry.score, entry.reason, entry.rater
        if name in spec.levels:
            return self.grade(name, spec.levels[name], raw, reason, rater)
        units = score_units(raw, spec.scores[name], spec.limits)
        if not isinstance(units, Rejection):
            return Judgement(units, None, reason, rater)
        low, high = spec.ranges[name]
        self.reject(SCORE_MESSAGES, name, units, raw, low=format_decimal(low), high=format_decimal(high),
                    step=format_decimal(spec.grid.step))
        return None

    def grade(self, name: str, levels: dict[str, int], raw: object, reason: str | None,
              rater: str | None) -> Judgement | None:
        units = level_units(raw, levels)
        if not isinstance(units, Rejection):
            assert isinstance(raw, str)
            return Judgement(units, raw, reason, rater)
        hint = did_you_mean(raw, list(levels)) if isinstance(raw, str) else None
        self.reject(SCORE_MESSAGES, name, units, raw, hint, levels="、".join(levels),
                    value=raw if isinstance(raw, str) else _preview(raw))
        return None


def _judged_word(item: ast.Item) -> str:
    clause = next(c for c in item.clauses if isinstance(c, (ast.Judged, ast.Grades)))
    if isinstance(clause, ast.Grades):
        return "分档:" + "、".join(g.name for g in clause.levels)
    low, high = judged_range(item, clause)
    return f"{JUDGED_WORDS[clause.mode]} {format_decimal(low)}–{format_decimal(high)} 分"


def _default_value(default: ast.Literal) -> Value:
    if isinstance(default, ast.Bool):
        return default.value
    if isinstance(default, ast.NameRef):
        return default.name
    return exact(default.value)


_HUGE = "(超过 300 位的数)"


def _huge(number: int | Fraction) -> bool:
    """Too long to print: Python refuses int → text past 4300 digits, and no one reads 300."""
    value = Fraction(number)
    return max(abs(value.numerator).bit_length(), value.denominator.bit_length()) > 1000


def identifier_text(raw: object) -> str | None:
    """A branch's `id` as text (None when absent); an int too long to print is not printed."""
    if raw is None:
        return None
    return _HUGE if isinstance(raw, int) and _huge(raw) else str(raw)


def _shown(number: Exact) -> str:
    return _HUGE if _huge(number) else format_decimal(Fraction(number))


def _json_type(raw: object) -> str:
    if raw is None:
        return "空值(null)"
    if isinstance(raw, bool):
        return "是否值"
    if isinstance(raw, (int, float, Decimal, Fraction)):
        return "数值"
    if isinstance(raw, str):
        return "文字"
    if isinstance(raw, Mapping):
        return "对象"
    if isinstance(raw, (list, tuple)):
        return "列表"
    return type(raw).__name__


def _preview(raw: object) -> str:
    """At most 40 characters, however large or deep the value (containers are not walked)."""
    if isinstance(raw, Mapping):
        return "{…}" if raw else "{}"
    if isinstance(raw, (list, tuple)):
        return "[…]" if raw else "[]"
    if isinstance(raw, (int, Fraction)) and _huge(raw):
        return _HUGE
    if isinstance(raw, str):
        text = json.dumps(raw[:40], ensure_ascii=False)
    else:
        text = str(raw) if isinstance(raw, Decimal) else json.dumps(raw, default=lambda v: repr(v)[:40])
    return text if len(text) <= 40 else text[:37] + "…"
