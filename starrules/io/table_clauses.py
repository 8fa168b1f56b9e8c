"""`starrules import`, recognising: a 考评方式 text split into clauses, each turned into a rule of the
language or left for a person to decide.

A clause is a piece of the text that scores: it says 扣 / 得 / 给 / 加 … 分, 不得分, 扣完为止,
酌情 or 另行处理. Sentences end at 。;;; inside a sentence a piece between commas that does not
score (“新时代“三新”大讲堂未依据“6有”标准建设”) is the condition of the piece after it, and a
sentence that never scores (“正式党员人数超过3名…的成立党支部”) is context, kept only in 方式.

| the table says | rule |
|---|---|
| X不得分 / X的不得分 / 如X则不得分 | `不得分 如果 X` |
| X扣N分 | `扣 N分 如果 X` (X少于M学时 → a 数值 fact compared with M) |
| 每少K项扣N分 / X每发现1次扣N分 | `每 [K] 个数 扣 N分` (a 计数 fact) |
| X有1名…扣N分 | `每 X人数 扣 N分` |
| A、B、C有一项不符合…扣N分 | `每 未满足数[A符合…, B符合…, …] 扣 N分` |
| 扣完为止 / 最多扣N分 | `扣完为止` / `最多扣 N分` |
| X可给N分 / X加N分 | `得 N分 如果 X` |
| X得N分 (N below the item's points) | `扣 (分值 − N)分 如果 X` |
| 根据…酌情给分 / 其他情况酌情扣分 | `酌情给分 "…"` / `酌情扣分 "…"` (`judged_word`; `酌情 "…"` where the deductions leave nothing to judge) |
| X另行处理 | `提示 如果 X "X,另行处理"` |

Fact names are made from the clause's own words (`未进行摸底排查`), punctuation, quotes, brackets and
trailing 的/则/情况 dropped; a name of three characters or fewer (`未开展`) is prefixed with the item's
name. Anything else is Unrecognised: the draft says 酌情 and quotes it under `# 待确认:`."""

from __future__ import annotations

import re
from fractions import Fraction

import attrs

from ..core.numbers import parse_decimal

_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NUM = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十])"
_SCORES = re.compile(rf"不得分|扣完为止|扣\s*{_NUM}\s*分|[得加给]\s*{_NUM}\s*分|酌情|另行处理|给分|扣分|计分")
_SENTENCES = re.compile(r"[。;;!!\n]+")
_PIECES = re.compile(r"[,,]+")
_UNITS = "项个次名人条处例件起篇"
_NEGATION = re.compile(r"(未|不|没有|没|无|缺少|缺)")


@attrs.frozen
class Fact:
    name: str
    kind: str  # 是否 | 计数 | 数值
    unit: str | None
    text: str  # the clause it was made from


@attrs.frozen
class Rule:
    """One recognised clause. kind: zero, deduct, per, per_list, award, judged, floor, max, notice,
    full (得满分 restated: no rule of its own)."""

    kind: str
    text: str
    points: Fraction | None = None
    fact: Fact | None = None
    step: int | None = None  # 每 K …
    compare: tuple[str, Fraction] | None = None  # (少于 | 超过, M) on a 数值 fact
    facts: tuple[Fact, ...] = ()  # per_list: the 是否 facts counted by 未满足数 / 满足数
    count_false: bool = True  # per_list: 未满足数 (the facts say what should be done) or 满足数
    guidance: str | None = None
    word: str = "酌情"  # judged: the table's own word, 酌情给分 or 酌情扣分 where it says so


@attrs.frozen
class Unrecognised:
    text: str


Clause = Rule | Unrecognised


def clauses(method: str, item: str, points: Fraction) -> list[Clause]:
    """The scoring clauses of one item's 考评方式, in order."""
    found: list[Clause] = []
    for sentence in _SENTENCES.split(method):
        pending = ""
        for piece in _PIECES.split(sentence.strip()):
            piece = piece.strip()
            if not piece:
                continue
            if not _SCORES.search(piece):
                pending = f"{pending},{piece}" if pending else piece
                continue
            text = f"{pending},{piece}" if pending else piece
            pending = ""
            found.extend(_recognise(text, piece, item, points))
    return found


