"""`evaluate_columns(..., engine="duckdb")`: the whole query run by DuckDB over a Parquet file
or an Arrow table, its answer read back a chunk at a time as the batch engine's `ResultBatch`.

DuckDB scores and grades every row it can; a row the query flags — a validation error, E521, a
score given for a 不适用 item (W501), or a row the chunk reader hands back (an unknown column, an
id problem) — is scored again by the scalar path from its evidence, handed through the query,
exactly as the numpy engine hands its slow rows back. DuckDB streams: the file is never read
into memory whole.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..batch.driver import assemble
from ..batch.engine import Scores
from ..batch.grading import code_type
from ..batch.many import Errors, check_errors
from ..batch.result_batch import ResultBatch
from ..check.model import CheckedRubric
from ..eval.evaluator import evaluator_for
from ..io.columns import ArrowChunker, load_pyarrow
from ..io.records import CHUNK_ROWS
from ..plan.grading import grade_plan
from ..plan.notices import notice_plans
from .query import INPUT_PREFIX, query_sql
from .runner import load_duckdb, table_spec

_VIEW = "evidence"


def evaluate_columns_duckdb(rubric: CheckedRubric, data: object, *, schemes: Iterable[str] | None = None,
                            errors: Errors = "raise", chunk_rows: int = CHUNK_ROWS,
                            year: int | None = None) -> Iterator[ResultBatch]:
    """Like `batch.driver.evaluate_columns`, with DuckDB running the compiled query. `data`: a
    .parquet path, a pyarrow Table or RecordBatchReader, or a DuckDB relation; its number columns
    must be integers or DECIMAL (a float column is refused, E607: docs/sql.md)."""
    check_errors(errors)
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, not {chunk_rows}")
    names = tuple(rubric.schemes) if schemes is None else tuple(dict.fromkeys(schemes))
    connection = load_duckdb().connect()
    try:
        schema, from_file = _register(connection, data)
        spec = table_spec(rubric, schema, names, inputs=True)
        reader = connection.sql(query_sql(rubric, "duckdb", _VIEW, spec)).to_arrow_reader(chunk_rows)
        chunker = ArrowChunker(evaluator_for(rubric).evidence_spec.plain_keys, from_file)
        inputs = [c for c in schema.names]
        for batch in reader:
            yield _batch(rubric, names, batch, inputs, chunker, errors, year)
    finally:
        connection.close()


def _register(connection: Any, data: object) -> tuple[Any, bool]:
    """`data` as the view the query reads, with its Arrow schema and whether it is a file."""
    pa = load_pyarrow()
    if isinstance(data, (str, os.PathLike)):
        path = Path(data)
        if path.suffix.lower() != ".parquet":
            raise ValueError(f"engine='duckdb' reads Parquet files, not {path.name}: use the default engine")
        relation = connection.read_parquet(str(path))
        relation.create_view(_VIEW)
        return relation.limit(0).to_arrow_table().schema, True
    if hasattr(data, "to_arrow_reader"):  # a DuckDB relation (of any connection): streamed through Arrow
        data = getattr(data, "to_arrow_reader")()
    if isinstance(data, (pa.Table, pa.RecordBatchReader)):  # a reader is read once, as the query runs
        connection.register(_VIEW, data)
        return data.schema, False
    raise TypeError(f"engine='duckdb' reads a Parquet path, an Arrow table or a DuckDB relation, not "
                    f"{type(data).__name__}: use the default engine")


def _batch(rubric: CheckedRubric, names: tuple[str, ...], batch: Any, inputs: list[str], chunker: ArrowChunker,
           errors: Errors, year: int | None) -> ResultBatch:
    pa = load_pyarrow()
    columns = {name: batch.column(k) for k, name in enumerate(batch.schema.names)}
    evidence = pa.RecordBatch.from_arrays(
        [columns["id"] if c == "id" else columns[INPUT_PREFIX + c] for c in inputs], names=inputs)
    chunk = chunker.chunk(evidence)
    size = batch.num_rows
    ev = evaluator_for(rubric)

    def ints(name: str) -> Any:
        return columns[name].fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)

    def flags(name: str) -> Any:
        return columns[name].fill_null(False).to_numpy(zero_copy_only=False).astype(np.bool_)

    slow = chunk.scalar | columns["error"].is_valid().to_numpy(zero_copy_only=False) | flags("warning")
    items = np.array([ints(f"item_{k}_units") for k in range(1, len(ev.item_plans) + 1)], dtype=np.int64) \
        .reshape(len(ev.item_plans), size)
    applicable = np.array([flags(f"item_{k}_applicable") for k in range(1, len(ev.item_plans) + 1)],
                          dtype=np.bool_).reshape(len(ev.item_plans), size)
    sections = np.array([ints(f"section_{k}_units") for k in range(1, len(ev.sections) + 1)], dtype=np.int64) \
        .reshape(len(ev.sections), size)
    vetoes = [flags(f"veto_{k}") for k in range(1, len(ev.plan.vetoes) + 1)]
    scores = Scores(slow, ints("total_units"), ints("regular_max_units"), vetoes, items, applicable, sections, {})
    codes = {}
    for k, name in enumerate(names, 1):
        code = columns[f"level_{k}_code"].fill_null(-1).to_numpy(zero_copy_only=False)
        codes[name] = np.where(slow, -1, code).astype(code_type(grade_plan(rubric, name)))
    notices = np.array([flags(f"notice_{k}") for k in range(1, len(notice_plans(rubric)) + 1)], dtype=np.bool_) \
        .reshape(len(notice_plans(rubric)), size)
    return assemble(rubric, names, chunk, scores, (codes, np.zeros(0, dtype=np.int64), notices), errors, year)
