"""Diagnostics as plain data, shared by the CLI (`check`) and the language server.

A diagnostic carries a stable `code` (users filter on it, code actions dispatch on it) and
optional `data` holding what a quick fix needs (a canonical spelling, a suggested value).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from vllm_wizard.profile.positions import Range


class Severity(IntEnum):
    """LSP's numbering, so the server passes it through unchanged."""

    ERROR = 1
    WARNING = 2
    INFO = 3
    HINT = 4

    @property
    def label(self) -> str:
        """The word the CLI prints: error, warning, info or hint."""
        return self.name.lower()


class Code(StrEnum):
    """Stable diagnostic codes. Never rename one: users' scripts and editors filter on them."""

    ENCODING = "encoding"
    YAML_SYNTAX = "yaml-syntax"
    YAML_TAB = "yaml-tab"
    MULTIPLE_DOCUMENTS = "multiple-documents"
    DUPLICATE_KEY = "duplicate-key"
    ALIAS_EXPANSION = "alias-expansion"
    DOCUMENT_TOO_LARGE = "document-too-large"
    EMPTY_PROFILE = "empty-profile"
    NOT_A_MAPPING = "not-a-mapping"
    NOT_A_PROFILE = "not-a-profile"
    UNKNOWN_KEY = "unknown-key"
    MISSING_FIELD = "missing-field"
    INVALID_VALUE = "invalid-value"
    DEPRECATED_ALIAS = "deprecated-alias"
    UNSUPPORTED_VERSION = "unsupported-version"
    RISKY_VALUE = "risky-value"
    TRUST_REMOTE_CODE = "trust-remote-code"
    # semantic stage: resolving the model and the GPU, and rules vLLM enforces
    MODEL_UNRESOLVED = "model-unresolved"
    MODEL_LOADING = "model-loading"
    MODEL_CONFIG = "model-config"
    MODEL_DERIVED = "model-derived"
    GPU_UNKNOWN = "gpu-unknown"
    GPU_UNDETECTED = "gpu-undetected"
    GPU_DETECTED = "gpu-detected"
    GPU_AMBIGUOUS = "gpu-ambiguous"
    GPU_FREE_MEMORY = "gpu-free-memory"
    VRAM_MARKETING = "vram-marketing"
    PARALLEL_LAYOUT = "parallel-layout"
    CROSS_NODE_TP = "cross-node-tp"
    MAX_MODEL_LEN = "max-model-len"
    DTYPE_UNSUPPORTED = "dtype-unsupported"
    QUANTIZATION = "quantization"
    KV_CACHE_DTYPE = "kv-cache-dtype"
    VLLM_VERSION = "vllm-version"
    VLLM_ARG_UNKNOWN = "vllm-arg-unknown"
    VLLM_ARG_DUPLICATE = "vllm-arg-duplicate"
    VLLM_ARG_INVALID = "vllm-arg-invalid"
    VLLM_ARG_NOT_MODELLED = "vllm-arg-not-modelled"
    AMD_ARTIFACTS = "amd-artifacts"
    OUTPUT_DIR = "output-dir"
    # feasibility stage: the memory verdict
    DOES_NOT_START = "does-not-start"
    NO_KV_MEMORY = "no-kv-memory"
    DOES_NOT_FIT = "does-not-fit"
    LOW_HEADROOM = "low-headroom"
    CUDA_GRAPH_RISK = "cuda-graph-risk"
    # performance: the estimate against workload.slo
    SLO_MISSED = "slo-missed"


MAX_LISTED = 100
"""Findings of one kind listed one by one; past this, one more says how many were left out.
Thousands of diagnostics (a file of 5,000 stray keys) take seconds to build and to send, and
help no one."""


@dataclass(frozen=True, slots=True)
class RelatedInformation:
    """Another place that contributes to a finding (e.g. the GPU behind an OOM)."""

    range: Range
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding at one place in a profile."""

    range: Range
    severity: Severity
    code: Code
    message: str
    data: Mapping[str, Any] | None = None
    related: tuple[RelatedInformation, ...] = field(default_factory=tuple)
    flag: str | None = None
    """The command-line flag (`--gpu`) the finding is about, when a flag set the value rather
    than the profile's text; `range` then means nothing (CLI overrides only)."""

    @property
    def is_error(self) -> bool:
        """True for error severity: `check` exits 1 and dependent stages are skipped."""
        return self.severity is Severity.ERROR


class Listing:
    """Diagnostics as found: the first `MAX_LISTED` of each code one by one, then one more
    per code that counts the rest (placed at the first left out)."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []
        self._listed: dict[Code, int] = {}
        self._left_out: dict[Code, tuple[Diagnostic, int]] = {}

    def full(self, code: Code) -> bool:
        """True when another `code` would only be counted (so its message need not be built)."""
        return self._listed.get(code, 0) >= MAX_LISTED

    def add(self, diagnostic: Diagnostic) -> None:
        code = diagnostic.code
        if not self.full(code):
            self._listed[code] = self._listed.get(code, 0) + 1
            self.items.append(diagnostic)
            return
        first, count = self._left_out.get(code, (diagnostic, 0))
        self._left_out[code] = (first, count + 1)

    def result(self, what: Mapping[Code, str]) -> list[Diagnostic]:
        """The listed diagnostics, then per code one saying how many more were found;
        `what` names them (`duplicate keys`)."""
        summaries = [
            Diagnostic(
                first.range,
                first.severity,
                code,
                f"{count:,} more {what.get(code, f'`{code.value}` findings')} from here on"
                " are not listed one by one.",
            )
            for code, (first, count) in self._left_out.items()
        ]
        return [*self.items, *summaries]


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """True when any diagnostic is an error."""
    return any(d.is_error for d in diagnostics)


def sort_key(diagnostic: Diagnostic) -> tuple[int, int, int, str]:
    """Document order, then severity: how editors and `check` list them."""
    start = diagnostic.range.start
    return (start.line, start.character, int(diagnostic.severity), diagnostic.code.value)
