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
import math
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

import attrs

from ..lang import ast
from ..check.conditions import inline
from ..plan.expressions import BELOW_PASS_KEY, Compiled, ExprCompiler
from .grading import SchemeGrader, Values, grader_for, result_values
from ..check.model import CheckedRubric
from ..core.numbers import Exact, format_decimal
from ..eval.result import Result, json_number
from ..check.schemes import scheme_sources
from ..core.sourcetext import SourceTexts


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
         rubric: CheckedRubric | None = None) -> Ranking:
    """Rank `results` (all of one rubric) under `scheme` with its 排名 rules, or `rules`."""
    batch = list(results)
    source = rubric or next((r._rubric for r in batch if r._rubric is not None), None)
    if source is None:
        if not batch:
            return Ranking(scheme, ())
        raise ValueError("results were not made by a loaded rubric; pass rubric=")
    grader = grader_for(source, scheme)
    block = rules if rules is not None else grader.scheme.ranking
    statements = tuple(_lowered(s, source.expandable) for s in block.body) if block is not None else ()
    compiler = ExprCompiler({*source.facts, *source.lets})
    breakers = [compiler.compile(inline(k, source.expandable)) for s in statements if isinstance(s, ast.TieBreak)
                for k in s.keys]
    by_level = source.total_unused  # its total means nothing: the level comes first
    entries = []
    for order, result in enumerate(batch):
        values = result_values(result)
        level = (result.levels.get(scheme) or grader.grade(result, values)).level
        first = Fraction(-grader.index[level]) if by_level else Fraction(result.total)
        key = (first, *(Fraction(b(values)) for b in breakers))
        entries.append(_Entry(result, values, order, key, level, level))
    entries.sort(key=lambda e: (tuple(-k for k in e.key), e.order))
    for position, entry in enumerate(entries):
        same = position > 0 and entries[position - 1].key == entry.key
        entry.rank = entries[position - 1].rank if same else position + 1
    if grader.base is not None:
        _follow_base(entries, grader, rank(batch, grader.base.name, rubric=source))
    ties_pending = next((s.pending for s in reversed(statements) if isinstance(s, ast.QuotaTies)), True)
    texts = SourceTexts(scheme_sources(source))
    quotas = [s for s in statements if isinstance(s, ast.Quota)]
    subject = source.subject
    if any(s.when is None for s in quotas):  # the batch's own quotas, all in one pass
        _quotas([q for s in quotas if s.when is None for q in s.entries], entries, grader.levels, ties_pending,
                subject)
    for statement in quotas:  # a group's quotas: counted and shared out within the group
        if statement.when is not None:
            test = compiler.compile(statement.when)
            _quotas(list(statement.entries), [e for e in entries if test(e.values)], grader.levels, ties_pending,
                    subject, f"“{texts.text(statement.when.span)}”的")
    _forced_shares([s for s in statements if isinstance(s, ast.ForcedShare)], entries, compiler, texts, grader.levels,
                   subject)
    return Ranking(scheme, tuple(RankedBranch(e.result.id, e.result.total, e.rank, e.level, e.scored,
                                              tuple(e.marks), tuple(e.reasons), e.result) for e in entries), subject,
                   by_level)


def _lowered(statement: ast.RankingStatement, conditions: dict[str, ast.NamedCondition]) -> ast.RankingStatement:
    """A 排名 rule with the named conditions of its 当 written out (its text shown as written)."""
    if isinstance(statement, (ast.Quota, ast.ForcedShare)) and statement.when is not None:
        return attrs.evolve(statement, when=attrs.evolve(inline(statement.when, conditions), span=statement.when.span))
    return statement


PENDING = "待定"  # the mark of a branch a quota leaves to the committee


def _follow_base(entries: Sequence[_Entry], grader: SchemeGrader, below: Ranking) -> None:
    """A derived scheme (基于) follows its base's cohort rules: a branch whose base level a quota
    moved takes the level the move maps to, and a 待定 there is 待定 here (a 五星级 that fell to
    四星级 by quota is 良好, not 先进)."""
    placed = {id(b.result): b for b in below.branches}
    for entry in entries:
        base = placed[id(entry.result)]
        mapped = grader.mapping.get(base.level, entry.level) if base.level != base.scored_level else entry.level
        if mapped != entry.level:
            entry.level = mapped
            entry.reasons.append(f"“{below.scheme}”经名额为“{base.level}”,对应本方案的“{mapped}”")
        if PENDING in base.marks:
            entry.marks.append(PENDING)
            entry.reasons.append(f"“{below.scheme}”中待定")


