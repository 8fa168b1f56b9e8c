"""Editor support: the language server (`starrules lsp`) spoken to over stdio with pygls's client,
the pure feature functions of starrules.lsp, the `lsp` command without pygls, and the VS Code
extension's files (TextMate grammar, language configuration, manifest, launcher).

Every expected position below is counted by hand from the document text: LSP lines and columns
are 0-based, columns in UTF-16 code units (😀 and 𠀀 are two, every other character here one)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from starrules.lang.formatter import format_text
from starrules.lsp import Document, Location, Position, Positions, Range, completions, definition, diagnostics, \
    formatting, hover
from starrules.lsp.outline import outline, scan, word_at

try:
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient
    MISSING = None
except ImportError as missing:  # the lsp extra is part of the test extra: say so, never skip
    MISSING = f"the language server tests need pygls: pip install 'starrules[lsp]' ({missing})"

ROOT = Path(__file__).resolve().parent.parent
VSCODE = ROOT / "editors" / "vscode"

# 0-based lines; the 学时 in line 6 starts at column 20 (12 spaces, 扣 2分 如果 and three spaces)
FIXED = """标准 示例 {
    满分   10
    事实 学时: 数值 单位 "学时😀" 默认 32
    令 缺学时 = 最大(0, 32 - 学时)
    类型 组织 10分 {
        项目 覆盖 10分 {
            扣 2分 如果 学时 少于 32
            每 缺学时 扣 1分
            扣完为止
        }
    }
}
"""
# line 2 gains a second 默认: at code point 29 (4 spaces, 事实, space, 学时:, space, 数值, space, 单位, space,
# "学时😀" is 17–21, space, 默认 at 23, space, 32 at 26, space), UTF-16 column 30 as 😀 before it is two units
BROKEN = FIXED.replace("默认 32\n", "默认 32 默认 0\n")


def r(line: int, start: int, end: int, end_line: int | None = None) -> Range:
    return Range(Position(line, start), Position(line if end_line is None else end_line, end))


# ── positions ────────────────────────────────────────────────────────────────


def test_columns_count_utf16_units_by_default_and_other_encodings_when_agreed() -> None:
    text = "甲😀乙\n"
    assert Positions(text).position(1, 3) == Position(0, 3)  # 乙: after 甲 (1) and 😀 (2)
    assert Positions(text, "utf-32").position(1, 3) == Position(0, 2)
    assert Positions(text, "utf-8").position(1, 3) == Position(0, 7)  # 3 + 4 bytes
    assert Positions(text).place(Position(0, 3)) == (1, 3)
    assert Positions(text).place(Position(0, 2)) == (1, 2)  # inside the surrogate pair: at 😀
    assert Positions(text).place(Position(0, 99)) == (1, 4)  # past the end of the line: at its end
    with pytest.raises(ValueError):
        Positions(text, "latin-1")


def test_bom_and_crlf_are_counted_as_the_editor_holds_the_text() -> None:
    # the checker drops the BOM and reads \r\n as \n; the editor keeps both, so line 1 is one column on
    text = "\ufeffab\r\ncd\re\n"
    positions = Positions(text)
    assert positions.position(1, 1) == Position(0, 1)
    assert positions.position(1, 3) == Position(0, 3)  # the end of line 1, before \r\n
    assert positions.position(1, 9) == Position(0, 3)  # past it: clamped to the line's end
    assert positions.position(2, 1) == Position(1, 0)
    assert positions.position(2, 4) == Position(2, 0)  # a lone \r ends an editor line, not a checker line
    assert positions.place(Position(2, 1)) == (2, 5)
    assert positions.end() == Position(3, 0)


# ── diagnostics ───────────────────────────────────────────────────────────────


def test_a_syntax_error_is_reported_at_its_range_in_utf16_units() -> None:
    found = diagnostics(Document(BROKEN))
    assert [(d.code, d.severity, d.range) for d in found] == [("E002", "error", r(2, 30, 32))]
    assert found[0].message.startswith("这里不应出现关键字“默认”\n提示:")
    assert diagnostics(Document(BROKEN, encoding="utf-32"))[0].range == r(2, 29, 31)


def test_a_check_error_on_an_astral_name_and_a_warning() -> None:
    text = "标准 R {\n    类型 组 4分 {\n        项目 甲 2分 { 扣 1分 如果 𠀀名 }\n    }\n}\n"
    found = diagnostics(Document(text))
    # 𠀀名: code points 26–27 (8 spaces, then 项目 甲 2分 { 扣 1分 如果 and a space: 18), UTF-16 26–28 (𠀀 is two);
    # the section's 2 of 4 points: W102 at its name, 组 (line 1, column 7)
    assert [(d.code, d.severity, d.range) for d in found] == [("E201", "error", r(2, 26, 29)),
                                                              ("W102", "warning", r(1, 7, 8))]
    assert "𠀀名" in found[0].message


def test_a_fine_document_has_no_diagnostics() -> None:
    assert diagnostics(Document(FIXED)) == []
    assert diagnostics(Document((ROOT / "rubrics" / "五好党支部.rubric").read_text("utf-8"),
                                str(ROOT / "rubrics" / "五好党支部.rubric"))) == []


def test_an_error_in_an_imported_file_is_shown_on_the_import_line(tmp_path: Path) -> None:
    (tmp_path / "方案.rubric").write_text("等级 甲等 {\n    优 >= 90\n    优\n}\n", encoding="utf-8")
    entry = tmp_path / "标准.rubric"
    text = '# 注释\n引用 "方案.rubric"\n标准 R { 满分 100 类型 组 100分 { 项目 甲 100分 { } } 等级 甲等 }\n'
    [found] = diagnostics(Document(text, str(entry)))
    assert (found.code, found.severity) == ("E202", "error")
    assert found.range == r(1, 0, 14)  # the whole 引用 line: 引用, a space, "方案.rubric" (11)
    assert found.message == "引用的文件 方案.rubric:3:5: 重复的等级名称“优”"
    scheme = str(tmp_path / "方案.rubric")
    assert [(x.location, x.message) for x in found.related] == [
        (Location(scheme, r(2, 4, 5)), "重复的等级名称“优”"),  # where it is, in that file
        (Location(scheme, r(1, 4, 11)), "“优”第一次出现在这里")]  # the checker's note: the first 优 >= 90


def test_imports_resolve_against_the_document_folder_only(tmp_path: Path) -> None:
    (tmp_path / "外面.rubric").write_text("等级 外 { 好 }\n", encoding="utf-8")
    inner = tmp_path / "内"
    inner.mkdir()
    found = diagnostics(Document('引用 "../外面.rubric"\n', str(inner / "r.rubric")))
    assert [(d.code, d.range) for d in found] == [("E111", r(0, 0, 17))]  # 引用, a space, "../外面.rubric" (14)


# ── hover, definition, completion, formatting ───────────────────────────────


def test_hover_on_a_fact_shows_its_declaration_type_and_default() -> None:
    found = hover(Document(FIXED), Position(6, 21))
    assert found is not None and found.range == r(6, 20, 22)
    assert found.markdown.startswith('```rubric\n事实 学时: 数值 单位 "学时😀" 默认 32\n```')
    assert "**事实** “学时”(标准“示例”):数值,单位 学时😀,默认 32" in found.markdown


def test_hover_on_an_item_a_section_and_a_let() -> None:
    document = Document(FIXED)
    item = hover(document, Position(5, 11))
    assert item is not None and item.range == r(5, 11, 13)
    assert "**项目** “覆盖”(标准“示例”):10 分,属于类型“组织”" in item.markdown
    section = hover(document, Position(4, 8))
    assert section is not None and "10 分,1 个项目,项目分值合计 10 分" in section.markdown
    let = hover(document, Position(7, 15))  # 缺学时 in 每 缺学时 扣 1分: columns 14–17
    assert let is not None and let.range == r(7, 14, 17)
    assert "令 缺学时 = 最大(0, 32 - 学时)" in let.markdown
    keyword = hover(document, Position(8, 13))
    assert keyword is not None and keyword.markdown == "**关键字** `扣完为止` / `扣完為止` / `floor_zero`"
    assert hover(document, Position(6, 26)) is None  # on 32
    assert hover(document, Position(1, 0)) is None  # in the indentation


def test_hover_on_a_section_of_a_child_standard_counts_it_merged_with_the_parents() -> None:
    text = ("标准 父 {\n    类型 组 4分 {\n        项目 甲 2分 { }\n        项目 乙 2分 { }\n    }\n}\n"
            "标准 子 继承 父 {\n    类型 组 4分 {\n        项目 乙 2分 { 酌情 }\n    }\n}\n")
    child = hover(Document(text), Position(7, 7))  # 组 in 子: its own block has 1 item of 2 points, merged 2 of 4
    assert child is not None and "(标准“子”):4 分,2 个项目,项目分值合计 4 分" in child.markdown
    assert "与父标准中的同名类型合并" in child.markdown
    parent = hover(Document(text), Position(1, 7))
    assert parent is not None and "(标准“父”):4 分,2 个项目" in parent.markdown and "合并" not in parent.markdown
    item = hover(Document(text), Position(8, 12))  # 乙 in 子: the child's own, 酌情
    assert item is not None and "(标准“子”):2 分,酌情给分,属于类型“组”" in item.markdown


def test_hover_on_a_built_in_scheme_and_in_a_broken_document() -> None:
    found = hover(Document("标准 R {\n    等级 星级\n}\n"), Position(1, 8))
    assert found is not None and "**等级方案** “星级”" in found.markdown and "定义在 星级.rubric" in found.markdown
    broken = hover(Document(BROKEN), Position(6, 21))
    assert broken is not None and '事实 学时: 数值 单位 "学时😀" 默认 32 默认 0' in broken.markdown
    assert "文件有语法错误" in broken.markdown


def test_definition_of_a_name_a_quoted_name_and_an_import(tmp_path: Path) -> None:
    assert definition(Document(FIXED), Position(6, 20)) == [Location("<editor>", r(2, 7, 9))]
    assert definition(Document(FIXED), Position(7, 16)) == [Location("<editor>", r(3, 6, 9))]
    text = '标准 R {\n    事实 "村(社区)": 是否\n    类型 组 2分 { 项目 甲 2分 { 不得分 如果 "村(社区)" } }\n}\n'
    # the quoted name: line 1 columns 7–14 with its quotes; its use: line 2, columns 31–38
    assert definition(Document(text), Position(2, 36)) == [Location("<editor>", r(1, 7, 14))]
    (tmp_path / "父.rubric").write_text("标准 父 {\n    事实 甲: 是否\n}\n", encoding="utf-8")
    child = '引用 "父.rubric"\n标准 子 继承 父 {\n    类型 组 2分 { 项目 乙 2分 { 不得分 如果 甲 } }\n}\n'
    document = Document(child, str(tmp_path / "子.rubric"))
    parent = str((tmp_path / "父.rubric").resolve())
    assert definition(document, Position(2, 31)) == [Location(parent, r(1, 7, 8))]  # 甲, inherited
    assert definition(document, Position(1, 8)) == [Location(parent, r(0, 3, 4))]  # 父, the parent standard
    assert definition(document, Position(0, 5)) == [Location(parent, r(0, 0, 0))]  # on the 引用 line: the file
    assert definition(document, Position(1, 1)) == []  # on a keyword


def test_definition_after_at_finds_only_what_has_a_score() -> None:
    text = "标准 R {\n    事实 组: 是否\n    类型 组 2分 { 项目 甲 2分 { } }\n    否决 如果 @组 少于 1\n}\n"
    # 组 is both a fact (line 1, columns 7–8) and a section (line 2, columns 7–8; E202 aside): after @ the section
    found = definition(Document(text), Position(3, 12))
    assert found == [Location("<editor>", r(2, 7, 8))]


def test_completion_offers_every_keyword_spelling_and_the_names_in_scope() -> None:
    found = {c.label: c for c in completions(Document(FIXED), Position(6, 20))}
    grammar = (ROOT / "grammars" / "rubric.lark").read_text("utf-8")
    spellings = {form for forms in re.findall(r"^K_\w+\.\d+: /\(\?:([^)]*)\)\(\?", grammar, re.MULTILINE)
                 for form in forms.split("|")}
    assert len(spellings) > 200 and spellings <= set(found)
    assert {"扣", "deduct", "扣完為止", "floor_zero", "類型", "section"} <= set(found)
    assert (found["学时"].kind, found["学时"].sort_text) == ("事实", "0学时")
    assert found["学时"].detail == "事实:数值,单位 学时😀,默认 32"
    assert {found[n].kind for n in ("缺学时", "覆盖", "组织", "示例", "星级")} == {"令", "项目", "类型", "标准", "等级方案"}
    assert found["扣"].kind == "关键字" and found["扣"].detail == "关键字 扣 / deduct"


def test_completion_in_a_broken_document_after_at_and_in_a_comment() -> None:
    broken = {c.label for c in completions(Document(BROKEN), Position(6, 20))}
    assert {"学时", "缺学时", "覆盖", "组织", "扣"} <= broken
    text = "标准 R {\n    事实 甲: 是否\n    类型 组 2分 { 项目 \"乙 丙\" 2分 { } }\n    否决 如果 @\n}  # 注释\n"
    scored = completions(Document(text), Position(3, 11))  # just after @
    assert {c.label for c in scored} == {"组", "乙 丙"}
    assert {c.label: c.insert_text for c in scored}["乙 丙"] == '"乙 丙"'
    assert completions(Document(text), Position(4, 6)) == []


def test_formatting_is_the_formatters_text_as_one_edit() -> None:
    [edit] = formatting(Document(FIXED))
    assert edit.range == r(0, 0, 0, 12) and edit.new_text == format_text(FIXED)
    assert formatting(Document(format_text(FIXED))) == []
    assert formatting(Document(BROKEN)) == []
    crlf = format_text(FIXED).replace("\n", "\r\n")
    assert formatting(Document(crlf)) == []  # only the line ends differ: left to the editor
    [bom] = formatting(Document("\ufeff" + FIXED))
    assert bom.range == r(0, 1, 0, 12) and bom.new_text == format_text(FIXED)  # the BOM stays


def test_outline_and_scan_agree_on_the_names_of_a_bundled_rubric() -> None:
    path = ROOT / "rubrics" / "机关星级评定.rubric"
    document = Document(path.read_text("utf-8"), str(path))
    parsed = outline(document)
    scanned = scan(document)
    own = {(d.kind, d.name, d.name_span) for d in parsed.declarations if d.file == str(path) and d.kind != "等级"}
    assert {(d.kind, d.name, d.name_span) for d in scanned.declarations} == own
    assert [name for name, _ in parsed.rubrics] == [name for name, _ in scanned.rubrics]


def test_word_at_reads_names_strings_keywords_and_comments() -> None:
    document = Document('令 甲 = @组.乙 + "丙 丁"  # 注释\n')
    # 1-based checker columns: 令 1, 甲 3, = 5, @ 7, 组 8, . 9, 乙 10, + 12, "丙 丁" 14–18, # 注释 21–24
    found = {column: word_at(document, 1, column) for column in (1, 3, 8, 10, 16, 22)}
    assert {c: (w.kind, w.text, w.scored) for c, w in found.items() if w is not None} == {
        1: ("keyword", "令", False), 3: ("name", "甲", False), 8: ("name", "组", True), 10: ("name", "乙", True),
        16: ("string", "丙 丁", False), 22: ("comment", "# 注释", False)}
    assert word_at(document, 2, 1) is None


# ── the server over stdio ────────────────────────────────────────────────────


def run_session(body: Callable[[Any, asyncio.Queue[Any]], Awaitable[None]], encodings: list[str] | None = None) -> None:
    """Start `python -m starrules lsp`, initialize it, run `body(client, published diagnostics)`,
    shut it down and check it exits 0."""
    if MISSING:
        pytest.fail(MISSING)

    async def session() -> None:
        client = LanguageClient("starrules-tests", "1")
        published: asyncio.Queue[Any] = asyncio.Queue()

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            published.put_nowait(params)

        await client.start_io(sys.executable, "-m", "starrules", "lsp", cwd=str(ROOT))
        general = types.GeneralClientCapabilities(position_encodings=encodings) if encodings else None
        result = await asyncio.wait_for(client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(general=general), process_id=None, root_uri=None)), 60)
        assert result.server_info is not None and result.server_info.name == "starrules"
        agreed = encodings[0] if encodings else types.PositionEncodingKind.Utf16
        assert result.capabilities.position_encoding == agreed
        client.initialized(types.InitializedParams())
        try:
            await body(client, published)
        finally:
            await asyncio.wait_for(client.shutdown_async(None), 30)
            client.exit(None)
            await asyncio.wait_for(client.stop(), 30)
        assert client._server is not None and client._server.returncode == 0

    asyncio.run(session())


async def next_diagnostics(published: asyncio.Queue[Any]) -> Any:
    return await asyncio.wait_for(published.get(), 30)


URI = (ROOT / "tests" / "示例.rubric").as_uri()  # never written: the server reads the editor's text


def test_server_diagnostics_on_open_and_cleared_on_change() -> None:
    async def body(client: Any, published: asyncio.Queue[Any]) -> None:
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=URI, language_id="rubric", version=1, text=BROKEN)))
        opened = await next_diagnostics(published)
        assert (opened.uri, opened.version) == (URI, 1)
        [error] = opened.diagnostics
        assert (error.code, error.severity, error.source) == ("E002", types.DiagnosticSeverity.Error, "starrules")
        assert error.range == types.Range(start=types.Position(line=2, character=30),
                                          end=types.Position(line=2, character=32))
        assert error.message.startswith("这里不应出现关键字“默认”")
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=FIXED)]))
        fixed = await next_diagnostics(published)
        assert (fixed.uri, fixed.version, list(fixed.diagnostics)) == (URI, 2, [])  # published empty: old errors clear
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=URI)))
        closed = await next_diagnostics(published)
        assert (closed.uri, list(closed.diagnostics)) == (URI, [])
    run_session(body)


def test_server_hover_completion_definition_and_formatting() -> None:
    async def body(client: Any, published: asyncio.Queue[Any]) -> None:
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=URI, language_id="rubric", version=1, text=FIXED)))
        assert list((await next_diagnostics(published)).diagnostics) == []
        document = types.TextDocumentIdentifier(uri=URI)
        on_fact = types.Position(line=6, character=21)

        found = await client.text_document_hover_async(types.HoverParams(text_document=document, position=on_fact))
        assert found.contents.kind == types.MarkupKind.Markdown
        assert '事实 学时: 数值 单位 "学时😀" 默认 32' in found.contents.value
        assert found.range == types.Range(start=types.Position(line=6, character=20),
                                          end=types.Position(line=6, character=22))

        offered = await client.text_document_completion_async(
            types.CompletionParams(text_document=document, position=on_fact))
        by_label = {item.label: item for item in offered.items}
        assert {"扣", "扣完為止", "floor_zero", "缺学时", "覆盖"} <= set(by_label)
        assert by_label["学时"].kind == types.CompletionItemKind.Variable
        assert by_label["扣"].kind == types.CompletionItemKind.Keyword

        [declared] = await client.text_document_definition_async(
            types.DefinitionParams(text_document=document, position=on_fact))
        assert declared.uri == URI
        assert declared.range == types.Range(start=types.Position(line=2, character=7),
                                             end=types.Position(line=2, character=9))

        [edit] = await client.text_document_formatting_async(types.DocumentFormattingParams(
            text_document=document, options=types.FormattingOptions(tab_size=4, insert_spaces=True)))
        assert edit.new_text == format_text(FIXED)
        assert edit.range == types.Range(start=types.Position(line=0, character=0),
                                         end=types.Position(line=12, character=0))
    run_session(body)


def test_server_counts_columns_in_the_encoding_the_client_prefers() -> None:
    async def body(client: Any, published: asyncio.Queue[Any]) -> None:
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=URI, language_id="rubric", version=1, text=BROKEN)))
        [error] = (await next_diagnostics(published)).diagnostics
        assert error.range == types.Range(start=types.Position(line=2, character=29),
                                          end=types.Position(line=2, character=31))
    run_session(body, encodings=[types.PositionEncodingKind.Utf32] if not MISSING else None)


def test_lsp_command_without_pygls_says_how_to_install_it() -> None:
    code = "import sys; sys.modules['pygls'] = None\nfrom starrules.cli import main\nraise SystemExit(main(['lsp']))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == "编辑器支持需要 pygls:pip install 'starrules[lsp]'"
    assert done.stdout == ""


# ── the VS Code extension ────────────────────────────────────────────────────


def _grammar() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((VSCODE / "syntaxes" / "rubric.tmLanguage.json").read_text("utf-8"))
    return loaded


def _rules(node: Any) -> list[dict[str, Any]]:
    """Every rule of the grammar: the top patterns, the repository's, and those nested in them."""
    found = []
    for rule in node.get("patterns", []):
        found.append(rule)
        found.extend(_rules(rule))
    for rule in node.get("repository", {}).values():
        found.append(rule)
        found.extend(_rules(rule))
    return found


