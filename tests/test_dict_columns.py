"""Evidence dicts read a row at a time through marshal (starrules/io/columns.py `_packed_columns`)
give exactly the chunk the general path gives: each key's values through `column_of`, the same
kinds, values (to the bit), present flags, scalar rows and ids."""

from __future__ import annotations

import enum
import math
from decimal import Decimal
from itertools import repeat
from typing import Any
from unittest.mock import patch

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from starrules.io import columns
from starrules.io.columns import _ABSENT, Chunk, Column, _ids, chunks, column_of
from starrules.plan.evidence import RESERVED_KEYS


class Level(enum.IntEnum):
    ONE = 1


class Real(float):
    pass


EDGE_INTS = [0, 1, -1, 2**31 - 1, -2**31, 2**31, -2**31 - 1, 2**53 + 1, 2**63 - 1, 2**63, -2**63 - 1, 2**70]
EDGE_FLOATS = [0.0, -0.0, 1.0, 0.5, 0.1, 2.675, math.nan, math.inf, -math.inf, 1e308, 5e-324]
STRAYS = [True, False, 0, 1, 2**31, 2**63, 1.0, 0.0, math.nan, None, "是", "", np.int64(1), np.float64(1.5),
          np.bool_(True), Level.ONE, Real(1.0), Decimal("1.5"), [1], {"得分": 1}, (1,), b"T"]
# values marshal writes in as many bytes as a bool (1), an int (5) or a float (9): only their type byte tells
SAME_WIDTH: dict[str, list[Any]] = {"bool": [None, ..., StopIteration], "int": ["", b"", (), [], frozenset()],
                                    "float": ["abcd", b"abcd", np.int32(7), (None, None, None, None)], "text": []}
FACTS = ("a", "b", "c", "d", "e")


def kind_values(kind: str) -> st.SearchStrategy[Any]:
    if kind == "bool":
        return st.booleans()
    if kind == "int":
        return st.integers(-2**31, 2**31 - 1) | st.sampled_from(EDGE_INTS[:5])
    if kind == "float":
        return st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(EDGE_FLOATS)
    return st.text(max_size=3)


@st.composite
def dict_rows(draw: st.DrawFn) -> tuple[list[dict[str, Any]], frozenset[str]]:
    """Rows of mostly one type per key (so marshal reads them), with now and then a stray value,
    a key order of its own, a key missing or one the engine does not know, and ids."""
    names = draw(st.lists(st.sampled_from(FACTS), min_size=1, max_size=len(FACTS), unique=True))
    kinds = {name: draw(st.sampled_from(["bool", "int", "float", "text"])) for name in names}
    with_id = draw(st.booleans())
    count = draw(st.integers(1, 40))
    stray_rate = draw(st.sampled_from([0, 0, 0.05, 0.3]))
    rows = []
    for _ in range(count):
        row: dict[str, Any] = {}
        for name in draw(st.permutations(names)):
            stray = stray_rate and draw(st.floats(0, 1)) < stray_rate
            strays = STRAYS + SAME_WIDTH[kinds[name]] * 4
            row[name] = draw(st.sampled_from(strays) if stray else kind_values(kinds[name]))
        if with_id:
            row["id"] = draw(st.sampled_from(["x", 7, None]) if stray_rate else st.text(max_size=4))
        rows.append(row)
    if draw(st.integers(0, 4)) == 0:  # a row with another key in place of one (same length), or one more
        row = rows[draw(st.integers(0, count - 1))]
        if draw(st.booleans()):
            del row[next(iter(row))]
        row[draw(st.sampled_from(["f", "名称", "未知"]))] = draw(kind_values("int"))
    known = frozenset(FACTS) | RESERVED_KEYS
    if draw(st.booleans()):
        known -= {draw(st.sampled_from(FACTS))}  # a key given but not known: its rows are scalar
    return rows, known


def reference(datas: list[dict[str, Any]],
              keys: frozenset[str]) -> tuple[dict[str, Column], list[bool], list[str | None]]:
    """The general path: a key's values one row at a time, `_ABSENT` where left out, through column_of."""
    reads = keys - RESERVED_KEYS
    given = reads.intersection(set().union(*datas))
    found = {key: column_of(list(map(dict.get, datas, repeat(key), repeat(_ABSENT)))) for key in given}
    return found, [not keys.issuperset(d) for d in datas], _ids([d.get("id") for d in datas])


def same_column(got: Column, want: Column) -> bool:
    if (got.kind, got.complete) != (want.kind, want.complete) or not np.array_equal(got.present, want.present):
        return False
    if got.kind == "object":
        return len(got.values) == len(want.values) and all(a is b for a, b in zip(got.values, want.values))
    return got.values.dtype == want.values.dtype and got.values.tobytes() == want.values.tobytes()


def assert_same(chunk: Chunk, datas: list[dict[str, Any]], keys: frozenset[str]) -> None:
    want, scalar, ids = reference(datas, keys)
    assert chunk.size == len(datas)
    assert set(chunk.columns) == set(want)
    for key, column in want.items():
        assert same_column(chunk.columns[key], column), (key, chunk.columns[key], column)
    assert chunk.scalar.tolist() == scalar
    assert list(chunk.ids) == ids
    assert all(chunk.evidence(i)[0] is datas[i] for i in range(len(datas)))


@settings(max_examples=400, deadline=None)
@given(dict_rows(), st.integers(1, 9), st.integers(1, 5))
def test_dicts_read_through_marshal_are_read_as_column_of_reads_them(
        case: tuple[list[dict[str, Any]], frozenset[str]], block: int, piece: int) -> None:
    datas, keys = case
    with patch.object(columns, "_BLOCK", block), patch.object(columns, "_PIECE", piece):  # many blocks and pieces
        for start, chunk in zip(range(0, len(datas), 17), chunks(datas, keys, 17)):
            assert_same(chunk, datas[start:start + 17], keys)


def test_marshal_writes_as_the_reader_expects() -> None:
    """On this Python the fast path is taken (else the property above would test only column_of)."""
    assert columns._MARSHAL_FITS
    datas = [{"a": i % 2 == 0, "b": i, "c": i / 4, "d": "t", "id": str(i)} for i in range(5000)]
    packed = columns._packed_columns(datas, ["a", "b", "c"])
    assert [packed[key].kind for key in "abc"] == ["bool", "int", "float"]
    chunk = next(chunks(datas, frozenset("abcd") | {"id"}, 5000))
    assert_same(chunk, datas, frozenset("abcd") | {"id"})
    datas[4500]["b"] = 2.5  # a stray in the second block: b is read by column_of, a and c still packed
    assert set(columns._packed_columns(datas, ["a", "b", "c"])) == {"a", "c"}
    assert_same(next(chunks(datas, frozenset("abcd") | {"id"}, 5000)), datas, frozenset("abcd") | {"id"})
