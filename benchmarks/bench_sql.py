"""Scoring where the data lives (issue 17): the compiled SQL query against a hand-written DuckDB
query and against the numpy engine, Parquet in → Parquet out, graded, in one run on the same file.

Run: .venv/bin/python benchmarks/bench_sql.py [--rows N] [--db-rows N] [--passes P] [--engine-passes E]
                                              [--seed S] [--with-checks] [--no-postgres] [--no-spark]
(defaults 5,000,000 / 1,000,000 / 3 / 1 / 7: about an hour on 2 cores, most of it the numpy engine
reading DECIMAL columns; a quick run: --rows 200000, about 5 minutes). Needs duckdb, sqlglot,
numpy and pyarrow (pip install 'starrules[sql,batch]'); the PostgreSQL section needs Debian's
postgresql binaries and psycopg, the Spark section pyspark and Java 17. Either section is left
out, with a printed note saying why, when its component cannot start or its starrules module is
not there (or on --no-postgres / --no-spark).

The rubric is benchmarks/engines40.rubric (40 items: 6 sections of 6 items and a 加分项 of 4
capped at 5 points, every clause kind, three vetoes, the built-in 星级 scheme). The branches are
bench_engines.py's seeded ones, typed as docs/sql.md says (the types runner.evidence_table makes):
是否 BOOLEAN, 计数 BIGINT, 数值 (the 学时 facts) DECIMAL(38, 1), 酌情 scores DECIMAL(38, 1), and a
VARCHAR id; the columns are built directly with numpy / pyarrow, 500,000 rows at a time, and
written as one Parquet file in row groups of 65,536.

Paths timed, each reading the Parquet file and writing a Parquet file, graded under 星级:
  (1)  compiled query   `COPY (<query_sql(rubric, "duckdb", "evidence", QuerySpec(columns, scales,
                        ("星级",), units=False))>) TO 'out.parquet' (FORMAT PARQUET)` in DuckDB,
                        "evidence" a view over read_parquet; every column `result_columns` lists
                        for that spec — points of every item and section and the total,
                        applicability, vetoes, 未达标类型数, level, level code, 降档 / veto
                        reasons, warning, error and its field: everything (2) gives and more. The
                        query text is made once before timing; compiling it is timed on its own line.
  (1u) compiled, units=True (informative): (1) with the engines' columns too (every score in
                        BIGINT grid units as well, each section's applicable maximum, the regular
                        sum), as evaluate_columns(engine="duckdb") asks for them.
  (1') compiled, (2)'s columns only (informative): (1) with only the columns (2) writes selected
                        from it, so DuckDB prunes the rest: what the extra columns of (1) cost.
  (1n) compiled, validate=False (informative; when QuerySpec has the flag and (1) validates): (1)
                        without the evidence checks, the like-for-like partner of (2).
  (2)  hand-written     the BASELINE: one DuckDB query for this rubric as a competent engineer
                        writes it (HAND below): constant column names, integer and exact DECIMAL
                        arithmetic, no clamp where no item or section can leave its range; the
                        same outputs: every item and section score, the total, the three veto
                        flags and the level, through the same COPY.
  (2b) hand-written with checks: (2) plus the evidence checks the compiled query makes, written by
                        hand (HAND_CHECKED: an `error` column with the reader's first code, rows
                        with an error not scored). Timed when the compiled query validates (its
                        `error` column is more than a NULL; QuerySpec's default), or with
                        --with-checks; (1)/(2b) is then the like-for-like ratio, and (1n)/(2) the
                        one without checks.
  (3)  numpy engine     `rubric.evaluate_columns(path)` written through
                        starrules.report.output.ResultWriter, as `starrules eval … -o` does.
  (4)  duckdb engine    `rubric.evaluate_columns(path, engine="duckdb")` through the same writer.

Before anything is timed every path runs once on the whole file and the outputs are compared in
DuckDB, joined on id: (1) and (2) on every item and section score, the total, the veto flags and
the level; (1) and (3) on every item and section score, the total and the level; (4) and (3) on
every column; (1n) and (1) on every column; (1') and (2b) against (2). Every row must be in every
output and no row may differ. HAND_CHECKED is also run, every time, on a few branches with one bad
value each and must give the numpy engine's first error code for every one (and so must (1), when
it validates).

Timing: every path once on the first 70,000 branches to warm up, then --passes round-robin passes
(every path once per pass, so machine noise falls on all alike; (3) and (4), minutes a pass where
the queries take seconds, only in the first --engine-passes); medians of the wall time and of
the process's CPU time (all threads: DuckDB's too), which shows how much other processes took.

PostgreSQL and Spark (absolute times, informative only): the first --db-rows branches. Debian's
PostgreSQL started by tests/postgres_server.py's `start` (initdb + pg_ctl, Unix socket, fsync
off, default settings otherwise), the rows loaded with starrules.sql.postgres.load_evidence (timed
once) and scored by score_postgres (the rows come back as an Arrow table); Spark local[cores] with
ANSI mode on, the Parquet file scored by starrules.sql.spark.score_parquet and written back as
Parquet. Each is compared with (3) on every row's total and level, then timed --engine-passes
times (median). Their CPU time is spent in the server or the JVM, not in this process, so only
wall time is given.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from importlib.metadata import version
from typing import Any, Literal

import attrs
import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

import starrules
from starrules.report.output import ResultWriter
from starrules.sql.query import QuerySpec, compile_query, query_sql, result_columns
from starrules.sql.runner import column_scales

from bench_engines import JUDGED, LEVELS, branch_columns, branch_ids

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = ROOT / "benchmarks" / "engines40.rubric"
SCHEME = "星级"
VIEW = "evidence"
CHUNK = 500_000  # rows generated at a time (each chunk seeded with seed + its first row)
ROW_GROUP = 65_536
WARM_ROWS = 70_000  # more than one of the engines' chunks
HOURS = tuple(f"{p}学时" for p in ("组织", "班子", "教育", "生活", "作用", "保障"))
VETOES = ("发生严重违纪", "发生安全责任事故", "班子不团结")  # in the rubric's order: veto_1, veto_2, veto_3


# ---------------------------------------------------------------------------------------------
# (2) the hand-written query. Items as a competent engineer writes them for this rubric: the
# deductions that can add up past 最多扣 are capped with LEAST; no other item, and no section,
# can leave its range (each section's items add up to its points), so nothing else is clamped;
# 酌情 scores are DECIMAL(38, 1) already in range and on the grid. Points are written as exact
# DECIMALs straight away: the same query in integer half-points, halved at the end (`units * 0.5`),
# took 3.0 s of CPU per million rows where this one took 2.2 s, so this is the baseline.

ITEMS = """
    4 - LEAST(CASE WHEN 组织按期 THEN 0 ELSE 1 END + 0.5 * 组织问题数, 2) AS 组织制度,
    CASE WHEN NOT 组织已建立 THEN 0 WHEN 组织学时 < 32 THEN 2 ELSE 4 END AS 组织学习,
    组织成效 AS 组织成效,
    CASE WHEN 组织严重问题 THEN 0 WHEN 组织违规 THEN 2 ELSE 3 END AS 组织纪律,
    3 - LEAST(组织缺项数, 2) AS 组织台账,
    CASE WHEN 组织记录完整 THEN 组织创新 ELSE GREATEST(组织创新 - 1, 0) END AS 组织创新,
    4 - LEAST(CASE WHEN 班子按期 THEN 0 ELSE 1 END + 0.5 * 班子问题数, 2) AS 班子制度,
    CASE WHEN NOT 班子已建立 THEN 0 WHEN 班子学时 < 32 THEN 2 ELSE 4 END AS 班子学习,
    班子成效 AS 班子成效,
    CASE WHEN 班子严重问题 THEN 0 WHEN 班子违规 THEN 2 ELSE 3 END AS 班子纪律,
    3 - LEAST(班子缺项数, 2) AS 班子台账,
    CASE WHEN 班子记录完整 THEN 班子创新 ELSE GREATEST(班子创新 - 1, 0) END AS 班子创新,
    3 - LEAST(CASE WHEN 教育按期 THEN 0 ELSE 1 END + 0.5 * 教育问题数, 2) AS 教育制度,
    CASE WHEN NOT 教育已建立 THEN 0 WHEN 教育学时 < 32 THEN 1 ELSE 3 END AS 教育学习,
    教育成效 AS 教育成效,
    CASE WHEN 教育严重问题 THEN 0 WHEN 教育违规 THEN 1 ELSE 2 END AS 教育纪律,
    2 - LEAST(教育缺项数, 2) AS 教育台账,
    CASE WHEN 教育记录完整 THEN 教育创新 ELSE GREATEST(教育创新 - 1, 0) END AS 教育创新,
    3 - LEAST(CASE WHEN 生活按期 THEN 0 ELSE 1 END + 0.5 * 生活问题数, 2) AS 生活制度,
    CASE WHEN NOT 生活已建立 THEN 0 WHEN 生活学时 < 32 THEN 1 ELSE 3 END AS 生活学习,
    生活成效 AS 生活成效,
    CASE WHEN 生活严重问题 THEN 0 WHEN 生活违规 THEN 1 ELSE 2 END AS 生活纪律,
    2 - LEAST(生活缺项数, 2) AS 生活台账,
    CASE WHEN 生活记录完整 THEN 生活创新 ELSE GREATEST(生活创新 - 1, 0) END AS 生活创新,
    3 - LEAST(CASE WHEN 作用按期 THEN 0 ELSE 1 END + 0.5 * 作用问题数, 2) AS 作用制度,
    CASE WHEN NOT 作用已建立 THEN 0 WHEN 作用学时 < 32 THEN 1 ELSE 3 END AS 作用学习,
    作用成效 AS 作用成效,
    CASE WHEN 作用严重问题 THEN 0 WHEN 作用违规 THEN 1 ELSE 2 END AS 作用纪律,
    2 - LEAST(作用缺项数, 2) AS 作用台账,
    CASE WHEN 作用记录完整 THEN 作用创新 ELSE GREATEST(作用创新 - 1, 0) END AS 作用创新,
    3 - LEAST(CASE WHEN 保障按期 THEN 0 ELSE 1 END + 0.5 * 保障问题数, 2) AS 保障制度,
    CASE WHEN NOT 保障已建立 THEN 0 WHEN 保障学时 < 32 THEN 1 ELSE 3 END AS 保障学习,
    保障成效 AS 保障成效,
    CASE WHEN 保障严重问题 THEN 0 WHEN 保障违规 THEN 1 ELSE 2 END AS 保障纪律,
    2 - LEAST(保障缺项数, 2) AS 保障台账,
    CASE WHEN 保障记录完整 THEN 保障创新 ELSE GREATEST(保障创新 - 1, 0) END AS 保障创新,
    CASE WHEN 获国家级表彰 THEN 5 ELSE 0 END AS 国家级表彰,
    CASE WHEN 获省级表彰 THEN 3 ELSE 0 END AS 省级表彰,
    CASE WHEN 获市级表彰 THEN 2 ELSE 0 END AS 市级表彰,
    CASE WHEN 经验被推广 THEN 2 ELSE 0 END AS 经验推广,"""

SCORED = f"""
items AS (
  SELECT id,{ITEMS}
    发生严重违纪, 发生安全责任事故, 班子不团结
  FROM good
), sections AS (
  SELECT *,
    组织制度 + 组织学习 + 组织成效 + 组织纪律 + 组织台账 + 组织创新 AS 组织建设,
    班子制度 + 班子学习 + 班子成效 + 班子纪律 + 班子台账 + 班子创新 AS 班子建设,
    教育制度 + 教育学习 + 教育成效 + 教育纪律 + 教育台账 + 教育创新 AS 党员教育,
    生活制度 + 生活学习 + 生活成效 + 生活纪律 + 生活台账 + 生活创新 AS 组织生活,
    作用制度 + 作用学习 + 作用成效 + 作用纪律 + 作用台账 + 作用创新 AS 作用发挥,
    保障制度 + 保障学习 + 保障成效 + 保障纪律 + 保障台账 + 保障创新 AS 基础保障,
    LEAST(国家级表彰 + 省级表彰 + 市级表彰 + 经验推广, 5) AS 荣誉加分
  FROM items
), totals AS (
  SELECT *, 组织建设 + 班子建设 + 党员教育 + 组织生活 + 作用发挥 + 基础保障 + 荣誉加分 AS 总分
  FROM sections
)
SELECT *,
  CASE
    WHEN 发生严重违纪 OR 发生安全责任事故 THEN '无星'
    WHEN 总分 >= 95 AND NOT 班子不团结 THEN '五星级'
    WHEN 总分 >= 90 AND NOT 班子不团结 THEN '四星级'
    WHEN 总分 >= 80 THEN '三星级'
    WHEN 总分 >= 70 THEN '二星级'
    WHEN 总分 >= 60 THEN '一星级'
    ELSE '无星'
  END AS 星级
