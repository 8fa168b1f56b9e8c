"""The scoring query run on DuckDB (embedded, in process), and typed evidence tables for it.

`score_duckdb` takes an Arrow table (or a DuckDB relation) whose columns are typed as
docs/sql.md says, compiles the query for exactly those columns and returns DuckDB's answer as
an Arrow table. `evidence_table` makes such a table from evidence records, validating each with
the Python reader (plan/evidence.py): the query itself checks nothing yet.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlglot import exp

from ..check.model import CheckedRubric
from ..eval.evaluator import evaluator_for
from ..io.columns import load_pyarrow
from ..plan.evidence import in_memory, read_evidence
from .query import QuerySpec, query_sql
from .scoring import grid_scale, unsupported

_TABLE = "evidence"


def load_duckdb() -> Any:
    """The duckdb module, through importlib (it ships no type stubs mypy --strict takes)."""
    try:
        return importlib.import_module("duckdb")
    except ImportError:
        raise ImportError("SQL scoring on DuckDB needs duckdb and sqlglot: pip install 'starrules[sql]'") from None


def score_duckdb(rubric: CheckedRubric, data: Any, schemes: Sequence[str] = ()) -> Any:
    """Every row of `data` (a pyarrow.Table or a DuckDB relation) scored, and graded under
    `schemes`, by one DuckDB query: a pyarrow.Table with the columns of `query.result_columns`."""
    pa = load_pyarrow()
    table = data if isinstance(data, pa.Table) else data.to_arrow_table()
    sql = query_sql(rubric, "duckdb", _TABLE, table_spec(rubric, table.schema, schemes))
    connection = load_duckdb().connect()
    try:
        connection.register(_TABLE, table)
        return connection.sql(sql).to_arrow_table()
    finally:
        connection.close()


def table_spec(rubric: CheckedRubric, schema: Any, schemes: Sequence[str] = (), inputs: bool = False) -> QuerySpec:
    """The query's spec for a table of this Arrow schema."""
    return QuerySpec(tuple(schema.names), column_scales(rubric, schema), tuple(schemes), inputs=inputs)


def column_scales(rubric: CheckedRubric, schema: Any) -> dict[str, int]:
    """The decimal places of each number column the query reads (0 for an integer column); a
    float column is refused (E607): SQL cannot read a float as the decimal it prints as."""
    pa = load_pyarrow()
    plan = evaluator_for(rubric).plan
    numeric = {name for name, fact in plan.facts.items() if fact.type.kind in ("count", "number", "ratio")}
    numeric |= set(evaluator_for(rubric).evidence_spec.scores)
    scales: dict[str, int] = {}
    for field in schema:
        if field.name not in numeric:
            continue
        if pa.types.is_floating(field.type):
            fact = plan.facts.get(field.name)
            item = next((i for i in rubric.items if i.name == field.name), None) if fact is None else None
            span = fact.span if fact is not None else item.span if item is not None else rubric.definition.span
            raise unsupported(rubric, span, f"“{field.name}”列是浮点数(DOUBLE),SQL 无法精确读出它写出的小数",
                              "把这一列换成 DECIMAL 或整数列(evidence_table 就这样做)")
        scales[field.name] = field.type.scale if pa.types.is_decimal(field.type) else 0
    return scales


def evidence_table(rubric: CheckedRubric, records: Iterable[Mapping[str, Any]]) -> Any:
    """Evidence records (each validated by the Python reader; an EvidenceError stops it) as a
    typed Arrow table: BOOLEAN 是否, BIGINT 计数, DECIMAL(38, s) 数值 / 比例 (s: the most places
    any row needs; BIGINT when none does), VARCHAR 选项 and 分档 levels, DECIMAL 酌情 scores at the
    grid's scale, and a VARCHAR id when records carry one."""
    pa = load_pyarrow()
    ev = evaluator_for(rubric)
    spec, grid = ev.evidence_spec, ev.grid
    read = [read_evidence(spec, dict(record), in_memory()) for record in records]
    arrays: dict[str, Any] = {}
    if any("id" in r.extra for r in read):
        arrays["id"] = pa.array([None if r.extra.get("id") is None else str(r.extra["id"]) for r in read], pa.string())
    for name, fact in ev.plan.facts.items():
        values = [r.values.get(name) for r in read]
        kind = fact.type.kind
        if kind == "bool":
            arrays[name] = pa.array(values, pa.bool_())
        elif kind == "choice":
            arrays[name] = pa.array(values, pa.string())
        else:
            arrays[name] = _numbers(pa, [None if v is None else Fraction(v) for v in values])
    scale = grid_scale(grid.step)
    for name in spec.judged:
        given = [r.judgements.get(name) for r in read]
        if name in spec.levels:
            arrays[name] = pa.array([None if j is None else j.level for j in given], pa.string())
        else:
            points = [None if j is None else _decimal(Fraction(j.units) * grid.step, scale) for j in given]
            arrays[name] = pa.array(points, pa.decimal128(38, scale))
    return pa.table(arrays) if arrays else pa.table({"id": pa.array([None] * len(read), pa.string())})


def _numbers(pa: Any, values: list[Fraction | None]) -> Any:
    places = max((grid_scale(v) for v in values if v is not None), default=0)
    if places == 0:
        return pa.array([None if v is None else int(v) for v in values], pa.int64())
    return pa.array([None if v is None else _decimal(v, places) for v in values], pa.decimal128(38, places))


def _decimal(value: Fraction, places: int) -> Decimal:
    """The exact decimal of a value with at most `places` places."""
    scaled = value * 10**places
    assert scaled.denominator == 1
    return Decimal(scaled.numerator).scaleb(-places)


def score_sqlite(rubric: CheckedRubric, data: Any, schemes: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Every row of `data` (a pyarrow.Table typed as for DuckDB) scored and graded in an
    in-memory SQLite database (the standard library's sqlite3): the result rows as dicts.
    SQLite has no exact DECIMAL, so a DECIMAL(p, s) column is stored as the INTEGER value × 10^s
    (the convention the sqlite query reads, docs/sql.md) and booleans as 0 / 1."""
    import sqlite3

    pa = load_pyarrow()
    spec = table_spec(rubric, data.schema, schemes)
    columns = []
    for field in data.schema:
        kind = "TEXT" if pa.types.is_string(field.type) or pa.types.is_large_string(field.type) else "INTEGER"
        columns.append(exp.ColumnDef(this=exp.to_identifier(field.name, quoted=True),
                                     kind=exp.DataType.build(kind, dialect="sqlite")))
    create = exp.Create(this=exp.Schema(this=exp.to_table(_TABLE), expressions=columns), kind="TABLE")
    insert = exp.insert(exp.values([tuple(exp.Placeholder() for _ in columns)]), _TABLE)
    rows = zip(*(_sqlite_column(pa, data.column(k), field.type) for k, field in enumerate(data.schema)))
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute(create.sql(dialect="sqlite"))
        connection.executemany(insert.sql(dialect="sqlite"), rows)
        cursor = connection.execute(query_sql(rubric, "sqlite", _TABLE, spec))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]
    finally:
        connection.close()


def _sqlite_column(pa: Any, column: Any, kind: Any) -> list[Any]:
    values: list[Any] = column.to_pylist()
    if pa.types.is_decimal(kind):  # fixed point: the exact integer value × 10^scale
        return [None if v is None else int(v.scaleb(kind.scale)) for v in values]
    if pa.types.is_boolean(kind):
        return [None if v is None else int(v) for v in values]
    return values
