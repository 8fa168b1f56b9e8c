"""The scoring query run inside PostgreSQL, through the caller's psycopg 3 connection.

`load_evidence` makes a table typed as docs/sql.md says (BOOLEAN, BIGINT, NUMERIC(38, s), TEXT)
from an Arrow table — `runner.evidence_table` makes one from evidence records — and loads its rows
with COPY. `score_postgres` reads the table's column types from information_schema, compiles the
query for exactly those columns and scales, runs it in the database and returns its rows as a
pyarrow.Table with the columns `runner.score_duckdb` gives. Nothing here assumes a local server:
the connection is the caller's, and so is its transaction (neither function commits).

psycopg itself is never imported: the caller hands in its connection (typed Any, as the optional
modules are, so mypy --strict needs no stubs).
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs
from sqlglot import exp

from ..check.model import CheckedRubric
from ..eval.evaluator import evaluator_for
from ..io.columns import load_pyarrow
from .query import QuerySpec, compile_query, query_sql, result_columns
from .runner import table_spec
from .scoring import grid_scale

DIALECT = "postgres"
BATCH_ROWS = 65_536  # evidence rows made Python values at a time for COPY: one batch in memory, not all

# information_schema.columns' data_type → the Arrow type (a pyarrow function's name) of its values
_ARROW_TYPES = {"boolean": "bool_", "bigint": "int64", "integer": "int64", "smallint": "int64",
                "double precision": "float64", "real": "float32",
                "text": "string", "character varying": "string", "character": "string"}

# the result's column types by PostgreSQL type OID (pg_type.dat): bool; int8, int2, int4; text,
# varchar; numeric
_BOOL, _INTEGER_OIDS, _TEXT_OIDS, _NUMERIC = 16, frozenset({20, 21, 23}), frozenset({25, 1043}), 1700

# the table's columns in order. The table is named as the query names it (rendered by sqlglot) and
# found through PostgreSQL's own reading of that name (to_regclass), so a folded, quoted or
# schema-qualified name means the same table here and in the query. A constant text with one bound
# parameter: nothing is pasted into it.
_COLUMNS_QUERY = """
SELECT c.column_name, c.data_type, c.numeric_scale
FROM information_schema.columns AS c
JOIN pg_catalog.pg_class AS r ON r.relname = c.table_name
JOIN pg_catalog.pg_namespace AS n ON n.oid = r.relnamespace AND n.nspname = c.table_schema
WHERE r.oid = to_regclass(%s)
ORDER BY c.ordinal_position
"""


@attrs.frozen
class TableColumn:
    """A column of the evidence table: its name, information_schema's data_type, and its decimal
    places (a NUMERIC's declared scale; read from the values for a NUMERIC declared without one)."""

    name: str
    data_type: str
    scale: int | None


def load_evidence(connection: Any, table: str, arrow_table: Any) -> None:
    """Create `table` typed after `arrow_table`'s columns (BOOLEAN, BIGINT, NUMERIC(38, s), TEXT;
    a float column as DOUBLE PRECISION, which `score_postgres` refuses) and COPY its rows in."""
    definitions = [exp.ColumnDef(this=exp.to_identifier(field.name, quoted=True), kind=_sql_type(field))
                   for field in arrow_table.schema]
    create = exp.Create(this=exp.Schema(this=exp.to_table(table), expressions=definitions), kind="TABLE")
    names = [exp.to_identifier(name, quoted=True) for name in arrow_table.schema.names]
    copy = exp.Copy(this=exp.Schema(this=exp.to_table(table), expressions=names), kind=True,
                    files=[exp.to_identifier("STDIN")])
    with connection.cursor() as cursor:
        cursor.execute(create.sql(dialect=DIALECT))
        with cursor.copy(copy.sql(dialect=DIALECT)) as writer:
            for row in _rows(arrow_table):
                writer.write_row(row)


def score_postgres(rubric: CheckedRubric, connection: Any, table: str, schemes: Sequence[str] = ()) -> Any:
    """Every row of `table` scored, and graded under `schemes`, by one query run in PostgreSQL: a
    pyarrow.Table with the columns `score_duckdb` gives (`query.result_columns`; points as
    decimal128, units and codes as int64), its rows in the order PostgreSQL gives them (a table
    has none: match them by id)."""
    spec = query_spec(rubric, connection, table, schemes)
    query = compile_query(rubric, DIALECT, table, spec)
    with connection.cursor() as cursor:
        schema = _result_schema(cursor, query, _points_types(rubric, spec))
        # the rows come back as CSV text, which Arrow parses in C++ straight into typed columns:
        # no Python object per value (fetching rows as tuples took most of the time)
        copy = exp.Copy(this=exp.Subquery(this=query), kind=False, files=[exp.to_identifier("STDOUT")],
                        params=[exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("CSV"))])
        with cursor.copy(copy.sql(dialect=DIALECT)) as rows:
            stream = _CopyStream(rows)
            return schema.empty_table() if stream.at_end() else _read_csv(stream, schema)


