"""Ranking within groups in SQL (`QuerySpec(cohort=True, within=FACT)`, `cohort_query(..., within=FACT)`,
`starrules sql … --cohort --within FACT`): each value of the fact is a batch of its own — 名次, 名额 and 倒排
counted among its rows only — as `rank(..., within=FACT)` (tests/test_rank_within.py) does. Worked by hand
on DuckDB, SQLite, PostgreSQL and MariaDB, and held to `rank` on generated rubrics and batches."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from starrules import Rubric, loads, rank
from starrules.cli import main
from starrules.eval.result import Result
from starrules.sql.cohort import WITHIN, cohort_query
from starrules.sql.query import QuerySpec, compile_query
from starrules.sql.runner import column_scales, evidence_table
from tests.mysql_server import mysql, mysql_server  # noqa: F401
from tests.postgres_server import postgres, postgres_server  # noqa: F401
from tests.test_ranking import RANKED, WUWEI_PLAN
from tests.test_sql_cohort import ENGINES, Placed, Row, cohort_case, graded, over_evidence, placed, run

# (id, 领域, 甲项, 乙项): 机关 98, 96, 91; 农村 97, 95 (tests/test_rank_within.py)
ROWS = [("甲", "机关", 50, 48), ("乙", "农村", 50, 47), ("丙", "机关", 48, 48), ("丁", "农村", 47, 48),
        ("戊", "机关", 45, 46)]
RECORDS = [{"id": i, "领域": f, "甲项": a, "乙项": b} for i, f, a, b in ROWS]
# 名额 per 领域: 机关 98 五星级 (the one place), 96 scored 五星级 falls to 四星级, 91 四星级 (2 places);
# 农村 97 五星级, 95 scored 五星级 falls to 四星级
BY_FIELD: dict[str, Placed] = {"甲": (1, "五星级", False, frozenset()), "丙": (2, "四星级", False, frozenset()),
            "戊": (3, "四星级", False, frozenset()), "乙": (1, "五星级", False, frozenset()),
            "丁": (2, "四星级", False, frozenset())}


def spec_for(rubric: Rubric, table: Any, schemes: Sequence[str], within: str | None) -> QuerySpec:
    return QuerySpec(tuple(table.schema.names), column_scales(rubric, table.schema), tuple(schemes), cohort=True,
                     units=False, within=within)


def within_rows(rubric: Rubric, schemes: Sequence[str], records: Sequence[Row], engine: str,
                within: str | None) -> list[Row]:
    """The whole query (cohort rules within `within`) over the evidence on DuckDB or SQLite; in
    SQLite a DECIMAL column holds the value × 10^scale as an integer (as the query reads it there).
    A record that leaves the `within` fact out has NULL there (the reader's table fills in the
    默认: the query must)."""
    table = evidence_table(rubric, records)
    if within is not None and within in table.schema.names:
        at = table.schema.get_field_index(within)
        given = [value if within in record else None for record, value in zip(records, table[within].to_pylist())]
        table = table.set_column(at, table.schema.field(at), pa.array(given, table.schema.field(at).type))
    return over_evidence(rubric, schemes, records, engine, table, within)


def reference(results: Sequence[Result], scheme: str, within: str) -> dict[str, Placed]:
    """Per id, `rank(..., within=)`'s (rank, level, 待定, the other marks)."""
    return {str(b.id): (b.rank, b.level, "待定" in b.marks, frozenset(m for m in b.marks if m != "待定"))
            for b in rank(results, scheme, within=within).branches}


# worked by hand

@pytest.mark.parametrize("engine", ENGINES)
def test_each_value_of_the_fact_gets_its_own_ranks_and_quotas_in_sql(engine: str) -> None:
    rubric = loads(RANKED.format(rules=WUWEI_PLAN))
    assert placed(rubric, ["星级"], within_rows(rubric, ["星级"], RECORDS, engine, "领域")) == BY_FIELD
    # the whole table as one batch: 五星级 1 (甲 98), 四星级 2 (乙 97, 丙 96), 三星级 1 (丁 95), 戊 91
    # stays at 三星级 (the lowest level with a quota), 待定; ranks 1 … 5 by total
    assert placed(rubric, ["星级"], within_rows(rubric, ["星级"], RECORDS, engine, None)) == {
        "甲": (1, "五星级", False, frozenset()), "乙": (2, "四星级", False, frozenset()),
        "丙": (3, "四星级", False, frozenset()), "丁": (4, "三星级", False, frozenset()),
        "戊": (5, "三星级", True, frozenset())}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_forced_share_counts_the_rows_of_its_value_only(engine: str) -> None:
    # 倒排 20%: 机关 ⌈20% × 3⌉ = ⌈0.6⌉ = 1 marks 戊 (91); 农村 ⌈20% × 2⌉ = ⌈0.4⌉ = 1 marks 丁 (95). Over
    # the whole table ⌈20% × 5⌉ = 1 would mark 戊 alone.
    rubric = loads(RANKED.format(rules=WUWEI_PLAN + "\n    倒排 20% 为 相对后进"))
    marked = {**BY_FIELD, "戊": (3, "四星级", False, frozenset({"相对后进"})),
              "丁": (2, "四星级", False, frozenset({"相对后进"}))}
    assert placed(rubric, ["星级"], within_rows(rubric, ["星级"], RECORDS, engine, "领域")) == marked


