"""The level distribution as a PNG bar chart (`starrules report --png`), drawn by matplotlib (the
`chart` extra) with its Agg renderer: a title, the level names under the bars (best level first,
in the order of the 汇总表), each bar's count and share above it, and an integer count axis.

The bars take `colour(index)` in the level order: the SVG chart of the HTML scorecard uses the same
colours, and the workbook's Excel chart the same order. Chinese text needs a CJK font: the first of
`CJK_FAMILIES` that matplotlib finds on the system is used; with none, the chart is refused with a
message saying what to install — never drawn with empty boxes for the level names.

The PNG carries no date and no software version, so the same figures give the same bytes."""

from __future__ import annotations

import io
import os
from decimal import Decimal
from typing import TYPE_CHECKING

from ..core.atomic import write_bytes
from .summary import Summary, Tally

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

WIDTH, HEIGHT, DPI = 640, 360, 100  # pixels
PALETTE = ((0xC0, 0x39, 0x2B), (0xE6, 0x7E, 0x22), (0xF1, 0xC4, 0x0F), (0x27, 0xAE, 0x60), (0x29, 0x80, 0xB9),
           (0x8E, 0x44, 0xAD), (0x7F, 0x8C, 0x8D))
# CJK fonts looked for, in this order: Linux packages (Noto / 思源, 文泉驿), then Windows and macOS
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
                "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "Heiti SC",
                "Noto Sans CJK TC", "Noto Sans CJK JP", "Noto Serif CJK SC", "AR PL UMing CN")
NEEDS_MATPLOTLIB = "等级分布图(--png)需要 matplotlib:pip install 'starrules[chart]'"
NEEDS_FONT = ("等级分布图(--png)需要中文字体,本机没有找到(查找过 Noto Sans CJK、思源黑体、文泉驿、微软雅黑、苹方等):"
              "请安装 Noto CJK 字体(Debian/Ubuntu:apt install fonts-noto-cjk;CentOS/openEuler/麒麟:"
              "yum install google-noto-sans-cjk-ttc-fonts)后重试;不装字体时,汇总表里的 Excel 柱状图和"
              "评分卡(--html)里的图同样写出等级分布")


class ChartUnavailable(ImportError):
    """What the chart is drawn with is not installed: matplotlib (the `chart` extra) or a CJK font."""


def colour(index: int) -> tuple[int, int, int]:
    """The RGB colour of the bar of the `index`-th level (best first), the same in every chart."""
    return PALETTE[index % len(PALETTE)]


def hex_colour(index: int) -> str:
    return "#%02x%02x%02x" % colour(index)


def chart_png(summary: Summary) -> bytes:
    """The first scheme's level distribution over all branches as a 640×360 PNG."""
    figure = chart_figure(summary)
    out = io.BytesIO()
    # no Software entry (it names the matplotlib version) and no date: same data, same bytes
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def write_chart(summary: Summary, path: str | os.PathLike[str]) -> None:
    """The chart written atomically: a reader never sees half a PNG, a failure keeps the old file."""
    write_bytes(path, chart_png(summary))


def chart_figure(summary: Summary) -> Figure:
    """The chart as a matplotlib Figure (not through pyplot: no global figure state, safe in threads)."""
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise ChartUnavailable(NEEDS_MATPLOTLIB) from None
    font = cjk_font()
    tally = summary.tallies[0]
    counts = tally.overall
    branches = sum(counts)
    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    places = list(range(len(tally.levels)))
    bars = axes.bar(places, counts, width=0.6, color=[hex_colour(i) for i in places])
    axes.set_title(f"{tally.scheme} 等级分布(共 {branches} 个{summary.subject})", fontproperties=font, fontsize=13)
    axes.set_xticks(places, list(tally.levels), fontproperties=font, fontsize=11)
    axes.set_ylabel(f"{summary.subject}数", fontproperties=font, fontsize=10)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(0, max(max(counts, default=0), 1) * 1.2)  # room for the labels above the tallest bar
    axes.bar_label(bars, [f"{count}({_percent(Tally.share(count, branches))})" for count in counts],
                   padding=2, fontproperties=font, fontsize=9)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure


def _percent(share: Decimal) -> str:
    """A share rounded to 0.1% as the 汇总表 shows it: 0.333 → 33.3%."""
    return f"{share * 100:.1f}%"


def cjk_font() -> FontProperties:
    """The first CJK family of CJK_FAMILIES that matplotlib finds; ChartUnavailable without one."""
    from matplotlib.font_manager import FontProperties, findfont
    for family in CJK_FAMILIES:
        font = FontProperties(family=family)
        try:
            findfont(font, fallback_to_default=False)
        except ValueError:
            continue
        return font
    raise ChartUnavailable(NEEDS_FONT)
