"""Exact numbers for a whole batch at once: int64 numerators over positive denominators.

Every operation keeps |numerator| and denominators below 2**62. A row whose value would
leave that range (or that divides by zero) is handed back to the scalar evaluator through
`Lanes.give_up`, which scores it with Python's unbounded ints and reports what it finds; its
lane here carries a placeholder from then on. So the batch never rounds, wraps or guesses.
Numbers from the rubric enter through `Lanes.constant`, which gives up every row when one does
not fit (a 19-digit literal such as 100.00000000000000000000000001), so no part is ever a Python
int that numpy cannot hold.

A column knows bounds of its numerators when it can (`Q.low` / `Q.high`, Python ints holding for
every row, placeholders included): a fact's column from its least and greatest value, a
constant from itself, and every operation from its operands' bounds. Where the bounds show a
product or sum stays in range, no row is looked at to check it; where they are not known, one
pass finds them (`_scan`) and the result's bounds come from it. Integer columns are numbers
over the denominator 1, carried as the int 1: no denominator column is made for them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from ..plan.acceptance import LANES

Ints = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]
Part = Ints | int  # an int is the same for every row (a constant or a shared denominator)
Bounds = tuple[int, int]  # least and greatest value of a part, for every row
LIMIT = LANES  # magnitudes the lanes hold; the acceptance table bounds evidence ints by it too
_WIDE: Bounds = (1 - LIMIT, LIMIT - 1)  # what any value in range lies within


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
        return self.times(a, None, b, None)[0]

    def times(self, a: Part, a_bounds: Bounds | None, b: Part, b_bounds: Bounds | None) -> tuple[Part, Bounds]:
        """a × b and its bounds, giving up rows where it could reach the limit; the operands'
        bounds (None: not known, then found) decide whether any row needs looking at."""
        if isinstance(a, int) and isinstance(b, int):
            result = a * b
            if abs(result) >= LIMIT:
                self.give_up(True)
                return 1, (1, 1)
            return result, (result, result)
        if isinstance(a, int) and abs(a) >= LIMIT or isinstance(b, int) and abs(b) >= LIMIT:
            # an int numpy cannot hold: exact only where the column is 0
            zero: Flags = np.asarray(b if isinstance(a, int) else a) == 0
            self.give_up(~zero)
            return np.where(zero, 0, 1), (0, 1)
        if isinstance(a, int) and a == 1:
            return b, b_bounds or scan(b)
        if isinstance(b, int) and b == 1:
            return a, a_bounds or scan(a)
        a_bounds, b_bounds = a_bounds or scan(a), b_bounds or scan(b)
        low, high = _product_bounds(a_bounds, b_bounds)
        if not (-LIMIT < low and high < LIMIT):  # the bounds may be loose: the values' own, then
            low, high = _product_bounds(scan(a), scan(b))
        if -LIMIT < low and high < LIMIT:
            return np.multiply(a, b), (low, high)
        risky = np.abs(np.asarray(a, dtype=np.float64)) * np.abs(np.asarray(b, dtype=np.float64)) >= LIMIT / 2
        self.give_up(risky)
        # 1, not 0, in the rows given up: the placeholder may be a denominator
        return np.where(risky, 1, np.multiply(np.where(risky, 1, a), np.where(risky, 1, b))), _WIDE

    def fit(self, values: Part) -> Part:
        """A sum of two in-range values (below 2**63, so exact): rows at or past the limit give up."""
        return self.fits(values, None)[0]

    def fits(self, values: Part, bounds: Bounds | None) -> tuple[Part, Bounds]:
        """`fit`, with the values' bounds when known (then no row is looked at if they are in range)."""
        if isinstance(values, int):
            if abs(values) >= LIMIT:
                self.give_up(True)
                return 0, (0, 0)
            return values, (values, values)
        low, high = bounds or scan(values)
        if not (-LIMIT < low and high < LIMIT) and bounds is not None:  # loose bounds: the values' own
            low, high = scan(values)
        if -LIMIT < low and high < LIMIT:
            return values, (low, high)
        beyond = (values >= LIMIT) | (values <= -LIMIT)  # not abs(): abs(-2**63) wraps to itself
        self.give_up(beyond)
        return np.where(beyond, 0, values), (min(max(low, 1 - LIMIT), 0), max(min(high, LIMIT - 1), 0))