def scoring_query(rubric: CheckedRubric, connection: Any, table: str, schemes: Sequence[str] = ()) -> str:
    """The text of the query `score_postgres` runs for `table`."""
    return query_sql(rubric, DIALECT, table, query_spec(rubric, connection, table, schemes))


def query_spec(rubric: CheckedRubric, connection: Any, table: str, schemes: Sequence[str] = ()) -> QuerySpec:
    """The query's spec for `table`: its columns and their scales. A column typed as docs/sql.md
    does not allow (a float number) is refused with E607 by `runner.table_spec`, as for every
    engine."""
    return table_spec(rubric, arrow_schema(table_columns(connection, table)), schemes)


def table_columns(connection: Any, table: str) -> list[TableColumn]:
    """`table`'s columns, in order; ValueError when the database has no such table."""
    with connection.cursor() as cursor:
        cursor.execute(_COLUMNS_QUERY, (exp.to_table(table).sql(dialect=DIALECT),))
        found = [TableColumn(name, data_type, scale) for name, data_type, scale in cursor.fetchall()]
    if not found:
        raise ValueError(f"PostgreSQL 中没有表“{table}”")
    return _with_value_scales(connection, table, found)


def arrow_schema(columns: Sequence[TableColumn]) -> Any:
    """The table's columns as the Arrow schema `runner.table_spec` reads: the names, in order, and
    each column's type as the Arrow type it holds (a NUMERIC as decimal128 with its scale, a
    float as float64), so the types are judged in one place for every engine."""
    pa = load_pyarrow()
    return pa.schema([pa.field(c.name, _arrow_type(pa, c)) for c in columns])


def _with_value_scales(connection: Any, table: str, columns: list[TableColumn]) -> list[TableColumn]:
    """A NUMERIC declared without a scale holds each value at its own: such a column is read at
    the most places any of its values has (exact for every row; 0 for an empty column), which one
    query over the table finds."""
    open_ended = [c.name for c in columns if c.data_type == "numeric" and c.scale is None]
    if not open_ended:
        return columns
    most = exp.select(*(exp.func("COALESCE", exp.func("MAX", exp.func("SCALE", exp.column(name, quoted=True))),
                                 exp.Literal.number(0)) for name in open_ended)).from_(exp.to_table(table))
    with connection.cursor() as cursor:
        cursor.execute(most.sql(dialect=DIALECT))
        scales = dict(zip(open_ended, cursor.fetchone(), strict=True))
    return [attrs.evolve(c, scale=scales[c.name]) if c.name in scales else c for c in columns]


def _arrow_type(pa: Any, column: TableColumn) -> Any:
    """The Arrow type of the values `column` holds. A type with no counterpart in docs/sql.md (a
    date, JSON …) is given as binary, which has none either: refused where evidence must be typed."""
    if column.data_type == "numeric":
        assert column.scale is not None  # _with_value_scales read it
        return pa.decimal128(38, column.scale)
    return getattr(pa, _ARROW_TYPES.get(column.data_type, "binary"))()


