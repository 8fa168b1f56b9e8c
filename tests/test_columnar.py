"""The batch engine (starrules/batch/engine.py) against the scalar evaluator, row by row.

The reference for every row is `rubric.evaluate` on a `MappingProxyType` (the traced
evaluator, never the fast path). The engine must give the same total, maximum, veto, every
section and item score, 不适用, and level under every scheme, or hand the row back."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starrules import EvidenceError, Result, ResultBatch, RowError, Rubric, evaluate_columns, loads
from starrules.batch.engine import ColumnEngine
from starrules.io.columns import chunks
from tests.test_record_ids import refused_by_reference, refused_by_rule
from tests.test_eval_properties import BOOLS, draw_judgements, rubric_text
from tests.test_fastpath import BENCH, EXTRA, evidence

# a scheme in the rubric's file whose levels read facts, a section's score and 未达标类型数, and
# the built-in 等次 derived from 星级: the batch grades distinct combinations of these
SCHEME = "等级 测 { 甲档 >= 12分 且 b0 且 ch 属于 [甲, 乙] 乙档 >= 6分 且 @类0 >= 2 丙档 降档 1 如果 未达标类型数 >= 1 且 n1 > 3 }\n"
SCHEMES = ("测", "星级", "等次")


def _rubric(draw: st.DrawFn) -> Rubric:
    text = draw(rubric_text())
    if draw(st.booleans()):
        text = text[:text.rindex("}")] + EXTRA + " }"
    return loads(SCHEME + text)


def _row(draw: st.DrawFn, rubric: Rubric, plain: bool) -> dict[str, Any]:
    """One branch; `plain`: only the forms a typed column holds (bools, ints, floats, names)."""
    bools = [True, False] if plain else [True, False, "是", "否"]
    row: dict[str, Any] = {b: draw(st.sampled_from(bools)) for b in BOOLS}
    row.update(c1=draw(st.integers(0, 6)), c2=draw(st.integers(0, 6)),
               n1=draw(st.sampled_from([0.0, 3.0, 5.5, 7.25, 15.0, 0.1, 2.675] if plain else [0, 3, 5.5, 7.25, 15, Decimal("4.1")])),
               r1=draw(st.sampled_from([0.0, 1.0, 0.3, 0.875] if plain else [0, 1, 0.3, 0.875, Decimal("0.65")])),
               ch=draw(st.sampled_from(["甲", "乙", "丙"])))
    for name, entry in draw_judgements(draw, rubric).items():
        row[name] = float(entry) if isinstance(entry, Fraction) else entry
        if not plain and draw(st.booleans()):
            row[name] = {"得分": row[name], "理由": "示例"}
    if not plain and draw(st.integers(0, 5)) == 0:  # a bad row: the scalar evaluator reports it
        row[draw(st.sampled_from(["c1", "n1", "ch", "b0", "未知"]))] = draw(st.sampled_from([-1, "很多", None, 1e400]))
    return row


@st.composite
def batch_case(draw: st.DrawFn, plain: bool = False) -> tuple[Rubric, list[dict[str, Any]]]:
    rubric = _rubric(draw)
    return rubric, [_row(draw, rubric, plain) for _ in range(draw(st.integers(1, 8)))]


def expected(rubric: Rubric, row: dict[str, Any]) -> object:
    try:
        result = rubric.evaluate(MappingProxyType(row), explain=False, schemes=SCHEMES)
    except EvidenceError as error:
        return [d.code for d in error.diagnostics]
    return (result.total, result.max, result.vetoed, [g.score for s in result.sections for g in (s, *s.nested())],
            [(i.name, i.score, i.applicable) for i in result.items], [result.levels[n].level for n in SCHEMES])


def got(batch: ResultBatch, index: int) -> object:
    if not batch.ok[index]:
        error = next(e for e in batch.errors if e.row == batch.rows[index])
        return [d.code for d in error.diagnostics]
    points = batch.grid.points
    ev = batch.rubric.evaluator
    names = [plan.name for plan in ev.item_plans.values()]
    order = names  # the order written, as `result.items`
    by_name = {n: (n, points(int(batch.items[k, index])), bool(batch.applicable[k, index])) for k, n in enumerate(names)}
    return (points(int(batch.total[index])), points(int(batch.max[index])), bool(batch.vetoed[index]),
            [points(int(u)) for u in batch.sections[:, index]], [by_name[n] for n in order],
            [batch.levels[n][index] for n in SCHEMES])


def rows_of(batches: list[ResultBatch]) -> list[object]:
    return [got(b, i) for b in batches for i in range(len(b))]


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(batch_case(), st.integers(1, 5))
def test_batch_equals_scalar_row_by_row(case: tuple[Rubric, list[dict[str, Any]]], chunk_rows: int) -> None:
    rubric, rows = case
    batches = list(evaluate_columns(rubric, rows, schemes=SCHEMES, errors="collect", chunk_rows=chunk_rows))
    assert [r for b in batches for r in b.rows] == list(range(1, len(rows) + 1))
    assert rows_of(batches) == [expected(rubric, row) for row in rows]


@SETTINGS
@given(batch_case(plain=True))
def test_typed_columns_are_scored_by_the_engine(case: tuple[Rubric, list[dict[str, Any]]]) -> None:
    """From an Arrow table the same answers; every row the scalar fast path takes, the engine
    takes too (none handed back), so the property above tests the engine, not the fallback."""
    rubric, rows = case
    table = pa.Table.from_pylist(rows)
    batches = list(evaluate_columns(rubric, table, schemes=SCHEMES, errors="collect"))
    assert rows_of(batches) == [expected(rubric, row) for row in rows]
    ev = rubric.evaluator
    slow = [bool(s) for c in chunks(table, ev.evidence_spec.plain_keys, 100) for s in ColumnEngine(ev).run(c).slow]
    assert slow == [ev.fast(row) is None for row in rows]


# worked by hand from BENCH (tests/test_fastpath.py): 学习 10 − 2 if not 达标 − 0.5 per 问题 (0 when
# 问题 > 5), 评议 as given, 活动 好 4 / 中 2 / 差 0, − 1 when 参学率 < 90%
HAND = [(evidence(), 18), (evidence(达标=False, 参学率=0.85), 15), (evidence(问题=7, 活动="中"), Fraction(13, 2)),
        (evidence(评议=0, 活动="差", 问题=4), 8), (evidence(问题=0, 评议=6), 20)]


def test_worked_rows_from_columns_and_from_dicts() -> None:
    rubric = loads(BENCH)
    rows = [row for row, _ in HAND]
    for data in (rows, pa.Table.from_pylist(rows)):
        (batch,) = evaluate_columns(rubric, data)
        assert [batch.grid.points(int(t)) for t in batch.total] == [total for _, total in HAND]
        assert not ColumnEngine(rubric.evaluator).run(next(chunks(data, rubric.evaluator.evidence_spec.plain_keys,
                                                                    10))).slow.any()


def test_bad_rows_are_reported_by_row_and_key_and_collect_keeps_the_rest() -> None:
    rubric = loads(BENCH)
    rows = [evidence(), evidence(问题=-1), evidence(), evidence(活动="优"), evidence()]
    (batch,) = evaluate_columns(rubric, rows, errors="collect")
    assert list(batch.ok) == [True, False, True, False, True]
    assert [e.row for e in batch.errors] == [2, 4]
    first, second = (e.diagnostics[0] for e in batch.errors)
    assert first.code == "E504" and "问题" in first.message and first.span.file == "<第 2 条证据>"
    assert second.code == "E509" and "活动" in second.message
    assert [r["total"] for r in batch.to_rows()] == [18, 18, 18]
    with pytest.raises(EvidenceError) as caught:
        list(evaluate_columns(rubric, rows))
    assert caught.value.diagnostics[0].code == "E504"


def test_columns_nulls_defaults_and_unknown_keys() -> None:
    rubric = loads(BENCH)
    table = pa.table({"id": ["甲", "乙", "丙"], "达标": [None, False, True], "问题": [None, 1, 1],
                      "参学率": [0.95, 0.95, None], "等级": ["甲", "乙", "甲"], "评议": [4.5, 4.5, 4.5],
                      "活动": ["好", "好", "好"], "备注": [None, "x", None]})
    (batch,) = evaluate_columns(rubric, table, errors="collect")
    # 甲: 达标 and 问题 take their defaults (是, 0) → 10 + 4.5 + 4 = 18.5; 乙 names an unknown key 备注 and
    # 丙 leaves out 参学率, which has no default: the scalar reader reports both
    assert batch.ids == ["甲", "乙", "丙"] and list(batch.ok) == [True, False, False]
    assert batch.grid.points(int(batch.total[0])) == Fraction(37, 2)
    assert [d.code for e in batch.errors for d in e.diagnostics] == ["E502", "E501"]
    assert [e.id for e in batch.errors] == ["乙", "丙"]


def test_values_beyond_int64_and_division_by_zero_go_to_the_scalar_path() -> None:
    rubric = loads("标准 大 { 事实 人数: 计数 事实 金额: 数值 类型 甲 10分 { 项目 人均 10分 { 得分 = 金额 / 人数 } } }")
    rows = [{"人数": 4, "金额": 20}, {"人数": 0, "金额": 1}, {"人数": 2**62, "金额": 2**70}, {"人数": 3, "金额": 2.5}]
    (batch,) = evaluate_columns(rubric, rows, errors="collect")
    # 20/4 = 5; 0 → E510; 2**70 / 2**62 = 256, capped at 10; 2.5/3 = 0.83… → 四舍五入 1
    assert list(batch.ok) == [True, False, True, True]
    assert [batch.grid.points(int(t)) for t in batch.total[batch.ok]] == [5, 10, 1]
    assert batch.errors[0].diagnostics[0].code == "E510"
    slow = ColumnEngine(rubric.evaluator).run(next(chunks(rows, rubric.evaluator.evidence_spec.plain_keys, 9))).slow
    assert list(slow) == [False, True, True, False]


def test_floats_are_read_as_the_decimals_they_print_as() -> None:
    rubric = loads("标准 浮 { 精度 0.1 事实 x: 数值 类型 甲 100分 { 项目 值 100分 { 得分 = x * 3 } } }")
    rows = [{"x": 0.1}, {"x": 2.675}, {"x": 1e-9}, {"x": 33.35}, {"x": math.inf}]
    (batch,) = evaluate_columns(rubric, rows, errors="collect")
    # 0.3; 8.025 → 8.0 (8.025 is the decimal, so half up gives 8.0, not a binary 8.02499…); 0; 100.05 → 100
    assert [batch.grid.points(int(t)) for t in batch.total[batch.ok]] == [Fraction(3, 10), 8, 0, 100]
    assert batch.errors[0].row == 5


def test_pandas_polars_like_batches_and_parquet(tmp_path: Path) -> None:
    import pandas
    rubric = loads(BENCH)
    rows = [{**row, "id": f"支部-{n}"} for n, (row, _) in enumerate(HAND)]
    table = pa.Table.from_pylist(rows)
    path = tmp_path / "证据.parquet"
    pq.write_table(table, path, row_group_size=2)

    class PolarsLike:  # what polars offers: a to_arrow() method
        def to_arrow(self) -> pa.Table:
            return table

    sources: list[object] = [pandas.DataFrame(rows), PolarsLike(), table.to_batches(max_chunksize=2),
                             table.to_batches()[0], path, str(path)]
    for source in sources:
        batches = list(evaluate_columns(rubric, source, chunk_rows=3))
        assert [r["id"] for b in batches for r in b.to_rows()] == [f"支部-{n}" for n in range(5)]
        assert [r["total"] for b in batches for r in b.to_rows()] == [18, 15, 6.5, 8, 20]


def test_outputs_match_the_scalar_result() -> None:
    rubric = loads(BENCH)
    rows = [{**row, "id": f"支部-{n}"} for n, (row, _) in enumerate(HAND)]
    (batch,) = evaluate_columns(rubric, rows, schemes=["星级"])
    scalar = [rubric.evaluate(row, schemes=["星级"]) for row in rows]
    assert list(batch.to_rows()) == [r.to_row() for r in scalar]
    table = batch.to_arrow()
    # 18 digits, not 38: the scoring plan bounds every points column of this rubric far below
    # 10**18 (points_precision), and the Parquet output stores such decimals as INT64, which a
    # reader gets back as decimal128(18, 1): to_arrow() gives the same type
    assert table.schema.field("total").type == pa.decimal128(18, 1)
    assert table.column("total").to_pylist() == [Decimal("18.0"), Decimal("15.0"), Decimal("6.5"), Decimal("8.0"),
                                                 Decimal("20.0")]
    assert table.column("level:星级").to_pylist() == ["无星"] * 5  # every total is below 60 of 20… under 星级
    frame = batch.to_pandas()
    assert list(frame.columns) == list(scalar[0].to_row()) and frame["item:学习"].tolist()[1] == Decimal("7.5")
    assert batch.result(2) == scalar[2]  # with its trace, made on demand
    assert list(batch.results(explain=True)) == scalar


def test_negative_points_in_arrow_decimals() -> None:
    from starrules.core.numbers import Grid
    from starrules.batch.result_batch import points_array
    units = np.array([-3, 0, 5, -(2**40)], dtype=np.int64)
    assert points_array(units, Grid(Fraction(1, 2))).to_pylist() == [Decimal("-1.5"), Decimal("0.0"), Decimal("2.5"),
                                                                   Decimal(-(2**39))]
    assert points_array(units[:2], Grid(Fraction(1, 3))).to_pylist() == [-1.0, 0.0]


def test_bad_arguments() -> None:
    rubric = loads(BENCH)
    with pytest.raises(ValueError, match="errors must be"):
        list(evaluate_columns(rubric, [], errors="ignore"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunk_rows"):
        list(evaluate_columns(rubric, [], chunk_rows=0))
    with pytest.raises(TypeError, match="cannot read evidence"):
        list(evaluate_columns(rubric, 42))
    assert list(evaluate_columns(rubric, [])) == []


def test_row_errors_and_results_iterate_in_order() -> None:
    rubric = loads(BENCH)
    (batch,) = evaluate_columns(rubric, [evidence(), evidence(活动="优")], errors="collect")
    first, second = batch.results()
    assert first.total == 18 and isinstance(second, RowError) and second.row == 2


def test_pass_lines_vetoes_and_levels_that_read_facts() -> None:
    rubric = loads("等级 档 { 好 >= 15分 且 办公 中 }\n"
                   "标准 线 { 精度 0.5 等级 档 事实 达标: 是否 事实 问题: 计数 事实 办公: 是否 "
                   "类型 甲 10分 达标 6分 { 项目 学 10分 { 扣 4分 如果 非 达标 每 问题 扣 1分 } } "
                   "类型 乙 10分 { 项目 评 10分 { } } 否决 如果 未达标类型数 >= 1 }")
    rows = [{"达标": True, "问题": 0, "办公": True}, {"达标": True, "问题": 0, "办公": False},
            {"达标": False, "问题": 0, "办公": True}, {"达标": False, "问题": 1, "办公": True}]
    (batch,) = evaluate_columns(rubric, rows)
    # 甲: 10, 10, 6 (exactly its pass line: passes), 5 (below: the veto fires, 档 falls to its floor 中);
    # the two rows at 20 differ only in 办公, which 好 reads
    assert [batch.grid.points(int(t)) for t in batch.total] == [20, 20, 16, 15]
    assert list(batch.vetoed) == [False, False, False, True]
    assert list(batch.levels["档"]) == ["好", "中", "好", "中"]


def test_evaluate_many_reads_columns_through_the_engine() -> None:
    rubric = loads(BENCH)
    outcomes = list(rubric.evaluate_many(pa.Table.from_pylist([evidence(), evidence(活动="优")]), errors="collect"))
    first, second = outcomes
    assert isinstance(first, Result) and first.total == 18
    assert isinstance(second, RowError) and second.row == 2 and second.diagnostics[0].code == "E509"


# The speed-ups of the numpy path, each held to a plain reference: ids taken from an Arrow text
# column's buffers (io/record_ids.py), exact lanes that skip range checks where bounds allow
# (batch/vector.py), and Parquet output of points as DECIMAL(18, s) on INT64.

ARROW_ID = st.one_of(st.none(), st.sampled_from(["", " ", "\x1c", "\u3000", "\u3000甲", "\x85", "a", "b", "支部-1",
                                                 "12345678", "123456789", "x" * 255, "x" * 257, "x" * 300 + "y"]),
                     st.text(max_size=20).map(lambda t: t.encode("utf-8", "replace").decode()))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(ARROW_ID, max_size=10), max_size=20), st.booleans(), st.booleans(), st.booleans())
def test_arrow_ids_are_refused_as_a_record_of_every_id_would(chunks_of_ids: list[list[str | None]], large: bool,
                                                            sliced: bool, clashing: bool) -> None:
    """Ids taken a chunk at a time from an Arrow string or large_string column (sliced or not),
    with chunks that fall back to one by one, runs merged, and (`clashing`) hashes made to clash
    on purpose: a clash is never taken for a repeat, as the text decides."""
    from starrules.io import record_ids
    kind = pa.large_string() if large else pa.string()
    with pytest.MonkeyPatch.context() as patch:
        if clashing:
            original = record_ids._hash_utf8
            patch.setattr(record_ids, "_hash_utf8", lambda *args: original(*args) & np.uint64(3))

        def take_arrow(ids: record_ids.Ids, chunk: list[str | None], first: int) -> bool:
            array = pa.array(["前", *chunk, "后"], kind).slice(1, len(chunk)) if sliced else pa.array(chunk, kind)
            return ids.take_arrow(array, first)
        refused = refused_by_rule(chunks_of_ids, take_arrow)
    assert refused == refused_by_reference(chunks_of_ids)


def test_the_blank_id_check_knows_every_space() -> None:
    """An id whose first UTF-8 byte leads no white space character (and is not empty) is not
    blank: the list in record_ids must be every character str.strip() removes."""
    import sys
    from starrules.io import record_ids
    assert record_ids._SPACES == "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


def test_repeated_ids_across_arrow_chunks_and_parquet_files(tmp_path: Path) -> None:
    rubric = loads(BENCH)
    rows = [{**evidence(), "id": f"支部-{n % 7}"} for n in range(10)]  # 支部-0 … 支部-2 come back at rows 8–10
    table = pa.Table.from_pylist(rows)
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=3)
    for data in (table, tmp_path / "in.parquet"):
        batches = list(evaluate_columns(rubric, data, errors="collect", chunk_rows=3))
        assert [(e.row, e.diagnostics[0].code) for b in batches for e in b.errors] == [(8, "E515"), (9, "E515"),
                                                                                        (10, "E515")]
        assert [i for b in batches for i in b.ids] == [row["id"] for row in rows]


NUMERATOR = st.one_of(st.integers(-50, 50), st.integers(-(2**62 - 1), 2**62 - 1),
                      st.sampled_from([2**31, 2**40, 2**61, 2**62 - 1, -(2**62 - 1), 3 * 2**60]))
DENOMINATOR = st.one_of(st.integers(1, 12), st.sampled_from([2**31, 2**40, 2**61]))


@st.composite
def _lane(draw: st.DrawFn, size: int) -> tuple[Any, list[Fraction]]:
    """A column of exact numbers (shared or per-row denominators; bounds known, loose or not)
    and the Fractions it stands for."""
    from starrules.batch.vector import Q
    nums = draw(st.lists(NUMERATOR, min_size=size, max_size=size))
    if draw(st.booleans()):
        den: Any = draw(DENOMINATOR)
        dens = [den] * size
    else:
        dens = draw(st.lists(DENOMINATOR, min_size=size, max_size=size))
        den = np.array(dens, dtype=np.int64)
    loose = draw(st.integers(0, 3))
    bounds = (min(nums) - loose, max(nums) + loose) if draw(st.booleans()) else (None, None)
    return Q(np.array(nums, dtype=np.int64), den, *bounds), [Fraction(n, d) for n, d in zip(nums, dens)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.integers(1, 5), st.sampled_from(["+", "-", "*", "/", "where", "floor", "half_up"]))
def test_exact_lanes_with_bounds(data: st.DataObject, size: int, op: str) -> None:
    """Every row not handed back holds the exact value, and the bounds a result claims hold."""
    from starrules.batch import vector
    from starrules.core.numbers import half_up
    (a, a_values), (b, b_values) = data.draw(_lane(size)), data.draw(_lane(size))
    lanes = vector.Lanes(size)
    expected: list[Fraction | None]
    if op in "+-":
        got = vector.add(lanes, a, b, 1 if op == "+" else -1)
        expected = [x + y if op == "+" else x - y for x, y in zip(a_values, b_values)]
    elif op == "*":
        got, expected = vector.multiply(lanes, a, b), [x * y for x, y in zip(a_values, b_values)]
    elif op == "/":
        got, expected = vector.divide(lanes, a, b), [x / y if y else None for x, y in zip(a_values, b_values)]
    elif op == "where":
        condition = np.array(data.draw(st.lists(st.booleans(), min_size=size, max_size=size)))
        got, expected = vector.where(condition, a, b), [x if c else y for c, x, y in zip(condition, a_values, b_values)]
    elif op == "floor":
        got, expected = vector.floor(a), [Fraction(math.floor(x)) for x in a_values]
    else:
        units, bounds = np.broadcast_to(vector.half_up(a), (size,)), vector.half_up_bounds(a)
        for i, x in enumerate(a_values):
            assert lanes.slow[i] or int(units[i]) == half_up(x)
            assert bounds is None or bounds[0] <= int(units[i]) <= bounds[1]
        return
    nums = np.broadcast_to(np.asarray(got.num, dtype=np.int64), (size,))
    dens = np.broadcast_to(np.asarray(got.den, dtype=np.int64), (size,))
    for i, want in enumerate(expected):
        if want is None:
            assert lanes.slow[i]  # a division by zero is the scalar path's
        elif not lanes.slow[i]:
            assert Fraction(int(nums[i]), int(dens[i])) == want
            assert abs(int(nums[i])) < vector.LIMIT and 0 < int(dens[i]) < vector.LIMIT
            assert got.bounds is None or got.bounds[0] <= int(nums[i]) <= got.bounds[1]


def test_parquet_output_is_exact_decimal_18_on_int64(tmp_path: Path) -> None:
    """Points a rubric bounds below 10**18 are written as DECIMAL(18, s) on INT64 and read back
    as decimal128(18, s), equal to `to_arrow()`; a rubric with 可倒扣 (no floor to its items)
    keeps decimal128(38, s)."""
    from starrules.batch.result_batch import points_precision
    from starrules.report.output import ResultWriter
    rubric = loads(BENCH)
    rows = [{**evidence(), "id": f"支部-{n}"} for n in range(5)]
    with ResultWriter(tmp_path / "out.parquet") as writer:
        for batch in evaluate_columns(rubric, rows, chunk_rows=2):
            writer.write(batch)
    column = pq.ParquetFile(tmp_path / "out.parquet").schema.column(1)
    assert (column.physical_type, str(column.logical_type)) == ("INT64", "Decimal(precision=18, scale=1)")
    expected = pa.concat_tables([b.to_arrow() for b in evaluate_columns(rubric, rows, chunk_rows=2)])
    assert pq.read_table(tmp_path / "out.parquet").equals(expected)
    negative = loads("标准 测 { 满分 10 事实 x: 计数 类型 甲 10分 { 项目 乙 10分 { 每 x 扣 1分 可倒扣 } } }")
    assert (points_precision(rubric), points_precision(negative)) == (18, 38)
    (batch,) = evaluate_columns(negative, [{"id": "a", "x": 10**15}])
    assert batch.to_arrow().schema.field("item:乙").type == pa.decimal128(38, 1)
    assert batch.to_arrow().column("item:乙").to_pylist() == [Decimal(10 - 10**15)]
