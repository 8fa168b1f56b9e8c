"""The scoring query run on Spark: a DataFrame (or a Parquet file) in, a DataFrame of scores out.

`score` registers the caller's DataFrame as a temporary view on its own session, compiles the
query for dialect "spark" for exactly that DataFrame's columns and returns `spark.sql(query)`:
Spark runs it where the data is, on whatever master the caller's session has. Nothing here
names a master, starts a session or imports pyspark: the session is the caller's (docs/sql.md,
"在 Spark 上计分").

Spark's BIGINT arithmetic wraps around on overflow unless ANSI mode is on, so `score` refuses a
session without `spark.sql.ansi.enabled` (a ValueError) rather than risk a wrong number.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from typing import Any

import attrs

from ..check.model import CheckedRubric
from ..io.columns import load_pyarrow
from .query import query_sql
from .runner import table_spec

DIALECT = "spark"
ANSI = "spark.sql.ansi.enabled"
VIEW_PREFIX = "starrules_evidence_"  # + a fresh uuid per call: views of concurrent calls never clash


def score(df: Any, rubric: CheckedRubric, schemes: Sequence[str] = (), *, cohort: bool = False,
          within: str | None = None) -> Any:
    """Every row of the pyspark DataFrame `df` scored, and graded under `schemes`, by one Spark
    SQL query: a lazy DataFrame with the columns of `query.result_columns` (dialect "spark").
    `cohort`: the schemes' 排名 rules applied over the whole DataFrame too (ranks, levels after
    名额, 待定, 倒排 marks), or over each value of the fact `within` (`QuerySpec`'s `cohort`, `within`).

    `df`'s columns are typed as docs/sql.md says (BooleanType, LongType, DecimalType(p, s),
    StringType); a DoubleType / FloatType number column is refused (E607). The temporary view
    it is read through (`VIEW_PREFIX` + a uuid) stays in `df.sparkSession` after the call: the
    result is lazy, and a session may analyse its plan again when it runs (Spark Connect does),
    so the view can only be dropped once the caller has collected or written the result."""
    spark = df.sparkSession
    require_ansi(spark)
    spec = attrs.evolve(table_spec(rubric, arrow_schema(df.schema), schemes),  # a float column: E607, before any view
                        cohort=cohort, within=within)
    view = VIEW_PREFIX + uuid.uuid4().hex
    query = query_sql(rubric, DIALECT, view, spec)
    df.createOrReplaceTempView(view)
    return spark.sql(query)


def score_parquet(spark: Any, path: str | os.PathLike[str], rubric: CheckedRubric,
                  schemes: Sequence[str] = (), *, cohort: bool = False, within: str | None = None) -> Any:
    """The Parquet file (or directory, or any URL the session reads: hdfs://, s3a://, …) at
    `path` scored as `score` does."""
    return score(spark.read.parquet(os.fspath(path)), rubric, schemes, cohort=cohort, within=within)


def require_ansi(spark: Any) -> None:
    """Refuse (ValueError) a session without ANSI mode. With it off, Spark wraps a BIGINT that
    overflows (2^62 × 4 is 0) and gives NULL for a DECIMAL that does: a wrong score, silently.
    It is not set here for the caller: the setting is the whole session's (it changes their other
    queries, and setting it only around `spark.sql` races with other threads of the session and
    does not hold where the plan is analysed again when it runs, as on Spark Connect)."""
    if str(spark.conf.get(ANSI, "false")).strip().lower() != "true":
        raise ValueError(
            f"在 Spark 上计分要求 ANSI 模式:{ANSI} 是关的,BIGINT 溢出时 Spark 会回绕成错误的分数而不报错。"
            f"请在建会话时加 .config(\"{ANSI}\", \"true\"),或先 spark.conf.set(\"{ANSI}\", \"true\")")


def arrow_schema(schema: Any) -> Any:
    """A pyspark StructType as the Arrow schema `runner.table_spec` reads: the names, in order,
    and whether each column is a decimal (and its scale), a float, or neither (so a float column
    is refused with E607 in one place, `runner.column_scales`, for every engine)."""
    pa = load_pyarrow()
    return pa.schema([pa.field(field.name, _arrow_type(pa, field.dataType)) for field in schema.fields])


def _arrow_type(pa: Any, data_type: Any) -> Any:
    name = data_type.typeName()
    if name == "decimal":
        return pa.decimal128(data_type.precision, data_type.scale)
    if name in ("double", "float"):
        return pa.float64()
    if name in ("byte", "short", "integer", "long"):
        return pa.int64()
    return pa.bool_() if name == "boolean" else pa.string()