def scan(values: Part) -> Bounds:
    """The least and greatest value of a part: two passes, no temporary array."""
    if isinstance(values, int):
        return values, values
    if not values.size:
        return 0, 0
    return int(values.min()), int(values.max())


def _product_bounds(a: Bounds, b: Bounds) -> Bounds:
    corners = (a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1])
    return min(corners), max(corners)


def _peak(values: Part) -> int:
    low, high = scan(values)
    return max(high, -low)


class Q:
    """A column of exact numbers (or one number for every row: int parts), with bounds of the
    numerators when known (`low`, `high`: None when not)."""

    __slots__ = ("num", "den", "low", "high")

    def __init__(self, num: Part, den: Part = 1, low: int | None = None, high: int | None = None) -> None:
        self.num, self.den = num, den
        if isinstance(num, int):
            low = high = num
        self.low, self.high = low, high

    @property
    def bounds(self) -> Bounds | None:
        return None if self.low is None or self.high is None else (self.low, self.high)

    @classmethod
    def bounded(cls, num: Part, den: Part, bounds: Bounds | None) -> Q:
        return cls(num, den, *(bounds or (None, None)))

    def reduced(self) -> Q:
        if isinstance(self.den, int) and isinstance(self.num, int):
            value = Fraction(self.num, self.den)  # no larger than the parts, so still in range
            return Q(value.numerator, value.denominator)
        common = np.gcd(self.num, self.den)
        common = np.where(common == 0, 1, common)
        bounds = self.bounds
        # each numerator divided by a positive common factor keeps its sign and does not grow
        return Q.bounded(self.num // common, self.den // common,
                         None if bounds is None else (min(bounds[0], 0), max(bounds[1], 0)))


def same_denominator(lanes: Lanes, a: Q, b: Q) -> tuple[Part, Part, Part]:
    """Numerators of a and b over one denominator, and that denominator."""
    left, right, den, _, _ = _common(lanes, a, b)
    return left, right, den


