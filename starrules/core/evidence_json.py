"""Evidence JSON text to Python values (a .json file, a JSON Lines record): decimals kept exact,
size and depth bounded before decoding (E516, E517), and what `json.loads` would let through
silently refused with its place: a key written twice in one object (E519 — the decoder keeps
the last value, so the other is lost unseen) and a `\\u` escape of a lone surrogate (E520 — such
text cannot be written out as UTF-8, so every writer of results would fail on it)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from .limits import LimitExceeded, Limits, json_depth, utf8_size_over
from .source import Span

# a JSON string (escapes and all) or a punctuation mark: enough to follow keys through objects
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]', re.DOTALL)
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@attrs.frozen
class Place:
    """Characters `start` to `end` of the text."""

    start: int
    end: int

    def span(self, file: str, text: str, first_line: int = 1) -> Span:
        """The place in a file whose text starts at line `first_line` (a JSON Lines record)."""
        line = text.count("\n", 0, self.start) + first_line
        column = self.start - (text.rfind("\n", 0, self.start) + 1) + 1
        return Span(file, line, column, line, column + max(self.end - self.start, 1))


class JsonFault(ValueError):
    """Valid JSON that is still refused: `code` (E519, E520), a message, where, and for a
    duplicate key where it was first written."""

    def __init__(self, code: str, message: str, place: Place, first: Place | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.place, self.first = code, message, place, first

    def __reduce__(self) -> tuple[Any, ...]:  # rebuilt from its own arguments in another process
        return type(self), (self.code, self.message, self.place, self.first), self.__dict__


class _Duplicate(Exception):
    pass


def load_json(text: str, limits: Limits, what: str) -> object:
    """`json.loads` with decimals kept exact, refusing text larger or deeper than the limits
    (LimitExceeded) before the decoder could exhaust memory or the stack, and duplicate keys or
    lone surrogates (JsonFault); other faults surface as ValueError (json.JSONDecodeError is one)."""
    size = utf8_size_over(text, limits.evidence_bytes)
    if size is not None:
        raise LimitExceeded("E516", f"{what}过大({size} 字节,最多 {limits.evidence_bytes} 字节)")
    # counting brackets is C-speed; only text that could be too deep is scanned
    if text.count("[") + text.count("{") > limits.evidence_depth and json_depth(text) > limits.evidence_depth:
        raise LimitExceeded("E517", f"{what}嵌套过深(最多 {limits.evidence_depth} 层)")
    try:
        data = json.loads(text, parse_float=_decimal(limits, what), parse_constant=_reject_constant,
                          object_pairs_hook=_unique)
    except RecursionError:  # unreachable under the depth check unless the limit is set very high
        raise LimitExceeded("E517", f"{what}嵌套过深") from None
    except _Duplicate:
        raise _duplicate_fault(text) from None
    # a lone surrogate can only come from an escape (the text itself was decoded from UTF-8)
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        place = lone_surrogate(text)
        if place is not None:
            raise JsonFault("E520", f"文本含有无效的字符:“{text[place.start:place.end]}”是单独的代理码元,"
                                    "不是 Unicode 字符", place)
    return data


def _decimal(limits: Limits, what: str) -> Callable[[str], Decimal]:
    """JSON's decimal text as an exact Decimal; an exponent too large for any Decimal
    (1e-99999999999999999999999999999) is E518 like any number with too many digits."""
    def read(text: str) -> Decimal:
        try:
            return Decimal(text)
        except InvalidOperation:
            raise LimitExceeded("E518", f"{what}中的数字位数过多(写成普通小数最多 {limits.evidence_digits} 位)") from None
    return read


def _unique(pairs: list[tuple[str, object]]) -> dict[str, object]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _Duplicate
    return found


def _reject_constant(name: str) -> object:
    raise ValueError(f"不支持 {name}")


def _duplicate_fault(text: str) -> JsonFault:
    found = first_duplicate(text)
    if found is None:  # not expected: the decoder saw one
        return JsonFault("E519", "同一个对象中有重复的键", Place(0, 1))
    key, place, first = found
    return JsonFault("E519", f"键“{key}”在同一个对象中重复出现(JSON 只会留下后一个值)", place, first)


def first_duplicate(text: str) -> tuple[str, Place, Place] | None:
    """The first key, in the order written, that its object already holds: the key, where it is
    written again and where first. `text` is valid JSON."""
    objects: list[dict[str, Place] | None] = []  # a dict of keys per open object, None per array
    pending: re.Match[str] | None = None  # a string that is a key if a colon follows
    for token in _TOKENS.finditer(text):
        mark = token.group(0)
        if mark == ":" and pending is not None and objects and objects[-1] is not None:
            keys = objects[-1]
            key = json.loads(pending.group(0))
            place = Place(pending.start(), pending.end())
            if key in keys:
                return key, place, keys[key]
            keys[key] = place
        pending = token if mark.startswith('"') else None
        if mark == "{":
            objects.append({})
        elif mark == "[":
            objects.append(None)
        elif mark in ("}", "]") and objects:
            objects.pop()
    return None


def lone_surrogate(text: str) -> Place | None:
    """The first `\\uD800`–`\\uDFFF` escape that is not half of a high–low pair, in valid JSON
    text (so every backslash is inside a string and `\\\\` is one escape)."""
    high: re.Match[str] | None = None  # a high half waiting for its low half
    for escape in _ESCAPE.finditer(text):
        code = int(escape.group(1), 16) if escape.group(1) else -1
        if high is not None:
            if 0xDC00 <= code <= 0xDFFF and escape.start() == high.end():
                high = None
                continue
            return Place(high.start(), high.end())
        if 0xD800 <= code <= 0xDBFF:
            high = escape
        elif 0xDC00 <= code <= 0xDFFF:
            return Place(escape.start(), escape.end())
    return None if high is None else Place(high.start(), high.end())
