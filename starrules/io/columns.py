"""Evidence for many branches as typed columns, a chunk of rows at a time, for the batch engine.

Sources: an Arrow Table, RecordBatch or stream of batches, a pandas or polars DataFrame, a
Parquet file (read a row group at a time), or anything `records.records` reads (evidence dicts,
.jsonl, .csv), gathered into chunks. In a column a null, like an empty CSV cell or a key left
out, means the branch did not give that fact, so its default applies. A row the engine will not
read itself — a key it does not know, 历史, a malformed record — is marked `scalar`, and the
scalar evaluator scores it from `Chunk.evidence(i)`, with its messages.

Arrow data is checked as a file's records are: a column name given twice is refused (E519), and
so is a row whose `id` is missing, blank or already used (E515) — in a Parquet file always, in
Arrow or pandas data in memory when it has an `id` column. float16 and float32 values are read
through their shortest decimal text, as Python floats are, so a float32 0.1 is 0.1. A file that is
not Parquet, or is empty or broken, is E511.
"""

from __future__ import annotations

import marshal
import os
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import chain, islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal, overload

import attrs
import numpy as np
import numpy.typing as npt

from ..core.bounded import open_regular
from ..core.diagnostics import EvidenceError
from ..plan.evidence import RESERVED_KEYS, Locate, file_error, in_memory, unreadable
from ..core.limits import DEFAULT, Limits
from .record_ids import Ids
from .records import COLUMN_SUFFIXES, arrow_like, records
from .record import Record
from ..core.reporter import Reporter

Kind = Literal["bool", "int", "float", "object"]
Evidence = tuple[Any, Locate, Reporter]  # the row's data (a mapping, or what a file record held), for the scalar path
_ABSENT = object()

Flags = npt.NDArray[np.bool_]  # a column of row flags


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
    ids: Sequence[str | None]  # a list, or ArrowIds (an Arrow text column)
    scalar: Flags
    evidence: Callable[[int], Evidence]  # one row as the scalar evaluator reads it


def chunks(data: object, keys: frozenset[str], size: int, limits: Limits = DEFAULT) -> Iterator[Chunk]:
    """`data` in chunks of at most `size` rows; `keys` are those the engine knows (facts, scores
    and ids): rows that give any other key are scored by the scalar evaluator."""
    if isinstance(data, (str, os.PathLike)):
        if Path(data).suffix.lower() in COLUMN_SUFFIXES:
            yield from _arrow_chunks(_parquet_batches(Path(data), size), keys, size, _IdRule(True))
        else:
            yield from _record_chunks(records(data, limits), keys, size)
    elif arrow_like(data) or not isinstance(data, Iterable):
        yield from _arrow_chunks(_arrow_batches(data), keys, size, _IdRule(False))
    else:  # evidence mappings, or Arrow record batches
        stream = iter(data)
        first = next(stream, None)
        if first is None:
            return
        if arrow_like(first):
            yield from _arrow_chunks(_named_batches(chain([first], stream), _IN_MEMORY), keys, size, _IdRule(False))
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
    # records are read one by one, slowly: the first chunks are small (1024, 4096, 16384 rows, never
    # over `size`) so that a progress display moves from the first rows (scores do not depend on chunks)
    sizes = chain((min(size, 1 << k) for k in (10, 12, 14)), repeat(size))
    while batch := list(islice(stream, next(sizes))):
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
            return _same_keys_chunk(datas, names, keys, reads, rows, evidence)
        except KeyError:
            pass
    scalar = ~np.fromiter(map(keys.issuperset, datas), np.bool_, size)
    given = reads.intersection(set().union(*datas))
    columns = {key: column_of(list(map(dict.get, datas, repeat(key), repeat(_ABSENT)))) for key in given}
    return Chunk(size, columns, rows, _ids(list(map(dict.get, datas, repeat("id")))), scalar, evidence)


