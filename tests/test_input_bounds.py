"""Nothing lost, nothing injected — for workbooks and columns: an .xlsx is checked from its zip
directory before anything is inflated and read a row at a time in flat memory (a zip bomb is
refused at once, a long batch sheet costs no more memory than a short one); names that look like
formulas are read as written; Arrow, pandas and Parquet input has its ids (E515) and column names
(E519) checked as a file's records are, a file that is not Parquet is E511, and an Arrow float
reads as the same float in a dict does."""

from __future__ import annotations

import errno
import hashlib
import os
import tracemalloc
import zipfile
from collections.abc import Callable, Iterable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
import pytest

import starrules
from starrules import EvidenceError, Limits, RowError, evaluate_batch, loads
from starrules.batch.driver import evaluate_columns
from starrules.io.xlsx_records import workbook_records
from starrules.report.xlsx_template import write_template

import pyarrow as pa
import pyarrow.parquet as pq

# 学: 10, less 4 when not 达标 and 1 for each 问题
SMALL = loads("标准 小 { 事实 达标: 是否 事实 问题: 计数 默认 0 "
              "类型 甲 10分 { 项目 学 10分 { 扣 4分 如果 非 达标 每 问题 扣 1分 } } }")
MiB = 1024 * 1024


# --- building workbooks part by part ----------------------------------------------------------------

MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"


SHEETML = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def content_types(kinds: list[tuple[str, str, str]]) -> str:
    return ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{SHEETML}.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/{target}" ContentType="{SHEETML}.{kind}+xml"/>'
                      for _, kind, target in kinds) + "</Types>")


DATE1904 = '<workbookPr date1904="1"/>'