FROM totals"""

HAND = "WITH good AS (SELECT * FROM evidence)," + SCORED

# (2b): the checks the compiled query makes on this table, in the Python reader's order — each
# column's value in table order (计数 below 0: E504; 酌情 outside 0 … its points: E507, then off
# the 0.5 grid: E508; 是否 and 学时 have none), then any fact or 酌情 score left NULL (E501). A row
# with an error is not scored: only its id and error are written (UNION ALL BY NAME fills the
# rest with NULL).
CHECKS = """
    WHEN 组织问题数 < 0 THEN 'E504'
    WHEN 组织缺项数 < 0 THEN 'E504'
    WHEN 组织成效 < 0 OR 组织成效 > 3 THEN 'E507'
    WHEN 组织成效 % 0.5 <> 0 THEN 'E508'
    WHEN 组织创新 < 0 OR 组织创新 > 3 THEN 'E507'
    WHEN 组织创新 % 0.5 <> 0 THEN 'E508'
    WHEN 班子问题数 < 0 THEN 'E504'
    WHEN 班子缺项数 < 0 THEN 'E504'
    WHEN 班子成效 < 0 OR 班子成效 > 3 THEN 'E507'
    WHEN 班子成效 % 0.5 <> 0 THEN 'E508'
    WHEN 班子创新 < 0 OR 班子创新 > 3 THEN 'E507'
    WHEN 班子创新 % 0.5 <> 0 THEN 'E508'
    WHEN 教育问题数 < 0 THEN 'E504'
    WHEN 教育缺项数 < 0 THEN 'E504'
    WHEN 教育成效 < 0 OR 教育成效 > 3 THEN 'E507'
    WHEN 教育成效 % 0.5 <> 0 THEN 'E508'
    WHEN 教育创新 < 0 OR 教育创新 > 2 THEN 'E507'
    WHEN 教育创新 % 0.5 <> 0 THEN 'E508'
    WHEN 生活问题数 < 0 THEN 'E504'
    WHEN 生活缺项数 < 0 THEN 'E504'
    WHEN 生活成效 < 0 OR 生活成效 > 3 THEN 'E507'
    WHEN 生活成效 % 0.5 <> 0 THEN 'E508'
    WHEN 生活创新 < 0 OR 生活创新 > 2 THEN 'E507'
    WHEN 生活创新 % 0.5 <> 0 THEN 'E508'
    WHEN 作用问题数 < 0 THEN 'E504'
    WHEN 作用缺项数 < 0 THEN 'E504'
    WHEN 作用成效 < 0 OR 作用成效 > 3 THEN 'E507'
    WHEN 作用成效 % 0.5 <> 0 THEN 'E508'
    WHEN 作用创新 < 0 OR 作用创新 > 2 THEN 'E507'
    WHEN 作用创新 % 0.5 <> 0 THEN 'E508'
    WHEN 保障问题数 < 0 THEN 'E504'
    WHEN 保障缺项数 < 0 THEN 'E504'
    WHEN 保障成效 < 0 OR 保障成效 > 3 THEN 'E507'
    WHEN 保障成效 % 0.5 <> 0 THEN 'E508'
    WHEN 保障创新 < 0 OR 保障创新 > 2 THEN 'E507'
    WHEN 保障创新 % 0.5 <> 0 THEN 'E508'
    WHEN 组织按期 IS NULL OR 组织问题数 IS NULL OR 组织学时 IS NULL OR 组织已建立 IS NULL
      OR 组织违规 IS NULL OR 组织严重问题 IS NULL OR 组织缺项数 IS NULL OR 组织记录完整 IS NULL
      OR 班子按期 IS NULL OR 班子问题数 IS NULL OR 班子学时 IS NULL OR 班子已建立 IS NULL
      OR 班子违规 IS NULL OR 班子严重问题 IS NULL OR 班子缺项数 IS NULL OR 班子记录完整 IS NULL
      OR 教育按期 IS NULL OR 教育问题数 IS NULL OR 教育学时 IS NULL OR 教育已建立 IS NULL
      OR 教育违规 IS NULL OR 教育严重问题 IS NULL OR 教育缺项数 IS NULL OR 教育记录完整 IS NULL
      OR 生活按期 IS NULL OR 生活问题数 IS NULL OR 生活学时 IS NULL OR 生活已建立 IS NULL
      OR 生活违规 IS NULL OR 生活严重问题 IS NULL OR 生活缺项数 IS NULL OR 生活记录完整 IS NULL
      OR 作用按期 IS NULL OR 作用问题数 IS NULL OR 作用学时 IS NULL OR 作用已建立 IS NULL
      OR 作用违规 IS NULL OR 作用严重问题 IS NULL OR 作用缺项数 IS NULL OR 作用记录完整 IS NULL
      OR 保障按期 IS NULL OR 保障问题数 IS NULL OR 保障学时 IS NULL OR 保障已建立 IS NULL
      OR 保障违规 IS NULL OR 保障严重问题 IS NULL OR 保障缺项数 IS NULL OR 保障记录完整 IS NULL
      OR 获国家级表彰 IS NULL OR 获省级表彰 IS NULL OR 获市级表彰 IS NULL OR 经验被推广 IS NULL
      OR 发生严重违纪 IS NULL OR 发生安全责任事故 IS NULL OR 班子不团结 IS NULL
      OR 组织成效 IS NULL OR 组织创新 IS NULL OR 班子成效 IS NULL OR 班子创新 IS NULL
      OR 教育成效 IS NULL OR 教育创新 IS NULL OR 生活成效 IS NULL OR 生活创新 IS NULL
      OR 作用成效 IS NULL OR 作用创新 IS NULL OR 保障成效 IS NULL OR 保障创新 IS NULL THEN 'E501'"""

HAND_CHECKED = f"""WITH checked AS (
  SELECT *, CASE{CHECKS}
  END AS error
  FROM evidence
), good AS (SELECT * FROM checked WHERE error IS NULL),{SCORED}
UNION ALL BY NAME
SELECT id, error FROM checked WHERE error IS NOT NULL"""

HAND_SECTIONS = ("组织建设", "班子建设", "党员教育", "组织生活", "作用发挥", "基础保障", "荣誉加分")


# ---------------------------------------------------------------------------------------------
# The typed evidence.

def decimals(scaled: np.ndarray, places: int) -> pa.Array:
    """int64 values n as the DECIMAL(38, places) values n / 10^places, exactly: Arrow's
    decimal128 is a 16-byte little-endian integer, so the low word is n and the high word its
    sign (no Python object per value)."""
    words = np.empty((len(scaled), 2), dtype=np.int64)
    words[:, 0] = scaled
    words[:, 1] = scaled >> 63
    return pa.Array.from_buffers(pa.decimal128(38, places), len(scaled), [None, pa.py_buffer(words)])


def typed_chunk(start: int, count: int, seed: int) -> pa.Table:
    """bench_engines.py's branches start … start + count, typed as docs/sql.md says."""
    columns = branch_columns(count, seed=seed + start)
    arrays: dict[str, pa.Array] = {"id": pa.array(branch_ids(start, count), pa.string())}
    for name, values in columns.items():
        if name in JUDGED:  # points p on the 0.5 grid (exact binary halves): 10·p = 5·(2p)
            arrays[name] = decimals(np.rint(values * 2).astype(np.int64) * 5, 1)
        elif name in HOURS:  # whole hours h: 10·h
            arrays[name] = decimals(values.astype(np.int64) * 10, 1)
        else:  # BOOLEAN facts and BIGINT counts as they are
            arrays[name] = pa.array(values)
    return pa.table(arrays)