def _same_keys_chunk(datas: list[dict[str, Any]], names: list[str], keys: frozenset[str], reads: frozenset[str],
                     rows: list[int], evidence: Callable[[int], Evidence]) -> Chunk:
    """Rows that each have `names` (the first row's keys) and no others; KeyError for a row that
    lacks one. The keys read whose values are all bools, all ints within 32 bits or all floats
    are read through marshal (`_packed_columns`), the others a key at a time by `column_of`."""
    size, first = len(datas), datas[0]
    columns = _packed_columns(datas, [key for key in names if key in reads and _packs(first[key])])
    found = {key: list(map(itemgetter(key), datas)) for key in names if key not in columns}
    columns.update((key, column_of(found[key])) for key in reads if key in found)
    scalar = np.full(size, not keys.issuperset(names), dtype=np.bool_)
    return Chunk(size, columns, rows, _ids(found.get("id", [None] * size)), scalar, evidence)


# marshal (format 2) writes each bool, int and float by its exact type — "T" or "F" for a bool, "i"
# and 4 little-endian bytes for an int within 32 bits, "g" and an 8-byte double for a float — and a
# tuple as "(" and its 4-byte length; an int beyond 32 bits, numpy's scalars ("s", their bytes),
# None and anything else it writes otherwise, and a subclass (IntEnum) it refuses (ValueError).
# So where every value's type byte is its column's, the bytes hold at fixed places exactly what
# column_of reads from those values, and numpy reads each column from them without a Python
# object per value. `_MARSHAL_FITS` checks on import that this Python's marshal writes so.
_WIDTHS: dict[type, int] = {bool: 1, int: 5, float: 9}
_KINDS: dict[type, Kind] = {bool: "bool", int: "int", float: "float"}
_TRUE, _FALSE, _INT, _FLOAT = b"TFig"
_LIST_HEAD = _ROW_HEAD = 5  # "[" or "(", and the length
_BLOCK = 4096  # rows read at a time: their bytes stay in the cache; a key found with a stray value costs a block
_PIECE = 256  # rows marshalled at a time: their tuples are freed before the collector (at 700 new objects) walks them


def _packs(value: Any) -> bool:
    """Whether marshal writes `value` at a fixed width `_Layout` reads."""
    kind = type(value)
    return kind is bool or kind is float or (kind is int and -2**31 <= value < 2**31)


def _marshal_fits() -> bool:
    """Whether this Python's marshal writes as `_Layout` reads (and refuses an int subclass)."""
    class Subclass(int):
        pass
    try:
        marshal.dumps([Subclass(1)], 2)
        return False
    except ValueError:
        pass
    written = marshal.dumps([(True, False, -2, 0.5)], 2)
    return written == b"[\x01\x00\x00\x00(\x04\x00\x00\x00TFi\xfe\xff\xff\xffg" + struct.pack("<d", 0.5)


_MARSHAL_FITS = _marshal_fits()


def _packed_columns(datas: list[dict[str, Any]], packs: list[str]) -> dict[str, Column]:
    """The columns of the keys `packs` (each row has them all, KeyError if not) whose values
    are all of their first value's type (bool, float, or int within 32 bits), read through
    marshal `_BLOCK` rows at a time; a key found with a value of another type is left out (for
    `column_of`) from then on, and what was read of the other keys is kept."""
    if not packs or not _MARSHAL_FITS:
        return {}
    size, first = len(datas), datas[0]
    parts: dict[str, list[np.ndarray[Any, Any]]] = {key: [] for key in packs}
    layout = _Layout.of(packs, [type(first[key]) for key in packs])
    for start in range(0, size, _BLOCK):
        block = datas[start:start + _BLOCK]
        while packs:
            arrays = layout.read(block)
            if arrays is not None:
                for key, values in zip(packs, arrays):
                    parts[key].append(values)
                break
            strays = layout.strays(block)
            packs = [key for j, key in enumerate(packs) if j not in strays] if strays else []
            if packs:
                layout = _Layout.of(packs, [type(first[key]) for key in packs])
    if not packs:
        return {}
    ones = np.ones(size, dtype=np.bool_)
    ones.flags.writeable = False  # shared by these columns, all complete
    return {key: Column(_KINDS[type(first[key])], parts[key][0] if len(parts[key]) == 1 else np.concatenate(parts[key]),
                        ones, True) for key in packs}


