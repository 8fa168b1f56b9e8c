"""Exact numbers: decimal text to Fraction, Fraction to decimal text, half-up rounding."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction


def parse_decimal(text: str) -> Fraction:
    """`"12.5"` → Fraction(25, 2). The text is a plain decimal (validated by the lexer)."""
    return Fraction(Decimal(text))


def half_up(value: int | Fraction) -> int:
    """四舍五入 to a whole number (halves go away from zero), not banker's rounding."""
    if isinstance(value, int):
        return value
    whole = (abs(value) + Fraction(1, 2)).__floor__()
    return -whole if value < 0 else whole


def is_multiple(value: Fraction, step: Fraction) -> bool:
    return (value / step).denominator == 1


def decimal_places(denominator: int) -> int | None:
    """How many decimal places a fraction with this (reduced) denominator needs; None when its
    decimal does not terminate (a factor other than 2 and 5)."""
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    return max(twos, fives) if denominator == 1 else None


def format_decimal(value: Fraction) -> str:
    """Exact decimal text for a value with a terminating expansion, else a fraction."""
    if value.denominator == 1:
        return str(value.numerator)
    places = decimal_places(value.denominator)
    if places is None:
        return f"{value.numerator}/{value.denominator}"
    scaled = value * 10**places
    text = str(abs(scaled.numerator)).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{text[:-places]}.{text[-places:]}".rstrip("0").rstrip(".")


Exact = int | Fraction  # an exact number; whole values stay ints so common arithmetic stays fast


def exact(value: Fraction) -> Exact:
    """A Fraction with denominator 1 as an int, anything else unchanged."""
    return value.numerator if value.denominator == 1 else value


def exact_number(raw: object) -> Exact | None:
    """An exact value of a Python or JSON number (floats through their decimal text); None for
    anything else, including bools and non-finite values."""
    kind = type(raw)
    if kind is int:
        return raw  # type: ignore[return-value]
    if kind is float:
        return exact(Fraction(Decimal(repr(raw)))) if math.isfinite(raw) else None  # type: ignore[arg-type]
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, Fraction):
        return exact(raw)
    if isinstance(raw, Decimal):
        return exact(Fraction(raw)) if raw.is_finite() else None
    return None


class Grid:
    """The rubric's point grid (精度): points as whole numbers of `step` (fixed point)."""

    __slots__ = ("step", "_num", "_den", "_points")

    def __init__(self, step: Fraction) -> None:
        self.step = step
        self._num, self._den = step.numerator, step.denominator
        self._points: dict[int, Exact] = {}  # units → points; filled as met, same answer from any thread

    def __reduce__(self) -> tuple[type, tuple[Fraction]]:
        return (Grid, (self.step,))

    def units(self, value: Exact) -> int:
        """Points already on the grid (checked by the checker or the evidence reader)."""
        units = self.try_units(value)
        if units is None:
            raise ValueError(f"{value} is not on the grid {self.step}")
        return units

    def try_units(self, value: Exact) -> int | None:
        """Grid units of a value, or None when it is off the grid."""
        if isinstance(value, int):
            units, rest = divmod(value * self._den, self._num)
        else:
            units, rest = divmod(value.numerator * self._den, value.denominator * self._num)
        return None if rest else units

    def decimal_units(self, value: Decimal) -> int | None:
        """Grid units of a finite Decimal, or None when it is off the grid."""
        units = value * self._den / self._num
        whole = units.to_integral_value()
        return int(whole) if units == whole else None

    def round_units(self, value: Exact) -> int:
        """四舍五入 a computed value to the grid: the one place a value becomes points."""
        return half_up(Fraction(value) / self.step)

    @property
    def short_step(self) -> bool:
        """A step of at most six significant digits: then a float below 1e9 is on the grid exactly
        when it is the nearest double to a grid value (units = round(x / step), units × step == x),
        and its shortest decimal text is that grid value."""
        return len(format_decimal(self.step).replace(".", "").strip("0")) <= 6

    def points(self, units: int) -> Exact:
        found = self._points.get(units)
        if found is None:
            found = self._points[units] = exact(Fraction(units * self._num, self._den))
        return found
