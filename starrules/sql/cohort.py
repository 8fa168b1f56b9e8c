"""Cohort rules (排名, docs/language.md §7; grade/ranking.py is the reference) as window
functions in an outer query over the scoring and grading query: each scheme's cohort plan
(plan/cohort.py, where the rules' meaning is written) run as SQL.

`cohort_extras` names the per-row values the rules read — each 并列 key and each 当 condition,
named conditions written out — for the inner query to compute as columns; `cohort_query` wraps
that query in a chain of CTEs, one per step that depends on the one before:

- rank: RANK() over the key (总分, or the level for 总分 不计, then each 并列 key), best first;
- quotas (名额), pass by pass (the batch's lines together, then each `当` line in its group), a
  CTE per level with a quota, top level first, since a branch that falls competes for the next
  level's places. A member of level i is kept iff COUNT(*) OVER (its members ORDER BY key DESC)
  — the default RANGE frame counts its peers, so this is the number at or above it — is at
  most the limit; a branch not kept with RANK() ≤ limit is tied across the cut;
- forced bottom shares (倒排): a branch of the rule's pool is marked iff it is vetoed or its
  RANK() OVER (pool ORDER BY standing DESC, key ASC) ≤ ⌈P·n⌉ — that is, it stands no higher
  than the ⌈P·n⌉-th from the bottom — and `另加 低于 L` marks every branch below L;
- a derived scheme (基于) follows its base's quotas: the base's steps come first (the base must
  be one of `schemes` when a 名额 of its chain can move a level; else E607).

With `within` (a fact: ranking within groups, plan/cohort.py) each value of the fact is a batch of
its own: the column `_within` (WITHIN) comes first in every PARTITION BY the query makes, so each
rank, each count n and each window reads only the rows of one value. A NULL there (only on a row
that skipped validation) is a value of its own, as SQL's PARTITION BY and Python's str(None) agree.

The query gives levels, 待定 and marks, not the reasons `rank` writes (why a branch fell or was
marked): those stay with the Python engine.

Every count is a BIGINT: ⌊P·n⌋ = (p·n) DIV q and ⌈P·n⌉ = (p·n + q − 1) DIV q for P = p/q (n ≥ 0,
so truncating division is floor division). A row whose `error` is not NULL takes no part: it is
in no partition the rules read, and its rank, level, 待定 and marks are NULL.

The inner query must give `error`, `total_units`, `below_pass`, `veto_{v}` for every veto,
`level_{k}_code` (0 = best) for every scheme k (1-based in `schemes`) and each extra, named as
`cohort_extras` names it: a condition as a BOOLEAN, a number as a BIGINT in the same order (a
numerator over a denominator that is the same for every row), and with `within` the fact's value
(a choice as VARCHAR, a 是否 as BOOLEAN, a number as its BIGINT numerator).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import attrs
from sqlglot import exp

from ..check.model import CheckedRubric
from ..lang import ast
from ..plan.cohort import BELOW_PASS, IN_ORDER, VETOED, CohortPlan, Group, Places, QuotaPass, cohort_plan, \
    within_fact
from .numbers import add, case, lit, mul, resolve, trunc_div
from .scoring import FENCED, unsupported

_IN = "_cohort_in"  # the inner query, as a CTE
_SCORED = "_scored"  # error IS NULL: the row takes part
_STANDING = "_standing"  # 倒排's order (plan.cohort.standing)
WITHIN = "_within"  # the value of the fact a ranking within groups splits the batch by


@attrs.frozen
class CohortColumn:
    """An output column of the cohort query: what it holds, for which scheme; `mark` is the
    mark text (e.g. 相对后进) a `mark` column flags."""

    column: str
    kind: Literal["rank", "level", "level_code", "pending", "mark"]
    scheme: str
    mark: str | None = None


@attrs.frozen
class _Rules:
    """One scheme's cohort plan as the query names it: the scheme is the k-th of `schemes`; the
    extra column of each 并列 key and each 当 condition, and every column of its steps, are
    named from k."""

    k: int
    plan: CohortPlan
    within: bool = False  # each value of WITHIN a batch of its own

    @property
    def keys(self) -> tuple[tuple[str, ast.Expr], ...]:
        """(column, key) in 并列 order."""
        return tuple((self.name(f"tie{i}"), key) for i, key in enumerate(self.plan.tie_keys, 1))

    @property
    def whens(self) -> tuple[tuple[str, ast.Expr], ...]:
        """(column, condition) of each 当 group, in the order written."""
        return tuple((self.when(group), group.condition) for group in self.plan.groups)

    def when(self, group: Group) -> str:
        return self.name(f"when{group.position}")

    def name(self, what: str) -> str:
        return f"_k{self.k}_{what}"

    def rank_of(self, partition: exp.Expr, order: Sequence[exp.Ordered]) -> exp.Expr:
        return self.window(exp.Rank(), partition, order)

    def count_of(self, partition: exp.Expr, order: Sequence[exp.Ordered] = ()) -> exp.Expr:
        """COUNT(*) over the partition; with an order, the default RANGE frame counts the rows up
        to the current one and every peer of it."""
        return self.window(exp.Count(this=exp.Star(), big_int=True), partition, order)

    def window(self, function: exp.Expr, partition: exp.Expr, order: Sequence[exp.Ordered] = ()) -> exp.Window:
        """Every window of the query: within groups, the group's value partitions first."""
        parts = [_col(WITHIN)] if self.within else []
        window = exp.Window(this=function, partition_by=[*parts, partition.copy()], over="OVER")
        if order:
            window.set("order", exp.Order(expressions=[o.copy() for o in order]))
        return window


