"""The cohort plan: a scheme's 排名 block (LANGUAGE.md §10; docs/language.md §7) lowered once, for
one rubric, into frozen records both cohort engines read — the Python reference
(grade/ranking.py `rank`) and the SQL window functions (sql/cohort.py).

A `CohortPlan` holds the scheme's level names best first; whether it ranks by level (总分 不计);
its 并列 keys, named conditions written out; its quota passes in the order they are applied, each
with its group and the places of each level; its forced bottom shares (倒排) in order; what a tie
across a quota's cut does (名额并列); for a derived scheme (基于) its base's plan and the base
level → level mapping; and the distinct mark texts.

The meaning, which each engine implements from these fields and nothing else:

1. rank: by the key — the total, or for `by_level` the level (best first) — then each tie key,
   larger better; branches equal in every part share a rank (1, 2, 2, 4);
2. a derived scheme first follows its base, ranked under the base's own plan: a branch whose
   base level a quota moved takes the level `mapping` gives that one, and a 待定 there is 待定 here
   (where no 名额 of the base's chain can move a level, `moving_quota` None, no level moves);
3. quota passes, in order, each over its group (the batch, or where its 当 holds): the levels of
   `applied`, top first, so a branch that falls competes for the next level's places. The members
   of a level are the group's branches at it, not 待定; `Places.of(n)` of them (n the group's size)
   keep it, best first. Those past the places fall a level — but when the last one in is tied by
   key with the first one past, every member so tied is 待定 instead (`ties_pending`; with
   名额并列 落级 they are past the places like the rest) — and at the pass's `lowest` level none
   falls: they stay, 待定;
4. forced shares, in order: a share's group is the branches its 当 holds for (every branch, for
   a line without 当) that no earlier line's group took; with 另加 低于 L every branch of the group
   below L (after the quotas) is marked and the others are the pool, else the whole group is.
   The pool is ordered from the bottom by `standing` (vetoed last, then those with a regular
   section below its 达标 line), then by key; at least `share_count(P, n)` from the bottom are
   marked, with every branch tied (standing and key) with the last one marked, and every vetoed
   branch.

Ranking within groups (`rank(..., within=F)`; the SQL query's `within`) runs all of this once per
value of the fact F, each value's branches a batch of their own (each ranked, each counting its own
n), its base's plan too. Every fact has a value on a validated branch (a default fills an absent
one; one without a default must be given), so no branch is left without a group; `within_fact`
refuses a name that is no fact of the standard.

`cohort_plan(rubric, scheme)` gives one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import attrs

from ..check.conditions import inline
from ..check.model import CheckedRubric
from ..check.schemes import scheme_sources
from ..core.source import Span
from ..core.sourcetext import SourceTexts
from ..lang import ast
from .grading import GradePlan, grade_plan

# 倒排's standing: where a branch stands in the order from the bottom (larger stands lower)
IN_ORDER = 0  # by its rank
BELOW_PASS = 1  # after those: a regular section below its 达标 line
VETOED = 2  # last of all: a veto fired (否决 outranks any score); each one is marked


def standing(vetoed: bool, below_pass: bool) -> int:
    """Where 倒排 puts a branch: `below_pass` says a regular section is below its 达标 line."""
    if vetoed:
        return VETOED
    return BELOW_PASS if below_pass else IN_ORDER


def quota_places(share: Fraction, size: int) -> int:
    """A share quota's places in a group of `size`: ⌊P·n⌋ (never more than the share)."""
    return math.floor(share * size)


def share_count(share: Fraction, size: int) -> int:
    """How many a forced share marks at least in a pool of `size`: ⌈P·n⌉ (never fewer)."""
    return math.ceil(share * size)


def within_fact(rubric: CheckedRubric, fact: str) -> str:
    """`fact`, the fact a ranking within groups splits the batch by; a name that is no fact of
    the standard raises ValueError (a caller's mistake: the CLI's usage error)."""
    if fact not in rubric.facts:
        raise ValueError(f"分组排名用的“{fact}”不是本标准的事实;可用的事实:{'、'.join(rubric.facts)}")
    return fact


@attrs.frozen
class Group:
    """The branches a `当` line reads: those where `condition` (named conditions written out)
    holds. `position` is the line's place in the 排名 block (from 1); `text` the condition as
    written, for reasons."""

    position: int
    condition: ast.Expr
    text: str


@attrs.frozen
class Places:
    """A level's quota: `count` places as written, or a `share` P of the group (⌊P·n⌋)."""

    level: int  # a level index of the scheme, 0 best
    count: int | None = None
    share: Fraction | None = None

    def of(self, size: int) -> int:
        """The places in a group of `size` branches."""
        if self.share is not None:
            return quota_places(self.share, size)
        assert self.count is not None
        return self.count


@attrs.frozen
class QuotaPass:
    """One pass of quotas: the batch's own 名额 lines together (`group` None), or one `当` line
    in its group."""

    number: int  # from 1, in the order the passes are applied
    group: Group | None
    places: tuple[Places, ...]  # per level, a later entry replacing an earlier one; levels in the order first named
    applied: tuple[Places, ...]  # those enforced, top level first: the lowest level has none to fall to

    @property
    def lowest(self) -> int:
        """The lowest level with a quota: no branch falls below it."""
        return max(p.level for p in self.places)


@attrs.frozen
class BottomShare:
    """A forced bottom share (倒排 P 为 mark)."""

    number: int  # from 1, among the 倒排 lines
    share: Fraction
    mark: str
    group: Group | None  # None: every branch no earlier line took
    others: bool  # written `其他`
    below: int | None  # 另加 低于 L: the index of L


