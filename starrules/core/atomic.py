"""Writing a file so that its name only ever holds the old file or the complete new one.

The new content goes to a hidden temporary file beside the target (same folder, so the rename
cannot cross file systems), is flushed to disk, and only then renamed over the target; the folder
is synced so the rename survives a power cut too. On any exception, Ctrl-C included, the
temporary file is removed and the target is left as it was. A process killed outright (SIGKILL)
can leave a hidden `.NAME.XXXXXXXX.tmp` file behind, never a partial file under NAME."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_NAME_CHARS = 60  # of the target's name kept in the temporary name: stays under NAME_MAX in UTF-8


class Pending:
    """A new version of `target` being written at `temp`; `commit()` puts it in place,
    `discard()` drops it. The temporary file is created empty (mode 0666 less the umask, like
    any new file) so no other process can take its name."""

    def __init__(self, target: str | os.PathLike[str]) -> None:
        self.target = Path(target)
        self.temp = _create_beside(self.target)

    def commit(self, mode: int | None = None) -> None:
        """Sync the temporary file, give it `mode` if set, rename it over the target."""
        try:
            _sync(self.temp)
            if mode is not None:
                os.chmod(self.temp, mode)
            os.replace(self.temp, self.target)
        except BaseException:
            self.discard()
            raise
        _sync_folder(self.target.parent)

    def discard(self) -> None:
        try:
            self.temp.unlink()
        except FileNotFoundError:
            pass


@contextmanager
def replacing(target: str | os.PathLike[str], mode: int | None = None) -> Iterator[Path]:
    """A temporary path to write the new `target` to; it replaces `target` when the block ends
    normally and is removed when the block raises."""
    pending = Pending(target)
    try:
        yield pending.temp
    except BaseException:
        pending.discard()
        raise
    pending.commit(mode)


def write_bytes(target: str | os.PathLike[str], data: bytes, mode: int | None = None) -> None:
    with replacing(target, mode) as temp:
        temp.write_bytes(data)


def write_text(target: str | os.PathLike[str], text: str, mode: int | None = None) -> None:
    """UTF-8 text, written as is (no newline translation)."""
    with replacing(target, mode) as temp:
        with temp.open("w", encoding="utf-8", newline="") as stream:
            stream.write(text)


def save_with(target: str | os.PathLike[str], save: Callable[[Path], object]) -> None:
    """Run a library's own save-to-path (openpyxl's `Workbook.save`) on the temporary path."""
    with replacing(target) as temp:
        save(temp)


def _create_beside(target: Path) -> Path:
    name = target.name[:_NAME_CHARS]
    while True:
        temp = target.with_name(f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue  # 2**32 names: a clash is rare, two in a row rarer still
        return temp


def _sync(path: Path) -> None:
    """fsync through a fresh descriptor: it flushes the file, whoever wrote it (Arrow, openpyxl)."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable where the system allows it (not on Windows, where a folder
    cannot be opened this way)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
