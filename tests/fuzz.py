"""Fuzzing strategies and the invariants they are held to, shared by tests/test_fuzz.py (a CI-sized
run) and benchmarks/fuzz.py (a long run): valid rubrics from the grammar, mutated; random
evidence against valid rubrics. Only documented errors may escape, each with a location."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from starrules import EvidenceError, Limits, RowError, Rubric, RubricError, loads
from starrules.keywords import keywords
from tests.test_eval_properties import rubric_text

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