def write_evidence(path: Path, rows: int, seed: int) -> None:
    writer = None
    for start in range(0, rows, CHUNK):
        table = typed_chunk(start, min(CHUNK, rows - start), seed)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=ROW_GROUP)
    assert writer is not None
    writer.close()


def write_head(source: Path, target: Path, rows: int) -> None:
    """The first `rows` rows of `source` as their own file (same row groups)."""
    file = pq.ParquetFile(source)
    with pq.ParquetWriter(target, file.schema_arrow) as writer:
        left = rows
        for batch in file.iter_batches(batch_size=ROW_GROUP):
            if left <= 0:
                break
            writer.write_table(pa.Table.from_batches([batch.slice(0, left)]), row_group_size=ROW_GROUP)
            left -= batch.num_rows


# ---------------------------------------------------------------------------------------------
# The paths: each reads `source` and writes `target`.

def compiled_query(rubric: starrules.Rubric, source: Path, validate: bool = True, units: bool = False) -> exp.Select:
    schema = pq.read_schema(source)
    return compile_query(rubric, "duckdb", VIEW, query_spec(rubric, schema, validate, units))


def query_spec(rubric: starrules.Rubric, schema: pa.Schema, validate: bool = True, units: bool = False) -> QuerySpec:
    """The spec for this table, graded under 星级: points only (`units=False`, what a table of
    scores and levels needs), or with the engines' grid-unit columns too."""
    spec = QuerySpec(tuple(schema.names), column_scales(rubric, schema), (SCHEME,), units=units)
    return spec if validate else attrs.evolve(spec, validate=False)