@attrs.frozen(eq=False)
class _Layout:
    """Where marshal writes a list of tuples of the values of `keys`, whose types should be
    `types` (bool, int, float): each row's bytes, and in them each value's type byte and the
    bytes of its number, by type (`places`: columns, type bytes, number bytes)."""

    keys: tuple[str, ...]
    types: tuple[type, ...]
    width: int  # a row's bytes
    head: npt.NDArray[np.uint8]  # a row's first bytes: "(" and the tuple's length
    places: tuple[tuple[type, list[int], npt.NDArray[np.intp], npt.NDArray[np.intp]], ...]

    @classmethod
    def of(cls, keys: Sequence[str], types: Sequence[type]) -> _Layout:
        widths = [_WIDTHS[kind] for kind in types]
        starts = np.cumsum([_ROW_HEAD, *widths[:-1]])
        places = []
        for kind, width in _WIDTHS.items():
            which = [j for j, given in enumerate(types) if given is kind]
            if which:
                at = starts[which]
                places.append((kind, which, at, (at[:, None] + np.arange(1, width)).ravel()))
        head = np.frombuffer(b"(" + len(keys).to_bytes(4, "little"), np.uint8)
        return cls(tuple(keys), tuple(types), _ROW_HEAD + sum(widths), head, tuple(places))

    def table(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        getter = itemgetter(*self.keys)
        return list(map(getter, rows)) if len(self.keys) > 1 else list(zip(map(getter, rows)))

    def read(self, rows: list[dict[str, Any]]) -> list[np.ndarray[Any, Any]] | None:
        """The columns of `rows` as bool, int64 and float64 arrays; None where a value is not of
        its column's type, or an int beyond 32 bits."""
        pieces = []
        for start in range(0, len(rows), _PIECE):
            piece = rows[start:start + _PIECE]
            try:
                data = marshal.dumps(self.table(piece), 2)
            except ValueError:  # a value marshal does not write
                return None
            if len(data) != _LIST_HEAD + len(piece) * self.width:
                return None
            pieces.append(memoryview(data)[_LIST_HEAD:])
        # Row by row: a row that starts where it should, with its head, and whose values' type
        # bytes are each its column's, has the widths of the layout's values, so the next row
        # starts where it should too; and the lengths checked above leave room for nothing else.
        matrix = np.frombuffer(b"".join(pieces), np.uint8).reshape(len(rows), self.width)
        if not (matrix[:, :_ROW_HEAD] == self.head).all():
            return None
        out: list[np.ndarray[Any, Any]] = [np.empty(0)] * len(self.types)
        for kind, which, at, number in self.places:
            codes = matrix.take(at, axis=1).T  # a row per column
            if kind is bool:
                truth = np.ascontiguousarray(codes) == _TRUE
                if not (truth | (codes == _FALSE)).all():
                    return None
                read: np.ndarray[Any, Any] = truth
            else:
                if not (codes == (_INT if kind is int else _FLOAT)).all():
                    return None
                numbers = matrix.take(number, axis=1).view("<i4" if kind is int else "<f8")  # little-endian
                read = numbers.T.astype(np.int64 if kind is int else np.float64, order="C")
            for j, values in zip(which, read):
                out[j] = values
        return out

    def strays(self, rows: list[dict[str, Any]]) -> set[int]:
        """The columns with a value in `rows` that `read` refuses."""
        strays = set()
        for j, (kind, values) in enumerate(zip(self.types, zip(*self.table(rows)))):
            if set(map(type, values)) != {kind} or (kind is int and not -2**31 <= min(values) <= max(values) < 2**31):
                strays.add(j)
        return strays


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


_IN_MEMORY = "<批量数据>"  # where a problem with Arrow data given in memory is shown


def _parquet_batches(path: Path, size: int) -> Iterator[Any]:
    """A Parquet file's rows a batch at a time; E511 for a file that is not one (empty, broken,
    or not Parquet at all), E519 for a column name given twice."""
    pa, parquet = load_pyarrow(), load_pyarrow("parquet")
    try:
        stream = open_regular(path)  # a FIFO or a device is refused before it could block or flood
    except OSError as exc:
        raise unreadable(path, "批量文件", exc) from None
    with stream:
        try:
            file = parquet.ParquetFile(stream)
        except (pa.ArrowException, OSError) as exc:
            raise _not_parquet(path, stream, exc) from None
        _check_names(file.schema_arrow.names, str(path))
        read = 0
        # one thread decodes (Arrow's pool would add threads for little: measured) while a
        # second one, here, reads the next batch as the caller scores this one
        batches = file.iter_batches(batch_size=size, use_threads=False)
        with ThreadPoolExecutor(max_workers=1) as ahead:  # on leaving, the batch being read is waited for
            pending = ahead.submit(next, batches, None)
            while True:
                try:
                    batch = pending.result()
                except (pa.ArrowException, OSError):
                    raise file_error(str(path), "E511", f"无法读取批量文件“{path}”:Parquet 文件已损坏"
                                                        f"(读到第 {read} 行后出错)") from None
                if batch is None:
                    return
                pending = ahead.submit(next, batches, None)
                try:  # Parquet does not check text on reading: bytes that are not UTF-8 would fail later, anywhere
                    batch.validate(full=True)
                except pa.ArrowException:
                    raise file_error(str(path), "E511", f"无法读取批量文件“{path}”:第 {read + 1}–"
                                                        f"{read + batch.num_rows} 行中有不是 UTF-8 的文字") from None
                read += batch.num_rows
                yield batch


def _not_parquet(path: Path, stream: Any, exc: Exception) -> EvidenceError:
    if isinstance(exc, OSError) and exc.errno is not None:  # the disk, not the content
        return unreadable(path, "批量文件", exc)
    empty = os.fstat(stream.fileno()).st_size == 0
    reason = "文件是空的" if empty else "不是有效的 Parquet 文件(可能已截断,或不是 Parquet 格式)"
    return file_error(str(path), "E511", f"无法读取批量文件“{path}”:{reason}")


def _check_names(names: Sequence[str], where: str) -> None:
    """E519 for a column name given twice: one of the two would be lost unseen."""
    first: dict[str, int] = {}
    for number, name in enumerate(names, 1):
        if name in first:
            raise file_error(where, "E519", f"列名“{name}”重复(第 {first[name]} 列和第 {number} 列)")
        first[name] = number


def _arrow_batches(data: object) -> Iterator[Any]:
    pa = load_pyarrow()
    if isinstance(data, pa.RecordBatch):
        batches: Iterable[Any] = [data]
    elif isinstance(data, pa.Table):
        batches = data.to_batches()
    elif type(data).__module__.startswith("pandas"):
        frame: Any = data
        _check_names([str(name) for name in frame.columns], _IN_MEMORY)  # from_pandas would name them so
        batches = pa.Table.from_pandas(data, preserve_index=False).to_batches()
    elif hasattr(data, "to_arrow"):  # polars and other Arrow-speaking frames
        batches = data.to_arrow().to_batches()
    elif isinstance(data, pa.RecordBatchReader):
        batches = data
    else:
        raise TypeError(f"cannot read evidence from {type(data).__name__}: give dicts, a file path, "
                        "an Arrow table or batches, or a pandas or polars DataFrame")
    yield from _named_batches(batches, _IN_MEMORY)


def _named_batches(batches: Iterable[Any], where: str) -> Iterator[Any]:
    """Batches given in memory, each checked for a column name given twice (E519)."""
    for batch in batches:
        _check_names(batch.schema.names, where)
        yield batch


def _decimal_floats(batch: Any) -> Any:
    """float16 and float32 columns as float64 through their shortest decimal text (numpy's), so
    they follow the rule for Python floats: a float32 0.1 is read as 0.1, not 0.100000001490116."""
    pa = load_pyarrow()
    narrow = [i for i, field in enumerate(batch.schema)
              if pa.types.is_float16(field.type) or pa.types.is_float32(field.type)]
    if not narrow:
        return batch
    columns = list(batch.columns)
    for i in narrow:
        array = columns[i]
        wide = np.asarray(array.to_numpy(zero_copy_only=False)).astype(str).astype(np.float64)
        columns[i] = pa.array(wide, mask=array.is_null().to_numpy(zero_copy_only=False))
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


@attrs.define
class _IdRule:
    """Every row of a Parquet file needs its own id, as every record of a JSON Lines file does
    (E515); Arrow data in memory needs one only when it has an `id` column (dicts need none)."""

    required: bool
    ids: Ids = attrs.Factory(Ids)

    def check(self, array: Any, rows: int, start: int) -> tuple[Sequence[str | None], dict[int, Evidence]]:
        """The chunk's ids (`array`: its `id` column, None when there is none) and the rows (by
        index in the chunk) refused for their ids, as the scalar path's evidence. A text column
        is checked and taken from its buffers, and its ids stay Arrow text until read."""
        if array is None:
            return [None] * rows, self.problems(None, rows, start)
        if _is_text(array.type):
            if self.ids.take_arrow(array, start + 1):
                return ArrowIds(array), {}
            given = _ids(array.to_pylist())
            return given, self.one_by_one(given, start)
        given = _ids(array.to_pylist())
        return given, self.problems(given, rows, start)

    def problems(self, identifiers: Sequence[str | None] | None, rows: int, start: int) -> dict[int, Evidence]:
        """The rows (by index in the chunk) refused for their ids, as the scalar path's evidence;
        `identifiers` is None when there is no id column."""
        if identifiers is None:
            if not self.required:
                return {}
            identifiers = [None] * rows
        elif self.ids.take_all(identifiers, start + 1):
            return {}
        return self.one_by_one(identifiers, start)

    def one_by_one(self, identifiers: Sequence[str | None], start: int) -> dict[int, Evidence]:
        refused: dict[int, Evidence] = {}
        for i, identifier in enumerate(identifiers):
            problem = self.ids.problem(start + i + 1, identifier)
            if problem is not None:
                refused[i] = _refused(start + i + 1, *problem)
        return refused


def _is_text(kind: Any) -> bool:
    pa = load_pyarrow()
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


class ArrowIds(Sequence[str | None]):
    """A chunk's ids as the Arrow text column they came in: a Python str is made only for an id
    read (`ResultBatch.ids` makes the list on first use; Parquet output writes the column as it is)."""

    __slots__ = ("array",)

    def __init__(self, array: Any) -> None:
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    @overload
    def __getitem__(self, index: int) -> str | None: ...
    @overload
    def __getitem__(self, index: slice) -> list[str | None]: ...

    def __getitem__(self, index: int | slice) -> str | None | list[str | None]:
        if isinstance(index, slice):
            return list(self.array[index].to_pylist())
        value: str | None = self.array[index].as_py()
        return value

    def __iter__(self) -> Iterator[str | None]:
        return iter(self.array.to_pylist())


def _refused(row: int, message: str, hint: str | None) -> Evidence:
    reporter = Reporter()
    locate = in_memory(f"<第 {row} 行>")
    reporter.report("E515", message, locate("id"), hint)
    return None, locate, reporter


def _arrow_chunks(batches: Iterable[Any], keys: frozenset[str], size: int, rule: _IdRule) -> Iterator[Chunk]:
    start = 0
    for whole in batches:
        whole = _decimal_floats(whole)
        for offset in range(0, whole.num_rows, size):
            batch = whole.slice(offset, size)
            yield _arrow_chunk(batch, keys, start, rule)
            start += batch.num_rows


def _arrow_chunk(batch: Any, keys: frozenset[str], start: int, rule: _IdRule) -> Chunk:
    names = batch.schema.names
    size = batch.num_rows
    ones = np.ones(size, dtype=np.bool_)
    ones.flags.writeable = False  # shared by every complete column of the chunk
    columns = {name: _arrow_column(batch.column(i), ones) for i, name in enumerate(names)
               if name in keys and name not in RESERVED_KEYS}
    scalar = np.zeros(size, dtype=np.bool_)
    for i, name in enumerate(names):
        if name not in keys:  # unknown or 历史: those rows that give it go to the scalar reader
            scalar |= batch.column(i).is_valid().to_numpy(zero_copy_only=False)
    ids, refused = rule.check(batch.column(names.index("id")) if "id" in names else None, size, start)
    for i in refused:
        scalar[i] = True

    def evidence(i: int) -> Evidence:
        if i in refused:
            return refused[i]
        return _row_evidence(batch.slice(i, 1).to_pylist()[0], start + i + 1)
    return Chunk(size, columns, list(range(start + 1, start + size + 1)), ids, scalar, evidence)


class ArrowChunker:
    """Arrow record batches of one stream made chunks one after another, rows numbered on from
    the last batch's and ids checked across the stream (every row needs one when `from_file`)."""

    def __init__(self, keys: frozenset[str], from_file: bool) -> None:
        self.keys, self.rule, self.start = keys, _IdRule(from_file), 0

    def chunk(self, batch: Any) -> Chunk:
        found = _arrow_chunk(_decimal_floats(batch), self.keys, self.start, self.rule)
        self.start += batch.num_rows
        return found


def arrow_records(data: object, size: int) -> Iterator[Record]:
    """Arrow-like data or a Parquet path row by row, as the scalar evaluator reads it, with the
    checks of `chunks` (E511, E519, E515)."""
    if isinstance(data, (str, os.PathLike)):
        batches, rule = _parquet_batches(Path(data), size), _IdRule(True)
    else:
        batches, rule = _arrow_batches(data), _IdRule(False)
    row = 0
    for batch in batches:
        batch = _decimal_floats(batch)
        has_ids = "id" in batch.schema.names
        for values in batch.to_pylist():
            row += 1
            problem = rule.ids.problem(row, values.get("id")) if has_ids or rule.required else None
            if problem is not None:
                yield Record(row, *_refused(row, *problem))
            else:
                yield Record(row, *_row_evidence(values, row))


def _row_evidence(values: dict[str, Any], row: int) -> Evidence:
    """One Arrow row as evidence: a null is a key left out."""
    return {k: v for k, v in values.items() if v is not None}, in_memory(f"<第 {row} 行>"), Reporter()


def _arrow_column(array: Any, ones: Flags | None = None) -> Column:
    """One Arrow column as a typed column; `ones`, when given, is the chunk's shared (read-only)
    `present` of a column without nulls."""
    pa, compute = load_pyarrow(), load_pyarrow("compute")
    kind, size = array.type, len(array)
    complete = not array.null_count
    if not complete:
        present = array.is_valid().to_numpy(zero_copy_only=False)
        if pa.types.is_boolean(kind) or pa.types.is_integer(kind) or pa.types.is_floating(kind):
            array = compute.fill_null(array, False if pa.types.is_boolean(kind) else 0)
    else:
        present = ones if ones is not None else np.ones(size, dtype=np.bool_)
    if pa.types.is_boolean(kind):
        return Column("bool", _bools(array), present, complete)
    if pa.types.is_integer(kind):
        try:
            wide = array if kind == pa.int64() else compute.cast(array, pa.int64())
            return Column("int", wide.to_numpy(zero_copy_only=False), present, complete)
        except pa.ArrowInvalid:  # uint64 beyond int64
            pass
    if pa.types.is_floating(kind):
        wide = array if kind == pa.float64() else compute.cast(array, pa.float64())
        return Column("float", wide.to_numpy(zero_copy_only=False), present, complete)
    objects = np.empty(size, dtype=object)
    objects[:] = array.to_pylist()
    return Column("object", objects, present, complete)


def _bools(array: Any) -> Flags:
    """An Arrow bool array's values (nulls as stored) as numpy bools, unpacked from its bitmap
    (ten times faster than `to_numpy`, which goes through Arrow's cast)."""
    data = array.buffers()[1]
    if data is None or not len(array):
        flags: Flags = array.to_numpy(zero_copy_only=False)
        return flags
    start = array.offset
    packed = np.frombuffer(data, dtype=np.uint8)[start // 8:(start + len(array) + 7) // 8 + 1]
    return np.unpackbits(packed, bitorder="little")[start % 8:start % 8 + len(array)].view(np.bool_)


def load_pyarrow(module: str = "") -> Any:
    import importlib
    try:
        return importlib.import_module(f"pyarrow.{module}" if module else "pyarrow")
    except ImportError:
        raise ImportError("reading Arrow, Parquet, pandas or polars data needs pyarrow: "
                          "pip install 'starrules[batch]'") from None
