"""The `starrules` command: check and format rubric files."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .api import check_file
from .diagnostics import RubricError, render_all
from .formatter import format_text
from .loader import read_text
from .model import Rubric
from .numbers import format_decimal
from .ranges import Bound, Interval
from .report import Reporter
from .source import display_width

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        status = int(args.run(args))
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler
        return status
    except BrokenPipeError:  # the reader (e.g. `| head`) went away: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="starrules", description="党支部评分标准(.rubric)的检查与格式化工具")
    commands = parser.add_subparsers(dest="command", metavar="命令")
    check = commands.add_parser("check", help="检查评分标准文件,报告错误和警告")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--strict", action="store_true", help="有警告时也以失败退出")
    check.add_argument("--range", action="store_true", help="列出每个项目、类型和总分可能的最低分与最高分")
    check.set_defaults(run=_check)
    fmt = commands.add_parser("fmt", help="把评分标准文件改写为规范格式")
    fmt.add_argument("files", nargs="+", metavar="FILE")
    fmt.add_argument("--check", action="store_true", help="只检查,不改写;有文件需要改写时以 1 退出")
    fmt.set_defaults(run=_fmt)
    return parser


def _check(args: argparse.Namespace) -> int:
    errors = warnings = 0
    for file in args.files:
        report = check_file(file)
        if report.diagnostics:
            print(render_all(report.diagnostics), end="\n\n", file=sys.stderr)
        errors += len(report.errors)
        warnings += len(report.warnings)
        if args.range and not report.errors:
            for rubric in report.rubrics.values():
                print_ranges(rubric, sys.stdout)
    print(f"检查了 {len(args.files)} 个文件:{errors} 个错误,{warnings} 个警告", file=sys.stderr)
    if errors or (args.strict and warnings):
        return EXIT_ERRORS
    return EXIT_OK


def _fmt(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for file in args.files:
        reporter = Reporter()
        text = read_text(Path(file), reporter)
        if text is None:
            print(render_all(reporter.diagnostics), file=sys.stderr)
            status = EXIT_ERRORS
            continue
        try:
            formatted = format_text(text, file)
        except RubricError as exc:
            print(str(exc), file=sys.stderr)
            status = EXIT_ERRORS
            continue
        if formatted == text:
            continue
        if args.check:
            print(f"需要格式化:{file}", file=sys.stderr)
            status = EXIT_ERRORS
        else:
            Path(file).write_text(formatted, encoding="utf-8")
            print(f"已格式化:{file}", file=sys.stderr)
    return status


def print_ranges(rubric: Rubric, out: TextIO) -> None:
    """The checker's interval analysis as an aligned table."""
    rows: list[tuple[str, Interval]] = [(f"标准 {rubric.name} 总分", rubric.ranges.total)]
    for section in rubric.containers:
        name = section.display_name
        rows.append((f"  类型 {name}", rubric.ranges.sections[name]))
        rows.extend((f"    项目 {item.name}", rubric.ranges.items[item.name]) for item in section.items)
    width = max(display_width(label) for label, _ in rows) + 2
    print(f"{'':{width}}最低分  最高分", file=out)
    for label, interval in rows:
        pad = " " * (width - display_width(label))
        print(f"{label}{pad}{_bound(interval.lo, '-∞'):>6}  {_bound(interval.hi, '+∞'):>6}", file=out)


def _bound(value: Bound, infinite: str) -> str:
    return infinite if value is None else format_decimal(value)


if __name__ == "__main__":
    raise SystemExit(main())
