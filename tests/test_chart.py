"""The PNG level distribution (report/png_chart.py), drawn by matplotlib: its size, title, level
names on the x axis in a CJK font that has the glyphs, bars in the documented colours and order,
an integer count axis, the same bytes for the same data, and clear errors naming what to install.
Counts are those of tests/test_report.py, worked out by hand: 星级 after 名额 — 五星级 1, 四星级 2,
三星级 1, 二星级 0, 一星级 0, 无星 1 of 5 党支部."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.font_manager import findfont, get_font
from matplotlib.patches import Rectangle

from starrules import load
from starrules.batch.many import evaluate_batch
from starrules.report import png_chart
from starrules.report.png_chart import ChartUnavailable, chart_figure, chart_png, write_chart
from starrules.report.summary import Summary, branch_names, summarise

ROOT = Path(__file__).resolve().parent.parent
ORGAN = ROOT / "rubrics" / "机关达标创星.rubric"
ORGAN_BATCH = ROOT / "rubrics" / "examples" / "机关达标创星-批量.jsonl"
LEVELS = ["五星级", "四星级", "三星级", "二星级", "一星级", "无星"]
COUNTS = [1, 2, 1, 0, 0, 1]


def organ_summary() -> Summary:
    rubric = load(ORGAN)
    results = evaluate_batch(rubric, ORGAN_BATCH, None)
    return summarise(rubric, results, list(results[0].levels), branch_names(ORGAN_BATCH, rubric))


@pytest.fixture(scope="module")
def summary() -> Summary:
    return organ_summary()


def chunks(png: bytes) -> list[bytes]:
    kinds, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at:at + 4])
        kinds.append(png[at + 4:at + 8])
        at += 12 + length
    return kinds


def test_a_640_by_360_png_without_date_or_version(summary: Summary) -> None:
    png = chart_png(summary)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (640, 360)
    assert chunks(png)[-1] == b"IEND"
    assert not {b"tEXt", b"iTXt", b"zTXt", b"tIME"} & set(chunks(png))  # nothing that changes between runs


def test_the_same_data_give_the_same_bytes_in_another_process(summary: Summary, tmp_path: Path) -> None:
    out = tmp_path / "分布.png"
    code = ("import sys; from pathlib import Path; from tests.test_chart import organ_summary; "
            "from starrules.report.png_chart import write_chart; write_chart(organ_summary(), Path(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", code, str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == chart_png(summary) == chart_png(summary)


def test_title_level_names_bars_and_colours(summary: Summary) -> None:
    figure = chart_figure(summary)
    figure.draw_without_rendering()  # lays out the ticks
    (axes,) = figure.axes
    assert axes.get_title() == "星级 等级分布(共 5 个党支部)"
    assert [label.get_text() for label in axes.get_xticklabels()] == LEVELS
    assert axes.get_ylabel() == "党支部数"
    bars = [patch for patch in axes.patches if isinstance(patch, Rectangle)]
    assert [round(bar.get_height()) for bar in bars] == COUNTS
    # one colour per level in the documented order (the SVG of the scorecard uses the same)
    assert [bar.get_facecolor()[:3] for bar in bars] == [tuple(c / 255 for c in rgb) for rgb in png_chart.PALETTE[:6]]
    # each bar's count and share of 5, rounded half up to 0.1%
    shown = [text.get_text() for text in axes.texts]
    assert shown == ["1(20.0%)", "2(40.0%)", "1(20.0%)", "0(0.0%)", "0(0.0%)", "1(20.0%)"]


def test_the_count_axis_has_whole_numbers_only(summary: Summary) -> None:
    figure = chart_figure(summary)
    figure.draw_without_rendering()  # lays out the ticks
    ticks = [t for t in figure.axes[0].get_yticks() if 0 <= t <= 2]
    assert ticks == [0, 1, 2]


def test_the_names_are_drawn_in_a_font_that_has_their_glyphs(summary: Summary) -> None:
    figure = chart_figure(summary)
    for label in [*figure.axes[0].get_xticklabels(), figure.axes[0].title]:
        font = label.get_fontproperties()
        assert font.get_family()[0] in png_chart.CJK_FAMILIES
        face = get_font(findfont(font, fallback_to_default=False))  # the face of a .ttc collection it names
        assert face.family_name in png_chart.CJK_FAMILIES
        assert all(face.get_char_index(ord(char)) for char in label.get_text() if not char.isascii())  # no tofu


def test_write_chart_replaces_the_file_whole(summary: Summary, tmp_path: Path) -> None:
    out = tmp_path / "分布.png"
    out.write_bytes(b"old")
    write_chart(summary, out)
    assert out.read_bytes() == chart_png(summary)
    assert [p.name for p in tmp_path.iterdir()] == ["分布.png"]  # no temporary file left beside it


def test_without_a_cjk_font_the_chart_says_what_to_install(summary: Summary, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(png_chart, "CJK_FAMILIES", ("没有这个字体",))
    with pytest.raises(ChartUnavailable) as info:
        chart_png(summary)
    assert "需要中文字体" in str(info.value) and "apt install fonts-noto-cjk" in str(info.value)


def test_without_matplotlib_the_chart_names_the_extra(summary: Summary, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # as if not installed: importing it fails
    with pytest.raises(ChartUnavailable) as info:
        chart_png(summary)
    assert str(info.value) == "等级分布图(--png)需要 matplotlib:pip install 'starrules[chart]'"
    assert isinstance(info.value, ImportError)


def test_report_png_without_a_cjk_font_exits_2_and_replaces_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from starrules.cli import main
    monkeypatch.setattr(png_chart, "CJK_FAMILIES", ("没有这个字体",))
    for name in ("r.xlsx", "r.png"):
        (tmp_path / name).write_bytes(b"old")
    with pytest.raises(SystemExit) as exited:  # a usage error, as argparse's own
        main(["report", str(ORGAN), str(ORGAN_BATCH), "-o", str(tmp_path / "r.xlsx"), "--png", str(tmp_path / "r.png"),
              "--force"])
    assert exited.value.code == 2 and "需要中文字体" in capsys.readouterr().err
    assert (tmp_path / "r.xlsx").read_bytes() == b"old" and (tmp_path / "r.png").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.png", "r.xlsx"]  # no temporary file left
