"""Every keyword in every form (simplified, traditional, English) parses to the same tree."""

from __future__ import annotations

import re

import pytest

from starrules import parse
from starrules.lang.keywords import Script, keywords

# One document using every keyword terminal; «K_X» stands for that keyword's spelling.
DOCUMENT = """
«K_IMPORT» "x.rubric"
«K_CONDITION» 好条件 = 有场地 «K_AND» @组织 >= 8
«K_SCHEME» 星级 "达标创星" {
    五星级 >= 95«K_POINTS» «K_AND» 有场地
    无星
    «K_DOWNGRADE» 1 «K_IF» «K_SECTIONS_BELOW_PASS» >= 1
    «K_ONE_STEP_UP»
    «K_MINIMA» 五星级 { @组织: 8«K_POINTS» }
}
«K_SCHEME» 等次 «K_BASED_ON» 星级 { 先进 = 五星级  后进 = 无星 }
«K_CONSEQUENCES» 等次 { 后进: "a"  «K_CONSECUTIVE» 2 «K_YEAR» 后进: "b" }
«K_RANKING» 星级 {
    «K_QUOTA» 五星级 1, 无星 30%
    «K_BOTTOM» 10% «K_AS» 相对后进 «K_WHEN» 领域 «K_IN» [甲, 乙]
    «K_BOTTOM» 5% «K_AS» 相对后进 «K_ALSO» «K_LOWER» 无星 «K_OTHERS»
    «K_TIE» «K_IN_ORDER» @组织, «K_TOTAL»
    «K_QUOTA_TIES» «K_PENDING»
    «K_QUOTA_TIES» «K_FALL»
}
«K_RUBRIC» 子 «K_EXTENDS» 父 {
    «K_TITLE» "t"  «K_VERSION» "v"  «K_SOURCE» "s"
    «K_MAX_SCORE» 100  «K_TOTAL» «K_UNUSED»  «K_RESCALE» 100  «K_PRECISION» 0.5
    «K_SCHEME» 星级, 等次
    «K_FACT» a: «K_BOOL» «K_DEFAULT» «K_TRUE»
    «K_FACT» b: «K_COUNT» «K_UNIT» "名" «K_DEFAULT» 0
    «K_FACT» c: «K_NUMBER»
    «K_FACT» d: «K_RATIO» «K_DEFAULT» 50%
    «K_FACT» 领域: «K_CHOICE»(甲, 乙)
    «K_LET» e = «K_IF_COND» a «K_THEN» «K_MIN»(1, 2) «K_ELSE» «K_MAX»(«K_FLOOR»(c), 0)
    «K_SECTION» 组织 20«K_POINTS» «K_PASS» 12«K_POINTS» «K_WEIGHT» 50% {
        «K_ITEM» 甲项 10«K_POINTS» {
            «K_CRITERION» "说明" «K_METHOD» "方式"
            «K_DEDUCT» 1«K_POINTS» «K_IF» «K_NOT» a «K_OR» b «K_FEWER» 1 «K_AND» c «K_LOWER» 2
            «K_PER» «K_COUNT_FALSE»[a, «K_FALSE»] «K_DEDUCT» 1«K_POINTS»
            «K_PER» 2 e «K_DEDUCT» 0.5«K_POINTS»
            a«K_OF» «K_ZERO»
            c «K_FEWER» 3«K_OF» «K_PER_SHORT»1 «K_DEDUCT» 1«K_POINTS»
            [a, «K_FALSE»] «K_EACH_FALSE»«K_OF» «K_DEDUCT» 1«K_POINTS»
            «K_AWARD» 1«K_POINTS» «K_IF» «K_ANY»[a] «K_AND» «K_ALL»[a]
            «K_ADD» 1«K_POINTS» «K_IF» «K_COUNT_TRUE»[a] «K_NOT_FEWER» 1 «K_AND» c «K_NOT_LOWER» 1
            «K_ZERO» «K_IF» c «K_MORE» 1 «K_OR» c «K_HIGHER» 1 «K_OR» c «K_NOT_MORE» 1
            «K_NOT_APPLICABLE» «K_IF» c «K_NOT_HIGHER» 1 «K_OR» c «K_EQUALS» 1
            «K_START» 0«K_POINTS»
            «K_JUDGED» 0«K_POINTS» «K_TO» 3«K_POINTS» "g"
            «K_JUDGED_AWARD» 0«K_POINTS» «K_TO» 1«K_POINTS»
            «K_JUDGED_DEDUCT» "g"
            «K_GRADES» [好 4«K_POINTS», 差 0«K_POINTS»]
            «K_SCORE» = d * 10
            «K_FLOOR_ZERO»
            «K_MAX_DEDUCT» 2«K_POINTS»
            «K_ALLOW_NEGATIVE»
        }
    }
    «K_MODULE» 模块 10«K_POINTS» { «K_INDICATOR» 指标 10«K_POINTS» { } }
    «K_SECTION» 路径类 4«K_POINTS» {
        «K_BEST_OF» 取高 2«K_POINTS» { «K_ITEM» 单项 2«K_POINTS» { } «K_PATH» 分项 { «K_ITEM» 分一 2«K_POINTS» { } } }
        «K_ONE_OF» 任一 2«K_POINTS» «K_BY» 领域 { «K_ITEM» 甲 2«K_POINTS» { } «K_ITEM» 乙 2«K_POINTS» { } }
    }
    «K_BONUS» «K_AT_MOST» 5«K_POINTS» { }
    «K_PENALTY» 罚 «K_AT_MOST» 5«K_POINTS» { }
    «K_VETO» «K_IF» a «K_HIGHEST» 无星 "v"
    «K_NOTICE» «K_IF» a "另行处理"
    «K_APPLIES» «K_IF» 领域 = 甲
    «K_SUBJECT» "饭店"
    «K_RATERS» { 自评 30%  «K_BY» 抽查 «K_PREVAIL» }
    «K_REMOVE» «K_ITEM» 旧项
    «K_REMOVE» «K_SECTION» 旧类
}
"""
_SLOT = re.compile(r"«(K_\w+)»")
# English-only terminals and the Chinese keyword they stand in for.
_ENGLISH_STAND_INS = {"K_IF_EN": ["K_IF", "K_IF_COND"], "K_TOTAL_EN": ["K_MAX_SCORE", "K_TOTAL"],
                      "K_SCHEMES_EN": [], "K_OVERRIDE": []}


