"""The rule for the `id` of each record of a batch (E515): a record is known by its id in results
and rankings, so an id missing, blank or already used refuses the record. One rule and one
wording for every source: Parquet and Arrow rows (columns.py) as JSON Lines, CSV and workbook
records.

Ids taken one by one are kept as text. Ids taken a chunk at a time (the columnar engine, millions
of rows) are kept as two independent 64-bit hashes and the row, 24 bytes an id in sorted numpy
runs, instead of a Python string in a dict (about 130 bytes): 5 million ids take 120 MB, not
650 MB. Any chunk with a first-hash match — a real repeat, or a clash of one hash — is checked id
by id, and an id counts as repeated when both hashes match; two different ids share both with a
chance of about n²/2¹²⁹ (10⁻²⁶ for 5 million), far below a disk's undetected error rate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

MISSING_HINT = "每条记录都要有唯一的 id,用来在结果和排名中认出它"
_SALT = "\x01"  # the second hash is of the id behind this prefix: SipHash makes the two independent


class Ids:
    """The ids seen so far in one batch, with the row that first used each."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.runs: list[tuple[Any, Any, Any]] = []  # sorted first hashes, second hashes, rows

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
        if "" in given or any(map(str.isspace, given)) or not self.seen.keys().isdisjoint(given):
            return False
        import numpy as np  # only the columnar engine, which has numpy, takes ids in runs
        first, second = _hashes(np, given)
        order = np.argsort(first, kind="stable")
        first, second = first[order], second[order]
        if len(first) > 1 and bool(np.any(first[1:] == first[:-1])):
            return False
        for hashes, _, _ in self.runs:
            at = np.minimum(np.searchsorted(hashes, first), len(hashes) - 1)
            if bool(np.any(hashes[at] == first)):
                return False
        self.runs.append((first, second, order.astype(np.int64) + first_row))
        self._merge(np)
        return True

    def _taken_in_runs(self, key: str) -> int | None:
        if not self.runs:
            return None
        first, second = hash(key), hash(_SALT + key)
        for hashes, seconds, rows in self.runs:
            at = int(hashes.searchsorted(first))
            while at < len(hashes) and int(hashes[at]) == first:
                if int(seconds[at]) == second:
                    return int(rows[at])
                at += 1
        return None

    def _merge(self, np: Any) -> None:
        """Runs kept at most about log₂ n: the last two merge while the older is not more than
        twice the newer (each id is copied O(log n) times in all)."""
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            newer, older = list(self.runs.pop()), list(self.runs.pop())
            order = np.argsort(np.concatenate((older[0], newer[0])), kind="stable")
            merged = []
            for part in range(3):  # one array at a time, each pair let go once merged: a small peak
                merged.append(np.concatenate((older[part], newer[part]))[order])
                older[part] = newer[part] = None
            self.runs.append((merged[0], merged[1], merged[2]))


def _hashes(np: Any, given: Sequence[str]) -> tuple[Any, Any]:
    size = len(given)
    first = np.fromiter(map(hash, given), dtype=np.int64, count=size)
    second = np.fromiter(map(hash, map(_SALT.__add__, given)), dtype=np.int64, count=size)
    return first, second
