"""Cohort rules over a batch of results graded under one scheme (LANGUAGE.md §10): ranks with
tie-breakers and shared ranks, quotas (名额) whose overflow falls a level by rank, and
forced bottom shares (倒排) per group.

Choices the specification leaves open, made here and documented in docs/language.md:
- ranks are shared by branches equal in total and in every tie-breaker (1, 2, 2, 4); for a
  rubric whose total is not counted (总分 不计), by level first (best first, so a vetoed branch,
  at the lowest level, never ranks above one that reached a level), then by the tie-breakers;
- a quota is never exceeded: branches tied across its cut are all marked 待定 (the committee
  places them) or, with `名额并列 落级`, all fall; overflow falls a level at a time but never
  below the lowest level with a quota, where it stays, marked 待定;
- a share quota allows ⌊P·n⌋ and a forced share marks at least ⌈P·n⌉ of its group, with
  every branch tied with the last one marked also marked;
- a forced share marks (相对后进); it does not change the level. It counts from the bottom with
  vetoed branches last (each one marked) and branches with a section below its 达标 line before
  them; `另加 低于 L` marks every branch below level L as well and takes the share of the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

import attrs

from ..lang import ast
from ..plan.cohort import BELOW_PASS, IN_ORDER, VETOED, BottomShare, CohortPlan, QuotaPass, cohort_plan, share_count, \
    standing, within_fact
from ..plan.expressions import BELOW_PASS_KEY, Compiled, ExprCompiler
from .grading import Values, grader_for, result_values
from ..check.model import CheckedRubric
from ..core.numbers import Exact, format_decimal
from ..eval.result import Result, json_number


@attrs.frozen
class RankedBranch:
    id: str | None
    total: Exact
    rank: int  # 1 is best; equal branches share a rank
    level: str  # after quotas
    scored_level: str  # the level the branch's own result reached
    marks: tuple[str, ...]  # e.g. 相对后进
    reasons: tuple[str, ...]
    result: Result = attrs.field(eq=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "total": json_number(self.total), "rank": self.rank, "level": self.level,
                "scored_level": self.scored_level, "marks": list(self.marks), "reasons": list(self.reasons)}


@attrs.frozen
class Ranking:
    scheme: str
    branches: tuple[RankedBranch, ...]  # in rank order
    subject: str = ast.DEFAULT_SUBJECT  # what the standard rates (主体): 共 8 个饭店
    by_level: bool = False  # ordered by level, then the 并列 keys (总分 不计), not by total

    def branch(self, identifier: str) -> RankedBranch:
        return next(b for b in self.branches if b.id == identifier)

    def to_dict(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "branches": [b.to_dict() for b in self.branches]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


@attrs.define
class _Entry:
    result: Result
    values: Values  # what rule conditions and tie-breakers read
    order: int
    key: tuple[Fraction, ...]  # larger is better
    level: str
    scored: str
    rank: int = 0
    marks: list[str] = attrs.Factory(list)
    reasons: list[str] = attrs.Factory(list)


def rank(results: Iterable[Result], scheme: str, rules: ast.Ranking | None = None,
         rubric: CheckedRubric | None = None, within: str | None = None) -> Ranking:
    """Rank `results` (all of one rubric) under `scheme` with its 排名 rules, or `rules`: the
    cohort plan (plan/cohort.py) run over the batch, with a reason for every move and mark.
    `within` names a fact: each of its values is a batch of its own (每个党委各自排名、各有名额、各自倒排)."""
    batch = list(results)
    source = rubric or next((r._rubric for r in batch if r._rubric is not None), None)
    if source is None:
        if not batch:
            return Ranking(scheme, ())
        raise ValueError("results were not made by a loaded rubric; pass rubric=")
    if within is not None:
        return _within_groups(batch, scheme, rules, source, within)
    grader = grader_for(source, scheme)
    plan = cohort_plan(source, scheme, rules)
    compiler = ExprCompiler({*source.facts, *source.lets})
    breakers = [compiler.compile(key) for key in plan.tie_keys]
    entries = []
    for order, result in enumerate(batch):
        values = result_values(result)
        level = (result.levels.get(scheme) or grader.grade(result, values)).level
        first = Fraction(-grader.index[level]) if plan.by_level else Fraction(result.total)
        key = (first, *(Fraction(b(values)) for b in breakers))
        entries.append(_Entry(result, values, order, key, level, level))
    entries.sort(key=lambda e: (tuple(-k for k in e.key), e.order))
    for position, entry in enumerate(entries):
        same = position > 0 and entries[position - 1].key == entry.key
        entry.rank = entries[position - 1].rank if same else position + 1
    if plan.base is not None:
        _follow_base(entries, plan, plan.base, rank(batch, plan.base.scheme, rubric=source))
    subject = source.subject
    for quota in plan.passes:  # the batch's own quotas, then each group's, counted within the group
        if quota.group is None:
            _quotas(quota, entries, plan, subject)
        else:
            test = compiler.compile(quota.group.condition)
            _quotas(quota, [e for e in entries if test(e.values)], plan, subject, f"“{quota.group.text}”的")
    _forced_shares(plan, entries, compiler, subject)
    return Ranking(scheme, tuple(RankedBranch(e.result.id, e.result.total, e.rank, e.level, e.scored,
                                              tuple(e.marks), tuple(e.reasons), e.result) for e in entries), subject,
                   plan.by_level)


def _within_groups(batch: list[Result], scheme: str, rules: ast.Ranking | None, source: CheckedRubric,
                   fact: str) -> Ranking:
    """One ranking per value of `fact`, in the order each value first appears in the batch; a branch
    ranks, and the quotas and forced shares count, only among the branches of its own value."""
    within_fact(source, fact)  # a name that is no fact of the standard: ValueError, as the SQL query says
    groups: dict[str, list[Result]] = {}
    for result in batch:
        groups.setdefault(str(dict(result.facts).get(fact)), []).append(result)
    parts = [rank(members, scheme, rules, source) for members in groups.values()]
    return Ranking(scheme, tuple(branch for part in parts for branch in part.branches), source.subject,
                   any(part.by_level for part in parts))


PENDING = "待定"  # the mark of a branch a quota leaves to the committee


def _follow_base(entries: Sequence[_Entry], plan: CohortPlan, base: CohortPlan, below: Ranking) -> None:
    """A derived scheme (基于) follows its base's cohort rules: a branch whose base level a quota
    moved takes the level the move maps to, and a 待定 there is 待定 here (a 五星级 that fell to
    四星级 by quota is 良好, not 先进)."""
    placed = {id(b.result): b for b in below.branches}
    for entry in entries:
        found = placed[id(entry.result)]
        moved = found.level != found.scored_level
        mapped = plan.levels[plan.mapping[base.levels.index(found.level)]] if moved else entry.level
        if mapped != entry.level:
            entry.level = mapped
            entry.reasons.append(f"“{below.scheme}”经名额为“{found.level}”,对应本方案的“{mapped}”")
        if PENDING in found.marks:
            entry.marks.append(PENDING)
            entry.reasons.append(f"“{below.scheme}”中待定")


def _quotas(quota: QuotaPass, entries: Sequence[_Entry], plan: CohortPlan, subject: str, scope: str = "") -> None:
    """One pass (plan/cohort.py, 3), top level first, so a branch that falls competes for the
    next level's places. No branch falls below the lowest level with a quota: what overflows
    there stays, marked 待定. Branches tied across a cut (after every 并列 key) are all marked
    待定 at that level, or all fall with `名额并列 落级`. A level's places are never taken by more
    branches than its quota allows; 待定 ones are the committee's to place."""
    levels = plan.levels
    for places in quota.applied:
        index, level, limit = places.level, levels[places.level], places.of(len(entries))
        members = [e for e in entries if e.level == level and PENDING not in e.marks]
        if len(members) <= limit:
            continue
        cut = members[limit].key  # the first branch past the places
        tied = {e.order for e in members if e.key == cut} if limit and members[limit - 1].key == cut else set()
        kept = {e.order for e in members[:limit]} - tied
        for entry in members:
            if entry.order in kept:
                continue
            if entry.order in tied and plan.ties_pending:
                entry.marks.append(PENDING)
                entry.reasons.append(f"{scope}“{level}”名额 {limit} 个,第 {entry.rank} 名与名额线上的{subject}并列,"
                                     f"待定(由评审组研究确定)")
            elif index >= quota.lowest:
                entry.marks.append(PENDING)
                entry.reasons.append(f"{scope}“{level}”名额 {limit} 个,排名第 {entry.rank} 名未入选,"
                                     f"“{level}”已是有名额的最低等级,待定(由评审组研究确定)")
            else:
                entry.level = levels[index + 1]
                entry.reasons.append(f"{scope}“{level}”名额 {limit} 个,排名第 {entry.rank} 名未入选,降为“{entry.level}”")