def cohort_extras(rubric: CheckedRubric, schemes: Sequence[str], within: str | None = None) -> dict[str, ast.Expr]:
    """The per-row values the cohort rules of `schemes` read, by the column name the inner query
    must give each: with `within`, the fact (WITHIN); every 并列 key (a number) and every 当
    condition (a 是否). A `within` that is no fact of the standard raises ValueError."""
    every = [_rules(rubric, k, scheme) for k, scheme in enumerate(schemes, 1)]
    extras: dict[str, ast.Expr] = {}
    if within is not None:
        extras[WITHIN] = ast.NameRef(within_fact(rubric, within), rubric.facts[within].name_span)
    for rules in every:
        _base(rules, every, rubric)  # a base that cannot be followed is refused before any query is made
        extras.update(rules.keys)
        extras.update(rules.whens)
    return extras


def cohort_columns(rubric: CheckedRubric, schemes: Sequence[str]) -> tuple[CohortColumn, ...]:
    """The columns `cohort_query` adds, in order: per scheme k `rank_{k}`, `final_level_{k}`,
    `final_level_{k}_code`, `pending_{k}` and `mark_{k}_{j}` for its j-th distinct mark text."""
    out: list[CohortColumn] = []
    for k, scheme in enumerate(schemes, 1):
        out += [CohortColumn(f"rank_{k}", "rank", scheme), CohortColumn(f"final_level_{k}", "level", scheme),
                CohortColumn(f"final_level_{k}_code", "level_code", scheme),
                CohortColumn(f"pending_{k}", "pending", scheme)]
        out += [CohortColumn(f"mark_{k}_{j}", "mark", scheme, text)
                for j, text in enumerate(cohort_plan(rubric, scheme).marks, 1)]
    return tuple(out)


