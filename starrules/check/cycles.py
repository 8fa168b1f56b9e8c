"""Cycles in a graph of names (derived values and scores reading each other, conditions using
each other): one representative cycle per knot, found by an iterative depth-first search, so a
long chain does not reach Python's recursion limit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def cycles(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Each cycle met, as the names on it from where the search entered it, in the graph's order."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the path, 2 done
    for root in graph:
        if state.get(root):
            continue
        path: list[str] = [root]
        iters = [iter(graph.get(root, []))]
        state[root] = 1
        while iters:
            dep = next(iters[-1], None)
            if dep is None:
                state[path.pop()] = 2
                iters.pop()
            elif state.get(dep, 0) == 1:
                found.append(path[path.index(dep):])
            elif state.get(dep, 0) == 0:
                state[dep] = 1
                path.append(dep)
                iters.append(iter(graph.get(dep, [])))
    return found
