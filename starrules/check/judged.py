"""What a rater's entry for a 酌情 / 酌情给分 / 酌情扣分 item means, in points (docs/language.md §3).

The entry lies in [`low`, `high`]; the item's score starts at `offset + sign × entry`, and then
its deductions, awards, 不得分 and clamp apply as for any item:

- 酌情: the entry is the start (offset 0, sign +1), in the written range or 0 to the item's points;
- 酌情给分: the entry is given on top of what the rater does not judge: offset = points − high,
  sign +1, the entry in the written range or 0 to R, the points that remain — the item's points
  less the N of its `扣 N分 如果 C` clauses (their sum capped by its `最多扣`). `每 … 扣` clauses
  have no fixed size and are not counted (write the range for such an item);
- 酌情扣分: the entry is taken away from the item's points: offset = points, sign −1, the entry in
  the written range or 0 to R.

The checker (ranges, E412, E499), the plan (`plan/scoring.Base`, which every engine reads), the
evidence's accepted range, its JSON Schema and the form all read `judged_part`, so the rule is
written here once.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

import attrs

from ..lang import ast


@attrs.frozen
class JudgedPart:
    low: Fraction  # the entry's range
    high: Fraction
    offset: Fraction  # the start is offset + sign × entry
    sign: Literal[-1, 1]

    def start(self, entry: Fraction) -> Fraction:
        return self.offset + self.sign * entry

    @property
    def starts(self) -> tuple[Fraction, Fraction]:
        """The least and the most the item can start from."""
        ends = sorted((self.start(self.low), self.start(self.high)))
        return ends[0], ends[1]


def remaining(item: ast.Item) -> Fraction:
    """R: the item's points less what its `扣 N分 如果 C` clauses can take (capped by 最多扣)."""
    deducted = sum((c.points.value for c in item.clauses if isinstance(c, ast.DeductIf)), Fraction(0))
    cap = next((c.points.value for c in item.clauses if isinstance(c, ast.MaxDeduct)), None)
    return item.points.value - (min(deducted, cap) if cap is not None else deducted)


def judged_part(item: ast.Item, clause: ast.Judged) -> JudgedPart:
    """The meaning of the item's judged clause; an empty range (R ≤ 0, the checker's E499) is [0, 0]."""
    points = item.points.value
    written = clause.low is not None and clause.high is not None
    low = clause.low.value if clause.low is not None else Fraction(0)
    if clause.high is not None and written:
        high = clause.high.value
    else:
        high = points if clause.mode == "judged" else max(remaining(item), Fraction(0))
    if clause.mode == "award":
        return JudgedPart(low, high, points - high, 1)
    if clause.mode == "deduct":
        return JudgedPart(low, high, points, -1)
    return JudgedPart(low, high, Fraction(0), 1)


JUDGED_WORDS: dict[ast.JudgedMode, str] = {"judged": "酌情", "award": "酌情给分", "deduct": "酌情扣分"}
