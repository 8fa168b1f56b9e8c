"""Fuzzing at a CI-friendly size (benchmarks/fuzz.py runs the same properties far longer):
mutated rubrics and wild evidence let only documented errors escape, each with a location;
valid rubrics on valid evidence always score, whatever script their keywords are in."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starrules import Limits, Rubric, loads
from tests.fuzz import ENGLISH, TRADITIONAL, EvidenceCase, evaluate_or_refuse, evidence_case, evidence_through_cli, \
    full_width, fuzzed_rubric, load_or_refuse, respelled, wild_evidence
from tests.test_eval_properties import rubric_and_evidence, rubric_text

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(fuzzed_rubric())
def test_mutated_rubrics_load_or_are_refused_with_a_location(text: str) -> None:
    rubric = load_or_refuse(text)
    if rubric is not None:
        load_or_refuse(text, Limits())  # what the small limits allow, the defaults allow


@FUZZ
@given(st.data())
def test_mutated_rubrics_that_load_score_or_refuse_wild_evidence(data: st.DataObject) -> None:
    rubric = load_or_refuse(data.draw(fuzzed_rubric()))
    if rubric is not None:
        evaluate_or_refuse(rubric, data.draw(wild_evidence(rubric)))


@FUZZ
@given(st.data())
def test_valid_rubrics_score_or_refuse_wild_evidence(data: st.DataObject) -> None:
    rubric = loads(data.draw(rubric_text()))
    evaluate_or_refuse(rubric, data.draw(wild_evidence(rubric)))


def scores(rubric: Rubric, evidence: dict[str, Any]) -> tuple[object, ...]:
    result = rubric.evaluate(evidence)
    return result.total, result.vetoed, tuple((s.name, s.score) for s in result.sections)


@FUZZ
@given(rubric_and_evidence(), st.sampled_from(["wide", "traditional", "english"]))
def test_valid_evidence_always_scores_whatever_the_spelling(case: tuple[Rubric, dict[str, Any]], script: str) -> None:
    rubric, evidence = case
    source = rubric.sources["<text>"]
    variant = full_width(source) if script == "wide" else respelled(source, TRADITIONAL if script == "traditional"
                                                                     else ENGLISH)
    assert variant != source
    assert scores(loads(variant), evidence) == scores(rubric, evidence)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evidence_case())
def test_evidence_files_give_a_result_or_a_coded_error_and_stay_as_they_were(case: EvidenceCase) -> None:
    with tempfile.TemporaryDirectory() as folder:
        evidence_through_cli(case, Path(folder))