def cohort_query(rubric: CheckedRubric, schemes: Sequence[str], inner: exp.Select, dialect: str,
                 within: str | None = None) -> exp.Select:
    """`inner` (the scoring and grading query, with the extras) and, per scheme, the cohort
    columns of `cohort_columns`: every column of `inner` is kept, in its order. `within`: a
    fact, each of whose values is ranked as a batch of its own (ValueError if it is no fact)."""
    if within is not None:
        within_fact(rubric, within)  # before any query is made
    grouped = within is not None
    rules = [_rules(rubric, k, scheme, grouped) for k, scheme in enumerate(schemes, 1)]
    for scheme in rules:
        _base(scheme, rules, rubric)  # E607 first: the author's problem before the caller's
    kept = list(inner.named_selects)
    _require(kept, rubric, rules, grouped)
    chain = _Chain(inner, dialect)
    first: dict[str, exp.Expr] = {_SCORED: exp.Is(this=_col("error"), expression=exp.Null())}
    if any(r.plan.shares for r in rules):
        first[_STANDING] = _standing(rubric)
    chain.step(first)
    outputs: dict[str, exp.Expr] = {}
    done: dict[int, _Final] = {}
    for scheme in rules:
        _scheme(scheme, rules, rubric, chain, done)
    for scheme in rules:
        outputs.update(_outputs(scheme, done[scheme.k]))
    final = exp.select(*(_col(c) for c in kept), *(exp.alias_(e, c, quoted=True) for c, e in outputs.items()))
    query = chain.select(final)
    resolved = resolve(query, dialect)
    assert isinstance(resolved, exp.Select)
    return resolved


def cohort_sql(rubric: CheckedRubric, schemes: Sequence[str], inner: exp.Select, dialect: str,
               pretty: bool = False, within: str | None = None) -> str:
    return cohort_query(rubric, schemes, inner, dialect, within).sql(dialect=dialect, pretty=pretty)


# the rules of a scheme, as the query names them

def _rules(rubric: CheckedRubric, k: int, scheme: str, within: bool = False) -> _Rules:
    return _Rules(k, cohort_plan(rubric, scheme), within)


def _require(kept: Sequence[str], rubric: CheckedRubric, rules: Sequence[_Rules], within: bool) -> None:
    """The inner query gives every column the rules read (a caller's mistake, not the author's)."""
    needed = ["error", *([WITHIN] if within else [])]
    if not all(r.plan.by_level for r in rules):
        needed.append("total_units")
    if any(r.plan.shares for r in rules):
        needed += ["below_pass", *(f"veto_{v}" for v in range(1, len(rubric.vetoes) + 1))]
    for scheme in rules:
        needed += [f"level_{scheme.k}_code", *(c for c, _ in scheme.keys), *(c for c, _ in scheme.whens)]
    missing = [c for c in needed if c not in kept]
    if missing:
        raise ValueError(f"the inner query lacks the columns {missing} (it gives {list(kept)})")


def _standing(rubric: CheckedRubric) -> exp.Expr:
    """Where 倒排 puts a branch (plan.cohort.standing): VETOED, a veto fired (result.vetoed: any
    veto, one that caps the level too); BELOW_PASS, a section below its 达标 line; IN_ORDER the
    rest, by the key."""
    vetoes = [_col(f"veto_{v}") for v in range(1, len(rubric.vetoes) + 1)]
    standing = exp.Case()
    if vetoes:
        standing = standing.when(_any(*vetoes), lit(VETOED))
    return standing.when(exp.GT(this=_col("below_pass"), expression=lit(0)), lit(BELOW_PASS)).else_(lit(IN_ORDER))


@attrs.frozen
class _Final:
    """Where a scheme's cohort state ends: its rank, level code and 待定 columns, and each mark's
    expression."""

    rank: str
    level: str
    pending: str
    marks: dict[str, exp.Expr]


