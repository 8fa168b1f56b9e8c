"""Hypothesis strategies for rubric syntax trees in the shape the parser produces."""

from __future__ import annotations

import attrs
from hypothesis import strategies as st

from starrules import ast

NAMES = st.sampled_from(["甲", "乙", "党员人数", "a1", "组织_覆盖", "村(社区)", "如果", "x y", "12岁", "服务“两新”"])
TEXTS = st.text(alphabet=st.sampled_from(list('ab 甲乙“”"\\#{}%')), max_size=8)
INTEGERS = st.integers(0, 120).map(str)
DECIMALS = st.one_of(INTEGERS, st.tuples(st.integers(0, 99), st.sampled_from(["5", "25", "1"])).map(
    lambda p: f"{p[0]}.{p[1]}"))
NUMBERS = st.builds(ast.Number, DECIMALS, unit=st.booleans())
POINTS = st.builds(ast.Number, DECIMALS)
PERCENTS = st.builds(ast.Percent, INTEGERS)
COMPARE_SPELLINGS = {"<": ["<", "K_FEWER", "K_LOWER"], "<=": ["<=", "K_NOT_MORE", "K_NOT_HIGHER"],
                     ">": [">", "K_MORE", "K_HIGHER"], ">=": [">=", "K_NOT_FEWER", "K_NOT_LOWER"],
                     "=": ["=", "K_EQUALS"], "!=": ["!="]}

LEAVES = st.one_of(
    NUMBERS, PERCENTS, st.builds(ast.Bool, st.booleans()), st.builds(ast.NameRef, NAMES),
    st.builds(ast.ScoreRef, NAMES),
    st.builds(ast.ScoreRef, NAMES, path=st.lists(NAMES, max_size=2).map(tuple),  # @组.班子建设.得分率
              part=st.sampled_from([None, "rate", "max"])),
    st.just(ast.TotalRef()), st.just(ast.BelowPassRef()))


def _compare(draw_args: tuple[str, ast.Expr, ast.Expr, int]) -> ast.Compare:
    op, left, right, pick = draw_args
    spellings = COMPARE_SPELLINGS[op]
    return ast.Compare(op, left, right, spelling=spellings[pick % len(spellings)])


