"""Many branches: `evaluate_many` over dicts and files, bad rows raised or collected, flat rows,
and `starrules eval BATCH -o OUT` streaming with its progress line."""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from starrules import EvidenceError, Result, RowError, evaluate_many, load, loads
from starrules.cli import main
from starrules.core.progress import Progress, parts

ROOT = Path(__file__).resolve().parent.parent
SMALL = """标准 小 { 精度 0.5 满分 20
    事实 达标: 是否 默认 是
    事实 问题: 计数 默认 0
    类型 甲类 20分 {
        项目 学习 10分 { 扣 2分 如果 非 达标  每 问题 扣 0.5分 扣完为止 }
        项目 评议 10分 { 酌情 0分 至 10分 }
    }
}"""


def expected_total(达标: bool, 问题: int, 评议: float) -> Fraction:
    """By hand from the rubric: 学习 10 − 2 (not 达标) − 0.5 per 问题, not below 0; plus 评议."""
    study = max(Fraction(10) - (0 if 达标 else 2) - Fraction(问题, 2), Fraction(0))
    return study + Fraction(str(评议))


def small_branch(n: int) -> dict[str, Any]:
    return {"id": f"支部-{n}", "达标": n % 3 != 0, "问题": n % 25, "评议": (n % 21) / 2}


def test_many_from_a_file_in_order() -> None:
    rubric = load(ROOT / "rubrics" / "两新争先创优.rubric")
    results = list(rubric.evaluate_many(ROOT / "rubrics" / "examples" / "两新-批量.jsonl", schemes=["争先创优"]))
    assert all(isinstance(r, Result) for r in results)
    assert [(r.id, r.total) for r in results] == [  # type: ignore[union-attr]
        ("示例-001", Fraction(167, 2)), ("示例-002", Fraction(175, 2)), ("示例-003", 91), ("示例-004", Fraction(147, 2))]
    assert results[0].level("争先创优").level == "良好"  # type: ignore[union-attr]


def test_bad_rows_are_collected_beside_good_ones() -> None:
    rubric = loads(SMALL)
    rows = [small_branch(1), {"id": "坏", "达标": "也许", "评议": 4}, small_branch(2)]
    outcomes = list(evaluate_many(rubric, rows, errors="collect"))
    assert [type(o).__name__ for o in outcomes] == ["Result", "RowError", "Result"]
    bad = outcomes[1]
    assert isinstance(bad, RowError) and (bad.row, bad.id) == (2, "坏")
    assert [d.code for d in bad.diagnostics] == ["E503"] and "达标" in bad.diagnostics[0].message
    assert outcomes[2].total == expected_total(True, 2, 1.0)  # type: ignore[union-attr]


def test_the_first_bad_row_stops_the_batch_when_raising() -> None:
    rubric = loads(SMALL)
    outcomes = evaluate_many(rubric, [small_branch(1), {"id": "坏"}, small_branch(2)])
    assert next(outcomes).total == expected_total(True, 1, 0.5)  # type: ignore[union-attr]
    with pytest.raises(EvidenceError) as caught:
        next(outcomes)
    assert [d.code for d in caught.value.diagnostics] == ["E501"]  # 评议 is missing
    with pytest.raises(ValueError, match="errors must be"):
        list(evaluate_many(rubric, [], errors="skip"))  # type: ignore[arg-type]


def test_a_file_record_problem_is_a_row_error_with_its_line(tmp_path: Path) -> None:
    batch = tmp_path / "b.jsonl"
    batch.write_text('{"id": "一", "评议": 3}\n不是 JSON\n{"评议": 2}\n{"id": "一", "评议": 1}\nnull\n', encoding="utf-8")
    outcomes = list(evaluate_many(loads(SMALL), batch, errors="collect"))
    assert isinstance(outcomes[0], Result) and outcomes[0].total == 13
    problems = [(o.row, [d.code for d in o.diagnostics], o.diagnostics[0].span.line) for o in outcomes[1:]
                if isinstance(o, RowError)]
    assert problems == [(2, ["E514"], 2), (3, ["E515"], 3), (4, ["E515"], 4), (5, ["E514"], 5)]
    assert "不是 JSON" in str(EvidenceError(list(outcomes[1].diagnostics)))  # type: ignore[union-attr]  # the caret line


def test_a_flat_row() -> None:
    rubric = loads(SMALL)
    row = rubric.evaluate({"id": "甲", "达标": False, "问题": 3, "评议": 6.5}, explain=False).to_row()
    # 学习 10 − 2 − 1.5 = 6.5; 评议 6.5; 甲类 13
    assert row == {"id": "甲", "total": 13, "max": 20, "vetoed": False, "section:甲类": 13, "item:学习": 6.5,
                   "item:评议": 6.5}


