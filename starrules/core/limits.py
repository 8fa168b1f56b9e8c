"""Bounds on what a rubric or a branch's evidence may ask of the library, so that text from
county offices and uploads from thousands of branches cannot exhaust time or memory
(docs/limits.md). Each bound breached has its own error code."""

from __future__ import annotations

import re
from decimal import Decimal

import attrs


@attrs.frozen
class Limits:
    """Every bound, with defaults far above any real 评分表; pass your own to `load`/`loads`."""

    # rubric text (checked while loading; the code of each breach in brackets)
    file_bytes: int = 4 * 1024 * 1024  # one rubric file, UTF-8 bytes [E008]
    expression_depth: int = 100  # nesting of one expression [E006]
    number_digits: int = 30  # digits in one number literal [E005]
    name_length: int = 100  # characters in one name [E009]
    string_length: int = 5000  # characters in one string literal [E010]
    list_size: int = 200  # arguments of 最小/最大/任一…, entries of 选项/分档/属于 [E011]
    items: int = 10_000  # items in one file [E416]
    group_depth: int = 4  # levels of 类型 written in one another (一级, 二级, 三级指标 …) [E431]
    points: int = 1_000_000  # magnitude of any points value (分值, 扣分, 满分, 达标…) [E417]
    imports: int = 100  # files imported, all told [E109]
    import_depth: int = 16  # chain of files importing files [E110]
    # evidence (checked when a branch is read)
    evidence_bytes: int = 10 * 1024 * 1024  # one evidence file or batch record [E516]
    evidence_keys: int = 100_000  # keys in one branch's evidence [E516]
    evidence_depth: int = 16  # nesting of objects and arrays in evidence JSON [E517]
    evidence_digits: int = 100  # digits (and decimal exponent) of an evidence number [E518]
    # an .xlsx workbook (a zip of XML parts), checked from the zip directory before anything is
    # inflated, and while its sheets are read [all E516]
    workbook_bytes: int = 256 * 1024 * 1024  # all parts, uncompressed
    workbook_part_bytes: int = 64 * 1024 * 1024  # one part read whole (shared strings, styles …), uncompressed
    workbook_ratio: int = 100  # uncompressed ÷ compressed size of a part that expands past 1 MiB
    workbook_parts: int = 1000  # parts in the zip
    workbook_rows: int = 1_048_576  # rows of one sheet (Excel's own maximum)
    workbook_cells: int = 10_000_000  # cells read from one workbook
    # 10 ** evidence_digits, worked out once: evidence ints lie strictly between its negative and it
    largest_int: int = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        for field in attrs.fields(Limits):
            value = getattr(self, field.name) if field.init else 1
            if type(value) is not int or value < 1:  # noqa: E721
                raise ValueError(f"limit {field.name} must be a positive int, not {value!r}")
        object.__setattr__(self, "largest_int", 10**self.evidence_digits)


DEFAULT = Limits()


class LimitExceeded(Exception):
    """A breached evidence bound; the reader turns it into a diagnostic at the right place."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message

    def __reduce__(self) -> tuple[type[LimitExceeded], tuple[str, str], dict[str, object]]:
        return (type(self), (self.code, self.message), self.__dict__)  # args holds only the message


_BRACKETS_AND_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]')


def json_depth(text: str) -> int:
    """The deepest nesting of objects and arrays in JSON text (strings skipped)."""
    depth = deepest = 0
    for match in _BRACKETS_AND_STRINGS.finditer(text):
        char = match.group(0)
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def utf8_size_over(text: str, limit: int) -> int | None:
    """The UTF-8 size of `text` when it is over `limit` bytes, else None; text that cannot be
    over (at most 4 bytes a character) is not encoded."""
    if len(text) * 4 <= limit:
        return None
    size = len(text.encode("utf-8"))
    return size if size > limit else None


def too_many_digits(value: object, limits: Limits) -> bool:
    """Whether an evidence number (an int or a Decimal; anything else is not bounded here),
    written out as a plain decimal, has more digits than allowed, so 1e-999999 is refused before
    it becomes a fraction with a million-digit denominator, and an int from Python too long to
    print (past 4300 digits) never reaches a result."""
    if type(value) is int:  # noqa: E721 (not bool)
        return not -limits.largest_int < value < limits.largest_int
    if not isinstance(value, Decimal) or not value.is_finite():
        return False
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    return (len(digits) + exponent if exponent >= 0 else max(len(digits), -exponent)) > limits.evidence_digits
