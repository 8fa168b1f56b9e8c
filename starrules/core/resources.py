"""Files shipped inside the package: the grammar, the built-in schemes, the result JSON Schema.

`starrules/grammars` and `starrules/schemes` are links to the top-level `grammars/` and
`rubrics/schemes/`; a wheel build copies their contents into the package.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
GRAMMAR_PATH = PACKAGE_DIR / "grammars" / "rubric.lark"
BUILTIN_SCHEMES_DIR = PACKAGE_DIR / "schemes"
RESULT_SCHEMA_PATH = PACKAGE_DIR / "schemas" / "result.schema.json"


def grammar_text() -> str:
    return GRAMMAR_PATH.read_text(encoding="utf-8")