def test_a_default_fills_the_value_of_a_row_that_leaves_the_fact_out() -> None:
    # 乙 and 丁 leave 领域 out (NULL in the table): 默认 农村 puts them where they were
    rubric = loads(RANKED.format(rules=WUWEI_PLAN))
    records = [{k: v for k, v in r.items() if not (k == "领域" and v == "农村")} for r in RECORDS]
    assert placed(rubric, ["星级"], within_rows(rubric, ["星级"], records, "duckdb", "领域")) == BY_FIELD


def test_every_window_partitions_by_the_value_first() -> None:
    rubric = loads(RANKED.format(rules=WUWEI_PLAN + "\n    倒排 20% 为 相对后进 当 领域 = 农村\n"
                                      "    名额 五星级 50% 当 领域 = 机关"))
    table = evidence_table(rubric, RECORDS)
    query = compile_query(rubric, "duckdb", "evidence", spec_for(rubric, table, ["星级"], "领域"))
    windows = list(query.find_all(exp.Window))
    assert len(windows) >= 8  # the ranks, each quota level's, the share quota's n, 倒排's n and order
    assert all(w.args["partition_by"][0] == exp.column(WITHIN, quoted=True) for w in windows)
    # the value is the fact as scored (the default filled in), given as a column
    assert WITHIN in query.named_selects
    plain = compile_query(rubric, "duckdb", "evidence", spec_for(rubric, table, ["星级"], None))
    assert WITHIN not in plain.named_selects
    assert not any(w.args["partition_by"][0] == exp.column(WITHIN, quoted=True) for w in plain.find_all(exp.Window))


def test_a_fact_the_standard_does_not_have_is_refused() -> None:
    rubric = loads(RANKED.format(rules=WUWEI_PLAN))
    table = evidence_table(rubric, RECORDS)
    message = "分组排名用的“党委”不是本标准的事实;可用的事实:领域"
    with pytest.raises(ValueError) as caught:
        compile_query(rubric, "duckdb", "evidence", spec_for(rubric, table, ["星级"], "党委"))
    assert str(caught.value) == message
    with pytest.raises(ValueError, match="“党委”不是本标准的事实"):
        cohort_query(rubric, ["星级"], exp.select("*").from_("graded"), "duckdb", within="党委")
    with pytest.raises(ValueError, match="“党委”不是本标准的事实"):  # the Python engine says the same
        rank([rubric.evaluate(r) for r in RECORDS], "星级", within="党委")
    with pytest.raises(ValueError, match="cohort=True"):  # within groups the cohort rules: nothing else
        QuerySpec(("id",), within="领域")
    with pytest.raises(ValueError, match=WITHIN):  # an inner query that does not give the value
        cohort_query(rubric, ["星级"], exp.select(*(exp.column(c) for c in (
            "error", "total_units", "level_1_code"))).from_("graded"), "duckdb", within="领域")


# generated rubrics and batches: DuckDB equals `rank(..., within=)`

FACTS = {"领域": "VARCHAR", "规模": "BIGINT", "违纪": "BOOLEAN"}  # cohort_case's facts, each with a 默认


