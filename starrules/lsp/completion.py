"""Completion: every spelling of every keyword (simplified, traditional, English, as the grammar
lists them) and the names declared where the cursor is — facts, 令, items, sections, 取其高 /
任选其一 and their paths, standards, schemes (the built-in ones too) and named conditions. After
`@` only what has a score: items and sections."""

from __future__ import annotations

import attrs

from ..lang.keywords import keywords
from ..lang.loader import builtin_scheme_names
from ..lang.parser import is_bare_name
from .document import Document
from .outline import SCHEME, SCORED, outline, word_at
from .positions import Position

KEYWORD = "关键字"


@attrs.frozen
class Completion:
    """`kind`: 关键字, or the kind of declaration (事实, 项目 …); `insert_text`: the name as it
    must be written (quoted where it is not a bare name); `sort_text`: names in scope first,
    then the program's other names, then keywords."""

    label: str
    kind: str
    detail: str
    insert_text: str
    sort_text: str


def completions(document: Document, position: Position) -> list[Completion]:
    line, column = document.positions.place(position)
    word = word_at(document, line, column)
    if word is not None and word.kind == "comment":
        return []
    in_string = word is not None and word.kind == "string"
    found = outline(document)
    rubric = found.rubric_at(line, column)
    chain = found.chain(rubric)
    offered: dict[str, Completion] = {}
    for declaration in found.visible(rubric):
        if word is not None and word.scored and declaration.kind not in SCORED:
            continue
        near = "0" if declaration.rubric in chain else "1"
        detail = declaration.kind + (f":{declaration.summary}" if declaration.summary else "")
        offered.setdefault(declaration.name, Completion(
            declaration.name, declaration.kind, detail, _written(declaration.name, in_string),
            near + declaration.name))
    if word is not None and (word.scored or in_string):
        return list(offered.values())
    for name in builtin_scheme_names():
        offered.setdefault(name, Completion(name, SCHEME, "内置等级方案", _written(name, False), "1" + name))
    for kw in keywords().values():
        forms = list(kw.forms)
        for form in forms:
            offered.setdefault(form, Completion(form, KEYWORD, f"{KEYWORD} {' / '.join(forms)}", form, "2" + form))
    return list(offered.values())


def _written(name: str, in_string: bool) -> str:
    """How a name is inserted: inside a string as it is, elsewhere quoted unless bare."""
    if in_string or is_bare_name(name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
