"""Engine types ↔ lsprotocol types, in the position encoding negotiated at initialize.

The engine counts columns in code points; the client counts UTF-16 units (VS Code) or UTF-8
bytes (Neovim 0.11 offers it first). Every position crosses here, converted against the
document's current text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lsprotocol import types

from vllm_wizard.lsp.markup import plain_text
from vllm_wizard.lsp.model import (
    ActionResult,
    CommandRef,
    CompletionResult,
    HoverResult,
    LensResult,
    SymbolResult,
    TextEdit,
)
from vllm_wizard.profile.diagnostics import Code, Diagnostic, RelatedInformation, Severity
from vllm_wizard.profile.positions import (
    Position,
    PositionEncoding,
    Range,
    column_to_units,
    units_to_column,
)

SOURCE = "vllm-wizard"

_COMPLETION_KINDS = {
    "property": types.CompletionItemKind.Property,
    "value": types.CompletionItemKind.Value,
    "enum": types.CompletionItemKind.EnumMember,
    "snippet": types.CompletionItemKind.Snippet,
    "module": types.CompletionItemKind.Module,
    "file": types.CompletionItemKind.File,
    "keyword": types.CompletionItemKind.Keyword,
    "reference": types.CompletionItemKind.Reference,
}
_SYMBOL_KINDS = {
    "namespace": types.SymbolKind.Namespace,
    "field": types.SymbolKind.Field,
    "property": types.SymbolKind.Property,
    "key": types.SymbolKind.Key,
    "array": types.SymbolKind.Array,
    "string": types.SymbolKind.String,
    "number": types.SymbolKind.Number,
    "boolean": types.SymbolKind.Boolean,
}
_ACTION_KINDS = {
    "quickfix": types.CodeActionKind.QuickFix,
    "source": types.CodeActionKind.Source,
    "refactor.rewrite": types.CodeActionKind.RefactorRewrite,
}


def markup_kind(offered: Sequence[Any] | None) -> types.MarkupKind:
    """The first of the client's markup kinds that we write (its list is in order of
    preference); plain text when it lists neither: a client that does not say it renders
    Markdown shows the asterisks and pipes as they are (Kate, eglot's completion)."""
    for kind in offered or ():
        value = str(getattr(kind, "value", kind))
        if value == types.MarkupKind.Markdown.value:
            return types.MarkupKind.Markdown
        if value == types.MarkupKind.PlainText.value:
            return types.MarkupKind.PlainText
    return types.MarkupKind.PlainText


def hover_kind(capabilities: types.ClientCapabilities) -> types.MarkupKind:
    """The markup of hovers: `textDocument.hover.contentFormat`."""
    document = capabilities.text_document
    hover = document.hover if document is not None else None
    return markup_kind(hover.content_format if hover is not None else None)


def documentation_kind(capabilities: types.ClientCapabilities) -> types.MarkupKind:
    """The markup of completion items' documentation:
    `textDocument.completion.completionItem.documentationFormat`."""
    document = capabilities.text_document
    completion = document.completion if document is not None else None
    item = completion.completion_item if completion is not None else None
    return markup_kind(item.documentation_format if item is not None else None)


def markup(markdown: str, kind: types.MarkupKind) -> types.MarkupContent:
    """The feature modules' Markdown, as it is or rendered as plain text."""
    if kind == types.MarkupKind.PlainText:
        return types.MarkupContent(kind=kind, value=plain_text(markdown))
    return types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown)


def encoding_of(value: Any) -> PositionEncoding:
    """pygls' negotiated encoding as our literal (utf-16 unless the client chose otherwise)."""
    text = str(getattr(value, "value", value) or "utf-16").lower()
    if text in ("utf-8", "utf-32"):
        return text  # type: ignore[return-value]
    return "utf-16"


