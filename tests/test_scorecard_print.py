"""The HTML scorecard as it is printed: `starrules report --html` on the bundled examples, printed
to PDF by headless Chromium (tests/render_browser.py) and read back with poppler-utils. A page per
branch on A4 after the summary page, every item's 考核评价标准 and 考评方式 in full, what fired
each deduction in words, the table header repeated on a card that runs on, and names from the
batch shown as text. Expected words are worked out by hand from the rubric and the evidence."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import pytest

from starrules import load
from starrules.cli import main
from starrules.io.form import build_form
from starrules.report import scorecard
from tests.render_browser import Word, column_text, page_size_mm, page_words, print_to_pdf
from tests.render_office import joined as squeezed, pdf_pages as page_count

RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"
VILLAGE = RUBRICS / "村社区争先创优.rubric"  # 29 items, most with a long 说明 and 方式
GANYU = RUBRICS / "机关星级评定.rubric"  # 37 items


def printed(tmp: Path, rubric: Path, batch: Path) -> tuple[str, Path]:
    html = tmp / "评分卡.html"
    assert main(["report", str(rubric), str(batch), "-o", str(tmp / "汇总.xlsx"), "--html", str(html)]) == 0
    return html.read_text(encoding="utf-8"), print_to_pdf(html, tmp / "评分卡.pdf")


@pytest.fixture(scope="module")
def village(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return printed(tmp_path_factory.mktemp("village"), VILLAGE, RUBRICS / "examples" / "村社区-批量.jsonl")[1]


def card_page(pages: list[list[Word]], branch: str) -> list[Word]:
    found = [page for page in pages if any(w.text == branch for w in page)]
    assert len(found) == 1, f"{branch} is on {len(found)} pages"
    return found[0]


def test_a_page_per_branch_after_the_summary_on_a4(village: Path) -> None:
    # 村社区-批量 has three branches: the summary page, then one page each (no blank page after the last)
    assert page_count(village) == 4
    assert page_size_mm(village) == (210, 297)
    pages = page_words(village)
    assert "评定汇总" in "".join(w.text for w in pages[0])
    for branch in ("村社区-001", "村社区-002", "村社区-003"):
        page = card_page(pages, branch)
        # the card starts and ends on its page: its last block, the gap to the next level, is there too
        assert "距上一等级:" in "".join(w.text for w in page)


def test_every_criterion_and_method_is_printed_in_full(village: Path) -> None:
    form = build_form(load(VILLAGE))
    assert len(form.items) == 29
    pages = page_words(village)
    for branch in ("村社区-001", "村社区-002", "村社区-003"):
        page = card_page(pages, branch)
        criteria = column_text(page, "考核评价标准", "考评方式")
        methods = column_text(page, "考评方式", "得分")
        for entry in form.items:
            assert squeezed(entry.text("criterion")) in criteria, (branch, entry.item.name)
            assert squeezed(entry.text("method")) in methods, (branch, entry.item.name)


def test_what_fired_each_deduction_is_printed_in_words(village: Path) -> None:
    pages = page_words(village)
    first = column_text(card_page(pages, "村社区-001"), "扣分与加分", None)
    # 村社区-001 (类别 村改居社区): 党员学习学时 20 < 24 → −1; 类别 = 村改居社区 且 远程教育站点不达标 → −1;
    # 班子职数: 是社区 (村改居社区 属于 [社区, 村改居社区]) 且 未吸纳兼职委员 → −1; 党内激励关怀: 没有
    # 开展党内表彰活动 → −1 (the table's order: 扣1分 for each missing, 酌情给分 for the rest)
    for words in ("党员学习学时 20 学时,少于 24 → 扣 1 分", "类别 为 村改居社区、远程教育站点不达标(是) → 扣 1 分",
                  "是社区(是)、未吸纳兼职委员(是) → 扣 1 分", "开展党内表彰活动(否) → 扣 1 分"):
        assert squeezed(words) in first
    third = column_text(card_page(pages, "村社区-003"), "扣分与加分", None)
    # 村社区-003 (a 村): 建设标准 5 − 6 × 1 (大讲堂缺少项数 6) = −1, 扣完为止 gives back 1; the 社区 rules do not fire
    for words in ("大讲堂缺少项数 6 项 → 扣 6 分", "扣完为止,退回 1 分", "组织设置不规范(是) → 不得分",
                  "党员学习学时 10 学时,少于 24 → 扣 1 分", "班子成员参加集中培训(否) → 扣 2 分"):
        assert squeezed(words) in third
    assert "社区用房不达标" not in third
    assert "如果" not in first + third  # the values, not the rule's text


def test_a_37_item_rubric_prints_a_page_per_branch(tmp_path: Path) -> None:
    html, pdf = printed(tmp_path, GANYU, RUBRICS / "examples" / "机关星级评定-批量.jsonl")
    assert html.count('<section class="card">') == 3
    assert page_count(pdf) == 4
    pages = page_words(pdf)
    names = [entry.item.name for entry in build_form(load(GANYU)).items]
    assert len(names) == 37
    for branch in ("星级-001", "星级-002", "星级-003"):
        items = column_text(card_page(pages, branch), "项目", "分值")
        assert all(squeezed(name) in items for name in names)


LONG_TEXT = "按期召开会议并做好记录,会议材料齐全规范,内容真实完整,有签到有议题有决议,按要求报送上级党组织备案。" * 2


def long_rubric(items: int) -> str:
    body = "\n".join(f'        项目 项目{n:02d} 1分 {{\n            说明 "{n:02d}号:{LONG_TEXT}"\n            酌情\n        }}'
                     for n in range(1, items + 1))
    return (f'标准 长表 {{\n    标题 "长表 <b>甲</b> & 乙"\n    满分 {items}\n    等级 评定\n'
            f"    类型 工作 {items}分 {{\n{body}\n    }}\n}}\n等级 评定 {{\n    好 >= 30分\n    差\n}}\n")


def test_a_card_that_runs_on_repeats_the_table_header_and_names_are_text(tmp_path: Path) -> None:
    rubric, batch = tmp_path / "长表.rubric", tmp_path / "批量.jsonl"
    rubric.write_text(long_rubric(40), encoding="utf-8")
    rows = [{"id": "A1", "名称": "<script>alert(1)</script>", **{f"项目{n:02d}": 1 for n in range(1, 41)}},
            {"id": "A2", "名称": "乙支部", **{f"项目{n:02d}": 0 for n in range(1, 41)}}]
    batch.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    html, pdf = printed(tmp_path, rubric, batch)
    # autoescaped: the name and the title are text on the page, never markup
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>甲</b>" not in html and "长表 &lt;b&gt;甲&lt;/b&gt; &amp; 乙" in html
    pages = page_words(pdf)
    text = ["".join(w.text for w in page) for page in pages]
    assert "<script>alert(1)</script>" in text[1]
    # 40 rows of two-line texts do not fit one page: each card runs on, the header on every page of it,
    # and the second card starts on a page of its own
    starts = [n for n, page in enumerate(text) if "名次" in page]
    assert len(starts) == 2 and starts[1] - starts[0] >= 2 and len(pages) - starts[1] == starts[1] - starts[0]
    for page in pages[1:]:
        assert {"类型", "项目", "考核评价标准", "扣分与加分"} <= {w.text for w in page}
    printed_criteria = "".join(column_text(page, "考核评价标准", "考评方式") for page in pages[starts[0]:starts[1]])
    assert all(squeezed(f"{n:02d}号:{LONG_TEXT}") in printed_criteria for n in range(1, 41))


def test_without_jinja2_the_html_report_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)  # as if not installed: importing it fails
    scorecard._environment.cache_clear()
    try:
        with pytest.raises(SystemExit) as info:
            main(["report", str(VILLAGE), str(RUBRICS / "examples" / "村社区-批量.jsonl"), "-o",
                  str(tmp_path / "汇总.xlsx"), "--html", str(tmp_path / "评分卡.html")])
    finally:
        scorecard._environment.cache_clear()
    assert info.value.code == 2
    assert "评分卡(--html)需要 jinja2:pip install 'starrules[html]'" in capsys.readouterr().err
    assert not (tmp_path / "评分卡.html").exists() and not (tmp_path / "汇总.xlsx").exists()


def test_the_guide_shows_the_printed_scorecard_and_the_chart() -> None:
    """docs/make_images.py drew them: a page of A4 at 80 dpi and the 640×360 chart, each small."""
    docs = Path(__file__).resolve().parent.parent / "docs"
    guide = (docs / "guide.md").read_text(encoding="utf-8")
    for image, size in (("scorecard.png", (662, 936)), ("chart.png", (640, 360))):
        assert f"](images/{image})" in guide
        data = (docs / "images" / image).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == size
        assert len(data) < 200 * 1024
