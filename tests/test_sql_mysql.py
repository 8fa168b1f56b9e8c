"""The scoring query in the `mysql` dialect run inside a real MariaDB server (tests/mysql_server.py
starts Debian's MariaDB 10.11): every bundled rubric with its example evidence equals
`rubric.evaluate`, one bad row per error class comes back with the reader's code (the good rows
scored), generated batches equal the numpy engine, the cohort rules (ranks, quotas, forced bottom
shares) equal `starrules.rank`, an overflowing BIGINT is an error, and docs/sql.md's Python
example and its `starrules sql … | mariadb` route run. No test here is skipped: a server that
cannot start fails them with its error log.

There is no library loader for MySQL: `load_table` below makes the table docs/sql.md describes (是否
BOOLEAN, 计数 BIGINT, 数值 / 比例 / 酌情 DECIMAL(p, s), text VARCHAR … COLLATE utf8mb4_bin) from an
Arrow table (`runner.evidence_table` makes one from records), with sqlglot in the mysql dialect."""

from __future__ import annotations

import csv
import io
import random
import re
import subprocess
import sys
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pymysql
import pytest
from sqlglot import exp

from starrules import Rubric, StarrulesError, load, loads
from starrules.cli import main
from starrules.sql.numbers import floor_div, half_up, lit, resolve
from starrules.sql.query import QuerySpec, query_sql, result_columns
from starrules.sql.runner import evidence_table, table_spec
from tests.mysql_server import CLIENT, SUPERUSER, Server, mysql, mysql_server, run_or_fail  # noqa: F401
from tests.test_ranking import RANKED, WUWEI_PLAN
from tests.test_sql_cohort import SHARED_RULES, pairs_batch, placed, reference
from tests.test_sql_scoring import BUNDLED, EVIDENCE, REFUSED, RUBRICS, TINY, assert_equals_evaluate, by_name
from tests.test_sql_spark import SQUARE, generated
from tests.test_sql_validation import GOOD, bad_rows_table
from tests.test_sql_validation import rubric as validation_rubric

Connection = pymysql.connections.Connection
DIALECT = "mysql"
ROOT = Path(__file__).resolve().parent.parent
SCORED = [(path, name) for path, name in BUNDLED if name not in REFUSED]
TEXT = "VARCHAR(255)"  # with CHARACTER SET utf8mb4 COLLATE utf8mb4_bin: compared byte for byte, as Python does


# the evidence table in MariaDB, and the query run there

def column(field: pa.Field) -> exp.ColumnDef:
    """The column docs/sql.md gives an Arrow field of `evidence_table`'s types."""
    kind = field.type
    constraints = []
    if pa.types.is_boolean(kind):
        name = "BOOLEAN"  # TINYINT(1) in MySQL and MariaDB
    elif pa.types.is_integer(kind):
        name = "BIGINT"
    elif pa.types.is_decimal(kind):
        assert kind.precision <= 65 and kind.scale <= 30  # MySQL's DECIMAL
        name = f"DECIMAL({kind.precision}, {kind.scale})"
    elif pa.types.is_string(kind):
        name = TEXT
        constraints = [exp.ColumnConstraint(kind=exp.CharacterSetColumnConstraint(this=exp.var("utf8mb4"))),
                       exp.ColumnConstraint(kind=exp.CollateColumnConstraint(this=exp.var("utf8mb4_bin")))]
    else:
        raise TypeError(f"no MySQL column for {field}")
    return exp.ColumnDef(this=exp.to_identifier(field.name, quoted=True),
                         kind=exp.DataType.build(name, dialect=DIALECT), constraints=constraints)


def load_table(connection: Connection, name: str, table: pa.Table) -> None:
    """CREATE TABLE typed after `table` and INSERT its rows (executemany: pymysql sends them as
    multi-row INSERTs), committed."""
    create = exp.Create(this=exp.Schema(this=exp.to_table(name), expressions=[column(f) for f in table.schema]),
                        kind="TABLE")
    names = [exp.to_identifier(n, quoted=True) for n in table.schema.names]
    insert = exp.insert(exp.values([tuple(exp.var("%s") for _ in names)]), exp.to_table(name), columns=names)
    with connection.cursor() as cursor:
        cursor.execute(create.sql(dialect=DIALECT))
        rows = list(zip(*(c.to_pylist() for c in table.columns)))
        if rows:
            cursor.executemany(insert.sql(dialect=DIALECT), rows)
    connection.commit()


