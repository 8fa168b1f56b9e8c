"""One test per limit (docs/limits.md): each breach gives its own code, at the place that
breaches it; the defaults leave every bundled rubric and example alone."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal
from pathlib import Path

import pytest

from starrules import EvidenceError, Limits, check_file, check_text, load, loads
from tests.test_diagnostics import at
from tests.test_evidence import GOOD, RUBRIC

ROOT = Path(__file__).resolve().parent.parent
SMALL = Limits(name_length=4, string_length=6, list_size=3, items=2, points=500, file_bytes=300,
               expression_depth=3, number_digits=5)
LIMIT_CODES = {"E008", "E009", "E010", "E011", "E109", "E110", "E416", "E417", "E516", "E517", "E518"}
CONFINEMENT_CODES = {"E111"}


def found(text: str, limits: Limits = SMALL) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.column) for d in check_text(text, "t.rubric", limits=limits).diagnostics]


@pytest.mark.parametrize(("code", "text", "marker"), [
    ("E009", "标准 一二三四五 { }", "一二三四五"),
    ("E009", '标准 "一二三四五" { }', '"一二三四五"'),
    ("E010", '标准 R { 标题 "一二三四五六七" }', '"一二三四五六七"'),
    ("E011", "标准 R { 事实 x: 选项(a, b, c, d) }", "选项"),
    ("E011", "标准 R { 令 y = 最大(1, 2, 3, 4) }", "最大"),
    ("E011", "标准 R { 事实 x: 数值 令 y = x 属于 [1, 2, 3, 4] }", "x 属于"),
    ("E011", "标准 R { 类型 S 5分 { 项目 I 5分 { 分档 [甲 5分, 乙 4分, 丙 3分, 丁 0分] } } }", "分档"),
    ("E416", "标准 R { 类型 S 9分 { 项目 a 1分 { } 项目 b 1分 { } 项目 c 1分 { } } }", "c"),
    ("E417", "标准 R { 满分 600 }", "600"),
    ("E417", "标准 R { 类型 S 10分 { 项目 I 10分 { 扣 501分 如果 是 } } }", "501分"),
    ("E006", "标准 R { 令 y = - - - 1 }", "-"),
    ("E005", "标准 R { 满分 123456 }", "123456"),
])
def test_each_rubric_limit_has_its_code_and_place(code: str, text: str, marker: str) -> None:
    assert found(text) == [(code, *at(text, marker))]


def test_limits_just_inside_are_fine() -> None:
    text = '标准 一二三四 { 标题 "一二三四五六" 满分 500 事实 x: 选项(a, b, c) 令 y = 最大(1, 2, 3) }'
    assert [c for c, *_ in found(text)] == ["W106", "W101", "W101"]  # 满分 500 with no items; x, y unused
    assert found("标准 R { 令 y = - - 1 }") == [("W101", 1, 10)]


def test_file_size_is_checked_for_text_and_before_a_file_is_read(tmp_path: Path) -> None:
    text = "标准 R { }" + " " * 300
    assert found(text) == [("E008", 1, 1)]
    path = tmp_path / "big.rubric"
    path.write_text(text, encoding="utf-8")
    diagnostics = check_file(path, limits=SMALL).diagnostics
    assert [(d.code, d.span.line) for d in diagnostics] == [("E008", 1)]
    assert "312 字节,最多 300 字节" in diagnostics[0].message  # 标准 = 6 bytes, R { } = 5, spaces 300, one more
    assert check_file(path).errors == ()  # the default is 4 MiB


def test_imports_count_and_depth(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"s{i}.rubric").write_text(f"等级 档{i} {{ 甲 }}\n", encoding="utf-8")
    entry = tmp_path / "main.rubric"
    entry.write_text("".join(f'引用 "s{i}.rubric"\n' for i in range(5)), encoding="utf-8")
    few = Limits(imports=3)
    assert [(d.code, d.span.line) for d in check_file(entry, limits=few).diagnostics] == [("E109", 4)]
    assert check_file(entry).errors == ()
    for i in range(4):  # c0 → c1 → c2 → c3 → c4
        (tmp_path / f"c{i}.rubric").write_text(f'引用 "c{i + 1}.rubric"\n', encoding="utf-8")
    (tmp_path / "c4.rubric").write_text("等级 末 { 甲 }\n", encoding="utf-8")
    shallow = Limits(import_depth=2)
    diagnostics = check_file(tmp_path / "c0.rubric", limits=shallow).diagnostics
    assert [(d.code, Path(d.span.file).name, d.span.line) for d in diagnostics] == [("E110", "c2.rubric", 1)]
    assert check_file(tmp_path / "c0.rubric").errors == ()


def test_limits_are_positive_ints() -> None:
    for bad in (0, -1, 1.5, "9"):
        with pytest.raises(ValueError, match="items"):
            Limits(items=bad)  # type: ignore[arg-type]


def test_defaults_leave_the_bundled_rubrics_alone() -> None:
    for path in sorted((ROOT / "rubrics").rglob("*.rubric")):
        assert not [d for d in check_file(path).errors if d.code in LIMIT_CODES], path


# ── evidence ────────────────────────────────────────────────────────────────

def evidence_codes(evidence: object, limits: Limits = Limits()) -> list[str]:
    with pytest.raises(EvidenceError) as info:
        loads(RUBRIC, limits=limits).evaluate(evidence)  # type: ignore[arg-type]
    return [d.code for d in info.value.diagnostics]


def test_evidence_file_too_large_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps(GOOD, ensure_ascii=False), encoding="utf-8")
    size = path.stat().st_size
    assert evidence_codes(path, Limits(evidence_bytes=size - 1)) == ["E516"]
    assert loads(RUBRIC, limits=Limits(evidence_bytes=size)).evaluate(path).total == 16


def test_evidence_with_too_many_keys() -> None:
    assert evidence_codes({**GOOD, **{f"k{i}": 1 for i in range(10)}}, Limits(evidence_keys=15)) == ["E516"]
    # 8 good keys + 10 unknown = 18 > 15; with room for them, the unknown keys are reported one by one
    assert evidence_codes({**GOOD, **{f"k{i}": 1 for i in range(10)}}) == ["E502"] * 10


def test_deep_evidence_is_refused_without_a_recursion_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"学时": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    assert evidence_codes(path) == ["E517"]
    path.write_text('{"学时": ' + "[" * 3 + "]" * 3 + "}", encoding="utf-8")
    assert evidence_codes(path, Limits(evidence_depth=3)) == ["E517"]  # the object and three arrays
    strings = {**GOOD, "名称": "[[[[[[" * 10}  # brackets inside strings do not count
    path.write_text(json.dumps(strings, ensure_ascii=False), encoding="utf-8")
    assert loads(RUBRIC, limits=Limits(evidence_depth=1)).evaluate(path).total == 16


@pytest.mark.parametrize("value", [Decimal("1e-101"), Decimal("1e101"), "0." + "0" * 100 + "1", "1" * 101,
                                   Decimal("1" * 101), 10**100, -(10**100), 10**5000],
                         ids=["1e-101", "1e101", "101 places", "101 digits", "101-digit Decimal", "10**100",
                              "-10**100", "10**5000"])
def test_evidence_numbers_with_too_many_digits(value: object) -> None:
    assert evidence_codes({**GOOD, "学时": value}) == ["E518"]
    assert evidence_codes({**GOOD, "评议": value}) == ["E518"]  # a 酌情 score


def test_evidence_numbers_at_the_digit_limit_are_read() -> None:
    rubric = loads(RUBRIC)
    assert rubric.evaluate({**GOOD, "学时": Decimal("1e99")}).total == 16  # 100 digits written out
    assert rubric.evaluate({**GOOD, "学时": "0." + "0" * 99 + "1"}).total == 16  # 100 places
    assert rubric.evaluate({**GOOD, "学时": 10**100 - 1, "人数": 10**100 - 1}).total == 16  # 100 nines


def test_a_huge_int_never_reaches_a_result() -> None:
    """Python will not print an int past 4300 digits: refused as a fact, not printed as an id."""
    rubric = loads(RUBRIC)
    assert evidence_codes({**GOOD, "人数": 10**5000}) == ["E518"]
    result = rubric.evaluate({**GOOD, "id": 10**5000})
    assert result.id == "(超过 300 位的数)" and result.to_json()
    [row] = rubric.evaluate_many([{**GOOD, "id": 10**5000, "人数": -1}], errors="collect")
    assert row.id == "(超过 300 位的数)" and [d.code for d in row.diagnostics] == ["E504"]  # type: ignore[union-attr]


def test_a_jsonl_batch_reports_limits_by_row(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    rows = [{**GOOD, "id": "a"}, {**GOOD, "id": "b", "学时": Decimal("1e-200")}]
    lines = [json.dumps(r, ensure_ascii=False, default=str) for r in rows]
    lines[1] = lines[1].replace('"1E-200"', "1e-200")
    lines.append('{"id": "c", "学时": ' + "[" * 40 + "]" * 40 + "}")
    lines.append('{"id": "d", "学时": ' + "9" * 5000 + "}")  # more digits than Python reads
    lines.append(json.dumps({**GOOD, "id": "e", "名称": "长" * 2000}, ensure_ascii=False))  # 6000 bytes of name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = list(loads(RUBRIC, limits=Limits(evidence_bytes=6000)).evaluate_many(path, errors="collect"))
    assert [getattr(r, "total", None) or [(d.code, d.span.line) for d in r.diagnostics] for r in out] == [
        16, [("E518", 2)], [("E517", 3)], [("E514", 4)], [("E516", 5)]]


def test_a_csv_cell_over_the_csv_field_limit_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("id,学时\na,1\nb," + "1" * 200_000 + "\n", encoding="utf-8")
    out = list(loads(RUBRIC).evaluate_many(path, errors="collect"))
    # row a lacks 人数, 满意率, 违纪, 领域 and the scores of 评议 and 等次 (选做 may be left out)
    assert [[d.code for d in r.diagnostics] for r in out] == [["E501"] * 6, ["E514"]]


def test_fast_path_and_batch_engine_send_long_decimals_to_the_reader() -> None:
    import numpy  # noqa: F401  (a test dependency: missing, the test fails)
    rubric = loads(RUBRIC)
    rows = [{**GOOD, "id": "a"}, {**GOOD, "id": "b", "学时": Decimal("1e-500")}]
    batch = next(rubric.evaluate_columns(rows, errors="collect"))
    assert list(batch.ok) == [True, False]
    assert [d.code for d in batch.errors[0].diagnostics] == ["E518"]
    assert evidence_codes(rows[1]) == ["E518"]


def test_a_rubric_keeps_its_limits_through_pickle() -> None:
    rubric = pickle.loads(pickle.dumps(loads(RUBRIC, limits=Limits(evidence_keys=3))))
    assert rubric.limits == Limits(evidence_keys=3)
    with pytest.raises(EvidenceError) as info:
        rubric.evaluate(GOOD)
    assert info.value.code == "E516"


# ── import confinement ─────────────────────────────────────────────────────

@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """outside/secret.rubric next to project/ (the root) holding main.rubric and sub/inner.rubric."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.rubric").write_text("等级 秘密 { 甲 }\n", encoding="utf-8")
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "sub" / "inner.rubric").write_text("等级 内部 { 甲 }\n", encoding="utf-8")
    return project


