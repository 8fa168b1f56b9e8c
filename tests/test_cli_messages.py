"""The command line's own words (issue 20): --version, argparse's text in Chinese with exit status 2,
batch tables headed by id and 名称, rank on the rubric's own schemes with a 名称 column, the progress
display on a terminal, `check --format json|sarif`, and the messages for a missing rubric or folder."""

from __future__ import annotations

import argparse
import io
import json
import sys
import tomllib
import unicodedata
from pathlib import Path

import jsonschema
import pytest

from starrules.cli import main
from starrules.core import progress
from starrules.core.argparse_zh import translate, wrap
from starrules.core.diagnostics import CODES

ROOT = Path(__file__).resolve().parent.parent
RUBRIC = ROOT / "rubrics" / "两新争先创优.rubric"
EXAMPLE = ROOT / "rubrics" / "examples" / "两新-示例支部.json"
BATCH = ROOT / "rubrics" / "examples" / "两新-批量.jsonl"
SARIF_SCHEMA = ROOT / "tests" / "fixtures" / "sarif-2.1.0-rtm.5.json"


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """stderr of a run argparse refuses; its exit status must be argparse's 2."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert capsys.readouterr().out == f"starrules {declared}\n"


def test_help_is_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("用法: starrules check [-h] [--strict]")
    assert "\n位置参数:\n  FILE\n" in out and "\n选项:\n" in out
    assert "  -h, --help            显示这份帮助并退出\n" in out
    for english in ("usage:", "positional arguments", "options:", "show this help"):
        assert english not in out


@pytest.mark.parametrize(("argv", "last_line"), [
    (["check"], "starrules check: 错误: 缺少参数 FILE"),
    (["eval", "r.rubric"], "starrules eval: 错误: 缺少参数 EVIDENCE"),
    (["check", "r.rubric", "--bogus", "x"], "starrules: 错误: 无法识别的参数 --bogus x"),
    (["graph", "r.rubric", "--format", "png"], "starrules graph: 错误: 参数 --format: “png”不是可选的值(可选:mermaid、dot)"),
    (["chek", "r.rubric"], "starrules: 错误: 参数 命令: “chek”不是可选的值(可选:check、fmt、eval、explain、rank、"
                           "template、report、schema、graph、plan、sql、import、lsp)"),
    (["eval", "r.rubric", "e.json", "--chunk-rows"], "starrules eval: 错误: 参数 --chunk-rows: 需要一个值"),
    (["eval", "r.rubric", "e.json", "--chunk-rows", "许多"], "starrules eval: 错误: 参数 --chunk-rows: “许多”不是整数"),
    (["check", "--r", "r.rubric"], "starrules check: 错误: 选项 --r 有歧义,可能是 --range、--root"),
])
def test_argparse_errors_are_chinese(argv: list[str], last_line: str, capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(argv, capsys)
    assert err.startswith("用法: starrules")
    assert err.rstrip("\n").splitlines()[-1] == last_line
    assert "error:" not in err and "usage:" not in err


def test_other_programs_keep_english_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing global is changed: a plain argparse parser in the same process still speaks English."""
    main(["check", str(RUBRIC)])
    plain = argparse.ArgumentParser(prog="other")
    plain.add_argument("name")
    capsys.readouterr()
    with pytest.raises(SystemExit):
        plain.parse_args([])
    assert capsys.readouterr().err.endswith("other: error: the following arguments are required: name\n")


def test_messages_of_other_python_versions_translate() -> None:
    # 3.13 raises the missing-arguments message through ArgumentError: it arrives without a prefix, as in 3.11
    assert translate("the following arguments are required: RUBRIC, EVIDENCE") == "缺少参数 RUBRIC、EVIDENCE"
    assert translate("argument --year: expected one argument") == "参数 --year: expected one argument"
    assert translate("Parquet 文件用 -o 批量评分,例如:-o 结果.parquet") == "Parquet 文件用 -o 批量评分,例如:-o 结果.parquet"


def test_help_wraps_by_display_width() -> None:
    # 10 columns: five Chinese characters a line; the ASCII word is not cut; "," never starts a line
    assert wrap("一二三四五六七八九十", 10) == ["一二三四五", "六七八九十"]
    assert wrap("用 starrules 检查", 10) == ["用", "starrules", "检查"]
    assert wrap("一二三四五,六七", 10) == ["一二三四", "五,六七"]