def can_skip_checks() -> bool:
    """Whether QuerySpec can leave the evidence checks out (its `validate` flag)."""
    return "validate" in attrs.fields_dict(QuerySpec)


def copy_to_parquet(query: exp.Expr, target: Path) -> str:
    """`COPY (query) TO 'target' (FORMAT PARQUET)` in DuckDB's dialect, built by sqlglot."""
    copy = exp.Copy(this=exp.Subquery(this=query), kind=False, files=[exp.Literal.string(str(target))],
                    params=[exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("PARQUET"))])
    return copy.sql(dialect="duckdb")


def hand_query(text: str) -> exp.Query:
    """A hand-written query as sqlglot reads it (to be put inside COPY as (1) is)."""
    query = sqlglot.parse_one(text, read="duckdb")
    assert isinstance(query, exp.Query)
    return query


def duckdb_run(source: Path, statement: str) -> None:
    """One statement over the view `evidence` of `source`, on a fresh connection (DuckDB's
    defaults: a thread per core)."""
    connection = duckdb.connect()
    try:
        connection.read_parquet(str(source)).create_view(VIEW)
        connection.execute(statement).fetchall()  # to its end: the COPY is done
    finally:
        connection.close()


def duckdb_path(source: Path, statement: str) -> Callable[[], None]:
    return lambda: duckdb_run(source, statement)


def through_writer(rubric: starrules.Rubric, source: Path, target: Path, engine: Literal["numpy", "duckdb"]) -> None:
    """What `starrules eval engines40.rubric in.parquet -o out.parquet [--engine duckdb]` does."""
    with ResultWriter(target) as writer:
        for batch in rubric.evaluate_columns(source, schemes=[SCHEME], errors="collect", engine=engine):
            writer.write(batch)


Paths = dict[str, Callable[[], object]]
WIDE = "(1u) compiled, units=True"
COMPILED, PRUNED, UNCHECKED, HAND_NAME, CHECKED_NAME, NUMPY, ENGINE = (
    "(1) compiled query", "(1') compiled, (2)'s columns only", "(1n) compiled, validate=False",
    "(2) hand-written query", "(2b) hand-written + checks", "(3) numpy engine", "(4) duckdb engine")
