"""Errors and batch results cross process boundaries: every exception class the package defines
and `ResultBatch` pickle to equal objects, and a worker process that raises a starrules error
hands the parent the same error (a pool used to hang for good, waiting for a result it could not
unpickle; every wait here has a timeout so a hang fails the test instead)."""

from __future__ import annotations

import importlib
import multiprocessing
import pickle
import pkgutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import starrules
from starrules import Diagnostic, EvidenceError, ResultBatch, RubricCheckError, RubricError, RubricSyntaxError, \
    Span, StarrulesError, evaluate_columns, loads
from starrules.core.diagnostics import Note

WAIT = 120  # seconds: far longer than any of these takes, short enough that a hang fails
RUBRIC_TEXT = ("标准 测 { 满分 10 事实 x: 数值 事实 b: 是否 默认 否 类型 甲 10分 { 项目 乙 6分 { 扣 1分 如果 x 少于 60 } "
               "项目 丙 4分 { 不得分 如果 b } } }")
SPAN = Span("r.rubric", 3, 5, 3, 9)
DIAGNOSTICS = (Diagnostic("E503", "“x”应为数值", SPAN, "    x: 很多", "写一个数", (Note(SPAN, "在这里", "x"),)),
               Diagnostic("E501", "缺少事实“b”", Span("<证据>", 0, 0, 0, 0), ""))


def _modules() -> list[str]:
    """The package's modules, but `__main__` (importing it runs the command line)."""
    return [m.name for m in pkgutil.walk_packages(starrules.__path__, "starrules.") if m.name != "starrules.__main__"]


def _exception_classes() -> list[type[BaseException]]:
    """Every exception class defined in the package's modules (imported here to find them)."""
    found: dict[str, type[BaseException]] = {}
    for name in _modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == name:
                found[f"{name}.{value.__qualname__}"] = value
    return [found[k] for k in sorted(found)]


def _samples() -> dict[str, Callable[[], BaseException]]:
    """An instance of each class, made as the package makes it; a class missing here fails
    `test_every_exception_class_has_a_sample`, so a new class gets its round trip too."""
    from starrules.plan.expressions import DivisionByZero
    from starrules.eval.fastpath import Slow
    from starrules.core.limits import LimitExceeded
    samples: dict[str, Callable[[], BaseException]] = {
        "starrules.core.diagnostics.StarrulesError": lambda: StarrulesError(DIAGNOSTICS),
        "starrules.core.diagnostics.RubricError": lambda: RubricError(DIAGNOSTICS),
        "starrules.core.diagnostics.EvidenceError": lambda: EvidenceError(DIAGNOSTICS),
        "starrules.core.diagnostics.RubricSyntaxError": lambda: RubricSyntaxError(DIAGNOSTICS[:1]),
        "starrules.core.diagnostics.RubricCheckError": lambda: RubricCheckError(DIAGNOSTICS[:1]),
        "starrules.core.limits.LimitExceeded": lambda: LimitExceeded("E516", "证据文件过大(20 字节,最多 10 字节)"),
        "starrules.eval.fastpath.Slow": Slow,
        "starrules.plan.expressions.DivisionByZero": lambda: DivisionByZero(SPAN),
    }
    optional = {  # classes other modules define while this is written; each made as its module does
        "starrules.report.output_paths.OutputError": lambda m: m.OutputError(DIAGNOSTICS[:1]),
        "starrules.cli._UsageError": lambda m: m._UsageError("证据文件应为 .json"),
        "starrules.cli._WriteFailed": lambda m: m._WriteFailed("写不进去"),
        "starrules.io.records._RecordTooLarge": lambda m: m._RecordTooLarge(7),
        "starrules.core.evidence_json.JsonFault": lambda m: m.JsonFault("E519", "键重复", m.Place(3, 5), m.Place(1, 2)),
        "starrules.core.evidence_json._Duplicate": lambda m: m._Duplicate(),
        "starrules.core.bounded.Refused": lambda m: m.Refused("不是普通文件"),
        "starrules.core.bounded.TooLarge": lambda m: m.TooLarge(20, 10),
        "starrules.io.table_import.TableImportError": lambda m: m.TableImportError(DIAGNOSTICS[:1]),
        "starrules.report.png_chart.ChartUnavailable": lambda m: m.ChartUnavailable(m.NEEDS_FONT),
        "starrules.report.scorecard.ScorecardUnavailable": lambda m: m.ScorecardUnavailable(m.NEEDS_JINJA2),
        "starrules.report.docx_tasks.TasksUnavailable": lambda m: m.TasksUnavailable(m.NEEDS_DOCX),
    }
    for name, make in optional.items():
        module_name = name.rsplit(".", 1)[0]
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, name.rsplit(".", 1)[1]):
            samples[name] = lambda make=make, module=module: make(module)  # type: ignore[misc]
    return samples


SAMPLES = _samples()


def test_every_exception_class_has_a_sample() -> None:
    defined = {f"{c.__module__}.{c.__qualname__}" for c in _exception_classes()}
    assert defined - set(SAMPLES) == set()


def same_error(a: BaseException, b: BaseException) -> None:
    assert type(a) is type(b)
    assert a.args == b.args and str(a) == str(b)
    assert vars(a) == vars(b)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_exception_class_pickles_to_an_equal_error(name: str) -> None:
    error = SAMPLES[name]()
    error.add_note("在第 3 批中")  # notes travel too (they live in the instance's dict)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        same_error(pickle.loads(pickle.dumps(error, protocol)), error)