def test_textmate_grammar_is_json_and_every_regex_compiles() -> None:
    grammar = _grammar()
    assert grammar["scopeName"] == "source.rubric" and "rubric" in grammar["fileTypes"]
    regexes = [rule[key] for rule in _rules(grammar) for key in ("match", "begin", "end") if key in rule]
    assert len(regexes) >= 10
    for regex in regexes:
        re.compile(regex)


def test_textmate_keywords_cover_every_spelling_of_the_grammar() -> None:
    grammar = (ROOT / "grammars" / "rubric.lark").read_text("utf-8")
    spellings = {form for forms in re.findall(r"^K_\w+\.\d+: /\(\?:([^)]*)\)\(\?", grammar, re.MULTILINE)
                 for form in forms.split("|")}
    for form in sorted(spellings):
        scope = tokenise(f"令 甲 = {form}")[-1]
        assert scope[0] == form and scope[1].split(".")[0] in ("keyword", "storage", "support", "constant"), scope


def tokenise(line: str) -> list[tuple[str, str]]:
    """A tiny TextMate matcher for one line: at each place the top-level rule matching earliest
    (first listed on a tie) wins; `begin`/`end` rules are read to their end on the line. Returns
    (text, scope) for each match and capture (a capture's scope when it has one)."""
    grammar = _grammar()
    rules = [grammar["repository"][p["include"][1:]] if "include" in p else p for p in grammar["patterns"]]
    flat: list[dict[str, Any]] = []
    for rule in rules:
        flat.extend(rule["patterns"] if "patterns" in rule and "match" not in rule and "begin" not in rule else [rule])
    tokens: list[tuple[str, str]] = []
    at = 0
    while at < len(line):
        best: tuple[int, int, re.Match[str], dict[str, Any]] | None = None
        for order, rule in enumerate(flat):
            found = re.compile(rule.get("match") or rule["begin"]).search(line, at)
            if found and (best is None or (found.start(), order) < (best[0], best[1])):
                best = (found.start(), order, found, rule)
        if best is None or best[2].end() == best[2].start():
            break
        _, _, found, rule = best
        end = found.end()
        if "begin" in rule:
            closing = re.compile(rule["end"]).search(line, found.end())
            end = closing.end() if closing else len(line)
            tokens.append((line[found.start():end], rule["name"]))
        else:
            captures = rule.get("captures", {})
            if captures:
                tokens.extend((found.group(int(k)), v["name"]) for k, v in sorted(captures.items())
                              if found.group(int(k)) is not None)
            else:
                tokens.append((found.group(), rule["name"]))
        at = end
    return tokens


