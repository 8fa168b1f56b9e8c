"""Reading the evidence of one branch: every problem found at once, never a silent fix.

Evidence is a mapping from fact names (and the names of 酌情 / 分档 items) to values. JSON
floats are read through their decimal text, so 18.3 stays 18.3.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, Protocol

import attrs

from ..lang import ast
from ..core.bounded import TooLarge, check_size, open_regular, read_bounded
from ..core.diagnostics import EvidenceError
from ..core.evidence_json import JsonFault, load_json
from ..core.limits import LimitExceeded, Limits, too_many_digits
from ..core.numbers import Exact, Grid, exact, exact_number, format_decimal
from ..core.reporter import Reporter, did_you_mean
from ..core.source import Span, decode

Value = bool | int | Fraction | str  # a fact or derived value during evaluation
RESERVED_KEYS = frozenset({"id", "名称", "name", "历史", "history"})  # carried along, not facts
HISTORY_KEYS = ("历史", "history")
SCORE_KEYS, REASON_KEYS, RATER_KEYS = ("得分", "score"), ("理由", "reason"), ("评分人", "rater")
ENTRY_KEYS = frozenset({*SCORE_KEYS, *REASON_KEYS, *RATER_KEYS})  # the fields of {"得分": …, "理由": …}
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_TRUE, _FALSE = frozenset({"是", "true"}), frozenset({"否", "false"})
_TYPE_WORDS = {"bool": "是否(是/否、true/false)", "count": "计数(不小于 0 的整数)", "number": "数值",
               "ratio": "比例(0 到 1 之间,或百分数如 \"85%\")", "choice": "选项"}

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
        self.defaults = {name: _default_value(f.default) for name, f in self.facts.items() if f.default is not None}
        self.accept = {name: _accepts(f, self.limits.largest_int) for name, f in self.facts.items()}
        self.required_judged = [name for name, item in self.judged.items() if not may_be_left_out(item)]
        # keys the fast paths read themselves; history and anything unknown goes to the reference reader
        self.plain_keys = frozenset({*self.facts, *self.judged, *RESERVED_KEYS} - set(HISTORY_KEYS))


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


def judged_items(rubric: RubricShape) -> dict[str, ast.Item]:
    """Items whose base the assessor enters (酌情 or 分档), by name."""
    return {i.name: i for i in rubric.items if any(isinstance(c, (ast.Judged, ast.Grades)) for c in i.clauses)}


def may_be_left_out(item: ast.Item) -> bool:
    return any(isinstance(c, ast.NotApplicable) for c in item.clauses)


def judged_range(item: ast.Item, clause: ast.Judged) -> tuple[Fraction, Fraction]:
    return (clause.low.value if clause.low else Fraction(0), clause.high.value if clause.high else item.points.value)


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
                    self.problem("E501", name, f"缺少事实“{name}”({_TYPE_WORDS[fact.type.kind]})",
                                 f"在证据中加上 \"{name}\": …,或在标准中给它写“默认”")
        for name in spec.required_judged:
            if name not in data:
                self.problem("E501", name, f"缺少项目“{name}”的评分({_judged_word(spec.judged[name])})")
        extra = {k: data[k] for k in RESERVED_KEYS if k in data}
        history = read_history(data, self.locate, self.reporter)
        return Evidence(values, judgements, extra, history)

    def unknown(self, key: str) -> None:
        if key in self.spec.item_names:
            self.problem("E502", key, f"项目“{key}”按条款计分,不能在证据中直接给分",
                         "证据只填事实;只有“酌情”或“分档”的项目才填得分")
            return
        candidates = [*self.spec.facts, *self.spec.judged]
        self.problem("E502", key, f"未知的证据项“{key}”",
                     did_you_mean(key, candidates) or "证据中只能出现标准声明的事实和酌情/分档项目")

    def fact(self, fact: ast.Fact, raw: object) -> Value | None:
        name, kind = fact.name, fact.type.kind
        if kind == "bool":
            flag = read_bool(raw)
            if flag is None:
                self.wrong_type(name, kind, raw)
            return flag
        if kind == "choice":
            if not isinstance(raw, str):
                self.wrong_type(name, kind, raw)
                return None
            if raw not in fact.type.choices:
                self.problem("E506", name, f"“{name}”的值“{raw}”不在可选范围内({'、'.join(fact.type.choices)})",
                             did_you_mean(raw, fact.type.choices))
                return None
            return raw
        try:
            number = _number(raw, self.spec.limits, percent=kind == "ratio")
        except LimitExceeded as exc:
            self.refuse(name, exc)
            return None
        if number is None:
            self.wrong_type(name, kind, raw)
        elif kind == "count" and (not isinstance(number, int) or number < 0):
            self.problem("E504", name, f"“{name}”是计数,应为不小于 0 的整数,这里是 {_shown(number)}")
        elif kind == "ratio" and not 0 <= number <= 1:
            self.problem("E505", name, f"“{name}”是比例,应在 0 到 1 之间(或 0% 到 100%),这里是 {_shown(number)}")
        else:
            return number
        return None

    def refuse(self, name: str, exc: LimitExceeded) -> None:
        self.problem(exc.code, name, f"“{name}”{exc.message}")

    def wrong_type(self, name: str, kind: str, raw: object) -> None:
        self.problem("E503", name, f"“{name}”应为{_TYPE_WORDS[kind]},这里是{_json_type(raw)} {_preview(raw)}")

    def judgement(self, name: str, raw: object) -> Judgement | None:
        spec = self.spec
        reason = rater = None
        if type(raw) is not int and type(raw) is not float and isinstance(raw, Mapping):  # noqa: E721
            fields = {str(k): v for k, v in raw.items()}
            for key in fields:
                if key not in ENTRY_KEYS:
                    self.problem("E502", f"{name}.{key}", f"“{name}”中未知的字段“{key}”",
                                 "可用的字段:得分(score)、理由(reason)、评分人(rater)")
            score = next((fields[k] for k in SCORE_KEYS if k in fields), None)
            reason, rater = (text_field(fields, keys) for keys in (REASON_KEYS, RATER_KEYS))
            if score is None:
                self.problem("E501", f"{name}", f"项目“{name}”的评分缺少“得分”")
                return None
            raw = score
        if name in spec.levels:
            return self.grade(name, spec.levels[name], raw, reason, rater)
        if type(raw) is float and math.isfinite(raw):  # the common JSON case, kept off Fraction  # noqa: E721
            units = spec.grid.decimal_units(Decimal(repr(raw)))
            if units is not None and spec.unit_ranges[name][0] <= units <= spec.unit_ranges[name][1]:
                return Judgement(units, None, reason, rater)
        try:
            number = _number(raw, spec.limits, percent=False)
        except LimitExceeded as exc:
            self.refuse(name, exc)
            return None
        if number is None:
            self.problem("E503", name, f"项目“{name}”的酌情得分应为数值,这里是{_json_type(raw)} {_preview(raw)}")
            return None
        low, high = spec.ranges[name]
        units = spec.grid.try_units(number)
        if units is not None and spec.unit_ranges[name][0] <= units <= spec.unit_ranges[name][1]:
            return Judgement(units, None, reason, rater)
        if not low <= number <= high:
            self.problem("E507", name, f"项目“{name}”的酌情得分 {_shown(number)} 分不在 {format_decimal(low)}–"
                         f"{format_decimal(high)} 分之内")
            return None
        units = spec.grid.try_units(number)
        if units is None:
            self.problem("E508", name, f"项目“{name}”的得分 {_shown(number)} 分不是精度 "
                         f"{format_decimal(spec.grid.step)} 分的整数倍")
            return None
        return Judgement(units, None, reason, rater)

    def grade(self, name: str, levels: dict[str, int], raw: object, reason: str | None,
              rater: str | None) -> Judgement | None:
        if not isinstance(raw, str) or raw not in levels:
            shown = raw if isinstance(raw, str) else _preview(raw)
            self.problem("E509", name, f"项目“{name}”没有档次“{shown}”(可选:{'、'.join(levels)})",
                         did_you_mean(shown, list(levels)) if isinstance(raw, str) else None)
            return None
        return Judgement(levels[raw], raw, reason, rater)


def _accepts(fact: ast.Fact, big: int) -> Callable[[object], bool]:
    """A quick test for values already in their final form (a JSON true, a whole count, an
    int, a listed choice); anything else goes through the full conversion and its messages."""
    kind = fact.type.kind
    if kind == "bool":
        return lambda raw: raw is True or raw is False
    if kind == "count":
        return lambda raw: type(raw) is int and 0 <= raw < big  # noqa: E721 (bool is an int subclass)
    if kind == "number":
        return lambda raw: type(raw) is int and -big < raw < big  # noqa: E721
    if kind == "ratio":
        return lambda raw: raw == 0 or raw == 1 if type(raw) is int else False  # noqa: E721
    choices = frozenset(fact.type.choices)
    return lambda raw: type(raw) is str and raw in choices  # noqa: E721


def _judged_word(item: ast.Item) -> str:
    clause = next(c for c in item.clauses if isinstance(c, (ast.Judged, ast.Grades)))
    if isinstance(clause, ast.Grades):
        return "分档:" + "、".join(g.name for g in clause.levels)
    low, high = judged_range(item, clause)
    return f"酌情 {format_decimal(low)}–{format_decimal(high)} 分"


def text_field(fields: dict[str, object], keys: tuple[str, str]) -> str | None:
    value = next((fields[k] for k in keys if k in fields), None)
    return None if value is None else str(value)


def _default_value(default: ast.Literal) -> Value:
    if isinstance(default, ast.Bool):
        return default.value
    if isinstance(default, ast.NameRef):
        return default.name
    return exact(default.value)


def read_bool(raw: object) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def _number(raw: object, limits: Limits, *, percent: bool) -> Exact | None:
    """An exact number from JSON/Python/CSV forms (numbers, or decimal text); None otherwise;
    LimitExceeded (E518) for one too long to be made exact cheaply."""
    scale = Fraction(1)
    if isinstance(raw, str):
        text = raw.strip()
        if percent and text.endswith("%"):
            text, scale = text[:-1].strip(), Fraction(1, 100)
        if not _DECIMAL.fullmatch(text):
            return None
        try:
            raw = Decimal(text)
        except InvalidOperation:
            return None
    if number_too_long(raw, limits):
        raise LimitExceeded("E518", f"的数字位数过多(写成普通小数最多 {limits.evidence_digits} 位)")
    number = exact_number(raw)
    return None if number is None else exact(number * scale)


def number_too_long(raw: object, limits: Limits) -> bool:
    """The one digit rule for evidence numbers (E518): `too_many_digits`, with a Python float
    read through its decimal text (repr) as a JSON number is, so 1e308 from a Python dict is
    refused exactly as 1e308 in a JSON file, whichever engine reads it."""
    if type(raw) is float:  # noqa: E721
        return math.isfinite(raw) and too_many_digits(Decimal(repr(raw)), limits)
    return too_many_digits(raw, limits)


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