class _Chain:
    """The CTEs: the inner query's own (hoisted to the top), the inner query, then one CTE per
    step, each `SELECT *, new columns FROM` the one before. Where a planner would merge a CTE
    into its reader by copying expressions (scoring.FENCED), each of ours is fenced too."""

    def __init__(self, inner: exp.Select, dialect: str) -> None:
        body = inner.copy()
        hoisted = body.args.get("with_")
        body.set("with_", None)
        self.fenced = dialect in FENCED
        self.ctes: list[tuple[str, exp.Expr]] = [(c.alias, c.this) for c in hoisted.expressions] if hoisted else []
        self.ctes.append((_IN, self.fence(body)))
        self.count = 0

    def fence(self, select: exp.Select) -> exp.Select:
        return select.offset(0, copy=False) if self.fenced else select

    def step(self, columns: Mapping[str, exp.Expr]) -> None:
        name = f"_cohort{self.count}"
        self.count += 1
        select = exp.select(exp.Star(), *(exp.alias_(e, c, quoted=True) for c, e in columns.items()))
        self.ctes.append((name, self.fence(select.from_(exp.to_table(self.ctes[-1][0])))))

    def select(self, final: exp.Select) -> exp.Select:
        query = final.from_(exp.to_table(self.ctes[-1][0]))
        for name, cte in self.ctes:
            query = query.with_(name, as_=cte, copy=False)  # (copying at each call would be quadratic)
        return query


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _key(rules: _Rules, best_first: bool) -> list[exp.Ordered]:
    """The rank key as ORDER BY terms: the total (or the level, 0 best, for 总分 不计), then each
    并列 key — larger better — best first or worst first."""
    first = exp.Ordered(this=_col(f"level_{rules.k}_code"), desc=not best_first) if rules.plan.by_level \
        else exp.Ordered(this=_col("total_units"), desc=best_first)
    return [first, *(exp.Ordered(this=_col(c), desc=best_first) for c, _ in rules.keys)]


def _all(*parts: exp.Expr) -> exp.Expr:
    return exp.and_(*(p.copy() for p in parts))  # sqlglot brackets an AND / OR operand itself


def _any(*parts: exp.Expr) -> exp.Expr:
    return exp.or_(*(p.copy() for p in parts))


def _not(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=e.copy() if isinstance(e, (exp.Column, exp.Boolean)) else exp.Paren(this=e.copy()))


def _when(rules: _Rules, group: Group | None) -> exp.Expr | None:
    return None if group is None else _col(rules.when(group))


# the steps of one scheme

def _scheme(rules: _Rules, every: Sequence[_Rules], rubric: CheckedRubric, chain: _Chain,
            done: dict[int, _Final]) -> None:
    """Adds the scheme's CTEs (its base's first, when it follows one) and records where they end:
    the rank, the level and 待定 to start from, each quota pass's group and limits; a CTE pair
    per level with a quota; the forced shares."""
    if rules.k in done:
        return
    base = _base(rules, every, rubric)
    if base is not None:
        _scheme(base, every, rubric, chain, done)
    scored = _col(_SCORED)
    level, pending = rules.name("lv0"), rules.name("pd0")
    start, waiting = _start(rules, base, done)
    passes = _passes(rules)
    first = {rules.name("rank"): rules.rank_of(scored, _key(rules, True)),
             level: case(scored, start, exp.Null()), pending: case(scored, waiting, exp.Null())}
    for quota in passes:
        first[quota.group] = quota.where
        first.update((quota.limit(index), limit) for index, limit in quota.limits.items())
    chain.step(first)
    for quota in passes:
        level, pending = _quota_pass(rules, quota, level, pending, chain)
    done[rules.k] = _Final(rules.name("rank"), level, pending, _shares(rules, level, chain))


def _base(rules: _Rules, every: Sequence[_Rules], rubric: CheckedRubric) -> _Rules | None:
    """The base scheme (基于) this one follows through the query: the rules of the base among
    `schemes`; None when there is none, or when no 名额 of the base chain can move a level.
    A base whose quotas matter but which is not graded here cannot be followed (E607)."""
    base = rules.plan.base
    if base is None:
        return None
    listed = next((r for r in every if r.plan.scheme == base.scheme), None)
    if listed is not None:
        return listed
    quota = base.moving_quota
    if quota is None:
        return None
    raise unsupported(rubric, quota,
                      f"“{rules.plan.scheme}”基于“{base.scheme}”,要随“{base.scheme}”的名额调整等级,"
                      f"但 SQL 查询没有按“{base.scheme}”定级",
                      f"把“{base.scheme}”也列入要定级的方案(schemes)")