def test_a_starrules_error_keeps_its_diagnostics_and_code() -> None:
    copy = pickle.loads(pickle.dumps(EvidenceError(DIAGNOSTICS)))
    assert isinstance(copy, EvidenceError) and copy.diagnostics == DIAGNOSTICS
    assert (copy.code, copy.span) == ("E503", SPAN)
    assert str(copy) == "\n\n".join(d.render() for d in DIAGNOSTICS)


# ResultBatch
def same_batch(a: ResultBatch, b: ResultBatch) -> None:
    assert type(a) is type(b)
    assert (a.rubric, a.schemes, a.rows, a.ids, a.errors) == (b.rubric, b.schemes, b.rows, b.ids, b.errors)
    for field in ("ok", "total", "max", "vetoed", "sections", "items", "applicable"):
        left, right = getattr(a, field), getattr(b, field)
        assert left.dtype == right.dtype and np.array_equal(left, right), field
    assert a.levels.keys() == b.levels.keys()
    for name in a.levels:
        assert list(a.levels[name]) == list(b.levels[name])
    assert list(a.to_rows()) == list(b.to_rows())
    assert a.to_arrow().equals(b.to_arrow())
    for index in range(len(a)):  # each row scored again from its evidence: the same result or error
        if a.ok[index]:
            assert a.result(index) == b.result(index)
        else:
            with pytest.raises(EvidenceError) as left_error:
                a.result(index)
            with pytest.raises(EvidenceError) as right_error:
                b.result(index)
            same_error(left_error.value, right_error.value)


ROWS: list[dict[str, Any]] = [{"id": "a", "x": 75}, {"id": "b", "x": 31.5, "b": True},
                              {"id": "c", "x": "很多"}, {"id": "d", "x": Decimal("59.99")}, {"id": "e"},
                              {"id": "f", "x": 60, "历史": {"等次": {"2023": "好"}}}]


def batches() -> dict[str, ResultBatch]:
    rubric = loads(RUBRIC_TEXT)
    table = pa.table({"id": ["g", "h", "i"], "x": [88.5, None, 12.0], "b": [False, True, None]})
    return {"dicts": next(evaluate_columns(rubric, ROWS, errors="collect")),
            "arrow": next(evaluate_columns(rubric, table, errors="collect"))}


@pytest.mark.parametrize("source", ["dicts", "arrow", "jsonl"])
def test_a_result_batch_pickles_to_an_equal_batch(source: str, tmp_path: Path) -> None:
    if source == "jsonl":
        path = tmp_path / "batch.jsonl"
        path.write_text('{"id": "a", "x": 75}\n{"id": "b", "x": "很多"}\n[1, 2]\n{"id": "d", "x": 59.99}\n',
                        encoding="utf-8")
        batch = next(evaluate_columns(loads(RUBRIC_TEXT), path, errors="collect"))
    else:
        batch = batches()[source]
    assert not batch.ok.all() or source == "arrow"  # error rows are part of the round trip
    copy = pickle.loads(pickle.dumps(batch))
    same_batch(copy, batch)
    same_batch(pickle.loads(pickle.dumps(copy)), batch)  # and a copy of the copy


def test_an_error_row_of_a_batch_raises_its_collected_diagnostics() -> None:
    batch = batches()["dicts"]
    index = batch.ids.index("c")
    with pytest.raises(EvidenceError) as info:
        batch.result(index)
    assert info.value.diagnostics == next(e for e in batch.errors if e.id == "c").diagnostics


# worker processes: module-level functions, so a spawned process can import them
def raise_evidence_error(_: object = None) -> None:
    loads(RUBRIC_TEXT).evaluate({"x": "很多"})


def raise_rubric_error(_: object = None) -> None:
    loads("标准 R { 类型 S 10分 { 项目 I 10分 { 扣 1分 如果 没有这个事实 } } }")


def score_chunk(rows: list[dict[str, Any]]) -> ResultBatch:
    return next(evaluate_columns(loads(RUBRIC_TEXT), rows, errors="collect"))


def expected_error(worker: Callable[[], None]) -> StarrulesError:
    with pytest.raises(StarrulesError) as info:
        worker()
    return info.value


def context(method: str) -> multiprocessing.context.BaseContext:
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    return multiprocessing.get_context(method)


@pytest.mark.parametrize("worker", [raise_evidence_error, raise_rubric_error])
def test_a_pool_worker_that_raises_hands_the_parent_the_same_error(worker: Callable[[], None]) -> None:
    with context("fork").Pool(1) as pool:  # type: ignore[attr-defined]
        pending = pool.apply_async(worker)
        with pytest.raises(StarrulesError) as info:
            pending.get(timeout=WAIT)  # before the fix: the pool's result thread died, this waited for good
        same_error(info.value, expected_error(worker))
        assert pool.apply_async(len, ([1, 2],)).get(timeout=WAIT) == 2  # the pool still works


def test_a_process_pool_executor_hands_the_parent_the_same_error() -> None:
    # spawn, the default on macOS and Windows: the worker imports starrules afresh
    with ProcessPoolExecutor(1, mp_context=context("spawn")) as executor:
        for worker in (raise_evidence_error, raise_rubric_error):
            future = executor.submit(worker)
            with pytest.raises(StarrulesError) as info:
                future.result(timeout=WAIT)  # before the fix: BrokenProcessPool
            same_error(info.value, expected_error(worker))
        assert executor.submit(len, [1]).result(timeout=WAIT) == 1


def test_batches_scored_in_worker_processes_equal_those_scored_here() -> None:
    chunks = [ROWS[:3], ROWS[3:]]
    with ProcessPoolExecutor(2, mp_context=context("fork")) as executor:
        remote = [f.result(timeout=WAIT) for f in [executor.submit(score_chunk, c) for c in chunks]]
    for got, chunk in zip(remote, chunks):
        same_batch(got, score_chunk(chunk))
