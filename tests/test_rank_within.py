"""Ranking within groups (`rank(..., within=FACT)`, `starrules rank|report --within FACT`): each value of the
fact is a batch of its own — 名次, 名额 and 倒排 counted among its branches only (每个党委各有名额). Expected
values worked out by hand from the plan "名额 五星级 1, 四星级 2, 三星级 1" (the 武威市检察院机关 plan) and
the rubric of tests/test_ranking.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from starrules import loads
from starrules.cli import main
from starrules.grade.ranking import rank
from tests.test_ranking import RANKED, WUWEI_PLAN

RUBRIC = loads(RANKED.format(rules=WUWEI_PLAN))
# (id, 领域, 甲项, 乙项): 机关 98, 96, 91; 农村 97, 95
ROWS = [("甲", "机关", 50, 48), ("乙", "农村", 50, 47), ("丙", "机关", 48, 48), ("丁", "农村", 47, 48),
        ("戊", "机关", 45, 46)]


def results() -> list:
    return [RUBRIC.evaluate({"id": i, "领域": f, "甲项": a, "乙项": b}) for i, f, a, b in ROWS]


def test_each_group_gets_its_own_quota_and_ranks() -> None:
    ranked = rank(results(), "星级", within="领域")
    # 机关 first (its first branch comes first in the batch): 98 五星级 (the one 五星级); 96 scored 五星级, falls
    # to 四星级; 91 四星级 (2 allowed). 农村: 97 五星级, 95 scored 五星级 falls to 四星级.
    assert [(b.id, b.rank, b.level) for b in ranked.branches] == [
        ("甲", 1, "五星级"), ("丙", 2, "四星级"), ("戊", 3, "四星级"), ("乙", 1, "五星级"), ("丁", 2, "四星级")]
    # the whole batch as one: one 五星级 (甲), 四星级 for 乙 and 丙 (2), 三星级 for 丁 (1), 戊 待定 at 三星级
    whole = rank(results(), "星级")
    assert [(b.id, b.level) for b in whole.branches] == [("甲", "五星级"), ("乙", "四星级"), ("丙", "四星级"),
                                                         ("丁", "三星级"), ("戊", "三星级")]


def test_within_a_fact_the_standard_does_not_have_is_refused() -> None:
    with pytest.raises(ValueError, match="“党委”不是本标准的事实"):
        rank(results(), "星级", within="党委")


def test_rank_cli_within(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rubric = tmp_path / "排.rubric"
    rubric.write_text(RANKED.format(rules=WUWEI_PLAN), encoding="utf-8")
    batch = tmp_path / "b.jsonl"
    batch.write_text("".join(json.dumps({"id": i, "领域": f, "甲项": a, "乙项": b}, ensure_ascii=False) + "\n"
                             for i, f, a, b in ROWS), encoding="utf-8")
    assert main(["rank", str(rubric), str(batch), "--scheme", "星级", "--within", "领域", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(b["id"], b["rank"], b["level"]) for b in data["branches"]] == [
        ("甲", 1, "五星级"), ("丙", 2, "四星级"), ("戊", 3, "四星级"), ("乙", 1, "五星级"), ("丁", 2, "四星级")]
    with pytest.raises(SystemExit) as exited:
        main(["rank", str(rubric), str(batch), "--scheme", "星级", "--within", "党委"])
    assert exited.value.code == 2 and "“党委”不是本标准的事实" in capsys.readouterr().err
