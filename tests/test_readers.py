"""Bounded, unambiguous readers: only regular files are read (a FIFO, a device or a directory is
a coded error at once, never a hang), never past the limits, and evidence text that JSON or CSV
would read ambiguously (a key twice, a header twice) or that could not be written back out (a
lone surrogate) is refused with its place (docs/limits.md, docs/errors.md E519 and E520)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest

import starrules
from starrules import Diagnostic, EvidenceError, Limits, RowError, RubricSyntaxError, check_file, check_text, loads
from starrules.core.bounded import TooLarge, bounded_lines, open_text, read_bounded
from starrules.plan.evidence import EvidenceSpec, check_file_size, in_memory, open_checked, read_evidence
from starrules.core.evidence_json import _duplicate_fault, first_duplicate, lone_surrogate

READER_CODES = {"E519", "E520"}  # the codes this file holds to their tests (test_diagnostics)
# I: 2 points less 1 when 学时 < 32; 评议: 0–2 as judged (grid 0.5)
RUBRIC = "标准 R { 事实 学时: 数值 类型 S 4分 { 项目 I 2分 { 扣 1分 如果 学时 少于 32 } 项目 评议 2分 { 酌情 } } }\n"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")


def codes(error: pytest.ExceptionInfo[starrules.StarrulesError]) -> list[str]:
    return [d.code for d in error.value.diagnostics]


def problems(row: object) -> tuple[Diagnostic, ...]:
    """A batch row's diagnostics (none for a result)."""
    return row.diagnostics if isinstance(row, RowError) else ()


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in a child process with a timeout, so a reader that blocks fails the test
    instead of hanging it; stdout strictly UTF-8, so text that cannot be encoded would crash."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    return subprocess.run([sys.executable, "-m", "starrules", *args], cwd=folder, env=env, capture_output=True,
                          text=True, encoding="utf-8", errors="replace", timeout=60, check=False)


def refused(done: subprocess.CompletedProcess[str], code: str) -> str:
    assert done.returncode == 1, done.stderr
    assert f"错误[{code}]" in done.stderr and "Traceback" not in done.stderr, done.stderr
    return done.stderr


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "r.rubric").write_text(RUBRIC, encoding="utf-8")
    return tmp_path


# ── what is not a regular file ──────────────────────────────────────────────────

@needs_fifo
def test_a_fifo_as_the_rubric_is_e007(folder: Path) -> None:
    os.mkfifo(folder / "管道.rubric")
    stderr = refused(cli(folder, "check", "管道.rubric"), "E007")
    assert "不是普通文件(可能是管道、设备或目录)" in stderr


@needs_fifo
def test_a_fifo_as_an_import_is_e007_at_the_import(folder: Path) -> None:
    os.mkfifo(folder / "管道.rubric")
    (folder / "主.rubric").write_text('引用 "管道.rubric"\n' + RUBRIC, encoding="utf-8")
    stderr = refused(cli(folder, "check", "主.rubric"), "E007")
    assert "主.rubric:1:1: 错误[E007]" in stderr and "不是普通文件" in stderr


@needs_fifo
@pytest.mark.parametrize(("name", "command"), [
    ("管道.json", "eval"), ("管道.json", "explain"), ("管道.jsonl", "eval"), ("管道.csv", "eval"), ("管道.jsonl", "rank"),
])
def test_a_fifo_as_evidence_is_e511(folder: Path, name: str, command: str) -> None:
    os.mkfifo(folder / name)
    extra = ["--scheme", "星级"] if command == "rank" else []
    stderr = refused(cli(folder, command, "r.rubric", name, *extra), "E511")
    assert f"“{name}”:不是普通文件(可能是管道、设备或目录)" in stderr