def test_textmate_grammar_tokenises_lines_of_a_bundled_rubric() -> None:
    lines = (ROOT / "rubrics" / "两新争先创优.rubric").read_text("utf-8").split("\n")
    assert tokenise(lines[0]) == [(lines[0], "comment.line.number-sign.rubric")]
    assert tokenise("    事实 党员学习学时: 数值 单位 \"学时\" \"党员每年集中学习培训时间\"") == [
        ("事实", "storage.type.rubric"), ("党员学习学时", "entity.name.variable.rubric"),
        (":", "punctuation.separator.rubric"), ("数值", "support.type.rubric"), ("单位", "keyword.other.rubric"),
        ('"学时"', "string.quoted.double.rubric"), ('"党员每年集中学习培训时间"', "string.quoted.double.rubric")]
    assert tokenise("            扣 2分 如果 党员学习学时 少于 32  # 不满 32 学时") == [
        ("扣", "keyword.control.rubric"), ("2", "constant.numeric.rubric"), ("分", "keyword.other.unit.rubric"),
        ("如果", "keyword.control.rubric"), ("少于", "keyword.operator.word.rubric"),
        ("32", "constant.numeric.rubric"), ("# 不满 32 学时", "comment.line.number-sign.rubric")]
    assert tokenise("    类型 党的组织设置 20分 {") == [
        ("类型", "storage.type.rubric"), ("党的组织设置", "entity.name.section.rubric"),
        ("20", "constant.numeric.rubric"), ("分", "keyword.other.unit.rubric"),
        ("{", "punctuation.section.block.rubric")]
    assert tokenise("        项目 组织覆盖 10分 {")[:2] == [("项目", "storage.type.rubric"),
                                                      ("组织覆盖", "entity.name.function.rubric")]
    assert tokenise("扣 1分 如果 满意率 少于 60% 或 领域 属于 [国有企业]")[5:7] == [
        ("60%", "constant.numeric.percent.rubric"), ("或", "keyword.operator.word.rubric")]
    assert tokenise("不得分 如果未设立") == [("不得分", "keyword.control.rubric")]  # 如果未设立 is one name
    assert tokenise("事实 党员2人: 计数")[1] == ("党员2人", "entity.name.variable.rubric")


