"""Every starrules engine against fair hand-written baselines, in one run on the same branches.

Run: .venv/bin/python benchmarks/bench_engines.py [--scalar N] [--traced-rows N] [--batch N]
                                                 [--dict-rows N] [--passes P] [--big N] [--seed S]
(defaults 20,000 / 2,000 / 1,000,000 / 250,000 / 5 / 5,000,000 / 7; about 5 minutes on 2 cores)
Needs numpy and pyarrow (pip install 'starrules[batch]').

The rubric is benchmarks/engines40.rubric: 40 items (6 sections of 6 items and a 加分项 of 4,
capped at 5 points) exercising every clause kind — deduct-unless, deduct-if, per-count with
最多扣, below a target, 不得分 if / unless, 酌情 scores, three vetoes (one 最高 三星级) and the
built-in 星级 scheme (95/90/80/70/60) as its default.

Baselines, each written as fairly as we can (constant keys, ints on the 0.5 grid, tables
built once at import), each asserted to give exactly the starrules totals and levels on the
same branches before anything is timed:
  (a) hand loop      a per-branch Python loop over a static item table, total and stars
  (b) straight-line  the same rubric by hand, one expression per item: the pure-Python ceiling
  (c) numpy kernel   int64 numpy over prebuilt columns, grading by np.searchsorted: the limit
  (d) numpy + dicts  (c) including turning the evidence dicts into columns

starrules paths: evaluate traced / untraced, graded / ungraded (graded = reading
result.level("星级") for every branch; ungraded = schemes=[]), every trace read, the gap read,
evaluate_many, and evaluate_columns from dicts, from an Arrow table and from a Parquet file
(graded = the level column read, ungraded = schemes=[]), and Parquet to Parquet through
starrules.report.output.ResultWriter. Every branch has an id (a column, or a key of its dict; the
baselines ignore it). (a), (b) and the per-branch paths run on the first --scalar branches, the
three traced and graded ones (milliseconds each) on the first --traced-rows; (c) and the Arrow / Parquet paths on --batch branches; (d) and the dict batch path
on the first --dict-rows branches (a million dicts would take about 2.5 GiB).

Every timed path runs once on a few branches to warm up, then --passes times round-robin
(every path once per pass, so machine noise falls on all of them alike); the table shows the
median wall time and, beside it, the median CPU time of the process (all threads), which shows
how much of the wall time other processes took. Ratios are wall µs per branch over the
baseline's (lower is faster).

Also: the memory of one kept graded Result before any trace is read (tracemalloc) and the
gc-tracked objects reachable from it that evaluate() made; and --big N branches (default
5,000,000; 0 skips) Parquet to Parquet, graded, in a child process, with its wall time and
peak RSS.
"""

from __future__ import annotations

import argparse
import gc
import json
import operator
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import starrules
from starrules.report.output import ResultWriter

RUBRIC = Path(__file__).resolve().with_name("engines40.rubric")
SCHEME = "星级"
LEVELS = ("五星级", "四星级", "三星级", "二星级", "一星级", "无星")
THRESHOLDS = (190, 180, 160, 140, 120)  # 95/90/80/70/60 points in half-points, highest first
CAPPED = 2  # 班子不团结: 最高 三星级, LEVELS[2]
BONUS_CAP = 10  # 加分项 最多 5分
PREFIXES = ("组织", "班子", "教育", "生活", "作用", "保障")
SECTION_POINTS = (20, 20, 15, 15, 15, 15)
BONUS = (("获国家级表彰", 10), ("获省级表彰", 6), ("获市级表彰", 4), ("经验被推广", 4))
FLOOR_VETOES = ("发生严重违纪", "发生安全责任事故")
CAP_VETO = "班子不团结"


def item_points(section_points: int) -> tuple[int, ...]:
    """Half-points of a section's six items (制度, 学习, 成效, 纪律, 台账, 创新)."""
    return (8, 8, 6, 6, 6, 6) if section_points == 20 else (6, 6, 6, 4, 4, 4)


# ---------------------------------------------------------------------------------------------
# Seeded branches: numpy columns first; Arrow, Parquet and dicts are made from the same columns.

