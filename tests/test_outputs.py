"""Outputs never destroy inputs, and a file is only ever replaced whole: the output checks
(E601–E606, decided before any input is read), `--force`, and the atomic writes of
`starrules.core.atomic` — including a run killed with SIGKILL in the middle of a Parquet or JSONL file."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

import starrules
from starrules.core import atomic
from starrules.cli import main
from starrules.report.output_paths import Output, check_outputs, same_file
from tests.test_many import SMALL

OUTPUT_CODES = {"E601", "E602", "E603", "E604", "E605", "E606"}  # each has a test here (docs/errors.md names it)
ROOT = Path(__file__).resolve().parent.parent
RUBRICS = ROOT / "rubrics"
LIANGXIN = RUBRICS / "两新争先创优.rubric"
ORGAN = RUBRICS / "机关达标创星.rubric"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def codes(err: str) -> list[str]:
    return re.findall(r"错误\[(E\d{3})\]", err)


def listing(folder: Path) -> list[str]:
    """Every name in the folder, hidden temporary files included."""
    return sorted(os.listdir(folder))


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder with a rubric, its batch (.jsonl) and the bundled filled workbook."""
    shutil.copy(LIANGXIN, tmp_path / "两新.rubric")
    shutil.copy(RUBRICS / "examples" / "两新-批量.jsonl", tmp_path / "in.jsonl")
    shutil.copy(RUBRICS / "examples" / "两新-评分表.xlsx", tmp_path / "in.xlsx")
    shutil.copy(ORGAN, tmp_path / "机关.rubric")
    shutil.copy(RUBRICS / "examples" / "机关达标创星-批量.jsonl", tmp_path / "机关.jsonl")
    return tmp_path