@st.composite
def within_case(draw: st.DrawFn) -> tuple[str, tuple[str, ...], list[Row], str]:
    """A cohort_case, a fact to rank within, and some records that leave that fact out (its 默认)."""
    text, schemes, records = draw(cohort_case())
    fact = draw(st.sampled_from(sorted(FACTS)))
    left_out = draw(st.lists(st.booleans(), min_size=len(records), max_size=len(records)))
    return text, schemes, [{k: v for k, v in r.items() if not (out and k == fact)}
                           for r, out in zip(records, left_out)], fact


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(within_case(), st.lists(st.sampled_from(["E512", "E521"]), max_size=2))
def test_duckdb_within_a_fact_equals_rank_within_on_generated_rubrics(
        case: tuple[str, tuple[str, ...], list[Row], str], errors: list[str]) -> None:
    """Both routes: the whole query over the evidence, and the cohort query over a graded table
    (with rows whose error must keep them out of every count of their value)."""
    text, schemes, records, fact = case
    rubric = loads(text)
    results = [rubric.evaluate(r) for r in records]
    whole = within_rows(rubric, schemes, records, "duckdb", fact)
    types, rows = graded(rubric, schemes, results, errors)
    types[WITHIN] = FACTS[fact]
    values = [dict(r.facts)[fact] for r in results]
    for row, value in zip(rows, values + [values[0] if values else None] * len(errors)):
        row[WITHIN] = value  # an error row sits in a real group: it must not count there
    inner = exp.select(*(exp.column(c, quoted=True) for c in types)).from_("graded")
    over = run("duckdb", "graded", types, rows, cohort_query(rubric, schemes, inner, "duckdb", within=fact))
    for k, scheme in enumerate(schemes, 1):
        expected = reference(results, scheme, fact)
        assert placed(rubric, schemes, whole, k) == expected
        assert placed(rubric, schemes, over, k) == expected | {f"错{n}": (None, None, None, None)
                                                               for n in range(1, len(errors) + 1)}


# PostgreSQL and MariaDB

def test_cohort_within_a_fact_in_postgres(postgres: Any) -> None:
    from starrules.sql.postgres import load_evidence, query_spec

    rubric = loads(RANKED.format(rules=WUWEI_PLAN + "\n    倒排 20% 为 相对后进"))
    load_evidence(postgres, "evidence", evidence_table(rubric, RECORDS))
    found = query_spec(rubric, postgres, "evidence", ["星级"])
    spec = QuerySpec(found.columns, found.scales, found.schemes, cohort=True, units=False, within="领域")
    with postgres.cursor() as cursor:
        cursor.execute(compile_query(rubric, "postgres", "evidence", spec).sql(dialect="postgres"))
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    assert placed(rubric, ["星级"], rows) == reference([rubric.evaluate(r) for r in RECORDS], "星级", "领域")
    assert placed(rubric, ["星级"], rows)["丁"] == (2, "四星级", False, frozenset({"相对后进"}))


def test_cohort_within_a_fact_in_mysql(mysql: Any) -> None:
    from tests.test_sql_mysql import score_mysql

    rubric = loads(RANKED.format(rules=WUWEI_PLAN + "\n    倒排 20% 为 相对后进"))
    rows = score_mysql(rubric, mysql, "evidence", evidence_table(rubric, RECORDS), ["星级"], cohort=True,
                       units=False, within="领域")
    assert placed(rubric, ["星级"], rows) == reference([rubric.evaluate(r) for r in RECORDS], "星级", "领域")
    assert placed(rubric, ["星级"], rows)["丁"] == (2, "四星级", False, frozenset({"相对后进"}))


# the command line

def test_cli_sql_cohort_within(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rubric_file = tmp_path / "排.rubric"
    rubric_file.write_text(RANKED.format(rules=WUWEI_PLAN), encoding="utf-8")
    assert main(["sql", str(rubric_file), "--scheme", "星级", "--id", "--cohort", "--within", "领域"]) == 0
    printed = capsys.readouterr().out.strip().rstrip(";")
    rubric = loads(RANKED.format(rules=WUWEI_PLAN))
    connection = duckdb.connect()
    try:
        connection.register("evidence", evidence_table(rubric, RECORDS))
        rows = connection.sql(sqlglot.parse_one(printed, read="duckdb").sql("duckdb")).to_arrow_table().to_pylist()
    finally:
        connection.close()
    assert placed(rubric, ["星级"], rows) == BY_FIELD
    with pytest.raises(SystemExit) as exited:  # no fact of the standard: a usage error
        main(["sql", str(rubric_file), "--cohort", "--within", "党委"])
    assert exited.value.code == 2 and "“党委”不是本标准的事实" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:  # --within without --cohort: nothing to group
        main(["sql", str(rubric_file), "--within", "领域"])
    assert exited.value.code == 2 and "--cohort" in capsys.readouterr().err