def _forced_shares(plan: CohortPlan, entries: Sequence[_Entry], compiler: ExprCompiler, subject: str) -> None:
    levels = plan.levels
    grouped: set[int] = set()
    for rule in plan.shares:
        if rule.group is not None:
            test: Compiled = compiler.compile(rule.group.condition)
            group = [e for e in entries if e.order not in grouped and test(e.values)]
            scope = f"“{rule.group.text}”的"
        else:
            group = [e for e in entries if e.order not in grouped]
            scope = "其他" if rule.others and grouped else "全部"
        grouped.update(e.order for e in group)
        rest = group
        if rule.below is not None:  # 另加 低于 L: every branch below L, then P% of the others
            under = [e for e in group if levels.index(e.level) > rule.below]
            for entry in under:
                entry.marks.append(rule.mark)
                entry.reasons.append(f"{scope}{subject}中低于“{levels[rule.below]}”"
                                     f"(为“{entry.level}”),标为“{rule.mark}”")
            rest = [e for e in group if levels.index(e.level) <= rule.below]
        _bottom_share(rule, rest, scope, subject)


def _standing(entry: _Entry) -> int:
    """Where 倒排 puts the branch (plan.cohort.standing)."""
    vetoed = entry.result.vetoed
    # a fast result's values are made when read: a vetoed branch's are not read here
    return standing(vetoed, not vetoed and bool(entry.values[BELOW_PASS_KEY]))


_WHY = {IN_ORDER: "", BELOW_PASS: "(有类型低于达标线,排在其后)", VETOED: "(一票否决,排在最后)"}


def _bottom_share(rule: BottomShare, pool: list[_Entry], scope: str, subject: str) -> None:
    """Marks at least ⌈P × n⌉ of `pool` from the bottom — vetoed branches last, those with a
    section below its 达标 line before them, the rest by rank — every branch tied with the last
    one marked, and every vetoed branch."""
    order = sorted(pool, key=lambda e: (_standing(e), tuple(-k for k in e.key), e.order))
    count = share_count(rule.share, len(order))
    last = (_standing(order[-count]), order[-count].key) if count else None
    share = format_decimal(rule.share * 100)
    for entry in order:
        where = _standing(entry)
        reached = last is not None and (where > last[0] or where == last[0] and entry.key <= last[1])
        if not (reached or where == VETOED):
            continue
        entry.marks.append(rule.mark)
        entry.reasons.append(f"{scope} {len(order)} 个{subject}中倒排 {share}%(至少 {count} 个):"
                             f"第 {entry.rank} 名{_WHY[where]},标为“{rule.mark}”")
