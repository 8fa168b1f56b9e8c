"""The `starrules check` and `starrules fmt` commands: output and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from starrules.cli import main

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str, name: str = "r.rubric") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_check_clean_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(ROOT / "rubrics" / "两新争先创优.rubric")]) == 0
    assert "0 个错误,0 个警告" in capsys.readouterr().err


def test_check_errors_exit_one_with_compiler_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "标准 R {\n  满分 10 满分 10\n}\n")
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2:9: 错误[E414]: “满分”写了不止一次" in err
    assert "2 |   满分 10 满分 10\n  |           ^^^^^^^" in err


def test_warnings_pass_unless_strict(tmp_path: Path) -> None:
    path = write(tmp_path, "标准 R { 事实 没用: 是否 }")
    assert main(["check", str(path)]) == 0
    assert main(["check", "--strict", str(path)]) == 1


def test_range_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "标准 R { 类型 组织 4分 { 项目 覆盖 4分 { 扣 1分 如果 是 扣 1分 如果 否 } } }")
    assert main(["check", "--range", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[-2:] for line in out[1:]] == [["2", "4"], ["2", "4"], ["2", "4"]]
    assert out[2].startswith("  类型 组织") and out[3].startswith("    项目 覆盖")


def test_usage_errors_exit_two() -> None:
    with pytest.raises(SystemExit) as info:
        main(["check"])
    assert info.value.code == 2
    assert main([]) == 2


def test_fmt_check_and_rewrite(tmp_path: Path) -> None:
    path = write(tmp_path, "标准 R {满分 10}")
    assert main(["fmt", "--check", str(path)]) == 1
    assert path.read_text(encoding="utf-8") == "标准 R {满分 10}"
    assert main(["fmt", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == "标准 R {\n    满分 10\n}\n"
    assert main(["fmt", "--check", str(path)]) == 0


def test_fmt_reports_syntax_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "标准 R {")
    assert main(["fmt", str(path)]) == 1
    assert path.read_text(encoding="utf-8") == "标准 R {"


def test_bundled_rubrics_are_formatted() -> None:
    files = [str(p) for p in sorted((ROOT / "rubrics").rglob("*.rubric"))]
    assert main(["fmt", "--check", *files]) == 0


def test_console_entry_point_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "starrules", "check", str(ROOT / "rubrics" / "schemes" / "星级.rubric")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_output_piped_into_a_closed_reader_stops_quietly() -> None:
    rubric = ROOT / "rubrics" / "两新争先创优.rubric"
    done = subprocess.run(f'"{sys.executable}" -m starrules check --range "{rubric}" | head -1', shell=True,
                          capture_output=True, text=True, check=False)
    assert done.stdout.split() == ["最低分", "最高分"]
    assert "Traceback" not in done.stderr
