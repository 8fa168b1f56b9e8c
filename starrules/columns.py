"""Evidence for many branches as typed columns, a chunk of rows at a time, for the batch engine.

Sources: an Arrow Table, RecordBatch or stream of batches, a pandas or polars DataFrame, a
Parquet file (read a row group at a time), or anything `records.records` reads (evidence dicts,
.jsonl, .csv), gathered into chunks. In a column a null, like an empty CSV cell or a key left
out, means the branch did not give that fact, so its default applies. A row the engine will not
read itself — a key it does not know, 历史, a malformed record — is marked `scalar`, and the
scalar evaluator scores it from `Chunk.evidence(i)`, with its messages.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain, islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal

import attrs
import numpy as np

from .evidence import RESERVED_KEYS, Locate, in_memory, unreadable
from .limits import DEFAULT, Limits
from .records import COLUMN_SUFFIXES, Record, arrow_like, records
from .report import Reporter
from .vector import Flags

Kind = Literal["bool", "int", "float", "object"]
Evidence = tuple[Any, Locate, Reporter]  # the row's data (a mapping, or what a file record held), for the scalar path
_ABSENT = object()


@attrs.frozen(eq=False)
class Column:
    """One key's values: bool, int64 or float64 arrays, or Python objects (text, Decimals, entries)."""

    kind: Kind
    values: np.ndarray[Any, Any]
    present: Flags  # False where the row leaves the key out
    complete: bool = attrs.field(default=attrs.Factory(lambda self: bool(self.present.all()), takes_self=True))

    @classmethod
    def absent(cls, size: int) -> Column:
        return cls("object", np.empty(size, dtype=object), np.zeros(size, dtype=np.bool_))


@attrs.frozen(eq=False)
class Chunk:
    size: int
    columns: dict[str, Column]
    rows: list[int]  # the row numbers messages use: a file's line, else the position from 1
    ids: list[str | None]
    scalar: Flags
    evidence: Callable[[int], Evidence]  # one row as the scalar evaluator reads it


def chunks(data: object, keys: frozenset[str], size: int, limits: Limits = DEFAULT) -> Iterator[Chunk]:
    """`data` in chunks of at most `size` rows; `keys` are those the engine knows (facts, scores
    and ids): rows that give any other key are scored by the scalar evaluator."""
    if isinstance(data, (str, os.PathLike)):
        if Path(data).suffix.lower() in COLUMN_SUFFIXES:
            yield from _arrow_chunks(_parquet_batches(Path(data), size), keys, size)
        else:
            yield from _record_chunks(records(data, limits), keys, size)
    elif arrow_like(data) or not isinstance(data, Iterable):
        yield from _arrow_chunks(_arrow_batches(data), keys, size)
    else:  # evidence mappings, or Arrow record batches
        stream = iter(data)
        first = next(stream, None)
        if first is None:
            return
        if arrow_like(first):
            yield from _arrow_chunks(chain([first], stream), keys, size)
        else:
            yield from _dict_chunks(chain([first], stream), keys, size)


def _dict_chunks(stream: Iterator[Any], keys: frozenset[str], size: int) -> Iterator[Chunk]:
    """Evidence mappings given in memory; a row that is not a mapping goes to the scalar reader."""
    start = 0
    while datas := list(islice(stream, size)):
        def evidence(i: int, datas: list[Any] = datas, start: int = start) -> Evidence:
            return datas[i], in_memory(f"<第 {start + i + 1} 条证据>"), Reporter()
        yield _mapping_chunk(datas, keys, list(range(start + 1, start + len(datas) + 1)), evidence)
        start += len(datas)


def _record_chunks(stream: Iterator[Record], keys: frozenset[str], size: int) -> Iterator[Chunk]:
    while batch := list(islice(stream, size)):
        def evidence(i: int, batch: list[Record] = batch) -> Evidence:
            return batch[i].data, batch[i].locate, batch[i].reporter
        yield _mapping_chunk([r.data for r in batch], keys, [r.row for r in batch], evidence)


def _mapping_chunk(datas: list[Any], keys: frozenset[str], rows: list[int], evidence: Callable[[int], Evidence]) -> Chunk:
    size = len(datas)
    reads = keys - RESERVED_KEYS
    if set(map(type, datas)) != {dict}:  # None for a malformed file record, or some other mapping
        usable = [d if isinstance(d, Mapping) else {} for d in datas]
        scalar = np.fromiter((not isinstance(d, Mapping) or not keys.issuperset(d) for d in datas), np.bool_, size)
        columns = {key: column_of([d.get(key, _ABSENT) for d in usable]) for key in reads}
        return Chunk(size, columns, rows, _ids([d.get("id") for d in usable]), scalar, evidence)
    names = list(datas[0])
    if names and set(map(len, datas)) == {len(names)}:
        try:  # every row has the first row's keys (and no others): read them all at once
            table = list(zip(*map(itemgetter(*names), datas))) if len(names) > 1 else [[d[names[0]] for d in datas]]
            found = dict(zip(names, table))
            scalar = np.full(size, not keys.issuperset(names), dtype=np.bool_)
            columns = {key: column_of(found[key]) for key in reads if key in found}
            return Chunk(size, columns, rows, _ids(found.get("id", [None] * size)), scalar, evidence)
        except KeyError:
            pass
    scalar = ~np.fromiter(map(keys.issuperset, datas), np.bool_, size)
    given = reads.intersection(set().union(*datas))
    columns = {key: column_of(list(map(dict.get, datas, repeat(key), repeat(_ABSENT)))) for key in given}
    return Chunk(size, columns, rows, _ids(list(map(dict.get, datas, repeat("id")))), scalar, evidence)


