"""The typed syntax tree of a .rubric file.

Every node is a frozen attrs value carrying its source span. Spans and spellings (which of
several synonymous keywords the author wrote: 类型/模块, 得/加, 少于/低于) are left out of
equality, so two trees compare equal when they mean the same rubric.
"""

from __future__ import annotations

from fractions import Fraction
import typing
from typing import TypeAlias

import attrs

from ..core.numbers import parse_decimal
from ..core.source import Span


NO_SPAN = Span("<generated>", 0, 0, 0, 0)  # for nodes built in code rather than parsed


def _span() -> Span:
    return attrs.field(default=NO_SPAN, eq=False, repr=False)


def _spelling(default: str = "") -> str:
    return attrs.field(default=default, eq=False, repr=False)


def _lead() -> str:
    """How a clause written condition first joins its condition to its action, as written: "" (the
    canonical order, `不得分 如果 X`), or 的 with what follows it — "的" (X的不得分), "的 " (X的 不得分),
    "的," (X的,不得分), "的, " (X的, 不得分). Outside equality: the meaning is the canonical form's."""
    return attrs.field(default="", eq=False, repr=False)


# ── expressions ──────────────────────────────────────────────────────────────


@attrs.frozen
class Number:
    """A decimal literal; `unit` records a written 分 (points) and does not change meaning."""

    text: str
    span: Span = _span()
    unit: bool = attrs.field(default=False, eq=False, repr=False)
    glued: bool = attrs.field(default=False, eq=False, repr=False)  # written right after its keyword (扣1分)
    # the unit glued after it as a 评分表 prints it (32学时: "学时"); a label the checker matches
    # against the compared fact's 单位, never a conversion
    label: str = attrs.field(default="", eq=False, repr=False)

    @property
    def value(self) -> Fraction:
        return parse_decimal(self.text)


@attrs.frozen
class Percent:
    text: str  # without the % sign
    span: Span = _span()
    glued: bool = attrs.field(default=False, eq=False, repr=False)  # written right after its keyword (权重20%)

    @property
    def value(self) -> Fraction:
        return parse_decimal(self.text) / 100


@attrs.frozen
class Bool:
    value: bool
    span: Span = _span()


@attrs.frozen
class NameRef:
    """A fact, a derived value, or a choice value (the checker decides which)."""

    name: str
    span: Span = _span()


@attrs.frozen
class ScoreRef:
    """`@名称`: the score of an item or section (or group). `path`: the groups written before the
    name (`@组织建设.班子建设`); `part`: "rate" for `@组.得分率` (score ÷ applicable maximum), "max"
    for `@组.满分` (the applicable maximum), None for the score."""

    name: str
    span: Span = _span()
    path: tuple[str, ...] = ()
    part: str | None = None

    @property
    def key_suffix(self) -> str:
        """What the value's key adds to `@名称`."""
        return "" if self.part is None else f".{GROUP_PARTS[self.part]}"


GROUP_PARTS = {"rate": "得分率", "max": "满分"}  # a group value's canonical word, in keys and messages
RATE_WORDS = frozenset({"得分率", "rate"})  # how `@组.得分率` may be spelt


@attrs.frozen
class TotalRef:
    span: Span = _span()


@attrs.frozen
class BelowPassRef:
    """`未达标类型数`: how many sections are below their 达标 line."""

    span: Span = _span()


@attrs.frozen
class Negate:
    operand: Expr
    span: Span = _span()


@attrs.frozen
class Binary:
    op: str  # + - * /
    left: Expr
    right: Expr
    span: Span = _span()


@attrs.frozen
class Compare:
    op: str  # < <= > >= = !=
    left: Expr
    right: Expr
    span: Span = _span()
    spelling: str = _spelling()  # the symbol, the terminal of a word such as 少于, or a 评分表 word (不足) as written


@attrs.frozen
class InList:
    operand: Expr
    options: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class Not:
    operand: Expr
    span: Span = _span()
    spelling: str = _spelling()  # "" for 非/not, else the 评分表 word written (没有, 未)


@attrs.frozen
class And:
    operands: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class Or:
    operands: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class IfElse:
    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span = _span()


@attrs.frozen
class Call:
    function: str  # min | max | floor
    args: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class ListCall:
    function: str  # count_true | count_false | any | all
    items: tuple[Expr, ...]
    span: Span = _span()