def test_vscode_extension_manifest_configuration_and_launcher() -> None:
    manifest = json.loads((VSCODE / "package.json").read_text("utf-8"))
    [language] = manifest["contributes"]["languages"]
    assert language["id"] == "rubric" and ".rubric" in language["extensions"]
    assert (VSCODE / language["configuration"]).is_file()
    [grammar] = manifest["contributes"]["grammars"]
    assert grammar["language"] == "rubric" and grammar["scopeName"] == "source.rubric"
    assert (VSCODE / grammar["path"]).resolve() == (VSCODE / "syntaxes" / "rubric.tmLanguage.json").resolve()
    assert (VSCODE / manifest["main"]).is_file() and "vscode-languageclient" in manifest["dependencies"]
    configuration = json.loads((VSCODE / "language-configuration.json").read_text("utf-8"))
    assert configuration["comments"]["lineComment"] == "#"
    assert ["{", "}"] in configuration["brackets"]
    # Node.js is installed by .ci/run; without it this test fails, it is not skipped
    assert shutil.which("node") is not None, "Node.js is needed: apt-get install nodejs (.ci/run does)"
    checked = subprocess.run(["node", "--check", str(VSCODE / manifest["main"])], capture_output=True, text=True,
                             timeout=60)
    assert checked.returncode == 0, checked.stderr
    launcher = (VSCODE / manifest["main"]).read_text("utf-8")
    assert "'lsp'" in launcher and "documentSelector" in launcher


