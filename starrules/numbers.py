"""Exact numbers: decimal text to Fraction, Fraction to decimal text, half-up rounding."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

MAX_DIGITS = 30  # digits in one literal; keeps int conversion and arithmetic cheap


def parse_decimal(text: str) -> Fraction:
    """`"12.5"` → Fraction(25, 2). The text is a plain decimal (validated by the lexer)."""
    return Fraction(Decimal(text))


def round_half_up(value: Fraction, step: Fraction) -> Fraction:
    """四舍五入 to a multiple of `step` (halves go away from zero)."""
    units = value / step
    sign = -1 if units < 0 else 1
    whole = (abs(units) + Fraction(1, 2)).__floor__()
    return sign * whole * step


def is_multiple(value: Fraction, step: Fraction) -> bool:
    return (value / step).denominator == 1


def format_decimal(value: Fraction) -> str:
    """Exact decimal text for a value with a terminating expansion, else a fraction."""
    if value.denominator == 1:
        return str(value.numerator)
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = value * 10**places
    text = str(abs(scaled.numerator)).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{text[:-places]}.{text[-places:]}".rstrip("0").rstrip(".")
