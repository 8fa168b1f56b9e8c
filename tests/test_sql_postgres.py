"""The scoring query run inside a real PostgreSQL server (tests/postgres_server.py starts one):
every bundled rubric with its example evidence equals `rubric.evaluate`, a generated 100k-row
batch loaded with COPY equals the numpy engine row by row, the query text parses back, and the
refusals and errors of starrules/sql/postgres.py each have a test. No test here is skipped: a
server that cannot start fails them with initdb's or pg_ctl's output."""

from __future__ import annotations

import csv
import io
import random
import re
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pytest
import sqlglot

from starrules import Rubric, StarrulesError, load, loads
from starrules.cli import main
from starrules.sql.postgres import _result_type, load_evidence, score_postgres, scoring_query
from starrules.sql.runner import evidence_table, score_duckdb
from starrules.sql.query import QuerySpec, result_columns
from starrules.sql.scoring import grid_scale
from tests.postgres_server import (SUPERUSER, Server, binaries, postgres, postgres_server,  # noqa: F401
                                   run_or_fail)
from tests.test_sql_scoring import (BUNDLED, EVIDENCE, RATE_SCORE, RATE_SCORES, REFUSED, RUBRICS, TINY,
                                    assert_equals_evaluate, by_name)
from tests.test_sql_division import ROWS as ATTENDANCE_ROWS
from tests.test_sql_validation import bad_rows_table
from tests.test_sql_validation import rubric as validation_rubric

Connection = psycopg.Connection[tuple[Any, ...]]
ROOT = Path(__file__).resolve().parent.parent
SCORED = [(path, name) for path, name in BUNDLED if name not in REFUSED]


