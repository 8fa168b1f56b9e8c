"""Many branches at once: the batch engine against the fair baselines of bench_engines.py.

Run: python benchmarks/bench_batch.py [--rows N]
Needs numpy and pyarrow (pip install 'starrules[batch]').

Part 1 (benchmarks/engines40.rubric and the seeded branches of bench_engines.py, each with an
id; every mode graded under the rubric's 星级, the same data for every row of the table):
  baseline   (a) of bench_engines.py: a hand-written loop over a static item table, constant
             keys, integer half-points, total and stars, one call per branch, on dicts
  kernel     (c) of bench_engines.py: numpy int64 over prebuilt columns (the limit)
  columns    evaluate_columns on an Arrow table (scores and the level column)
  dicts      evaluate_columns on the same branches as Python dicts
  fast       rubric.evaluate(e, explain=False) per branch, level read
  traced     rubric.evaluate(e) per branch, level and every item's trace read
Each mode also runs alone in a child process for its peak memory (RSS, and above the data).
Part 2: the bundled 两新 rubric on generated branches (no hand-written function: µs only).
Parquet to Parquet at scale (5,000,000 branches) is `bench_engines.py --big N`; the full
comparison with every path and ratio is `bench_engines.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engines import RUBRIC, SCHEME, branch_columns, branch_ids, hand_loop, judged_units, \
    numpy_kernel  # noqa: E402

from starrules import Rubric, load  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def generated(rubric: Rubric, rows: int, seed: int = 7) -> pa.Table:
    """Seeded branches for any rubric: facts (80% of conditions met, mostly no problems, hours
    and rates in plausible ranges), every 酌情 score on the grid and every 分档 level."""
    rng = np.random.default_rng(seed)
    ev = rubric.evaluator
    spec = ev.evidence_spec
    columns: dict[str, Any] = {"id": pa.array([f"支部-{n:07d}" for n in range(rows)])}
    for name, fact in ev.facts.items():
        kind = fact.type.kind
        if kind == "bool":
            columns[name] = rng.random(rows) > 0.2
        elif kind == "count":
            columns[name] = rng.choice(np.array([0, 0, 0, 1, 2, 7]), rows)
        elif kind == "number":
            columns[name] = rng.integers(0, 161, rows) / 2
        elif kind == "ratio":
            columns[name] = rng.integers(50, 101, rows) / 100
        else:
            columns[name] = pa.array(rng.choice(np.array(fact.type.choices), rows))
    step = float(ev.grid.step)
    for name in spec.judged:
        if name in spec.levels:
            columns[name] = pa.array(rng.choice(np.array(list(spec.levels[name])), rows))
        else:
            low, high = spec.unit_ranges[name]
            columns[name] = rng.integers(low, high + 1, rows) * step
    return pa.table(columns)


def timed(run: Callable[[], object], repeats: int = 3) -> float:
    """Median seconds of `repeats` runs after a warm-up run."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


SCALAR_ROWS = 5_000  # the per-branch paths are timed on the first rows only: their µs/branch do not depend on N
TRACED_ROWS = 500


def modes(rubric: Rubric, table: pa.Table, dicts: list[dict[str, Any]]) -> dict[str, tuple[Callable[[], object], int]]:
    """Each mode's run and how many branches it scores; graded under the rubric's schemes."""
    schemes = list(rubric.schemes)

    def drain(data: object) -> None:
        for batch in rubric.evaluate_columns(data):
            batch.total, [batch.levels[name] for name in schemes]

    few, fewer = dicts[:SCALAR_ROWS], dicts[:TRACED_ROWS]
    return {
        "columns": (lambda: drain(table), len(dicts)),
        "dicts": (lambda: drain(dicts), len(dicts)),
        "fast": (lambda: [(r.total, [r.level(name).level for name in schemes])
                          for r in (rubric.evaluate(e, explain=False) for e in few)], len(few)),
        "traced": (lambda: [(r.total, [r.level(name).level for name in schemes], [i.trace for i in r.items])
                            for r in (rubric.evaluate(e) for e in fewer)], len(fewer)),
    }


