"""主体 (issue 22 §7): the thing being rated is named by the standard (`主体 "饭店"`, 党支部 by default)
in every message, form, report and scorecard. Figures below are worked out by hand from HOTELS."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

import starrules
from starrules import EvidenceError, check_text, parse
from starrules.cli import main
from starrules.lang.formatter import format_text

SUBJECT_CODES = {"E424"}  # tested here (test_diagnostics counts them)

HOTELS = """\
等级 饭店等次 {
    优秀 >= 9分
    良好 >= 6分
    一般
}

排名 饭店等次 {
    名额 优秀 1
    倒排 25% 为 待整改 另加 低于 良好
}

标准 饭店评定 {
    标题 "饭店服务质量评定"
    主体 "饭店"
    满分 10
    等级 饭店等次
    事实 停业: 是否
    事实 投诉次数: 计数
    适用 如果 非 停业

    类型 服务 10分 {
        项目 投诉 10分 {
            每 投诉次数 扣 2分
            扣完为止
        }
    }
}
"""
DEFAULT = HOTELS.replace('    主体 "饭店"\n', "")  # the same standard without its 主体 line

# 投诉 10 − 2 × 投诉次数, at least 0:
#   甲 0 → 10 (优秀), 乙 0 → 10 (优秀), 丙 1 → 10 − 2 = 8 (良好), 丁 3 → 10 − 6 = 4 (一般)
# ranks: 甲 and 乙 share 1 (equal totals, no tie-breaker), 丙 3, 丁 4
# 名额 优秀 1: 甲 and 乙 are tied across the cut, so both stay 优秀, marked 待定
# 倒排 25% 另加 低于 良好: 丁 (一般) is below 良好 and marked; of the other 3, ⌈25% × 3⌉ = ⌈0.75⌉ = 1 from
# the bottom: 丙 (8)
BATCH = [{"id": "甲", "停业": False, "投诉次数": 0}, {"id": "乙", "停业": False, "投诉次数": 0},
         {"id": "丙", "停业": False, "投诉次数": 1}, {"id": "丁", "停业": False, "投诉次数": 3}]


def files(tmp_path: Path, text: str = HOTELS) -> tuple[str, str]:
    rubric, batch = tmp_path / "饭店.rubric", tmp_path / "饭店.jsonl"
    rubric.write_text(text, encoding="utf-8")
    batch.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in BATCH), encoding="utf-8")
    return str(rubric), str(batch)


def sheet_values(path: Path, sheet: str) -> list[object]:
    return [v for row in openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True) for v in row if v is not None]


# ── the word ──────────────────────────────────────────────────────────────────


def test_the_word_is_the_standards_and_party_branch_by_default() -> None:
    assert starrules.loads(HOTELS).subject == "饭店"
    assert starrules.loads(DEFAULT).subject == "党支部"
    assert parse(HOTELS).blocks[-1].subject == "饭店"  # type: ignore[union-attr]
    assert parse(DEFAULT).blocks[-1].subject is None  # type: ignore[union-attr]


def test_every_spelling_of_the_keyword() -> None:
    for spelling in ("主体", "主體", "subject"):
        assert starrules.loads(HOTELS.replace("主体", spelling)).subject == "饭店"


def test_a_child_keeps_its_parents_word_unless_it_says_its_own() -> None:
    text = """
