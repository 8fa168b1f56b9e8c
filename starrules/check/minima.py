"""A scheme's 最低要求 table read as conditions: each cell `m` in the column of level L and
the row of value V is the condition `V >= m` on L (LANGUAGE.md §4). The checker type-checks
these comparisons and the plan lowers them with the level's own conditions, so every engine
grades them as it grades any level condition."""

from __future__ import annotations

from ..lang import ast


def level_minima(scheme: ast.Scheme) -> dict[str, tuple[ast.Compare, ...]]:
    """Per level named in the scheme's tables, its minimums as `value >= least`, in row order;
    each comparison's span is its cell's (where a type error points)."""
    found: dict[str, list[ast.Compare]] = {}
    for table in scheme.body:
        if not isinstance(table, ast.Minima):
            continue
        for row in table.rows:
            for level, cell in zip(table.levels, row.cells):
                if cell is not None:
                    found.setdefault(level, []).append(ast.Compare(">=", row.value, cell, cell.span, ">="))
    return {level: tuple(compares) for level, compares in found.items()}