def usage_error(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


# --- the reproductions of the issue: the input is byte-identical afterwards --------------------

def test_eval_onto_its_own_jsonl_input_is_refused(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = work / "in.jsonl"
    before = digest(batch)
    for force in ([], ["--force"]):  # --force never lets an output replace an input
        assert main(["eval", str(work / "两新.rubric"), str(batch), "-o", str(batch), *force]) == 1
        assert codes(capsys.readouterr().err) == ["E601"]
        assert digest(batch) == before
    assert listing(work) == ["in.jsonl", "in.xlsx", "两新.rubric", "机关.jsonl", "机关.rubric"]


def test_eval_onto_its_own_parquet_input_is_refused(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    batch = work / "in.parquet"
    rows = [json.loads(line) for line in (work / "in.jsonl").read_text(encoding="utf-8").splitlines()]
    pq.write_table(pa.Table.from_pylist(rows), batch)
    before = digest(batch)
    assert main(["eval", str(work / "两新.rubric"), str(batch), "-o", str(batch), "--force"]) == 1
    assert codes(capsys.readouterr().err) == ["E601"]
    assert digest(batch) == before


def test_report_onto_its_own_filled_workbook_is_refused(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = work / "in.xlsx"
    before = digest(book)
    assert main(["report", str(work / "两新.rubric"), str(book), "-o", str(book), "--force"]) == 1
    err = capsys.readouterr().err
    assert codes(err) == ["E601"] and "就是输入文件" in err
    assert digest(book) == before


def test_html_onto_the_rubric_is_refused(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rubric = work / "机关.rubric"
    before = digest(rubric)
    usage_error(["report", str(rubric), str(work / "机关.jsonl"), "-o", str(work / "r.xlsx"), "--html", str(rubric)])
    assert codes(capsys.readouterr().err) == ["E602"]  # a .rubric is no scorecard name
    (work / "评分卡.html").symlink_to(rubric)  # nor is a scorecard name that leads to the rubric
    assert main(["report", str(rubric), str(work / "机关.jsonl"), "-o", str(work / "r.xlsx"),
                 "--html", str(work / "评分卡.html"), "--force"]) == 1
    assert codes(capsys.readouterr().err) == ["E601"]
    assert digest(rubric) == before and not (work / "r.xlsx").exists()


def test_report_writes_no_png_unless_asked(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The chart used to go to a name derived from -o, replacing whatever was there."""
    photo = work / "photo.png"
    photo.write_bytes(b"a holiday photo")
    assert main(["report", str(work / "机关.rubric"), str(work / "机关.jsonl"), "-o", str(work / "photo.xlsx")]) == 0
    assert photo.read_bytes() == b"a holiday photo"
    assert "等级分布图" not in capsys.readouterr().out


def test_png_onto_an_existing_file_without_force(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """E605, and nothing is written: not the workbook either."""
    photo = work / "photo.png"
    photo.write_bytes(b"a holiday photo")
    argv = ["report", str(work / "机关.rubric"), str(work / "机关.jsonl"), "-o", str(work / "r.xlsx"), "--png", str(photo)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"{photo}: 错误[E605]: “{photo}”已存在;如确需覆盖,加 --force" in err
    assert photo.read_bytes() == b"a holiday photo" and not (work / "r.xlsx").exists()
    assert main([*argv, "--force"]) == 0
    png = photo.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and "等级分布图:" in capsys.readouterr().out


# --- links: one file under two names ----------------------------------------------------------

@pytest.mark.parametrize("link", ["hard", "symbolic"])
def test_a_link_to_the_input_is_the_input(work: Path, link: str, capsys: pytest.CaptureFixture[str]) -> None:
    batch = work / "in.jsonl"
    alias = work / "alias.jsonl"
    if link == "hard":
        os.link(batch, alias)
    else:
        alias.symlink_to(batch)
    before = digest(batch)
    assert main(["eval", str(work / "两新.rubric"), str(batch), "-o", str(alias), "--force"]) == 1
    assert f"alias.jsonl”就是输入文件“{batch}”" in capsys.readouterr().err
    assert digest(batch) == before


def test_a_symlink_to_the_rubric_through_a_folder_link(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same file reached through a symlinked folder and `..`: equal once resolved."""
    (work / "sub").mkdir()
    (work / "via").symlink_to(work / "sub")
    shutil.copy(RUBRICS / "examples" / "两新-评分表.xlsx", work / "sub" / "form.xlsx")
    assert main(["report", str(work / "两新.rubric"), str(work / "sub" / "form.xlsx"),
                 "-o", str(work / "via" / ".." / "sub" / "form.xlsx"), "--force"]) == 1
    assert codes(capsys.readouterr().err) == ["E601"]


def test_a_file_the_rubric_imports_is_an_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Imports are known only once the rubric is read: checked then, before the evidence is read."""
    (tmp_path / "方案.rubric").write_text("等级 甲乙 {\n    甲 >= 1分\n    乙\n}\n", encoding="utf-8")
    (tmp_path / "主.rubric").write_text('引用 "方案.rubric"\n标准 R { 满分 2 等级 甲乙\n'
                                       '    类型 S 2分 { 项目 I 2分 { 酌情 0分 至 2分 } } }\n', encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"id": "a", "I": 1}\n', encoding="utf-8")
    (tmp_path / "卡.html").symlink_to(tmp_path / "方案.rubric")
    before = digest(tmp_path / "方案.rubric")
    assert main(["report", str(tmp_path / "主.rubric"), str(tmp_path / "b.jsonl"), "-o", str(tmp_path / "r.xlsx"),
                 "--html", str(tmp_path / "卡.html"), "--force"]) == 1
    err = capsys.readouterr().err
    assert codes(err) == ["E601"] and "方案.rubric" in err
    assert digest(tmp_path / "方案.rubric") == before and not (tmp_path / "r.xlsx").exists()


def test_two_outputs_of_one_run_are_one_file(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Suffixes differ by option, so only a link makes --png and --html one file."""
    chart = work / "chart.png"
    chart.write_bytes(b"old chart")
    (work / "card.html").symlink_to(chart)
    assert main(["report", str(work / "机关.rubric"), str(work / "机关.jsonl"), "-o", str(work / "r.xlsx"),
                 "--png", str(chart), "--html", str(work / "card.html"), "--force"]) == 1
    assert codes(capsys.readouterr().err) == ["E603"]
    assert chart.read_bytes() == b"old chart" and not (work / "r.xlsx").exists()


def test_same_file_by_path_and_by_inode(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("x", encoding="utf-8")
    os.link(tmp_path / "a", tmp_path / "b")
    (tmp_path / "c").write_text("x", encoding="utf-8")
    assert same_file(tmp_path / "a", tmp_path / "b") and same_file(tmp_path / "a", tmp_path / "." / "a")
    assert same_file(tmp_path / "new", tmp_path / "sub" / ".." / "new")  # neither exists: by path
    assert not same_file(tmp_path / "a", tmp_path / "c")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert not same_file(tmp_path / "loop", tmp_path / "a")


# --- where an output may go -------------------------------------------------------------------

def test_wrong_suffix_for_each_output_option(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    organ = [str(work / "机关.rubric"), str(work / "机关.jsonl")]
    for argv, shown in ((["eval", str(work / "两新.rubric"), str(work / "in.jsonl"), "-o", str(work / "r.txt")],
                         "-o 用于批量评分:应写成 .jsonl、.csv 或 .parquet 文件"),
                        (["template", str(work / "两新.rubric"), "-o", str(work / "r.csv")], "-o 用于评分表:应写成 .xlsx 文件"),
                        (["report", *organ, "-o", str(work / "r.xls")], "-o 用于一览表和汇总表:应写成 .xlsx 文件"),
                        (["report", *organ, "-o", str(work / "r.xlsx"), "--png", str(work / "r.jpg")], "--png 用于等级分布图"),
                        (["report", *organ, "-o", str(work / "r.xlsx"), "--html", str(work / "r.pdf")],
                         "--html 用于评分卡:应写成 .html 或 .htm 文件")):
        usage_error(argv)
        err = capsys.readouterr().err
        assert codes(err) == ["E602"] and shown in err
    assert main(["report", *organ, "-o", str(work / "R.XLSX"), "--html", str(work / "卡.HTM")]) == 0  # any case


def test_missing_folder_is_named(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = work / "没有的文件夹" / "结果.csv"
    assert main(["eval", str(work / "两新.rubric"), str(work / "in.jsonl"), "-o", str(out)]) == 1
    assert f"错误[E604]: 无法写入“{out}”:文件夹“{out.parent}”不存在" in capsys.readouterr().err
    (work / "文件").write_text("", encoding="utf-8")
    assert main(["template", str(work / "两新.rubric"), "-o", str(work / "文件" / "x.xlsx")]) == 1
    assert f"“{work / '文件'}”不是文件夹" in capsys.readouterr().err


def test_a_folder_in_the_way(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "结果.csv").mkdir()
    assert main(["eval", str(work / "两新.rubric"), str(work / "in.jsonl"), "-o", str(work / "结果.csv"), "--force"]) == 1
    err = capsys.readouterr().err
    assert codes(err) == ["E606"] and f"无法写入“{work / '结果.csv'}”:这是一个文件夹" in err


def test_outputs_are_checked_before_the_rubric_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A broken rubric and an existing output: the output is reported (nothing was read)."""
    (tmp_path / "坏.rubric").write_text("标准 {", encoding="utf-8")
    (tmp_path / "out.xlsx").write_bytes(b"old")
    assert main(["template", str(tmp_path / "坏.rubric"), "-o", str(tmp_path / "out.xlsx")]) == 1
    err = capsys.readouterr().err
    assert codes(err) == ["E605"]  # no E002: the rubric was not read


def test_every_problem_is_reported_at_once(work: Path) -> None:
    outputs = [Output(work / "none" / "a.xlsx", "-o", (".xlsx",), "x"), Output(work / "in.jsonl", "--png", (".png",), "y"),
               Output(work / "机关.jsonl", "--html", (".html",), "z")]
    with pytest.raises(starrules.StarrulesError) as info:
        check_outputs(outputs, [work / "in.jsonl"], force=False)
    assert [d.code for d in info.value.diagnostics] == ["E604", "E601", "E605"]


# --- overwriting: only with --force, only on success ------------------------------------------

def test_force_replaces_each_kind_of_output(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rubric, batch = str(work / "两新.rubric"), str(work / "in.jsonl")
    for name in ("r.jsonl", "r.csv", "t.xlsx", "k.xlsx", "k.png", "k.html"):
        (work / name).write_bytes(b"old")
    assert main(["eval", rubric, batch, "-o", str(work / "r.jsonl"), "--quiet"]) == 1  # refused: nothing done
    assert (work / "r.jsonl").read_bytes() == b"old"
    assert main(["eval", rubric, batch, "-o", str(work / "r.jsonl"), "--quiet", "--force"]) == 0
    totals = [json.loads(line)["total"] for line in (work / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    assert totals == [83.5, 87.5, 91, 73.5]  # tests/test_excel.py: the four example branches
    assert main(["eval", rubric, batch, "-o", str(work / "r.csv"), "--quiet", "--force"]) == 0
    assert (work / "r.csv").read_text(encoding="utf-8-sig").startswith("id,total,")
    assert main(["template", rubric, "-o", str(work / "t.xlsx"), "--force"]) == 0
    assert openpyxl.load_workbook(work / "t.xlsx").sheetnames[:2] == ["评分表", "批量"]
    assert main(["report", str(work / "机关.rubric"), str(work / "机关.jsonl"), "-o", str(work / "k.xlsx"),
                 "--png", str(work / "k.png"), "--html", str(work / "k.html"), "--force"]) == 0
    # 机关达标创星 has 以 工委抽查 为准: the 工委's 抽查 beside the 机关党委评分 (tests/test_spot_check.py)
    assert openpyxl.load_workbook(work / "k.xlsx").sheetnames == ["一览表", "汇总表", "评价主体对照"]
    assert (work / "k.png").read_bytes()[:4] == b"\x89PNG" and "第五党支部" in (work / "k.html").read_text("utf-8")
    assert not [name for name in listing(work) if name.startswith(".")]


def test_new_files_get_the_usual_permissions(work: Path) -> None:
    umask = os.umask(0o022)
    try:
        assert main(["template", str(work / "两新.rubric"), "-o", str(work / "t.xlsx")]) == 0
    finally:
        os.umask(umask)
    assert stat.S_IMODE((work / "t.xlsx").stat().st_mode) == 0o644  # 0666 less the umask, not mkstemp's 0600


def test_refused_input_leaves_an_existing_output_intact(work: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from starrules import cli
    out = work / "r.jsonl"
    out.write_text("previous results\n", encoding="utf-8")
    rubric = str(work / "两新.rubric")
    assert main(["eval", rubric, str(work / "missing.jsonl"), "-o", str(out), "--force"]) == 1
    assert codes(capsys.readouterr().err) == ["E511"]
    with monkeypatch.context() as patch:  # a workbook over a (small) size limit: refused whole
        patch.setattr(cli, "load", lambda *a, **k: starrules.load(*a, **k, limits=starrules.Limits(evidence_bytes=1000)))
        assert main(["eval", rubric, str(work / "in.xlsx"), "-o", str(out), "--force"]) == 1
    assert codes(capsys.readouterr().err) == ["E516"]
    (work / "坏.rubric").write_text("标准 {", encoding="utf-8")
    assert main(["eval", str(work / "坏.rubric"), str(work / "in.jsonl"), "-o", str(out), "--force"]) == 1
    assert "E002" in codes(capsys.readouterr().err)
    (work / "not-utf8.jsonl").write_bytes(b'{"id": "\xff"}\n')
    assert main(["report", rubric, str(work / "not-utf8.jsonl"), "-o", str(work / "k.xlsx")]) == 1
    assert out.read_text(encoding="utf-8") == "previous results\n" and not (work / "k.xlsx").exists()
    assert listing(work) == sorted([*"in.jsonl in.xlsx 两新.rubric 机关.jsonl 机关.rubric".split(),
                                    "r.jsonl", "坏.rubric", "not-utf8.jsonl"])


def test_a_crash_in_the_middle_leaves_the_previous_output(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first chunk is written, then the run fails: the old file stays, no temporary is left."""
    from starrules.report.output import ResultWriter
    out = work / "r.jsonl"
    out.write_text("previous results\n", encoding="utf-8")
    write = ResultWriter.write

    def fail_second(self: ResultWriter, batch: object) -> None:
        if self.count:
            raise RuntimeError("crash")
        write(self, batch)  # type: ignore[arg-type]
    monkeypatch.setattr(ResultWriter, "write", fail_second)
    with pytest.raises(RuntimeError):
        main(["eval", str(work / "两新.rubric"), str(work / "in.jsonl"), "-o", str(out), "--force", "--chunk-rows", "1"])
    assert out.read_text(encoding="utf-8") == "previous results\n"
    assert not [name for name in listing(work) if name.startswith(".")]


def test_ctrl_c_leaves_the_previous_output(work: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from starrules.report import png_chart
    for name in ("k.xlsx", "k.png"):
        (work / name).write_bytes(b"old")

    def interrupted(summary: object) -> bytes:
        raise KeyboardInterrupt  # while the chart is drawn, after the workbook was saved to its temporary file
    monkeypatch.setattr(png_chart, "chart_png", interrupted)
    assert main(["report", str(work / "机关.rubric"), str(work / "机关.jsonl"), "-o", str(work / "k.xlsx"),
                 "--png", str(work / "k.png"), "--force"]) == 130
    assert "已中断" in capsys.readouterr().err
    assert (work / "k.xlsx").read_bytes() == b"old" and (work / "k.png").read_bytes() == b"old"  # the workbook too
    assert not [name for name in listing(work) if name.startswith(".")]


def test_a_failed_write_replaces_none_of_the_outputs(work: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """E606 for the file that could not be written; the workbook, already complete, is not put in place either."""
    (work / "k.xlsx").write_bytes(b"old")

    def disk_full(path: Path, text: str, encoding: str | None = None) -> int:
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(Path, "write_text", disk_full)  # the scorecard is the only text the run writes
    assert main(["report", str(work / "机关.rubric"), str(work / "机关.jsonl"), "-o", str(work / "k.xlsx"),
                 "--html", str(work / "k.html"), "--force"]) == 1
    assert f"错误[E606]: 无法写入“{work / 'k.html'}”:No space left on device" in capsys.readouterr().err
    assert (work / "k.xlsx").read_bytes() == b"old" and not (work / "k.html").exists()
    assert not [name for name in listing(work) if name.startswith(".")]


def test_empty_batch_to_parquet_writes_nothing(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pyarrow  # noqa: F401  (a test dependency: missing, the test fails)
    (work / "empty.jsonl").write_text("", encoding="utf-8")
    assert main(["eval", str(work / "两新.rubric"), str(work / "empty.jsonl"), "-o", str(work / "r.parquet")]) == 0
    assert "没有评出分数的党支部,没有写出" in capsys.readouterr().err and not (work / "r.parquet").exists()
    assert not [name for name in listing(work) if name.startswith(".")]


def test_report_without_a_scheme_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It used to raise IndexError; the rubric has no 等级 line and no --scheme was given."""
    (tmp_path / "r.rubric").write_text("标准 R { 事实 学时: 数值 类型 S 2分 { 项目 I 2分 { 扣 1分 如果 学时 少于 32 } } }",
                                       encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"id": "a", "学时": 3}\n', encoding="utf-8")
    usage_error(["report", str(tmp_path / "r.rubric"), str(tmp_path / "b.jsonl"), "-o", str(tmp_path / "r.xlsx")])
    assert "没有“等级”一行" in capsys.readouterr().err and not (tmp_path / "r.xlsx").exists()
    assert main(["report", str(tmp_path / "r.rubric"), str(tmp_path / "b.jsonl"), "-o", str(tmp_path / "r.xlsx"),
                 "--scheme", "星级"]) == 0


# --- fmt rewrites in place, atomically --------------------------------------------------------

def test_fmt_rewrite_fails_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.rubric"
    path.write_text("标准 R {满分 10}", encoding="utf-8")

    def refuse(source: object, target: object) -> None:
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("starrules.core.atomic.os.replace", refuse)
    assert main(["fmt", str(path)]) == 1
    assert f"{path}: 错误[E606]: 无法写入“{path}”:Permission denied" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "标准 R {满分 10}" and listing(tmp_path) == ["r.rubric"]


def test_fmt_keeps_the_mode_and_writes_through_a_symlink(tmp_path: Path) -> None:
    path = tmp_path / "r.rubric"
    path.write_text("标准 R {满分 10}", encoding="utf-8")
    path.chmod(0o640)
    (tmp_path / "link.rubric").symlink_to(path)
    assert main(["fmt", str(tmp_path / "link.rubric")]) == 0
    assert path.read_text(encoding="utf-8") == "标准 R {\n    满分 10\n}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and (tmp_path / "link.rubric").is_symlink()


# --- the library writes atomically too --------------------------------------------------------

def test_library_writers_leave_the_old_file_when_saving_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from starrules.report.summary import branch_names, summarise
    from starrules.report.png_chart import write_chart
    from starrules.report.xlsx_report import write_report
    from starrules.report.xlsx_template import write_template
    rubric = starrules.load(ORGAN)
    batch = RUBRICS / "examples" / "机关达标创星-批量.jsonl"
    results = starrules.evaluate_batch(rubric, batch)
    summary = summarise(rubric, results, list(results[0].levels), branch_names(batch, rubric))
    target = tmp_path / "old.xlsx"
    target.write_bytes(b"old")

    def half_saved(book: openpyxl.Workbook, path: Path) -> None:
        Path(path).write_bytes(b"PK half a zip")
        raise OSError(28, "No space left on device")
    with monkeypatch.context() as patch:
        patch.setattr(openpyxl.Workbook, "save", half_saved)
        for write in (lambda: write_template(rubric, target), lambda: write_report(summary, target)):
            with pytest.raises(OSError):
                write()
            assert target.read_bytes() == b"old" and listing(tmp_path) == ["old.xlsx"]
    chart = tmp_path / "old.png"
    chart.write_bytes(b"old")
    def io_error(source: object, destination: object) -> None:
        raise OSError(5, "Input/output error")
    with monkeypatch.context() as patch:
        patch.setattr("starrules.core.atomic.os.replace", io_error)
        with pytest.raises(OSError):
            write_chart(summary, chart)
    assert chart.read_bytes() == b"old" and listing(tmp_path) == ["old.png", "old.xlsx"]
    write_report(summary, target)
    write_chart(summary, chart)
    assert openpyxl.load_workbook(target).sheetnames == ["一览表", "汇总表", "评价主体对照"]  # 以 工委抽查 为准
    assert chart.read_bytes()[:4] == b"\x89PNG"


def test_replacing_writes_beside_the_target_under_a_hidden_name(tmp_path: Path) -> None:
    target = tmp_path / ("长" * 80 + ".txt")  # 244 bytes of name: the temporary name must stay under 255
    with atomic.replacing(target) as temp:
        assert temp.parent == tmp_path and temp.name.startswith(".") and temp.name.endswith(".tmp")
        assert len(os.fsencode(temp.name)) < 255 and temp.exists() and not target.exists()
        temp.write_text("new", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "new" and listing(tmp_path) == [target.name]
    with pytest.raises(KeyboardInterrupt), atomic.replacing(target) as temp:
        temp.write_text("partial", encoding="utf-8")
        raise KeyboardInterrupt
    assert target.read_text(encoding="utf-8") == "new" and listing(tmp_path) == [target.name]


# --- killed outright: SIGKILL in the middle of writing ----------------------------------------

@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_a_killed_run_leaves_the_previous_output_and_no_partial_file(tmp_path: Path, suffix: str) -> None:
    """A child process scores 60000 rows in chunks of 50 into OUT; once its temporary file has
    grown it is killed. OUT still holds the previous, complete results."""
    if suffix == ".parquet":
        import pyarrow  # noqa: F401  (a test dependency: missing, the test fails)
    rubric = tmp_path / "小.rubric"
    rubric.write_text(SMALL, encoding="utf-8")
    few, many = tmp_path / "few.jsonl", tmp_path / "many.jsonl"
    rows = [json.dumps({"id": f"支部-{n}", "达标": n % 3 != 0, "问题": n % 25, "评议": (n % 21) / 2}, ensure_ascii=False)
            for n in range(60000)]
    few.write_text("\n".join(rows[:3]) + "\n", encoding="utf-8")
    many.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / f"out{suffix}"
    command = [sys.executable, "-m", "starrules", "eval", str(rubric), "--quiet", "-o", str(out)]
    assert main(["eval", str(rubric), str(few), "--quiet", "-o", str(out)]) == 0  # the previous, good results
    before = digest(out)
    child = subprocess.Popen([*command, str(many), "--force", "--chunk-rows", "50"], stderr=subprocess.PIPE)
    try:
        temp = _growing_temp(tmp_path, out, child)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert digest(out) == before  # the previous results, whole
    assert [name for name in listing(tmp_path) if name.startswith(".")] == [temp.name]  # only the hidden temporary
    assert main(["eval", str(rubric), str(few), "-o", str(out), "--quiet", "--force"]) == 0  # and a rerun works
    if suffix == ".parquet":
        import pyarrow.parquet as pq
        assert pq.read_table(out).num_rows == 3


def _growing_temp(folder: Path, out: Path, child: subprocess.Popen[bytes]) -> Path:
    """The child's temporary file once it holds more than a first chunk; fails if the child ends first."""
    deadline = time.monotonic() + 120  # a bound for a loaded machine, not a timing claim
    while time.monotonic() < deadline:
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else "the child ended early"
        temps = [folder / name for name in os.listdir(folder) if name.startswith(f".{out.name}.")]
        if temps and temps[0].stat().st_size > 4096:
            return temps[0]
        time.sleep(0.01)
    raise AssertionError("the temporary file did not grow")


def test_the_progress_count_is_bounded_and_refuses_a_fifo(tmp_path: Path) -> None:
    from starrules.core.bounded import Refused
    from starrules.report.output import count_records
    batch = tmp_path / "a.jsonl"
    # four records: blank and white-space lines are not records, a 200 kB line is one record
    batch.write_bytes(b'{"id":1}\n\n  \n{"id":2}\n' + b"x" * 200_000 + b'\n{"id":3}')
    assert count_records(batch) == 4
    fifo = tmp_path / "b.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(Refused):  # opened without blocking and refused: no writer ever comes
        count_records(fifo)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_a_batch_refused_whole_leaves_the_old_output_even_with_force(work: Path, suffix: str,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A duplicate CSV header refuses every record (E519): nothing was scored, so the previous
    output stays as it was, --force or not (found by the adversarial review: it became empty)."""
    import pyarrow  # noqa: F401  (a test dependency: missing, the test fails)
    (work / "dup.csv").write_text("id,学时,学时\na,10,40\n", encoding="utf-8")
    out = work / f"old{suffix}"
    out.write_bytes(b"keep")
    assert main(["eval", str(work / "两新.rubric"), str(work / "dup.csv"), "-o", str(out), "--force"]) == 1
    assert "错误[E519]" in capsys.readouterr().err
    assert out.read_bytes() == b"keep" and not [name for name in listing(work) if name.startswith(".")]
