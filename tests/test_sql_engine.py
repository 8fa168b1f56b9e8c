"""`evaluate_columns(engine="duckdb")` and the CLI's `sql` and `eval --engine duckdb`: DuckDB runs the
compiled query and gives the numpy engine's batches — every bundled standard's examples, from a
Parquet file, an Arrow table and a DuckDB relation; rows the query flags (E521, W501) go to the
scalar path and come back as the numpy engine gives them; the printed query parses back in every
dialect; refusals and usage errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot

from starrules import EvidenceError, StarrulesError, load, loads
from starrules.cli import main
from starrules.sql.runner import evidence_table
from tests.test_not_applicable_scored import APPLIES, BLANK, SCORED, TEXT as NOT_APPLICABLE
from tests.test_sql_scoring import BUNDLED, DIALECTS, EVIDENCE, REFUSED, records

ROOT = Path(__file__).resolve().parent.parent
HOTEL = ROOT / "rubrics" / "examples" / "星级饭店.rubric"


def same(a: list[Any], b: list[Any]) -> None:
    """Two runs' batches: equal scores, levels, errors (codes and rows), warnings and rows out."""
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.to_arrow().equals(y.to_arrow())
        assert [(e.row, e.id, [d.code for d in e.diagnostics]) for e in x.errors] == \
            [(e.row, e.id, [d.code for d in e.diagnostics]) for e in y.errors]
        assert x.warnings == y.warnings


@pytest.mark.parametrize(("path", "name"), [c for c in BUNDLED if c[1] not in REFUSED],
                         ids=[f"{p.stem}-{n}" for p, n in BUNDLED if n not in REFUSED])
def test_duckdb_engine_gives_the_numpy_engines_batches(path: Path, name: str, tmp_path: Path) -> None:
    rubric = load(path, name)
    table = evidence_table(rubric, EVIDENCE[name])
    file = tmp_path / "in.parquet"
    pq.write_table(table, file)
    numpy_batches = list(rubric.evaluate_columns(file, errors="collect", chunk_rows=2))
    same(numpy_batches, list(rubric.evaluate_columns(file, errors="collect", chunk_rows=2, engine="duckdb")))
    same(list(rubric.evaluate_columns(table, errors="collect")),
         list(rubric.evaluate_columns(table, errors="collect", engine="duckdb")))
    relation = duckdb.connect().from_arrow(table)
    same(list(rubric.evaluate_columns(table, errors="collect")),
         list(rubric.evaluate_columns(relation, errors="collect", engine="duckdb")))


def test_rows_another_standard_is_for_are_e521_on_both_engines() -> None:
    """The 农村五好 standard is for 领域 = 农村: the same evidence with 领域 社区 is E521 on both
    engines (the query flags it, the scalar path gives the diagnostic); the 农村 row is scored."""
    rubric = load(ROOT / "rubrics" / "五好党支部.rubric", "农村五好")
    (village,) = [r for r in records("五好-分领域批量.jsonl") if r.get("领域") == "农村"]
    table = evidence_table(rubric, [village, {**village, "id": "社区-x", "领域": "社区"}])
    got = list(rubric.evaluate_columns(table, errors="collect", engine="duckdb"))
    same(list(rubric.evaluate_columns(table, errors="collect")), got)
    assert [(e.row, e.id, [d.code for d in e.diagnostics]) for b in got for e in b.errors] == [(2, "社区-x", ["E521"])]
    with pytest.raises(EvidenceError):
        list(rubric.evaluate_columns(table, engine="duckdb"))


def test_a_score_for_a_left_out_item_warns_w501_on_both_engines() -> None:
    rubric = loads(NOT_APPLICABLE)
    table = evidence_table(rubric, [SCORED, BLANK, APPLIES])
    got = list(rubric.evaluate_columns(table, engine="duckdb"))
    same(list(rubric.evaluate_columns(table)), got)
    assert [(w.row, w.id, [x.code for x in w.warnings]) for b in got for w in b.warnings] == [(1, "甲", ["W501", "W501"])]


