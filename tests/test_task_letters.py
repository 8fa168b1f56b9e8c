"""The 整改任务书 (`starrules report --tasks`): a Word page per branch to rectify, printed by LibreOffice and
read back by python-docx. The small batch is tests/test_papers.py's, whose listed branches and problems are
worked out by hand there; the sentences below are worked out again from its evidence."""

from __future__ import annotations

import io
import json
import struct
import sys
from pathlib import Path

import pytest

from starrules.cli import main
from starrules.report.docx_tasks import NEEDS_DOCX, task_letters
from tests.render_office import joined, office_pdf, page_sizes, page_texts
from tests.test_papers import BATCH, SMALL, line_of, small_summary

ROOT = Path(__file__).resolve().parent.parent
HEADINGS = "序号存在问题整改措施整改目标责任人整改时限"
TITLE = "测试支部评分表 整改任务书"

# Ranked A, E, B, D, C (test_papers): 一般 and 较差 speak of 整改, so E (较差, 相对后进, vetoed), D (一般) and
# C (较差, 相对后进) are listed, in that order. Their problems, from BATCH:
# E: 建设 given 28 of 30; the veto 严重违纪.  D: 2 missed × 5 = 10 of 20; 建设 25 of 30; 作用发挥 30 of 40.
# C: 5 × 5 = 25 taken from 20 (扣完为止, 5 given back); not re-elected, 换届 0 of 10; 建设 20; 作用发挥 25 of 40.
PAGES = [
    ("E", "—", "分类定级 较差、相对后进、一票否决",
     ["组织/建设 失 2 分:酌情给 28 分",
      f'一票否决:否决 如果 严重违纪 "发生严重违纪的一票否决",因为 严重违纪 是(第 {line_of("否决 如果")} 行)']),
    ("D", "—", "分类定级 一般",
     ["组织/三会一课 失 10 分:三会一课缺次数 2 → 扣 10 分", "组织/建设 失 5 分:酌情给 25 分",
      "作用/作用发挥 失 10 分:酌情给 30 分"]),
    ("C", "丙支部", "分类定级 较差、相对后进",
     ["组织/三会一课 失 20 分:三会一课缺次数 5 → 扣 25 分;扣完为止,退回 5 分", "组织/换届 失 10 分:按期换届(否) → 不得分",
      "组织/建设 失 10 分:酌情给 20 分", "作用/作用发挥 失 15 分:酌情给 25 分"]),
]


@pytest.fixture(scope="module")
def small_docx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tasks") / "整改任务书.docx"
    out.write_bytes(task_letters(small_summary()).data)
    return out


def test_a_page_per_branch_with_its_problems_in_full(small_docx: Path) -> None:
    pdf = office_pdf(small_docx, small_docx.parent)
    assert [(round(w), round(h)) for w, h in page_sizes(pdf)] == [(595, 842)] * 3  # A4 portrait, no empty last page
    pages = [joined(text) for text in page_texts(pdf, raw=True)]
    for page, (branch, name, why, problems) in zip(pages, PAGES):
        assert joined(TITLE) in page and f"党支部编号:{branch}" in page and f"党支部名称:{name}" in page
        assert joined(f"列入整改的原因:{why}") in page
        assert HEADINGS in page and "复查验收意见:" in page
        assert "党组织书记(签字):" in page and "上级党组织(盖章):" in page and "日期:" in page
        assert all(joined(sentence) in page for sentence in problems)
        others = [s for _, _, _, listed in PAGES if listed is not problems for s in listed]
        assert not any(joined(sentence) in page for sentence in others)  # each page holds its own branch only


def test_read_back_tables_header_rows_and_page_setup(small_docx: Path) -> None:
    import docx
    from docx.oxml.ns import qn
    document = docx.Document(str(small_docx))
    section = document.sections[0]
    assert (section.page_width, section.page_height) == (11906 * 635, 16838 * 635)  # A4 in twips, as EMU
    fonts = document.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "宋体"
    # each branch: its problems, then the 复查验收意见 box
    tables = document.tables
    assert len(tables) == 6
    for table, (_, _, _, problems) in zip(tables[::2], PAGES):
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        assert rows == [list(("序号", "存在问题", "整改措施", "整改目标", "责任人", "整改时限")),
                        *([str(n), sentence, "", "", "", ""] for n, sentence in enumerate(problems, 1))]
        marked = [row._tr.trPr is not None and row._tr.trPr.find(qn("w:tblHeader")) is not None for row in table.rows]
        assert marked == [True] + [False] * len(problems)  # only the header row repeats
    assert [t.rows[0].cells[0].text for t in tables[1::2]] == ["复查验收意见:"] * 3
    breaks = [p.text for p in document.paragraphs if p.paragraph_format.page_break_before]
    assert breaks == [TITLE, TITLE]  # the second and third branch start a page; nothing breaks after the last


