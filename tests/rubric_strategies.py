"""Hypothesis strategies for rubric text: facts, sections of items with every clause kind,
bonus and penalty sections, weights, 折算 and pass lines — shared by the property tests that
hold the engines to the reference (test_eval_properties.py, test_engines_agree.py)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from hypothesis import strategies as st

BOOLS = [f"b{i}" for i in range(4)]
FACTS = " ".join(f"事实 {b}: 是否" for b in BOOLS) + " 事实 c1: 计数 事实 c2: 计数 事实 n1: 数值 事实 r1: 比例 " \
    "事实 ch: 选项(甲, 乙, 丙) 事实 d1: 计数 默认 2 事实 s1: 是否 默认 否 令 缺 = 最大(0, 10 - n1)"
# d1 and s1 are read only by level, 降档 and veto conditions: rows that differ only in them have
# the same scores and must still get their own levels (the batch engine grades each distinct
# combination of what the schemes read once)
CONDITIONS = [*BOOLS, *(f"非 {b}" for b in BOOLS), "c1 > 2", "c2 = 0", "n1 少于 5.5", "ch = 甲", "ch 属于 [甲, 乙]",
              "任一[b0, b1]", "全部[b2, b3]", "未满足数[b0, b1, b2] >= 2", "r1 不低于 50%", "r1 = 100%", "r1 = 0",
              "缺 超过 3"]
QUANTITIES = ["c1", "c2", "缺", "未满足数[b0, b1, b2, b3]", "满足数[b1, b2]"]
def fmt(value: Fraction) -> str:
    """An exact decimal text for a value on a finite-decimal grid."""
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@st.composite
def grid_points(draw: st.DrawFn, grid: Fraction, most: int, least: int = 1) -> Fraction:
    return grid * draw(st.integers(least, int(most / grid)))


# ---------------------------------------------------------------------------------------------
# rubric body: facts, sections of items, bonus / penalty sections


@st.composite
def condition(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(CONDITIONS))


@st.composite
def regular_item(draw: st.DrawFn, name: str, grid: Fraction) -> tuple[str, Fraction]:
    maximum = draw(grid_points(grid, 10))
    clauses: list[str] = []
    style = draw(st.sampled_from(["deduct", "deduct", "start", "judged", "grades", "score"]))
    if style == "score":
        clauses.append(draw(st.sampled_from(["得分 = r1 * {m}", "得分 = n1 / 3", "得分 = 若 b0 则 {m} 否则 {m} / 2",
                                             "得分 = c1 - 1"])).format(m=fmt(maximum)))
    else:
        if style == "start":
            clauses.append(f"起评 {fmt(grid * draw(st.integers(0, int(maximum / grid))))}分")
        elif style == "judged":  # 酌情, or 酌情给分 / 酌情扣分 (a part of the score), with or without a range
            judged = draw(st.sampled_from(["酌情", "酌情", "酌情给分", "酌情扣分"]))
            ranged = draw(st.booleans())
            top = maximum if judged == "酌情" else grid * draw(st.integers(0, int(maximum / grid)))
            low = grid * draw(st.integers(0, int(top / grid)))
            clauses.append(f"{judged} {fmt(low)}分 至 {fmt(top)}分" if ranged else judged)
            first = draw(st.booleans())  # else written last, in a 评分表's order (扣1分;扣1分;酌情给分)
        elif style == "grades":
            clauses.append(f"分档 [好 {fmt(maximum)}分, 中 {fmt(grid * int(maximum / grid / 2))}分, 差 0分]")
        fixed = Fraction(0)  # what the 扣 N分 如果 clauses take at most: R = maximum − fixed
        for _ in range(draw(st.integers(0, 3))):
            kind = draw(st.sampled_from(["if", "unless", "per", "step", "award"]))
            points = draw(grid_points(grid, 4))
            amount = fmt(points)
            if kind == "if":
                clauses.append(f"扣 {amount}分 如果 {draw(condition())}")
                fixed += points
            elif kind == "unless":
                clauses.append(f"扣 {amount}分 如果 非 ({draw(condition())})")
                fixed += points
            elif kind == "per":
                clauses.append(f"每 {draw(st.sampled_from(QUANTITIES))} 扣 {amount}分")
            elif kind == "step":
                clauses.append(f"每 {draw(st.integers(2, 3))} {draw(st.sampled_from(QUANTITIES))} 扣 {amount}分")
            else:
                clauses.append(f"{draw(st.sampled_from(['得', '加']))} {amount}分 如果 {draw(condition())}")
        limit = draw(st.sampled_from(["扣完为止", "可倒扣", "最多扣", "最多扣", ""]))
        cap = draw(grid_points(grid, 4))
        clauses.append(f"最多扣 {fmt(cap)}分" if limit == "最多扣" else limit)
        if style == "judged" and judged != "酌情":
            if not ranged and maximum - (min(fixed, cap) if limit == "最多扣" else fixed) <= 0:  # E499: nothing left
                clauses[0] = f"{judged} {fmt(low)}分 至 {fmt(top)}分"
            if not first:
                clauses.append(clauses.pop(0))
    if draw(st.integers(0, 2)) == 0:
        clauses.append(f"不得分 如果 {draw(condition())}")
    if draw(st.integers(0, 3)) == 0:
        clauses.append(f"不适用 如果 {draw(condition())}")
    return f"项目 {name} {fmt(maximum)}分 {{ {' '.join(clauses)} }}", maximum


@dataclass
class Body:
    grid: Fraction
    sections: list[str]  # regular section names
    text: str  # the statements inside 标准 { … }, without 等级 and 否决
    flat: str = ""  # the same with every group's items written in its section itself
    flattenable: bool = True  # every group holds its items' points and none of them 可倒扣


@st.composite
def grouped(draw: st.DrawFn, items: list[tuple[str, Fraction]], grid: Fraction, names: list[int],
            depth: int = 1) -> tuple[list[tuple[str, Fraction]], bool]:
    """`items` with a run of them (perhaps) written in a group (类型 inside the 类型), and perhaps
    a group inside that: (parts as (text, points), whether each group's points are its items'
    and none of them is 可倒扣, so the flat section scores the same)."""
    if len(items) < 1 or depth > 2 or draw(st.integers(0, 2)) != 0:
        return items, True
    start = draw(st.integers(0, len(items) - 1))
    end = draw(st.integers(start + 1, len(items)))
    inner, exact = draw(grouped(items[start:end], grid, names, depth + 1))
    held = sum((points for _, points in inner), Fraction(0))
    # a group's points are its items' (E401 when less), or more (W102): its clamp at 0 counts with 可倒扣
    points = held if draw(st.booleans()) else held + grid
    names.append(len(names))
    text = f"类型 组{len(names)} {fmt(points)}分 {{ {' '.join(t for t, _ in inner)} }}"
    exact = exact and points == held and not any("可倒扣" in t for t, _ in inner)
    return [*items[:start], (text, points), *items[end:]], exact


@st.composite
def rubric_body(draw: st.DrawFn) -> Body:
    grid = draw(st.sampled_from([Fraction(1, 2), Fraction(1, 10), Fraction(1)]))
    count = draw(st.integers(1, 3))
    weighted = count > 1 and draw(st.integers(0, 3)) == 0
    weights = [Fraction(1, 2), Fraction(1, 2)] if count == 2 else [Fraction(1, 5), Fraction(3, 10), Fraction(1, 2)]
    blocks: list[str] = []
    total = Fraction(0)
    serial = 0
    flat_blocks: list[str] = []
    flattenable = True
    groups: list[int] = []  # the groups made so far (their names are numbered)
    for number in range(count):
        drawn: list[tuple[str, Fraction]] = []
        for _ in range(draw(st.integers(1, 3))):
            serial += 1
            drawn.append(draw(regular_item(f"项{serial}", grid)))
        parts, exact = draw(grouped(drawn, grid, groups))
        flattenable = flattenable and exact
        items = [text for text, _ in parts]
        section_points = sum((points for _, points in parts), Fraction(0))
        total += section_points
        weight = f" 权重 {fmt(weights[number] * 100)}%" if weighted else ""
        passing = ""
        if draw(st.booleans()):
            passing = f" 达标 {fmt(grid * draw(st.integers(0, int(section_points / grid))))}分"
        blocks.append(f"类型 类{number} {fmt(section_points)}分{passing}{weight} {{ {' '.join(items)} }}")
        flat_blocks.append(f"类型 类{number} {fmt(section_points)}分{passing}{weight} "
                           f"{{ {' '.join(text for text, _ in drawn)} }}")
    extras: list[str] = []
    if draw(st.booleans()):
        name = draw(st.sampled_from(["", "荣誉加分 "]))
        cap = fmt(draw(grid_points(grid, 5)))
        extras.append(f"加分项 {name}最多 {cap}分 {{ 项目 奖 5分 {{ 得 3分 如果 b0 加 2分 如果 ch = 乙 }} }}")
    if draw(st.booleans()):
        cap = fmt(draw(grid_points(grid, 8)))
        extras.append(f"减分项 最多 {cap}分 {{ 项目 罚 6分 {{ 每 c2 扣 2分 扣 3分 如果 b3 最多扣 5分 }} }}")
    settings_text = f"精度 {fmt(grid)} " + (f"满分 {fmt(total)} " if not weighted else "")
    if draw(st.integers(0, 3)) == 0:
        settings_text += f"折算 {fmt(total if not weighted else Fraction(100))} "
    return Body(grid, [f"类{n}" for n in range(count)], f"{settings_text} {FACTS} {' '.join([*blocks, *extras])}",
                f"{settings_text} {FACTS} {' '.join([*flat_blocks, *extras])}", flattenable)