def test_a_float_column_is_refused_and_other_inputs_are_told_to_use_the_default_engine(tmp_path: Path) -> None:
    rubric = load(HOTEL)
    table = evidence_table(rubric, records("星级饭店-批量.jsonl"))
    floats = table.set_column(table.schema.get_field_index("宾客满意率"), "宾客满意率",
                              table.column("宾客满意率").cast(pa.float64()))
    with pytest.raises(StarrulesError) as caught:
        list(rubric.evaluate_columns(floats, engine="duckdb"))
    assert [d.code for d in caught.value.diagnostics] == ["E607"]
    with pytest.raises(TypeError, match="default engine"):
        list(rubric.evaluate_columns(records("星级饭店-批量.jsonl"), engine="duckdb"))
    with pytest.raises(ValueError, match="Parquet"):
        list(rubric.evaluate_columns(ROOT / "rubrics" / "examples" / "星级饭店-批量.jsonl", engine="duckdb"))
    with pytest.raises(ValueError, match="engine"):
        list(rubric.evaluate_columns(table, engine="spark"))  # type: ignore[arg-type]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_cli_sql_prints_a_query_that_parses_back(dialect: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", str(HOTEL), "--dialect", dialect, "--id", "--table", "dj.evidence"]) == 0
    printed = capsys.readouterr().out
    parsed = sqlglot.parse_one(printed.strip().rstrip(";"), read=dialect)
    assert parsed.find(sqlglot.exp.Table) is not None
    assert '"level_1"' in printed or "`level_1`" in printed  # the rubric's scheme, graded


def test_cli_sql_scales_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", str(HOTEL), "--scale", "宾客满意率=2"]) == 0
    assert "AS DECIMAL(18, 2)) * 100 AS BIGINT)" in capsys.readouterr().out  # 2 places: × 10² to grid integers
    with pytest.raises(SystemExit) as stopped:
        main(["sql", str(HOTEL), "--scale", "宾客满意率"])
    assert stopped.value.code == 2
    assert "--scale 应写成 列=小数位数" in capsys.readouterr().err


def test_cli_eval_engine_duckdb_writes_what_numpy_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rubric = load(HOTEL)
    source = tmp_path / "in.parquet"
    pq.write_table(evidence_table(rubric, records("星级饭店-批量.jsonl")), source)
    for engine in ("numpy", "duckdb"):
        assert main(["eval", str(HOTEL), str(source), "-o", str(tmp_path / f"{engine}.parquet"), "--quiet",
                     "--engine", engine]) == 0
    assert pq.read_table(tmp_path / "numpy.parquet").equals(pq.read_table(tmp_path / "duckdb.parquet"))
    jsonl = ROOT / "rubrics" / "examples" / "星级饭店-批量.jsonl"
    with pytest.raises(SystemExit) as stopped:
        main(["eval", str(HOTEL), str(jsonl), "-o", str(tmp_path / "x.parquet"), "--engine", "duckdb"])
    assert stopped.value.code == 2
    assert "--engine duckdb" in capsys.readouterr().err
    assert not (tmp_path / "x.parquet").exists()


def test_bad_rows_come_back_with_the_numpy_engines_diagnostics() -> None:
    """Rows the query's validation flags — a 比例 above 100% (E505), a 酌情 score past its item's
    200 分 (E507), a required 比例 left NULL (E501) — are not scored; the scalar path gives each
    the diagnostics the numpy engine gives, and the good rows around them are scored."""
    rubric = load(HOTEL)
    good = records("星级饭店-批量.jsonl")[:2]
    table = evidence_table(rubric, good + good[:1] * 3)
    ids = pa.array(["好1", "好2", "率", "前厅", "缺"])
    rate = pa.array([*table.column("宾客满意率").to_pylist()[:2], Decimal("1.5"), Decimal("0.9"), None],
                    table.schema.field("宾客满意率").type)
    front = pa.array([*table.column("前厅").to_pylist()[:3], Decimal("250"), table.column("前厅")[0].as_py()],
                     table.schema.field("前厅").type)
    table = table.set_column(0, "id", ids)
    table = table.set_column(table.schema.get_field_index("宾客满意率"), "宾客满意率", rate)
    table = table.set_column(table.schema.get_field_index("前厅"), "前厅", front)
    got = list(rubric.evaluate_columns(table, errors="collect", engine="duckdb"))
    same(list(rubric.evaluate_columns(table, errors="collect")), got)
    assert [(e.id, [d.code for d in e.diagnostics]) for b in got for e in b.errors] == \
        [("率", ["E505"]), ("前厅", ["E507"]), ("缺", ["E501"])]
    assert [bool(v) for b in got for v in b.ok] == [True, True, False, False, False]