def test_a_long_list_repeats_the_header_on_the_next_page(tmp_path: Path) -> None:
    """The bundled 机关达标创星 batch lists only 第五党支部 (等次 后进, 37 分): 14 items lost points, more than a page."""
    batch = ROOT / "rubrics" / "examples" / "机关达标创星-批量.jsonl"
    out = tmp_path / "任务书.docx"
    assert main(["report", str(ROOT / "rubrics" / "机关达标创星.rubric"), str(batch), "-o", str(tmp_path / "k.xlsx"),
                 "--tasks", str(out)]) == 0
    pages = [joined(text) for text in page_texts(office_pdf(out, tmp_path), raw=True)]
    assert len(pages) == 2
    assert "党支部编号:第五党支部" in pages[0] and "评定结果:总分37分,星级无星,等次后进" in pages[0]
    assert pages[1].startswith(HEADINGS) and "党支部编号" not in pages[1]
    # its last item: 服务群众 given 5 of 10 in the batch
    assert "发挥两个作用/服务群众失5分:酌情给5分" in pages[1] and "复查验收意见:" in pages[1]


def test_characters_xml_cannot_carry_are_written_visibly() -> None:
    """A 名称 with a control character would stop python-docx; it is escaped as in the workbooks (\\x01)."""
    import docx
    from starrules import loads
    from starrules.report.summary import summarise
    rubric = loads(SMALL)
    summary = summarise(rubric, [rubric.evaluate(e) for e in BATCH], ["分类定级"], {"C": "丙\x01支部"})
    document = docx.Document(io.BytesIO(task_letters(summary).data))
    assert "党支部编号:C        党支部名称:丙\\x01支部" in [p.text for p in document.paragraphs]


def small_files(tmp_path: Path) -> tuple[Path, Path]:
    rubric = tmp_path / "小.rubric"
    rubric.write_text(SMALL, encoding="utf-8")
    batch = tmp_path / "小.jsonl"
    names = {"A": "甲支部", "C": "丙支部"}
    batch.write_text("".join(json.dumps({**b, **({"名称": names[str(b["id"])]} if b["id"] in names else {})},
                                        ensure_ascii=False) + "\n" for b in BATCH), encoding="utf-8")
    return rubric, batch


def test_the_cli_writes_it_with_the_others(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import docx
    rubric, batch = small_files(tmp_path)
    (tmp_path / "k.docx").write_bytes(b"old")
    assert main(["report", str(rubric), str(batch), "-o", str(tmp_path / "k.xlsx"), "--tasks", str(tmp_path / "k.docx"),
                 "--force"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"整改任务书:{tmp_path / 'k.docx'}"
    document = docx.Document(str(tmp_path / "k.docx"))
    assert "党支部编号:C        党支部名称:丙支部" in [p.text for p in document.paragraphs]  # its 名称 from the batch
    assert [t.rows[1].cells[1].text for t in document.tables[::2]] == [problems[0] for _, _, _, problems in PAGES]


def test_a_failed_write_replaces_no_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The workbook is complete in its temporary file when the task letters cannot be written: neither is replaced."""
    rubric, batch = small_files(tmp_path)
    for name in ("k.xlsx", "k.docx"):
        (tmp_path / name).write_bytes(b"old")

    def disk_full(path: Path, data: bytes) -> int:
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(Path, "write_bytes", disk_full)  # the task letters are the only bytes this run writes
    assert main(["report", str(rubric), str(batch), "-o", str(tmp_path / "k.xlsx"), "--tasks", str(tmp_path / "k.docx"),
                 "--force"]) == 1
    monkeypatch.undo()
    assert f"错误[E606]: 无法写入“{tmp_path / 'k.docx'}”:No space left on device" in capsys.readouterr().err
    assert (tmp_path / "k.xlsx").read_bytes() == b"old" and (tmp_path / "k.docx").read_bytes() == b"old"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_with_none_to_rectify_the_document_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A and B only (100 好, 89 较好), the standard without its 倒排: neither level's 措施 speaks of 整改, no veto."""
    import docx
    rubric, batch = small_files(tmp_path)
    ranking = "排名 分类定级 {\n    倒排 25% 为 相对后进\n}\n"
    assert ranking in SMALL
    rubric.write_text(SMALL.replace(ranking, ""), encoding="utf-8")
    batch.write_text("".join(json.dumps(b, ensure_ascii=False) + "\n" for b in BATCH[:2]), encoding="utf-8")
    out = tmp_path / "k.docx"
    assert main(["report", str(rubric), str(batch), "-o", str(tmp_path / "k.xlsx"), "--tasks", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"整改任务书:{out}(本次评定没有需要整改的党支部)"
    document = docx.Document(str(out))
    assert [p.text for p in document.paragraphs] == [TITLE, "本次评定没有需要整改的党支部。"] and not document.tables


def test_without_python_docx_the_cli_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    rubric, batch = small_files(tmp_path)
    monkeypatch.setitem(sys.modules, "docx", None)  # as if not installed: importing it fails
    with pytest.raises(SystemExit) as info:
        main(["report", str(rubric), str(batch), "-o", str(tmp_path / "k.xlsx"), "--tasks", str(tmp_path / "k.docx")])
    assert info.value.code == 2
    assert NEEDS_DOCX == "整改任务书(--tasks)需要 python-docx:pip install 'starrules[docx]'"
    assert NEEDS_DOCX in capsys.readouterr().err
    assert not (tmp_path / "k.docx").exists() and not (tmp_path / "k.xlsx").exists()


def test_the_guide_shows_the_printed_task_letter() -> None:
    """docs/make_images_office.py drew it: an A4 page at 60 dpi, small."""
    guide = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    assert "](images/tasks.png)" in guide
    data = (ROOT / "docs" / "images" / "tasks.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (497, 702)
    assert len(data) < 200 * 1024