def confined(project: Path, target: str) -> list[tuple[str, int]]:
    entry = project / "main.rubric"
    entry.write_text(f'等级 主 {{ 甲 }}\n引用 "{target}"\n', encoding="utf-8")
    return [(d.code, d.span.line) for d in check_file(entry).diagnostics]


def test_imports_inside_the_root_are_allowed(tree: Path) -> None:
    assert confined(tree, "sub/inner.rubric") == []
    assert confined(tree, "sub/../sub/inner.rubric") == []
    assert confined(tree, str(tree / "sub" / "inner.rubric")) == []  # absolute, but inside


def test_dot_dot_escapes_are_refused(tree: Path) -> None:
    assert confined(tree, "../outside/secret.rubric") == [("E111", 2)]
    assert confined(tree, "sub/../../outside/secret.rubric") == [("E111", 2)]


def test_absolute_paths_outside_are_refused(tree: Path) -> None:
    assert confined(tree, str(tree.parent / "outside" / "secret.rubric")) == [("E111", 2)]
    assert confined(tree, "/etc/passwd") == [("E111", 2)]


def test_symlinks_leading_outside_are_refused(tree: Path) -> None:
    (tree / "link.rubric").symlink_to(tree.parent / "outside" / "secret.rubric")
    (tree / "linkdir").symlink_to(tree.parent / "outside", target_is_directory=True)
    assert confined(tree, "link.rubric") == [("E111", 2)]
    assert confined(tree, "linkdir/secret.rubric") == [("E111", 2)]
    (tree / "inside.rubric").symlink_to(tree / "sub" / "inner.rubric")
    assert confined(tree, "inside.rubric") == []


