"""argparse speaking Chinese: usage, help headings and every parse error the `starrules` command
can meet, exit status 2 as argparse has it.

argparse looks its strings up with gettext in the process-wide default domain, so installing a
translation would change the language of every other argparse program in an embedding process.
Instead the parser and formatter classes here override the few places the text comes from:
the usage prefix and headings (set on the objects), the messages built from structured data
(`_check_value`, `_get_value`, `_match_argument`, overridden), and the messages argparse
formats itself before calling `error` (required and unrecognised arguments, the `argument X:`
prefix, ambiguous options), matched there by their English form. Run on Python 3.11; read
against CPython's current argparse (the 3.14 line), where the overridden methods keep their
signatures and the templates their words (missing arguments and ambiguous options are raised as
ArgumentError there instead of passed to `error`: both reach `error` as the same text). 3.12
and 3.13 lie between the two and were not run. A message not recognised passes through
unchanged rather than being lost."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from .source import display_width

USAGE = "用法: "
_TYPE_WORDS = {"int": "整数", "float": "数"}


class ChineseHelpFormatter(argparse.HelpFormatter):
    def _split_lines(self, text: str, width: int) -> list[str]:
        """Help wrapped by display width (argparse's textwrap counts a Chinese character as one
        column and breaks only at spaces, so Chinese help ran past the terminal's edge)."""
        return wrap(" ".join(text.split()), width)

    def add_usage(self, usage: str | None, actions: Iterable[argparse.Action],
                  groups: Iterable[argparse._MutuallyExclusiveGroup], prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, USAGE if prefix is None else prefix)


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose own text is Chinese; subcommand parsers are of the same class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)  # add_parser passes none: the subcommands get it too
        super().__init__(*args, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = "显示这份帮助并退出"

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: 错误: {translate(message)}\n")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        # an invalid choice (also an unknown subcommand), with the choices in the user's words
        if action.choices is not None and value not in action.choices:
            raise argparse.ArgumentError(action, f"“{value}”不是可选的值(可选:{'、'.join(map(str, action.choices))})")

    def _get_value(self, action: argparse.Action, arg_string: str) -> Any:
        try:
            return super()._get_value(action, arg_string)
        except argparse.ArgumentError as exc:
            # argparse's own "invalid int value" follows a failed conversion (TypeError or ValueError);
            # a type's ArgumentTypeError carries the type's own words, kept as they are
            if not isinstance(exc.__context__, (TypeError, ValueError)):
                raise
            name = getattr(action.type, "__name__", repr(action.type))
            word = _TYPE_WORDS.get(name, f"有效的 {name} 值")
            raise argparse.ArgumentError(action, f"“{arg_string}”不是{word}") from None

    def _match_argument(self, action: argparse.Action, arg_strings_pattern: str) -> int:
        try:
            return super()._match_argument(action, arg_strings_pattern)
        except argparse.ArgumentError:
            raise argparse.ArgumentError(action, _count_words(action.nargs)) from None


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns: broken between Chinese characters or at a
    space, never inside a run of ASCII letters and digits unless it is longer than a line."""
    lines: list[str] = []
    line = ""
    for char in text:
        if line and display_width(line + char) > width:
            # a closing mark never starts a line: the character before it goes along
            cut = len(line) - 1 if char in _NO_LINE_START and len(line) > 1 else len(line)
            after = line[cut] if cut < len(line) else char
            if _word_char(after) and _word_char(line[cut - 1]):  # nor is a word cut: back to its start
                cut = next((i + 1 for i in range(cut - 1, 0, -1) if not _word_char(line[i])), cut)
            if cut > 1 and line[cut - 1] in _NO_LINE_END:  # nor does an opening mark end one
                cut -= 1
            lines.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        if line or not char.isspace():
            line += char
    return [*lines, line.rstrip()] if line.strip() else lines


_NO_LINE_END = frozenset("([{(【「『“‘《")
_NO_LINE_START = frozenset(",.;:)]}、,。;:)】」』”’!?!?")


def _word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _count_words(nargs: int | str | None) -> str:
    """What an option expected and did not get, by its nargs."""
    if nargs is None:
        return "需要一个值"
    if nargs == argparse.OPTIONAL:
        return "最多一个值"
    if nargs == argparse.ONE_OR_MORE:
        return "至少需要一个值"
    return f"需要 {nargs} 个值"


def _names(text: str) -> str:
    return "、".join(text.split(", "))


# argparse's messages formatted before `error` sees them: the English template as a pattern,
# and its Chinese form from the parts matched
_MESSAGES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"the following arguments are required: (.*)", re.S), lambda m: f"缺少参数 {_names(m[1])}"),
    (re.compile(r"unrecognized arguments: (.*)", re.S), lambda m: f"无法识别的参数 {m[1]}"),
    (re.compile(r"ambiguous option: (\S+) could match (.*)", re.S),
     lambda m: f"选项 {m[1]} 有歧义,可能是 {_names(m[2])}"),
    (re.compile(r"one of the arguments (.*) is required", re.S), lambda m: f"需要参数 {m[1]} 之一"),
    (re.compile(r"argument (.+?): (.*)", re.S), lambda m: f"参数 {m[1]}: {translate(m[2])}"),
)


def translate(message: str) -> str:
    """A parse error in Chinese; one of starrules' own (already Chinese) or an unknown one as given."""
    for pattern, words in _MESSAGES:
        if (match := pattern.fullmatch(message)) is not None:
            return words(match)
    return message
