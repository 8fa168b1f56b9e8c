"""Exact numbers for a whole batch at once: int64 numerators over positive denominators.

Every operation keeps |numerator| and denominators below 2**62. A row whose value would
leave that range (or that divides by zero) is handed back to the scalar evaluator through
`Lanes.give_up`, which scores it with Python's unbounded ints and reports what it finds; its
lane here carries a placeholder from then on. So the batch never rounds, wraps or guesses.
Numbers from the rubric enter through `Lanes.constant`, which gives up every row when one does
not fit (a 19-digit literal such as 100.00000000000000000000000001), so no part is ever a Python
int that numpy cannot hold.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]
Part = Ints | int  # an int is the same for every row (a constant or a shared denominator)
LIMIT = 2**62


class Lanes:
    """The rows of one batch, and which of them the scalar evaluator must score instead."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.slow: Flags = np.zeros(size, dtype=np.bool_)

    def give_up(self, rows: Flags | bool) -> None:
        self.slow |= rows

    def constant(self, value: int | Fraction) -> Q:
        """One number for every row; every row gives up when its numerator or denominator does
        not fit, for every row would compute with it (the placeholder is 1: it may divide)."""
        value = Fraction(value)
        if abs(value.numerator) >= LIMIT or value.denominator >= LIMIT:
            self.give_up(True)
            return Q(1)
        return Q(value.numerator, value.denominator)

    def product(self, a: Part, b: Part) -> Part:
        """a × b, giving up rows where it could reach the limit."""
        if isinstance(a, int) and isinstance(b, int):
            result = a * b
            if abs(result) >= LIMIT:
                self.give_up(True)
                return 1
            return result
        if isinstance(a, int) and abs(a) >= LIMIT or isinstance(b, int) and abs(b) >= LIMIT:
            # an int numpy cannot hold: exact only where the column is 0
            zero: Flags = np.asarray(b if isinstance(a, int) else a) == 0
            self.give_up(~zero)
            return np.where(zero, 0, 1)
        if _peak(a) * _peak(b) < LIMIT:
            return np.multiply(a, b)
        risky = np.abs(np.asarray(a, dtype=np.float64)) * np.abs(np.asarray(b, dtype=np.float64)) >= LIMIT / 2
        self.give_up(risky)
        # 1, not 0, in the rows given up: the placeholder may be a denominator
        return np.where(risky, 1, np.multiply(np.where(risky, 1, a), np.where(risky, 1, b)))

    def fit(self, values: Part) -> Part:
        """A sum of two in-range values (below 2**63, so exact): rows at or past the limit give up."""
        if isinstance(values, int):
            if abs(values) >= LIMIT:
                self.give_up(True)
                return 0
            return values
        if _peak(values) < LIMIT:
            return values
        beyond = (values >= LIMIT) | (values <= -LIMIT)  # not abs(): abs(-2**63) wraps to itself
        self.give_up(beyond)
        return np.where(beyond, 0, values)


def _peak(values: Part) -> int:
    if isinstance(values, int):
        return abs(values)
    if not values.size:
        return 0
    return max(int(values.max()), -int(values.min()))  # two passes, no temporary array


class Q:
    """A column of exact numbers (or one number for every row: int parts)."""

    __slots__ = ("num", "den")

    def __init__(self, num: Part, den: Part = 1) -> None:
        self.num, self.den = num, den

    def reduced(self) -> Q:
        if isinstance(self.den, int) and isinstance(self.num, int):
            value = Fraction(self.num, self.den)  # no larger than the parts, so still in range
            return Q(value.numerator, value.denominator)
        common = np.gcd(self.num, self.den)
        common = np.where(common == 0, 1, common)
        return Q(self.num // common, self.den // common)


def same_denominator(lanes: Lanes, a: Q, b: Q) -> tuple[Part, Part, Part]:
    """Numerators of a and b over one denominator, and that denominator."""
    if isinstance(a.den, int) and isinstance(b.den, int):
        if a.den == b.den:
            return a.num, b.num, a.den
        common = math.lcm(a.den, b.den)
        if common >= LIMIT:
            lanes.give_up(True)
            return 0, 0, 1
        return lanes.product(a.num, common // a.den), lanes.product(b.num, common // b.den), common
    return lanes.product(a.num, b.den), lanes.product(b.num, a.den), lanes.product(a.den, b.den)


def add(lanes: Lanes, a: Q, b: Q, sign: int = 1) -> Q:
    left, right, den = same_denominator(lanes, a, b)
    return _tidy(Q(lanes.fit(left + sign * right), den))


def multiply(lanes: Lanes, a: Q, b: Q) -> Q:
    return _tidy(Q(lanes.product(a.num, b.num), lanes.product(a.den, b.den)))


def divide(lanes: Lanes, a: Q, b: Q) -> Q:
    """a / b; rows dividing by zero give up (the scalar evaluator reports E510 or never divides)."""
    if isinstance(b.num, int):
        if b.num == 0:
            lanes.give_up(True)
            return Q(0)
        sign = 1 if b.num > 0 else -1
        return _tidy(Q(lanes.product(a.num, sign * b.den), lanes.product(a.den, abs(b.num))))
    zero = b.num == 0
    lanes.give_up(zero)
    divisor = np.where(zero, 1, b.num)
    signs = np.where(divisor < 0, -1, 1)
    # common factors out before multiplying, so a ratio of two values over one large denominator
    # (a weighted score over its weighted maximum, rescaled by 折算) stays in range
    dens = np.gcd(a.den, b.den)
    nums = np.gcd(a.num, divisor)
    nums = np.where(nums == 0, 1, nums)
    upper = lanes.product(a.num // nums, b.den // dens)
    return _tidy(Q(lanes.product(upper, signs), lanes.product(a.den // dens, np.abs(divisor) // nums)))


def _tidy(q: Q) -> Q:
    """Reduce rows whose denominators differ or have grown large, so later products stay small."""
    if isinstance(q.den, int) and isinstance(q.num, int):
        return q.reduced()
    if isinstance(q.den, int):
        if q.den >= 2**31:
            common = math.gcd(q.den, int(np.gcd.reduce(q.num)))
            return Q(q.num // common, q.den // common) if common > 1 else q
        return q
    return q.reduced()


def compare(lanes: Lanes, a: Q, b: Q, op: Callable[[Part, Part], Flags]) -> Flags:
    left, right, _ = same_denominator(lanes, a, b)
    return op(left, right)


def where(condition: Flags, a: Q, b: Q) -> Q:
    if isinstance(a.den, int) and isinstance(b.den, int) and a.den == b.den:
        return Q(np.where(condition, a.num, b.num), a.den)
    return Q(np.where(condition, a.num, b.num), np.where(condition, a.den, b.den))


def floor(q: Q) -> Q:
    return Q(np.floor_divide(q.num, q.den), 1)


def half_up(q: Q) -> Ints:
    """四舍五入 to whole numbers, halves away from zero (numbers.half_up for every row)."""
    if isinstance(q.den, int) and q.den == 1:
        return np.asarray(q.num, dtype=np.int64)
    whole, rest = np.divmod(np.abs(q.num), q.den)
    whole = whole + (2 * rest >= q.den)
    return np.where(np.asarray(q.num) < 0, -whole, whole).astype(np.int64)


def column(values: Part, size: int) -> Ints:
    """A full int64 column from a column or a constant."""
    if isinstance(values, np.ndarray) and values.dtype == np.int64 and values.shape == (size,):
        return values
    return np.broadcast_to(np.asarray(values, dtype=np.int64), (size,))
