"""One record of evidence as a reader gives it, and the error of a record that could not be scored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..core.diagnostics import Diagnostic
from ..core.reporter import Reporter
from ..plan.evidence import Locate


@attrs.frozen
class RowError:
    """A record that could not be scored: its position (the line, for a file), id and problems."""

    row: int
    id: str | None
    diagnostics: tuple[Diagnostic, ...]


@attrs.frozen
class Record:
    row: int
    data: Mapping[str, Any] | None  # None when the record itself is malformed
    locate: Locate = attrs.field(eq=False)
    reporter: Reporter = attrs.field(eq=False)
