"""Fuzzing strategies and the invariants they are held to, shared by tests/test_fuzz.py (a CI-sized
run) and benchmarks/fuzz.py (a long run): valid rubrics from the grammar, mutated; random
evidence against valid rubrics. Only documented errors may escape, each with a location."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import os
import re
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from hypothesis import strategies as st

from starrules import EvidenceError, Limits, RowError, Rubric, RubricError, loads
from starrules.cli import main
from starrules.lang.keywords import keywords
from tests.test_eval_properties import rubric_and_evidence, rubric_text

TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|\d+(?:\.\d+)?|\w+|\s+|.')
NUMBER = re.compile(r"\d+(?:\.\d+)?")
TRADITIONAL = {k.simplified: k.traditional for k in keywords().values()
               if k.simplified and k.traditional and k.simplified != k.traditional}
ENGLISH = {form: k.english for k in keywords().values() if k.english
           for form in (k.simplified, k.traditional) if form}
FILE = "fuzz.rubric"
# small limits, so that the fuzzer reaches every limit's error path as well
SMALL = Limits(expression_depth=12, number_digits=12, name_length=12, string_length=40, list_size=6, items=12,
               points=1000, evidence_keys=40, evidence_digits=30)


def full_width(text: str) -> str:
    """ASCII punctuation, digits and letters as their full-width forms, spaces as U+3000
    (the lexical rules read them as ASCII; the rubric must not change)."""
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" and ch != '"' else ch
                   for ch in text)


def respelled(text: str, table: dict[str, str]) -> str:
    """Every keyword token respelled through `table` (traditional or English forms)."""
    return "".join(table.get(token, token) for token in TOKEN.findall(text))


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """`text` after one to four edits: token swaps, deletions and copies, huge numbers, deep
    nesting, full-width or traditional spellings of a token, random Unicode."""
    tokens = TOKEN.findall(text)
    for _ in range(draw(st.integers(1, 4))):
        if not tokens:
            tokens = [""]
        i = draw(st.integers(0, len(tokens) - 1))
        j = draw(st.integers(0, len(tokens) - 1))
        edit = draw(st.sampled_from(["swap", "delete", "copy", "huge", "deep", "wide", "traditional", "unicode"]))
        if edit == "swap":
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif edit == "delete":
            del tokens[i]
        elif edit == "copy":
            tokens.insert(j, tokens[i])
        elif edit == "huge":
            numbers = [k for k, t in enumerate(tokens) if NUMBER.fullmatch(t)] or [i]
            k = draw(st.sampled_from(numbers))
            tokens[k] = draw(st.sampled_from(["9" * 13, "1" + "0" * 40, "9" * 5000, "0." + "0" * 60 + "1",
                                              "99999999999", "1000001"]))
        elif edit == "deep":
            depth = draw(st.sampled_from([20, 200, 5000]))
            tokens.insert(i, draw(st.sampled_from(["(" * depth, "-" * depth, "非 " * depth, "最大(" * depth])))
        elif edit == "wide":
            tokens[i] = full_width(tokens[i])
        elif edit == "traditional":
            tokens[i] = TRADITIONAL.get(tokens[i], tokens[i])
        else:
            tokens.insert(i, draw(st.text(max_size=6)))
    return "".join(tokens)


@st.composite
def fuzzed_rubric(draw: st.DrawFn) -> str:
    return draw(mutated(draw(rubric_text())))


WILD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-10**60, 10**60), st.just(10**4000),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(allow_nan=True, allow_infinity=True),
    st.integers(-400, 400).map(lambda k: Decimal(f"1e{k}")),
    st.sampled_from(["是", "否", "true", "85%", "120%", "1e5", "-0", "１２", "", " 3 ", "1" * 50, "甲", "丁"]),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["得分", "理由", "评分人", "x"]), st.one_of(st.integers(0, 12), st.text(max_size=3),
                                                                            st.none()), max_size=3),
    st.recursive(st.integers(), lambda inner: st.lists(inner, max_size=2), max_leaves=30),
)


PLAUSIBLE = {"bool": st.booleans(), "count": st.integers(0, 9), "number": st.integers(-5, 50) | st.floats(0, 50),
             "ratio": st.sampled_from([0, 1, 0.5, "85%", "0.25"])}


@st.composite
def wild_evidence(draw: st.DrawFn, rubric: Rubric) -> dict[Any, Any]:
    """Each fact and assessed item left out, given a value of its type, or given anything at
    all; sometimes keys the rubric does not know."""
    evidence: dict[Any, Any] = {}
    judged = [i for i in rubric.items if any(type(c).__name__ in ("Judged", "Grades") for c in i.clauses)]
    for name, fact in rubric.facts.items():
        kind = fact.type.kind
        plausible = st.sampled_from(fact.type.choices) if kind == "choice" else PLAUSIBLE[kind]
        choice = draw(st.sampled_from(["plausible"] * 4 + ["wild", "absent"]))
        if choice != "absent":
            evidence[name] = draw(plausible if choice == "plausible" else WILD_VALUES)
    for item in judged:
        choice = draw(st.sampled_from(["plausible"] * 4 + ["wild", "absent"]))
        if choice != "absent":
            evidence[item.name] = draw(st.integers(0, int(item.points.value)) if choice == "plausible" else WILD_VALUES)
    extra = st.sampled_from(["id", "历史", "学识", "得分", "名称"]) | st.text(max_size=4)
    for key in draw(st.lists(extra, max_size=2)):
        evidence[key] = draw(WILD_VALUES)
    return evidence


def load_or_refuse(text: str, limits: Limits = SMALL) -> Rubric | None:
    """The rubric, or None after checking that the refusal is a RubricError whose diagnostics
    all point into the file; anything else escaping is a bug."""
    try:
        return loads(text, filename=FILE, limits=limits)
    except RubricError as exc:
        assert exc.diagnostics
        for d in exc.diagnostics:
            assert d.code.startswith(("E0", "E1", "E2", "E3", "E4")), d.render()
            assert d.span.line >= 1 and d.span.column >= 1, d.render()
            assert d.span.file == FILE or d.span.file.endswith(".rubric"), d.render()
            d.render()  # rendering must not fail either
        return None


def evaluate_or_refuse(rubric: Rubric, evidence: object) -> None:
    """Scoring gives a result in both modes with the same total, or an EvidenceError naming
    where; the batch reader gives a result or a RowError."""
    try:
        full = rubric.evaluate(evidence)  # type: ignore[arg-type]
    except EvidenceError as exc:
        assert exc.diagnostics and all(d.code.startswith("E5") and d.span.file for d in exc.diagnostics)
        str(exc)
        try:
            rubric.evaluate(evidence, explain=False)  # type: ignore[arg-type]
        except EvidenceError as again:
            assert [d.code for d in again.diagnostics] == [d.code for d in exc.diagnostics]
        else:
            raise AssertionError("explain=False scored evidence that explain=True refused")
    else:
        assert rubric.evaluate(evidence, explain=False).total == full.total  # type: ignore[arg-type]
        full.to_json()
    rows = list(rubric.evaluate_many([evidence], errors="collect"))  # type: ignore[list-item]
    assert len(rows) == 1 and (isinstance(rows[0], RowError) or rows[0].total is not None)


# ── evidence files through the command line ─────────────────────────────────
# A valid rubric and a few branches (one valid, the others wild), written as a JSON, JSON Lines,
# CSV, Excel or Parquet file, then perhaps damaged byte by byte; `starrules eval` reads it with
# -o (each output format) or without. It must end with a result or a coded error (错误[E…]),
# never a Python traceback, and leave every input file as it was.

EVIDENCE_SUFFIXES = (".json", ".jsonl", ".csv", ".xlsx", ".parquet")
SNIPPETS = [b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\r", b"\r\n", b'"', b",", b"{", b"}", b"[" * 200, b"1e999999",
            b"9" * 5000, b"NaN", b"-Infinity", b'"\\ud800"', b'"x": 1, "x": 2, ', b"\n\n", b"a" * 70_000,
            "是".encode(), b"=1+1", b"\t", "，".encode(), b'{"id": "z"}\n', b"id,id\n"]


@attrs.frozen
class EvidenceCase:
    """What one run writes and asks: the rubric's text, the branches, the evidence file's
    format, the output format (None: print to the terminal), and byte edits of the file."""

    rubric: str
    rows: tuple[dict[str, Any], ...]
    suffix: str
    output: str | None
    edits: tuple[tuple[str, int, int, bytes], ...]  # (kind, position, length, bytes)
    column: tuple[str, str] | None = None  # (key, kind): one column of an odd type (Parquet, Excel)


# Arrow types a Parquet column may have besides those pyarrow infers from Python values, and
# what an Excel cell may hold besides text and numbers
ARROW_KINDS = ("timestamp", "date", "decimal", "uint64", "binary", "dictionary", "duration", "list", "struct",
               "float16", "large_string", "all null", "invalid utf-8")
CELL_KINDS = ("datetime", "formula", "error", "long text", "percent text", "huge float", "time")


@st.composite
def evidence_case(draw: st.DrawFn) -> EvidenceCase:
    rubric, valid = draw(rubric_and_evidence())
    rows = [{"id": "b1", **valid}]
    for k in range(draw(st.integers(0, 3))):
        row = draw(wild_evidence(rubric))
        if draw(st.integers(0, 4)):  # mostly with an id, sometimes a repeated one or none
            row["id"] = draw(st.sampled_from([f"b{k + 2}", "b1", 7, ""]))
        rows.append(row)
    if draw(st.booleans()):
        rows.reverse()
    suffix = draw(st.sampled_from(EVIDENCE_SUFFIXES))
    outputs = {".json": [None], ".parquet": [".jsonl", ".csv", ".parquet"]}.get(suffix, [None, ".jsonl", ".csv",
                                                                                       ".parquet"])
    edits = []
    for _ in range(draw(st.sampled_from([0, 0, 1, 2, 3]))):
        kind = draw(st.sampled_from(["delete", "copy", "insert", "truncate", "flip"]))
        edits.append((kind, draw(st.integers(0, 10**6)), draw(st.integers(1, 40)),
                      draw(st.sampled_from(SNIPPETS)) if kind == "insert" else bytes([draw(st.integers(0, 255))])))
    column = None
    if suffix in (".parquet", ".xlsx") and draw(st.booleans()):
        key = draw(st.sampled_from(_keys(tuple(rows))))
        column = (key, draw(st.sampled_from(ARROW_KINDS if suffix == ".parquet" else CELL_KINDS)))
    return EvidenceCase(rubric.sources["<text>"], tuple(rows), suffix, draw(st.sampled_from(outputs)), tuple(edits),
                        column)


def _json_text(value: Any) -> str:
    """JSON as a branch's system might write it, however odd the value: Decimals as their digits,
    NaN and infinities as the tokens Python writes, ints of any length, other objects as text."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        digits, rest = [], abs(value)
        while True:  # in pieces: str() refuses ints past 4300 digits
            rest, piece = divmod(rest, 10**1000)
            digits.append(str(piece).zfill(1000) if rest else str(piece))
            if not rest:
                break
        return ("-" if value < 0 else "") + "".join(reversed(digits))
    if isinstance(value, float):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else {"NaN": "NaN", "sNaN": "NaN"}.get(str(value), str(value))
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {_json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_json_text(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _cell(value: Any) -> Any:
    """A value as a spreadsheet cell holds it (text for what a cell cannot)."""
    if value is None or isinstance(value, (bool, str)):
        return {True: "是", False: "否"}.get(value, value) if isinstance(value, bool) else value
    if isinstance(value, int):
        return value if abs(value) < 10**15 else _json_text(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    return _json_text(value)


def _keys(rows: tuple[dict[str, Any], ...]) -> list[str]:
    return list(dict.fromkeys(str(k) for row in rows for k in row))


def write_evidence(case: EvidenceCase, folder: Path) -> Path:
    path = folder / f"证据{case.suffix}"
    rows = case.rows
    if case.suffix == ".json":
        path.write_text(_json_text(rows[0]), encoding="utf-8")
    elif case.suffix == ".jsonl":
        path.write_text("".join(_json_text(row) + "\n" for row in rows), encoding="utf-8")
    elif case.suffix == ".csv":
        out = io.StringIO()
        writer = csv.writer(out)
        keys = _keys(rows)
        writer.writerow(keys)
        for row in rows:
            values = {str(k): v for k, v in row.items()}
            writer.writerow(["" if k not in values else _cell(values[k]) for k in keys])
        path.write_text(out.getvalue(), encoding="utf-8")
    elif case.suffix == ".xlsx":
        from starrules.report.xlsx_template import write_template
        from tests.xlsx_fill import fill_batch
        blank = folder / "空白.xlsx"
        write_template(loads(case.rubric), blank)
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # control characters no cell can hold
        cells = [{str(k): ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c := _cell(v), str) else c
                  for k, v in row.items()} for row in rows]
        if case.column is not None:
            special = _cell_kind(case.column[1])
            for cell in cells:
                cell[case.column[0]] = special
        fill_batch(blank, cells, path)
        blank.unlink()
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq
        columns = {}
        for key in _keys(rows):
            values = [{str(k): v for k, v in row.items()}.get(key) for row in rows]
            try:
                columns[key] = pa.array(values)
            except (pa.ArrowException, TypeError, ValueError, OverflowError):  # mixed kinds: as text
                columns[key] = pa.array([None if v is None else _json_text(v) for v in values], pa.string())
        if case.column is not None:
            columns[case.column[0]] = _arrow_column(case.column[1], len(rows))
        try:
            pq.write_table(pa.table(columns), path)
        except pa.ArrowException:  # a type Parquet cannot store (a struct of no fields): as text
            special = case.column[0] if case.column is not None else None
            pq.write_table(pa.table({k: v if k == special else
                                     pa.array([None if x is None else _json_text(x) for x in v.to_pylist()],
                                              pa.string()) for k, v in columns.items()}), path)
    data = path.read_bytes()
    for kind, position, length, piece in case.edits:
        at = position % (len(data) + 1)
        if kind == "delete":
            data = data[:at] + data[at + length:]
        elif kind == "copy":
            data = data[:at] + data[at:at + length] + data[at:]
        elif kind == "insert":
            data = data[:at] + piece + data[at:]
        elif kind == "truncate":
            data = data[:at]
        elif at < len(data):
            data = data[:at] + piece + data[at + 1:]
    path.write_bytes(data)
    return path


def _arrow_column(kind: str, size: int) -> Any:
    import datetime

    import pyarrow as pa
    values: dict[str, Any] = {
        "timestamp": pa.array([datetime.datetime(2024, 1, 2, 3, 4, 5)] * size),
        "date": pa.array([datetime.date(2024, 1, 2)] * size),
        "decimal": pa.array([Decimal("12.345")] * size, pa.decimal128(10, 3)),
        "uint64": pa.array([2**64 - 1] * size, pa.uint64()),
        "binary": pa.array([b"\xff\x00"] * size, pa.binary()),
        "dictionary": pa.array(["甲", "乙"] * size, pa.string()).slice(0, size).dictionary_encode(),
        "duration": pa.array([5] * size, pa.duration("s")),
        "list": pa.array([[1, 2]] * size, pa.list_(pa.int64())),
        "struct": pa.array([{"得分": 1, "理由": "x"}] * size),
        "float16": pa.array([1.5] * size, pa.float64()).cast(pa.float16()),
        "large_string": pa.array(["是"] * size, pa.large_string()),
        "all null": pa.nulls(size),
        # text that is not UTF-8: Parquet stores string bytes as given and does not check them on reading
        "invalid utf-8": pa.Array.from_buffers(pa.string(), size, [None, pa.py_buffer(
            np.arange(size + 1, dtype=np.int32).tobytes()), pa.py_buffer(b"\xff" * size)]),
    }
    return values[kind]


def _cell_kind(kind: str) -> Any:
    import datetime
    return {"datetime": datetime.datetime(2024, 1, 2, 3, 4, 5), "formula": "=1/0", "error": "#DIV/0!",
            "long text": "长" * 40_000, "percent text": "85%", "huge float": 1e308, "time": datetime.time(3, 4)}[kind]


@attrs.frozen
class CliOutcome:
    status: int
    codes: frozenset[str]  # the codes in 错误[…] on stderr
    written: bool  # -o: the output file exists


_CODE = re.compile(r"错误\[(E\d{3})\]")


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """`starrules …` in this process: its status, stdout and stderr. An exception escaping
    `main` is what a user would see as a traceback: it is not caught here; nor may the package
    raise a warning (numpy's overflow warnings included), which the user would see too."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            status = main(argv)
        except SystemExit as exit_:  # argparse: a usage error
            status = exit_.code if isinstance(exit_.code, int) else 2
    ours = [w for w in caught if f"{os.sep}starrules{os.sep}" in w.filename]
    assert not ours, [f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}" for w in ours]
    return status, out.getvalue(), err.getvalue()


def _no_records(path: Path) -> bool:
    """A .jsonl or .csv file with no record in it (blank, or a header alone — read as CSV, so a
    quote opened in the header and never closed makes the whole file that header)."""
    if path.suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        rows = [row for row in csv.reader(io.StringIO(text, newline="")) if any(cell.strip() for cell in row)]
        return len(rows) <= 1
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    return path.suffix == ".jsonl" and not lines


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_output(path: Path) -> None:
    """An output file that was written reads back in its format."""
    if path.suffix == ".jsonl":
        for line in path.read_text(encoding="utf-8").splitlines():
            assert isinstance(json.loads(line), dict)
    elif path.suffix == ".csv":
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        assert all(len(row) == len(rows[0]) for row in rows)  # (no rows at all when no branch scored)
    else:
        import pyarrow.parquet as pq
        pq.read_table(path)


def evidence_through_cli(case: EvidenceCase, folder: Path) -> CliOutcome:
    """Run the case and hold it to the invariants; the outcome, for a tally."""
    rubric = folder / "标准.rubric"
    rubric.write_text(case.rubric, encoding="utf-8")
    evidence = write_evidence(case, folder)
    before = {p: _digest(p) for p in (rubric, evidence)}
    argv = ["eval", str(rubric), str(evidence)]
    output = folder / f"结果{case.output}" if case.output else None
    if output is not None:
        argv += ["-o", str(output)]
    status, out, err = run_cli(argv)
    assert "Traceback" not in err and "Traceback" not in out
    assert {p: _digest(p) for p in before} == before, "an input file changed"
    codes = frozenset(_CODE.findall(err))
    if status == 0:
        # nothing printed only for a batch without a branch (reported to the lead: an empty batch
        # is neither a result nor an error today)
        assert out.strip() or output is not None or _no_records(evidence), err
    else:
        assert status == 1 and codes, (status, err)
        assert all(code.startswith("E5") for code in codes), err  # the rubric is valid: evidence errors only
    written = output is not None and output.exists()
    if written:
        assert output is not None
        _check_output(output)
    return CliOutcome(status, codes, written)
