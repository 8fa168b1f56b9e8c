"""Growth of parse-and-check time on adversarial inputs (issue 7: linear time), and how fast
text nested past the limits is refused (the nesting pre-scan, starrules/lang/nesting.py).

Run: python benchmarks/bench_scaling.py
For each shape the input doubles in size three times; `growth` is the time at 2n over the time
at n, measured in the same run (2.0 is linear, 4.0 quadratic, 1.0 constant), and `÷lark` is our
time over Lark alone parsing the same text (the baseline: what the grammar itself costs; not
measured for the refused shapes, where Lark alone takes seconds to tens of seconds).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from lark import Lark

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_parse import best_of, rubric_text  # noqa: E402

from starrules import Limits, check_text  # noqa: E402
from starrules.lang.parser import _AlwaysAcceptNames  # noqa: E402
from starrules.core.resources import grammar_text  # noqa: E402


def item(condition: str) -> str:
    return f"标准 R {{ 事实 b: 是否 事实 x: 数值 类型 S 2分 {{ 项目 I 2分 {{ 扣 1分 如果 {condition} }} }} }}"


MIB = 1024 * 1024
SHAPES: dict[str, tuple[Callable[[int], str], list[int], set[str], bool]] = {
    # name: (text of size n, sizes, the codes expected in its report, compare with Lark alone)
    "items": (rubric_text, [1_250, 2_500, 5_000, 10_000], set(), True),
    "且 chain": (lambda n: item(" 且 ".join(["b"] * n)), [2_000, 4_000, 8_000, 16_000], set(), True),
    "或 chain": (lambda n: item(" 或 ".join(["b"] * n)), [2_000, 4_000, 8_000, 16_000], set(), True),
    # 100 brackets around a term (the most the limit allows), repeated
    "parentheses at the limit": (lambda n: item(" 且 ".join(["(" * 100 + "b" + ")" * 100] * n)),
                                 [25, 50, 100, 200], set(), True),
    # 98 × 非, the leaf and the chain: 100 levels, the default limit
    "depth at the limit, repeated": (lambda n: item(" 且 ".join(["非 " * 98 + "b"] * n)), [25, 50, 100, 200], set(),
                                     True),
    # past the limit: refused by the pre-scan at the first 100 levels, whatever follows
    "too deep: - run (E006)": (lambda n: item("- " * n + "x > 1"), [2_000, 4_000, 8_000, 16_000], {"E006"}, False),
    "too deep: nested 若 (E006)": (lambda n: item("若 b 则 " * n + "b" + " 否则 b" * n), [6_250, 12_500, 25_000, 50_000],
                                   {"E006"}, False),
    "too deep: 否则 若 chain (E006)": (lambda n: item("若 b 则 b 否则 " * n + "b"), [6_250, 12_500, 25_000, 50_000],
                                      {"E006"}, False),
    "too deep: parentheses (E006)": (lambda n: item("(" * n + "x" + ")" * n + " > 1"),
                                     [MIB // 4, MIB // 2, MIB, 2 * MIB - 100], {"E006"}, False),
    "syntax errors (E002, capped)": (lambda n: "标准 R {\n" + "满分 \"x\"\n" * n + "}", [2_000, 4_000, 8_000, 16_000],
                                     {"E002"}, False),
}


def main() -> None:
    lark = Lark(grammar_text(), parser="lalr", lexer="contextual", postlex=_AlwaysAcceptNames(),
                propagate_positions=True, maybe_placeholders=True)
    limits = Limits(file_bytes=64 * 1024 * 1024)  # the 10,000-item file is within 4 MiB, the chains too
    check_text(rubric_text(40))  # warm-up: the grammar is compiled once per process
    print(f"{'shape':<30} {'n':>7} {'ms':>9} {'µs/unit':>8} {'growth':>7} {'÷lark':>6}")
    for name, (make, sizes, codes, versus_lark) in SHAPES.items():
        previous = None
        for n in sizes:
            text = make(n)
            found = {d.code for d in check_text(text, limits=limits).errors}
            assert found == codes, (name, n, found)
            ours = best_of(3, lambda: check_text(text, limits=limits))
            baseline: float | None = best_of(3, lambda: lark.parse(text)) if versus_lark else None
            growth = f"{ours / previous:>7.2f}" if previous else f"{'':>7}"
            versus = f"{ours / baseline:>6.2f}" if baseline else f"{'—':>6}"
            print(f"{name:<30} {n:>7} {ours * 1e3:>9.1f} {ours / n * 1e6:>8.1f} {growth} {versus}")
            previous = ours


if __name__ == "__main__":
    main()