def fetch(connection: Connection, sql: str) -> list[dict[str, Any]]:
    """The query's rows as dicts; MariaDB must have raised no warning (a value it clipped — see
    test_a_decimal_too_large_for_the_query_is_clipped_with_a_warning — would be one)."""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
        cursor.execute("SHOW WARNINGS")
        assert cursor.fetchall() == ()
    return rows


def database(connection: Connection) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DATABASE()")
        (name,) = cursor.fetchone()
    return str(name)


def score_mysql(rubric: Rubric, connection: Connection, name: str, table: pa.Table, schemes: Sequence[str] = (),
                **options: Any) -> list[dict[str, Any]]:
    """`table` loaded as `name` and scored by the mysql-dialect query (its spec from the table's
    columns and scales, as for DuckDB)."""
    load_table(connection, name, table)
    spec = table_spec(rubric, table.schema, schemes)
    if options:
        spec = QuerySpec(spec.columns, spec.scales, spec.schemes, **options)
    return fetch(connection, query_sql(rubric, DIALECT, name, spec))


def mysql_scores(rubric: Rubric, connection: Connection, records: list[dict[str, Any]],
                 schemes: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Per record, `by_name` of its row. A table has no order: each row is loaded with its
    position as its id (the bundled batches' ids are not all unique) and put back in that order."""
    table = evidence_table(rubric, [{**record, "id": f"{k:06d}"} for k, record in enumerate(records)])
    rows = sorted(score_mysql(rubric, connection, "evidence", table, schemes), key=lambda row: row["id"])
    columns = result_columns(rubric, QuerySpec(tuple(table.schema.names), schemes=schemes), DIALECT)
    return [by_name(columns, row) for row in rows]


# the bundled rubrics

@pytest.mark.parametrize(("path", "name"), SCORED, ids=[f"{p.stem}-{n}" for p, n in SCORED])
def test_bundled_rubric_in_mysql_equals_the_evaluator(path: Path, name: str, mysql: Connection) -> None:
    rubric = load(path, name)
    rows = EVIDENCE[name]
    assert rows, f"{name} has no example evidence"
    schemes = tuple(rubric.schemes)
    assert_equals_evaluate(rubric, rows, mysql_scores(rubric, mysql, rows, schemes), schemes)


@pytest.mark.parametrize(("path", "name"), [c for c in BUNDLED if c[1] in REFUSED])
def test_a_rubric_sql_cannot_score_is_refused_before_any_query(path: Path, name: str) -> None:
    with pytest.raises(StarrulesError) as caught:
        query_sql(load(path, name), DIALECT, "evidence", QuerySpec(("id",)))
    assert [d.code for d in caught.value.diagnostics] == ["E607"]  # 综合: several raters


def test_the_table_has_the_types_docs_sql_gives(mysql: Connection) -> None:
    rubric = load(RUBRICS / "村社区争先创优.rubric", "村社区争先创优")
    load_table(mysql, "evidence", evidence_table(rubric, EVIDENCE["村社区争先创优"]))
    with mysql.cursor() as cursor:
        cursor.execute("SELECT column_name, column_type, collation_name FROM information_schema.columns "
                       "WHERE table_schema = DATABASE() AND table_name = 'evidence'")
        found = {(kind, collation) for _, kind, collation in cursor.fetchall()}
    # 是否 TINYINT(1) (MySQL's BOOLEAN), 计数 BIGINT, 数值 / 酌情 DECIMAL, 选项 / 分档 / id VARCHAR in utf8mb4_bin
    assert {kind.split("(")[0] for kind, _ in found} == {"tinyint", "bigint", "decimal", "varchar"}
    assert ("tinyint(1)", None) in found and ("varchar(255)", "utf8mb4_bin") in found
    assert {collation for kind, collation in found if kind.startswith("varchar")} == {"utf8mb4_bin"}


def test_tiny_rubric_scored_by_hand_in_mysql(mysql: Connection) -> None:
    rubric = loads(TINY)
    table = pa.table({"id": ["a", "b", "c"], "人数": pa.array([7, 0, 12], pa.int64()), "好": [True, False, True]})
    rows = sorted(score_mysql(rubric, mysql, "evidence", table), key=lambda row: row["id"])
    # a: A 5 − ⌊7/3⌋·1 = 3; B 3 + 1 = 4; 甲 7 of 10 (14 units of 0.5)
    # b: A 5 (0 people: nothing); B 不适用 → 0, 甲's maximum 10 − 5 = 5 (10 units); total 5
    # c: A ⌊12/3⌋ = 4 deducted, capped at 3 → 2; B 4; total 6
    # (MySQL has no boolean result type: a condition comes back as the integer 1 or 0)
    assert [(r["id"], r["item_1"], r["item_2"], r["item_2_applicable"], r["section_1_max_units"], r["total"],
             r["total_units"]) for r in rows] == [
        ("a", Decimal("3.0"), Decimal("4.0"), 1, 20, Decimal("7.0"), 14),
        ("b", Decimal("5.0"), Decimal("0.0"), 0, 10, Decimal("5.0"), 10),
        ("c", Decimal("2.0"), Decimal("4.0"), 1, 20, Decimal("6.0"), 12)]


def test_half_up_and_floor_division_in_mysql(mysql: Connection) -> None:
    """numbers.half_up and floor_div with the mysql dialect's `DIV` (which truncates toward zero,
    as `%` keeps the dividend's sign): each pair (n, d) → n/d half away from zero, and ⌊n/d⌋,
    worked out by hand."""
    cases = [(7, 2, 4, 3),  # 3.5 → 4; ⌊3.5⌋ = 3
             (-7, 2, -4, -4),  # −3.5 → −4; ⌊−3.5⌋ = −4
             (5, 3, 2, 1),  # 1.67 → 2; 1
             (-5, 3, -2, -2),  # −1.67 → −2; −2
             (-1, 4, 0, -1),  # −0.25 → 0; ⌊−0.25⌋ = −1
             (-3, 6, -1, -1),  # −0.5 → −1; −1
             (6, 3, 2, 2)]  # 2 exactly
    select = exp.select(*(e for n, d, _, _ in cases for e in (half_up(lit(n), lit(d)), floor_div(lit(n), lit(d)))))
    sql = resolve(select, DIALECT).sql(dialect=DIALECT)
    assert " DIV " in sql
    with mysql.cursor() as cursor:
        cursor.execute(sql)
        (row,) = cursor.fetchall()
    assert list(row) == [v for _, _, rounded, floored in cases for v in (rounded, floored)]


# evidence errors

def test_one_bad_row_per_error_class_comes_back_with_its_code_and_the_good_rows_are_scored(
        mysql: Connection) -> None:
    # tests/test_sql_validation.py's standard (every kind of evidence): a good row, one row per
    # problem (each the good row with one value changed), a good row
    data, expected = bad_rows_table()
    rows = sorted(score_mysql(validation_rubric(), mysql, "evidence", data), key=lambda row: row["id"])
    assert [(row["error"], row["error_field"]) for row in rows] == expected
    # the good rows: A 5 − 2 (人数) − 1 (额 3.5 > 3) = 2, B 2.5, C 中 3, D 3 + 1 = 4, E 不适用 (好) → 0:
    # 11.5 of 20; nothing is scored on a bad row
    assert [row["total"] for row in rows] == [Decimal("11.5"), *[None] * (len(rows) - 2), Decimal("11.5")]
    assert validation_rubric().evaluate({name: value for name, (_, value) in GOOD.items()}).total == Decimal("11.5")


CASED = "标准 字 {\n    事实 级: 选项(A, B)\n    类型 甲 10分 { 项目 X 10分 { 扣 1分 如果 级 = B } }\n}"


def test_a_choice_is_compared_byte_for_byte_in_utf8mb4_bin(mysql: Connection) -> None:
    rubric = loads(CASED)
    # the reader takes "B" (X 10 − 1 = 9) and refuses "b" (E506: not a listed choice); a case-blind
    # collation (MySQL's default utf8mb4_general_ci / utf8mb4_0900_ai_ci) would take "b" as "B"
    assert rubric.evaluate({"级": "B"}).total == 9
    with pytest.raises(StarrulesError) as caught:
        rubric.evaluate({"级": "b"})
    assert [d.code for d in caught.value.diagnostics] == ["E506"]
    table = pa.table({"id": ["大写", "小写"], "级": ["B", "b"]})
    rows = {row["id"]: (row["error"], row["total"]) for row in score_mysql(rubric, mysql, "evidence", table)}
    assert rows == {"大写": (None, Decimal("9.0")), "小写": ("E506", None)}


def test_utf8mb4_bin_pads_trailing_spaces_and_utf8mb4_nopad_bin_does_not(mysql: Connection) -> None:
    # the reader refuses "B " (E506); MariaDB's utf8mb4_bin is a PAD SPACE collation ("B " = "B"),
    # utf8mb4_nopad_bin is not: docs/sql.md says to keep trailing spaces out or use the latter
    rubric = loads(CASED)
    with pytest.raises(StarrulesError):
        rubric.evaluate({"级": "B "})
    with mysql.cursor() as cursor:
        cursor.execute("SELECT _utf8mb4'B ' COLLATE utf8mb4_bin = _utf8mb4'B', "
                       "_utf8mb4'B ' COLLATE utf8mb4_nopad_bin = _utf8mb4'B'")
        assert cursor.fetchall() == ((1, 0),)
    load_table(mysql, "evidence", pa.table({"id": ["空格"], "级": ["B "]}))
    with mysql.cursor() as cursor:
        cursor.execute("ALTER TABLE evidence MODIFY `级` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin")
    (row,) = fetch(mysql, query_sql(rubric, DIALECT, "evidence", QuerySpec(("id", "级"))))
    assert (row["error"], row["error_field"], row["total"]) == ("E506", "级", None)


def test_a_boolean_column_holds_any_tinyint_and_a_check_keeps_it_to_0_and_1(mysql: Connection) -> None:
    # MySQL's BOOLEAN is TINYINT(1): it stores 2, which the query reads as 是 (any non-zero value), while
    # the reader refuses anything but a boolean (E503); docs/sql.md says to add a CHECK
    rubric = loads(TINY)
    with pytest.raises(StarrulesError) as caught:
        rubric.evaluate({"人数": 7, "好": 2})
    assert [d.code for d in caught.value.diagnostics] == ["E503"]
    table = pa.table({"id": ["a"], "人数": pa.array([7], pa.int64()), "好": pa.array([True])})
    load_table(mysql, "evidence", table)
    with mysql.cursor() as cursor:
        cursor.execute("UPDATE evidence SET `好` = 2")
    (row,) = fetch(mysql, query_sql(rubric, DIALECT, "evidence", QuerySpec(("id", "人数", "好"))))
    # as 是: A 5 − ⌊7/3⌋ = 3, B 3 + 1 = 4, total 7
    assert (row["error"], row["item_2"], row["total"]) == (None, Decimal("4.0"), Decimal("7.0"))
    with mysql.cursor() as cursor:
        cursor.execute("DELETE FROM evidence")
        cursor.execute("ALTER TABLE evidence ADD CONSTRAINT `好_是否` CHECK (`好` IN (0, 1))")
        cursor.execute("INSERT INTO evidence VALUES ('b', 1, TRUE), ('c', 1, FALSE)")
        with pytest.raises(pymysql.err.MySQLError) as refused:
            cursor.execute("INSERT INTO evidence VALUES ('d', 1, 2)")
    assert refused.value.args[0] == 4025  # CONSTRAINT `好_是否` failed


# overflow

def test_an_overflowing_bigint_is_an_error_not_a_wrong_score(mysql: Connection) -> None:
    rubric = loads(SQUARE)
    # n = 2^32 is a valid 计数 (below 2^62): the evaluator says 平方 = 2^64 > 100, A = 10 − 1 = 9
    assert rubric.evaluate({"n": 2**32}).total == 9
    # in SQL 平方 is n × n in BIGINT: 2^64 does not fit, and MariaDB stops the query with error 1690
    # (where a wrap to 0 would make A 10)
    with pytest.raises(pymysql.err.MySQLError) as caught:
        score_mysql(rubric, mysql, "big", pa.table({"n": pa.array([2**32], pa.int64())}))
    assert caught.value.args[0] == 1690 and "BIGINT value is out of range" in caught.value.args[1]
    # a row that fits is scored: 3 × 3 = 9 ≤ 100, A keeps its 10
    (row,) = score_mysql(rubric, mysql, "small", pa.table({"n": pa.array([3], pa.int64())}))
    assert row["total"] == 10


LARGE = "标准 大 {\n    事实 额: 数值\n    类型 甲 10分 { 项目 A 10分 { 扣 1分 如果 额 > 10000000000000000 } }\n}"


def test_a_large_decimal_is_read_exactly_and_one_past_bigint_stops_the_query(mysql: Connection) -> None:
    """MySQL's and MariaDB's CAST clips a number too large for its type and only warns (1264), so
    the query does not CAST a DECIMAL there: it reads a DECIMAL(p, 2) column as (x * 100) DIV 1,
    exact while x · 100 fits a BIGINT, and DIV fails (1690) where it does not — as DuckDB and
    PostgreSQL fail — instead of scoring a clipped value."""
    rubric = loads(LARGE)
    value = Decimal("20000000000000000.00")  # 2·10^16 > 10^16: A = 10 − 1 = 9; × 100 = 2·10^18 < 2^63
    assert rubric.evaluate({"额": value}).total == 9
    load_table(mysql, "evidence", pa.table({"额": pa.array([value], pa.decimal128(38, 2))}))
    sql = query_sql(rubric, DIALECT, "evidence", QuerySpec(("额",), {"额": 2}))
    with mysql.cursor() as cursor:
        cursor.execute(sql)
        (row,) = cursor.fetchall()
        names = [d[0] for d in cursor.description]
        assert Decimal(row[names.index("total")]) == 9
        cursor.execute("SHOW WARNINGS")
        assert cursor.fetchall() == ()
        cursor.execute("UPDATE evidence SET `额` = 100000000000000000.00")  # × 100 = 10^19 > 2^63 − 1
        with pytest.raises(pymysql.err.MySQLError) as caught:
            cursor.execute(sql)
    assert caught.value.args[0] == 1690  # BIGINT value is out of range


# a generated batch

@pytest.mark.parametrize(("name", "seed"), [("村社区争先创优", 11), ("机关星级评定", 12)])
def test_a_generated_batch_in_mysql_equals_the_numpy_engine(mysql: Connection, name: str, seed: int) -> None:
    rows = 3_000
    rubric = load(RUBRICS / f"{name}.rubric", name)
    schemes = tuple(rubric.schemes)
    table = generated(rubric, rows, seed)  # 计数 BIGINT, 数值 / 比例 / 酌情 DECIMAL(38, s), 选项 / 分档 text
    with mysql.cursor() as cursor:
        # as docs/sql.md advises for a large table: CTEs not merged into the query that reads them
        # (村社区争先创优: about 10 s for these rows merged, 1 s not; the bundled examples run merged)
        cursor.execute("SET SESSION optimizer_switch = 'derived_merge=off'")
    got = sorted(score_mysql(rubric, mysql, "evidence", table, schemes), key=lambda row: row["id"])
    batches = list(rubric.evaluate_columns(table, schemes=schemes, errors="raise"))
    assert [row["id"] for row in got] == [i for b in batches for i in b.ids]  # 支部-000000 … sort as made
    assert all(row["error"] is None for row in got)

    def values(column: str) -> np.ndarray:
        return np.array([row[column] for row in got], dtype=np.int64)

    out = result_columns(rubric, QuerySpec(tuple(table.schema.names), schemes=schemes), DIALECT)
    items = [c.column for c in out if c.kind == "item" and c.units]
    sections = [c.column for c in out if c.kind == "section" and c.units]
    assert np.array_equal(values("total_units"), np.concatenate([b.total for b in batches]))
    assert np.array_equal(values("regular_max_units"), np.concatenate([b.max for b in batches]))
    assert np.array_equal(np.vstack([values(c) for c in items]), np.concatenate([b.items for b in batches], axis=1))
    assert np.array_equal(np.vstack([values(c.replace("_units", "_applicable")) for c in items]).astype(bool),
                          np.concatenate([b.applicable for b in batches], axis=1))
    assert np.array_equal(np.vstack([values(c) for c in sections]),
                          np.concatenate([b.sections for b in batches], axis=1))
    vetoes = [values(c.column).astype(bool) for c in out if c.kind == "veto"]
    fired = np.logical_or.reduce(vetoes) if vetoes else np.zeros(rows, np.bool_)
    assert np.array_equal(fired, np.concatenate([b.vetoed for b in batches]))
    for k, scheme in enumerate(schemes, 1):
        assert [row[f"level_{k}"] for row in got] == [level for b in batches for level in b.levels[scheme]], scheme
    # the points are the units times the step, exactly
    step = rubric.evaluator.grid.step
    assert [Fraction(row["total"]) for row in got] == [row["total_units"] * step for row in got]
    # the batch is not trivial: totals spread over many values, and more than one level is reached
    assert len(set(values("total_units").tolist())) > 20
    assert len({row["level_1"] for row in got}) > 1


# cohort rules

def cohort_rows(rubric: Rubric, connection: Connection, records: list[dict[str, Any]],
                schemes: Sequence[str]) -> list[dict[str, Any]]:
    """The whole query with the cohort rules (QuerySpec(cohort=True), points only) over the records."""
    return score_mysql(rubric, connection, "evidence", evidence_table(rubric, records), schemes,
                       cohort=True, units=False)


def test_the_wuwei_quotas_and_a_forced_share_in_mysql(mysql: Connection) -> None:
    # totals 98, 96, 93, 91, 90.5, 85 (星级 95/90/80/70/60: by score 五 五 四 四 四 三), placed under
    # 名额 五星级 1, 四星级 2, 三星级 1 and 倒排 20%
    rubric = loads(RANKED.format(rules=SHARED_RULES))
    records = pairs_batch([(50, 48), (48, 48), (45, 48), (45, 46), (45, 45.5), (40, 45)])
    rows = cohort_rows(rubric, mysql, records, ["星级"])
    got = sorted((r["rank_1"], r["id"], r["final_level_1"], bool(r["pending_1"]), bool(r["mark_1_1"])) for r in rows)
    # 五星级 1 of (98, 96): 96 falls to 四星级; 四星级 2 of (96, 93, 91, 90.5): 91 and 90.5 fall; 三星级 1
    # of (91, 90.5, 85): 91 keeps it, 90.5 and 85 stay at 三星级 (the lowest level with a quota), 待定;
    # 倒排 ⌈20% × 6⌉ = ⌈1.2⌉ = 2: the last two, 90.5 and 85
    assert got == [(1, "支部1", "五星级", False, False), (2, "支部2", "四星级", False, False),
                   (3, "支部3", "四星级", False, False), (4, "支部4", "三星级", False, False),
                   (5, "支部5", "三星级", True, True), (6, "支部6", "三星级", True, True)]
    assert placed(rubric, ["星级"], rows) == reference([rubric.evaluate(r) for r in records], "星级")


def test_forced_shares_per_group_in_mysql(mysql: Connection) -> None:
    rubric = loads(RANKED.format(rules=WUWEI_PLAN))  # 分类定级: 倒排 10% 当 企业, 5% 其他
    firms = [{"id": f"企{n}", "甲项": 50, "乙项": 49 - n, "领域": "国有企业"} for n in range(11)]
    villages = [{"id": f"村{n}", "甲项": 50, "乙项": 49 - n, "领域": "农村"} for n in range(19)]
    found = placed(rubric, ["分类定级"], cohort_rows(rubric, mysql, firms + villages, ["分类定级"]))
    # firms: ⌈10% × 11⌉ = ⌈1.1⌉ = 2 (企9, 企10); the others: ⌈5% × 19⌉ = ⌈0.95⌉ = 1 (村18)
    assert sorted(i for i, p in found.items() if p[3] and "相对后进" in p[3]) == ["企10", "企9", "村18"]


def test_two_schemes_ranked_in_mysql_equal_starrules_rank(mysql: Connection) -> None:
    rubric = loads(RANKED.format(rules=SHARED_RULES))
    rng = random.Random(5)
    fields = ["农村", "社区", "机关", "国有企业", "非公企业"]
    # halves, so that totals tie at the quota lines and the forced shares' cuts now and then
    records = [{"id": f"支部{n:02d}", "甲项": rng.randint(60, 100) / 2, "乙项": rng.randint(60, 100) / 2,
                "领域": rng.choice(fields)} for n in range(40)]
    schemes = ["星级", "分类定级"]
    rows = cohort_rows(rubric, mysql, records, schemes)
    results = [rubric.evaluate(r) for r in records]
    for k, scheme in enumerate(schemes, 1):
        assert placed(rubric, schemes, rows, k) == reference(results, scheme), scheme


# docs/sql.md

def test_the_docs_example_prints_what_the_docs_show(mysql_server: Server, mysql: Connection,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """docs/sql.md's MySQL example (test_docs cannot run it: it has no server), run on this server
    over the table it describes: its connection line pointed here, its printed lines those the
    text block after it shows."""
    doc = (ROOT / "docs" / "sql.md").read_text(encoding="utf-8")
    found = re.search(r"```python\n(# runs in MySQL.*?)```.*?```text\n(.*?)```", doc, re.DOTALL)
    assert found, "docs/sql.md has no MySQL example"
    code, shown = found.groups()
    rubric = load(RUBRICS / "机关星级评定.rubric")
    load_table(mysql, "evidence_2024", evidence_table(rubric, EVIDENCE["机关星级评定"]))
    here = f"dict(unix_socket={str(mysql_server.socket)!r}, user={SUPERUSER!r}, database={database(mysql)!r})"
    code, replaced = re.subn(r"^CONNECT = .*$", lambda _: f"CONNECT = {here}", code, flags=re.MULTILINE)
    assert replaced == 1
    monkeypatch.chdir(ROOT)
    exec(compile(code, "docs/sql.md MySQL example", "exec"), {})
    assert capsys.readouterr().out == shown
    # what the docs show is what the Python engine gives
    lines = [line.split(" ") for line in shown.splitlines()]
    assert [(i, Fraction(total), level, error) for i, total, level, error in lines] == \
        [(r["id"], Fraction(result.total), result.levels["星级"].level, "None")
         for r in EVIDENCE["机关星级评定"] for result in [rubric.evaluate(r, schemes=["星级"])]]


def test_the_printed_query_runs_in_the_mariadb_client(mysql_server: Server, mysql: Connection, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """docs/sql.md's client route: `starrules sql … --dialect mysql --id --scale …` run by the
    mariadb client (tab-separated batch output) gives each branch the total and level
    `rubric.evaluate` gives."""
    path = RUBRICS / "机关星级评定.rubric"
    rubric = load(path)
    records = EVIDENCE["机关星级评定"]
    table = evidence_table(rubric, records)
    scales = [f"{f.name}={f.type.scale}" for f in table.schema if pa.types.is_decimal(f.type)]
    assert scales == ["党员满意率=2", "群众满意率=2"]  # what docs/sql.md gives for this table
    load_table(mysql, "evidence_2024", table)
    command = ["sql", str(path), "--dialect", "mysql", "--table", "evidence_2024", "--id"]
    assert main([*command, *(part for scale in scales for part in ("--scale", scale))]) == 0
    (tmp_path / "计分.sql").write_text(capsys.readouterr().out, encoding="utf-8")
    client = [str(CLIENT), "--no-defaults", f"--socket={mysql_server.socket}", f"--user={SUPERUSER}",
              "--default-character-set=utf8mb4", "--batch", "--show-warnings", database(mysql)]
    with (tmp_path / "计分.sql").open("rb") as script:
        done = subprocess.run(client, stdin=script, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stderr == b""  # --show-warnings: none
    printed = {r["id"]: (Fraction(r["total"]), r["level_1"], r["error"])
               for r in csv.DictReader(io.StringIO(done.stdout.decode()), delimiter="\t")}
    expected = {r["id"]: (Fraction(result.total), result.levels["星级"].level, "NULL")
                for r in records for result in [rubric.evaluate(r, schemes=["星级"])]}
    assert printed == expected and len(printed) == 3
    # stored with CREATE TABLE … AS (what docs/sql.md advises: strict mode makes a clipped value an error)
    with (tmp_path / "计分.sql").open("rb") as script:
        stored = "CREATE TABLE 计分结果_2024 AS\n".encode() + script.read()  # as docs/sql.md's shell line
    done = subprocess.run(client, input=stored, capture_output=True, check=False)
    assert done.returncode == 0 and done.stderr == b"", done.stderr.decode(errors="replace")
    mysql.commit()  # a snapshot taken before the client made the table would not see it
    with mysql.cursor() as cursor:
        cursor.execute("SELECT id, total, level_1 FROM 计分结果_2024")
        assert {i: (Fraction(t), level) for i, t, level in cursor.fetchall()} == \
            {i: (total, level) for i, (total, level, _) in expected.items()}


def test_a_failing_server_step_fails_the_test_with_its_output(tmp_path: Path) -> None:
    log = tmp_path / "error.log"
    log.write_text("[ERROR] Can't start server: Bind on unix socket: Address already in use\n")
    command = [sys.executable, "-c", "import sys; print('mariadb-install-db: data directory exists'); sys.exit(1)"]
    with pytest.raises(pytest.fail.Exception) as caught:
        run_or_fail(command, "mariadb-install-db", tmp_path, log)
    assert "mariadb-install-db failed (exit 1)" in str(caught.value)
    assert "data directory exists" in str(caught.value) and "Address already in use" in str(caught.value)