def _recognise(text: str, piece: str, item: str, points: Fraction) -> list[Clause]:
    """`text` is the clause with the condition pieces before it; `piece` its scoring piece."""
    plain = _plain(text)
    if plain != "扣完为止" and plain.endswith("扣完为止"):  # "有1名扣1分扣完为止"
        head = text[: text.rfind("扣完为止")]
        return [*_recognise(head, head, item, points), Rule("floor", "扣完为止")]
    if plain == "扣完为止":
        return [Rule("floor", text)]
    match = re.fullmatch(rf"(?:本项|该项)?最多扣({_NUM})分", plain)
    if match:
        return [Rule("max", text, _number(match.group(1)))]
    match = re.fullmatch(r"(.+?)另行处理", plain)
    if match:
        return [Rule("notice", text, fact=_fact(match.group(1), item, "是否", text))]
    if re.match(r"^(否则|不然|反之)", plain):  # the opposite of the clauses before it: for a person
        return [Unrecognised(text)]
    match = re.fullmatch(r"(.*?)(?:的|则|者)?(?:该项|此项|本项|该项目)?(?:均)?不得分", plain)
    if match:
        condition = match.group(1)
        if not condition:
            return [Unrecognised(text)]
        return [Rule("zero", text, fact=_fact(condition, item, "是否", text))]
    if "酌情" in plain or re.search(r"根据.+给分", plain):
        word = "酌情扣分" if "酌情扣分" in plain else "酌情给分" if "酌情给分" in plain else "酌情"
        return [Rule("judged", text, guidance=text.strip(), word=word)]
    per = _per(text, plain, item)
    if per is not None:
        return [per]
    match = re.fullmatch(rf"(.+?)扣({_NUM})分", plain)
    if match:
        return [_deduct(match.group(1), _number(match.group(2)), item, text)]
    match = re.fullmatch(rf"(.+?)(?:可给|可得|可加|另加|加|奖励)({_NUM})分", plain)
    if match:
        return [Rule("award", text, _number(match.group(2)), _fact(match.group(1), item, "是否", text))]
    match = re.fullmatch(rf"(.+?)得({_NUM})分", plain)
    if match:
        got = _number(match.group(2))
        if got == points:
            return [Rule("full", text, got)]
        if got < points:
            return [Rule("deduct", text, points - got, _fact(match.group(1), item, "是否", text))]
    return [Unrecognised(text)]


def judged_word(rules: list[Rule], points: Fraction) -> str:
    """The judged clause a draft writes for an item's recognised rules: the table's 酌情给分 /
    酌情扣分 (the entry a part of the score: the points its 扣 N分 如果 rules leave, docs/language.md),
    or 酌情 where it says neither or those rules leave nothing to judge (E499)."""
    judged = next((r for r in rules if r.kind == "judged"), None)
    if judged is None or judged.word == "酌情":
        return "酌情"
    fixed = sum((r.points or Fraction(0) for r in rules if r.kind == "deduct"), Fraction(0))
    cap = next((r.points for r in rules if r.kind == "max" and r.points is not None), None)
    return judged.word if points - (min(fixed, cap) if cap is not None else fixed) > 0 else "酌情"