def test_flat_rows_carry_levels() -> None:
    rubric = load(ROOT / "rubrics" / "两新争先创优.rubric")
    result = next(rubric.evaluate_many(ROOT / "rubrics" / "examples" / "两新-批量.jsonl", schemes=["星级", "争先创优"]))
    row = result.to_row()  # type: ignore[union-attr]
    assert (row["total"], row["level:星级"], row["level:争先创优"]) == (83.5, "三星级", "良好")


@pytest.mark.parametrize(("source", "suffix"), [(".jsonl", ".jsonl"), (".jsonl", ".csv"), (".parquet", ".parquet"),
                                               (".parquet", ".jsonl"), (".jsonl", ".parquet")])
def test_cli_streams_a_large_batch_to_a_file(tmp_path: Path, source: str, suffix: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """3000 rows in chunks of 700 (five chunks), one bad row in the fourth."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    rubric_file = tmp_path / "小.rubric"
    rubric_file.write_text(SMALL, encoding="utf-8")
    batch = tmp_path / f"many{source}"
    branches = [small_branch(n) for n in range(1, 3001)]
    branches[2500] = {"id": "坏", "问题": -1, "评议": 1.0}
    if source == ".jsonl":
        batch.write_text("".join(json.dumps(b, ensure_ascii=False) + "\n" for b in branches), encoding="utf-8")
    else:
        pq.write_table(pa.Table.from_pylist(branches), batch, row_group_size=1000)
    out = tmp_path / f"out{suffix}"
    assert main(["eval", str(rubric_file), str(batch), "-o", str(out), "--chunk-rows", "700"]) == 1  # one bad row
    err = capsys.readouterr().err
    where = "many.jsonl:2501" if source == ".jsonl" else "<第 2501 行>"
    assert "E504" in err and where in err and "已写出 2999 条结果" in err and "1 条有错误" in err
    if suffix == ".jsonl":
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    elif suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    else:
        rows = pq.read_table(out).to_pylist()
    assert len(rows) == 2999
    by_id = {row["id"]: row for row in rows}
    for n in (1, 3, 250, 700, 701, 1500, 2999, 3000):
        b = small_branch(n)
        assert Fraction(str(by_id[b["id"]]["total"])) == expected_total(b["达标"], b["问题"], b["评议"])


def test_cli_output_needs_a_batch_and_a_known_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rubric = str(ROOT / "rubrics" / "两新争先创优.rubric")
    batch = str(ROOT / "rubrics" / "examples" / "两新-批量.jsonl")
    with pytest.raises(SystemExit) as info:
        main(["eval", rubric, batch, "-o", str(tmp_path / "out.txt")])
    assert info.value.code == 2 and "-o 用于批量评分" in capsys.readouterr().err
    assert main(["eval", rubric, batch, "-o", str(tmp_path / "none" / "out.csv")]) == 1
    assert "无法写入" in capsys.readouterr().err
    assert main(["eval", rubric, batch, "-o", str(tmp_path / "out.csv"), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    with pytest.raises(SystemExit) as info:
        main(["eval", rubric, batch, "-o", str(tmp_path / "out.csv"), "--chunk-rows", "0"])
    assert info.value.code == 2 and "--chunk-rows 应为正整数" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["eval", rubric, str(tmp_path / "in.parquet")])
    assert info.value.code == 2 and "Parquet 文件用 -o 批量评分" in capsys.readouterr().err


def test_progress_line() -> None:
    # 150 left at 25 a second: 6 seconds; 50 of 200 is 25%
    assert parts(50, 200, 25.0) == {"counts": "已评 50 / 200 条(25%)", "speed": "25 条/秒", "left": " · 剩余约 6 秒"}
    assert parts(0, None, None) == {"counts": "已评 0 条", "speed": "… 条/秒", "left": ""}
    assert parts(1_234_567, 2_000_000, 98_765.4)["counts"] == "已评 1,234,567 / 2,000,000 条(61%)"
    quiet = io.StringIO()
    silent = Progress(10, quiet, enabled=False)
    silent.advance(10)
    silent.finish()
    assert quiet.getvalue() == ""


def test_an_unreadable_batch_file(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError) as caught:
        list(evaluate_many(loads(SMALL), tmp_path / "没有.jsonl"))
    assert [d.code for d in caught.value.diagnostics] == ["E511"]
    assert "无法读取批量文件" in str(caught.value) and "文件不存在" in str(caught.value)
