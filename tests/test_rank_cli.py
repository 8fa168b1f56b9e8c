"""`starrules rank` and batch evaluation over JSON Lines and CSV files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from starrules import EvidenceError, evaluate_batch, load
from starrules.cli import main
from tests.test_ranking import WUWEI_PLAN, RANKED

# E512/E513 are tested in test_thresholds, E514/E515 here
THRESHOLD_CODES = {"E512", "E513", "E514", "E515"}


@pytest.fixture()
def rubric_file(tmp_path: Path) -> Path:
    path = tmp_path / "排.rubric"
    path.write_text(RANKED.format(rules=WUWEI_PLAN), encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


ROWS = [{"id": "一支部", "甲项": 50, "乙项": 48}, {"id": "二支部", "甲项": 48, "乙项": 48},
        {"id": "三支部", "甲项": 45, "乙项": 48}]  # 98, 96, 93


def test_rank_jsonl_prints_a_table(rubric_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = write_jsonl(tmp_path / "b.jsonl", ROWS)
    assert main(["rank", str(rubric_file), str(batch), "--scheme", "星级"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "按“星级”排名,共 3 个党支部"
    assert lines[2].split()[:5] == ["1", "一支部", "98", "五星级"]
    assert lines[3].split()[:4] == ["2", "二支部", "96", "四星级(原五星级)"]


def test_rank_csv_json(rubric_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = tmp_path / "b.csv"
    batch.write_text("id,甲项,乙项,领域\n一支部,50,48,\n二支部,48,48,机关\n三支部,45,48,农村\n", encoding="utf-8")
    assert main(["rank", str(rubric_file), str(batch), "--scheme", "星级", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(b["id"], b["level"]) for b in data["branches"]] == [("一支部", "五星级"), ("二支部", "四星级"),
                                                                 ("三支部", "四星级")]


def test_eval_many_prints_an_array(rubric_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = write_jsonl(tmp_path / "b.jsonl", ROWS)
    assert main(["eval", str(rubric_file), str(batch), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["total"], r["levels"]["星级"]["level"]) for r in data] == [
        ("一支部", 98, "五星级"), ("二支部", 96, "五星级"), ("三支部", 93, "四星级")]  # no quotas in eval


def test_batch_errors_name_the_line(rubric_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = tmp_path / "b.jsonl"
    batch.write_text('{"id": "一", "甲项": 50, "乙项": 48}\n{"id": "二", "甲项": 60, "乙项": 48}\n', encoding="utf-8")
    assert main(["rank", str(rubric_file), str(batch), "--scheme", "星级"]) == 1
    err = capsys.readouterr().err
    assert f"{batch}:2:" in err and "E507" in err and "甲项" in err


@pytest.mark.parametrize(("text", "code", "words"), [
    ('{"id": "一", "甲项": 50, "乙项": 48}\n{"id": "二", \n', "E514", "第 2 行不是有效的 JSON"),
    ('[1, 2]\n', "E514", "第 1 行应当是一个对象"),
    ('{"甲项": 50, "乙项": 48}\n', "E515", "第 1 行缺少编号"),
    ('{"id": "一", "甲项": 50, "乙项": 48}\n{"id": "一", "甲项": 5, "乙项": 4}\n', "E515", "编号“一”重复"),
])
def test_malformed_batches(rubric_file: Path, tmp_path: Path, text: str, code: str, words: str) -> None:
    batch = tmp_path / "b.jsonl"
    batch.write_text(text, encoding="utf-8")
    with pytest.raises(EvidenceError) as info:
        evaluate_batch(load(rubric_file), batch)
    assert info.value.diagnostics[0].code == code and words in info.value.diagnostics[0].message


def test_csv_row_with_too_many_cells(rubric_file: Path, tmp_path: Path) -> None:
    batch = tmp_path / "b.csv"
    batch.write_text("id,甲项,乙项\n一,50,48,9\n", encoding="utf-8")
    with pytest.raises(EvidenceError) as info:
        evaluate_batch(load(rubric_file), batch)
    assert info.value.diagnostics[0].code == "E514" and "第 2 行" in info.value.diagnostics[0].message


def test_rank_usage_errors(rubric_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["rank", str(rubric_file), "b.json", "--scheme", "星级"])
    assert info.value.code == 2 and ".jsonl、.csv 或 .xlsx" in capsys.readouterr().err
    # without --scheme, rank uses the rubric's own 等级 line (tests/test_cli_messages.py); a rubric without one:
    bare = rubric_file.with_name("无等级.rubric")
    bare.write_text("标准 R { 满分 10 类型 甲 10分 { 项目 甲项 10分 { 酌情 } } }", encoding="utf-8")
    with pytest.raises(SystemExit) as missing:
        main(["rank", str(bare), str(write_jsonl(rubric_file.with_name("b.jsonl"), [{"id": "一", "甲项": 5}]))])
    assert missing.value.code == 2
    assert "标准“R”没有“等级”一行,不知道按哪个等级方案排名:用 --scheme 指定(如 --scheme 星级)" in capsys.readouterr().err


def test_unknown_scheme_exits_one(rubric_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = write_jsonl(tmp_path / "b.jsonl", ROWS)
    assert main(["rank", str(rubric_file), str(batch), "--scheme", "九星"]) == 1
    assert "E104" in capsys.readouterr().err