def render(overrides: dict[str, str] | None = None) -> str:
    overrides = overrides or {}

    def spell(match: re.Match[str]) -> str:
        terminal = match.group(1)
        return overrides.get(terminal) or keywords()[terminal].spell(Script.SIMPLIFIED)

    return _SLOT.sub(spell, DOCUMENT)


REFERENCE = parse(render())


def test_document_uses_every_keyword_terminal() -> None:
    used = set(_SLOT.findall(DOCUMENT))
    assert used | set(_ENGLISH_STAND_INS) == set(keywords())


FORMS = sorted(
    (terminal, form)
    for terminal, kw in keywords().items()
    if terminal not in _ENGLISH_STAND_INS
    for form in {kw.simplified, kw.traditional, kw.english} - {None}
)


@pytest.mark.parametrize(("terminal", "form"), FORMS)
def test_every_form_of_every_keyword(terminal: str, form: str) -> None:
    assert parse(render({terminal: form})) == REFERENCE


@pytest.mark.parametrize("replaced", ["K_IF", "K_IF_COND"])
def test_english_if_stands_for_both_chinese_ifs(replaced: str) -> None:
    assert parse(render({replaced: "if"})) == REFERENCE


@pytest.mark.parametrize("replaced", ["K_MAX_SCORE", "K_TOTAL"])
def test_english_total_stands_for_full_marks_and_the_total(replaced: str) -> None:
    assert parse(render({replaced: "total"})) == REFERENCE


def test_english_schemes_and_override() -> None:
    text = render().replace("等级 星级, 等次", "schemes 星级, 等次").replace("以 抽查 为准", "override 抽查")
    assert parse(text) == REFERENCE


def test_traditional_and_simplified_forms_are_distinct_where_they_differ() -> None:
    kw = keywords()["K_FLOOR_ZERO"]
    assert (kw.simplified, kw.traditional, kw.english) == ("扣完为止", "扣完為止", "floor_zero")
    assert keywords()["K_SECTION"].traditional == "類型"