def _quotas(quotas: list[ast.QuotaEntry], entries: Sequence[_Entry], levels: Sequence[str], ties_pending: bool,
            subject: str, scope: str = "") -> None:
    """Top level first, so a branch that falls competes for the next level's places. No branch
    falls below the lowest level with a quota: what overflows there stays, marked 待定. Branches
    tied across a cut (after every 并列 key) are all marked 待定 at that level, or all fall with
    `名额并列 落级`. A level's places are never taken by more branches than its quota allows;
    待定 ones are the committee's to place."""
    limits = {q.level: _limit(q.amount, len(entries)) for q in quotas}
    if not limits:
        return
    lowest = max(levels.index(level) for level in limits)
    for index, level in enumerate(levels[:-1]):
        limit = limits.get(level)
        members = [e for e in entries if e.level == level and PENDING not in e.marks]
        if limit is None or len(members) <= limit:
            continue
        cut = members[limit].key  # the first branch past the places
        tied = {e.order for e in members if e.key == cut} if limit and members[limit - 1].key == cut else set()
        kept = {e.order for e in members[:limit]} - tied
        for entry in members:
            if entry.order in kept:
                continue
            if entry.order in tied and ties_pending:
                entry.marks.append(PENDING)
                entry.reasons.append(f"{scope}“{level}”名额 {limit} 个,第 {entry.rank} 名与名额线上的{subject}并列,"
                                     f"待定(由评审组研究确定)")
            elif index >= lowest:
                entry.marks.append(PENDING)
                entry.reasons.append(f"{scope}“{level}”名额 {limit} 个,排名第 {entry.rank} 名未入选,"
                                     f"“{level}”已是有名额的最低等级,待定(由评审组研究确定)")
            else:
                entry.level = levels[index + 1]
                entry.reasons.append(f"{scope}“{level}”名额 {limit} 个,排名第 {entry.rank} 名未入选,降为“{entry.level}”")


def _limit(amount: ast.Number | ast.Percent, size: int) -> int:
    if isinstance(amount, ast.Percent):
        return math.floor(amount.value * size)
    return int(amount.value)


def _forced_shares(rules: list[ast.ForcedShare], entries: Sequence[_Entry], compiler: ExprCompiler,
                   texts: SourceTexts, levels: Sequence[str], subject: str) -> None:
    grouped: set[int] = set()
    for rule in rules:
        if rule.when is not None:
            test: Compiled = compiler.compile(rule.when)
            group = [e for e in entries if e.order not in grouped and test(e.values)]
            scope = f"“{texts.text(rule.when.span)}”的"
        else:
            group = [e for e in entries if e.order not in grouped]
            scope = "其他" if rule.others and grouped else "全部"
        grouped.update(e.order for e in group)
        rest = group
        if rule.below is not None:  # 另加 低于 L: every branch below L, then P% of the others
            cut = levels.index(rule.below)
            under = [e for e in group if levels.index(e.level) > cut]
            for entry in under:
                entry.marks.append(rule.mark)
                entry.reasons.append(f"{scope}{subject}中低于“{rule.below}”"
                                     f"(为“{entry.level}”),标为“{rule.mark}”")
            rest = [e for e in group if levels.index(e.level) <= cut]
        _bottom_share(rule, rest, scope, subject)


def _standing(entry: _Entry) -> int:
    """Where 倒排 puts a branch: 0 by its rank; 1 after those, a section below its 达标 line;
    2 last of all, a veto fired (否决 outranks any score)."""
    if entry.result.vetoed:
        return 2
    return 1 if entry.values[BELOW_PASS_KEY] else 0  # (a fast result's values are made when read)


def _bottom_share(rule: ast.ForcedShare, pool: list[_Entry], scope: str, subject: str) -> None:
    """Marks at least ⌈P × n⌉ of `pool` from the bottom — vetoed branches last, those with a
    section below its 达标 line before them, the rest by rank — every branch tied with the last
    one marked, and every vetoed branch."""
    order = sorted(pool, key=lambda e: (_standing(e), tuple(-k for k in e.key), e.order))
    count = math.ceil(rule.share.value * len(order))
    last = (_standing(order[-count]), order[-count].key) if count else None
    share = format_decimal(rule.share.value * 100)
    for entry in order:
        standing = _standing(entry)
        reached = last is not None and (standing > last[0] or standing == last[0] and entry.key <= last[1])
        if not (reached or standing == 2):
            continue
        why = {0: "", 1: "(有类型低于达标线,排在其后)", 2: "(一票否决,排在最后)"}[standing]
        entry.marks.append(rule.mark)
        entry.reasons.append(f"{scope} {len(order)} 个{subject}中倒排 {share}%(至少 {count} 个):"
                             f"第 {entry.rank} 名{why},标为“{rule.mark}”")