@needs_fifo
def test_a_fifo_given_to_the_batch_writer_is_e511(folder: Path) -> None:
    import pyarrow  # noqa: F401  (a test dependency: missing, the test fails)
    os.mkfifo(folder / "管道.jsonl")
    refused(cli(folder, "eval", "r.rubric", "管道.jsonl", "-o", "结果.jsonl", "--quiet"), "E511")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_dev_zero_as_evidence_is_e511(folder: Path) -> None:
    (folder / "零.json").symlink_to("/dev/zero")
    refused(cli(folder, "eval", "r.rubric", "零.json"), "E511")
    with pytest.raises(EvidenceError) as info:
        loads(RUBRIC).evaluate("/dev/zero")
    assert codes(info) == ["E511"] and "不是普通文件" in str(info.value)


def test_a_directory_is_refused_as_rubric_import_and_evidence(folder: Path) -> None:
    (folder / "目录.rubric").mkdir()
    (folder / "目录.json").mkdir()
    (folder / "目录.jsonl").mkdir()
    assert [d.code for d in check_file(folder / "目录.rubric").diagnostics] == ["E007"]
    report = check_text('引用 "目录.rubric"\n' + RUBRIC, base_dir=folder)
    assert [(d.code, d.span.line) for d in report.diagnostics] == [("E007", 1)]
    rubric = loads(RUBRIC)
    for name in ("目录.json", "目录.jsonl"):
        with pytest.raises(EvidenceError) as info:
            list(rubric.evaluate_many(folder / name)) if name.endswith("l") else rubric.evaluate(folder / name)
        assert codes(info) == ["E511"] and "不是普通文件" in str(info.value)


@needs_fifo
def test_the_workbook_size_check_refuses_what_is_not_a_file(folder: Path) -> None:
    os.mkfifo(folder / "管道.xlsx")
    with pytest.raises(EvidenceError) as info:
        check_file_size(folder / "管道.xlsx", "工作簿", 1000)
    assert codes(info) == ["E511"] and "无法读取工作簿" in str(info.value)
    (folder / "大.xlsx").write_bytes(b"x" * 1001)
    with pytest.raises(EvidenceError) as info:
        check_file_size(folder / "大.xlsx", "工作簿", 1000)
    assert codes(info) == ["E516"] and "1001 字节,最多 1000 字节" in str(info.value)
    check_file_size(folder / "大.xlsx", "工作簿", 1001)
    with open_checked(folder / "大.xlsx", "工作簿", 1001) as stream:
        assert stream.read() == b"x" * 1001  # the file that was checked, opened once


def test_a_missing_workbook_is_e511(folder: Path) -> None:
    with pytest.raises(EvidenceError) as info:
        check_file_size(folder / "没有.xlsx", "工作簿", 1000)
    assert codes(info) == ["E511"] and "文件不存在" in str(info.value)


# ── paths that can name no file ─────────────────────────────────────────────────

def test_a_nul_in_an_import_path_is_e007_at_the_import(folder: Path) -> None:
    text = '标准 Q { }\n引用 "a\x00b.rubric"\n' + RUBRIC
    (folder / "主.rubric").write_text(text, encoding="utf-8")
    for report in (check_file(folder / "主.rubric"), check_text(text, "主.rubric", root=folder)):
        [diagnostic] = report.diagnostics
        assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("E007", 2, 1)
        assert "a\\u0000b.rubric" in diagnostic.message and "空字符(NUL)" in diagnostic.message
    refused(cli(folder, "check", "主.rubric"), "E007")


def test_a_symlink_loop_as_an_import_is_e007(folder: Path) -> None:
    (folder / "环.rubric").symlink_to("环.rubric")
    report = check_text('引用 "环.rubric"\n' + RUBRIC, root=folder)
    assert [(d.code, d.span.line) for d in report.diagnostics] == [("E007", 1)]


def test_a_nul_or_an_unencodable_character_in_a_path_given_from_python(folder: Path) -> None:
    assert [d.code for d in check_file(str(folder / "a\x00.rubric")).diagnostics] == ["E007"]
    for name, reason in (("a\x00.json", "路径中含有空字符(NUL)"), ("\ud800.json", "路径中含有不能用作文件名的字符")):
        with pytest.raises(EvidenceError) as info:
            loads(RUBRIC).evaluate(str(folder / name))
        assert codes(info) == ["E511"] and reason in str(info.value)