def branch_columns(count: int, seed: int = 7) -> dict[str, np.ndarray]:
    """Every fact and 酌情 score of `count` branches. Each branch has its own share of things
    that go wrong, so totals spread over every star band."""
    rng = np.random.default_rng(seed)
    bad = 0.02 + 0.5 * rng.beta(1.3, 4.0, count)

    def often(p: np.ndarray | float) -> np.ndarray:
        return rng.random(count) < p

    columns: dict[str, np.ndarray] = {}
    for prefix, points in zip(PREFIXES, SECTION_POINTS):
        tops = item_points(points)
        columns[f"{prefix}按期"] = ~often(bad)
        columns[f"{prefix}问题数"] = rng.poisson(2 * bad).astype(np.int64)
        columns[f"{prefix}学时"] = np.where(often(bad), rng.integers(8, 32, count), rng.integers(32, 80, count))
        columns[f"{prefix}已建立"] = ~often(bad / 5)
        columns[f"{prefix}违规"] = often(bad)
        columns[f"{prefix}严重问题"] = often(bad / 5)
        columns[f"{prefix}缺项数"] = rng.poisson(bad).astype(np.int64)
        columns[f"{prefix}记录完整"] = ~often(bad)
        columns[f"{prefix}成效"] = (tops[2] - rng.binomial(tops[2], bad)) / 2
        columns[f"{prefix}创新"] = (tops[5] - rng.binomial(tops[5], np.minimum(2 * bad, 1))) / 2
    for name, share in zip((key for key, _ in BONUS), (0.01, 0.05, 0.15, 0.2)):
        columns[name] = often(share)
    columns["发生严重违纪"] = often(0.004)
    columns["发生安全责任事故"] = often(0.004)
    columns["班子不团结"] = often(0.02)
    return columns


def branch_ids(start: int, count: int) -> list[str]:
    return [f"支部-{n:07d}" for n in range(start, start + count)]


def as_dicts(columns: dict[str, np.ndarray], count: int) -> list[dict[str, Any]]:
    """The first `count` branches as evidence dicts with their ids (Python bools, ints and
    floats, as read from JSON)."""
    keys = ("id", *columns)
    values = [branch_ids(0, count), *(columns[key][:count].tolist() for key in columns)]
    return [dict(zip(keys, row)) for row in zip(*values)]