def _ids(values: Sequence[Any]) -> list[str | None]:
    if set(map(type, values)) == {str}:
        return list(values)
    return [None if v is None else str(v) for v in values]


def column_of(values: Sequence[Any]) -> Column:
    """Python values (`_ABSENT` where a key is left out) as a typed column where they allow it."""
    kinds = set(map(type, values))
    present: Flags
    if object in kinds:  # _ABSENT
        present = np.fromiter((v is not _ABSENT for v in values), np.bool_, len(values))
        kinds.discard(object)
        fill: object = False if kinds == {bool} else 0
        values = [fill if v is _ABSENT else v for v in values]
    else:
        present = np.ones(len(values), dtype=np.bool_)
    try:
        if kinds == {bool}:
            return Column("bool", np.array(values, dtype=np.bool_), present)
        if kinds == {int}:
            return Column("int", np.array(values, dtype=np.int64), present)
        if kinds and kinds <= {int, float}:
            return Column("float", np.array(values, dtype=np.float64), present)
    except OverflowError:  # an int beyond int64: read one by one below
        pass
    objects = np.empty(len(values), dtype=object)
    objects[:] = values
    return Column("object", objects, present)


def _parquet_batches(path: Path, size: int) -> Iterator[Any]:
    parquet = load_pyarrow("parquet")
    try:
        file = parquet.ParquetFile(path)
    except OSError as exc:
        raise unreadable(path, "批量文件", exc) from None
    yield from file.iter_batches(batch_size=size)


def _arrow_batches(data: object) -> Iterator[Any]:
    pa = load_pyarrow()
    if isinstance(data, pa.RecordBatch):
        yield data
    elif isinstance(data, pa.Table):
        yield from data.to_batches()
    elif type(data).__module__.startswith("pandas"):
        yield from pa.Table.from_pandas(data, preserve_index=False).to_batches()
    elif hasattr(data, "to_arrow"):  # polars and other Arrow-speaking frames
        yield from data.to_arrow().to_batches()
    elif isinstance(data, pa.RecordBatchReader):
        yield from data
    else:
        raise TypeError(f"cannot read evidence from {type(data).__name__}: give dicts, a file path, "
                        "an Arrow table or batches, or a pandas or polars DataFrame")


def _arrow_chunks(batches: Iterable[Any], keys: frozenset[str], size: int) -> Iterator[Chunk]:
    start = 0
    for whole in batches:
        for offset in range(0, whole.num_rows, size):
            batch = whole.slice(offset, size)
            yield _arrow_chunk(batch, keys, start)
            start += batch.num_rows


def _arrow_chunk(batch: Any, keys: frozenset[str], start: int) -> Chunk:
    names = batch.schema.names
    if len(set(names)) != len(names):
        raise ValueError(f"columns named more than once: {sorted({n for n in names if names.count(n) > 1})}")
    columns = {name: _arrow_column(batch.column(i)) for i, name in enumerate(names)
               if name in keys and name not in RESERVED_KEYS}
    scalar = np.zeros(batch.num_rows, dtype=np.bool_)
    for i, name in enumerate(names):
        if name not in keys:  # unknown or 历史: those rows that give it go to the scalar reader
            scalar |= batch.column(i).is_valid().to_numpy(zero_copy_only=False)
    ids = _ids(batch.column(names.index("id")).to_pylist() if "id" in names else [None] * batch.num_rows)

    def evidence(i: int) -> Evidence:
        return _row_evidence(batch.slice(i, 1).to_pylist()[0], start + i + 1)
    return Chunk(batch.num_rows, columns, list(range(start + 1, start + batch.num_rows + 1)), ids, scalar, evidence)


def arrow_records(data: object, size: int) -> Iterator[Record]:
    """Arrow-like data or a Parquet path row by row, as the scalar evaluator reads it."""
    path = Path(data) if isinstance(data, (str, os.PathLike)) else None
    row = 0
    for batch in _parquet_batches(path, size) if path is not None else _arrow_batches(data):
        for values in batch.to_pylist():
            row += 1
            yield Record(row, *_row_evidence(values, row))


def _row_evidence(values: dict[str, Any], row: int) -> Evidence:
    """One Arrow row as evidence: a null is a key left out."""
    return {k: v for k, v in values.items() if v is not None}, in_memory(f"<第 {row} 行>"), Reporter()


def _arrow_column(array: Any) -> Column:
    pa, compute = load_pyarrow(), load_pyarrow("compute")
    kind, size = array.type, len(array)
    if array.null_count:
        present = array.is_valid().to_numpy(zero_copy_only=False)
        if pa.types.is_boolean(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind):
            array = compute.fill_null(array, False if pa.types.is_boolean(kind) else 0)
    else:
        present = np.ones(size, dtype=np.bool_)
    if pa.types.is_boolean(kind):
        return Column("bool", array.to_numpy(zero_copy_only=False), present)
    if pa.types.is_integer(kind):
        try:
            return Column("int", compute.cast(array, pa.int64()).to_numpy(zero_copy_only=False), present)
        except pa.ArrowInvalid:  # uint64 beyond int64
            pass
    if pa.types.is_floating(kind):
        return Column("float", compute.cast(array, pa.float64()).to_numpy(zero_copy_only=False), present)
    objects = np.empty(size, dtype=object)
    objects[:] = array.to_pylist()
    return Column("object", objects, present)


def load_pyarrow(module: str = "") -> Any:
    import importlib
    try:
        return importlib.import_module(f"pyarrow.{module}" if module else "pyarrow")
    except ImportError:
        raise ImportError("reading Arrow, Parquet, pandas or polars data needs pyarrow: "
                          "pip install 'starrules[batch]'") from None