# ── sizes: bounded whatever the file system says ────────────────────────────────

def test_a_40_mb_jsonl_line_is_e516_for_that_line_without_being_held(folder: Path) -> None:
    path = folder / "批量.jsonl"
    with path.open("w", encoding="utf-8") as out:
        out.write('{"id": "a", "学时": 40, "评议": 2}\n')
        out.write('{"id": "b", "名称": "' + "长" * (40 * 1024 * 1024 // 3) + '"}\n')  # 40 MiB of UTF-8
        out.write('{"id": "c", "学时": 20, "评议": 1}\n')
    rubric = loads(RUBRIC, limits=Limits(evidence_bytes=10_000))
    assert rubric.evaluate({"学时": 40, "评议": 2}).total == 4  # compiled before memory is measured
    tracemalloc.start()
    try:
        results = list(rubric.evaluate_many(path, errors="collect"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024, peak  # a twentieth of the line; reading it whole took 40 MiB or more
    assert [getattr(r, "total", None) for r in results] == [4, None, 2]  # a: 2 + 2; c: 2 − 1 + 1
    [problem] = problems(results[1])
    assert (problem.code, problem.span.line) == ("E516", 2)
    assert problem.message == "第 2 行的记录过大(超过 10000 字节)"


def test_a_csv_line_or_a_quoted_record_over_the_limit_ends_the_file_with_e516(folder: Path) -> None:
    rubric = loads(RUBRIC, limits=Limits(evidence_bytes=100))
    long_line = folder / "长行.csv"
    long_line.write_text("id,学时,评议\na,40,2\nb,40," + "1" * 200 + "\nc,40,2\n", encoding="utf-8")
    out = list(rubric.evaluate_many(long_line, errors="collect"))
    assert [getattr(r, "total", None) for r in out] == [4, None]
    assert [(d.code, d.span.line) for d in problems(out[1])] == [("E516", 3)]
    # one record over lines 2–7, each short: 22 + 4 × 19 + 25 = 123 characters, over 100 at line 7
    quoted = folder / "多行.csv"
    quoted.write_text('id,名称,学时,评议\na,"' + "\n".join(["长" * 18] * 6) + '",40,2\n', encoding="utf-8")
    out = list(rubric.evaluate_many(quoted, errors="collect"))
    assert [[(d.code, d.span.line) for d in problems(r)] for r in out] == [[("E516", 7)]]


def test_a_file_is_never_read_past_the_limit_whatever_its_size_says(tmp_path: Path) -> None:
    status = Path("/proc/self/status")  # a regular file whose size says 0
    if not status.exists() or status.stat().st_size != 0:
        pytest.skip("no /proc here")
    with pytest.raises(TooLarge) as info:
        read_bounded(status, 10)
    assert info.value.size is None and info.value.detail == "超过 10 字节"
    assert read_bounded(status, None).startswith(b"Name:")
    path = tmp_path / "a.txt"
    path.write_bytes(b"12345")
    assert read_bounded(path, 5) == b"12345"
    with pytest.raises(TooLarge) as info:
        read_bounded(path, 4)
    assert (info.value.size, info.value.detail) == (5, "5 字节,最多 4 字节")


def test_bounded_lines_keep_line_ends_and_skip_long_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbfab\r\ncd\ref\n" + b"x" * 100_000 + b"\nlast")
    with open_text(path) as stream:
        assert list(bounded_lines(stream, 5)) == ["ab\r\n", "cd\r", "ef\n", None, "last"]
    path.write_bytes(b"12345\n123456")  # a last line over the limit, with no line end
    with open_text(path) as stream:
        assert list(bounded_lines(stream, 5)) == ["12345\n", None]


def test_an_evidence_file_over_the_limit_is_e516_before_reading(folder: Path) -> None:
    path = folder / "e.json"
    path.write_text('{"学时": 40, "评议": 2}', encoding="utf-8")  # 15 ASCII bytes and 4 × 3 for 学时评议
    with pytest.raises(EvidenceError) as info:
        loads(RUBRIC, limits=Limits(evidence_bytes=26)).evaluate(path)
    assert codes(info) == ["E516"] and "27 字节,最多 26 字节" in str(info.value)
    assert loads(RUBRIC, limits=Limits(evidence_bytes=27)).evaluate(path).total == 4


# ── lone surrogates ─────────────────────────────────────────────────────────────

SURROGATE_FILES = {
    "id": '{"id": "\\udc80", "学时": 40, "评议": 2}',
    "名称": '{"名称": "乙\\udc80", "学时": 40, "评议": 2}',
    "理由": '{"学时": 40, "评议": {"得分": 2, "理由": "\\ud800好"}}',
    "评分人": '{"学时": 40, "评议": {"得分": 2, "评分人": "\\udfff"}}',
    "历史": '{"学时": 40, "评议": 2, "历史": {"星级": {"2024": "\\ud83d"}}}',  # a high half with no low half
    "键": '{"学时": 40, "评议": 2, "\\udc80": 1}',
}


@pytest.mark.parametrize("field", sorted(SURROGATE_FILES))
def test_a_lone_surrogate_in_evidence_is_e520_at_its_escape(folder: Path, field: str) -> None:
    text = SURROGATE_FILES[field]
    (folder / "e.json").write_text(text, encoding="utf-8")
    with pytest.raises(EvidenceError) as info:
        loads(RUBRIC).evaluate(folder / "e.json")
    [problem] = info.value.diagnostics
    escape = text.index("\\u")
    assert (problem.code, problem.span.line, problem.span.column) == ("E520", 1, escape + 1)
    assert problem.span.end_column - problem.span.column == 6
    assert f"“{text[escape:escape + 6]}”是单独的代理码元" in problem.message


@pytest.mark.parametrize("command", ["eval --json", "explain", "eval -o 结果.jsonl", "eval -o 结果.csv", "report --html"])
def test_a_lone_surrogate_is_a_coded_error_in_every_command(folder: Path, command: str) -> None:
    if "-o" in command:
        import pyarrow  # noqa: F401  (a test dependency: missing, the test fails)
    (folder / "e.json").write_text(SURROGATE_FILES["名称"], encoding="utf-8")
    (folder / "b.jsonl").write_text('{"id": "a", "学时": 40, "评议": 2}\n{"id": "b", "学时": 40, "评议": 2, '
                                    '"名称": "乙\\udc80"}\n', encoding="utf-8")
    name, *options = command.split()
    if name == "explain" or options == ["--json"]:
        args = [name, "r.rubric", "e.json", *options]
    elif options[0] == "-o":
        args = [name, "r.rubric", "b.jsonl", *options, "--quiet"]
    else:
        args = ["report", "r.rubric", "b.jsonl", "-o", "报表.xlsx", "--html", "评分卡.html", "--scheme", "星级"]
    stderr = refused(cli(folder, *args), "E520")
    assert ("b.jsonl:2:" if "b.jsonl" in args else "e.json:1:") in stderr
    if "-o" in options:  # the other branch is still written, as valid UTF-8
        written = (folder / options[1]).read_text(encoding="utf-8")
        assert '"a"' in written or "\na," in written


def test_paired_escapes_and_an_escaped_backslash_are_not_lone_surrogates(folder: Path) -> None:
    path = folder / "e.json"
    path.write_text('{"id": "\\ud83d\\ude00", "名称": "\\\\udc80", "学时": 40, "评议": 2}', encoding="utf-8")
    result = loads(RUBRIC).evaluate(path)
    assert (result.id, result.total) == ("😀", 4)
    assert lone_surrogate('"\\ud83d \\ude00"') is not None  # halves apart are two lone halves
    assert lone_surrogate('"\\\\\\ud800"') is not None  # an escaped backslash, then an escape
    assert lone_surrogate('"\\ud800\\ud800\\udc00"') is not None  # two highs, one low


def test_a_lone_surrogate_in_rubric_text_is_e001_at_its_line_and_column() -> None:
    text = "# 说明\n标准 R { 标题 \"党\udc80委\" }\n"
    for call in (lambda: loads(text, filename="t.rubric"), lambda: starrules.parse(text, "t.rubric")):
        with pytest.raises(RubricSyntaxError) as info:
            call()
        [problem] = info.value.diagnostics
        assert (problem.code, problem.span.file, problem.span.line, problem.span.column) == ("E001", "t.rubric", 2, 13)
        assert "U+DC80" in problem.message and "党\ufffd委" in problem.render()
    assert [d.code for d in check_text("标准 \ud800R { }").diagnostics] == ["E001"]


# ── duplicate keys and columns ──────────────────────────────────────────────────

@pytest.mark.parametrize(("text", "key", "at", "first"), [
    ('{"学时": 10,\n "评议": 2, "学时": 40}', "学时", (2, 11), (1, 2)),  # top level
    ('{"学时": 40, "评议": {"得分": 1, "得分": 2}}', "得分", (1, 28), (1, 19)),  # a judged entry
    ('{"学时": 40, "评议": 2, "历史": {"星级": {"2023": "三星级", "2023": "五星级"}}}', "2023", (1, 50), (1, 35)),
    ('{"学时": 40, "评议": 2, "\\u5b66时": 10}', "学时", (1, 21), (1, 2)),  # the same key, escaped
])
def test_a_duplicate_json_key_is_e519_where_it_is_written_again(folder: Path, text: str, key: str,
                                                                 at: tuple[int, int], first: tuple[int, int]) -> None:
    (folder / "e.json").write_text(text, encoding="utf-8")
    with pytest.raises(EvidenceError) as info:
        loads(RUBRIC).evaluate(folder / "e.json")
    [problem] = info.value.diagnostics
    assert (problem.code, problem.span.line, problem.span.column) == ("E519", *at)
    assert problem.message == f"键“{key}”在同一个对象中重复出现(JSON 只会留下后一个值)"
    [note] = problem.notes
    assert (note.span.line, note.span.column, note.message) == (*first, "第一次写在这里")


def test_the_same_key_in_different_objects_is_not_a_duplicate(folder: Path) -> None:
    path = folder / "e.json"
    path.write_text('{"学时": 40, "评议": {"得分": 2, "理由": "得分"}, "历史": {"得分": {"2024": "好"}}}',
                    encoding="utf-8")
    assert loads(RUBRIC).evaluate(path).total == 4
    assert first_duplicate('[{"a": 1}, {"a": 2}, ["a", "a"]]') is None


def test_a_duplicate_key_in_a_jsonl_record_is_e519_on_its_line(folder: Path) -> None:
    path = folder / "b.jsonl"
    path.write_text('{"id": "a", "学时": 40, "评议": 2}\n{"id": "b", "学时": 10, "学时": 40, "评议": 2}\n'
                    '{"id": "c", "学时": 20, "评议": 1}\n', encoding="utf-8")
    out = list(loads(RUBRIC).evaluate_many(path, errors="collect"))
    assert [getattr(r, "total", None) for r in out] == [4, None, 2]
    assert [(d.code, d.span.line, d.span.column) for d in problems(out[1])] == [("E519", 2, 23)]
    refused(cli(folder, "eval", "r.rubric", "b.jsonl"), "E519")


def test_a_duplicate_csv_header_is_e519_naming_its_columns(folder: Path) -> None:
    path = folder / "b.csv"
    path.write_text("id,学时,评议,学时\na,10,2,40\n", encoding="utf-8")
    out = list(loads(RUBRIC).evaluate_many(path, errors="collect"))
    [[problem]] = [problems(r) for r in out]
    assert (problem.code, problem.span.line, problem.span.column, problem.span.end_column) == ("E519", 1, 10, 12)
    assert problem.message == "表头中的列名“学时”重复(第 2 列和第 4 列)"
    path.write_text('id,"学时",评议,"学时"\na,10,2,40\n', encoding="utf-8")  # quoted: the caret goes to the line
    [row] = loads(RUBRIC).evaluate_many(path, errors="collect")
    assert [(d.code, d.span.column) for d in problems(row)] == [("E519", 1)]
    path.write_text("id,学时,评议,,\na,10,2,,\n", encoding="utf-8")  # blank header cells are ignored, not duplicates
    assert [getattr(r, "total", None) for r in loads(RUBRIC).evaluate_many(path)] == [3]


def test_the_duplicate_fallback_message() -> None:
    fault = _duplicate_fault("{}")  # not met: the decoder and the scanner agree on what a duplicate is
    assert (fault.code, fault.place.start, fault.first) == ("E519", 0, None)


# ── one rule for floats ─────────────────────────────────────────────────────────

def reader_codes(data: object) -> list[str]:
    """The evidence reader alone (the reference path every engine falls back to)."""
    try:
        read_evidence(EvidenceSpec(loads(RUBRIC)), data, in_memory())
    except EvidenceError as error:
        return [d.code for d in error.diagnostics]
    return []


def test_a_python_float_is_read_as_its_decimal_text_like_json(folder: Path) -> None:
    for text in ("1e308", "1e-120", "0.1", "1e99", "123.456"):
        from_json = json.loads(f'{{"学时": {text}, "评议": 2}}', parse_float=Decimal)
        from_python = {"学时": float(text), "评议": 2}
        assert reader_codes(from_python) == reader_codes(from_json), text
    assert reader_codes({"学时": 1e308, "评议": 2}) == ["E518"]
    assert reader_codes({"学时": 1e-120, "评议": 2}) == ["E518"]
    assert reader_codes({"学时": 1e99, "评议": 2}) == []  # 100 digits: the limit
    assert reader_codes({"学时": 40, "评议": 1e308}) == ["E518"]  # a judged score too (was E507)
    assert reader_codes({"学时": float("nan"), "评议": 2}) == ["E503"]
    (folder / "e.json").write_text('{"学时": 1e308, "评议": 2}', encoding="utf-8")
    with pytest.raises(EvidenceError) as info:
        loads(RUBRIC).evaluate(folder / "e.json")
    assert codes(info) == ["E518"]


def test_every_engine_refuses_the_python_float_1e308() -> None:
    rubric = loads(RUBRIC)
    for explain in (True, False):
        with pytest.raises(EvidenceError) as info:
            rubric.evaluate({"学时": 1e308, "评议": 2}, explain=explain)
        assert codes(info) == ["E518"]


def test_an_exponent_too_large_for_any_decimal_is_e518(folder: Path) -> None:
    """1e-(30 digits) is valid JSON that Decimal cannot hold (found by the file fuzzer)."""
    number = "1e-" + "9" * 30
    (folder / "e.json").write_text(f'{{"学时": {number}, "评议": 2}}', encoding="utf-8")
    assert "第 1 行" not in refused(cli(folder, "eval", "r.rubric", "e.json"), "E518")
    (folder / "b.jsonl").write_text(f'{{"id": "a", "学时": {number}, "评议": 2}}\n{{"id": "b", "学时": 40, "评议": 2}}\n',
                                    encoding="utf-8")
    done = cli(folder, "eval", "r.rubric", "b.jsonl", "-o", "out.jsonl")
    assert "b.jsonl:1:1: 错误[E518]: 第 1 行的记录中的数字位数过多" in refused(done, "E518")
    written = [json.loads(line) for line in (folder / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(row["id"], row["total"]) for row in written] == [("b", 4)]  # 2 for I (40 ≥ 32) + 2 judged