def postgres_scores(rubric: Rubric, connection: Connection, records: list[dict[str, Any]],
                    schemes: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The records loaded into PostgreSQL and scored there; per row: item and section scores by
    name, the total, the veto flags, the level under each of `schemes` and the error code."""
    # a database table has no order: each row is loaded with its position as its id, and the
    # result put back in that order (the bundled batches' ids are not all unique)
    table = evidence_table(rubric, [{**record, "id": f"{k:06d}"} for k, record in enumerate(records)])
    load_evidence(connection, "evidence", table)
    columns = result_columns(rubric, QuerySpec(tuple(table.schema.names), schemes=schemes), "postgres")
    return [by_name(columns, row) for row in score_postgres(rubric, connection, "evidence", schemes).sort_by("id").to_pylist()]


@pytest.mark.parametrize(("path", "name"), SCORED, ids=[f"{p.stem}-{n}" for p, n in SCORED])
def test_bundled_rubric_in_postgres_equals_the_evaluator(path: Path, name: str, postgres: Connection) -> None:
    rubric = load(path, name)
    rows = EVIDENCE[name]
    assert rows, f"{name} has no example evidence"
    schemes = tuple(rubric.schemes)
    assert_equals_evaluate(rubric, rows, postgres_scores(rubric, postgres, rows, schemes), schemes)


@pytest.mark.parametrize(("path", "name"), [c for c in BUNDLED if c[1] in REFUSED])
def test_a_rubric_sql_cannot_score_is_refused_before_the_database_runs_anything(path: Path, name: str,
                                                                               postgres: Connection) -> None:
    rubric = load(path, name)
    load_evidence(postgres, "evidence", pa.table({"id": ["甲支部"]}))
    with pytest.raises(StarrulesError) as caught:
        score_postgres(rubric, postgres, "evidence")
    assert [d.code for d in caught.value.diagnostics] == ["E607"]  # 综合: several raters


def test_a_row_the_standard_is_not_for_comes_back_with_its_code_and_nothing_else_is_lost(
        postgres: Connection) -> None:
    # 机关五好 is for 领域 = 机关 (适用): the same branch given as 学校 is E521 in every engine, its
    # scores NULL; the good row beside it is scored as rubric.evaluate scores it
    rubric = load(RUBRICS / "五好党支部.rubric", "机关五好")
    (good,) = EVIDENCE["机关五好"]
    bad = {**good, "id": "学校的", "领域": "学校"}
    with pytest.raises(StarrulesError) as caught:
        rubric.evaluate(bad)
    assert [d.code for d in caught.value.diagnostics] == ["E521"]
    load_evidence(postgres, "evidence", evidence_table(rubric, [{**good, "id": "机关的"}, bad]))
    rows = {row["id"]: row for row in score_postgres(rubric, postgres, "evidence", ("五好",)).to_pylist()}
    assert (rows["学校的"]["error"], rows["学校的"]["error_field"], rows["学校的"]["total"],
            rows["学校的"]["level_1"]) == ("E521", "适用", None, None)
    expected = rubric.evaluate(good, schemes=["五好"])
    assert (rows["机关的"]["error"], Fraction(rows["机关的"]["total"]), rows["机关的"]["level_1"]) == \
        (None, Fraction(expected.total), expected.levels["五好"].level)


def test_one_bad_row_per_error_class_comes_back_with_its_code_and_the_good_rows_are_scored(
        postgres: Connection) -> None:
    # tests/test_sql_validation.py's standard (every kind of evidence): a good row, one row per
    # problem (each the good row with one value changed), a good row — loaded with COPY
    data, expected = bad_rows_table()
    load_evidence(postgres, "evidence", data)
    rows = sorted(score_postgres(validation_rubric(), postgres, "evidence").to_pylist(), key=lambda row: row["id"])
    assert [(row["error"], row["error_field"]) for row in rows] == expected
    # the good rows: A 5 − 2 (人数) − 1 (额 3.5 > 3) = 2, B 2.5, C 中 3, D 3 + 1 = 4, E 不适用 → 11.5;
    # nothing on a bad row
    assert [row["total"] for row in rows] == [Decimal("11.5"), *[None] * (len(rows) - 2), Decimal("11.5")]


@pytest.mark.parametrize(("file", "name"), [("村社区争先创优", "村社区争先创优"), ("五好党支部", "机关五好")])
def test_the_result_has_the_columns_and_types_duckdb_gives(file: str, name: str, postgres: Connection) -> None:
    # 机关五好: its 适用 line makes every score a CASE that may give NULL (where PostgreSQL drops
    # the NUMERIC's declared scale), and it has vetoes and a scheme with 降档
    rubric = load(RUBRICS / f"{file}.rubric", name)
    schemes = tuple(rubric.schemes)
    table = evidence_table(rubric, EVIDENCE[name])
    load_evidence(postgres, "evidence", table)
    got = score_postgres(rubric, postgres, "evidence", schemes).schema
    expected = score_duckdb(rubric, table, schemes).schema
    assert [(f.name, f.type) for f in got] == [(f.name, f.type) for f in expected]


def test_tiny_rubric_scored_by_hand_in_postgres(postgres: Connection) -> None:
    rubric = loads(TINY)
    load_evidence(postgres, "evidence", pa.table({"id": ["a", "b", "c"], "人数": pa.array([7, 0, 12], pa.int64()),
                                                  "好": [True, False, True]}))
    rows = score_postgres(rubric, postgres, "evidence").sort_by("id").to_pylist()
    # a: A 5 − ⌊7/3⌋·1 = 3; B 3 + 1 = 4; 甲 7 of 10 (14 units of 0.5)
    # b: A 5 (0 people: nothing); B 不适用 → 0, 甲's maximum 10 − 5 = 5 (10 units); total 5
    # c: A ⌊12/3⌋ = 4 deducted, capped at 3 → 2; B 4; total 6
    assert [(r["id"], r["item_1"], r["item_2"], r["item_2_applicable"], r["section_1_max_units"], r["total"],
             r["total_units"]) for r in rows] == [
        ("a", Decimal("3.0"), Decimal("4.0"), True, 20, Decimal("7.0"), 14),
        ("b", Decimal("5.0"), Decimal("0.0"), False, 10, Decimal("5.0"), 10),
        ("c", Decimal("2.0"), Decimal("4.0"), True, 20, Decimal("6.0"), 12)]


def test_text_comes_back_as_it_went_in_and_an_empty_table_gives_no_rows(postgres: Connection) -> None:
    # the rows come back as CSV: a comma, a quote, a newline, an empty text and NULL each survive it
    ids = ['逗号,引号"', "换\n行", "", None]
    load_evidence(postgres, "evidence", pa.table({"id": pa.array(ids, pa.string()),
                                                  "人数": pa.array([1] * 4, pa.int64()), "好": [True] * 4}))
    rubric = loads(TINY)
    got = score_postgres(rubric, postgres, "evidence").column("id").to_pylist()
    assert sorted(got, key=str) == sorted(ids, key=str)
    empty = pa.table({"id": pa.array([], pa.string()), "人数": pa.array([], pa.int64()),
                      "好": pa.array([], pa.bool_())})
    load_evidence(postgres, "nothing", empty)
    got = score_postgres(rubric, postgres, "nothing")
    assert got.num_rows == 0 and got.schema == score_duckdb(rubric, empty).schema


RATE = ("标准 率 {\n    事实 率: 比例\n"
        "    类型 甲 10分 { 项目 A 10分 { 扣 1分 如果 率 < 50% 扣 2分 如果 率 < 0.255 } }\n}")


def test_a_float_column_is_refused_at_its_fact(postgres: Connection) -> None:
    # load_evidence keeps a float column as DOUBLE PRECISION; scoring refuses it, as on DuckDB
    load_evidence(postgres, "evidence", pa.table({"率": pa.array([0.3], pa.float64())}))
    with pytest.raises(StarrulesError) as caught:
        score_postgres(loads(RATE), postgres, "evidence")
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("E607", 2, 5)
    assert "^" in diagnostic.render()


def test_a_numeric_column_without_a_scale_is_read_at_its_values_places(postgres: Connection) -> None:
    postgres.execute('CREATE TABLE evidence ("id" TEXT, "率" NUMERIC)')
    postgres.execute("""INSERT INTO evidence VALUES ('a', 0.3), ('b', 0.2549), ('c', 0.255), ('d', 0.5)""")
    rows = score_postgres(loads(RATE), postgres, "evidence").sort_by("id").to_pylist()
    # read at 4 places (0.2549): a 0.3 < 0.5 → −1 = 9; b 0.2549 < 0.255 too → −3 = 7;
    # c 0.255 is not below 0.255 → 9; d 0.5 is not below 50% → 10
    assert [(r["id"], r["total"]) for r in rows] == [("a", Decimal("9")), ("b", Decimal("7")), ("c", Decimal("9")),
                                                     ("d", Decimal("10"))]


def test_a_table_named_with_a_schema_and_capitals_is_the_same_table_for_every_step(postgres: Connection) -> None:
    rubric = loads(TINY)
    postgres.execute("CREATE SCHEMA 考核")
    load_evidence(postgres, "考核.Evidence2024", pa.table({"人数": pa.array([3], pa.int64()), "好": [False]}))
    # the unquoted name folds to lower case in the CREATE, in the column lookup and in the query alike
    assert postgres.execute("SELECT count(*) FROM 考核.evidence2024").fetchone() == (1,)
    (row,) = score_postgres(rubric, postgres, "考核.Evidence2024").to_pylist()
    # A 5 − ⌊3/3⌋·1 = 4; B 起评 3, not 好 so nothing added; total 7
    assert (row["item_1"], row["item_2"], row["total"]) == (Decimal("4.0"), Decimal("3.0"), Decimal("7.0"))


def test_a_missing_table_is_named(postgres: Connection) -> None:
    with pytest.raises(ValueError, match="没有表“nowhere”"):
        score_postgres(loads(TINY), postgres, "nowhere")


def test_an_evidence_column_of_no_sql_type_is_refused_by_name(postgres: Connection) -> None:
    with pytest.raises(TypeError, match="证据列“日期”"):
        load_evidence(postgres, "evidence", pa.table({"日期": pa.array([1], pa.date32())}))


def test_a_result_column_of_a_type_no_query_gives_is_refused_by_name() -> None:
    # the scoring query gives BOOLEAN, BIGINT, text and NUMERIC columns only; anything else (here
    # a date, OID 1082) would mean the query changed without this module learning its types
    date = SimpleNamespace(name="日期", type_code=1082, type_display="date", precision=None, scale=None)
    with pytest.raises(TypeError, match="结果列“日期”的 PostgreSQL 类型 date"):
        _result_type(pa, date)


def test_the_query_text_parses_back(postgres: Connection) -> None:
    rubric = load(RUBRICS / "两新争先创优.rubric")
    load_evidence(postgres, "evidence", evidence_table(rubric, EVIDENCE["两新争先创优"]))
    sql = scoring_query(rubric, postgres, "evidence", tuple(rubric.schemes))
    assert sqlglot.parse_one(sql, read="postgres").sql(dialect="postgres") == sql


def test_the_docs_example_prints_what_the_docs_show(postgres_server: Server, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """docs/sql.md's PostgreSQL example (test_docs cannot run it: it has no server), run on this
    server: its DSN line pointed here, its printed lines those the text block after it shows."""
    doc = (ROOT / "docs" / "sql.md").read_text(encoding="utf-8")
    found = re.search(r"```python\n(# runs in PostgreSQL.*?)```.*?```text\n(.*?)```", doc, re.DOTALL)
    assert found, "docs/sql.md has no PostgreSQL example"
    code, shown = found.groups()
    here = f"host={postgres_server.socket_dir} user={SUPERUSER} dbname=postgres"
    code, replaced = re.subn(r'^DSN = ".*"$', lambda _: f"DSN = {here!r}", code, flags=re.MULTILINE)
    assert replaced == 1
    monkeypatch.chdir(ROOT)
    try:
        exec(compile(code, "docs/sql.md example", "exec"), {})
        assert capsys.readouterr().out == shown
    finally:  # the example commits its table: drop it, so the session's server stays as it was
        with postgres_server.connect() as connection:
            connection.execute("DROP TABLE IF EXISTS evidence_2024")


def test_the_printed_query_runs_in_psql_as_score_postgres_runs_it(postgres_server: Server, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """docs/sql.md's psql route: `starrules sql … --dialect postgres --id --scale …` for a table
    load_evidence made, run by psql (another session: the table is committed, then dropped),
    gives each branch the total and level `score_postgres` gives."""
    path = RUBRICS / "机关星级评定.rubric"
    rubric = load(path)
    table = evidence_table(rubric, EVIDENCE["机关星级评定"])
    scales = [f"{f.name}={f.type.scale}" for f in table.schema if pa.types.is_decimal(f.type)]
    assert scales == ["党员满意率=2", "群众满意率=2"]  # what docs/sql.md gives for this table
    with postgres_server.connect() as connection:
        load_evidence(connection, "psql_evidence", table)
        connection.commit()
    try:
        with postgres_server.connect() as connection:
            expected = {r["id"]: (r["total"], r["level_1"]) for r in
                        score_postgres(rubric, connection, "psql_evidence", tuple(rubric.schemes)).to_pylist()}
        command = ["sql", str(path), "--dialect", "postgres", "--table", "psql_evidence", "--id"]
        assert main([*command, *(part for scale in scales for part in ("--scale", scale))]) == 0
        (tmp_path / "计分.sql").write_text(capsys.readouterr().out, encoding="utf-8")
        psql = [str(binaries() / "psql"), "-h", str(postgres_server.socket_dir), "-U", SUPERUSER, "-d", "postgres",
                "-X", "-v", "ON_ERROR_STOP=1", "--csv", "-f", str(tmp_path / "计分.sql")]
        done = subprocess.run(psql, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        printed = {r["id"]: (Decimal(r["total"]), r["level_1"]) for r in csv.DictReader(io.StringIO(done.stdout))}
        assert printed == expected and len(printed) == 3
    finally:
        with postgres_server.connect() as connection:
            connection.execute("DROP TABLE psql_evidence")


def test_a_failing_server_step_fails_the_test_with_its_output(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("FATAL: lock file exists\n")
    command = [sys.executable, "-c", "import sys; print('initdb: directory exists'); sys.exit(1)"]
    with pytest.raises(pytest.fail.Exception) as caught:
        run_or_fail(command, "initdb", tmp_path, log)
    assert "initdb failed (exit 1)" in str(caught.value)
    assert "directory exists" in str(caught.value) and "lock file exists" in str(caught.value)


# the generated batch
BATCH_ROWS = 100_000
POOL = 2_000  # varied records validated one by one through evidence_table
BATCH_RUBRIC = "机关星级评定"  # 34 是否, a 计数 and two 比例 facts, 6 types, a star scheme


def varied_records(rubric: Rubric, examples: list[dict[str, Any]], size: int,
                   rng: random.Random) -> list[dict[str, Any]]:
    """Records made from the examples: each fact kept (4 times in 5) or drawn afresh (a flag, a
    count up to twice the largest seen, a ratio in hundredths, a choice), sometimes left out where
    it has a default."""
    facts = rubric.scoring_plan.facts
    spec = rubric.evaluator.evidence_spec
    largest = {name: max((r[name] for r in examples if isinstance(r.get(name), int)), default=5) for name in facts}
    out = []
    for k in range(size):
        record: dict[str, Any] = {"id": f"生成-{k:06d}"}
        base = rng.choice(examples)
        for name, fact in facts.items():
            if name in base and rng.random() < 0.8:
                record[name] = base[name]
            elif fact.default is None or rng.random() < 0.9:
                record[name] = _drawn(fact.type.kind, fact.type.choices, largest[name], rng)
        for name in spec.judged:  # none in the batch rubric; kept for any other
            if name in base:
                record[name] = base[name]
        out.append(record)
    return out


def _drawn(kind: str, choices: tuple[str, ...], largest: int, rng: random.Random) -> Any:
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "count":
        return rng.randint(0, 2 * largest + 2)
    if kind == "ratio":
        return Decimal(rng.randint(0, 100)).scaleb(-2)
    if kind == "number":
        return Decimal(rng.randint(0, 200 * largest + 200)).scaleb(-2)
    return rng.choice(choices)


def generated_batch(rubric: Rubric, rows: int, seed: int) -> Any:
    """`rows` rows, deterministic in `seed`: a pool of varied records, each validated through
    evidence_table; each row is a pool row with each column, by a coin toss, taken from another
    pool row instead (whole rows keep the examples' good and bad branches, which the top and
    bottom levels need; mixed ones reach combinations no record has). Each value was validated
    and no check reads two keys, so every row is valid — and the numpy engine, run with
    errors="raise", reads each row again."""
    rng = random.Random(seed)
    pool = evidence_table(rubric, varied_records(rubric, EVIDENCE[BATCH_RUBRIC], POOL, rng))
    picks = np.random.default_rng(rng.getrandbits(64))
    whole = picks.integers(0, POOL, rows)

    def drawn(name: str) -> Any:
        return pool.column(name).take(np.where(picks.random(rows) < 0.5, picks.integers(0, POOL, rows), whole))

    columns = {name: drawn(name) for name in pool.schema.names if name != "id"}
    return pa.table({"id": pa.array([f"生成-{k:06d}" for k in range(rows)], pa.string()), **columns})


def test_a_generated_100k_batch_in_postgres_equals_the_numpy_engine(postgres: Connection) -> None:
    rubric = load(RUBRICS / f"{BATCH_RUBRIC}.rubric")
    schemes = tuple(rubric.schemes)
    table = generated_batch(rubric, BATCH_ROWS, seed=17)
    load_evidence(postgres, "evidence", table)
    got = score_postgres(rubric, postgres, "evidence", schemes).sort_by("id")  # a table has no order: by id
    assert got.num_rows == BATCH_ROWS
    batches = list(rubric.evaluate_columns(table, schemes=schemes, errors="raise"))
    expected = {key: np.concatenate([getattr(b, key) for b in batches], axis=-1)
                for key in ("total", "max", "vetoed", "items", "sections", "applicable")}
    assert got.column("id").to_pylist() == [i for b in batches for i in b.ids]

    def column(name: str) -> Any:
        return got.column(name).to_numpy(zero_copy_only=False)

    columns = result_columns(rubric, QuerySpec(tuple(table.schema.names), schemes=schemes), "postgres")
    items = [c.column for c in columns if c.kind == "item" and c.units]
    sections = [c.column for c in columns if c.kind == "section" and c.units]
    assert got.column("error").null_count == BATCH_ROWS
    assert np.array_equal(column("total_units"), expected["total"])
    assert np.array_equal(column("regular_max_units"), expected["max"])
    assert np.array_equal(np.vstack([column(c) for c in items]), expected["items"])
    assert np.array_equal(np.vstack([column(c.replace("_units", "_applicable")) for c in items]),
                          expected["applicable"])
    assert np.array_equal(np.vstack([column(c) for c in sections]), expected["sections"])
    vetoes = [column(c.column) for c in columns if c.kind == "veto"]
    fired = np.vstack(vetoes).any(axis=0) if vetoes else np.zeros(BATCH_ROWS, dtype=np.bool_)
    assert np.array_equal(fired, expected["vetoed"])
    for k, scheme in enumerate(schemes, 1):
        levels = np.concatenate([b.levels[scheme] for b in batches])
        assert column(f"level_{k}").tolist() == levels.tolist(), scheme
    # the points columns are the units times the step, exactly
    step = rubric.evaluator.grid.step
    assert got.schema.field("total").type == pa.decimal128(18, grid_scale(step))  # a bounded score fits 18 digits
    assert [Fraction(p) for p in got.column("total").to_pylist()[:1000]] == \
        [u * step for u in column("total_units")[:1000].tolist()]
    # the batch is not trivial: totals spread over many values, and every level of the scheme is reached
    assert len(set(column("total_units").tolist())) > 20
    assert set(column("level_1").tolist()) == set(rubric.grade_plan(schemes[0]).names)


def test_a_score_from_a_quotient_of_facts_stays_exact(postgres: Connection) -> None:
    # tests/test_sql_scoring.py's RATE_SCORE: SIGN(BIGINT) is a DOUBLE in PostgreSQL; the score must
    # stay a BIGINT number of half-points (and 零's 0 / 0 is E510)
    rubric = loads(RATE_SCORE)
    load_evidence(postgres, "evidence", evidence_table(rubric, ATTENDANCE_ROWS))
    rows = score_postgres(rubric, postgres, "evidence").to_pylist()
    assert sorted((r["id"], r["error"], r["error_field"], r["total_units"]) for r in rows) == RATE_SCORES
    assert all(type(r["total_units"]) is int for r in rows if r["error"] is None)
