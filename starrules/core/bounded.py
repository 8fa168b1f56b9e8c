"""Opening input files without trusting them (docs/limits.md): only a regular file is read — a
FIFO, a device or a directory is refused before a byte is read, and opening one never blocks —
and never more than the limit, whatever the file's size claims (a FIFO or /dev/zero says 0)."""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Iterator
from typing import Any, BinaryIO, TextIO

NOT_REGULAR = "不是普通文件(可能是管道、设备或目录)"
NUL_IN_PATH = "路径中含有空字符(NUL)"
BAD_PATH = "路径中含有不能用作文件名的字符"
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO without a writer would block open() without it
_FLAGS = os.O_RDONLY | _NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
_PIECE = 65_536  # characters read at a time while skipping a line that is over the limit
_LINE_ENDS = ("\n", "\r")


class Refused(OSError):
    """A path that names no regular file to read; `strerror` says why, in Chinese, so the
    readers' existing OSError messages (E007, E511) show it."""

    def __init__(self, reason: str) -> None:
        super().__init__(errno.EINVAL, reason)

    def __reduce__(self) -> tuple[Any, ...]:  # rebuilt from its own arguments in another process
        return type(self), (self.strerror,), self.__dict__


class TooLarge(Exception):
    """A file over `limit` bytes: `size` as the file system gives it, or None when the file
    held more than its size said (it grew, or it is one of /proc's files that say 0)."""

    def __init__(self, size: int | None, limit: int) -> None:
        self.size, self.limit = size, limit
        super().__init__(self.detail)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.size, self.limit), self.__dict__

    @property
    def detail(self) -> str:
        if self.size is None:
            return f"超过 {self.limit} 字节"
        return f"{self.size} 字节,最多 {self.limit} 字节"


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """The file opened for binary reading, after `fstat` of the open descriptor (not of the
    path, which could be swapped between a check and the open) shows a regular file. Raises
    Refused for anything else, and OSError when it cannot be opened."""
    if "\x00" in os.fspath(path):
        raise Refused(NUL_IN_PATH)
    try:
        descriptor = os.open(path, _FLAGS)
    except ValueError:  # a character the file system cannot encode (a lone surrogate)
        raise Refused(BAD_PATH) from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise Refused(NOT_REGULAR)
        if _NONBLOCK:
            os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def size_of(stream: BinaryIO) -> int:
    return os.fstat(stream.fileno()).st_size


def check_size(stream: BinaryIO, limit: int) -> None:
    """TooLarge when the open file says it holds more than `limit` bytes."""
    size = size_of(stream)
    if size > limit:
        raise TooLarge(size, limit)


def read_bounded(path: str | os.PathLike[str], limit: int | None) -> bytes:
    """A regular file's bytes, at most `limit` of them: a file whose size is over is refused
    before it is read, and reading stops one byte past the limit whatever the size said
    (TooLarge either way). Refused / OSError as `open_regular`."""
    with open_regular(path) as stream:
        if limit is None:
            return stream.read()
        check_size(stream, limit)
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(None, limit)
    return data


def open_text(path: str | os.PathLike[str]) -> TextIO:
    """A regular file as UTF-8 text (a BOM dropped), lines ending in \\n, \\r\\n or \\r kept
    as written, for reading line by line with `bounded_lines`."""
    return io.TextIOWrapper(open_regular(path), encoding="utf-8-sig", newline="")


def bounded_lines(stream: TextIO, limit: int) -> Iterator[str | None]:
    """Each line with its line end, or None for a line of more than `limit` characters (so more
    than `limit` UTF-8 bytes), which is skipped a piece at a time and never held whole."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if line.endswith(_LINE_ENDS) or len(line) <= limit:
            yield line
            continue
        while True:  # the rest of the line, read and dropped
            piece = stream.readline(_PIECE)
            if not piece or piece.endswith(_LINE_ENDS):
                break
        yield None
