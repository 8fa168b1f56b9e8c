"""A long fuzzing run of the properties in tests/test_fuzz.py, with a tally of what came out.

Run from the repository root: python benchmarks/fuzz.py [--examples 5000] [--seed 0] [--only NAME]
Each property runs `--examples` cases (hypothesis, no example database, no deadline); a failure
stops the run with hypothesis's minimal failing example. The result is recorded in docs/limits.md.
`--only files` runs just the evidence files through the command line (JSON, JSON Lines, CSV,
Excel and Parquet, perhaps damaged, with `-o` to each output format or without).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from starrules import EvidenceError, RubricError, loads  # noqa: E402
from tests.fuzz import SMALL, EvidenceCase, evaluate_or_refuse, evidence_case, evidence_through_cli, \
    fuzzed_rubric, load_or_refuse, wild_evidence  # noqa: E402
from tests.test_eval_properties import rubric_and_evidence, rubric_text  # noqa: E402


def tally_rubric(text: str, codes: Counter[str]) -> Any:
    rubric = load_or_refuse(text)
    if rubric is None:
        try:
            loads(text, filename="fuzz.rubric", limits=SMALL)
        except RubricError as exc:
            codes.update({d.code for d in exc.diagnostics})
        return None
    codes["loaded"] += 1
    return rubric


def tally_evidence(rubric: Any, evidence: dict[str, Any], codes: Counter[str]) -> None:
    evaluate_or_refuse(rubric, evidence)
    try:
        rubric.evaluate(evidence)
        codes["scored"] += 1
    except EvidenceError as exc:
        codes.update({d.code for d in exc.diagnostics})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["rubrics", "evidence", "valid", "files"], help="run one property")
    args = parser.parse_args()
    runs = settings(max_examples=args.examples, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))
    rubrics: Counter[str] = Counter()
    evidence: Counter[str] = Counter()
    valid: Counter[str] = Counter()
    files: Counter[str] = Counter()

    @seed(args.seed)
    @runs
    @given(st.data())
    def mutated_rubrics(data: st.DataObject) -> None:
        rubric = tally_rubric(data.draw(fuzzed_rubric()), rubrics)
        if rubric is not None:
            tally_evidence(rubric, data.draw(wild_evidence(rubric)), rubrics)

    @seed(args.seed)
    @runs
    @given(st.data())
    def wild_evidence_on_valid_rubrics(data: st.DataObject) -> None:
        rubric = loads(data.draw(rubric_text()))
        tally_evidence(rubric, data.draw(wild_evidence(rubric)), evidence)

    @seed(args.seed)
    @runs
    @given(rubric_and_evidence())
    def valid_evidence_on_valid_rubrics(case: tuple[Any, dict[str, Any]]) -> None:
        rubric, branch = case
        rubric.evaluate(branch)  # must not raise
        valid["scored"] += 1

    @seed(args.seed)
    @runs
    @given(evidence_case())
    def evidence_files_through_the_cli(case: EvidenceCase) -> None:
        with tempfile.TemporaryDirectory() as folder:
            outcome = evidence_through_cli(case, Path(folder))
        damaged = "damaged" if case.edits else "intact"
        files[f"{case.suffix} {damaged} → {'exit 0' if outcome.status == 0 else 'exit 1'}"] += 1
        files.update(outcome.codes)

    for key, name, prop, tally in (
            ("rubrics", "mutated rubrics (+ wild evidence when they load)", mutated_rubrics, rubrics),
            ("evidence", "wild evidence on valid rubrics", wild_evidence_on_valid_rubrics, evidence),
            ("valid", "valid evidence on valid rubrics", valid_evidence_on_valid_rubrics, valid),
            ("files", "evidence files through the command line", evidence_files_through_the_cli, files)):
        if args.only not in (None, key):
            continue
        start = time.perf_counter()
        prop()
        elapsed = time.perf_counter() - start
        print(f"{name}: {args.examples} examples in {elapsed:.0f} s, no failure")
        print("  " + ", ".join(f"{code} {count}" for code, count in sorted(tally.items())))


if __name__ == "__main__":
    main()
