"""Single-branch evaluation speed for a 40-item rubric (8 sections × 5 items).

Run: python benchmarks/bench_eval.py
Baseline, measured in the same run on the same evidence: a hand-written Python function for
the same rubric (plain ints on the 0.5 grid, constant keys built once, no validation beyond dict
lookups, no trace). benchmarks/bench_engines.py has the fuller comparison (graded, batch, numpy).
Reported: µs per branch and the ratio to that baseline for `evaluate` with the full trace and
for `evaluate(explain=False)`, both through the generated fast path; both include reading and
validating the evidence dict. A result's sections, items and traces are built when first read,
so two more rows pay for that too: every item read, and every trace read (the traced
evaluator, the reference, runs then). The last row is the reference reading a mapping that is
not a dict, the path unusual evidence takes.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from starrules import loads

SECTIONS, ITEMS = 8, 5


def rubric_text() -> str:
    facts = []
    sections = []
    for s in range(SECTIONS):
        items = []
        for i in range(ITEMS):
            n = s * ITEMS + i
            facts.append(f"事实 达标{n}: 是否 默认 是\n    事实 问题{n}: 计数 默认 0")
            if i == ITEMS - 1:
                items.append(f"项目 项{n} 4分 {{ 酌情 扣 1分 如果 非 达标{n} }}")
            else:
                items.append(f"项目 项{n} 4分 {{ 扣 2分 如果 非 达标{n} 每 问题{n} 扣 0.5分 扣完为止 "
                             f"不得分 如果 问题{n} > 5 }}")
        sections.append(f"类型 类{s} 20分 {{ {' '.join(items)} }}")
    return f"标准 基准 {{ 满分 160 精度 0.5\n    {chr(10).join(facts)}\n    {chr(10).join(sections)} }}"


# The keys of each item, built once: the hand-written function reads constant keys, as a
# function written for one rubric does (not f-strings rebuilt on every call).
JUDGED_ITEMS = tuple((f"项{n}", f"达标{n}") for n in range(SECTIONS * ITEMS) if n % ITEMS == ITEMS - 1)
RULE_ITEMS = tuple((f"达标{n}", f"问题{n}") for n in range(SECTIONS * ITEMS) if n % ITEMS != ITEMS - 1)
SECTION_KEYS = tuple((RULE_ITEMS[s * (ITEMS - 1):(s + 1) * (ITEMS - 1)], JUDGED_ITEMS[s]) for s in range(SECTIONS))


def hand_written(evidence: dict[str, Any]) -> int:
    """The same rubric by hand, in half-points: what an embedding system might write itself
    (constant keys, ints; missing keys take the rubric's defaults)."""
    get = evidence.get
    total = 0
    for rules, (judged, ok_key) in SECTION_KEYS:
        section = 0
        for ok_key_n, problems_key in rules:
            problems = get(problems_key, 0)
            if problems > 5:
                continue
            score = 8 - problems - (0 if get(ok_key_n, True) else 4)
            if score > 0:
                section += score
        score = int(evidence[judged] * 2) - (0 if get(ok_key, True) else 2)
        if score > 0:
            section += score
        total += section if section < 40 else 40
    return total


def branches(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        evidence: dict[str, Any] = {}
        for n in range(SECTIONS * ITEMS):
            if (n % ITEMS) == ITEMS - 1:
                evidence[f"项{n}"] = rng.randrange(0, 9) / 2
            else:
                evidence[f"达标{n}"] = rng.random() > 0.2
                evidence[f"问题{n}"] = rng.choice([0, 0, 0, 1, 2, 7])
        out.append(evidence)
    return out


def per_branch(run: Callable[[dict[str, Any]], object], data: list[dict[str, Any]], repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for evidence in data:
            run(evidence)
        times.append((time.perf_counter() - start) / len(data))
    return statistics.median(times) * 1e6


def main() -> None:
    rubric = loads(rubric_text())
    data = branches(2000)
    for evidence in data[:200]:  # the same answers before timing anything
        assert rubric.evaluate(evidence).total * 2 == hand_written(evidence)
    baseline = per_branch(hand_written, data)
    traced = per_branch(rubric.evaluate, data)
    fast = per_branch(lambda e: rubric.evaluate(e, explain=False), data)
    items = per_branch(lambda e: rubric.evaluate(e, explain=False).items, data)
    traces = per_branch(lambda e: [i.trace for i in rubric.evaluate(e).items], data)
    reference = per_branch(lambda e: rubric.evaluate(MappingProxyType(e), explain=False).items, data)
    print(f"{'path':<44}{'µs/branch':>10}{'ratio':>8}")
    for label, value in (("hand-written function (baseline)", baseline), ("evaluate (full trace)", traced),
                         ("evaluate(explain=False)", fast), ("evaluate(explain=False), every item read", items),
                         ("evaluate, every trace read", traces),
                         ("reference evaluator (not a dict), items read", reference)):
        print(f"{label:<44}{value:>10.1f}{value / baseline:>8.1f}")


if __name__ == "__main__":
    main()