def engines40(rows: int) -> tuple[Rubric, pa.Table, list[dict[str, Any]], dict[str, np.ndarray]]:
    rubric = load(RUBRIC)
    columns = branch_columns(rows)
    table = pa.table({"id": branch_ids(0, rows), **columns})
    return rubric, table, table.to_pylist(), judged_units(columns)


def rss() -> int:
    """Current resident memory in bytes."""
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak() -> int:
    """This process's peak resident memory in bytes (VmHWM: unlike ru_maxrss, not carried over
    from the parent that started it)."""
    with open("/proc/self/status") as stream:
        line = next(line for line in stream if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def child(mode: str, rows: int) -> None:
    """One mode alone: its peak memory, whole and above the data it was given."""
    rubric, table, dicts, prebuilt = engines40(rows)
    if mode == "baseline":
        run: Callable[[], object] = lambda: [hand_loop(e) for e in dicts]
    elif mode == "kernel":
        run = lambda: numpy_kernel(prebuilt)  # noqa: E731
    else:
        run = modes(rubric, table, dicts)[mode][0]
    before = rss()
    run()
    print(json.dumps({"peak": peak(), "above": max(peak() - before, 0)}))


def memory_of(args: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def part_one(rows: int) -> None:
    rubric, table, dicts, prebuilt = engines40(rows)
    totals, levels = numpy_kernel(prebuilt)
    (check,) = rubric.evaluate_columns(table[:2000], chunk_rows=2000)  # the same answers first
    assert [(int(t), str(v)) for t, v in zip(check.total, check.levels[SCHEME])] == [hand_loop(e) for e in dicts[:2000]]
    assert [(int(t), str(v)) for t, v in zip(totals[:2000], levels[:2000])] == [hand_loop(e) for e in dicts[:2000]]
    times = {"baseline": (timed(lambda: [hand_loop(e) for e in dicts[:SCALAR_ROWS]], 3), SCALAR_ROWS),
             "kernel": (timed(lambda: numpy_kernel(prebuilt), 3), rows)}
    for name, (run, count) in modes(rubric, table, dicts).items():
        times[name] = (timed(run, 3), count)
    print(f"engines40.rubric (40 items, graded under 星级), {rows:,} branches; median of 3 after a warm-up")
    print("speed = (a) µs / mode µs per branch (higher is faster); × (c) = mode µs / numpy kernel µs")
    print(f"{'mode':<10}{'branches/s':>14}{'µs/branch':>12}{'speed':>8}{'× (c)':>8}{'peak MiB':>10}{'above data':>12}")
    base = times["baseline"][0] / times["baseline"][1]
    kernel = times["kernel"][0] / times["kernel"][1]
    for name, (seconds, count) in times.items():
        memory = memory_of(["--child", name, "--rows", str(rows)])
        each = seconds / count
        print(f"{name:<10}{count / seconds:>14,.0f}{each * 1e6:>12.2f}{base / each:>8.2f}{each / kernel:>8.1f}"
              f"{memory['peak'] / 2**20:>10.0f}{memory['above'] / 2**20:>12.0f}")


def part_two(rows: int) -> None:
    rubric = load(ROOT / "rubrics" / "两新争先创优.rubric")
    table = generated(rubric, rows)
    dicts = table.to_pylist()
    print(f"\n两新争先创优 (bundled, 26 items, 争先创优 levels), {rows:,} branches")
    print(f"{'mode':<10}{'branches/s':>14}{'µs/branch':>12}")
    for name, (run, count) in modes(rubric, table, dicts).items():
        seconds = timed(run, 1)
        print(f"{name:<10}{count / seconds:>14,.0f}{seconds / count * 1e6:>12.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows)
    else:
        part_one(args.rows)
        part_two(args.rows)


if __name__ == "__main__":
    main()
