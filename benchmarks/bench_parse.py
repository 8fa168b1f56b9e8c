"""Parse-and-check speed of rubrics of 40, 1,000 and 10,000 items.

Run: python benchmarks/bench_parse.py
Reports milliseconds, microseconds per item (flat means linear growth), and the ratio to a
baseline measured in the same run: Lark alone parsing the same text with the same grammar
(so the ratio is what our AST building, resolution and checks add on top of parsing).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from lark import Lark

from starrules import check_text
from starrules.lang.parser import _AlwaysAcceptNames
from starrules.core.resources import grammar_text


def rubric_text(items: int, per_section: int = 10) -> str:
    sections = []
    for s in range(items // per_section):
        body = "\n".join(
            f"        项目 项目{s}_{i} 4分 {{\n"
            f"            说明 \"第{i}项的考核评价标准\"\n"
            f"            扣 2分 如果 学时{s % 5} 少于 32\n"
            f"            每 未满足数[甲, 乙, 丙] 扣 1分\n"
            f"            扣完为止\n        }}"
            for i in range(per_section))
        sections.append(f"    类型 类型{s} {4 * per_section}分 {{\n{body}\n    }}")
    facts = "\n".join(f"    事实 学时{k}: 数值" for k in range(5)) + "\n    事实 甲: 是否\n    事实 乙: 是否\n    事实 丙: 是否"
    return f"标准 基准 {{\n    满分 {4 * items}\n{facts}\n" + "\n".join(sections) + "\n}\n"


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times) if runs < 5 else statistics.median(times)


def main() -> None:
    lark = Lark(grammar_text(), parser="lalr", lexer="contextual", postlex=_AlwaysAcceptNames(),
                propagate_positions=True, maybe_placeholders=True)
    check_text(rubric_text(40))  # warm-up: grammar compiled once per process
    print(f"{'items':>6} {'starrules ms':>13} {'µs/item':>8} {'lark-only ms':>13} {'ratio':>6}")
    for items, runs in ((40, 50), (1_000, 5), (10_000, 3)):
        text = rubric_text(items)
        report = check_text(text)
        assert not report.errors, report.errors[:1]
        ours = best_of(runs, lambda: check_text(text))
        baseline = best_of(runs, lambda: lark.parse(text))
        print(f"{items:>6} {ours * 1e3:>13.1f} {ours / items * 1e6:>8.0f} {baseline * 1e3:>13.1f} {ours / baseline:>6.2f}")


if __name__ == "__main__":
    main()
