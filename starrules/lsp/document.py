"""One document as an editor holds it: its text, the file it is saved as, and how the editor
counts columns."""

from __future__ import annotations

import functools
from pathlib import Path

import attrs

from .positions import Positions

UNSAVED = "<editor>"  # the file name of a document that is not saved anywhere yet


@attrs.frozen(slots=False)  # not slotted: cached_property keeps its value in __dict__
class Document:
    """`path`: the file the document is saved as (None for an unsaved one); `引用` resolve against
    its folder and may read only inside it, as `starrules check` does, and never write.
    `encoding`: the column units the editor and server agreed on (utf-16 unless told)."""

    text: str
    path: str | None = None
    encoding: str = "utf-16"

    @property
    def filename(self) -> str:
        """The name the checker gives this document in its spans."""
        return self.path if self.path is not None else UNSAVED

    @property
    def folder(self) -> Path | None:
        return Path(self.path).parent if self.path is not None else None

    @functools.cached_property
    def positions(self) -> Positions:
        return Positions(self.text, self.encoding)