def _start(rules: _Rules, base: _Rules | None, done: Mapping[int, _Final]) -> tuple[exp.Expr, exp.Expr]:
    """The level code and 待定 flag the quotas start from: the graded level, not 待定; for a
    scheme following its base, the level its base's quotas moved it to (through the mapping,
    only where they moved it) and the base's 待定 (ranking._follow_base)."""
    graded = _col(f"level_{rules.k}_code")
    if base is None:
        return graded, exp.false()
    followed = done[base.k]
    moved = exp.NEQ(this=_col(followed.level), expression=_col(f"level_{base.k}_code"))
    mapped = exp.Case(this=_col(followed.level))
    for index, target in enumerate(rules.plan.mapping):
        mapped = mapped.when(lit(index), lit(target))
    return case(moved, mapped, graded), _col(followed.pending)


@attrs.frozen
class _Pass:
    """A pass of quotas (plan.cohort.QuotaPass) in the query: its group (a flag column, and what
    it is), and each level index's limit (the expression; its column is `limit(index)`)."""

    rules: _Rules
    plan: QuotaPass
    where: exp.Expr
    limits: dict[int, exp.Expr]

    @property
    def number(self) -> int:
        return self.plan.number

    @property
    def group(self) -> str:
        return self.rules.name(f"group{self.number}")

    def limit(self, index: int) -> str:
        return self.rules.name(f"limit{self.number}_{index}")


def _passes(rules: _Rules) -> list[_Pass]:
    """The plan's quota passes, each group a flag over the rows that take part and each limit
    over the group's size."""
    scored = _col(_SCORED)
    out: list[_Pass] = []
    for quota in rules.plan.passes:
        when = _when(rules, quota.group)
        where = scored if when is None else _all(scored, when)
        size = rules.count_of(where)
        out.append(_Pass(rules, quota, where, {places.level: _limit(places, size) for places in quota.places}))
    return out


def _limit(places: Places, size: exp.Expr) -> exp.Expr:
    """A quota's places (Places.of): a count as written, or ⌊P·n⌋ = (p·n) DIV q (n ≥ 0:
    truncation is floor)."""
    share = places.share
    if share is None:
        assert places.count is not None
        return lit(places.count)
    return trunc_div(mul(lit(share.numerator), size.copy()), lit(share.denominator))


def _quota_pass(rules: _Rules, quota: _Pass, level: str, pending: str, chain: _Chain) -> tuple[str, str]:
    """One pass of quotas (plan/cohort.py, 3), top level first; per level with a quota, a CTE of
    window flags and one of the new level and 待定. A member (in the group, at the level, not
    待定) is over the quota iff more than `limit` members stand at or above it (COUNT(*) with
    the default RANGE frame counts its peers), and tied across the cut iff also RANK() ≤ limit.
    No branch falls below the lowest level with a quota (there it stays, 待定); branches tied
    across a cut are 待定 (or all fall, 名额并列 落级). 待定 branches hold no place."""
    lowest, ties_pending = quota.plan.lowest, rules.plan.ties_pending
    for places in quota.plan.applied:
        index = places.level
        limit = _col(quota.limit(index))
        member = _all(_col(quota.group), exp.EQ(this=_col(level), expression=lit(index)), _not(_col(pending)))
        order = _key(rules, True)
        tag = f"{quota.number}_{index}"
        over, tied = rules.name(f"over{tag}"), rules.name(f"tied{tag}")
        windows = {over: _all(member, exp.GT(this=rules.count_of(member, order), expression=limit))}
        if index < lowest and ties_pending:  # only then does a tie across the cut differ
            windows[tied] = exp.LTE(this=rules.rank_of(member, order), expression=limit)
        chain.step(windows)
        columns: dict[str, exp.Expr] = {}
        new_level, new_pending = rules.name(f"lv{tag}"), rules.name(f"pd{tag}")
        if index >= lowest:  # none falls below the lowest level with a quota: all over it are 待定
            columns[new_pending] = _any(_col(pending), _col(over))
        elif ties_pending:  # tied across the cut: 待定; the others over it fall
            columns[new_pending] = _any(_col(pending), _all(_col(over), _col(tied)))
            columns[new_level] = case(_all(_col(over), _not(_col(tied))), lit(index + 1), _col(level))
        else:  # 名额并列 落级: every one over it falls
            columns[new_level] = case(_col(over), lit(index + 1), _col(level))
        chain.step(columns)
        level = new_level if new_level in columns else level
        pending = new_pending if new_pending in columns else pending
    return level, pending