@attrs.frozen
class CohortPlan:
    scheme: str
    levels: tuple[str, ...]  # best first
    by_level: bool  # 总分 不计: ranked by level first, then the tie keys
    tie_keys: tuple[ast.Expr, ...]  # 并列 依次比较, in order, named conditions written out
    passes: tuple[QuotaPass, ...]
    shares: tuple[BottomShare, ...]
    ties_pending: bool  # 名额并列 待定 (the default); False: 名额并列 落级
    base: CohortPlan | None  # a derived scheme's base (基于), followed first
    mapping: tuple[int, ...]  # base level index → level index; () without a base
    first_quota: Span | None  # where the block's first 名额 line is written

    @property
    def marks(self) -> tuple[str, ...]:
        """The distinct mark texts, in the order the 倒排 lines first name them."""
        return tuple(dict.fromkeys(share.mark for share in self.shares))

    @property
    def groups(self) -> tuple[Group, ...]:
        """Every `当` group of the block, in the order written."""
        found = [p.group for p in self.passes] + [s.group for s in self.shares]
        return tuple(sorted((g for g in found if g is not None), key=lambda g: g.position))

    @property
    def moving_quota(self) -> Span | None:
        """Where the first 名额 of this scheme, or else of the nearest base with one, is written:
        a quota there can move a level. None: nothing in the chain can."""
        if self.first_quota is not None:
            return self.first_quota
        return self.base.moving_quota if self.base is not None else None


def cohort_plan(rubric: CheckedRubric, scheme: str, block: ast.Ranking | None = None) -> CohortPlan:
    """The cohort plan of scheme `scheme` for this rubric, lowered once and kept in
    `rubric.compiled`; `block` a 排名 block to use in place of the scheme's own (lowered each
    time). A scheme the rubric cannot be graded under raises RubricCheckError (grade_plan)."""
    grading = grade_plan(rubric, scheme)
    if block is not None:
        return lower_ranking(rubric, grading, block)
    return rubric.compiled.get((CohortPlan, scheme),
                               lambda: lower_ranking(rubric, grading, grading.definition.ranking))


def lower_ranking(rubric: CheckedRubric, grading: GradePlan, block: ast.Ranking | None) -> CohortPlan:
    """`block` (None: no rules) lowered for the scheme of `grading`."""
    body = block.body if block is not None else ()
    lowering = _Lowering(rubric, grading.names)
    quotas = [(p, s) for p, s in enumerate(body, 1) if isinstance(s, ast.Quota)]
    shares = [(p, s) for p, s in enumerate(body, 1) if isinstance(s, ast.ForcedShare)]
    keys = tuple(inline(key, lowering.named) for s in body if isinstance(s, ast.TieBreak) for key in s.keys)
    ties_pending = next((s.pending for s in reversed(body) if isinstance(s, ast.QuotaTies)), True)
    base = cohort_plan(rubric, grading.base.scheme) if grading.base is not None else None
    return CohortPlan(grading.scheme, grading.names, rubric.total_unused, keys, lowering.passes(quotas),
                      tuple(lowering.share(n, p, s) for n, (p, s) in enumerate(shares, 1)), ties_pending, base,
                      grading.mapping, quotas[0][1].span if quotas else None)


class _Lowering:
    """What lowering a block reads: the rubric's named conditions, its source text, the levels."""

    def __init__(self, rubric: CheckedRubric, levels: Sequence[str]) -> None:
        self.named = rubric.expandable
        self.texts = SourceTexts(scheme_sources(rubric))
        self.levels = levels

    def group(self, position: int, when: ast.Expr | None) -> Group | None:
        return None if when is None else Group(position, inline(when, self.named), self.texts.text(when.span))

    def passes(self, quotas: Sequence[tuple[int, ast.Quota]]) -> tuple[QuotaPass, ...]:
        """First every line without 当, together, over the batch; then each line with 当 in its group."""
        lines: list[tuple[Group | None, list[ast.QuotaEntry]]] = []
        if any(s.when is None for _, s in quotas):
            lines.append((None, [e for _, s in quotas if s.when is None for e in s.entries]))
        lines += [(self.group(p, s.when), list(s.entries)) for p, s in quotas if s.when is not None]
        return tuple(self.quota_pass(number, group, entries) for number, (group, entries) in enumerate(lines, 1))

    def quota_pass(self, number: int, group: Group | None, entries: Sequence[ast.QuotaEntry]) -> QuotaPass:
        by_level: dict[int, Places] = {}
        for entry in entries:  # a later entry for a level replaces an earlier one, in its place
            index = self.levels.index(entry.level)
            by_level[index] = _places(index, entry.amount)
        places = tuple(by_level.values())
        floor = len(self.levels) - 1
        return QuotaPass(number, group, places, tuple(sorted((p for p in places if p.level < floor),
                                                             key=_level)))

    def share(self, number: int, position: int, rule: ast.ForcedShare) -> BottomShare:
        below = self.levels.index(rule.below) if rule.below is not None else None
        return BottomShare(number, rule.share.value, rule.mark, self.group(position, rule.when), rule.others, below)


def _places(level: int, amount: ast.Number | ast.Percent) -> Places:
    if isinstance(amount, ast.Percent):
        return Places(level, share=amount.value)
    return Places(level, count=int(amount.value))


def _level(places: Places) -> int:
    return places.level