def test_an_imported_file_cannot_escape_either(tree: Path) -> None:
    (tree / "sub" / "hop.rubric").write_text('引用 "../../outside/secret.rubric"\n', encoding="utf-8")
    entry = tree / "main.rubric"
    entry.write_text('引用 "sub/hop.rubric"\n', encoding="utf-8")
    assert [(d.code, Path(d.span.file).name) for d in check_file(entry).diagnostics] == [("E111", "hop.rubric")]
    assert check_file(entry, root=tree.parent).errors == ()  # a wider root, given on purpose


def test_loads_of_text_reads_no_file_unless_given_a_root(tree: Path) -> None:
    text = '引用 "sub/inner.rubric"\n标准 R { 等级 内部 类型 S 1分 { 项目 I 1分 { } } }'
    report = check_text(text, str(tree / "main.rubric"))
    assert [(d.code, d.span.line, d.span.column) for d in report.diagnostics] == [("E111", 1, 1), ("E104", 2, 8)]
    assert "root" in (report.diagnostics[0].hint or "")
    assert loads(text, root=tree).schemes["内部"].name == "内部"
    assert loads(text, base_dir=tree).schemes["内部"].name == "内部"
    assert [d.code for d in check_text('引用 "../outside/secret.rubric"', root=tree).diagnostics] == ["E111"]


def test_built_in_schemes_need_no_root() -> None:
    rubric = loads("标准 R { 等级 星级 类型 S 100分 { 项目 I 100分 { } } }")
    assert rubric.evaluate({}).level("星级").level == "五星级"


def test_load_from_a_file_still_reads_its_own_folder() -> None:
    assert load(ROOT / "rubrics" / "两新争先创优.rubric").name == "两新争先创优"


def test_the_cli_confines_imports_and_takes_a_wider_root(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from starrules.cli import main
    entry = tree / "main.rubric"
    entry.write_text('引用 "../outside/secret.rubric"\n标准 R { 等级 秘密 类型 S 1分 { 项目 I 1分 { } } }\n',
                     encoding="utf-8")
    assert main(["check", str(entry)]) == 1
    assert "main.rubric:1:1: 错误[E111]" in capsys.readouterr().err
    assert main(["check", "--root", str(tree.parent), str(entry)]) == 0
    assert main(["schema", "--root", str(tree.parent), str(entry)]) == 0
    assert main(["schema", str(entry)]) == 1
