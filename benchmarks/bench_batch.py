"""Many branches at once: the batch engine against a hand-written per-branch function.

Run: python benchmarks/bench_batch.py [--rows N] [--big N] [--skip-big]
Needs numpy and pyarrow (pip install 'starrules[batch]').

Part 1 (the 40-item rubric of bench_eval.py, same seeded data for every row of the table):
  baseline   the hand-written Python function, one call per branch, on dicts
  columns    evaluate_columns on an Arrow table (scores, levels, result columns)
  dicts      evaluate_columns on the same branches as Python dicts
  fast       rubric.evaluate(e, explain=False) per branch (the generated fast path)
  traced     rubric.evaluate(e) per branch with every item's trace read (the reference)
Each mode also runs alone in a child process for its peak memory (RSS, and above the data).
Part 2: the bundled 两新 rubric on generated branches (no hand-written function: µs only).
Part 3: N branches (default 5,000,000) of the 40-item rubric from a Parquet file to a Parquet
file, as `starrules eval RUBRIC in.parquet -o out.parquet` does it, with wall time and peak
memory, and the same at N/5 rows to show memory does not grow with the rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_eval import hand_written, rubric_text  # noqa: E402

from starrules import Rubric, evaluate_columns, load, loads  # noqa: E402
from starrules.output import ResultWriter  # noqa: E402

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
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


SCALAR_ROWS = 5_000  # the per-branch paths are timed on the first rows only: their µs/branch do not depend on N


def modes(rubric: Rubric, table: pa.Table, dicts: list[dict[str, Any]]) -> dict[str, tuple[Callable[[], object], int]]:
    """Each mode's run and how many branches it scores."""
    def drain(data: object) -> None:
        for _ in evaluate_columns(rubric, data):
            pass
    few = dicts[:SCALAR_ROWS]
    return {
        "columns": (lambda: drain(table), len(dicts)),
        "dicts": (lambda: drain(dicts), len(dicts)),
        "fast": (lambda: [rubric.evaluate(e, explain=False) for e in few], len(few)),
        "traced": (lambda: [[i.trace for i in rubric.evaluate(e).items] for e in few], len(few)),
    }


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
    rubric = loads(rubric_text())
    table = generated(rubric, rows)
    dicts = table.to_pylist()
    run = (lambda: [hand_written(e) for e in dicts]) if mode == "baseline" else modes(rubric, table, dicts)[mode][0]
    before = rss()
    run()
    print(json.dumps({"peak": peak(), "above": max(peak() - before, 0)}))


def memory_of(args: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def part_one(rows: int) -> None:
    rubric = loads(rubric_text())
    table = generated(rubric, rows)
    dicts = table.to_pylist()
    (check,) = evaluate_columns(rubric, table[:2000], chunk_rows=2000)
    assert [int(t) for t in check.total] == [hand_written(e) for e in dicts[:2000]]  # same answers first
    times = {"baseline": (timed(lambda: [hand_written(e) for e in dicts]), rows)}
    for name, (run, count) in modes(rubric, table, dicts).items():
        times[name] = (timed(run, 3 if name in ("columns", "dicts") else 1), count)
    print(f"40-item rubric, {rows:,} branches (speed = baseline µs / mode µs per branch; higher is faster)")
    print(f"{'mode':<10}{'branches/s':>14}{'µs/branch':>12}{'speed':>8}{'peak MiB':>10}{'above data':>12}")
    base = times["baseline"][0] / rows
    for name, (seconds, count) in times.items():
        memory = memory_of(["--child", name, "--rows", str(rows)])
        print(f"{name:<10}{count / seconds:>14,.0f}{seconds / count * 1e6:>12.2f}{base / (seconds / count):>8.2f}"
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


def write_parquet(path: Path, rows: int) -> None:
    rubric = loads(rubric_text())
    writer = None
    for start in range(0, rows, 500_000):
        table = generated(rubric, min(500_000, rows - start), seed=start)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def parquet_run(source: str, target: str) -> None:
    """What `starrules eval … -o out.parquet` does, in this process, for its wall time and peak."""
    rubric = loads(rubric_text())
    start = time.perf_counter()
    with ResultWriter(Path(target)) as writer:
        for batch in evaluate_columns(rubric, source, errors="collect"):
            writer.write(batch)
    print(json.dumps({"seconds": time.perf_counter() - start, "peak": peak(), "rows": writer.count}))


def part_three(rows: int) -> None:
    print("\nParquet to Parquet (40-item rubric, chunks of 65,536 rows)")
    print(f"{'branches':>12}{'wall s':>10}{'branches/s':>14}{'peak MiB':>10}")
    with tempfile.TemporaryDirectory() as folder:
        for count in (rows // 5, rows):
            source, target = Path(folder) / f"in-{count}.parquet", Path(folder) / f"out-{count}.parquet"
            write_parquet(source, count)
            result = memory_of(["--parquet", str(source), str(target)])
            assert result["rows"] == count
            print(f"{count:>12,}{result['seconds']:>10.1f}{count / result['seconds']:>14,.0f}"
                  f"{result['peak'] / 2**20:>10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--big", type=int, default=5_000_000)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--parquet", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows)
    elif args.parquet:
        parquet_run(*args.parquet)
    else:
        part_one(args.rows)
        part_two(args.rows)
        if not args.skip_big:
            part_three(args.big)


if __name__ == "__main__":
    main()