def _common(lanes: Lanes, a: Q, b: Q) -> tuple[Part, Part, Part, Bounds | None, Bounds | None]:
    """`same_denominator`, with the two numerators' bounds where known."""
    if isinstance(a.den, int) and isinstance(b.den, int):
        if a.den == b.den:
            return a.num, b.num, a.den, a.bounds, b.bounds
        common = math.lcm(a.den, b.den)
        if common >= LIMIT:
            lanes.give_up(True)
            return 0, 0, 1, (0, 0), (0, 0)
        left, left_bounds = lanes.times(a.num, a.bounds, common // a.den, None)
        right, right_bounds = lanes.times(b.num, b.bounds, common // b.den, None)
        return left, right, common, left_bounds, right_bounds
    left, left_bounds = lanes.times(a.num, a.bounds, b.den, None)
    right, right_bounds = lanes.times(b.num, b.bounds, a.den, None)
    return left, right, lanes.product(a.den, b.den), left_bounds, right_bounds


def add(lanes: Lanes, a: Q, b: Q, sign: int = 1) -> Q:
    left, right, den, left_bounds, right_bounds = _common(lanes, a, b)
    bounds: Bounds | None = None
    if left_bounds is not None and right_bounds is not None:
        bounds = (left_bounds[0] + right_bounds[0], left_bounds[1] + right_bounds[1]) if sign > 0 else \
            (left_bounds[0] - right_bounds[1], left_bounds[1] - right_bounds[0])
    num, bounds = lanes.fits(left + right if sign > 0 else left - right, bounds)
    return _tidy(Q.bounded(num, den, bounds))


def multiply(lanes: Lanes, a: Q, b: Q) -> Q:
    num, bounds = lanes.times(a.num, a.bounds, b.num, b.bounds)
    return _tidy(Q.bounded(num, lanes.product(a.den, b.den), bounds))


def divide(lanes: Lanes, a: Q, b: Q) -> Q:
    """a / b; rows dividing by zero give up (the scalar evaluator reports E510 or never divides)."""
    if isinstance(b.num, int):
        if b.num == 0:
            lanes.give_up(True)
            return Q(0)
        sign = 1 if b.num > 0 else -1
        num, bounds = lanes.times(a.num, a.bounds, sign * b.den, None)
        return _tidy(Q.bounded(num, lanes.product(a.den, abs(b.num)), bounds))
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
            if common <= 1:
                return q
            bounds = q.bounds
            # every numerator is a multiple of `common`: the bounds divided stay bounds
            return Q.bounded(q.num // common, q.den // common,
                             None if bounds is None else (bounds[0] // common, -(-bounds[1] // common)))
        return q
    return q.reduced()


def compare(lanes: Lanes, a: Q, b: Q, op: Callable[[Part, Part], Flags]) -> Flags:
    left, right, _ = same_denominator(lanes, a, b)
    return op(left, right)


def where(condition: Flags, a: Q, b: Q) -> Q:
    a_bounds, b_bounds = a.bounds, b.bounds
    bounds = None if a_bounds is None or b_bounds is None else \
        (min(a_bounds[0], b_bounds[0]), max(a_bounds[1], b_bounds[1]))
    if isinstance(a.den, int) and isinstance(b.den, int) and a.den == b.den:
        return Q.bounded(choose(condition, a.num, b.num), a.den, bounds)
    return Q.bounded(choose(condition, a.num, b.num), choose(condition, a.den, b.den), bounds)


def choose(condition: Flags, a: Part, b: Part) -> Ints:
    """`np.where(condition, a, b)` for int64 parts, as arithmetic: numpy's masked select is
    several times slower than a subtraction, a product and a sum on a mask that varies row by row."""
    if isinstance(a, int) and isinstance(b, int):
        if a == b:
            return np.full(condition.shape, a, dtype=np.int64)
        picked = condition.astype(np.int64)
        if a - b != 1:
            picked *= a - b
        if b:
            picked += b
        return picked
    if isinstance(b, int) and b == 0:
        return np.multiply(a, condition.astype(np.int64))
    if isinstance(a, int) and a == 0:
        return np.multiply(b, np.logical_not(condition).astype(np.int64))
    difference: Ints = np.subtract(a, b, dtype=np.int64)
    difference *= condition
    difference += b
    return difference


def floor(q: Q) -> Q:
    bounds = q.bounds
    if isinstance(q.den, int):
        return Q.bounded(np.floor_divide(q.num, q.den), 1,
                         None if bounds is None else (bounds[0] // q.den, bounds[1] // q.den))
    # a quotient by a positive denominator lies between the numerator and zero (rounded down: -1 more)
    return Q.bounded(np.floor_divide(q.num, q.den), 1,
                     None if bounds is None else (min(bounds[0], -1 if bounds[0] < 0 else 0), max(bounds[1], 0)))


def half_up(q: Q) -> Ints:
    """四舍五入 to whole numbers, halves away from zero (numbers.half_up for every row)."""
    if isinstance(q.den, int) and q.den == 1:
        return np.asarray(q.num, dtype=np.int64)
    bounds = q.bounds
    if bounds is not None and bounds[0] >= 0 and isinstance(q.den, int) and 2 * bounds[1] + q.den < 2**63:
        # no negative numerator (no sign to restore), and 2n + d stays in int64: ⌊(2n + d) / 2d⌋
        whole: Ints = np.floor_divide(np.asarray(q.num, dtype=np.int64) * 2 + q.den, 2 * q.den)
        return whole
    return _half_up_divmod(q)


def _half_up_divmod(q: Q) -> Ints:
    whole, rest = np.divmod(np.abs(q.num), q.den)
    whole = whole + (2 * rest >= q.den)
    return np.where(np.asarray(q.num) < 0, -whole, whole).astype(np.int64)


def half_up_bounds(q: Q) -> Bounds | None:
    """Bounds of `half_up(q)` (it is monotone in the numerator for one positive denominator)."""
    bounds = q.bounds
    if bounds is None:
        return None
    if isinstance(q.den, int):
        return _half_up_int(bounds[0], q.den), _half_up_int(bounds[1], q.den)
    return min(bounds[0], 0), max(bounds[1], 0)  # |n / d| ≤ |n| for d ≥ 1, rounding keeps it so


def _half_up_int(n: int, d: int) -> int:
    whole, rest = divmod(abs(n), d)
    whole += 2 * rest >= d
    return -whole if n < 0 else whole


def column(values: Part, size: int) -> Ints:
    """A full int64 column from a column or a constant."""
    if isinstance(values, np.ndarray) and values.dtype == np.int64 and values.shape == (size,):
        return values
    return np.broadcast_to(np.asarray(values, dtype=np.int64), (size,))
