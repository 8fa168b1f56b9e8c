"""Editor support: what a language server computes from a document's text.

Each feature is a pure function of a `Document` (its text, the file it is saved as, the editor's
column units), so it can be used and tested without a server: `diagnostics`, `hover`,
`completions`, `definition`, `formatting`. `server.py` wires them to pygls (`starrules lsp`); it
is the only module here that needs pygls (`pip install 'starrules[lsp]'`).
"""

from .completion import Completion, completions
from .definition import definition
from .diagnostics import EditorDiagnostic, Related, diagnostics
from .document import Document
from .formatting import TextEdit, formatting
from .hover import Hover, hover
from .positions import Location, Position, Positions, Range

__all__ = [
    "Completion", "Document", "EditorDiagnostic", "Hover", "Location", "Position", "Positions", "Range", "Related",
    "TextEdit", "completions", "definition", "diagnostics", "formatting", "hover",
]