标准 父 { 主体 "饭店"  满分 10  类型 S 10分 { 项目 I 10分 { 酌情 } } }
标准 子 继承 父 { }
标准 孙 继承 子 { 主体 "酒店" }
标准 另 { 满分 10  类型 S 10分 { 项目 I 10分 { 酌情 } } }
"""
    report = check_text(text)
    assert report.errors == ()
    assert {name: r.subject for name, r in report.rubrics.items()} == {
        "父": "饭店", "子": "饭店", "孙": "酒店", "另": "党支部"}


def test_formatter_writes_it_back() -> None:
    formatted = format_text(HOTELS.replace('    主体 "饭店"\n', '  主体   "饭店"  # 评的是饭店\n'))
    assert '    标题 "饭店服务质量评定"\n    主体 "饭店"  # 评的是饭店\n    满分 10\n' in formatted  # where it stood
    assert parse(formatted).blocks == parse(HOTELS).blocks
    # in the file's own script: English and traditional files keep theirs
    for text in ('rubric R {\n    title "t"\n    subject "hotel"\n}\n', '標準 R {\n    標題 "t"\n    主體 "飯店"\n}\n'):
        assert format_text(text) == text
    quoted = '标准 R {\n    主体 "a\\"b\\\\c"\n}\n'  # a quote and a backslash in the word
    assert format_text(quoted) == quoted and parse(quoted).blocks[0].subject == 'a"b\\c'  # type: ignore[union-attr]


# ── E424 ──────────────────────────────────────────────────────────────────────


def test_a_second_subject_line_is_e424_at_it() -> None:
    text = '标准 R {\n    主体 "饭店"\n    满分 10\n    主体 "酒店"\n}\n'
    [diagnostic] = check_text(text, "t.rubric").errors
    # the second 主体 line: line 4, column 5 (after four spaces); the note points at line 2
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("E424", 4, 5)
    assert diagnostic.message == "“主体”写了不止一次"
    assert [(n.span.line, n.span.column, n.message) for n in diagnostic.notes] == [(2, 5, "第一次写在这里")]


@pytest.mark.parametrize("word", ["", "  ", "\u3000"])
def test_an_empty_word_is_e424_at_the_string(word: str) -> None:
    text = f'标准 R {{\n  主体 "{word}"\n}}\n'
    [diagnostic] = check_text(text, "t.rubric").errors
    # `  主体 "` — the string starts at column 6 of line 2 (two spaces, two characters, a space)
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("E424", 2, 6)
    assert diagnostic.message == "“主体”不能为空"


def test_a_parents_mistake_is_reported_once_at_the_parent() -> None:
    text = '标准 父 {\n  主体 ""\n}\n标准 子 继承 父 { }\n标准 孙 继承 父 { 主体 "酒店" }\n'
    assert [(d.code, d.span.line) for d in check_text(text).errors] == [("E424", 2)]


def test_a_child_replacing_its_parents_word_is_not_a_second_line() -> None:
    text = '标准 父 { 主体 "饭店" }\n标准 子 继承 父 { 主体 "酒店" }\n'
    assert check_text(text).errors == ()


# ── messages and outputs ──────────────────────────────────────────────────────


def test_rank_table_and_reasons_use_the_word(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rubric, batch = files(tmp_path)
    assert main(["rank", rubric, batch, "--scheme", "饭店等次"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "按“饭店等次”排名,共 4 个饭店"
    assert "“优秀”名额 1 个,第 1 名与名额线上的饭店并列,待定(由评审组研究确定)" in out
    assert "全部饭店中低于“良好”(为“一般”),标为“待整改”" in out
    assert "全部 3 个饭店中倒排 25%(至少 1 个):第 3 名,标为“待整改”" in out
    assert "党支部" not in out


def test_ranking_through_the_api_carries_the_word() -> None:
    rubric = starrules.loads(HOTELS)
    ranked = starrules.rank(rubric.evaluate_many(BATCH), "饭店等次")
    assert ranked.subject == "饭店"
    assert ranked.branch("丙").reasons == ("全部 3 个饭店中倒排 25%(至少 1 个):第 3 名,标为“待整改”",)
    assert starrules.rank(starrules.loads(DEFAULT).evaluate_many(BATCH), "饭店等次").subject == "党支部"


def test_the_default_is_still_party_branch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rubric, batch = files(tmp_path, DEFAULT)
    assert main(["rank", rubric, batch, "--scheme", "饭店等次"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "按“饭店等次”排名,共 4 个党支部"
    assert "全部党支部中低于“良好”(为“一般”),标为“待整改”" in out
    assert main(["report", rubric, batch, "-o", str(tmp_path / "r.xlsx"), "--html", str(tmp_path / "r.html")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "已评定 4 个党支部"
    assert "<p>共 4 个党支部</p>" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_report_summary_workbook_and_scorecard(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rubric, batch = files(tmp_path)
    out, html = tmp_path / "汇总.xlsx", tmp_path / "评分卡.html"
    assert main(["report", rubric, batch, "-o", str(out), "--html", str(html)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "已评定 4 个饭店"
    tally = [row for row in openpyxl.load_workbook(out)["汇总表"].iter_rows(values_only=True)]
    # the distribution table under the tallies: 优秀 2 (甲, 乙 待定 but still 优秀), 良好 1, 一般 1
    start = next(i for i, row in enumerate(tally) if row[:2] == ("等级", "饭店数"))
    assert [row[:2] for row in tally[start + 1:start + 4]] == [("优秀", 2), ("良好", 1), ("一般", 1)]
    card = html.read_text(encoding="utf-8")
    assert "<p>共 4 个饭店</p>" in card and "党支部" not in card


def test_report_with_no_branch_names_the_word(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rubric, _ = files(tmp_path)
    empty = tmp_path / "空.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["report", rubric, str(empty), "-o", str(tmp_path / "r.xlsx")])
    assert f"“{empty}”中没有饭店" in capsys.readouterr().err


def test_rater_comparison_sheet_without_a_compared_branch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = """
标准 R {
    主体 "饭店"
    满分 10
    等级 分类定级
    类型 S 10分 { 项目 I 10分 { 酌情 } }
    综合 { 自评 100%  以 抽查 为准 }
}
"""
    rubric, batch = tmp_path / "r.rubric", tmp_path / "b.jsonl"
    rubric.write_text(text, encoding="utf-8")
    batch.write_text('{"id": "甲", "自评": {"I": 9}}\n', encoding="utf-8")  # no 抽查 sheet
    out = tmp_path / "r.xlsx"
    assert main(["report", str(rubric), str(batch), "-o", str(out)]) == 0
    assert "没有饭店同时有“抽查”和其他评价主体的评分表" in sheet_values(out, "评价主体对照")


def test_template_texts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rubric, _ = files(tmp_path)
    out = tmp_path / "评分表.xlsx"
    assert main(["template", rubric, "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"已写出评分表:{out}(“评分表”一个饭店,“批量”每行一个饭店)"
    values = sheet_values(out, "评分表")
    assert any(isinstance(v, str) and v.endswith("一个饭店用本表,多个饭店用“批量”表(每行一个饭店)。") for v in values)
    assert "必填:本饭店在本批中唯一的编号" in values and "选填:饭店名称" in values
    assert not any(isinstance(v, str) and "党支部" in v for v in values)


def test_a_branch_the_standard_is_not_for_is_e521_with_the_word(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    rubric = starrules.loads(HOTELS)
    with pytest.raises(EvidenceError) as caught:
        rubric.evaluate({"停业": True, "投诉次数": 0})
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == "E521"
    assert diagnostic.message == "标准“饭店评定”不适用于这个饭店:非 停业 是"
    path, evidence = Path(files(tmp_path)[0]), tmp_path / "停业.json"
    evidence.write_text('{"停业": true, "投诉次数": 0}', encoding="utf-8")
    assert main(["explain", str(path), str(evidence)]) == 1
    assert "错误[E521]: 标准“饭店评定”不适用于这个饭店:非 停业 是" in capsys.readouterr().err


FAMILY = """
标准 通用 {
    主体 "饭店"
    满分 10
    事实 区域: 选项(城区, 郊区, 山区)
    类型 S 10分 { 项目 I 10分 { 酌情 } }
}
标准 城区标准 继承 通用 { 适用 如果 区域 = 城区 }
标准 郊区标准 继承 通用 { 适用 如果 区域 = 郊区 }
"""


def test_a_family_names_the_word(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "族.rubric"
    path.write_text(FAMILY, encoding="utf-8")
    with pytest.raises(EvidenceError) as caught:
        starrules.load_family(path).evaluate({"区域": "山区", "I": 5})
    assert caught.value.diagnostics[0].message == "没有适用于这个饭店(区域 山区)的标准"
    with pytest.raises(SystemExit):  # a family cannot fill in one template: name a standard
        main(["template", str(path), "-o", str(tmp_path / "t.xlsx")])
    assert "给每个饭店选用它的标准" in capsys.readouterr().err