# ── the 评分表's clause order and counting words (tests/test_document_clauses.py) ──


def test_completion_offers_the_clause_words_of_the_document() -> None:
    found = {c.label: c for c in completions(Document(FIXED), Position(6, 20))}
    assert {"的", "每少", "有一项不符合", "有一項不符合"} <= set(found)
    assert found["每少"].kind == "关键字" and found["有一项不符合"].detail == "关键字 有一项不符合 / 有一項不符合"


def test_textmate_colours_glued_numbers_units_and_the_condition_first_words() -> None:
    assert tokenise("扣1分 如果 x") == [
        ("扣", "keyword.other.glued.rubric"), ("1", "constant.numeric.rubric"), ("分", "keyword.other.unit.rubric"),
        ("如果", "keyword.control.rubric")]
    assert tokenise("学时 不足24学时的扣1分") == [
        ("不足", "keyword.operator.word.rubric"), ("24", "constant.numeric.rubric"),
        ("学时", "keyword.other.unit.rubric"), ("的", "keyword.operator.word.rubric"),
        ("扣", "keyword.other.glued.rubric"), ("1", "constant.numeric.rubric"), ("分", "keyword.other.unit.rubric")]
    assert tokenise("应建未建党组织的不得分") == [("的", "keyword.operator.word.rubric"),
                                           ("不得分", "keyword.control.rubric")]
    assert tokenise("满意率 少于 60%的,扣1分")[1:4] == [
        ("60%", "constant.numeric.percent.rubric"), ("的", "keyword.operator.word.rubric"),
        (",", "punctuation.separator.rubric")]
    assert tokenise("大讲堂具备项数 不足6项的 每少1项扣1分") == [
        ("不足", "keyword.operator.word.rubric"), ("6", "constant.numeric.rubric"), ("项", "keyword.other.unit.rubric"),
        ("的", "keyword.operator.word.rubric"), ("每少", "keyword.operator.word.rubric"),
        ("1", "constant.numeric.rubric"), ("项", "keyword.other.unit.rubric"), ("扣", "keyword.other.glued.rubric"),
        ("1", "constant.numeric.rubric"), ("分", "keyword.other.unit.rubric")]
    assert tokenise("[甲, 乙] 有一项不符合的 扣1分")[3:5] == [  # 甲, 乙: names, uncoloured
        ("有一项不符合", "keyword.control.rubric"), ("的", "keyword.operator.word.rubric")]
    assert tokenise("面积 >= 500㎡") == [(">=", "keyword.operator.rubric"), ("500", "constant.numeric.rubric"),
                                      ("㎡", "keyword.other.unit.rubric")]
    # a name stays uncoloured: 目的 with no action after it, 扣1分项, 党员2人
    assert tokenise("扣 1分 如果 目的") == [("扣", "keyword.control.rubric"), ("1", "constant.numeric.rubric"),
                                        ("分", "keyword.other.unit.rubric"), ("如果", "keyword.control.rubric")]
    assert tokenise("扣1分项 党员2人") == []


def test_the_word_under_the_cursor_ends_before_the_de_of_a_condition_written_first() -> None:
    document = Document("标准 R { 事实 应建未建: 是否 类型 S 2分 { 项目 I 2分 { 应建未建的不得分 } } }")
    # …项(30)目(31) (32)I(33) (34)2(35)分(36) (37){(38) (39)应(40)建(41)未(42)建(43)的(44)不(45)得(46)分(47)
    word = word_at(document, 1, 41)
    assert word is not None and (word.kind, word.text, word.start, word.end) == ("name", "应建未建", 40, 44)
    action = word_at(document, 1, 46)
    assert action is not None and (action.kind, action.text, action.start) == ("keyword", "不得分", 45)