def _shares(rules: _Rules, level: str, chain: _Chain) -> dict[str, exp.Expr]:
    """Each mark's expression (plan/cohort.py, 4). A rule's group is the branches its 当
    holds for and no earlier rule's did; `另加 低于 L` marks those below L (after the quotas),
    and the others are its pool, marked from the bottom — vetoed last (each marked), those with
    a section below its 达标 line before them, the rest by the key — while RANK() from the
    bottom ≤ ⌈P·n⌉: one CTE of groups and pools, one of marks."""
    if not rules.plan.shares:
        return {}
    scored = _col(_SCORED)
    pools: dict[str, exp.Expr] = {}
    marked: dict[str, exp.Expr] = {}
    found: dict[str, list[exp.Expr]] = {}
    earlier: list[exp.Expr] = []
    for rule in rules.plan.shares:
        number = rule.number
        when = _when(rules, rule.group)
        group = _all(scored, *([when] if when is not None else []), *(_not(e) for e in earlier))
        earlier.append(when if when is not None else exp.true())
        pool, under, mark = rules.name(f"pool{number}"), rules.name(f"under{number}"), rules.name(f"mark{number}")
        if rule.below is not None:
            below = exp.GT(this=_col(level), expression=lit(rule.below))
            pools[under] = _all(group, below)
            pools[pool] = _all(group, _not(below))
        else:
            pools[pool] = group
        share = rule.share
        size = rules.count_of(_col(pool))
        # ⌈P·n⌉ (share_count) = (p·n + q − 1) DIV q
        places = trunc_div(add(mul(lit(share.numerator), size), lit(share.denominator - 1)), lit(share.denominator))
        worst_first = [exp.Ordered(this=_col(_STANDING), desc=True), *_key(rules, False)]
        reached = exp.LTE(this=rules.rank_of(_col(pool), worst_first), expression=places)
        marked[mark] = _all(_col(pool), _any(exp.EQ(this=_col(_STANDING), expression=lit(VETOED)), reached))
        found.setdefault(rule.mark, []).extend([*([_col(under)] if rule.below is not None else []), _col(mark)])
    chain.step(pools)
    chain.step(marked)
    return {text: _any(*parts) for text, parts in found.items()}


def _outputs(rules: _Rules, final: _Final) -> dict[str, exp.Expr]:
    """The scheme's output columns, NULL for a row with an error."""
    scored = _col(_SCORED)
    k = rules.k
    names = exp.Case(this=_col(final.level))
    for index, name in enumerate(rules.plan.levels):
        names = names.when(lit(index), exp.Literal.string(name))
    out: dict[str, exp.Expr] = {
        f"rank_{k}": case(scored, exp.cast(_col(final.rank), "BIGINT"), exp.Null()),
        f"final_level_{k}": names,
        f"final_level_{k}_code": _col(final.level),
        f"pending_{k}": _col(final.pending)}
    for j, mark in enumerate(rules.plan.marks, 1):
        out[f"mark_{k}_{j}"] = case(scored, final.marks[mark], exp.Null())
    return out

