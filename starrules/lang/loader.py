"""Reads a file and everything it imports, adds the built-in schemes it names, and
indexes the top-level blocks by name (LANGUAGE.md §2, §4)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import attrs

from . import ast
from ..core.bounded import NUL_IN_PATH, TooLarge, read_bounded
from ..core.diagnostics import Diagnostic, RubricError
from ..core.limits import DEFAULT, Limits
from .parser import parse
from ..core.reporter import Reporter
from ..core.resources import BUILTIN_SCHEMES_DIR
from ..core.source import Span, decode, source_line


@attrs.define
class Program:
    """Every block reachable from one entry file, indexed by name."""

    entry: ast.Module
    modules: dict[str, ast.Module] = attrs.Factory(dict)
    schemes: dict[str, ast.Scheme] = attrs.Factory(dict)
    rubrics: dict[str, ast.Rubric] = attrs.Factory(dict)
    consequences: dict[str, ast.Consequences] = attrs.Factory(dict)
    rankings: dict[str, ast.Ranking] = attrs.Factory(dict)


def read_text(path: Path, reporter: Reporter, span: Span | None = None, limit: int | None = None) -> str | None:
    """A file's text, or None after reporting E007 (also for a FIFO, a device or a directory,
    refused before reading; E101 for an import that is missing; E008 for a file over `limit`
    bytes, refused before it is read and never read past the limit)."""
    where = span or Span(str(path), 1, 1, 1, 1)
    try:
        return decode(read_bounded(path, limit))
    except TooLarge as exc:
        reporter.report("E008", f"文件“{path.name}”过大({exc.detail})", where)
    except FileNotFoundError:
        if span is not None:
            reporter.report("E101", f"找不到引用的文件“{path}”", span, "路径相对于写引用的文件所在的目录")
        else:
            reporter.report("E007", f"找不到文件“{path}”", where)
    except (OSError, UnicodeDecodeError) as exc:
        reporter.report("E007", f"无法读取文件“{_shown(str(path))}”:{_reason(exc)}", where)
    return None


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"不是有效的 UTF-8 文本(第 {exc.start + 1} 个字节)"
    return exc.strerror or type(exc).__name__ if isinstance(exc, OSError) else str(exc)


_UNPRINTABLE = re.compile("[\x00\ud800-\udfff]")


def _shown(path: str) -> str:
    """A path as it may be printed: a NUL or a lone surrogate written as an escape."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", path)


_SURROGATE = re.compile("[\ud800-\udfff]")


def invalid_character(text: str, file: str) -> Diagnostic | None:
    """E001 at the first lone surrogate in rubric text given as a str (text read from a file
    is decoded UTF-8 and cannot hold one): it could not be written out again, so a rubric
    holding one would fail later in every writer. The line is shown with U+FFFD in its place."""
    found = _SURROGATE.search(text)
    if found is None:
        return None
    at = found.start()
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    shown = source_line(_SURROGATE.sub("\ufffd", text), line)
    return Diagnostic("E001", f"文本含有无效的字符 U+{ord(found.group(0)):04X}(单独的代理码元,不是 Unicode 字符)",
                      Span(file, line, column, line, column + 1), shown,
                      "这多半是编码转换出了错;删去它,或改回原来的文字")


@attrs.frozen
class Access:
    """Where imports may read: inside one of `roots` (resolved, so `..` and symlinks that lead
    out are caught), and how much the limits allow."""

    roots: tuple[Path, ...]
    limits: Limits = DEFAULT

    @classmethod
    def under(cls, root: Path | None, limits: Limits = DEFAULT) -> Access:
        """The tree under `root` and the built-in schemes; no files at all without a root."""
        return cls((*((root.resolve(),) if root is not None else ()), BUILTIN_SCHEMES_DIR.resolve()), limits)

    def allows(self, path: Path) -> bool:
        return any(path.is_relative_to(root) for root in self.roots)


def load_program(text: str, filename: str, base_dir: Path | None, reporter: Reporter,
                 access: Access) -> Program | None:
    """Parse `text` and its imports (relative to `base_dir`). Returns None when the entry
    itself does not parse."""
    entry = _parse_reporting(text, filename, reporter, access.limits)
    if entry is None:
        return None
    program = Program(entry)
    _Importer(program, reporter, access).add(entry, base_dir, [filename])
    _add_builtins(program, reporter, access.limits)
    return program


def _parse_reporting(text: str, filename: str, reporter: Reporter, limits: Limits) -> ast.Module | None:
    invalid = invalid_character(text, filename)
    if invalid is not None:
        reporter.extend([invalid])
        return None
    reporter.add_source(filename, text)
    try:
        return parse(text, filename, limits)
    except RubricError as exc:
        reporter.extend(exc.diagnostics)
        return None