def judged_units(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Prebuilt columns for (c): the 酌情 scores already int64 half-points."""
    out = dict(columns)
    for prefix in PREFIXES:
        for item in ("成效", "创新"):
            out[prefix + item] = (columns[prefix + item] * 2).astype(np.int64)
    return out


# ---------------------------------------------------------------------------------------------
# (a) the hand loop: a static item table with constant keys, integer half-points.

NOT, IF, PER, BELOW = range(4)  # deduct if the fact is false / true; per count; below a target


def _section_table(prefix: str, points: int) -> tuple[int, tuple[Any, ...]]:
    """(section max, items); an item is (max, 酌情 key or None, deductions, 最多扣 or None,
    不得分 conditions), a deduction (kind, key, target, half-points), a 不得分 (key, when)."""
    top = item_points(points)
    return 2 * points, (
        (top[0], None, ((NOT, prefix + "按期", 0, 2), (PER, prefix + "问题数", 0, 1)), 4, ()),
        (top[1], None, ((BELOW, prefix + "学时", 32, 4),), None, ((prefix + "已建立", False),)),
        (top[2], prefix + "成效", (), None, ()),
        (top[3], None, ((IF, prefix + "违规", 0, 2),), None, ((prefix + "严重问题", True),)),
        (top[4], None, ((PER, prefix + "缺项数", 0, 2),), 4, ()),
        (top[5], prefix + "创新", ((NOT, prefix + "记录完整", 0, 2),), None, ()),
    )


TABLE = tuple(_section_table(prefix, points) for prefix, points in zip(PREFIXES, SECTION_POINTS))


def hand_loop(e: dict[str, Any]) -> tuple[int, str]:
    """(a): total in half-points and the star level, by a loop over TABLE."""
    total = 0
    for section_max, items in TABLE:
        section = 0
        for top, judged, deductions, cap, zeros in items:
            score = top if judged is None else int(e[judged] * 2)
            lost = 0
            for kind, key, target, points in deductions:
                value = e[key]
                if kind == PER:
                    lost += points * value
                elif kind == NOT:
                    if not value:
                        lost += points
                elif kind == IF:
                    if value:
                        lost += points
                elif value < target:
                    lost += points
            if cap is not None and lost > cap:
                lost = cap
            score = min(max(score - lost, 0), top)
            for key, when in zeros:
                if e[key] == when:
                    score = 0
            section += score
        total += min(max(section, 0), section_max)
    bonus = 0
    for key, points in BONUS:
        if e[key]:
            bonus += points
    total += min(bonus, BONUS_CAP)
    index = len(THRESHOLDS)
    for rank, threshold in enumerate(THRESHOLDS):
        if total >= threshold:
            index = rank
            break
    if e[CAP_VETO] and index < CAPPED:
        index = CAPPED
    for key in FLOOR_VETOES:
        if e[key]:
            index = len(THRESHOLDS)
    return total, LEVELS[index]


# ---------------------------------------------------------------------------------------------
# (b) straight-line: one expression per item, what a programmer writes for one fixed rubric.

def straight_line(e: dict[str, Any]) -> tuple[int, str]:
    """(b): total in half-points and the star level. No item or section can leave its range
    here except 创新 (酌情 minus 1), so only that one is clamped."""
    total = (
        + 8 - min((0 if e["组织按期"] else 2) + e["组织问题数"], 4)
        + ((4 if e["组织学时"] < 32 else 8) if e["组织已建立"] else 0)
        + int(e["组织成效"] * 2)
        + (0 if e["组织严重问题"] else 4 if e["组织违规"] else 6)
        + 6 - min(2 * e["组织缺项数"], 4)
        + (int(e["组织创新"] * 2) if e["组织记录完整"] else max(int(e["组织创新"] * 2) - 2, 0))
        + 8 - min((0 if e["班子按期"] else 2) + e["班子问题数"], 4)
        + ((4 if e["班子学时"] < 32 else 8) if e["班子已建立"] else 0)
        + int(e["班子成效"] * 2)
        + (0 if e["班子严重问题"] else 4 if e["班子违规"] else 6)
        + 6 - min(2 * e["班子缺项数"], 4)
        + (int(e["班子创新"] * 2) if e["班子记录完整"] else max(int(e["班子创新"] * 2) - 2, 0))
        + 6 - min((0 if e["教育按期"] else 2) + e["教育问题数"], 4)
        + ((2 if e["教育学时"] < 32 else 6) if e["教育已建立"] else 0)
        + int(e["教育成效"] * 2)
        + (0 if e["教育严重问题"] else 2 if e["教育违规"] else 4)
        + 4 - min(2 * e["教育缺项数"], 4)
        + (int(e["教育创新"] * 2) if e["教育记录完整"] else max(int(e["教育创新"] * 2) - 2, 0))
        + 6 - min((0 if e["生活按期"] else 2) + e["生活问题数"], 4)
        + ((2 if e["生活学时"] < 32 else 6) if e["生活已建立"] else 0)
        + int(e["生活成效"] * 2)
        + (0 if e["生活严重问题"] else 2 if e["生活违规"] else 4)
        + 4 - min(2 * e["生活缺项数"], 4)
        + (int(e["生活创新"] * 2) if e["生活记录完整"] else max(int(e["生活创新"] * 2) - 2, 0))
        + 6 - min((0 if e["作用按期"] else 2) + e["作用问题数"], 4)
        + ((2 if e["作用学时"] < 32 else 6) if e["作用已建立"] else 0)
        + int(e["作用成效"] * 2)
        + (0 if e["作用严重问题"] else 2 if e["作用违规"] else 4)
        + 4 - min(2 * e["作用缺项数"], 4)
        + (int(e["作用创新"] * 2) if e["作用记录完整"] else max(int(e["作用创新"] * 2) - 2, 0))
        + 6 - min((0 if e["保障按期"] else 2) + e["保障问题数"], 4)
        + ((2 if e["保障学时"] < 32 else 6) if e["保障已建立"] else 0)
        + int(e["保障成效"] * 2)
        + (0 if e["保障严重问题"] else 2 if e["保障违规"] else 4)
        + 4 - min(2 * e["保障缺项数"], 4)
        + (int(e["保障创新"] * 2) if e["保障记录完整"] else max(int(e["保障创新"] * 2) - 2, 0))
        + min((10 if e["获国家级表彰"] else 0) + (6 if e["获省级表彰"] else 0)
              + (4 if e["获市级表彰"] else 0) + (4 if e["经验被推广"] else 0), 10)
    )
    if e["发生严重违纪"] or e["发生安全责任事故"]:
        return total, "无星"
    if total >= 160:
        level = "三星级" if e["班子不团结"] else "五星级" if total >= 190 else "四星级" if total >= 180 else "三星级"
    else:
        level = "二星级" if total >= 140 else "一星级" if total >= 120 else "无星"
    return total, level


# ---------------------------------------------------------------------------------------------
# (c) the numpy kernel over prebuilt columns; (d) the same from evidence dicts.

LEVEL_NAMES = np.array(LEVELS, dtype=object)
ASCENDING = np.array(sorted(THRESHOLDS), dtype=np.int64)


def numpy_kernel(c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(c): int64 totals in half-points and level names, vectorised over every branch (the
    Python loop is over the rubric's six sections, not over branches)."""
    total = np.full(len(c["发生严重违纪"]), sum(sum(item_points(p)[i] for i in (0, 1, 3, 4)) for p in SECTION_POINTS),
                    dtype=np.int64)
    for prefix, points in zip(PREFIXES, SECTION_POINTS):
        top = item_points(points)
        total -= np.minimum(np.where(c[prefix + "按期"], 0, 2) + c[prefix + "问题数"], 4)
        total -= np.where(c[prefix + "已建立"], np.where(c[prefix + "学时"] < 32, 4, 0), top[1])
        total += c[prefix + "成效"]
        total -= np.where(c[prefix + "严重问题"], top[3], np.where(c[prefix + "违规"], 2, 0))
        total -= np.minimum(2 * c[prefix + "缺项数"], 4)
        total += np.maximum(c[prefix + "创新"] - np.where(c[prefix + "记录完整"], 0, 2), 0)
    bonus = np.zeros_like(total)
    for key, points in BONUS:
        bonus += c[key] * np.int64(points)
    total += np.minimum(bonus, BONUS_CAP)
    index = len(THRESHOLDS) - np.searchsorted(ASCENDING, total, side="right")
    index = np.where(c[CAP_VETO], np.maximum(index, CAPPED), index)
    index[c["发生严重违纪"] | c["发生安全责任事故"]] = len(THRESHOLDS)
    return total, LEVEL_NAMES[index]


BOOLS = tuple(f"{p}{f}" for p in PREFIXES for f in ("按期", "已建立", "违规", "严重问题", "记录完整")) + \
    tuple(key for key, _ in BONUS) + FLOOR_VETOES + (CAP_VETO,)
INTS = tuple(f"{p}{f}" for p in PREFIXES for f in ("问题数", "学时", "缺项数"))
JUDGED = tuple(f"{p}{f}" for p in PREFIXES for f in ("成效", "创新"))


def dicts_to_columns(dicts: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Evidence dicts to the kernel's columns: one np.fromiter per key over an itemgetter."""
    n = len(dicts)
    out: dict[str, np.ndarray] = {}
    for key in BOOLS:
        out[key] = np.fromiter(map(operator.itemgetter(key), dicts), dtype=bool, count=n)
    for key in INTS:
        out[key] = np.fromiter(map(operator.itemgetter(key), dicts), dtype=np.int64, count=n)
    for key in JUDGED:
        out[key] = (np.fromiter(map(operator.itemgetter(key), dicts), dtype=np.float64, count=n) * 2).astype(np.int64)
    return out


def numpy_from_dicts(dicts: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """(d)."""
    return numpy_kernel(dicts_to_columns(dicts))


# ---------------------------------------------------------------------------------------------
# Timing.

Paths = dict[str, tuple[Callable[[], object], int]]  # name: (run, branches it scores)


def median_times(paths: Paths, warm: Paths, passes: int) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds per run of each path: every path of `warm` (the same paths on a few
    branches) once, then `passes` round-robin passes; medians. CPU time is the process's, all
    threads: it shows how much of the wall time other processes on the machine took."""
    for run, _ in warm.values():
        run()
    wall: dict[str, list[float]] = {name: [] for name in paths}
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(passes):
        for name, (run, _) in paths.items():
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in paths}


def scalar_paths(rubric: starrules.Rubric, data: list[dict[str, Any]], traced: list[dict[str, Any]]) -> Paths:
    """(a), (b) and the per-branch paths; the three traced and graded paths (milliseconds per
    branch) on the shorter list `traced`."""
    evaluate = rubric.evaluate

    def loop(function: Callable[[dict[str, Any]], object]) -> Callable[[], None]:
        def run() -> None:
            for e in data:
                function(e)
        return run

    def graded(results: Iterable[Any]) -> None:
        for r in results:
            r.total, r.level(SCHEME).level

    def ungraded(results: Iterable[Any]) -> None:
        for r in results:
            r.total

    def traces(results: Iterable[Any]) -> None:
        for r in results:
            r.total, r.level(SCHEME).level, [i.trace for i in r.items]

    def gaps(results: Iterable[Any]) -> None:
        for r in results:
            r.total, r.level(SCHEME).level, r.gap[SCHEME]

    n, t = len(data), len(traced)
    return {
        "(a) hand loop": (loop(hand_loop), n),
        "(b) straight-line": (loop(straight_line), n),
        "evaluate(explain=False), graded": (lambda: graded(evaluate(e, explain=False) for e in data), n),
        "evaluate(explain=False), ungraded": (lambda: ungraded(evaluate(e, explain=False, schemes=()) for e in data), n),
        "evaluate() traced, graded": (lambda: graded(evaluate(e) for e in traced), t),
        "evaluate() traced, ungraded": (lambda: ungraded(evaluate(e, schemes=()) for e in data), n),
        "evaluate() traced, graded, every trace read": (lambda: traces(evaluate(e) for e in traced), t),
        "evaluate() traced, graded, gap read": (lambda: gaps(evaluate(e) for e in traced), t),
        "evaluate_many, graded": (lambda: graded(rubric.evaluate_many(data)), n),
        "evaluate_many, ungraded": (lambda: ungraded(rubric.evaluate_many(data, schemes=())), n),
    }


def drain(batches: Iterable[Any], graded: bool) -> None:
    for batch in batches:
        batch.total
        if graded:
            batch.levels[SCHEME]


def batch_paths(rubric: starrules.Rubric, prebuilt: dict[str, np.ndarray], table: pa.Table,
                parquet: Path, dicts: list[dict[str, Any]], folder: Path) -> Paths:
    def to_parquet() -> None:
        with ResultWriter(folder / "out.parquet") as writer:
            for batch in rubric.evaluate_columns(parquet, errors="collect"):
                writer.write(batch)

    n, d = table.num_rows, len(dicts)
    return {
        "(c) numpy kernel": (lambda: numpy_kernel(prebuilt), n),
        "(d) numpy + dicts": (lambda: numpy_from_dicts(dicts), d),
        "evaluate_columns(Arrow), graded": (lambda: drain(rubric.evaluate_columns(table), True), n),
        "evaluate_columns(Arrow), ungraded": (lambda: drain(rubric.evaluate_columns(table, schemes=()), False), n),
        "evaluate_columns(Parquet), graded": (lambda: drain(rubric.evaluate_columns(parquet), True), n),
        "evaluate_columns(Parquet), ungraded": (lambda: drain(rubric.evaluate_columns(parquet, schemes=()), False), n),
        "Parquet → Parquet (ResultWriter), graded": (to_parquet, n),
        "evaluate_columns(dicts), graded": (lambda: drain(rubric.evaluate_columns(dicts), True), d),
        "evaluate_columns(dicts), ungraded": (lambda: drain(rubric.evaluate_columns(dicts, schemes=()), False), d),
    }


# ---------------------------------------------------------------------------------------------
# Same answers before timing.

def batch_outcome(batches: Iterable[Any]) -> tuple[np.ndarray, np.ndarray]:
    totals, levels = [], []
    for batch in batches:
        assert bool(np.all(batch.ok)), "every generated branch is good evidence"
        totals.append(np.asarray(batch.total, dtype=np.int64))
        levels.append(np.asarray(batch.levels[SCHEME], dtype=object))
    return np.concatenate(totals), np.concatenate(levels)


def check_same_answers(rubric: starrules.Rubric, scalar: list[dict[str, Any]], prebuilt: dict[str, np.ndarray],
                       table: pa.Table, parquet: Path, dicts: list[dict[str, Any]]) -> dict[str, int]:
    """Assert every baseline and every starrules path gives the same totals and levels."""
    grid_units = 2  # precision 0.5: half-points (the batch columns' grid units, checked below via (c))
    expected = []
    for e in scalar:
        r = rubric.evaluate(e, explain=False)
        expected.append((int(r.total * grid_units), r.level(SCHEME).level))
    assert [hand_loop(e) for e in scalar] == expected, "(a) differs from evaluate"
    assert [straight_line(e) for e in scalar] == expected, "(b) differs from evaluate"
    for e, want in zip(scalar[:2000], expected):
        r = rubric.evaluate(e)
        assert (int(r.total * grid_units), r.level(SCHEME).level) == want, "traced evaluate differs"
    many = [(int(r.total * grid_units), r.level(SCHEME).level) for r in rubric.evaluate_many(scalar)
            if isinstance(r, starrules.Result)]
    assert many == expected, "evaluate_many differs from evaluate"

    total_c, level_c = numpy_kernel(prebuilt)
    arrow_total, arrow_level = batch_outcome(rubric.evaluate_columns(table))
    assert np.array_equal(arrow_total, total_c) and np.array_equal(arrow_level, level_c), "(c) differs from Arrow"
    parquet_total, parquet_level = batch_outcome(rubric.evaluate_columns(parquet))
    assert np.array_equal(parquet_total, total_c) and np.array_equal(parquet_level, level_c), "Parquet differs"
    assert [(int(t), str(v)) for t, v in zip(total_c[:len(scalar)], level_c[:len(scalar)])] == expected, \
        "batch differs from evaluate"
    total_d, level_d = numpy_from_dicts(dicts)
    dict_total, dict_level = batch_outcome(rubric.evaluate_columns(dicts))
    assert np.array_equal(total_d, total_c[:len(dicts)]) and np.array_equal(level_d, level_c[:len(dicts)]), "(d)"
    assert np.array_equal(dict_total, total_d) and np.array_equal(dict_level, level_d), "dict batch differs"
    names, counts = np.unique(level_c, return_counts=True)
    return dict(zip((str(n) for n in names), (int(c) for c in counts)))


# ---------------------------------------------------------------------------------------------
# A kept Result's memory and objects.

def owned_objects(root: object, before: set[int]) -> tuple[int, set[int]]:
    """gc-tracked objects reachable from `root` that did not exist in `before` (shared objects
    such as the rubric, its compiled functions and classes are not walked into)."""
    seen: set[int] = set()
    stack = [root]
    count = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if id(obj) in before:
            continue
        if gc.is_tracked(obj):
            count += 1
        stack.extend(gc.get_referents(obj))
    return count, seen


def kept_result(rubric: starrules.Rubric, data: list[dict[str, Any]], explain: bool, many: int = 1000) -> dict[str, Any]:
    """tracemalloc bytes and owned gc-tracked objects of graded results kept alive, before any
    trace is read: of one result, and the mean over `many` results kept at once."""
    for e in data[:200]:  # warm up every cache a first call fills
        rubric.evaluate(e, explain=explain).level(SCHEME)
    gc.collect()
    before = {id(o) for o in gc.get_objects()}
    evidence = data[-many - 1:]
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    one = rubric.evaluate(evidence[0], explain=explain)
    one.total, one.level(SCHEME).level
    gc.collect()
    one_bytes = tracemalloc.get_traced_memory()[0] - start
    start = tracemalloc.get_traced_memory()[0]
    kept = []
    for e in evidence[1:]:
        r = rubric.evaluate(e, explain=explain)
        r.total, r.level(SCHEME).level
        kept.append(r)
    gc.collect()
    many_bytes = tracemalloc.get_traced_memory()[0] - start - sys.getsizeof(kept)
    tracemalloc.stop()
    objects, reached = owned_objects(one, before)
    counts = [owned_objects(r, before)[0] for r in kept[:100]]
    return {"bytes": one_bytes, "objects": objects, "mean_bytes": many_bytes / len(kept),
            "mean_objects": statistics.mean(counts), "keeps_evidence": id(evidence[0]) in reached}


# ---------------------------------------------------------------------------------------------
# The big run: Parquet to Parquet in a child process.

def peak_rss() -> int:
    """This process's peak resident memory in bytes (VmHWM)."""
    with open("/proc/self/status") as stream:
        line = next(line for line in stream if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def parquet_child(source: str, target: str) -> None:
    """What `starrules eval engines40.rubric in.parquet -o out.parquet` does, in this process."""
    start = time.perf_counter()
    rubric = starrules.load(RUBRIC)
    loaded = time.perf_counter()
    with ResultWriter(Path(target)) as writer:
        for batch in rubric.evaluate_columns(source, errors="collect"):
            writer.write(batch)
    done = time.perf_counter()
    print(json.dumps({"load": loaded - start, "scoring": done - loaded, "cpu": time.process_time(),
                      "peak": peak_rss(), "rows": writer.count}))


def write_parquet(path: Path, rows: int, seed: int) -> None:
    writer = None
    for start in range(0, rows, 500_000):
        count = min(500_000, rows - start)
        table = pa.table({"id": branch_ids(start, count), **branch_columns(count, seed=seed + start)})
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=65_536)
    assert writer is not None
    writer.close()


def big_run(rows: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "in.parquet", Path(folder) / "out.parquet"
        write_parquet(source, rows, seed)
        start = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, "--parquet-child", str(source), str(target)],
                             capture_output=True, text=True, check=True)
        wall = time.perf_counter() - start
        result = json.loads(out.stdout.strip().splitlines()[-1])
        assert result["rows"] == rows == pq.ParquetFile(target).metadata.num_rows
        return {"wall": wall, **result, "input MiB": source.stat().st_size / 2**20}


# ---------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scalar", type=int, default=20_000, help="branches for (a), (b) and per-branch paths")
    parser.add_argument("--traced-rows", type=int, default=2_000, help="branches for the traced, graded paths")
    parser.add_argument("--batch", type=int, default=1_000_000, help="branches for (c), Arrow and Parquet")
    parser.add_argument("--dict-rows", type=int, default=250_000, help="branches for (d) and the dict batch")
    parser.add_argument("--passes", type=int, default=5, help="timed passes per path (median)")
    parser.add_argument("--big", type=int, default=5_000_000, help="Parquet → Parquet branches (0 skips)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--parquet-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.parquet_child:
        parquet_child(*args.parquet_child)
        return
    assert args.traced_rows <= args.scalar <= args.dict_rows <= args.batch

    began = time.perf_counter()
    rubric = starrules.load(RUBRIC)
    columns = branch_columns(args.batch, args.seed)
    prebuilt = judged_units(columns)
    table = pa.table({"id": branch_ids(0, args.batch), **columns})
    dicts = as_dicts(columns, args.dict_rows)
    scalar = dicts[:args.scalar]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        parquet, warm_parquet = folder / "in.parquet", folder / "warm.parquet"
        pq.write_table(table, parquet, row_group_size=65_536)
        few = 70_000  # more than one chunk
        pq.write_table(table.slice(0, few), warm_parquet, row_group_size=65_536)
        levels = check_same_answers(rubric, scalar, prebuilt, table, parquet, dicts)
        print(f"same totals and levels from (a)–(d) and every starrules path; levels of the {args.batch:,} "
              f"branches: {levels}", flush=True)
        times = median_times(scalar_paths(rubric, scalar, scalar[:args.traced_rows]),
                             scalar_paths(rubric, scalar[:500], scalar[:50]), args.passes)
        times |= median_times(
            batch_paths(rubric, prebuilt, table, parquet, dicts, folder),
            batch_paths(rubric, {k: v[:few] for k, v in prebuilt.items()}, table.slice(0, few), warm_parquet,
                        dicts[:few], folder), args.passes)
    counts = {name: count for name, (_, count) in scalar_paths(rubric, scalar, scalar[:args.traced_rows]).items()}
    counts |= {name: count for name, (_, count) in batch_paths(rubric, prebuilt, table, Path(), dicts, Path()).items()}
    wall = {name: seconds / counts[name] * 1e6 for name, (seconds, _) in times.items()}
    cpu = {name: seconds / counts[name] * 1e6 for name, (_, seconds) in times.items()}
    bases = ("(a) hand loop", "(b) straight-line", "(c) numpy kernel", "(d) numpy + dicts")

    print(f"\n{date.today()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"pyarrow {pa.__version__}; median of {args.passes} passes; load average before: "
          f"{os.getloadavg()[0]:.1f}; command: {' '.join(['python'] + sys.argv)}\n")
    print("| path | branches | µs / branch (wall) | µs / branch (CPU) | × (a) | × (b) | × (c) | × (d) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, value in wall.items():
        ratios = " | ".join(f"{value / wall[base]:.2f}" for base in bases)
        print(f"| {name} | {counts[name]:,} | {value:.2f} | {cpu[name]:.2f} | {ratios} |")

    memory = kept_result(rubric, scalar, explain=True)
    untraced = kept_result(rubric, scalar, explain=False)
    print("\nKept graded Result before any trace is read (tracemalloc bytes; gc-tracked objects made by evaluate):\n")
    print("| result | bytes (one) | objects (one) | bytes (mean of 1,000 kept) | objects (mean of 100) "
          "| keeps the evidence dict |")
    print("|---|---:|---:|---:|---:|---|")
    for label, m in (("evaluate(e)", memory), ("evaluate(e, explain=False)", untraced)):
        print(f"| `{label}` | {m['bytes']:,} | {m['objects']} | {m['mean_bytes']:,.0f} | {m['mean_objects']:.1f} "
              f"| {'yes' if m['keeps_evidence'] else 'no'} |")
    print(f"\nin-process part: {time.perf_counter() - began:.0f} s", flush=True)

    big = big_run(args.big, args.seed) if args.big else None
    if big:
        print(f"\nParquet → Parquet, {args.big:,} branches, graded, in a child process: "
              f"{big['wall']:.1f} s wall (process start to exit; rubric load {big['load']:.2f} s, "
              f"scoring and writing {big['scoring']:.1f} s; CPU {big['cpu']:.1f} s, all threads), "
              f"peak RSS {big['peak'] / 2**20:.0f} MiB, input {big['input MiB']:.0f} MiB")

    def ratio_target(label: str, path: str, base: str, limit: float) -> tuple[str, str, str, bool, bool]:
        by_wall, by_cpu = wall[path] / wall[base], cpu[path] / cpu[base]
        return label, f"{by_wall:.2f}×", f"{by_cpu:.2f}×", by_wall <= limit, by_cpu <= limit

    targets = [
        ratio_target("evaluate(explain=False), graded ≤ 1.0× (a)", "evaluate(explain=False), graded", bases[0], 1.0),
        ratio_target("evaluate(explain=False), graded ≤ 2× (b)", "evaluate(explain=False), graded", bases[1], 2.0),
        ratio_target("evaluate() traced, graded ≤ 5× (a)", "evaluate() traced, graded", bases[0], 5.0),
        ratio_target("every trace read ≤ 20× (a)", "evaluate() traced, graded, every trace read", bases[0], 20.0),
        ratio_target("evaluate_columns(Arrow), graded ≤ 5× (c)", "evaluate_columns(Arrow), graded", bases[2], 5.0),
        ratio_target("evaluate_columns(Arrow), ungraded ≤ 3× (c)", "evaluate_columns(Arrow), ungraded", bases[2], 3.0),
        ratio_target("evaluate_columns(dicts), graded ≤ 1.0× (d)", "evaluate_columns(dicts), graded", bases[3], 1.0),
        ("kept graded Result ≤ 2 KiB", f"{memory['bytes']:,} B", "", memory["bytes"] <= 2048, memory["bytes"] <= 2048),
        ("kept graded Result ≤ 15 gc-tracked objects", str(memory["objects"]), "", memory["objects"] <= 15,
         memory["objects"] <= 15),
    ]
    if big:
        targets += [(f"{args.big:,} Parquet → Parquet graded < 10 s wall", f"{big['wall']:.1f} s",
                     f"{big['cpu']:.1f} s", big["wall"] < 10, big["cpu"] < 10),
                    (f"{args.big:,} Parquet → Parquet graded < 1 GiB peak", f"{big['peak'] / 2**20:.0f} MiB", "",
                     big["peak"] < 2**30, big["peak"] < 2**30)]
    print("\n| target | measured (wall) | (CPU) | met |\n|---|---:|---:|---|")
    for label, measured, measured_cpu, met, met_cpu in targets:
        verdict = "met" if met and met_cpu else "**not met**" if not met and not met_cpu else \
            ("met by wall time, not by CPU time" if met else "met by CPU time only")
        print(f"| {label} | {measured} | {measured_cpu} | {verdict} |")


if __name__ == "__main__":
    main()