def test_batch_eval_heads_each_table_with_id_and_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["eval", str(RUBRIC), str(BATCH)]) == 0
    headings = [line for line in capsys.readouterr().out.splitlines() if line.startswith("编号 ")]
    assert headings == ["编号 示例-001 某科技公司党支部(示例)", "编号 示例-002 某物流公司党支部(示例)",
                        "编号 示例-003 某建筑公司党支部(示例)", "编号 示例-004 某商贸公司党支部(示例)"]
    unnamed = tmp_path / "无名称.jsonl"
    record = json.loads(BATCH.read_text(encoding="utf-8").splitlines()[0])
    del record["名称"]
    unnamed.write_text(json.dumps({**record, "id": "一支部"}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["eval", str(RUBRIC), str(unnamed)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["编号 一支部", "“两新”党组织争先创优活动评定标准"]


def test_rank_uses_the_rubrics_own_scheme_and_shows_names(capsys: pytest.CaptureFixture[str]) -> None:
    # 争先创优 (等级 line of the rubric): 优秀 ≥ 90, 良好 ≥ 80, 一般 ≥ 60; totals 91, 87.5, 83.5, 73.5
    assert main(["rank", str(RUBRIC), str(BATCH)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "按“争先创优”排名,共 4 个党支部"
    assert lines[1].split() == ["排名", "编号", "名称", "总分", "等级", "标记", "说明"]
    assert [line.split() for line in lines[2:]] == [
        ["1", "示例-003", "某建筑公司党支部(示例)", "91", "优秀"], ["2", "示例-002", "某物流公司党支部(示例)", "87.5", "良好"],
        ["3", "示例-001", "某科技公司党支部(示例)", "83.5", "良好"], ["4", "示例-004", "某商贸公司党支部(示例)", "73.5", "一般"]]
    assert main(["rank", str(RUBRIC), str(BATCH), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scheme"] == "争先创优"
    assert [(b["id"], b["name"], b["level"]) for b in data["branches"]][:2] == [
        ("示例-003", "某建筑公司党支部(示例)", "优秀"), ("示例-002", "某物流公司党支部(示例)", "良好")]


def test_rank_without_names_has_no_name_column(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    record = json.loads(BATCH.read_text(encoding="utf-8").splitlines()[0])
    del record["名称"]
    batch = tmp_path / "无名称.jsonl"
    batch.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["rank", str(RUBRIC), str(batch)]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == ["排名  编号      总分  等级  标记  说明",
                                                        "   1  示例-001  83.5  良好"]
    assert main(["rank", str(RUBRIC), str(batch), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["branches"][0]["name"] is None


def test_rank_several_schemes(capsys: pytest.CaptureFixture[str]) -> None:
    # 星级 (built in): 91 四星级, 87.5 and 83.5 三星级, 73.5 二星级 (docs/cli.md)
    assert main(["rank", str(RUBRIC), str(BATCH), "--scheme", "星级", "--scheme", "争先创优", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["scheme"] for d in data] == ["星级", "争先创优"]
    assert [b["level"] for b in data[0]["branches"]] == ["四星级", "三星级", "三星级", "二星级"]
    assert main(["rank", str(RUBRIC), str(BATCH), "--scheme", "星级", "--scheme", "争先创优"]) == 0
    out = capsys.readouterr().out
    assert "按“星级”排名,共 4 个党支部" in out and "\n\n按“争先创优”排名,共 4 个党支部\n" in out


class Terminal(io.StringIO):
    """What a progress display writes to: a terminal as far as it can tell."""

    def isatty(self) -> bool:
        return True


def screen(written: str) -> list[str]:
    """The rows a terminal shows for `written`: a carriage return goes back to the first column and
    what follows overwrites cell by cell (a Chinese character takes two cells); nothing is erased."""
    rows: list[str] = []
    cells: list[str] = []
    column = 0
    for char in written:
        if char == "\r":
            column = 0
        elif char == "\n":
            rows.append("".join(cells).rstrip())
            cells, column = [], 0
        else:
            wide = unicodedata.east_asian_width(char) in ("W", "F")
            cells.extend([" "] * max(column + 1 + wide - len(cells), 0))
            cells[column] = char
            if wide:
                cells[column + 1] = ""
            column += 1 + wide
    return [*rows, "".join(cells).rstrip()] if cells else rows


def test_progress_redraws_leave_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "INTERVAL", 0)
    stream = Terminal()
    shown = progress.Progress(5000, stream)
    now = shown.bar.start_t
    shown.bar._time = lambda: now  # a clock of our own: a fast start, then a long pause, so the rate shrinks
    for rows, pause in ((1024, 0.001), (1, 1000.0), (1, 1000.0)):
        now += pause
        shown.advance(rows)
    shown.finish()
    drawn = [part.rstrip(" \n") for part in stream.getvalue().split("\r") if part]
    widths = [sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in line) for line in drawn]
    assert any(later < earlier for earlier, later in zip(widths, widths[1:]))  # a shorter line was drawn over a longer
    assert drawn[1].startswith("已评 1,024 / 5,000 条(20%)")  # 1024 × 100 // 5000 = 20
    assert screen(stream.getvalue()) == [drawn[-1]]
    assert screen("\r已评 10000\r已评 9") == ["已评 90000"]  # what a redraw without padding would leave


def test_progress_only_on_a_terminal() -> None:
    plain = io.StringIO()
    shown = progress.Progress(10, plain)
    shown.advance(10)
    shown.finish()
    assert plain.getvalue() == ""


def many(tmp_path: Path, count: int) -> Path:
    record = json.loads(BATCH.read_text(encoding="utf-8").splitlines()[0])
    path = tmp_path / "多.jsonl"
    path.write_text("".join(json.dumps({**record, "id": f"支部{n}"}, ensure_ascii=False) + "\n"
                            for n in range(count)), encoding="utf-8")
    return path


def test_progress_moves_within_the_first_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("numpy")
    monkeypatch.setattr(progress, "INTERVAL", 0)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    out = tmp_path / "结果.csv"
    assert main(["eval", str(RUBRIC), str(many(tmp_path, 3000)), "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""  # stdout untouched
    counts = [part.split(" / ")[0] for part in terminal.getvalue().split("\r") if part.startswith("已评")]
    # the default chunk is 65,536 rows; the display moves after the first 1,024 and at the end
    assert counts[:3] == ["已评 0", "已评 1,024", "已评 3,000"]
    assert screen(terminal.getvalue())[-1] == f"已写出 3000 条结果到 {out}"


def test_no_progress_off_a_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("numpy")
    out = tmp_path / "结果.csv"
    assert main(["eval", str(RUBRIC), str(many(tmp_path, 3)), "-o", str(out)]) == 0
    assert capsys.readouterr().err == f"已写出 3 条结果到 {out}\n"


def write(tmp_path: Path) -> Path:
    # line 2: 满分 written twice (E414 at the second, column 9 to 13: 满分 10); line 3: an unused fact (W101)
    path = tmp_path / "检查.rubric"
    path.write_text("标准 R {\n  满分 10 满分 10\n  事实 没用: 是否\n}\n", encoding="utf-8")
    return path


def test_check_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "json", "检查.rubric"]) == 1
    captured = capsys.readouterr()
    assert captured.err == ""
    data = json.loads(captured.out)
    assert (data["errors"], data["warnings"]) == (1, 2)
    first = data["diagnostics"][0]
    assert first == {"code": "E414", "severity": "error", "title": "重复的设置", "message": "“满分”写了不止一次",
                     "file": "检查.rubric", "line": 2, "column": 9, "end_line": 2, "end_column": 14, "hint": None,
                     "notes": [{"message": "第一次写在这里", "file": "检查.rubric", "line": 2, "column": 3,
                                "end_line": 2, "end_column": 8}]}
    unused = next(d for d in data["diagnostics"] if d["code"] == "W101")
    assert (unused["severity"], unused["line"], unused["column"], unused["hint"]) == (
        "warning", 3, 6, "删掉它,或在条款中使用它")


def test_check_sarif(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "sarif", "检查.rubric", str(tmp_path / "没有.rubric")]) == 1
    captured = capsys.readouterr()
    assert captured.err == ""
    log = json.loads(captured.out)
    # the official SARIF 2.1.0 schema (rtm.5, as shipped in npm's @microsoft/jest-sarif, MIT)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(log)
    assert (log["version"], log["$schema"]) == ("2.1.0", "https://json.schemastore.org/sarif-2.1.0.json")
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "starrules" and "informationUri" not in driver  # no made-up home page
    assert driver["version"] == tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert [rule["id"] for rule in driver["rules"]] == list(CODES)
    assert run["columnKind"] == "unicodeCodePoints"
    first = run["results"][0]
    assert (first["ruleId"], first["level"], first["message"]["text"]) == ("E414", "error", "“满分”写了不止一次")
    assert driver["rules"][first["ruleIndex"]]["id"] == "E414"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "%E6%A3%80%E6%9F%A5.rubric"  # 检 E6 A3 80, 查 E6 9F A5 in UTF-8
    assert location["region"] == {"startLine": 2, "startColumn": 9, "endLine": 2, "endColumn": 14}
    unused = next(r for r in run["results"] if r["ruleId"] == "W101")
    assert unused["level"] == "warning" and unused["message"]["text"] == "事实“没用”声明了但没有用到\n提示: 删掉它,或在条款中使用它"
    missing = run["results"][-1]
    assert missing["ruleId"] == "E007"
    assert missing["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (tmp_path / "没有.rubric").as_uri()


def test_check_range_needs_text(capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(["check", "--range", "--format", "json", str(RUBRIC)], capsys)
    assert err.splitlines()[-1] == "starrules: 错误: --range 打印的是表格,不能与 --format json 同用"


def test_check_a_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check", "missing.rubric"]) == 1
    assert capsys.readouterr().err == ("missing.rubric:1:1: 错误[E007]: 找不到文件“missing.rubric”\n\n"
                                       "检查了 1 个文件:1 个错误,0 个警告\n")


def test_output_in_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "没有" / "x.xlsx"
    assert main(["template", str(RUBRIC), "-o", str(out)]) == 1
    assert capsys.readouterr().err == (f"{out}: 错误[E604]: 无法写入“{out}”:文件夹“{out.parent}”不存在\n")
