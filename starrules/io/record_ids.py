"""The rule for the `id` of each record of a batch (E515): a record is known by its id in results
and rankings, so an id missing, blank or already used refuses the record. One rule and one
wording for every source: Parquet and Arrow rows (columns.py) as JSON Lines, CSV and workbook
records.

Ids taken one by one are kept as text in a dict. Ids taken a chunk at a time (the columnar engine,
millions of rows) are kept as sorted numpy runs of a 64-bit hash and a serial number (16 bytes an
id), beside the ids' own text as it came (an Arrow string column holds it in its UTF-8 length
plus 4 bytes), and a bit filter of the hashes (at most 32 MiB) that rules out nearly every new id
without a look-up: 5 million ids of 14 bytes take about 200 MB, not the 650 MB of a dict.
The hash is computed for a whole Arrow column at once from its buffers, eight bytes at a time
(`_hash_utf8`); it only finds candidates: an id is a repeat when its text equals the earlier
one's, so a clash of hashes costs time (the chunk is checked id by id), never a wrong answer."""

from __future__ import annotations

import secrets
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any, cast

MISSING_HINT = "每条记录都要有唯一的 id,用来在结果和排名中认出它"

# every character str.isspace() (and so str.strip()) knows, in CPython 3.11's Unicode database;
# tests/test_columnar.py checks the list against every code point
_SPACES = ("\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
           "\u200a\u2028\u2029\u202f\u205f\u3000")
# the first UTF-8 byte of each: an id whose first byte is none of these (and is not empty) is not blank
_SPACE_LEADS = frozenset(c.encode()[0] for c in _SPACES)
_LONG = 256  # ids of more UTF-8 bytes than this are hashed one by one (hash() of their bytes)
_FILTER_BITS = (20, 28)  # the filter's size: 2**20 bits, growing with the ids to 2**28 (32 MiB)
_SMALL = 1 << 16  # runs merged two by two up to this size
_SEED = secrets.randbits(64)  # per process: crafted ids cannot count on clashing (which only costs time)