ENGINES = (NUMPY, ENGINE)  # minutes a pass where DuckDB takes seconds: timed in --engine-passes passes


def hand_columns(rubric: starrules.Rubric) -> list[str]:
    """(2)'s output columns: id, every item (by name), the vetoes' facts, every section, 总分, 星级."""
    items = [p.name for p in rubric.evaluator.item_plans.values()]
    return ["id", *items, *VETOES, *HAND_SECTIONS, "总分", SCHEME]


def pruned_query(rubric: starrules.Rubric, compiled: exp.Select) -> exp.Select:
    """(1) with only the columns (2) writes, under (2)'s names."""
    outputs = [exp.alias_(exp.column(c, quoted=True), h, quoted=True)
               for c, h in column_pairs(rubric, compiled_names(rubric), hand_columns(rubric))]
    return exp.select(*outputs).from_(compiled.subquery("scored"))


def paths(rubric: starrules.Rubric, source: Path, folder: Path, checked: bool) -> Paths:
    compiled = compiled_query(rubric, source)
    statements = {
        COMPILED: copy_to_parquet(compiled, folder / "compiled.parquet"),
        WIDE: copy_to_parquet(compiled_query(rubric, source, units=True), folder / "wide.parquet"),
        PRUNED: copy_to_parquet(pruned_query(rubric, compiled), folder / "pruned.parquet"),
    }
    if checked and can_skip_checks():
        statements[UNCHECKED] = copy_to_parquet(compiled_query(rubric, source, validate=False),
                                                folder / "unchecked.parquet")
    statements[HAND_NAME] = copy_to_parquet(hand_query(HAND), folder / "hand.parquet")
    if checked:
        statements[CHECKED_NAME] = copy_to_parquet(hand_query(HAND_CHECKED),
                                                   folder / "checked.parquet")
    # the statement of (1) is COPY around exactly the text query_sql gives
    assert query_sql(rubric, "duckdb", VIEW, query_spec(rubric, pq.read_schema(source))) in statements[COMPILED]
    out: Paths = {name: duckdb_path(source, statement) for name, statement in statements.items()}
    out[NUMPY] = lambda: through_writer(rubric, source, folder / "numpy.parquet", "numpy")
    out[ENGINE] = lambda: through_writer(rubric, source, folder / "engine.parquet", "duckdb")
    return out


OUTPUT_FILES = {COMPILED: "compiled.parquet", WIDE: "wide.parquet", PRUNED: "pruned.parquet", UNCHECKED: "unchecked.parquet",
                HAND_NAME: "hand.parquet", CHECKED_NAME: "checked.parquet", NUMPY: "numpy.parquet",
                ENGINE: "engine.parquet"}


def validates(query: exp.Select) -> bool:
    """Whether the compiled query checks the evidence: its `error` column is more than a NULL
    (engines40 has no 适用 line, so only validation can give it a value)."""
    error = next(e for e in query.expressions if e.alias_or_name == "error")
    value = error.this if isinstance(error, exp.Alias) else error
    return not (isinstance(value, exp.Cast) and isinstance(value.this, exp.Null))


# ---------------------------------------------------------------------------------------------
# Same answers before timing: outputs compared in DuckDB, joined on id.

def compiled_names(rubric: starrules.Rubric) -> dict[str, str]:
    """The compiled query's columns of points, vetoes and the level, each by what it is: item and
    section names, the vetoes' facts, 总分, 星级."""
    spec = QuerySpec(None, {}, (SCHEME,), units=False)
    names: dict[str, str] = {}
    for column in result_columns(rubric, spec):
        if column.kind in ("item", "section") and not column.units:
            names[column.column] = column.name
        elif column.kind == "veto":
            names[column.column] = VETOES[int(column.column.split("_")[1]) - 1]
        elif column.kind == "level":
            names[column.column] = SCHEME
    names["total"] = "总分"
    return names


def column_pairs(rubric: starrules.Rubric, names: dict[str, str], wanted: Sequence[str]) -> list[tuple[str, str]]:
    """(compiled column, other output's column) for each of `wanted` (by (2)'s names)."""
    by_name = {v: k for k, v in names.items()}
    return [("id", "id") if w == "id" else (by_name[w], w) for w in wanted]


def numpy_pairs(rubric: starrules.Rubric) -> list[tuple[str, str]]:
    """(2)'s columns and the numpy output's (ResultWriter's names): items, sections, total, level."""
    items = [p.name for p in rubric.evaluator.item_plans.values()]
    return [(i, f"item:{i}") for i in items] + [(s, f"section:{s}") for s in HAND_SECTIONS] + \
        [("总分", "total"), (SCHEME, f"level:{SCHEME}")]


def compare(connection: Any, left: str, right: str, pairs: Sequence[tuple[str, str]]) -> tuple[int, int]:
    """(rows joined on id, joined rows where any pair differs) of the views `left` and `right`."""
    a, b = "a", "b"
    differ = exp.or_(*(exp.NullSafeNEQ(this=exp.column(x, a, quoted=True), expression=exp.column(y, b, quoted=True))
                       for x, y in pairs))
    on = exp.EQ(this=exp.column("id", a, quoted=True), expression=exp.column("id", b, quoted=True))
    query = exp.select(exp.Count(this=exp.Star()), exp.func("COUNT_IF", differ)) \
        .from_(exp.to_table(left).as_(a)).join(exp.to_table(right).as_(b), on=on)
    joined, different = connection.execute(query.sql(dialect="duckdb")).fetchall()[0]
    return int(joined), int(different)


def assert_same(connection: Any, left: str, right: str, pairs: Sequence[tuple[str, str]], rows: int) -> None:
    joined, different = compare(connection, left, right, pairs)
    assert (joined, different) == (rows, 0), \
        f"{left} vs {right}: {joined:,} rows joined of {rows:,}, {different:,} differ"


