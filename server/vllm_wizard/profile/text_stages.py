"""The stages that need nothing but the text: syntax → structure → schema.

`pipeline.analyze` runs these first, then the semantic and feasibility stages that need the
model and the GPU. An error stops only the stages that depend on its output: a YAML syntax error
leaves nothing to validate, but a deprecated spelling (a warning) never hides a later stage.
"""

from __future__ import annotations

from dataclasses import dataclass

from vllm_wizard.profile.diagnostics import Code, Diagnostic, Severity, sort_key
from vllm_wizard.profile.document import ParsedDocument, parse_document
from vllm_wizard.profile.positions import Range
from vllm_wizard.profile.schema import Profile
from vllm_wizard.profile.validate import TOP_LEVEL_KEYS, validate_tree


@dataclass(slots=True)
class Analysis:
    """Everything known about one version of a profile's text."""

    document: ParsedDocument
    profile: Profile | None
    diagnostics: list[Diagnostic]

    @property
    def text(self) -> str:
        return self.document.text


def _structure(document: ParsedDocument) -> list[Diagnostic]:
    """A profile is a non-empty mapping with at least one profile key."""
    root = document.root
    if root is None:
        if not document.syntax_ok or document.diagnostics:
            return []
        return [
            Diagnostic(
                Range.at(0, 0),
                Severity.ERROR,
                Code.EMPTY_PROFILE,
                "The profile is empty: it needs at least `model:` with an `id:` (the Hugging"
                " Face repo id of the model to serve).",
            )
        ]
    resolved = root.resolved
    if resolved.kind != "mapping":
        what = "a list" if resolved.kind == "sequence" else "a single value"
        return [
            Diagnostic(
                root.range,
                Severity.ERROR,
                Code.NOT_A_MAPPING,
                f"A profile is a mapping of sections (`model:`, `hardware:`, ...); this file"
                f" holds {what}.",
            )
        ]
    if not any(pair.key.resolved.value in TOP_LEVEL_KEYS for pair in root.mapping_pairs()):
        return [
            Diagnostic(
                Range.at(0, 0),
                Severity.ERROR,
                Code.NOT_A_PROFILE,
                "This YAML file is not a vLLM Wizard profile: it has none of"
                " `profile_version`, `model`, `hardware`, `workload`, `policy` or `outputs`.",
            )
        ]
    return []


def analyze_text(text: str) -> Analysis:
    """Run every stage on `text`; never raises."""
    document = parse_document(text)
    diagnostics = list(document.diagnostics)
    profile: Profile | None = None
    structure = _structure(document)
    diagnostics.extend(structure)
    if document.root is not None and not structure:
        result = validate_tree(document.root)
        diagnostics.extend(result.diagnostics)
        profile = result.profile
    diagnostics.sort(key=sort_key)
    return Analysis(document, profile, diagnostics)