class Ids:
    """The ids seen so far in one batch, with the row that first used each."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.runs: list[tuple[Any, Any]] = []  # sorted hashes (uint64), serials (int64)
        # the text and row of each serial: (first serial, ids, first row or the rows), serials ascending
        self.sources: list[tuple[int, Any, int | list[int]]] = []
        self.serials = 0
        self.filter: Any = None  # a bit per value of the top `bits` bits of the hashes taken in runs
        self.bits = _FILTER_BITS[0]

    def problem(self, row: int, identifier: object) -> tuple[str, str | None] | None:
        """E515's message and hint for the record at `row`, or None when its id is fine (it is
        then taken: a later record with the same id is refused)."""
        if identifier is None or str(identifier).strip() == "":
            return f"第 {row} 行缺少编号“id”", MISSING_HINT
        key = str(identifier)
        first = self.seen.get(key)
        if first is None:
            first = self._taken_in_runs(key)
        if first is None:
            self.seen[key] = row
        elif first != row:
            return f"编号“{identifier}”重复(第 {first} 行已经用过)", None
        return None

    def take_all(self, identifiers: Sequence[str | None], first_row: int) -> bool:
        """Take a run of ids at once when every one is given, not blank and new (the common case,
        checked and taken at C speed); False, taking none, when any is not or might not be:
        check those one by one with `problem`."""
        if not identifiers:
            return True
        if None in identifiers:
            return False
        given = cast("Sequence[str]", identifiers)
        if "" in given or any(map(str.isspace, given)):
            return False
        import numpy as np  # only the columnar engine, which has numpy, takes ids in runs
        offsets, data = _utf8(np, given)
        return self._take(np, _hash_utf8(np, offsets, data, given), list(given), first_row)

    def take_arrow(self, array: Any, first_row: int) -> bool:
        """`take_all` for an Arrow string or large_string column: its text is hashed from its
        buffers and kept as it is (no Python str per id)."""
        import numpy as np
        size = len(array)
        if not size:
            return True
        if array.null_count:
            return False
        offsets, data = _arrow_utf8(np, array)
        lengths = np.diff(offsets)
        leads = np.zeros(256, dtype=np.bool_)
        leads[list(_SPACE_LEADS)] = True
        padded = np.concatenate((data, np.zeros(1, dtype=np.uint8)))  # an empty id at the end reads the pad
        maybe_blank = (lengths == 0) | leads[padded[offsets[:-1] - offsets[0]]]
        for i in np.flatnonzero(maybe_blank):
            if array[int(i)].as_py().strip() == "":
                return False
        return self._take(np, _hash_utf8(np, offsets, data, array), array, first_row)

    def _take(self, np: Any, hashes: Any, source: Any, first_row: int) -> bool:
        self._keep_seen(np)
        order = np.argsort(hashes)
        ordered = hashes[order]
        if len(ordered) > 1 and bool(np.any(ordered[1:] == ordered[:-1])):
            return False
        self._size_filter(np, len(ordered))
        slots = _filter_slots(np, ordered, self.bits)
        if self.runs:
            # the filter rules out nearly every id at once; the few it does not are looked up
            byte, bit = slots
            candidates = ordered[(self.filter[byte] & bit) != 0]
            for run, _ in self.runs:
                if len(candidates):
                    at = np.minimum(np.searchsorted(run, candidates), len(run) - 1)
                    if bool(np.any(run[at] == candidates)):
                        return False
        self._add(np, ordered, order.astype(np.int64), source, first_row, slots)
        return True

    def _keep_seen(self, np: Any) -> None:
        """Ids taken one by one move into a run before ids are next taken at once, so that check
        reads runs alone."""
        if not self.seen:
            return
        texts, rows = list(self.seen), list(self.seen.values())
        offsets, data = _utf8(np, texts)
        hashes = _hash_utf8(np, offsets, data, texts)
        order = np.argsort(hashes)
        self._add(np, hashes[order], order.astype(np.int64), texts, rows)
        self.seen = {}

    def _add(self, np: Any, hashes: Any, positions: Any, source: Any, rows: int | list[int],
             slots: tuple[Any, Any] | None = None) -> None:
        """A run of sorted hashes, `positions` their places in `source` (whose first row is
        `rows`, or whose rows are `rows`), and their bits set in the filter (`slots`, when
        given, for the filter's present size)."""
        self.sources.append((self.serials, source, rows))
        self.runs.append((hashes, positions + self.serials))
        self.serials += len(hashes)
        if not self._size_filter(np, 0):  # (a filter made anew holds every run already)
            self._mark(np, *(slots or _filter_slots(np, hashes, self.bits)))
        self._merge(np)

    def _size_filter(self, np: Any, coming: int) -> bool:
        """A filter of at least 64 bits per id (so about 1.6 % of new ids are looked up), up to
        2**28 bits: a bit per value of the top `bits` bits of the hashes in runs (a clear bit: no
        run holds the hash). Made at the first run, and made anew four times larger from the
        runs as ids come; True when made anew."""
        bits = self.bits
        while bits < _FILTER_BITS[1] and (self.serials + coming) * 64 > 1 << bits:
            bits += 2
        if self.filter is not None and bits == self.bits:
            return False
        self.bits, self.filter = bits, np.zeros(1 << (bits - 3), dtype=np.uint8)
        for hashes, _ in self.runs:
            self._mark(np, *_filter_slots(np, hashes, bits))
        return True

    def _mark(self, np: Any, byte: Any, bit: Any) -> None:
        """Set the filter's bits of sorted hashes: sorted bytes, so each byte's bits are or-ed
        together and set at once."""
        starts = np.flatnonzero(np.concatenate(([True], byte[1:] != byte[:-1])))
        self.filter[byte[starts]] |= np.bitwise_or.reduceat(bit, starts)

    def _text_and_row(self, serial: int) -> tuple[str, int]:
        at = bisect_right(self.sources, serial, key=lambda source: source[0]) - 1
        start, source, rows = self.sources[at]
        text = source[serial - start]
        if not isinstance(text, str):  # an Arrow scalar
            text = text.as_py()
        return text, (rows + serial - start if isinstance(rows, int) else rows[serial - start])

    def _taken_in_runs(self, key: str) -> int | None:
        if not self.runs:
            return None
        import numpy as np
        offsets, data = _utf8(np, [key])
        wanted = _hash_utf8(np, offsets, data, [key])[0]
        for hashes, serials in self.runs:
            at = int(hashes.searchsorted(wanted))
            while at < len(hashes) and hashes[at] == wanted:
                text, row = self._text_and_row(int(serials[at]))
                if text == key:
                    return row
                at += 1
        return None

    def _merge(self, np: Any) -> None:
        """Small runs (together at most `_SMALL` ids) merge two by two as they come, about equal
        in size; larger ones sixteen at a time, so each id is copied about log₁₆ n times in all.
        That leaves a few runs of each size (the filter, not the number of runs, keeps the
        look-ups few)."""
        runs = self.runs
        while len(runs) >= 2:
            older, newer = len(runs[-2][0]), len(runs[-1][0])
            if older <= 2 * newer and older + newer <= _SMALL:
                fan = 2
            elif len(runs) >= 16 and len(runs[-16][0]) <= 2 * newer:
                fan = 16
            else:
                return
            parts = [list(runs.pop()) for _ in range(fan)][::-1]
            order = np.argsort(np.concatenate([part[0] for part in parts]), kind="stable")  # sorted runs: merged
            merged = []
            for k in range(2):  # one array at a time, each let go once merged: a small peak
                merged.append(np.concatenate([part[k] for part in parts])[order])
                for part in parts:
                    part[k] = None
            runs.append((merged[0], merged[1]))


def _utf8(np: Any, texts: Sequence[str]) -> tuple[Any, Any]:
    """Offsets (int64, one more than the texts) and the bytes of the texts' UTF-8 one after
    another (lone surrogates kept as they are encoded by surrogatepass: only hashed)."""
    encoded = [text.encode("utf-8", "surrogatepass") for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
    return offsets, np.frombuffer(b"".join(encoded), dtype=np.uint8)


def _arrow_utf8(np: Any, array: Any) -> tuple[Any, Any]:
    """The offsets (int64, absolute in the data buffer) and data bytes of an Arrow string or
    large_string array, without a copy of the text."""
    _, offsets_buffer, data_buffer = array.buffers()
    wide = str(array.type) == "large_string"
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64 if wide else np.int32)
    offsets = offsets[array.offset:array.offset + len(array) + 1].astype(np.int64)
    data = np.zeros(0, dtype=np.uint8) if data_buffer is None else np.frombuffer(data_buffer, dtype=np.uint8)
    start, end = int(offsets[0]), int(offsets[-1])
    return offsets, data[start:end] if start else data[:end]


def _filter_slots(np: Any, hashes: Any, bits: int) -> tuple[Any, Any]:
    """The byte (intp) and bit (a uint8 mask) of each hash in a filter of 2**bits bits."""
    byte = (hashes >> np.uint64(64 - bits + 3)).astype(np.intp)
    bit = np.left_shift(np.uint8(1), ((hashes >> np.uint64(64 - bits)) & np.uint64(7)).astype(np.uint8))
    return byte, bit


_MASKS = tuple((1 << (8 * k)) - 1 for k in range(9))  # the low k bytes of a word


def _hash_utf8(np: Any, offsets: Any, data: Any, texts: Any) -> Any:
    """A 64-bit hash (uint64) of each text from its UTF-8 bytes: its length, then its bytes
    eight at a time (little-endian words, the last one zero-filled), each mixed by a multiply and
    a shift; texts longer than `_LONG` bytes by Python's hash() of their bytes. Texts are only
    candidates when their hashes are equal (the caller compares the text), so the hash needs to
    spread, not to resist: the seed is drawn per process."""
    size = len(offsets) - 1
    base = offsets - offsets[0]
    lengths = np.diff(offsets)
    with np.errstate(over="ignore"):
        hashes = (lengths.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(_SEED)
        words = -(-int(min(lengths.max(initial=0), _LONG)) // 8)
        if words:
            padded = np.zeros(len(data) + 8, dtype=np.uint8)
            padded[:len(data)] = data
            # every 8 bytes starting at each byte, as a little-endian word (overlapping, unaligned)
            view = np.ndarray((len(data) + 1,), dtype="<u8", buffer=padded, strides=(1,))
            masks = np.array(_MASKS, dtype=np.uint64)
            starts = base[:-1]
            rows = None  # the texts with a word at `w` (None: all of them)
            width = int(lengths[0]) if size and int(lengths.min()) == int(lengths.max()) else 0
            for w in range(words if not width else 0):  # texts of one length: strided words below
                if rows is None and int(lengths.min()) <= 8 * w:
                    rows = np.flatnonzero(lengths > 8 * w)
                elif rows is not None:
                    rows = rows[lengths[rows] > 8 * w]
                part = hashes if rows is None else hashes[rows]
                left = lengths - 8 * w if rows is None else lengths[rows] - 8 * w
                word = view[(starts if rows is None else starts[rows]) + 8 * w] & masks[np.minimum(left, 8)]
                part ^= word
                part *= np.uint64(0xBF58476D1CE4E5B9)
                part ^= part >> np.uint64(31)
                if rows is not None:
                    hashes[rows] = part
            for w in range(words if width else 0):
                # text i's word w starts at byte i × width + 8w: a strided view, no gather
                word = np.ndarray((size,), dtype="<u8", buffer=padded, offset=8 * w, strides=(width,))
                hashes ^= word & masks[min(width - 8 * w, 8)]
                hashes *= np.uint64(0xBF58476D1CE4E5B9)
                hashes ^= hashes >> np.uint64(31)
        hashes ^= hashes >> np.uint64(32)
        hashes *= np.uint64(0x94D049BB133111EB)
        hashes ^= hashes >> np.uint64(29)
    for i in np.flatnonzero(lengths > _LONG):
        text = texts[int(i)]
        text = text if isinstance(text, str) else text.as_py()
        hashes[i] = hash(text.encode("utf-8", "surrogatepass")) & 0xFFFFFFFFFFFFFFFF
    return hashes