def view_rows(connection: Any, view: str) -> int:
    query = exp.select(exp.Count(this=exp.Star())).from_(view)
    return int(connection.execute(query.sql(dialect="duckdb")).fetchall()[0][0])


def check_same_answers(rubric: starrules.Rubric, folder: Path, rows: int, names: Sequence[str]) -> dict[str, float]:
    """Every output compared as the docstring says; the compiled output's level shares."""
    connection = duckdb.connect()
    try:
        views = {name: f"out{k}" for k, name in enumerate(names)}
        for name, view in views.items():
            connection.read_parquet(str(folder / OUTPUT_FILES[name])).create_view(view)
            assert view_rows(connection, view) == rows, f"{name}: {view_rows(connection, view):,} rows, not {rows:,}"
        hand = hand_columns(rubric)
        compiled = compiled_names(rubric)
        assert_same(connection, views[COMPILED], views[HAND_NAME], column_pairs(rubric, compiled, hand), rows)
        by_name = {v: k for k, v in compiled.items()}
        assert_same(connection, views[COMPILED], views[NUMPY], [(by_name[h], n) for h, n in numpy_pairs(rubric)], rows)
        every = pq.read_schema(folder / OUTPUT_FILES[NUMPY]).names
        assert_same(connection, views[ENGINE], views[NUMPY], [(c, c) for c in every], rows)
        every = pq.read_schema(folder / OUTPUT_FILES[COMPILED]).names
        assert_same(connection, views[WIDE], views[COMPILED], [(c, c) for c in every], rows)
        if UNCHECKED in views:
            assert_same(connection, views[UNCHECKED], views[COMPILED], [(c, c) for c in every], rows)
        for other in (PRUNED, CHECKED_NAME):
            if other in views:
                assert_same(connection, views[other], views[HAND_NAME], [(c, c) for c in hand], rows)
        if CHECKED_NAME in views:
            assert no_errors(connection, views[CHECKED_NAME]), "(2b) found an error in good evidence"
        assert no_errors(connection, views[COMPILED]), "(1) found an error in good evidence"
        return level_shares(connection, views[COMPILED], rows)
    finally:
        connection.close()


def no_errors(connection: Any, view: str) -> bool:
    query = exp.select(exp.Count(this=exp.Star())).from_(view).where(exp.column("error").is_(exp.Null()).not_())
    return int(connection.execute(query.sql(dialect="duckdb")).fetchall()[0][0]) == 0


def level_shares(connection: Any, view: str, rows: int) -> dict[str, float]:
    level = exp.column("level_1", quoted=True)
    query = exp.select(level, exp.Count(this=exp.Star())).from_(view).group_by(level)
    counts = dict(connection.execute(query.sql(dialect="duckdb")).fetchall())
    return {name: counts.get(name, 0) / rows for name in LEVELS}


# ---------------------------------------------------------------------------------------------
# The hand-written checks against the Python reader, on branches with one bad value each.

BAD_VALUES: tuple[tuple[str | None, dict[str, Any]], ...] = (
    ("E504", {"班子问题数": -1}),
    ("E507", {"教育创新": Decimal("2.5")}),  # 教育创新 is 2 points
    ("E507", {"组织成效": Decimal("-0.5")}),
    ("E508", {"生活成效": Decimal("1.3")}),
    ("E501", {"组织按期": None}),
    ("E501", {"保障创新": None}),
    ("E508", {"组织成效": Decimal("0.7"), "班子问题数": -2}),  # the first column with a problem decides
    ("E507", {"组织按期": None, "保障创新": Decimal("9")}),  # values are read before anything missing
    (None, {"组织学时": Decimal("31.5")}),  # fine: a 数值 with a half hour
)


def check_hand_checks(rubric: starrules.Rubric, folder: Path, seed: int, compiled_validates: bool) -> None:
    """HAND_CHECKED gives, for each branch of BAD_VALUES, the code the numpy engine reports first
    (and None for a good one); so does the compiled query when it validates."""
    good = typed_chunk(0, len(BAD_VALUES), seed)
    records = good.to_pylist()
    for record, (_, changes) in zip(records, BAD_VALUES):
        record.update(changes)
    path = folder / "bad.parquet"
    pq.write_table(pa.Table.from_pylist(records, schema=good.schema), path)
    expected = {r["id"]: code for r, (code, _) in zip(records, BAD_VALUES)}
    reader: dict[str | None, str | None] = {}
    for batch in rubric.evaluate_columns(path, schemes=[SCHEME], errors="collect"):
        reader |= {i: None for i in batch.ids}
        reader |= {e.id: e.diagnostics[0].code for e in batch.errors}
    assert reader == expected, f"the numpy engine's first codes {reader} are not the ones BAD_VALUES expects"
    queries = {"(2b)": hand_query(HAND_CHECKED)}
    if compiled_validates:
        queries["(1)"] = compiled_query(rubric, path)
    for label, query in queries.items():
        connection = duckdb.connect()
        try:
            connection.read_parquet(str(path)).create_view(VIEW)
            errors = exp.select("id", "error").from_(query.subquery("q"))
            found: dict[str | None, str | None] = dict(connection.execute(errors.sql(dialect="duckdb")).fetchall())
        finally:
            connection.close()
        assert found == expected, f"{label}'s error codes {found} are not the Python reader's {expected}"


# ---------------------------------------------------------------------------------------------
# Timing.

def median_times(paths: Paths, warm: Paths, passes: int, engine_passes: int) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds of each path: every path of `warm` once, then `passes` round-robin
    passes (the engines only in the first `engine_passes`); medians. CPU time is this process's,
    all threads (DuckDB's too)."""
    for run in warm.values():
        run()
    wall: dict[str, list[float]] = {name: [] for name in paths}
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    for k in range(max(passes, engine_passes)):
        for name, run in paths.items():
            if k >= (engine_passes if name in ENGINES else passes):
                continue
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
        print(f"  pass {k + 1}: " + ", ".join(f"{n.split()[0]} {wall[n][k]:.1f} s" for n in paths
                                             if len(wall[n]) > k), flush=True)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in paths}


