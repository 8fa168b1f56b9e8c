"""A one-line progress display on stderr for long batch runs: rows done, rows per second and
the time left. Shown only on a terminal; redrawn at most five times a second."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int | None, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total, self.done = total, 0
        self.start = self.shown = time.monotonic()

    def advance(self, rows: int = 1) -> None:
        self.done += rows
        now = time.monotonic()
        if self.enabled and now - self.shown >= 0.2:
            self.shown = now
            self.stream.write("\r" + self.line(now - self.start))
            self.stream.flush()

    def line(self, elapsed: float) -> str:
        rate = self.done / elapsed if elapsed > 0 else 0.0
        text = f"已评 {self.done:,}" + (f" / {self.total:,} 条({self.done * 100 // self.total}%)" if self.total else " 条")
        text += f" · {rate:,.0f} 条/秒"
        if self.total and rate > 0:
            text += f" · 剩余约 {max(self.total - self.done, 0) / rate:,.0f} 秒"
        return text

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\r" + self.line(time.monotonic() - self.start) + "\n")
            self.stream.flush()
