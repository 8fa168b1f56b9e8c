"""Evidence validation in SQL (starrules.sql.validation): on DuckDB and on SQLite, a typed row
gets the code — and the field — of the Python reader's first diagnostic for the same record, or
NULL when the reader takes it; a column of the wrong type is refused before any query (E607).

A row is read as the columnar engines read it (io/columns.py): `table.to_pylist()`, a NULL a key
left out. Each bad row's code is worked out by hand from docs/errors.md and plan/evidence.py,
then checked against the reader too (`both`). SQLite has no exact DECIMAL: there a DECIMAL(p, s)
column is stored as the INTEGER value × 10^s (fixed point, as runner.score_sqlite does)."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from starrules import Rubric, StarrulesError, load, loads
from starrules.core.diagnostics import EvidenceError
from starrules.core.limits import Limits
from starrules.core.source import Span
from starrules.eval.evaluator import evaluator_for
from starrules.plan.evidence import read_evidence
from starrules.sql.runner import column_scales, evidence_table, score_duckdb, score_sqlite
from starrules.sql.validation import RowCheck, arrow_types, error_columns, row_checks, typed_scales
from tests.test_sql_scoring import BUNDLED, EVIDENCE, REFUSED

DIALECTS = ["duckdb", "postgres", "mysql", "spark", "trino", "sqlite"]

# every kind of evidence: a 计数, a 是否, a 比例, a 数值 with 默认, a 选项, a 酌情 with a range, a
# 分档, and a 酌情 that may be left out (不适用)
TEXT = """标准 全 {
    精度 {step}
    事实 人数: 计数
    事实 好: 是否
    事实 率: 比例
    事实 额: 数值 默认 0
    事实 领域: 选项(农村, 社区)
    类型 甲 25分 {
        项目 A 5分 { 每 人数 扣 1分 扣 1分 如果 率 < 50% 扣 1分 如果 额 > 3 扣 1分 如果 领域 = 社区 }
        项目 B 5分 { 酌情 1分 至 4分 }
        项目 C 5分 { 分档 [好 5分, 中 3分, 差 0分] }
        项目 D 5分 { 起评 3分 加 1分 如果 好 }
        项目 E 5分 { 酌情 不适用 如果 好 }
    }
}"""


@functools.lru_cache(maxsize=None)
def rubric(step: str = "0.5", digits: int = 100, keys: int = 100_000) -> Rubric:
    return loads(TEXT.replace("{step}", step), limits=Limits(evidence_digits=digits, evidence_keys=keys))


def dec(text: str) -> Decimal:
    return Decimal(text)


# a row the reader takes: every column given, each value in range
GOOD: dict[str, tuple[Any, Any]] = {
    "人数": (pa.int64(), 2), "好": (pa.bool_(), True), "率": (pa.decimal128(10, 2), dec("0.85")),
    "额": (pa.decimal128(10, 2), dec("3.50")), "领域": (pa.string(), "农村"), "B": (pa.decimal128(10, 1), dec("2.5")),
    "C": (pa.string(), "中"), "E": (pa.decimal128(10, 1), dec("4.0"))}


# one row per problem a query over typed columns can meet, each GOOD with one value changed, and
# the reader's first (code, field) for it
BAD_ROWS: list[tuple[dict[str, Any], tuple[str, str]]] = [
    ({"好": None}, ("E501", "好")),  # a fact without 默认 left empty
    ({"学识": 40}, ("E502", "学识")),  # no name of the standard
    ({"人数": -1}, ("E504", "人数")),  # a 计数 below 0
    ({"率": Decimal("1.01")}, ("E505", "率")),  # a 比例 above 1
    ({"领域": "城市"}, ("E506", "领域")),  # not 农村 or 社区
    ({"B": Decimal("4.5")}, ("E507", "B")),  # B is 酌情 1分 至 4分
    ({"B": Decimal("2.3")}, ("E508", "B")),  # 2.3 / 0.5 = 4.6 steps: off the grid
    ({"C": "较好"}, ("E509", "C")),  # C's levels are 好, 中, 差
    ({"年度": 999}, ("E512", "年度"))]  # three digits


def bad_rows_table() -> tuple[pa.Table, list[tuple[str | None, str | None]]]:
    """A good row, a row per BAD_ROWS problem, a good row; and the reader's (code, field) of each
    (checked here against the reader itself)."""
    good = {name: value for name, (_, value) in GOOD.items()}
    types = {name: kind for name, (kind, _) in GOOD.items()} | {"学识": pa.int64(), "年度": pa.int64()}
    data = table([good, *({**good, **change} for change, _ in BAD_ROWS), good], types)
    expected: list[tuple[str | None, str | None]] = [(None, None), *(code for _, code in BAD_ROWS), (None, None)]
    assert [reader(rubric(), record) for record in records(data)] == expected
    return data, expected


def table(rows: Sequence[Mapping[str, Any]], types: Mapping[str, Any]) -> pa.Table:
    """The rows as a typed table with an `id` (the row number, carried along) and the columns of
    `types`, in that order."""
    arrays = {"id": pa.array(range(len(rows)), pa.int64())}
    arrays.update({name: pa.array([row.get(name) for row in rows], kind) for name, kind in types.items()})
    return pa.table(arrays)


def good_and(bad: Mapping[str, Any], types: Mapping[str, Any] | None = None) -> pa.Table:
    """The good row, then one with `bad`'s values over it (None: NULL)."""
    kinds = {name: kind for name, (kind, _) in GOOD.items()} | dict(types or {})
    good = {name: value for name, (_, value) in GOOD.items()}
    return table([good, {**good, **bad}], kinds)