def compile_seconds(rubric: starrules.Rubric, source: Path, passes: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of query_sql for this table: compile_query and rendering."""
    spec = query_spec(rubric, pq.read_schema(source))
    wall, cpu = [], []
    for _ in range(max(passes, 3)):
        start, start_cpu = time.perf_counter(), time.process_time()
        query_sql(rubric, "duckdb", VIEW, spec)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def timed(run: Callable[[], object], passes: int) -> float:
    """Median wall seconds of `passes` runs."""
    walls = []
    for _ in range(passes):
        start = time.perf_counter()
        run()
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


# ---------------------------------------------------------------------------------------------
# PostgreSQL and Spark on the first --db-rows branches (informative).

DbRow = tuple[str, float, bool, str]  # (what, seconds, whether per row means anything, note)


def reference_view(connection: Any, numpy_output: Path) -> str:
    connection.read_parquet(str(numpy_output)).create_view("reference")
    return "reference"


def check_against_numpy(scores_view: str, register: Callable[[Any], None], numpy_output: Path, rows: int) -> None:
    """Every row of the scored view has the numpy engine's total and level (joined on id)."""
    connection = duckdb.connect()
    try:
        register(connection)
        reference = reference_view(connection, numpy_output)
        assert view_rows(connection, scores_view) == rows
        assert_same(connection, scores_view, reference, [("total", "total"), ("level_1", f"level:{SCHEME}")], rows)
    finally:
        connection.close()


def postgres_section(rubric: starrules.Rubric, db_source: Path, numpy_output: Path, rows: int,
                     passes: int) -> list[DbRow] | str:
    """PostgreSQL's rows, or why the section is left out."""
    try:
        postgres = importlib.import_module("starrules.sql.postgres")
        sys.path.insert(0, str(ROOT))
        server_helper = importlib.import_module("tests.postgres_server")  # imports psycopg and pytest
    except ImportError as error:
        return f"a module is missing: {error}"
    failed = importlib.import_module("pytest").fail.Exception  # how the helper reports a server that cannot start
    root = Path(tempfile.mkdtemp(prefix="starrules-bench-pg-"))
    try:
        try:
            if os.geteuid() == 0:
                os.chown(root, server_helper.server_uid(), -1)  # the server runs as `postgres`
            server = server_helper.start(root)
        except failed as error:
            return f"the server did not start: {error}"
        try:
            return postgres_timings(postgres, server, rubric, db_source, numpy_output, rows, passes)
        finally:
            server_helper.stop(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def postgres_timings(postgres: Any, server: Any, rubric: starrules.Rubric, db_source: Path, numpy_output: Path,
                     rows: int, passes: int) -> list[DbRow]:
    table = pq.read_table(db_source)
    with server.connect() as connection:
        release = connection.execute("SHOW server_version").fetchall()[0][0]
        start = time.perf_counter()
        postgres.load_evidence(connection, "evidence", table)
        connection.commit()
        loaded = time.perf_counter() - start
        connection.execute("ANALYZE evidence")
        connection.commit()

        def score() -> Any:
            return postgres.score_postgres(rubric, connection, "evidence", [SCHEME])

        scored = score()
        check_against_numpy("pg", lambda c: c.register("pg", scored), numpy_output, rows)
        seconds = timed(score, passes)
    return [(f"PostgreSQL {release}: load_evidence (COPY from Arrow rows)", loaded, True, "once"),
            ("PostgreSQL: score_postgres, graded (rows back as Arrow)", seconds, True, f"median of {passes}")]


def spark_section(rubric: starrules.Rubric, db_source: Path, numpy_output: Path, folder: Path, rows: int,
                  passes: int) -> list[DbRow] | str:
    """Spark's rows, or why the section is left out."""
    try:
        spark_scoring = importlib.import_module("starrules.sql.spark")
        pyspark_sql = importlib.import_module("pyspark.sql")
    except ImportError as error:
        return f"a module is missing: {error}"
    start = time.perf_counter()
    try:
        spark = (pyspark_sql.SparkSession.builder.master(f"local[{os.cpu_count()}]").appName("bench_sql")
                 .config("spark.ui.enabled", "false").config("spark.driver.memory", "2g")
                 .config("spark.sql.shuffle.partitions", str(os.cpu_count()))
                 .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                 .config("spark.ui.showConsoleProgress", "false")  # no progress bars in the printed tables
                 .config(spark_scoring.ANSI, "true").getOrCreate())
    except Exception as error:  # no Java, a port refused …: Spark says why
        return f"Spark did not start: {error}"
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter() - start
    try:
        target = folder / "spark-out"

        def score() -> None:
            spark_scoring.score_parquet(spark, db_source, rubric, [SCHEME]).write.mode("overwrite").parquet(str(target))

        score()
        check_against_numpy("spark", lambda c: c.read_parquet(str(target / "*.parquet")).create_view("spark"),
                            numpy_output, rows)
        seconds = timed(score, passes)
        release = spark.version
    finally:
        spark.stop()
    return [(f"Spark {release} local[{os.cpu_count()}]: session start", started, False, "once"),
            ("Spark: score_parquet, graded, written as Parquet", seconds, True, f"median of {passes}")]


# ---------------------------------------------------------------------------------------------

def print_table(times: dict[str, tuple[float, float]], rows: int, names: Sequence[str]) -> None:
    bases = [HAND_NAME, NUMPY]
    print("| path | rows | wall s | CPU s | µs / row (wall) | × (2) wall | × (2) CPU | × (3) wall | × (3) CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        wall, cpu = times[name]
        ratios = " | ".join(f"{wall / times[b][0]:.2f} | {cpu / times[b][1]:.2f}" for b in bases)
        print(f"| {name} | {rows:,} | {wall:.2f} | {cpu:.2f} | {wall / rows * 1e6:.2f} | {ratios} |")


def print_ratios(times: dict[str, tuple[float, float]], names: Sequence[str]) -> None:
    def ratio(a: str, b: str) -> tuple[float, float]:
        return times[a][0] / times[b][0], times[a][1] / times[b][1]

    # the target (compiled within 1.5× of the hand-written query) is read like for like: the same
    # work on both sides, with the evidence checks or without them; (1) / (2) sets a query that
    # checks every row against one that checks nothing
    checked = CHECKED_NAME in names
    lines: list[tuple[str, tuple[float, float], float | None]] = []
    if checked:
        lines.append(("(1) / (2b): both with the evidence checks (like for like), target ≤ 1.5",
                      ratio(COMPILED, CHECKED_NAME), 1.5))
    if UNCHECKED in names:
        lines.append(("(1n) / (2): both without checks (like for like), target ≤ 1.5",
                      ratio(UNCHECKED, HAND_NAME), 1.5))
    lines.append(("(1) / (2): compiled with checks vs hand-written without" if checked else
                  "(1) / (2): compiled vs hand-written, target ≤ 1.5", ratio(COMPILED, HAND_NAME),
                  None if checked else 1.5))
    lines += [("(1u) / (2b): with the engines' units columns too", ratio(WIDE, CHECKED_NAME), None)] \
        if CHECKED_NAME in names else []
    lines += [("(1') / (2): (1) with (2)'s columns only", ratio(PRUNED, HAND_NAME), None),
              ("(1) / (3): compiled query vs numpy engine", ratio(COMPILED, NUMPY), None),
              ("(4) / (3): duckdb engine vs numpy engine", ratio(ENGINE, NUMPY), None)]
    print("\n| ratio | wall | CPU | target |\n|---|---:|---:|---|")
    for label, (by_wall, by_cpu), limit in lines:
        verdict = "" if limit is None else "met" if by_wall <= limit and by_cpu <= limit else \
            "**not met**" if by_wall > limit and by_cpu > limit else \
            ("met by wall time only" if by_wall <= limit else "met by CPU time only")
        print(f"| {label} | {by_wall:.2f}× | {by_cpu:.2f}× | {verdict} |")


def print_db(section: str, found: list[DbRow] | str, rows: int) -> None:
    if isinstance(found, str):
        print(f"\n{section} left out: {found}")
        return
    print(f"\n| {section}, {rows:,} rows (wall time; same totals and levels as (3) on every row) | s | µs / row | |")
    print("|---|---:|---:|---|")
    for what, seconds, per_row, note in found:
        print(f"| {what} | {seconds:.1f} | {f'{seconds / rows * 1e6:.1f}' if per_row else ''} | {note} |")


def versions() -> str:
    found = [f"Python {sys.version.split()[0]}", f"duckdb {duckdb.__version__}", f"sqlglot {version('sqlglot')}",
             f"pyarrow {pa.__version__}", f"numpy {np.__version__}"]
    for module in ("psycopg", "pyspark"):
        try:
            found.append(f"{module} {importlib.import_module(module).__version__}")
        except ImportError:
            pass
    return ", ".join(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000, help="branches in the Parquet file")
    parser.add_argument("--db-rows", type=int, default=1_000_000, help="branches for PostgreSQL and Spark")
    parser.add_argument("--passes", type=int, default=3, help="timed passes of each DuckDB query path (median)")
    parser.add_argument("--engine-passes", type=int, default=1, help="timed passes of (3) and (4) (median)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--with-checks", action="store_true",
                        help="time (2b) even when the compiled query does not validate")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args()
    db_rows = min(args.db_rows, args.rows)

    began = time.perf_counter()
    load = os.getloadavg()[0]
    rubric = starrules.load(RUBRIC)
    with tempfile.TemporaryDirectory(prefix="bench-sql-") as name:
        folder, warm_folder = Path(name), Path(name) / "warm"
        warm_folder.mkdir()
        source, warm_source, db_source = folder / "in.parquet", warm_folder / "in.parquet", folder / "db.parquet"
        write_evidence(source, args.rows, args.seed)
        write_head(source, warm_source, min(WARM_ROWS, args.rows))
        print(f"{args.rows:,} branches written: {source.stat().st_size / 2**20:.0f} MiB "
              f"({time.perf_counter() - began:.0f} s)", flush=True)

        compiled_validates = validates(compiled_query(rubric, source))
        checked = compiled_validates or args.with_checks
        check_hand_checks(rubric, folder, args.seed, compiled_validates)
        timed_paths = paths(rubric, source, folder, checked)
        for run in timed_paths.values():  # the outputs compared before timing
            run()
        names = list(timed_paths)
        shares = check_same_answers(rubric, folder, args.rows, names)
        print("same answers from every path on every row; levels: "
              + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()) + f" ({time.perf_counter() - began:.0f} s)",
              flush=True)
        times = median_times(timed_paths, paths(rubric, warm_source, warm_folder, checked), args.passes,
                             args.engine_passes)
        compile_wall, compile_cpu = compile_seconds(rubric, source, args.passes)

        db: dict[str, list[DbRow] | str] = {}
        if not args.no_postgres or not args.no_spark:
            if db_rows == args.rows:
                shutil.copyfile(source, db_source)
            else:
                write_head(source, db_source, db_rows)
        numpy_output = folder / OUTPUT_FILES[NUMPY]  # the last pass's output: checked above to be the same
        db["PostgreSQL"] = "--no-postgres" if args.no_postgres else \
            postgres_section(rubric, db_source, numpy_output, db_rows, args.engine_passes)
        db["Spark"] = "--no-spark" if args.no_spark else \
            spark_section(rubric, db_source, numpy_output, folder, db_rows, args.engine_passes)

    print(f"\n{date.today()}, {os.cpu_count()} cores, {versions()}; median of {args.passes} passes "
          f"({args.engine_passes} of (3) and (4)); "
          f"load average before: {load:.1f}; command: {' '.join(['python'] + sys.argv)}")
    print(f"the compiled query {'validates the evidence' if compiled_validates else 'does not validate yet'}"
          f"{'; (2b) timed' if checked else ''}\n")
    print_table(times, args.rows, names)
    print(f"\ncompiling the query (query_sql, not included above): {compile_wall * 1000:.0f} ms wall, "
          f"{compile_cpu * 1000:.0f} ms CPU")
    print_ratios(times, names)
    for section, found in db.items():
        print_db(section, found, db_rows)
    print(f"\nwhole run: {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
