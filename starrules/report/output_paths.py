"""Where a command may write, decided before it reads its inputs: an output never replaces an
input (the rubric, a file it imports, the evidence), two outputs of one run are never one file,
an existing file is replaced only when the user says so, and the folder must already exist.
The writing itself is atomic (`atomic.py`), so a refused or failed run leaves every file as it was."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

from ..core.diagnostics import Diagnostic, StarrulesError
from ..plan.evidence import os_reason
from ..core.source import Span


class OutputError(StarrulesError):
    """An output file that cannot or may not be written (E601–E606)."""


@attrs.frozen
class Output:
    """One file a command is asked to write: through `option`, which takes `suffixes` and is
    used for `what` (for the messages: 批量评分, 评分卡 …)."""

    path: Path
    option: str
    suffixes: tuple[str, ...]
    what: str


def suffix_problems(outputs: Sequence[Output]) -> list[Diagnostic]:
    """E602 for each output whose name does not end in a suffix its option takes."""
    return [_diagnostic("E602", output.path, f"{output.option} 用于{output.what}:应写成 {_either(output.suffixes)} "
                                             f"文件,这里是“{output.path}”")
            for output in outputs if output.path.suffix.lower() not in output.suffixes]


def _either(suffixes: Sequence[str]) -> str:
    """.jsonl、.csv 或 .parquet"""
    return "、".join(suffixes[:-1]) + " 或 " + suffixes[-1] if len(suffixes) > 1 else suffixes[0]


def check_outputs(outputs: Sequence[Output], inputs: Iterable[str | os.PathLike[str]], *, force: bool) -> None:
    """Raise OutputError with every problem found: a missing folder (E604), an input's file
    (E601), a file another output also names (E603), an existing file without `force` (E605)
    or a folder in the way (E606). Nothing is read or written."""
    sources = list(inputs)
    problems: list[Diagnostic] = []
    for index, output in enumerate(outputs):
        path = output.path
        folder = path.parent
        twin = next((o for o in outputs[:index] if same_file(o.path, path)), None)
        if not folder.is_dir():
            reason = f"文件夹“{folder}”不存在" if not folder.exists() else f"“{folder}”不是文件夹"
            problems.append(_diagnostic("E604", path, f"无法写入“{path}”:{reason}"))
        elif (clash := _input_clash(output, sources)) is not None:
            problems.append(clash)
        elif twin is not None:
            problems.append(_diagnostic("E603", path, f"{output.option} 的“{path}”与 {twin.option} 的“{twin.path}”"
                                                      "是同一个文件"))
        elif path.is_dir():
            problems.append(_diagnostic("E606", path, f"无法写入“{path}”:这是一个文件夹"))
        elif os.path.lexists(path) and not force:
            problems.append(_diagnostic("E605", path, f"“{path}”已存在;如确需覆盖,加 --force"))
    if problems:
        raise OutputError(problems)


def check_not_inputs(outputs: Sequence[Output], inputs: Iterable[str | os.PathLike[str]]) -> None:
    """E601 for an output that is one of `inputs` (once the rubric is loaded: every file it was read from)."""
    sources = list(inputs)
    problems = [clash for output in outputs if (clash := _input_clash(output, sources)) is not None]
    if problems:
        raise OutputError(problems)


def _input_clash(output: Output, inputs: Sequence[str | os.PathLike[str]]) -> Diagnostic | None:
    source = next((s for s in inputs if same_file(output.path, s)), None)
    if source is None:
        return None
    return _diagnostic("E601", output.path, f"{output.option} 的输出文件“{output.path}”就是输入文件“{source}”,"
                                            "写出会毁掉输入")


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """One file under two names: equal once symlinks and `..` are resolved, or (both existing)
    the same device and inode — a hard link, a bind mount, another case on a case-blind disk."""
    try:
        if Path(a).resolve() == Path(b).resolve():
            return True
        return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)
    except (OSError, RuntimeError):  # a symlink loop: it cannot be any file we read
        return False


def write_failed(path: str | os.PathLike[str], exc: OSError) -> OutputError:
    """E606 for an output that could not be written (disk full, no permission …)."""
    return OutputError([_diagnostic("E606", Path(path), f"无法写入“{path}”:{os_reason(exc)}")])


def _diagnostic(code: str, path: Path, message: str) -> Diagnostic:
    return Diagnostic(code, message, Span(str(path), 0, 0, 0, 0), "")
