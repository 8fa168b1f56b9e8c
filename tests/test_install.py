"""A plain (non-editable) wheel install into a fresh venv runs `starrules check` from outside
the source tree: the grammar and the built-in schemes ship inside the wheel, imports stay confined."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel (and its dependencies from the registry) installed."""
    tmp_path = tmp_path_factory.mktemp("install")
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", ROOT, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("starrules-*.whl"))
    venv.create(tmp_path / "env", with_pip=True)
    python = tmp_path / "env" / "bin" / "python"
    # the html and chart extras: the guide's report writes the scorecard (jinja2) and the PNG chart (matplotlib)
    installed = run(python, "-m", "pip", "install", "-q", f"{wheel}[html,chart]", cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    return tmp_path


def test_wheel_installs_and_checks_a_bundled_rubric(installed: Path) -> None:
    tmp_path = installed
    python = tmp_path / "env" / "bin" / "python"
    target = tmp_path / "两新.rubric"
    target.write_text((ROOT / "rubrics" / "两新争先创优.rubric").read_text(encoding="utf-8"), encoding="utf-8")
    checked = run(tmp_path / "env" / "bin" / "starrules", "check", "--range", target, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "标准 两新争先创优 总分" in checked.stdout
    grammar = run(python, "-c", "import starrules.core.resources as r; print(r.GRAMMAR_PATH.is_file(), "
                  "sorted(p.name for p in r.BUILTIN_SCHEMES_DIR.glob('*.rubric')))", cwd=tmp_path)
    assert grammar.stdout.strip() == "True ['争先创优.rubric', '五好.rubric', '分类定级.rubric', '星级.rubric', '等次.rubric']"
    assert "site-packages" in run(python, "-c", "import starrules; print(starrules.__file__)", cwd=tmp_path).stdout
    evidence = tmp_path / "branch.json"
    evidence.write_text((ROOT / "rubrics" / "examples" / "两新-示例支部.json").read_text(encoding="utf-8"),
                        encoding="utf-8")
    evaluated = run(tmp_path / "env" / "bin" / "starrules", "eval", target, evidence, "--json", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["total"] == 83.5
    schema = run(python, "-c", "import starrules; print(starrules.result_schema()['title'])", cwd=tmp_path)
    assert schema.stdout.strip() == "starrules result, schema_version 1"
    outside = tmp_path / "outside.rubric"
    outside.write_text("等级 外 { 甲 }\n", encoding="utf-8")
    (tmp_path / "project").mkdir()
    escaping = tmp_path / "project" / "main.rubric"
    escaping.write_text('引用 "../outside.rubric"\n', encoding="utf-8")
    refused = run(tmp_path / "env" / "bin" / "starrules", "check", escaping, cwd=tmp_path)
    assert refused.returncode == 1 and "错误[E111]" in refused.stderr  # confinement holds in the installed package


def test_every_command_of_the_guide_runs_in_the_installed_package(installed: Path) -> None:
    """docs/guide.md as a new user follows it: its commands on a copy of the bundled rubrics,
    outside the source tree, with the installed `starrules`; the report opens with openpyxl."""
    work = installed / "guide"
    shutil.copytree(ROOT / "rubrics", work / "rubrics")
    guide = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
    commands = re.findall(r"^\$ starrules (.*)$", guide, re.MULTILINE)
    assert len(commands) >= 8
    for line in commands:
        command, _, status = line.partition("  # 退出码 ")
        command = command.replace("/tmp/", f"{work}/")
        done = run(installed / "env" / "bin" / "starrules", *command.split(), cwd=work)
        assert done.returncode == int(status or 0), (command, done.stderr)
    python = installed / "env" / "bin" / "python"
    listing = run(python, "-c", "import openpyxl; s = openpyxl.load_workbook('汇总.xlsx')['一览表']; "
                  "print([(r[1], r[11], r[12], r[13]) for r in s.iter_rows(min_row=3, values_only=True)])", cwd=work)
    # 第一 (98.5) and 第三 (90): their 工委抽查 totals, as in tests/test_library.py
    assert listing.stdout.strip() == str([("第一党支部", 98.5, "五星级", "先进"), ("第四党支部", 98, "四星级", "良好"),
                                          ("第二党支部", 94.5, "四星级", "良好"), ("第三党支部", 90, "三星级", "良好"),
                                          ("第五党支部", 37, "无星", "后进")]), listing.stderr
    assert (work / "汇总.png").read_bytes()[:4] == b"\x89PNG" and "第五党支部" in (work / "评分卡.html").read_text("utf-8")