Expr: TypeAlias = (
    Number | Percent | Bool | NameRef | ScoreRef | TotalRef | BelowPassRef | Negate | Binary
    | Compare | InList | Not | And | Or | IfElse | Call | ListCall
)
Literal: TypeAlias = Number | Percent | Bool | NameRef


# ── item clauses ─────────────────────────────────────────────────────────────


@attrs.frozen
class DeductIf:
    points: Number
    condition: Expr
    span: Span = _span()
    lead: str = _lead()


@attrs.frozen
class DeductPer:
    """`每 [K] E 扣 N分`: deduct N per unit of E, or per full K units when `step` is given.

    Two 评分表 spellings of it (`form`, outside equality): "each" — `[a, b] 有一项不符合的 扣1分`, E is
    `未满足数[a, b]`; "short" (or "short_glued", 扣 glued on) — `X 不足6项的 每少1项 扣1分`, E is
    `6项 - X` and K the 1项, `shortfall` the comparison as written."""

    points: Number
    per: Expr
    step: Number | None
    span: Span = _span()
    lead: str = _lead()
    form: str = _spelling()
    shortfall: Compare | None = attrs.field(default=None, eq=False, repr=False)


@attrs.frozen
class Award:
    points: Number
    condition: Expr
    span: Span = _span()
    spelling: str = _spelling("K_AWARD")
    lead: str = _lead()


@attrs.frozen
class Zero:
    condition: Expr
    span: Span = _span()
    lead: str = _lead()


@attrs.frozen
class Start:
    points: Number
    span: Span = _span()


JudgedMode: TypeAlias = typing.Literal["judged", "award", "deduct"]


@attrs.frozen
class Judged:
    """`酌情` (the rater's entry is the base), `酌情给分` (`mode` "award": the entry is given on top of
    the points the 扣 N分 如果 clauses do not cover) or `酌情扣分` ("deduct": the entry is taken away);
    check/judged.py says what each means in points."""

    low: Number | None
    high: Number | None
    guidance: str | None
    span: Span = _span()
    mode: JudgedMode = "judged"


JUDGED_TERMINALS: dict[str, JudgedMode] = {"K_JUDGED": "judged", "K_JUDGED_AWARD": "award", "K_JUDGED_DEDUCT": "deduct"}


@attrs.frozen
class Grade:
    name: str
    points: Number
    span: Span = _span()


@attrs.frozen
class Grades:
    levels: tuple[Grade, ...]
    span: Span = _span()


@attrs.frozen
class NotApplicable:
    condition: Expr
    span: Span = _span()
    lead: str = _lead()


@attrs.frozen
class ScoreIs:
    expr: Expr
    span: Span = _span()


@attrs.frozen
class FloorZero:
    span: Span = _span()


@attrs.frozen
class MaxDeduct:
    points: Number
    span: Span = _span()


@attrs.frozen
class AllowNegative:
    span: Span = _span()


@attrs.frozen
class Text:
    kind: str  # criterion (说明) | method (方式)
    text: str
    span: Span = _span()


Clause: TypeAlias = (
    DeductIf | DeductPer | Award | Zero | Start | Judged | Grades | NotApplicable | ScoreIs
    | FloorZero | MaxDeduct | AllowNegative | Text
)


# ── rubric statements ────────────────────────────────────────────────────────


@attrs.frozen
class Item:
    name: str
    points: Number
    clauses: tuple[Clause, ...]
    span: Span = _span()
    name_span: Span = _span()
    spelling: str = _spelling("K_ITEM")


@attrs.frozen
class ChoicePath:
    """One path of a 取其高 / 任选其一: a 路径 of items, or one item standing alone (`bare`)."""

    name: str
    items: tuple[Item, ...]
    span: Span = _span()
    name_span: Span = _span()
    bare: bool = False


@attrs.frozen
class Choice:
    """`取其高 G N分 { paths }` (the section counts the best path) or `任选其一 G N分 以 F { paths }`
    (the path the 选项 fact F names). Its items are also in the section's `items`, in order."""

    kind: str  # "best" | "chosen"
    name: str
    points: Number
    by: str | None  # 任选其一: the fact naming the chosen path
    paths: tuple[ChoicePath, ...]
    span: Span = _span()
    name_span: Span = _span()

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for path in self.paths for item in path.items)