def text(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def number(ref: str, value: object, style: int | None = None) -> str:
    return f'<c r="{ref}"{"" if style is None else f" s={chr(34)}{style}{chr(34)}"}><v>{value}</v></c>'


def row(number_: int, *cells: str) -> str:
    return f'<row r="{number_}">{"".join(cells)}</row>'


def header(*names: str) -> str:
    return row(1, *(text(f"{chr(65 + i)}1", name) for i, name in enumerate(names)))


def workbook(path: Path, rows: Iterable[str] | str, *, strings: Iterable[bytes] | None = None,
             styles: str | None = None, sheet: str = "批量", raw_sheet: bytes | None = None,
             date1904: bool = False) -> Path:
    """A minimal .xlsx as Excel lays it out: one worksheet, and shared strings and styles when
    given (`strings` as pieces of the part's bytes, so a huge part is written a piece at a time)."""
    relations = [("rId1", "worksheet", "worksheets/sheet1.xml")]
    if strings is not None:
        relations.append(("rId2", "sharedStrings", "sharedStrings.xml"))
    if styles is not None:
        relations.append(("rId3", "styles", "styles.xml"))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", content_types(relations))
        archive.writestr("_rels/.rels", f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
                         f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", f'<workbook {MAIN} xmlns:r="{RELS}">' + (DATE1904 if date1904 else "")
                         + f'<sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PACKAGE}">' + "".join(
            f'<Relationship Id="{i}" Type="{RELS}/{kind}" Target="{target}"/>' for i, kind, target in relations)
            + "</Relationships>")
        if raw_sheet is not None:
            archive.writestr("xl/worksheets/sheet1.xml", raw_sheet)
        else:
            with archive.open("xl/worksheets/sheet1.xml", "w") as part:
                part.write(f"<worksheet {MAIN}><sheetData>".encode())
                for chunk in [rows] if isinstance(rows, str) else rows:
                    part.write(chunk.encode())
                part.write(b"</sheetData></worksheet>")
        if strings is not None:
            with archive.open("xl/sharedStrings.xml", "w") as part:
                for piece in strings:
                    part.write(piece)
        if styles is not None:
            archive.writestr("xl/styles.xml", f"<styleSheet {MAIN}>{styles}</styleSheet>")
    return path


def refusal(rubric: starrules.Rubric, path: Path) -> EvidenceError:
    with pytest.raises(EvidenceError) as info:
        evaluate_batch(rubric, path)
    return info.value


def test_a_minimal_workbook_scores_as_worked_by_hand(tmp_path: Path) -> None:
    path = workbook(tmp_path / "b.xlsx", [header("id", "达标", "问题"),
                                          row(2, text("A2", "甲"), text("B2", "是"), number("C2", 0)),
                                          row(3, text("A3", "乙"), text("B3", "否"), number("C3", 2))])
    assert [(r.id, r.total) for r in evaluate_batch(SMALL, path)] == [("甲", 10), ("乙", 4)]  # 10 − 4 − 2
    assert openpyxl.load_workbook(path)["批量"]["A3"].value == "乙"  # openpyxl reads the same file


# --- the zip bomb -------------------------------------------------------------------------------------

BOMB_BYTES = 200 * MiB


def bomb_strings() -> Iterable[bytes]:
    """sharedStrings.xml of 200 MiB — "id", "是", then one string repeated — that deflates over 400:1."""
    yield f'<sst {MAIN}><si><t>id</t></si><si><t>是</t></si>'.encode()
    one = b"<si><t>aaaaaaaaaaaaaaaa</t></si>"
    piece = one * (MiB // len(one) + 1)  # just over 1 MiB
    for _ in range(BOMB_BYTES // MiB):
        yield piece
    yield b"</sst>"


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "炸弹.xlsx"
    return workbook(path, [row(1, '<c r="A1" t="s"><v>0</v></c>'), row(2, '<c r="A2" t="s"><v>1</v></c>')],
                    strings=bomb_strings())


def peak_while(action: Any) -> tuple[object, int]:
    """What `action()` returns or raises, and the peak of memory Python allocated meanwhile."""
    tracemalloc.start()
    try:
        try:
            outcome: object = action()
        except EvidenceError as error:
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("limits", "words"), [
    (Limits(), "压缩比过高"),  # over 400:1 against 100
    (Limits(workbook_ratio=5000), "xl/sharedStrings.xml 解压后过大"),  # 200 MiB against a part's 64 MiB
    (Limits(workbook_ratio=5000, workbook_part_bytes=1024 * MiB, workbook_bytes=100 * MiB), "解压后过大"),
    (Limits(workbook_parts=5), "文件过多"),  # it has 6
])
def test_a_zip_bomb_is_refused_from_the_zip_directory(bomb: Path, limits: Limits, words: str) -> None:
    with zipfile.ZipFile(bomb) as archive:
        part = archive.getinfo("xl/sharedStrings.xml")
        assert part.file_size > BOMB_BYTES and part.compress_size < part.file_size // 400 and len(archive.infolist()) == 6
    assert bomb.stat().st_size < MiB
    rubric = loads("标准 小 { 事实 达标: 是否 类型 甲 10分 { 项目 学 10分 { 扣 4分 如果 非 达标 } } }", limits=limits)
    error, peak = peak_while(lambda: evaluate_batch(rubric, bomb))
    assert isinstance(error, EvidenceError) and error.code == "E516" and words in error.diagnostics[0].message
    assert error.span.file == str(bomb)
    assert peak < 4 * MiB  # nothing inflated: the part alone is 200 MiB


def test_a_part_that_expands_a_little_is_read_as_usual(tmp_path: Path) -> None:
    """Over 1 MiB of shared strings (so the ratio is checked) that compress as text does, ~2:1."""
    rows = [header("id", "达标")] + [row(n, number(f"A{n}", n), f'<c r="B{n}" t="s"><v>0</v></c>') for n in range(2, 12)]
    strings = [f'<sst {MAIN}><si><t>是</t></si>'.encode()]
    strings += [("<si><t>" + "".join(hashlib.sha256(f"{n}/{k}".encode()).hexdigest() for k in range(10))
                 + "</t></si>").encode() for n in range(2000)]
    strings.append(b"</sst>")
    path = workbook(tmp_path / "b.xlsx", rows, strings=strings)
    with zipfile.ZipFile(path) as archive:
        part = archive.getinfo("xl/sharedStrings.xml")
        assert part.file_size > MiB and part.file_size < 3 * part.compress_size
    assert [r.total for r in evaluate_batch(SMALL, path)] == [10] * 10


# --- a long sheet in flat memory ----------------------------------------------------------------------

def long_batch(path: Path, count: int) -> Path:
    """`count` branches with numeric ids (so no shared strings): 问题 is the row number mod 5."""
    def rows() -> Iterable[str]:
        yield header("id", "达标", "问题")
        for n in range(2, count + 2):
            yield row(n, number(f"A{n}", n), f'<c r="B{n}" t="b"><v>1</v></c>', number(f"C{n}", n % 5))
    return workbook(path, rows())


def test_a_long_batch_sheet_is_read_in_the_same_memory_as_a_short_one(tmp_path: Path) -> None:
    peaks = {}
    for count in (1_000, 6_000):
        path = long_batch(tmp_path / f"{count}.xlsx", count)
        last: list[Any] = []

        def read(path: Path = path) -> int:
            seen = 0
            for record in workbook_records(path, Limits()):
                seen += 1
                last[:] = [record]
            return seen

        outcome, peaks[count] = peak_while(read)
        assert outcome == count
        record = last[0]
        assert (record.row, dict(record.data)) == (count + 1, {"id": count + 1, "达标": True, "问题": (count + 1) % 5})
        assert record.locate("问题").file == f"{path}:批量!C{count + 1}"
    # 5000 more rows (650 kB more sheet XML) cost under 20 bytes a row, where rows held as tuples, or
    # openpyxl's read-only reader (which keeps an emptied element per row), take 80 bytes a row or more
    assert peaks[6_000] - peaks[1_000] < 100_000, peaks


def test_rows_and_cells_past_their_limits(tmp_path: Path) -> None:
    path = long_batch(tmp_path / "b.xlsx", 4)  # a header and 4 rows of 3 cells
    for limits, words in ((Limits(workbook_rows=4), "行数过多(最多 4 行)"), (Limits(workbook_cells=14), "单元格过多")):
        error = refusal(loads("标准 小 { 事实 达标: 是否 事实 问题: 计数 类型 甲 10分 { 项目 学 10分 { } } }",
                              limits=limits), path)
        assert error.code == "E516" and words in error.diagnostics[0].message
    assert len(evaluate_batch(loads("标准 小 { 事实 达标: 是否 事实 问题: 计数 类型 甲 10分 { 项目 学 10分 { } } }",
                                    limits=Limits(workbook_rows=5, workbook_cells=15)), path)) == 4


def test_a_row_far_down_is_one_row_and_keeps_its_number(tmp_path: Path) -> None:
    """Rows are numbered as the file numbers them; the million rows above are not walked one by one."""
    path = workbook(tmp_path / "b.xlsx", [header("id", "达标", "问题"),
                                          row(1_048_576, text("A1048576", "甲"), text("B1048576", "是"),
                                              number("C1048576", -1))])
    error = refusal(SMALL, path)
    assert error.code == "E504" and error.span.file == f"{path}:批量!C1048576"


# --- names that look like formulas --------------------------------------------------------------------

FORMULA_NAME = starrules.loads('标准 公式名 { 满分 10 事实 "=1+1": 是否 默认 是 事实 "+次": 计数 默认 0 '
                               '类型 甲 10分 { 项目 乙 10分 { 扣 1分 如果 非 "=1+1" 每 "+次" 扣 2分 } } }')


def test_names_held_as_formulas_are_read_as_their_text(tmp_path: Path) -> None:
    """A template whose 填写项 cell and 批量 header hold the name `=1+1` as a formula (an older
    template, or one retyped in Excel): read by its formula's text, not by its value, which here
    is empty (no cached result) — by value the input would be lost and the default 是 scored."""
    blank = tmp_path / "空白.xlsx"
    write_template(FORMULA_NAME, blank)
    book = openpyxl.load_workbook(blank)
    form, batch = book["评分表"], book["批量"]
    assert (form["G6"].value, batch["C1"].value) == ("=1+1", "=1+1")
    form["G6"] = batch["C1"] = "=1+1"  # openpyxl writes these as formulas
    form["F4"], form["F6"], form["F7"] = "甲支部", "否", 1
    batch["A2"], batch["C2"], batch["D2"] = "乙支部", "否", 2
    book.save(tmp_path / "填好.xlsx")
    assert openpyxl.load_workbook(tmp_path / "填好.xlsx")["批量"]["C1"].data_type == "f"
    # 甲: 10 − 1 (否) − 2 × 1 = 7; 乙: 10 − 1 − 2 × 2 = 5
    assert [(r.id, r.total) for r in evaluate_batch(FORMULA_NAME, tmp_path / "填好.xlsx")] == [("甲支部", 7), ("乙支部", 5)]


def test_text_names_and_values_computed_by_formulas(tmp_path: Path) -> None:
    """Header cells holding `=1+1` and `+次` as text; a value given by a formula is read as the result
    Excel saved with it, and a formula without a saved result as an empty cell (the default)."""
    path = workbook(tmp_path / "b.xlsx", [
        header("id", "=1+1", "+次"),
        row(2, text("A2", "甲"), '<c r="B2" t="b"><f>1=2</f><v>0</v></c>', '<c r="C2"><f>1+2</f><v>3</v></c>'),
        row(3, text("A3", "乙"), text("B3", "是"), '<c r="C3"><f>1+2</f></c>')])
    # 甲: 10 − 1 − 2 × 3 = 3; 乙: 10 (问题 left empty: 0)
    assert [(r.id, r.total) for r in evaluate_batch(FORMULA_NAME, path)] == [("甲", 3), ("乙", 10)]


# --- cell values as Excel shows them ------------------------------------------------------------------

def test_shared_strings_runs_phonetics_and_escapes(tmp_path: Path) -> None:
    strings = [f'<sst {MAIN}><si><t>id</t></si><si><t>达标</t></si>'
               '<si><r><t>是</t></r><rPh sb="0" eb="1"><t>shì</t></rPh></si>'  # a run and a phonetic guide
               "<si><t>甲_x0031__x005F_x0032_</t></si></sst>".encode()]  # _x0031_ is "1"; _x005F_ an "_"
    path = workbook(tmp_path / "b.xlsx", [row(1, '<c r="A1" t="s"><v>0</v></c>', '<c r="B1" t="s"><v>1</v></c>'),
                                          row(2, '<c r="A2" t="s"><v>3</v></c>', '<c r="B2" t="s"><v>2</v></c>')],
                    strings=strings)
    ((_, data),) = [(r.row, r.data) for r in workbook_records(path, Limits())]
    assert data == {"id": "甲1_x0032_", "达标": "是"}


STYLES = ('<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
          '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="31"/><xf numFmtId="164"/></cellXfs>')


def test_a_number_shown_as_a_date_is_a_date_not_a_count(tmp_path: Path) -> None:
    """"1-2" typed into a 计数 cell becomes a date in Excel: read as a date and refused (E503),
    never as its serial number; 31 is the built-in 年月日 format that files give by id only."""
    path = workbook(tmp_path / "b.xlsx", [header("id", "达标", "问题")] + [
        row(n, text(f"A{n}", f"支部{n}"), text(f"B{n}", "是"), number(f"C{n}", 45658, style))
        for n, style in ((2, 0), (3, 1), (4, 2), (5, 3))], styles=STYLES)
    outcomes = list(SMALL.evaluate_many(path, errors="collect"))
    assert not isinstance(outcomes[0], RowError) and outcomes[0].total == 0  # 45658 problems: 0, 扣完为止
    assert [[d.code for d in o.diagnostics] for o in outcomes[1:] if isinstance(o, RowError)] == [["E503"]] * 3
    assert "datetime" in outcomes[1].diagnostics[0].message  # type: ignore[union-attr]


def test_error_values_formula_text_iso_dates_and_the_1904_calendar(tmp_path: Path) -> None:
    cells = [text("A2", "甲"), '<c r="B2" t="e"><v>#N/A</v></c>', '<c r="C2" t="str"><f>"是"</f><v>是</v></c>',
             '<c r="D2" t="d"><v>2025-01-02T00:00:00</v></c>', '<c r="E2"><v>1_000</v></c>',
             number("F2", 1e20, 1), number("G2", 45658, 1), '<c r="H2" t="b"><v>1</v></c>']
    for date1904, day in ((False, "2025-01-01"), (True, "2029-01-02")):  # 1904-01-01 + 45658 days
        path = workbook(tmp_path / "b.xlsx", [header(*"ABCDEFGH"), row(2, *cells)], styles=STYLES, date1904=date1904)
        ((data),) = [r.data for r in workbook_records(path, Limits())]
        assert data is not None
        shown = {key: str(value) for key, value in data.items()}
        assert shown == {"A": "甲", "B": "#N/A", "C": "是", "D": "2025-01-02 00:00:00", "E": "1_000",  # not 1000
                         "F": "#VALUE!", "G": f"{day} 00:00:00", "H": "True"}, date1904


# --- broken and hostile workbooks ---------------------------------------------------------------------

def zip_of(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
          b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
          b'<c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>')


@pytest.mark.parametrize(("make", "words"), [
    (lambda p: workbook(p, "", raw_sheet=LAUGHS), "xl/worksheets/sheet1.xml 含有 DTD 或实体声明"),
    (lambda p: workbook(p, "", raw_sheet=b"<worksheet><sheetData><row>"), "第 1 行不是有效的 XML"),
    (lambda p: workbook(p, row(1, '<c r="XFE1"><v>1</v></c>')), "xl/worksheets/sheet1.xml 已损坏"),  # past XFD
    (lambda p: workbook(p, row(1, '<c r="A1" t="s"><v>7</v></c>'), strings=[b"<sst/>"]), "已损坏"),  # no string 7
    (lambda p: workbook(p, '<row r="x"/>'), "xl/worksheets/sheet1.xml 已损坏"),
    (lambda p: workbook(p, '<row r="1.5"></row>'), "已损坏"),
    (lambda p: zip_of(p, {"_rels/.rels": b"<Relationships/>"}), "缺少 xl/workbook.xml"),
    (lambda p: p.write_bytes(b""), "不是有效的 .xlsx 工作簿"),
])
def test_broken_and_hostile_workbooks_are_e511(tmp_path: Path, make: Any, words: str) -> None:
    path = tmp_path / "坏.xlsx"
    make(path)
    error = refusal(SMALL, path)
    assert error.code == "E511" and words in error.diagnostics[0].message, error.diagnostics[0].message
    assert error.span.file == str(path)


def test_a_part_whose_compressed_bytes_are_damaged(tmp_path: Path) -> None:
    path = long_batch(tmp_path / "b.xlsx", 2000)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        part = archive.getinfo("xl/worksheets/sheet1.xml")
    middle = part.header_offset + 30 + len(part.filename) + part.compress_size // 2
    data[middle:middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    error = refusal(SMALL, path)
    # zlib's fault, or a CRC that does not match once the part is read
    assert error.code == "E511" and "其中的 xl/worksheets/sheet1.xml" in error.diagnostics[0].message


def test_a_disk_error_while_reading_a_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = long_batch(tmp_path / "b.xlsx", 2)

    def failing(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EIO, "Input/output error")
    monkeypatch.setattr(zipfile.ZipFile, "open", failing)
    error = refusal(SMALL, path)
    assert error.code == "E511" and error.diagnostics[0].message == f"无法读取工作簿“{path}”:Input/output error"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("name", ["管道.xlsx", "管道.parquet"])
def test_a_fifo_is_refused_without_blocking(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    os.mkfifo(path)  # nothing writes to it: opening it for reading the usual way would block
    error = refusal(SMALL, path)
    assert error.code == "E511" and "不是普通文件" in error.diagnostics[0].message


# --- Arrow, pandas and Parquet: ids -------------------------------------------------------------------

IDS = {"id": ["a", None, " ", "a", "b"], "达标": [True] * 5, "问题": [0, 1, 2, 3, 4]}
# row 1: 10; rows 2–4 refused; row 5: 10 − 4 = 6
EXPECTED = [(1, 10), (2, "第 2 行缺少编号“id”"), (3, "第 3 行缺少编号“id”"), (4, "编号“a”重复(第 1 行已经用过)"), (5, 6)]


def sources(tmp_path: Path, columns: dict[str, Any]) -> dict[str, object]:
    table = pa.table(columns)
    path = tmp_path / "证据.parquet"
    pq.write_table(table, path, row_group_size=2)
    import pandas
    return {"table": table, "batches": table.to_batches(max_chunksize=2), "pandas": pandas.DataFrame(columns),
            "parquet": path, "parquet text": str(path)}


def outcomes_many(rubric: starrules.Rubric, source: Any) -> list[tuple[int, object]]:
    """evaluate_many's outcome per row; a list of batches is read as evaluate_columns reads it
    (evaluate_many takes a list as evidence dicts)."""
    if isinstance(source, list):
        return outcomes_columns(rubric, source, chunk_rows=1)
    found: list[tuple[int, object]] = []
    for n, outcome in enumerate(rubric.evaluate_many(source, errors="collect"), 1):
        found.append((n, outcome.diagnostics[0].message if isinstance(outcome, RowError) else outcome.total))
    return found


def outcomes_columns(rubric: starrules.Rubric, source: object, chunk_rows: int = 2) -> list[tuple[int, object]]:
    found: list[tuple[int, object]] = []
    for batch in evaluate_columns(rubric, source, errors="collect", chunk_rows=chunk_rows):
        messages = {e.row: e.diagnostics[0].message for e in batch.errors}
        for i, row_number in enumerate(batch.rows):
            found.append((row_number, messages[row_number] if row_number in messages
                          else batch.grid.points(int(batch.total[i]))))
    return found


def test_missing_blank_and_repeated_ids_in_arrow_pandas_and_parquet(tmp_path: Path) -> None:
    for name, source in sources(tmp_path, IDS).items():
        assert outcomes_many(SMALL, source) == EXPECTED, name
        assert outcomes_columns(SMALL, source) == EXPECTED, name
    (_, _, _, duplicate, _) = SMALL.evaluate_many(pa.table(IDS), errors="collect")
    assert isinstance(duplicate, RowError) and duplicate.row == 4
    (problem,) = duplicate.diagnostics
    assert problem.code == "E515" and problem.span.file == "<第 4 行>"
    with pytest.raises(EvidenceError) as info:
        list(evaluate_columns(SMALL, pa.table(IDS)))
    assert info.value.code == "E515" and info.value.span.file == "<第 2 行>" and info.value.diagnostics[0].hint


def test_ids_are_compared_as_text_across_chunks(tmp_path: Path) -> None:
    """1 and "1" are the same id, as in JSON Lines; the repeat is found in a later chunk too."""
    table = pa.table({"id": [1, 2, 3, 1], "达标": [True] * 4})
    assert outcomes_columns(SMALL, table, chunk_rows=3) == [(1, 10), (2, 10), (3, 10), (4, "编号“1”重复(第 1 行已经用过)")]
    assert outcomes_many(SMALL, table)[3] == (4, "编号“1”重复(第 1 行已经用过)")
    path = tmp_path / "ids.jsonl"
    path.write_text('{"id": 1, "达标": true}\n{"id": "1", "达标": true}\n', encoding="utf-8")
    assert outcomes_many(SMALL, path)[1] == (2, "编号“1”重复(第 1 行已经用过)")  # the JSON Lines wording


def test_an_id_repeated_within_one_chunk(tmp_path: Path) -> None:
    table = pa.table({"id": ["a", "b", "a", "c"], "达标": [True] * 4})
    expected = [(1, 10), (2, 10), (3, "编号“a”重复(第 1 行已经用过)"), (4, 10)]
    assert outcomes_columns(SMALL, table, chunk_rows=10) == expected and outcomes_many(SMALL, table) == expected


def test_a_parquet_file_needs_ids_and_arrow_in_memory_only_with_an_id_column(tmp_path: Path) -> None:
    columns = {"达标": [True, False], "问题": [0, 1]}
    path = tmp_path / "无编号.parquet"
    pq.write_table(pa.table(columns), path)
    missing = [(1, "第 1 行缺少编号“id”"), (2, "第 2 行缺少编号“id”")]
    assert outcomes_many(SMALL, path) == missing and outcomes_columns(SMALL, path) == missing
    assert outcomes_many(SMALL, pa.table(columns)) == [(1, 10), (2, 5)]  # like dicts: 10; 10 − 4 − 1
    assert outcomes_columns(SMALL, pa.table(columns)) == [(1, 10), (2, 5)]


# --- Parquet files that are not, and repeated column names --------------------------------------------

def test_files_that_are_not_parquet_are_e511(tmp_path: Path) -> None:
    good = tmp_path / "好.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "达标": [True, False]}), good)
    data = good.read_bytes()
    cases = {"空.parquet": (b"", "文件是空的"), "文字.parquet": ("id,达标\na,是\n".encode(), "不是有效的 Parquet 文件"),
             "截断.parquet": (data[: len(data) // 2], "不是有效的 Parquet 文件"),
             "缺尾.parquet": (data[:-1], "不是有效的 Parquet 文件")}
    for name, (content, words) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        for read in (lambda: list(SMALL.evaluate_many(path, errors="collect")),
                     lambda: list(evaluate_columns(SMALL, path, errors="collect"))):
            with pytest.raises(EvidenceError) as info:
                read()
            assert info.value.code == "E511" and words in info.value.diagnostics[0].message, name
            assert info.value.span.file == str(path)
    with pytest.raises(EvidenceError) as info:
        list(evaluate_columns(SMALL, tmp_path / "没有.parquet"))
    assert info.value.code == "E511" and "文件不存在" in info.value.diagnostics[0].message


def test_a_parquet_file_damaged_inside(tmp_path: Path) -> None:
    path = tmp_path / "损坏.parquet"
    pq.write_table(pa.table({"id": [f"b{n}" for n in range(1000)], "问题": list(range(1000)),
                             "达标": [True] * 1000}), path, row_group_size=500)
    column = pq.ParquetFile(path).metadata.row_group(1).column(0)
    data = bytearray(path.read_bytes())
    data[column.data_page_offset:column.data_page_offset + 40] = b"\xff" * 40  # the second group's page header
    path.write_bytes(bytes(data))
    with pytest.raises(EvidenceError) as info:
        list(evaluate_columns(SMALL, path, errors="collect", chunk_rows=300))
    assert info.value.code == "E511" and "Parquet 文件已损坏(读到第 300 行后出错)" in info.value.diagnostics[0].message


def test_text_that_is_not_utf8_in_a_parquet_file_is_e511(tmp_path: Path) -> None:
    """Parquet does not check text when it reads it: the bytes of 名称 are damaged after writing."""
    path = tmp_path / "乱码.parquet"
    pq.write_table(pa.table({"id": ["b1", "b2", "b3"], "达标": [True, False, True], "名称": ["甲支部", "乙支部", "丙支部"]}),
                   path, use_dictionary=False, compression="none", write_statistics=False)
    data = bytearray(path.read_bytes())
    data[data.find("乙支部".encode())] = 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(EvidenceError) as info:
        list(evaluate_columns(SMALL, path, errors="collect"))
    assert info.value.code == "E511" and "第 1–3 行中有不是 UTF-8 的文字" in info.value.diagnostics[0].message


def test_a_disk_error_while_opening_a_parquet_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "好.parquet"
    pq.write_table(pa.table({"id": ["a"], "达标": [True]}), path)

    def failing(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EIO, "Input/output error")
    monkeypatch.setattr(pq, "ParquetFile", failing)
    with pytest.raises(EvidenceError) as info:
        list(evaluate_columns(SMALL, path))
    assert info.value.code == "E511" and info.value.diagnostics[0].message == f"无法读取批量文件“{path}”:Input/output error"


def test_a_column_name_given_twice_is_e519(tmp_path: Path) -> None:
    table = pa.Table.from_arrays([pa.array(["a"]), pa.array([1]), pa.array([True]), pa.array([3])],
                                 names=["id", "问题", "达标", "问题"])
    path = tmp_path / "重复.parquet"
    pq.write_table(table, path)
    assert pq.ParquetFile(path).schema_arrow.names == ["id", "问题", "达标", "问题"]
    import pandas
    frame = pandas.DataFrame([["a", 1, True, 3]], columns=["id", "问题", "达标", "问题"])
    for source, where in ((table, "<批量数据>"), (table.to_batches()[0], "<批量数据>"), (table.to_batches(), "<批量数据>"),
                          (frame, "<批量数据>"), (path, str(path))):
        reads: list[Callable[[], object]] = [lambda: list(evaluate_columns(SMALL, source, errors="collect"))]
        if not isinstance(source, list):  # evaluate_many takes a list as evidence dicts
            reads.append(lambda: list(SMALL.evaluate_many(source, errors="collect")))
        for read in reads:
            with pytest.raises(EvidenceError) as info:
                read()
            assert info.value.code == "E519" and info.value.span.file == where
            assert info.value.diagnostics[0].message == "列名“问题”重复(第 2 列和第 4 列)"


# --- floats: one rule -----------------------------------------------------------------------------------

FLOAT = loads("标准 浮 { 精度 0.1 事实 x: 数值 类型 甲 100分 { 项目 值 100分 { 得分 = x } } }")


def outcome_of_dict(value: float) -> object:
    try:
        return FLOAT.evaluate({"id": "a", "x": value}).total
    except EvidenceError as error:
        return error.code


def only(outcomes: list[tuple[int, object]]) -> object:
    ((_, outcome),) = outcomes
    return outcome if not isinstance(outcome, str) else "E518" if "位数过多" in outcome else outcome


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's overflow while the engine tries 1e308 × 10**k
@pytest.mark.parametrize("value", [1e308, 1e-120, 0.35, 2.675, 33.35])
def test_an_arrow_float_reads_as_the_same_float_in_a_dict(tmp_path: Path, value: float) -> None:
    expected = outcome_of_dict(value)
    for name, source in sources(tmp_path, {"id": ["a"], "x": [value]}).items():
        assert only(outcomes_many(FLOAT, source)) == expected, name
        assert only(outcomes_columns(FLOAT, source)) == expected, name


def test_float32_values_read_as_the_decimals_they_print_as(tmp_path: Path) -> None:
    """A float32 0.35 is 0.3499999940… in binary; read through its shortest text it is 0.35, which
    rounds half up to 0.4 — as the float 0.35 in a dict does, and as a decimal 0.35 does."""
    assert outcome_of_dict(0.35) == FLOAT.evaluate({"x": Decimal("0.35")}).total == Fraction(2, 5)
    for kind in (pa.float32(), pa.float16()):
        columns = {"id": ["a", "b", "c"], "x": pa.array([0.35, None, 2.5], type=kind)}
        table = pa.table(columns)
        path = tmp_path / "f.parquet"
        pq.write_table(table, path)
        # a null is a value left out: x has no default, so the reader reports it (E501)
        for source in (table, path):
            for outcomes in (outcomes_many(FLOAT, source), outcomes_columns(FLOAT, source, chunk_rows=5)):
                assert [o for _, o in outcomes][0::2] == [Fraction(2, 5), Fraction(5, 2)], (kind, source)
                assert "缺少事实“x”" in str(outcomes[1][1])