def _per(text: str, plain: str, item: str) -> Rule | None:
    """每少K项扣N分, 每X扣N分, X有1名扣N分, A、B有一项…扣N分."""
    match = re.fullmatch(rf"(.*?)每(少|缺少|缺)?({_NUM})?([{_UNITS}])(.*?)扣({_NUM})分", plain)
    if match:
        prefix, missing, step, unit, what, deduct = match.groups()
        k = int(_number(step)) if step else 1
        if missing:  # 每少1项 / 每缺1项制度: what is missing, counted
            name = (_subject(prefix) + _clean(what) or _clean(item)) + "缺少" + unit + "数"
        elif what:
            name = _clean(prefix) + _clean(what) + unit + "数"
        else:
            name = _clean(prefix) + unit + "数"
        return Rule("per", text, _number(deduct), _fact(name, item, "计数", text, unit), step=k if k != 1 else None)
    match = re.fullmatch(rf"(.*?)有({_NUM})([{_UNITS}])(.*?)扣({_NUM})分", plain)
    if match:
        prefix, count, unit, what, deduct = match.groups()
        if _number(count) != 1:
            return None
        parts = [p for p in re.split(r"[、和及与]", _strip_quotes(prefix)) if p] if "、" in prefix else []
        what_clean = _clean(what)
        if len(parts) >= 2 and _NEGATION.match(what_clean):
            positive = _NEGATION.sub("", what_clean, count=1)
            facts = tuple(_fact(_clean(p) + positive, item, "是否", text) for p in parts)
            return Rule("per_list", text, _number(deduct), facts=facts)
        word = {"名": "人", "人": "人"}.get(unit, unit)
        return Rule("per", text, _number(deduct), _fact(_clean(prefix) + what_clean + word + "数", item, "计数", text,
                                                       unit))
    match = re.fullmatch(rf"每(.+?)扣({_NUM})分", plain)
    if match:
        return Rule("per", text, _number(match.group(2)), _fact(_clean(match.group(1)) + "数", item, "计数", text))
    return None


def _deduct(condition: str, points: Fraction, item: str, text: str) -> Rule:
    compare = re.fullmatch(r"(.+?)(少于|低于|不足|不到|超过|高于|多于)(\d+(?:\.\d+)?)([^\d的]{0,4}?)(?:的)?", condition)
    if compare:
        what, word, number, unit = compare.groups()
        op = "少于" if word in ("少于", "低于", "不足", "不到") else "超过"
        return Rule("deduct", text, points, _fact(what, item, "数值", text, unit or None),
                    compare=(op, parse_decimal(number)))
    return Rule("deduct", text, points, _fact(condition, item, "是否", text))


# ── names ────────────────────────────────────────────────────────────────────


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", text).replace(",", ",")


def _number(text: str) -> Fraction:
    return Fraction(_DIGITS[text]) if text in _DIGITS else parse_decimal(text)


def _strip_quotes(text: str) -> str:
    return re.sub(r"[“”\"'‘’「」『』《》]", "", text)


def _clean(text: str) -> str:
    """A clause's condition as a name: quotes, brackets and what surrounds the condition dropped."""
    text = _strip_quotes(re.sub(r"\s+", "", text))
    text = re.sub(r"[((][^))]*[))]", "", text)
    text = re.sub(r"^(?:上述[^如若]*?)?(?:如果|如|若|凡|其中|对)", "", text)
    if "但" in text:
        text = text.rsplit("但", 1)[1]
    while True:
        shorter = re.sub(r"(等相应措施|等情况|的情况|情况|的|则|者|时|后)$", "", text)
        if shorter == text:
            break
        text = shorter
    parts = [p for p in re.split(r"[、,,]", text) if p]
    if len(parts) > 1:
        text = parts[0] if _NEGATION.search(parts[0]) else "和".join(parts)
    return re.sub(r"[^\w]", "", text)


def _subject(prefix: str) -> str:
    """What a 每少N项 counts: the words before the first negation ("大讲堂未依据…" → "大讲堂")."""
    cleaned = _clean(prefix)
    found = _NEGATION.search(cleaned)
    return cleaned[: found.start()] if found and found.start() > 0 else cleaned


def _fact(name: str, item: str, kind: str, text: str, unit: str | None = None) -> Fact:
    name = _clean(name)
    if len(name) <= 3:
        name = _clean(item) + name
    if name[:1].isdigit():
        name = _clean(item) + name
    return Fact(name[:40], kind, unit, text.strip())