@attrs.define
class _Importer:
    program: Program
    reporter: Reporter
    access: Access
    imported: int = 0

    def add(self, module: ast.Module, base_dir: Path | None, stack: list[str]) -> None:
        self.program.modules[module.filename] = module
        for block in module.blocks:
            if isinstance(block, ast.Import):
                self._import(block, base_dir, stack)
            elif not isinstance(block, ast.NamedCondition):  # 条件 lines: the checker reads them from `modules`
                _index(self.program, block, self.reporter)

    def _import(self, block: ast.Import, base_dir: Path | None, stack: list[str]) -> None:
        limits, report = self.access.limits, self.reporter.report
        if base_dir is None:
            report("E111", f"不能引用“{block.path}”:从文本加载的标准没有给出可以读取文件的根目录", block.span,
                   "调用 loads / check_text 时给出 root=…(引用只在这个目录中解析)")
            return
        path = _resolved(base_dir, block, self.reporter)
        if path is None:
            return
        key = str(path)
        if key in stack:
            chain = " → ".join(Path(p).name for p in [*stack[stack.index(key):], key])
            report("E102", f"循环引用:{chain}", block.span)
            return
        if key in self.program.modules:
            return
        if not self.access.allows(path):
            report("E111", f"引用的文件“{block.path}”在允许的目录之外(解析为“{path}”)", block.span,
                   "只能引用标准所在目录及其子目录中的文件;“..”或符号链接不能通向目录之外")
            return
        if len(stack) > limits.import_depth:
            report("E110", f"引用层数过多(最多 {limits.import_depth} 层)", block.span)
            return
        self.imported += 1
        if self.imported == limits.imports + 1:
            report("E109", f"引用的文件过多(最多 {limits.imports} 个)", block.span)
        if self.imported > limits.imports:
            return
        text = read_text(path, self.reporter, block.span, limits.file_bytes)
        if text is None:
            return
        module = _parse_reporting(text, key, self.reporter, limits)
        if module is not None:
            self.add(module, path.parent, [*stack, key])


def _resolved(base_dir: Path, block: ast.Import, reporter: Reporter) -> Path | None:
    """Where an import leads, or None after E007 for a path that can name no file: one with a
    NUL (a string can hold one, a file name cannot), or a symlink loop (Python 3.11 raises
    RuntimeError for it here; later versions leave it to the read, which gives E007 too). A lone
    surrogate cannot get here: rubric text holding one is refused before it is parsed."""
    if "\x00" in block.path:
        reason = NUL_IN_PATH
    else:
        try:
            return (base_dir / block.path).resolve()
        except RuntimeError:
            reason = "符号链接形成了循环"
    reporter.report("E007", f"无法读取引用的文件“{_shown(block.path)}”:{reason}", block.span)
    return None


def _index(program: Program, block: ast.TopLevel, reporter: Reporter) -> None:
    table: dict[str, ast.Scheme] | dict[str, ast.Rubric] | dict[str, ast.Consequences] | dict[str, ast.Ranking]
    if isinstance(block, ast.Consequences):
        table, name = program.consequences, block.scheme
    elif isinstance(block, ast.Ranking):
        table, name = program.rankings, block.scheme
    else:
        assert isinstance(block, (ast.Scheme, ast.Rubric))
        table, name = (program.schemes if isinstance(block, ast.Scheme) else program.rubrics), block.name
        other = program.rubrics if isinstance(block, ast.Scheme) else program.schemes
        if name in other:
            table = other  # schemes and rubrics share one namespace
    previous = table.get(name)
    if previous is not None:
        reporter.report("E103", f"重复的顶层名称“{name}”", block.name_span,
                        notes=[reporter.note(previous.name_span, f"“{name}”第一次定义在这里")])
        return
    table[name] = block  # type: ignore[assignment]


@functools.cache
def builtin_scheme_files() -> dict[str, Path]:
    """Built-in scheme name → the file under rubrics/schemes/ that defines it."""
    found: dict[str, Path] = {}
    for path in sorted(BUILTIN_SCHEMES_DIR.glob("*.rubric")):
        module = parse(decode(path.read_bytes()), str(path))
        for block in module.blocks:
            if isinstance(block, ast.Scheme):
                found[block.name] = path
    return found


def builtin_scheme_names() -> list[str]:
    return list(builtin_scheme_files())


def _add_builtins(program: Program, reporter: Reporter, limits: Limits) -> None:
    """Load the built-in file of every scheme that is named but not defined here."""
    while True:
        wanted = _named_schemes(program) - set(program.schemes)
        files = {builtin_scheme_files()[n] for n in wanted if n in builtin_scheme_files()}
        files = {f for f in files if str(f.resolve()) not in program.modules}
        if not files:
            return
        for path in sorted(files):
            text = decode(path.read_bytes())
            key = str(path.resolve())
            module = _parse_reporting(text, key, reporter, limits)
            if module is not None:
                builtin = ast.Module(key, tuple(b for b in module.blocks if not _shadowed(program, b)),
                                     module.text, module.comments)
                _Importer(program, reporter, Access.under(None, limits)).add(builtin, path.parent, [key])


def _shadowed(program: Program, block: ast.TopLevel) -> bool:
    return isinstance(block, ast.Scheme) and block.name in program.schemes


def _named_schemes(program: Program) -> set[str]:
    names: set[str] = set(program.consequences) | set(program.rankings)
    for scheme in program.schemes.values():
        if scheme.base:
            names.add(scheme.base)
    for rubric in program.rubrics.values():
        for statement in rubric.body:
            if isinstance(statement, ast.DefaultSchemes):
                names.update(statement.names)
    return names