def _sql_type(field: Any) -> exp.DataType:
    pa = load_pyarrow()
    kind = field.type
    if pa.types.is_boolean(kind):
        name = "BOOLEAN"
    elif pa.types.is_integer(kind):
        name = "BIGINT"
    elif pa.types.is_decimal(kind):
        name = f"NUMERIC({max(kind.precision, 38)}, {kind.scale})"
    elif pa.types.is_floating(kind):
        name = "DOUBLE PRECISION"
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        name = "TEXT"
    else:
        raise TypeError(f"证据列“{field.name}”的类型 {kind} 没有对应的 PostgreSQL 列类型"
                        "(应为 bool、整数、decimal 或 string;evidence_table 就这样做)")
    return exp.DataType.build(name, dialect=DIALECT)


def _rows(arrow_table: Any) -> Iterator[tuple[Any, ...]]:
    """The table's rows as Python values (Decimals for decimals), a batch at a time."""
    for batch in arrow_table.to_batches(max_chunksize=BATCH_ROWS):
        yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)


def _points_types(rubric: CheckedRubric, spec: QuerySpec) -> dict[str, Any]:
    """The Arrow type of each points column: DECIMAL(p, s) at the grid's scale, as the query casts
    them. PostgreSQL drops a NUMERIC's declared scale where a CASE picks it or NULL (on a row that
    fails validation), so the result's description cannot always say it."""
    pa = load_pyarrow()
    scale = grid_scale(evaluator_for(rubric).grid.step)
    return {c.column: pa.decimal128(c.precision, scale) for c in result_columns(rubric, spec, DIALECT)
            if c.precision is not None}


def _result_schema(cursor: Any, query: exp.Select, points: Mapping[str, Any]) -> Any:
    """The result's Arrow schema, from the column types PostgreSQL describes for the query (run
    with LIMIT 0: planned, nothing scored), and `points` for the points columns."""
    pa = load_pyarrow()
    cursor.execute(exp.select("*").from_(query.subquery("scored")).limit(0).sql(dialect=DIALECT))
    return pa.schema([pa.field(column.name, points.get(column.name) or _result_type(pa, column))
                      for column in cursor.description])


def _read_csv(stream: io.RawIOBase, schema: Any) -> Any:
    """PostgreSQL's CSV (NULL unquoted and empty, "" an empty text, booleans t / f) as a table of
    `schema`."""
    pa, csv = load_pyarrow(), importlib.import_module("pyarrow.csv")
    reader = csv.open_csv(io.BufferedReader(stream, buffer_size=1 << 20),
                          read_options=csv.ReadOptions(column_names=schema.names),
                          parse_options=csv.ParseOptions(newlines_in_values=True),
                          convert_options=csv.ConvertOptions(column_types={f.name: f.type for f in schema},
                                                             true_values=["t"], false_values=["f"], null_values=[""],
                                                             strings_can_be_null=True,
                                                             quoted_strings_can_be_null=False))
    return pa.Table.from_batches(list(reader), schema=schema)


class _CopyStream(io.RawIOBase):
    """The data of a COPY … TO STDOUT, as a file Arrow reads from (psycopg gives it a row at a time)."""

    def __init__(self, copy: Any) -> None:
        super().__init__()
        self._chunks: Iterator[Any] = iter(copy)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def at_end(self) -> bool:
        """Whether no data is left (Arrow refuses an empty CSV: a query over no rows gives none)."""
        if not self._pending:
            self._pending = bytes(next(self._chunks, b""))
        return not self._pending

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(view):
            if not self._pending:
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._pending = bytes(chunk)
            taken = self._pending[:len(view) - filled]
            view[filled:filled + len(taken)] = taken
            filled += len(taken)
            self._pending = self._pending[len(taken):]
        return filled


def _result_type(pa: Any, column: Any) -> Any:
    """The Arrow type of a result column, as DuckDB gives it: BOOLEAN, BIGINT (int64), VARCHAR
    (string), NUMERIC(p, s) (decimal128)."""
    code = column.type_code
    if code == _BOOL:
        return pa.bool_()
    if code in _INTEGER_OIDS:
        return pa.int64()
    if code in _TEXT_OIDS:
        return pa.string()
    if code == _NUMERIC and column.precision is not None:
        return pa.decimal128(column.precision, column.scale)
    raise TypeError(f"结果列“{column.name}”的 PostgreSQL 类型 {column.type_display} "
                    "不是计分查询给出的类型")