def _extend(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    def not_kind(kind: type) -> st.SearchStrategy[ast.Expr]:
        return children.filter(lambda e: not isinstance(e, kind))

    several = st.lists(children, min_size=1, max_size=3).map(tuple)
    return st.one_of(
        st.builds(ast.Negate, children),
        st.builds(ast.Binary, st.sampled_from("+-*/"), children, children),
        st.tuples(st.sampled_from(list(COMPARE_SPELLINGS)), children, children, st.integers(0, 2)).map(_compare),
        st.builds(ast.InList, children, several),
        st.builds(ast.Not, children),
        st.builds(ast.And, st.lists(not_kind(ast.And), min_size=2, max_size=3).map(tuple)),
        st.builds(ast.Or, st.lists(not_kind(ast.Or), min_size=2, max_size=3).map(tuple)),
        st.builds(ast.IfElse, children, children, children),
        st.builds(ast.Call, st.sampled_from(["min", "max"]), several),
        st.builds(ast.Call, st.just("floor"), children.map(lambda e: (e,))),
        st.builds(ast.ListCall, st.sampled_from(["count_true", "count_false", "any", "all"]), several),
    )


EXPRS = st.recursive(LEAVES, _extend, max_leaves=8)
OPTIONAL_TEXT = st.none() | TEXTS

JUDGED_MODES = st.sampled_from(["judged", "award", "deduct"])  # 酌情, 酌情给分, 酌情扣分

CLAUSES = st.one_of(
    st.builds(ast.DeductIf, POINTS, EXPRS),
    st.builds(ast.DeductPer, POINTS, EXPRS, st.none() | st.builds(ast.Number, INTEGERS)),
    st.builds(ast.Award, POINTS, EXPRS, spelling=st.sampled_from(["K_AWARD", "K_ADD"])),
    st.builds(ast.Zero, EXPRS), st.builds(ast.Start, POINTS),
    st.one_of(st.builds(ast.Judged, st.none(), st.none(), OPTIONAL_TEXT, mode=JUDGED_MODES),
              st.builds(ast.Judged, POINTS, POINTS, OPTIONAL_TEXT, mode=JUDGED_MODES)),
    st.builds(ast.Grades, st.lists(st.builds(ast.Grade, NAMES, POINTS), min_size=1, max_size=3).map(tuple)),
    st.builds(ast.NotApplicable, EXPRS), st.builds(ast.ScoreIs, EXPRS), st.just(ast.FloorZero()),
    st.builds(ast.MaxDeduct, POINTS), st.just(ast.AllowNegative()),
    st.builds(ast.Text, st.sampled_from(["criterion", "method"]), TEXTS),
)
ITEMS = st.builds(ast.Item, NAMES, POINTS, st.lists(CLAUSES, max_size=4).map(tuple),
                  spelling=st.sampled_from(["K_ITEM", "K_INDICATOR"]))
ITEM_LISTS = st.lists(ITEMS, max_size=3).map(tuple)


def _holding(section: ast.Section, groups: list[ast.Section]) -> ast.Section:
    """`section` with `groups` written after its own items: its items then list theirs too, as the
    parser gives them."""
    return attrs.evolve(section, items=(*section.items, *(i for g in groups for i in g.items)), groups=tuple(groups))


FACT_TYPES = st.one_of(st.builds(ast.FactType, st.sampled_from(["bool", "count", "number", "ratio"])),
                       st.builds(ast.FactType, st.just("choice"), st.lists(NAMES, min_size=1, max_size=3).map(tuple)))
DEFAULTS = st.none() | NUMBERS | PERCENTS | st.builds(ast.Bool, st.booleans()) | st.builds(ast.NameRef, NAMES)
STATEMENTS = st.one_of(
    st.builds(ast.Meta, st.sampled_from(["title", "version", "source"]), TEXTS),
    st.builds(ast.MaxScore, POINTS), st.builds(ast.Rescale, POINTS), st.builds(ast.Precision, POINTS),
    st.builds(ast.DefaultSchemes, st.lists(NAMES, min_size=1, max_size=3).map(tuple)),
    st.builds(ast.Fact, NAMES, FACT_TYPES, OPTIONAL_TEXT, DEFAULTS, OPTIONAL_TEXT),
    st.builds(ast.Let, NAMES, EXPRS),
    st.builds(ast.Section, NAMES, POINTS, st.none() | POINTS, st.none() | PERCENTS, ITEM_LISTS,
              spelling=st.sampled_from(["K_SECTION", "K_MODULE"])),
    st.builds(lambda section, groups: _holding(section, groups),  # a 类型 with 类型s in it, two deep at most
              st.builds(ast.Section, NAMES, POINTS, st.none() | POINTS, st.none() | PERCENTS, ITEM_LISTS),
              st.lists(st.builds(lambda section, groups: _holding(section, groups),
                                 st.builds(ast.Section, NAMES, POINTS, st.none() | POINTS, st.none(), ITEM_LISTS),
                                 st.lists(st.builds(ast.Section, NAMES, POINTS, st.none(), st.none(), ITEM_LISTS),
                                          max_size=1)), min_size=1, max_size=2)),
    st.builds(ast.ExtraSection, st.sampled_from(["bonus", "penalty"]), st.none() | NAMES, POINTS, ITEM_LISTS),
    st.builds(ast.Veto, EXPRS, st.none() | NAMES, OPTIONAL_TEXT),
    st.builds(ast.Raters, st.lists(st.builds(ast.RaterWeight, NAMES, PERCENTS) | st.builds(ast.RaterOverride, NAMES),
                                   max_size=3).map(tuple)),
    st.builds(ast.Remove, st.sampled_from(["item", "section"]), NAMES),
)
RUBRICS = st.builds(ast.Rubric, NAMES, st.none() | NAMES, st.lists(STATEMENTS, max_size=5).map(tuple))
SCHEME_BODY = st.lists(st.one_of(
    st.builds(ast.Level, NAMES, st.none() | POINTS, st.lists(EXPRS, max_size=2).map(tuple)),
    st.builds(ast.LevelMap, NAMES, st.lists(NAMES, min_size=1, max_size=2).map(tuple)),
    st.builds(ast.Downgrade, st.builds(ast.Number, INTEGERS), EXPRS), st.just(ast.OneStepUp())), max_size=4)
SCHEMES = st.builds(ast.Scheme, NAMES, OPTIONAL_TEXT, st.none() | NAMES, SCHEME_BODY.map(tuple))
CONSEQUENCES = st.builds(ast.Consequences, NAMES, st.lists(st.builds(
    ast.Measure, NAMES, st.none() | st.builds(ast.Number, INTEGERS), st.lists(TEXTS, min_size=1, max_size=2).map(tuple)),
    max_size=3).map(tuple))
RANKINGS = st.builds(ast.Ranking, NAMES, st.lists(st.one_of(
    st.builds(ast.Quota, st.lists(st.builds(ast.QuotaEntry, NAMES, st.builds(ast.Number, INTEGERS) | PERCENTS),
                                  min_size=1, max_size=3).map(tuple)),
    st.builds(ast.ForcedShare, PERCENTS, NAMES, EXPRS, st.just(False)),
    st.builds(ast.ForcedShare, PERCENTS, NAMES, st.none(), st.booleans()),
    st.builds(ast.TieBreak, st.lists(EXPRS, min_size=1, max_size=2).map(tuple))), max_size=3).map(tuple))
BLOCKS = st.lists(st.one_of(st.builds(ast.Import, TEXTS), SCHEMES, CONSEQUENCES, RANKINGS, RUBRICS),
                  min_size=1, max_size=3).map(tuple)