@attrs.frozen
class Section:
    name: str
    points: Number
    pass_line: Number | None
    weight: Percent | None
    items: tuple[Item, ...]  # every item, those of its choices and groups included, in the order written
    span: Span = _span()
    name_span: Span = _span()
    spelling: str = _spelling("K_SECTION")
    choices: tuple[Choice, ...] = ()
    groups: tuple[Section, ...] = ()  # the 类型s written inside it (二级, 三级 …), each with its own items

    @property
    def free_items(self) -> tuple[Item, ...]:
        """The items outside every 取其高 / 任选其一 and every group: each counts in the section's
        score itself."""
        # by identity: a file with two items of one name (E202) is still printed whole by the formatter
        inside = {id(i) for c in self.choices for i in c.items} | {id(i) for g in self.groups for i in g.items}
        return tuple(i for i in self.items if id(i) not in inside)

    @property
    def own_items(self) -> tuple[Item, ...]:
        """The items outside its groups (in a choice or not)."""
        inside = {id(i) for g in self.groups for i in g.items}
        return tuple(i for i in self.items if id(i) not in inside)

    def nested(self) -> tuple[Section, ...]:
        """Its groups at every depth, each before the groups inside it."""
        return tuple(found for g in self.groups for found in (g, *g.nested()))

    @property
    def display_name(self) -> str:
        return self.name


@attrs.frozen
class ExtraSection:
    """A 加分项 (kind "bonus") or 减分项 (kind "penalty") section with its cap."""

    kind: str
    name: str | None
    cap: Number
    items: tuple[Item, ...]
    span: Span = _span()
    name_span: Span = _span()

    @property
    def display_name(self) -> str:
        return self.name or ("加分项" if self.kind == "bonus" else "减分项")


@attrs.frozen
class FactType:
    kind: str  # bool | count | number | ratio | choice
    choices: tuple[str, ...] = ()


@attrs.frozen
class Fact:
    name: str
    type: FactType
    unit: str | None
    default: Literal | None
    description: str | None
    span: Span = _span()
    name_span: Span = _span()


@attrs.frozen
class Let:
    name: str
    expr: Expr
    span: Span = _span()
    name_span: Span = _span()


@attrs.frozen
class Meta:
    key: str  # title | version | source
    text: str
    span: Span = _span()


@attrs.frozen
class MaxScore:
    value: Number
    span: Span = _span()


@attrs.frozen
class TotalUnused:
    """`总分 不计`: the standard's total is not used for grading — its levels are decided by
    conditions alone (a scheme's score line would read the total) and `rank` orders by level."""

    span: Span = _span()


@attrs.frozen
class Rescale:
    value: Number
    span: Span = _span()


@attrs.frozen
class Precision:
    value: Number
    span: Span = _span()


@attrs.frozen
class DefaultSchemes:
    names: tuple[str, ...]
    span: Span = _span()


@attrs.frozen
class Veto:
    condition: Expr
    highest: str | None
    text: str | None
    span: Span = _span()


@attrs.frozen
class Notice:
    """`提示 如果 C "文本"`: the text is shown with a result for which C holds (a matter the
    document leaves to be handled separately, 另行处理); it changes no score and no level."""

    condition: Expr
    text: str
    span: Span = _span()


@attrs.frozen
class Applies:
    """`适用 如果 C`: the branches this standard is for (a 领域's standard: 领域 = 农村); scoring
    a branch for which C does not hold is an evidence error."""

    condition: Expr
    span: Span = _span()


DEFAULT_SUBJECT = "党支部"  # what a standard without a 主体 line rates


@attrs.frozen
class Subject:
    """`主体 "饭店"`: the word for the thing this standard rates, used in every message, form and
    report about it (共 8 个饭店); a standard without one rates 党支部."""

    word: str
    span: Span = _span()
    word_span: Span = _span()


@attrs.frozen
class RaterWeight:
    name: str
    weight: Percent
    span: Span = _span()


@attrs.frozen
class RaterOverride:
    name: str
    span: Span = _span()


@attrs.frozen
class Raters:
    entries: tuple[RaterWeight | RaterOverride, ...]
    span: Span = _span()


@attrs.frozen
class Remove:
    kind: str  # item | section
    name: str
    span: Span = _span()