class Converter:
    """Position conversion for one document's text."""

    def __init__(self, lines: Sequence[str], encoding: PositionEncoding) -> None:
        self.lines = lines
        self.encoding = encoding

    def _line(self, line: int) -> str:
        return self.lines[line] if 0 <= line < len(self.lines) else ""

    def position(self, position: Position) -> types.Position:
        units = column_to_units(self._line(position.line), position.character, self.encoding)
        return types.Position(line=position.line, character=units)

    def range(self, range_: Range) -> types.Range:
        return types.Range(start=self.position(range_.start), end=self.position(range_.end))

    def from_position(self, position: types.Position) -> Position:
        column = units_to_column(self._line(position.line), position.character, self.encoding)
        return Position(position.line, column)

    def from_range(self, range_: types.Range) -> Range:
        return Range(self.from_position(range_.start), self.from_position(range_.end))

    # ---- results -------------------------------------------------------------------

    def diagnostic(self, diagnostic: Diagnostic, uri: str) -> types.Diagnostic:
        related = [self._related(r, uri) for r in diagnostic.related] or None
        data: Any = dict(diagnostic.data) if diagnostic.data else None
        return types.Diagnostic(
            range=self.range(diagnostic.range),
            message=diagnostic.message,
            severity=types.DiagnosticSeverity(int(diagnostic.severity)),
            code=diagnostic.code.value,
            source=SOURCE,
            related_information=related,
            data=data,
        )

    def _related(self, related: RelatedInformation, uri: str) -> types.DiagnosticRelatedInformation:
        return types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri, range=self.range(related.range)),
            message=related.message,
        )

    def from_diagnostic(self, diagnostic: types.Diagnostic) -> Diagnostic | None:
        """A diagnostic the client sent back (code action context); None when not ours."""
        if diagnostic.source != SOURCE or not isinstance(diagnostic.code, str):
            return None
        try:
            code = Code(diagnostic.code)
        except ValueError:
            return None
        severity = Severity(int(diagnostic.severity)) if diagnostic.severity else Severity.ERROR
        data = diagnostic.data if isinstance(diagnostic.data, dict) else None
        return Diagnostic(
            self.from_range(diagnostic.range), severity, code, diagnostic.message, data
        )

    def text_edit(self, edit: TextEdit) -> types.TextEdit:
        return types.TextEdit(range=self.range(edit.range), new_text=edit.new_text)

    def hover(
        self, result: HoverResult, kind: types.MarkupKind = types.MarkupKind.Markdown
    ) -> types.Hover:
        return types.Hover(
            contents=markup(result.markdown, kind),
            range=self.range(result.range) if result.range is not None else None,
        )

    def completion(
        self,
        item: CompletionResult,
        snippets: bool,
        documentation_kind: types.MarkupKind = types.MarkupKind.Markdown,
    ) -> types.CompletionItem:
        use_snippet = item.snippet and snippets
        text = (
            item.insert_text
            if use_snippet or not item.snippet
            else (item.plain_text or item.insert_text)
        )
        documentation: str | types.MarkupContent | None = None
        if item.documentation and documentation_kind == types.MarkupKind.PlainText:
            documentation = plain_text(item.documentation)  # a string: plain text to all
        elif item.documentation:
            documentation = markup(item.documentation, documentation_kind)
        return types.CompletionItem(
            label=item.label,
            kind=_COMPLETION_KINDS[item.kind],
            detail=item.detail,
            documentation=documentation,
            sort_text=item.sort_text,
            filter_text=item.filter_text,
            preselect=item.preselect or None,
            insert_text_format=(
                types.InsertTextFormat.Snippet if use_snippet else types.InsertTextFormat.PlainText
            ),
            text_edit=types.TextEdit(range=self.range(item.edit_range), new_text=text),
            additional_text_edits=[self.text_edit(e) for e in item.additional_edits] or None,
        )

    def symbol(self, symbol: SymbolResult) -> types.DocumentSymbol:
        return types.DocumentSymbol(
            name=symbol.name,
            kind=_SYMBOL_KINDS[symbol.kind],
            range=self.range(symbol.range),
            selection_range=self.range(symbol.selection_range),
            detail=symbol.detail,
            children=[self.symbol(child) for child in symbol.children] or None,
        )

    def command(self, command: CommandRef) -> types.Command:
        return types.Command(
            title=command.title, command=command.command, arguments=list(command.arguments)
        )

    def action(self, action: ActionResult, uri: str) -> types.CodeAction:
        edit = None
        if action.edits:
            edit = types.WorkspaceEdit(changes={uri: [self.text_edit(e) for e in action.edits]})
        return types.CodeAction(
            title=action.title,
            kind=_ACTION_KINDS[action.kind],
            diagnostics=[self.diagnostic(d, uri) for d in action.diagnostics] or None,
            edit=edit,
            command=self.command(action.command) if action.command is not None else None,
            is_preferred=action.preferred or None,
        )

    def lens(self, lens: LensResult) -> types.CodeLens:
        return types.CodeLens(range=self.range(lens.range), command=self.command(lens.command))