def select(r: Rubric, columns: Sequence[str], scales: Mapping[str, int], dialect: str) -> str:
    code, field = error_columns(row_checks(r, columns, scales, dialect))
    query = exp.select(exp.alias_(code, "error", quoted=True), exp.alias_(field, "error_field", quoted=True))
    return query.from_(exp.to_table("t")).order_by(exp.column("id", quoted=True)).sql(dialect=dialect)


def on_duckdb(r: Rubric, data: pa.Table) -> list[tuple[str | None, str | None]]:
    """(code, field) of each row's first failing check, from DuckDB, the scales from the types."""
    scales = typed_scales(r, arrow_types(data.schema))
    connection = duckdb.connect()
    try:
        connection.register("t", data)
        return [tuple(row) for row in connection.sql(select(r, data.schema.names, scales, "duckdb")).fetchall()]
    finally:
        connection.close()


def on_sqlite(r: Rubric, data: pa.Table) -> list[tuple[str | None, str | None]]:
    """The same on SQLite, which has no exact DECIMAL: a DECIMAL(p, s) column is stored as the
    INTEGER value × 10^s (fixed point, as docs/sql.md says), a BOOLEAN as 0 / 1."""
    scales = typed_scales(r, arrow_types(data.schema))
    names = data.schema.names
    create = exp.Create(this=exp.Schema(this=exp.to_table("t"), expressions=[
        exp.ColumnDef(this=exp.to_identifier(n, quoted=True)) for n in names]), kind="TABLE")
    insert = exp.insert(exp.Values(expressions=[exp.Tuple(expressions=[exp.Placeholder()] * len(names))]), "t",
                        columns=[exp.to_identifier(n, quoted=True) for n in names])
    columns = [[fixed_point(v, field.type) for v in data.column(field.name).to_pylist()] for field in data.schema]
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute(create.sql(dialect="sqlite"))
        connection.executemany(insert.sql(dialect="sqlite"), list(zip(*columns)))
        return [tuple(row) for row in connection.execute(select(r, names, scales, "sqlite")).fetchall()]
    finally:
        connection.close()


def fixed_point(value: Any, kind: Any) -> Any:
    if value is None:
        return None
    if pa.types.is_decimal(kind):
        return int(value.scaleb(kind.scale))  # 0.85 at scale 2 → 85
    return int(value) if isinstance(value, bool) else value