Container: TypeAlias = Section | ExtraSection
RubricStatement: TypeAlias = (
    Meta | MaxScore | TotalUnused | Rescale | Precision | DefaultSchemes | Fact | Let | Section | ExtraSection
    | Veto | Notice | Applies | Subject | Raters | Remove
)


@attrs.frozen
class Rubric:
    name: str
    parent: str | None
    body: tuple[RubricStatement, ...]
    span: Span = _span()
    name_span: Span = _span()

    @property
    def subject(self) -> str | None:
        """The word of the body's 主体 line (the first); None where there is none: it rates 党支部."""
        return next((s.word for s in self.body if isinstance(s, Subject)), None)


# ── schemes, consequences, ranking ───────────────────────────────────────────


@attrs.frozen
class Level:
    name: str
    bound: Number | None
    conditions: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class LevelMap:
    name: str
    base_levels: tuple[str, ...]
    span: Span = _span()


@attrs.frozen
class Downgrade:
    steps: Number
    condition: Expr
    span: Span = _span()


@attrs.frozen
class OneStepUp:
    span: Span = _span()


@attrs.frozen
class MinimumRow:
    """One row of a 最低要求 table: the value it limits and, per level in the table's order,
    the least value that level requires (None: `-`, no minimum)."""

    value: Expr
    cells: tuple[Expr | None, ...]
    span: Span = _span()


@attrs.frozen
class Minima:
    """`最低要求 L1, L2, … { value: m1, m2, … }`: the least value of each row each level requires."""

    levels: tuple[str, ...]
    rows: tuple[MinimumRow, ...]
    span: Span = _span()
    level_spans: tuple[Span, ...] = attrs.field(default=(), eq=False, repr=False)


SchemeStatement: TypeAlias = Level | LevelMap | Downgrade | OneStepUp | Minima


@attrs.frozen
class Scheme:
    name: str
    display: str | None
    base: str | None
    body: tuple[SchemeStatement, ...]
    span: Span = _span()
    name_span: Span = _span()


@attrs.frozen
class Measure:
    level: str
    years: Number | None
    texts: tuple[str, ...]
    span: Span = _span()


@attrs.frozen
class Consequences:
    scheme: str
    measures: tuple[Measure, ...]
    span: Span = _span()
    name_span: Span = _span()


@attrs.frozen
class QuotaEntry:
    level: str
    amount: Number | Percent
    span: Span = _span()


@attrs.frozen
class Quota:
    entries: tuple[QuotaEntry, ...]
    span: Span = _span()
    when: Expr | None = None  # 当 C: the quotas hold within the branches where C holds


@attrs.frozen
class ForcedShare:
    share: Percent
    mark: str
    when: Expr | None
    others: bool
    span: Span = _span()
    below: str | None = None  # 另加 低于 L: every branch of the group below level L is marked too
    below_span: Span = _span()


@attrs.frozen
class TieBreak:
    keys: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class QuotaTies:
    """名额并列 待定 | 落级: branches tied across a quota's cut are referred to the committee
    (`pending`, the default) or all fall a level."""

    pending: bool
    span: Span = _span()


RankingStatement: TypeAlias = Quota | ForcedShare | TieBreak | QuotaTies


@attrs.frozen
class Ranking:
    scheme: str
    body: tuple[RankingStatement, ...]
    span: Span = _span()
    name_span: Span = _span()


@attrs.frozen
class Import:
    path: str
    span: Span = _span()


@attrs.frozen
class NamedCondition:
    """`条件 名称 = C` at a file's top level: a condition every scheme and standard of the program
    may use by name (a level's `且 名称`, 降档, 否决, 提示, 排名's 当); grading substitutes C."""

    name: str
    expr: Expr
    span: Span = _span()
    name_span: Span = _span()


TopLevel: TypeAlias = Import | Scheme | Consequences | Ranking | Rubric | NamedCondition


@attrs.frozen
class Comment:
    text: str
    span: Span = _span()


@attrs.frozen
class Module:
    """One parsed file: its blocks in order, its comments, and the original text."""

    filename: str
    blocks: tuple[TopLevel, ...]
    text: str = attrs.field(eq=False, repr=False)
    comments: tuple[Comment, ...] = attrs.field(default=(), eq=False, repr=False)
