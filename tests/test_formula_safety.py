"""Nothing injected: a name, id or text that starts like a spreadsheet formula (`=`, `+`, `-`, `@`)
reaches every workbook starrules writes (template and report) as a text cell, reads back as
written, and scores a filled template like the same evidence as JSON; list validations cannot
be broken out of; CSV cells that a spreadsheet would run are neutralised with a leading `'`.
Text XML cannot hold is written as a visible escape instead of breaking the file."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from pathlib import Path

import attrs
import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import starrules
from starrules.cli import main
from starrules.plan.evidence import RESERVED_KEYS
from starrules.report.summary import summarise
from starrules.report.xlsx_report import write_report
from starrules.report.xlsx_template import write_template

EVIL = r'''标准 "=注入" {
    标题 "=HYPERLINK(\"http://x\",\"点我\")"
    满分 10
    等级 档
    事实 "=1+1": 是否 默认 是 "=说明"
    事实 "+选": 选项("=a", "b,c", "d\"e") 默认 "b,c"
    类型 "=cmd|' /C calc'!A0" 6分 {
        项目 "@SUM(A1)" 6分 {
            说明 "-2+3"
            方式 "=HYPERLINK(\"x\")"
            扣 1分 如果 非 "=1+1"
            扣 2分 如果 "+选" = "=a"
        }
    }
    类型 "+类" 4分 {
        项目 "-档" 4分 {
            分档 ["=好" 4分, "+差" 1分]
        }
    }
}
等级 档 {
    "=优" >= 8分
    "-差"
}
'''


def formula_cells(path: Path) -> list[str]:
    """Every formula in the workbook: cells openpyxl reads as formulas, and <f> elements in the XML."""
    book = openpyxl.load_workbook(path)
    found = [f"{sheet.title}!{cell.coordinate}" for sheet in book for row in sheet.iter_rows()
             for cell in row if cell.data_type == "f"]
    with zipfile.ZipFile(path) as archive:
        found += [name for name in archive.namelist() if name.startswith("xl/worksheets/sheet")
                  and re.search(rb"<f[ >]", archive.read(name))]
    return found


def texts(path: Path) -> dict[str, list[object]]:
    book = openpyxl.load_workbook(path)
    return {sheet.title: [cell.value for row in sheet.iter_rows() for cell in row] for sheet in book}


# --- the reproductions ---------------------------------------------------------------------------

def test_template_writes_formula_like_names_as_text(tmp_path: Path) -> None:
    out = tmp_path / "评分表.xlsx"
    write_template(starrules.loads(EVIL), out)
    assert formula_cells(out) == []
    sheet = openpyxl.load_workbook(out)["评分表"]
    assert sheet["A1"].value == '=HYPERLINK("http://x","点我")评分表'
    assert [c.value for c in sheet[6]] == ["=cmd|' /C calc'!A0 6分", "@SUM(A1)", 6, "-2+3", '=HYPERLINK("x")', None,
                                           "=1+1", "=说明。填 是 或 否;不填按 是"]
    assert [c.value for c in sheet[7]][6] == "+选"
    assert [c.value for c in sheet[8]][:2] == ["+类 4分", "-档"]
    assert [c.value for c in sheet[8]][6] == "-档"
    batch = openpyxl.load_workbook(out)["批量"]
    assert [c.value for c in batch[1]] == ["id", "名称", "=1+1", "+选", "-档"]


def validations(sheet: openpyxl.worksheet.worksheet.Worksheet) -> dict[str, str]:
    return {str(rule.sqref): rule.formula1 for rule in sheet.data_validations.dataValidation}


def test_option_lists_cannot_break_out_of_a_list_validation(tmp_path: Path) -> None:
    """`b,c` and `d"e` cannot be spelled in Excel's inline list: the options go to the hidden 选项
    sheet as text; plain names (是/否, the 分档 names) stay inline as one quoted string."""
    out = tmp_path / "评分表.xlsx"
    write_template(starrules.loads(EVIL), out)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["评分表", "批量", "选项"]
    assert book["选项"].sheet_state == "hidden"
    assert [c.value for c in book["选项"]["A"]] == ["=a", "b,c", 'd"e']
    assert validations(book["评分表"]) == {"F6": '"是,否"', "F7": "'选项'!$A$1:$A$3", "F8": '"=好,+差"'}
    assert validations(book["批量"]) == {"C2:C501": '"是,否"', "D2:D501": "'选项'!$A$1:$A$3",
                                         "E2:E501": '"=好,+差"'}


def test_a_list_over_255_characters_goes_to_the_options_sheet(tmp_path: Path) -> None:
    names = [f"选项{n:03}" for n in range(60)]  # 60 × 5 characters and 59 commas: 359 > 255
    out = tmp_path / "评分表.xlsx"
    write_template(starrules.loads(f"标准 长 {{\n 满分 1\n 事实 类别: 选项({', '.join(names)})\n"
                                   " 类型 甲 1分 {\n 项目 乙 1分 {\n 扣 1分 如果 类别 = 选项000\n }\n }\n}\n"), out)
    book = openpyxl.load_workbook(out)
    assert validations(book["评分表"])["F6"] == "'选项'!$A$1:$A$60"
    assert [c.value for c in book["选项"]["A"]] == names
    rule = book["评分表"].data_validations.dataValidation[0]
    assert len(rule.error) == 255 and rule.error.endswith("…")  # Excel's limit for the message


def test_the_template_keeps_its_two_sheets_when_every_list_is_plain(tmp_path: Path) -> None:
    out = tmp_path / "评分表.xlsx"
    write_template(starrules.load(Path(__file__).parent.parent / "rubrics" / "两新争先创优.rubric"), out)
    assert openpyxl.load_workbook(out).sheetnames == ["评分表", "批量"]


def test_report_writes_formula_like_ids_names_and_levels_as_text(tmp_path: Path) -> None:
    rubric, batch = tmp_path / "evil.rubric", tmp_path / "批量.jsonl"
    rubric.write_text(EVIL, encoding="utf-8")
    rows = [{"id": '=HYPERLINK("http://x","y")', "名称": "+1", "-档": "=好"},
            {"id": "-x", "名称": "@SUM(A1)", "=1+1": False, "+选": "=a", "-档": "+差"}]
    batch.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "汇总.xlsx"
    assert main(["report", str(rubric), str(batch), "-o", str(out)]) == 0
    assert formula_cells(out) == []
    listing = openpyxl.load_workbook(out)["一览表"]
    assert listing["A1"].value == '=HYPERLINK("http://x","点我") 评定情况一览表'
    assert [c.value for c in listing[2]] == ["名次", "编号", "名称", "=cmd|' /C calc'!A0", "+类", "总分", "档",
                                             "标记", "否决", "措施"]
    # first: 6 + 4 (=好) = 10 → =优; second: 6 − 1 (否) − 2 (=a) = 3, + 1 (+差) = 4 → -差
    assert [c.value for c in listing[3]][:7] == [1, '=HYPERLINK("http://x","y")', "+1", 6, 4, 10, "=优"]
    assert [c.value for c in listing[4]][:7] == [2, "-x", "@SUM(A1)", 3, 1, 4, "-差"]
    tally = texts(out)["汇总表"]
    assert {"等级方案:档", "=优(个)", "-差(占比)", "=优", "-差"} <= set(tally)


# --- the template round trip ----------------------------------------------------------------------

ROUND_TRIP = '''标准 公式名 {
    满分 10
    事实 "=1+1": 是否 默认 是
    类型 甲 10分 {
        项目 乙 10分 {
            扣 1分 如果 非 "=1+1"
        }
    }
}
'''


@pytest.mark.parametrize(("filled", "total"), [("否", 9), ("是", 10)])  # 10, less 1 when "=1+1" is 否
def test_a_filled_template_scores_like_the_same_json(tmp_path: Path, filled: str, total: int) -> None:
    rubric = starrules.loads(ROUND_TRIP)
    evidence = tmp_path / "证据.json"
    evidence.write_text(json.dumps({"=1+1": filled == "是"}), encoding="utf-8")
    assert rubric.evaluate(evidence).total == total
    blank = tmp_path / "空白.xlsx"
    write_template(rubric, blank)
    book = openpyxl.load_workbook(blank)
    form, batch = book["评分表"], book["批量"]
    assert (form["G6"].value, batch["C1"].value) == ("=1+1", "=1+1")  # the 填写项 cell and the column
    form["F4"], form["F6"] = "甲支部", filled  # F4: the id, as two branches are in one file
    batch["A2"], batch["C2"] = "乙支部", filled
    book.save(tmp_path / "填好.xlsx")
    assert [r.total for r in starrules.evaluate_batch(rubric, tmp_path / "填好.xlsx")] == [total, total]


def test_the_cli_reads_the_filled_template_alike(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rubric = tmp_path / "公式名.rubric"
    rubric.write_text(ROUND_TRIP, encoding="utf-8")
    blank, filled = tmp_path / "空白.xlsx", tmp_path / "填好.xlsx"
    assert main(["template", str(rubric), "-o", str(blank)]) == 0
    book = openpyxl.load_workbook(blank)
    book["评分表"]["F4"], book["评分表"]["F6"] = "甲支部", "否"
    book.save(filled)
    capsys.readouterr()
    assert main(["eval", str(rubric), str(filled), "--json"]) == 0
    assert [(r["id"], r["total"]) for r in json.loads(capsys.readouterr().out)] == [("甲支部", 9)]


# --- CSV ------------------------------------------------------------------------------------------

NEGATIVE = '''标准 负分 {
    满分 10
    等级 档
    事实 差: 是否
    类型 基础 10分 {
        项目 基础项 10分 {
            扣 15分 如果 差
            可倒扣
        }
    }
}
等级 档 {
    "=优" >= 5分
    "-差"
}
'''


def eval_to_csv(tmp_path: Path, ids: list[str]) -> list[list[str]]:
    """`starrules eval 负分.rubric 批量.jsonl -o 结果.csv` for branches with these ids (the second one
    not 差), read back with the csv module."""
    import pyarrow  # noqa: F401  (a test dependency: missing, the test fails)
    rubric, batch, out = tmp_path / "负分.rubric", tmp_path / "批量.jsonl", tmp_path / "结果.csv"
    rubric.write_text(NEGATIVE, encoding="utf-8")
    batch.write_text("".join(json.dumps({"id": i, "差": n != 1}, ensure_ascii=False) + "\n"
                             for n, i in enumerate(ids)), encoding="utf-8")
    assert main(["eval", str(rubric), str(batch), "-o", str(out), "--quiet"]) == 0
    with out.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.reader(stream))


def test_csv_cells_a_spreadsheet_would_run_get_a_leading_quote(tmp_path: Path) -> None:
    ids = ['=HYPERLINK("http://x","y")', "+1", "-x", "@SUM(A1)", "\tx", "普通", "a=b", "'=已有引号"]
    rows = eval_to_csv(tmp_path, ids)
    assert rows[0] == ["id", "total", "max", "vetoed", "section:基础", "item:基础项", "level:档"]
    # 差: 10 − 15 = −5 on the item (可倒扣), the section and total stay at 0; not 差: 10. The −5 is
    # a number, so it stays as it is; the level "-差" is text, so it is quoted
    assert rows[1:] == [["'" + ids[0], "0", "10", "false", "0", "-5", "'-差"],
                        ["'+1", "10", "10", "false", "10", "10", "'=优"],
                        ["'-x", "0", "10", "false", "0", "-5", "'-差"],
                        ["'@SUM(A1)", "0", "10", "false", "0", "-5", "'-差"],
                        ["'\tx", "0", "10", "false", "0", "-5", "'-差"],
                        ["普通", "0", "10", "false", "0", "-5", "'-差"],
                        ["a=b", "0", "10", "false", "0", "-5", "'-差"],
                        ["'=已有引号", "0", "10", "false", "0", "-5", "'-差"]]


def test_csv_cell_rule_decides_by_type() -> None:
    from starrules.report.output import _cell
    assert [_cell(v) for v in ("\rx", "=1", "+", "-", "@", "\t", "", "a-b", " =1")] == \
        ["'\rx", "'=1", "'+", "'-", "'@", "'\t", "", "a-b", " =1"]
    assert [_cell(v) for v in (-5, -0.5, 3, True, False, None)] == [-5, -0.5, 3, "true", "false", ""]


def test_a_carriage_return_in_a_csv_cell_does_not_split_the_row(tmp_path: Path) -> None:
    rows = eval_to_csv(tmp_path, ["a\r=HYPERLINK(\"http://x\")", "\rx"])
    assert [row[0] for row in rows[1:]] == ["a\r=HYPERLINK(\"http://x\")", "'\rx"]


# --- the property ---------------------------------------------------------------------------------

def shown(text: str) -> str:
    """What a cell holds for `text` (docs/cli.md): XML 1.0 characters as they are, any other — and
    the carriage return, which XML readers turn into a line feed — as \\xHH or \\uHHHH."""
    def one(char: str) -> str:
        code = ord(char)
        if code in (0x9, 0xA) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000:
            return char
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return "".join(one(c) for c in text)


def test_shown_escapes_what_xml_cannot_hold() -> None:
    assert shown("=a\x01\r\n\t\ud800\ufffe\U0001F600") == "=a\\x01\\x0d\n\t\\ud800\\ufffe\U0001F600"


TRICKY = "=+-@#\t\r\n\x00\x01\x1f,\"'\ufffe\uffff\ud800\udfff"  # formula starts, XML's exclusions, list syntax


def texts_of(tricky: str, **characters: object) -> st.SearchStrategy[str]:
    """Any text (st.text), text often holding the tricky characters (st.text would merge them
    into its alphabet and rarely draw them), and either starting like a formula."""
    anything = st.characters(codec=None, **characters)  # type: ignore[arg-type]
    mixed = st.lists(st.one_of(anything, st.sampled_from(tricky)), max_size=20).map("".join)
    text = st.one_of(st.text(anything, max_size=20), mixed)
    return st.one_of(text, st.tuples(st.sampled_from("=+-@"), text).map("".join))


TEXT = texts_of(TRICKY, categories=None, exclude_categories=())  # lone surrogates too
# a rubric's names: a string literal is one line, and rubric text may hold no lone surrogate (E001)
NAME = texts_of("".join(c for c in TRICKY if c != "\n" and not "\ud800" <= c <= "\udfff"),
                exclude_categories=("Cs",), exclude_characters="\n")


def literal(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def value(cell: object) -> object:
    return "" if cell is None else cell  # an empty text reads back as an empty cell


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAME, branch=TEXT, branch_name=TEXT)
def test_any_text_is_written_as_text_and_reads_back(tmp_path_factory: pytest.TempPathFactory, name: str,
                                                    branch: str, branch_name: str) -> None:
    assume(name not in RESERVED_KEYS)  # a fact named 历史 is read as the history, not as a fact
    rubric = starrules.loads(f"标准 性质 {{\n 标题 {literal(name + '题')}\n 满分 10\n"
                             f" 事实 {literal(name)}: 是否 默认 是\n"
                             f" 事实 {literal(name + '选')}: 选项({literal(name + '甲')}, 乙) 默认 乙\n"
                             f" 类型 {literal(name + '类')} 10分 {{\n 项目 {literal(name + '项')} 10分 {{\n"
                             f" 扣 1分 如果 非 {literal(name)}\n 扣 2分 如果 {literal(name + '选')} = 乙\n }}\n }}\n}}\n")
    folder = tmp_path_factory.mktemp("property")
    template, report = folder / "评分表.xlsx", folder / "汇总.xlsx"
    write_template(rubric, template)
    assert formula_cells(template) == []
    book = openpyxl.load_workbook(template)
    form = book["评分表"]
    assert value(form["A1"].value) == shown(name + "题") + "评分表"
    assert [value(c.value) for c in form[6]][:2] == [shown(name + "类") + " 10分", shown(name + "项")]
    assert (value(form["G6"].value), value(form["G7"].value)) == (shown(name), shown(name + "选"))
    assert [value(c.value) for c in book["批量"][1]][2:] == [shown(name), shown(name + "选")]
    choices = [value(c.value) for c in book["选项"]["A"]] if "选项" in book.sheetnames else []
    rule = next(r for r in form.data_validations.dataValidation if str(r.sqref) == "F7")
    inline = re.fullmatch(r'"([^"]*)"', rule.formula1)  # one quoted string: nothing after it to run
    assert (inline.group(1).split(",") if inline else choices) == [shown(name + "甲"), "乙"]
    assert inline or rule.formula1 == "'选项'!$A$1:$A$2"

    # the id set on the result itself: the writer must cope with any id a program hands it
    result = attrs.evolve(rubric.evaluate({name: True, name + "选": "乙"}), id=branch)
    write_report(summarise(rubric, [result], ["星级"], names={branch: branch_name}), report)
    assert formula_cells(report) == []
    listing = openpyxl.load_workbook(report)["一览表"]
    assert value(listing["A1"].value) == shown(name + "题") + " 评定情况一览表"
    assert [value(c.value) for c in listing[2]][3] == shown(name + "类")
    assert [value(c.value) for c in listing[3]][:5] == [1, shown(branch), shown(branch_name), 8, 8]  # 10 − 2


def test_text_xml_cannot_hold_keeps_every_part_of_the_workbook_readable(tmp_path: Path) -> None:
    """A fact's 说明 reaches a cell, a batch header's comment and (for options) a validation message."""
    rubric = starrules.loads('标准 控制 {\n 满分 1\n 事实 甲: 选项(a, b) "说明\x01\x0b"\n'
                             ' 类型 乙 1分 {\n 项目 丙 1分 {\n 扣 1分 如果 甲 = a\n }\n }\n}\n')
    out = tmp_path / "评分表.xlsx"
    write_template(rubric, out)
    book = openpyxl.load_workbook(out)
    assert book["评分表"]["H6"].value == "必填。说明\\x01\\x0b。选一项:a、b"
    assert book["批量"]["C1"].comment.text == "必填。说明\\x01\\x0b。选一项:a、b"
