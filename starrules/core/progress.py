"""A one-line progress display on stderr for long batch runs (`starrules eval … -o`): rows done,
rows per second and the time left, in Chinese. Drawn by tqdm (the `batch` extra, which `-o`
needs anyway): it redraws at most five times a second, pads each redraw over the last one by
display width (a Chinese character is two columns, so nothing is left over), cuts the line to
the terminal's width (a wrapped line could not be redrawn with a carriage return) and shows
nothing unless the stream is a terminal. Imported on first use: nothing else needs tqdm."""

from __future__ import annotations

import sys
from typing import Any, TextIO

INTERVAL = 0.2  # seconds between redraws at most


class Progress:
    def __init__(self, total: int | None, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.bar: Any = _bar(total, self.stream) if self.enabled else None

    @property
    def done(self) -> int:
        return int(self.bar.n) if self.bar is not None else 0

    def advance(self, rows: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(rows)

    def note(self, text: str) -> None:
        """A message (an error, a warning) on lines of its own above the progress line."""
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream)

    def finish(self) -> None:
        """The last state drawn in full, the cursor left on the next line."""
        if self.bar is not None:
            self.bar.close()


def parts(done: int, total: int | None, rate: float | None) -> dict[str, str]:
    """The Chinese pieces of the line: counts (with the share done when the total is known), the
    rate, and the time left once there is a rate to reckon it by."""
    return {"counts": f"已评 {done:,} / {total:,} 条({done * 100 // total}%)" if total else f"已评 {done:,} 条",
            "speed": f"{rate:,.0f} 条/秒" if rate else "… 条/秒",
            "left": f" · 剩余约 {max(total - done, 0) / rate:,.0f} 秒" if rate and total else ""}


def _bar(total: int | None, stream: TextIO) -> Any:
    from tqdm import tqdm

    class Bar(tqdm):  # type: ignore[type-arg]  # tqdm is generic in what it iterates; this one iterates nothing
        """tqdm with the counts, the rate and the time left in Chinese (its own say `it/s` and `00:05`)."""

        monitor_interval = 0  # no monitor thread: redraws happen only as rows are counted

        @property
        def format_dict(self) -> dict[str, Any]:
            shown = dict(super().format_dict)
            return {**shown, **parts(shown["n"], shown["total"], shown["rate"])}

    shape = "{counts} |{bar}| {speed}{left}" if total else "{counts} · {speed}"
    return Bar(total=total, file=stream, mininterval=INTERVAL, dynamic_ncols=True, bar_format=shape)
