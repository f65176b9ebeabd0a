"""What the language server's feature functions return, in the pipeline's own terms.

Feature modules (hover, completion, actions, lens, symbols) are pure functions of an
`Analysis` and a position, both in code points. They return these small types; only
`lsp/server.py` turns them into lsprotocol objects in the client's position encoding. That
keeps every feature testable without a client and without importing lsprotocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from vllm_wizard.profile.diagnostics import Diagnostic
from vllm_wizard.profile.positions import Range

CompletionKind = Literal[
    "property", "value", "enum", "snippet", "module", "file", "keyword", "reference"
]
SymbolKind = Literal[
    "namespace", "field", "property", "key", "array", "string", "number", "boolean"
]
ActionKind = Literal["quickfix", "source", "refactor.rewrite"]


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace `range` (code points) with `new_text`; an empty range inserts."""

    range: Range
    new_text: str


@dataclass(frozen=True, slots=True)
class HoverResult:
    """Hover text, and the range it is about."""

    markdown: str
    range: Range | None = None


@dataclass(frozen=True, slots=True)
class CompletionResult:
    """One completion item.

    `edit` replaces the half-typed word (or inserts at the cursor) with `insert_text`;
    `snippet` says `insert_text` uses LSP snippet syntax (`${1:value}`), which a client
    without snippet support gets as plain text (`plain_text`).
    """

    label: str
    kind: CompletionKind
    insert_text: str
    edit_range: Range
    detail: str | None = None
    documentation: str | None = None
    """Markdown."""
    snippet: bool = False
    plain_text: str | None = None
    sort_text: str | None = None
    filter_text: str | None = None
    preselect: bool = False
    additional_edits: tuple[TextEdit, ...] = ()


@dataclass(frozen=True, slots=True)
class SymbolResult:
    """One entry of the document outline, with its children."""

    name: str
    kind: SymbolKind
    range: Range
    selection_range: Range
    detail: str | None = None
    children: tuple[SymbolResult, ...] = ()


@dataclass(frozen=True, slots=True)
class CommandRef:
    """A command the client runs on the server (`workspace/executeCommand`)."""

    title: str
    command: str
    arguments: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class ActionResult:
    """A code action: text edits on this document and/or a command."""

    title: str
    kind: ActionKind
    edits: tuple[TextEdit, ...] = ()
    command: CommandRef | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    preferred: bool = False


@dataclass(frozen=True, slots=True)
class LensResult:
    """A code lens: a command shown above a line."""

    range: Range
    command: CommandRef


@dataclass(slots=True)
class Completions:
    """Completion items; `incomplete` asks the client to ask again as the user types."""

    items: list[CompletionResult] = field(default_factory=list)
    incomplete: bool = False


SOURCE = "vllm-wizard"
"""`Diagnostic.source` of every diagnostic the server publishes."""

GENERATE_COMMAND = "vllm-wizard.generate"
"""Write the deployment files for a profile; argument: the document URI."""

SHOW_PLAN_COMMAND = "vllm-wizard.showPlan"
"""Write plan.json to the output folder and show it; argument: the document URI."""

VERDICT_NOTIFICATION = "vllmWizard/verdict"
"""Server → client: {uri, fits, starts, summary} after each analysis, for status bars."""