def reader(r: Rubric, record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The reader's first diagnostic as (code, the key it is about); (None, None) when it takes
    the record. Each key's place is its name (as `in_memory` gives, but with the key path kept)."""
    try:
        read_evidence(evaluator_for(r).evidence_spec, dict(record), lambda path: Span(path, 0, 0, 0, 0))
    except EvidenceError as error:
        first = error.diagnostics[0]
        return first.code, first.span.file
    return None, None


def records(data: pa.Table) -> list[dict[str, Any]]:
    """The rows as the columnar engines give them to the reader: a NULL is a key left out."""
    return [{k: v for k, v in row.items() if v is not None} for row in data.to_pylist()]


def both(r: Rubric, data: pa.Table) -> list[tuple[str | None, str | None]]:
    """DuckDB's answer, having checked that SQLite gives the same and that it is the reader's
    for every row."""
    got = on_duckdb(r, data)
    assert got == [reader(r, record) for record in records(data)]
    assert on_sqlite(r, data) == got
    return got


OK = (None, None)


def test_a_good_row_gives_null() -> None:
    assert both(rubric(), good_and({})) == [OK, OK]


def test_missing_fact_without_default_is_e501_and_with_default_is_fine() -> None:
    # 人数 has no 默认: NULL is a key left out → E501; 额 has 默认 0: NULL takes it
    assert both(rubric(), good_and({"人数": None})) == [OK, ("E501", "人数")]
    assert both(rubric(), good_and({"额": None})) == [OK, OK]


def test_a_fact_with_no_column_is_missing_in_every_row() -> None:
    data = good_and({}).drop_columns(["好"])
    assert both(rubric(), data) == [("E501", "好"), ("E501", "好")]


def test_missing_score_is_e501_unless_the_item_may_be_left_out() -> None:
    # B must be scored (no 不适用); E has 不适用 如果 好, so it may be left blank
    assert both(rubric(), good_and({"B": None})) == [OK, ("E501", "B")]
    assert both(rubric(), good_and({"C": None})) == [OK, ("E501", "C")]
    assert both(rubric(), good_and({"E": None})) == [OK, OK]
    # facts are missed before scores: 人数 (a fact) comes first though B's column is earlier
    assert both(rubric(), good_and({"B": None, "人数": None})) == [OK, ("E501", "人数")]


def test_an_unknown_column_or_a_clause_scored_item_given_is_e502() -> None:
    # 学识 is no name of the rubric; A is scored by its clauses; NULL there is nothing given
    types = {"学识": pa.int64(), "A": pa.decimal128(10, 1)}
    assert both(rubric(), good_and({"学识": 40}, types)) == [OK, ("E502", "学识")]
    assert both(rubric(), good_and({"A": dec("3.0")}, types)) == [OK, ("E502", "A")]
    # id, 名称, name are carried along whatever they hold
    assert both(rubric(), good_and({"名称": "某支部"}, {"名称": pa.string()})) == [OK, OK]


def test_a_count_below_zero_or_not_whole_is_e504() -> None:
    assert both(rubric(), good_and({"人数": -1})) == [OK, ("E504", "人数")]
    # a DECIMAL(10, 2) 计数: 3.00 is the whole number 3; 3.50 is not whole; −0.00 is 0
    decimal = {"人数": pa.decimal128(10, 2)}
    assert both(rubric(), good_and({"人数": dec("3.00")}, decimal)) == [OK, OK]
    assert both(rubric(), good_and({"人数": dec("3.50")}, decimal)) == [OK, ("E504", "人数")]
    assert both(rubric(), good_and({"人数": dec("-0.01")}, decimal)) == [OK, ("E504", "人数")]


def test_a_ratio_outside_zero_to_one_is_e505() -> None:
    # 1.01 > 1 and −0.01 < 0 are refused; 0 and 1 themselves are in range
    assert both(rubric(), good_and({"率": dec("1.01")})) == [OK, ("E505", "率")]
    assert both(rubric(), good_and({"率": dec("-0.01")})) == [OK, ("E505", "率")]
    assert both(rubric(), good_and({"率": dec("1.00")})) == [OK, OK]
    assert both(rubric(), good_and({"率": dec("0.00")})) == [OK, OK]


def test_a_choice_not_listed_is_e506() -> None:
    # 城市 is not 农村 or 社区; text is compared as written (" 社区" with a space is not 社区)
    assert both(rubric(), good_and({"领域": "城市"})) == [OK, ("E506", "领域")]
    assert both(rubric(), good_and({"领域": " 社区"})) == [OK, ("E506", "领域")]


def test_a_judged_score_outside_its_range_is_e507_before_off_grid() -> None:
    # B: 酌情 1分 至 4分 on a 0.5 grid; 0.5 < 1 and 4.5 > 4; 0.3 is below the range and off the
    # grid: the range is checked first (acceptance.score_units)
    assert both(rubric(), good_and({"B": dec("0.5")})) == [OK, ("E507", "B")]
    assert both(rubric(), good_and({"B": dec("4.5")})) == [OK, ("E507", "B")]
    assert both(rubric(), good_and({"B": dec("0.3")})) == [OK, ("E507", "B")]
    # E has no range: 0 to its 5 points
    assert both(rubric(), good_and({"E": dec("5.5")})) == [OK, ("E507", "E")]
    assert both(rubric(), good_and({"B": dec("1.0"), "E": dec("0.0")})) == [OK, OK]


def test_a_judged_score_off_the_grid_is_e508() -> None:
    # 2.3 / 0.5 = 4.6 steps; on a 0.25 grid 2.25 = 9 steps but 2.3 still is not (9.2)
    assert both(rubric(), good_and({"B": dec("2.3")})) == [OK, ("E508", "B")]
    hundredths = {"B": pa.decimal128(10, 2)}
    assert both(rubric(), good_and({"B": dec("2.25")}, hundredths)) == [OK, ("E508", "B")]
    assert both(rubric("0.25"), good_and({"B": dec("2.25")}, hundredths)) == [OK, OK]
    assert both(rubric("0.25"), good_and({"B": dec("2.30")}, hundredths)) == [OK, ("E508", "B")]
    # a BIGINT score: every whole number is on the 0.5 grid; 3 is in 1–4
    assert both(rubric(), good_and({"B": 3}, {"B": pa.int64()})) == [OK, OK]


def test_a_level_not_listed_is_e509() -> None:
    assert both(rubric(), good_and({"C": "较好"})) == [OK, ("E509", "C")]


def test_a_number_of_too_many_digits_is_e518() -> None:
    # with at most 3 digits: 999 is fine, 1000 and −1000 have 4 (E518 comes before E504's sign)
    short = rubric(digits=3)
    assert both(short, good_and({"人数": 999})) == [OK, OK]
    assert both(short, good_and({"人数": 1000})) == [OK, ("E518", "人数")]
    assert both(short, good_and({"人数": -1000})) == [OK, ("E518", "人数")]
    assert both(short, good_and({"人数": -999})) == [OK, ("E504", "人数")]
    # a DECIMAL(10, 4) value has 4 places written out (0.8500), more than 3: every given row
    places = {"率": pa.decimal128(10, 4)}
    assert both(short, good_and({"率": dec("0.8500")}, places)) == [("E518", "率"), ("E518", "率")]
    assert both(short, good_and({"率": None}, places)) == [("E518", "率"), ("E501", "率")]
    # 额 at DECIMAL(10, 2): 99.99 has digits 9999, four; 9.99 three
    assert both(short, good_and({"额": dec("9.99")})) == [OK, OK]
    assert both(short, good_and({"额": dec("99.99")})) == [OK, ("E518", "额")]


def test_more_keys_than_allowed_is_e516_and_nothing_else() -> None:
    # at most 9 keys: the good row gives id and 8 columns (9), the bad one a 10th (名称)
    few = rubric(keys=9)
    data = good_and({"名称": "某支部", "人数": -1}, {"名称": pa.string()})
    assert both(few, data) == [OK, ("E516", "")]


def test_a_history_column_given_is_e512() -> None:
    # a typed cell is text, never the object {"方案": {"年份": "等级"}} the reader needs
    data = good_and({"历史": '{"等次": {"2024": "好"}}'}, {"历史": pa.string()})
    assert both(rubric(), data) == [OK, ("E512", "历史")]


@pytest.mark.parametrize(("kind", "year", "expected"), [
    (pa.int64(), 2025, OK), (pa.int64(), 1000, OK), (pa.int64(), 9999, OK),
    (pa.int64(), 999, ("E512", "年度")),  # three digits
    (pa.int64(), 10000, ("E512", "年度")), (pa.int64(), -2025, ("E512", "年度")),
    (pa.string(), "2025", OK),
    (pa.string(), "0999", ("E512", "年度")),  # four digits, but 999 < 1000
    (pa.string(), "20x5", ("E512", "年度")), (pa.string(), " 2025", ("E512", "年度")),
    (pa.string(), "202", ("E512", "年度"))])
def test_a_year_that_is_not_four_digits_is_e512(kind: Any, year: object, expected: tuple[str, str]) -> None:
    assert both(rubric(), good_and({"年度": year}, {"年度": kind})) == [OK, expected]


def test_year_is_read_only_when_nian_du_is_not_given() -> None:
    # the reader reads the first of 年度 / year given: a bad `year` counts only without 年度
    types = {"年度": pa.int64(), "year": pa.int64()}
    assert both(rubric(), good_and({"年度": 2025, "year": 5}, types)) == [OK, OK]
    assert both(rubric(), good_and({"年度": None, "year": 5}, types)) == [OK, ("E512", "year")]


def test_the_first_problem_is_the_readers_first() -> None:
    # the reader goes through the columns in order, then the missing facts, then the scores, then
    # 历史 and 年度; a row with a problem in each place gets the first
    bad = {"人数": -1, "领域": "城市", "B": None, "好": None}
    assert both(rubric(), good_and(bad)) == [OK, ("E504", "人数")]
    reordered = good_and(bad).select(["id", "领域", "人数", "好", "率", "额", "B", "C", "E"])
    assert both(rubric(), reordered) == [OK, ("E506", "领域")]
    assert both(rubric(), good_and({"B": None, "好": None})) == [OK, ("E501", "好")]  # a fact before a score


def test_no_check_is_ever_null() -> None:
    # every column NULL, and every column given: each check is TRUE or FALSE, never NULL
    data = table([{}, {name: value for name, (_, value) in GOOD.items()}],
                 {name: kind for name, (kind, _) in GOOD.items()} | {"年度": pa.string(), "学识": pa.int64()})
    r = rubric()
    checks = row_checks(r, data.schema.names, typed_scales(r, arrow_types(data.schema)))
    query = exp.select(*(exp.alias_(c.failed, f"c{k}", quoted=True) for k, c in enumerate(checks))).from_("t")
    connection = duckdb.connect()
    connection.register("t", data)
    values = [v for row in connection.sql(query.sql(dialect="duckdb")).fetchall() for v in row]
    assert values and all(v is True or v is False for v in values)


def test_no_checks_give_null_columns() -> None:
    # a rubric with no facts and no scored items: nothing to check
    empty = loads("标准 空 { 类型 甲 5分 { 项目 A 5分 { } } }")
    assert row_checks(empty, ["id"], {}) == ()
    code, field = error_columns(())
    assert duckdb.sql(exp.select(code, field).sql(dialect="duckdb")).fetchall() == [(None, None)]


def test_checks_name_their_code_and_field_in_order() -> None:
    r = rubric()
    checks = row_checks(r, ["id", "人数", "率", "B"], {"率": 2, "B": 1})
    # per column: 人数 E518 is impossible with 100 digits, so only E504; 率 E505; B E507 then E508;
    # then missing: the facts without 默认 (人数 好 率 领域), then the scores to give (B C)
    assert [(c.code, c.field) for c in checks] == [
        ("E504", "人数"), ("E505", "率"), ("E507", "B"), ("E508", "B"),
        ("E501", "人数"), ("E501", "好"), ("E501", "率"), ("E501", "领域"), ("E501", "B"), ("E501", "C")]
    assert all(isinstance(c, RowCheck) for c in checks)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_checks_parse_back_in_every_dialect_and_never_divide(dialect: str) -> None:
    r = rubric(digits=3)
    columns = ["id", *GOOD, "年度", "历史", "学识"]
    sql = select(r, columns, {"率": 2, "额": 2, "B": 1, "E": 1}, dialect)
    assert sqlglot.parse_one(sql, read=dialect) is not None
    assert not any(word in sql.upper() for word in ("DOUBLE", "REAL", "FLOAT", " / ", " DIV ", "//"))


@pytest.mark.parametrize(("path", "name"), [c for c in BUNDLED if c[1] not in REFUSED],
                         ids=[f"{p.stem}-{n}" for p, n in BUNDLED if n not in REFUSED])
def test_bundled_examples_all_pass(path: Path, name: str) -> None:
    r = load(path, name)
    data = evidence_table(r, EVIDENCE[name])
    assert set(both(r, data)) == {OK}


def test_the_whole_query_scores_the_good_row_and_flags_each_bad_one() -> None:
    """Through query.py (runner.score_duckdb, runner.score_sqlite): the `error` and `error_field`
    columns, and no score on a flagged row."""
    r = rubric()
    good = {name: value for name, (_, value) in GOOD.items()}
    kinds = {name: kind for name, (kind, _) in GOOD.items()} | {"学识": pa.int64(), "年度": pa.int64()}
    bad = [({"人数": None}, ("E501", "人数")), ({"学识": 1}, ("E502", "学识")), ({"人数": -1}, ("E504", "人数")),
           ({"率": dec("1.01")}, ("E505", "率")), ({"领域": "城市"}, ("E506", "领域")), ({"B": dec("4.5")}, ("E507", "B")),
           ({"B": dec("2.3")}, ("E508", "B")), ({"C": "较好"}, ("E509", "C")), ({"年度": 999}, ("E512", "年度"))]
    data = table([good, *({**good, **change} for change, _ in bad)], kinds)
    # the good row: A 5 − 2 (每 人数) − 1 (额 3.5 > 3) = 2; B 2.5; C 中 3; D 3 + 1 (好) = 4; E 不适用 (好): 0;
    # total 11.5, 23 units of 0.5
    expected = [(None, None, 23)] + [(code, field, None) for _, (code, field) in bad]
    assert [(row["error"], row["error_field"], row["total_units"]) for row in score_duckdb(r, data).to_pylist()] \
        == expected
    assert [(row["error"], row["error_field"], row["total_units"]) for row in score_sqlite(r, data)] == expected
    assert [reader(r, record) for record in records(data)] == [(code, field) for code, field, _ in expected]


# the SQL types of the columns, refused before any query


def test_typed_scales_are_the_runners_for_a_typed_table() -> None:
    data = good_and({}, {"年度": pa.int64()})
    r = rubric()
    assert typed_scales(r, arrow_types(data.schema)) == column_scales(r, data.schema) == {
        "人数": 0, "率": 2, "额": 2, "B": 1, "E": 1}


@pytest.mark.parametrize(("name", "kind", "line", "column"), [
    ("好", pa.int64(), 4, 5),  # a 是否 must be BOOLEAN (the reader refuses a number: E503)
    ("人数", pa.string(), 3, 5),  # text the reader would parse ("12"), a query cannot alike
    ("率", pa.float64(), 5, 5),  # a DOUBLE cannot be read as the decimal it prints as
    ("额", pa.bool_(), 6, 5),
    ("领域", pa.int64(), 7, 5),
    ("人数", pa.uint64(), 3, 5),  # may exceed BIGINT
    ("额", pa.decimal128(38, 19), 6, 5),  # 10^19 × the value does not fit a BIGINT
    ("B", pa.string(), 10, 9), ("C", pa.int64(), 11, 9),
    ("年度", pa.decimal128(6, 0), 1, 1),  # a Decimal 2025 is no year to the reader (E512): refused at the standard
    ("历史", pa.int64(), 1, 1)])
def test_a_column_of_the_wrong_type_is_refused_with_e607(name: str, kind: Any, line: int, column: int) -> None:
    schema = pa.schema([("id", pa.int64()), *((n, k) for n, (k, _) in GOOD.items() if n != name), (name, kind)])
    with pytest.raises(StarrulesError) as caught:
        typed_scales(rubric(), arrow_types(schema))
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("E607", line, column)
    assert name in diagnostic.message and "^" in diagnostic.render()


def test_columns_that_are_not_evidence_may_have_any_type() -> None:
    data = good_and({}, {"备注": pa.float64(), "名称": pa.date32()})
    assert typed_scales(rubric(), arrow_types(data.schema))["率"] == 2


def test_row_checks_refuse_a_scale_past_bigint() -> None:
    with pytest.raises(StarrulesError) as caught:
        row_checks(rubric(), ["id", "额"], {"额": 19})
    assert [(d.code, d.span.line) for d in caught.value.diagnostics] == [("E607", 6)]


# generated rows: valid and invalid values mixed, the SQL code is the reader's


TYPES = {"人数": "count", "好": "bool", "率": "ratio", "额": "number", "领域": "choice", "B": "judged", "C": "grades",
         "E": "judged", "学识": "unknown", "A": "unknown", "年度": "year", "year": "year", "历史": "history"}
EXTRA = ["学识", "A", "年度", "year", "历史"]


def numbers(places: int) -> st.SearchStrategy[int]:
    """Scaled values n (the number is n / 10^places): small ones, whole ones, large ones."""
    one = 10**places
    return st.one_of(st.integers(-3, 3 * one), st.integers(-2, 6).map(lambda k: k * one),
                     st.integers(-10**4 * one, 10**4 * one))


def valid(name: str, places: int, text_year: bool) -> st.SearchStrategy[Any]:
    """A value the reader takes, scaled as `numbers` (n / 10^places)."""
    kind, one = TYPES[name], 10**places
    if kind == "bool":
        return st.booleans()
    if kind in ("choice", "grades"):
        return st.sampled_from(["农村", "社区"] if kind == "choice" else ["好", "中", "差"])
    if kind == "year":
        return st.just("2025" if text_year else 2025)
    if kind in ("history", "unknown"):
        return st.none()
    whole = {"count": (0, 20), "ratio": (0, 1), "number": (-50, 50), "judged": (1, 4) if name == "B" else (0, 5)}[kind]
    scaled = st.integers(*whole).map(lambda k: k * one)
    if kind in ("ratio", "number"):  # not only whole ones
        scaled = st.one_of(scaled, st.integers(whole[0] * one, whole[1] * one))
    return scaled


def anything(name: str, places: int, text_year: bool) -> st.SearchStrategy[Any]:
    """Any value of the column's type, or NULL."""
    kind = TYPES[name]
    if kind == "bool":
        found: st.SearchStrategy[Any] = st.booleans()
    elif kind in ("choice", "grades"):
        found = st.sampled_from(["农村", "社区", "好", "中", "差", "城市", "较好", "", " 社区", "好 "])
    elif kind == "year":
        found = st.sampled_from(["2025", "1000", "0999", "202", "20x5", "9999", "10000"]) if text_year else \
            st.sampled_from([2025, 1000, 999, 9999, 10000, -2025, 0])
    elif kind == "history":
        found = st.just('{"等次": {}}')
    elif kind == "unknown":
        found = st.integers(-5, 5)
    else:
        found = numbers(places)
    return st.one_of(st.none(), found)


def value(name: str, places: int, text_year: bool) -> st.SearchStrategy[Any]:
    """Mostly a valid value (so rows with no problem, or one, are common), sometimes anything."""
    chosen = st.integers(0, 11).flatmap(lambda k: anything(name, places, text_year) if k == 0
                                        else valid(name, places, text_year))
    if TYPES[name] not in ("count", "ratio", "number", "judged") or places == 0:
        return chosen
    return chosen.map(lambda n: None if n is None else Decimal(n).scaleb(-places))


@st.composite
def typed_rows(draw: st.DrawFn) -> tuple[Rubric, pa.Table]:
    """A rubric (grid, digit and key limits drawn), and a typed table of rows over a drawn set
    and order of columns, each number column at a drawn scale."""
    r = rubric(draw(st.sampled_from(["1", "0.5", "0.25", "0.1"])), draw(st.sampled_from([3, 100, 100, 100])),
               draw(st.sampled_from([8, *[100_000] * 5])))
    columns = draw(st.permutations([name for name in TYPES if name not in EXTRA or draw(st.booleans())]))
    numeric = [name for name in columns if TYPES[name] in ("count", "ratio", "number", "judged")]
    places = {name: draw(st.integers(0, 4)) for name in numeric}
    text_year = draw(st.booleans())
    rows = draw(st.lists(st.fixed_dictionaries({name: value(name, places.get(name, 0), text_year)
                                                for name in columns}), min_size=1, max_size=6))
    return r, table(rows, {name: _arrow_kind(TYPES[name], places.get(name, 0), text_year) for name in columns})


def _arrow_kind(kind: str, places: int, text_year: bool) -> Any:
    if kind == "bool":
        return pa.bool_()
    if kind in ("choice", "grades", "history") or kind == "year" and text_year:
        return pa.string()
    if kind in ("unknown", "year") or places == 0:
        return pa.int64()
    return pa.decimal128(18, places)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed_rows())
def test_duckdb_and_sqlite_give_the_readers_first_code(case: tuple[Rubric, pa.Table]) -> None:
    r, data = case
    both(r, data)
