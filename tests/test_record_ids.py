"""The E515 id rule kept compactly for the columnar engine: the same refusals as a plain record of
every id seen, chunk by chunk (an independent reference: a dict of text ids)."""

from __future__ import annotations

import builtins
from collections.abc import Callable

import pytest
from hypothesis import given, settings, strategies as st

from starrules.io import record_ids
from starrules.io.record_ids import Ids

ID = st.one_of(st.none(), st.sampled_from(["", " ", "a", "b", "支部-1", "支部-2"]), st.text(max_size=3))
CHUNKS = st.lists(st.lists(ID, max_size=12), max_size=6)


def refused_by_rule(chunks: list[list[str | None]],
                    take: Callable[[Ids, list[str | None], int], bool] = Ids.take_all) -> list[tuple[int, str]]:
    """As columns.py uses the rule: a chunk taken whole (by `take`, from its first row) when it
    can be, else id by id."""
    ids, refused, row = Ids(), [], 0
    for chunk in chunks:
        if not take(ids, chunk, row + 1):
            for i, identifier in enumerate(chunk):
                problem = ids.problem(row + i + 1, identifier)
                if problem is not None:
                    refused.append((row + i + 1, problem[0]))
        row += len(chunk)
    return refused


def refused_by_reference(chunks: list[list[str | None]]) -> list[tuple[int, str]]:
    seen: dict[str, int] = {}
    refused = []
    for row, identifier in enumerate((i for chunk in chunks for i in chunk), 1):
        if identifier is None or not identifier.strip():
            refused.append((row, f"第 {row} 行缺少编号“id”"))
        elif identifier in seen:
            refused.append((row, f"编号“{identifier}”重复(第 {seen[identifier]} 行已经用过)"))
        else:
            seen[identifier] = row
    return refused


@settings(max_examples=300, deadline=None)
@given(CHUNKS)
def test_chunks_are_refused_as_a_record_of_every_id_would(chunks: list[list[str | None]]) -> None:
    assert refused_by_rule(chunks) == refused_by_reference(chunks)


@settings(max_examples=100, deadline=None)
@given(CHUNKS)
def test_a_clash_of_the_first_hash_is_not_a_repeat(chunks: list[list[str | None]]) -> None:
    """Every id given the same first hash: each chunk after the first is checked id by id and
    only ids whose second hash matches too are repeats."""
    def clashing(text: str) -> int:
        return builtins.hash(text) if text.startswith("\x01") else 7
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(record_ids, "hash", clashing, raising=False)
        assert refused_by_rule(chunks) == refused_by_reference(chunks)


def test_many_runs_are_merged_and_still_found() -> None:
    ids = Ids()
    for chunk in range(40):
        assert ids.take_all([f"支部-{chunk}-{n}" for n in range(50)], chunk * 50 + 1)
    assert len(ids.runs) <= 6  # merged as they come: about log₂ of the chunks
    assert not ids.take_all(["新的", "支部-17-3"], 2001)
    assert ids.problem(2001, "新的") is None
    assert ids.problem(2002, "支部-17-3") == ("编号“支部-17-3”重复(第 854 行已经用过)", None)
