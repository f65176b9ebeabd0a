"""What the planner finds, addressed by profile field rather than by text range.

The planner never sees the YAML text: it names the fields to blame (most to blame first)
and the pipeline turns the first one written in the document into a range. That keeps the
planner pure and lets the CLI, the language server and plan.json share one finding. It lives
above both layers because the text stages' checks (profile/validate.py) offer the same `Fix`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from vllm_wizard.profile.diagnostics import Code, Severity

FieldPath = tuple[str, ...]
"""A profile field, e.g. ("hardware", "tp_size") or ("outputs", "vllm_args", "max-num-seqs")."""


def counted(count: int, noun: str) -> str:
    """`1 request`, `32 requests`: a count as a message says it."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem or note about a profile, with the fields it concerns."""

    code: Code
    severity: Severity
    message: str
    fields: tuple[FieldPath, ...]
    """Where to show it: the first of these written in the profile (else its section)."""
    related: tuple[tuple[FieldPath, str], ...] = ()
    """Other inputs that contribute, each with a short note."""
    data: Mapping[str, Any] | None = None
    """What a quick fix needs (see `Fix`)."""
    point_at: Literal["value", "key"] = "value"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


@dataclass(frozen=True, slots=True)
class Fix:
    """A quick fix: set each path to its value (None with `remove` deletes the key).

    `title` says what it buys ("Set tp_size: 2 (fits: 34.5 GiB KV)").
    """

    title: str
    edits: tuple[tuple[FieldPath, Any], ...]
    preferred: bool = False
    remove: bool = False

    @staticmethod
    def set(title: str, path: FieldPath, value: Any, preferred: bool = False) -> Fix:
        return Fix(title, ((path, value),), preferred)

    def as_data(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "edits": [{"path": list(path), "value": value} for path, value in self.edits],
            "preferred": self.preferred,
            "remove": self.remove,
        }


def fixes_data(fixes: list[Fix], **extra: Any) -> dict[str, Any]:
    """`Diagnostic.data` carrying quick fixes (and anything else the finding wants kept)."""
    return {"fixes": [fix.as_data() for fix in fixes], **extra}


@dataclass(slots=True)
class Findings:
    """A growing list of findings; small helper so checks read as one line each."""

    items: list[Finding] = field(default_factory=list)

    def add(
        self,
        code: Code,
        severity: Severity,
        message: str,
        *fields: FieldPath,
        related: tuple[tuple[FieldPath, str], ...] = (),
        data: Mapping[str, Any] | None = None,
        point_at: Literal["value", "key"] = "value",
    ) -> Finding:
        finding = Finding(code, severity, message, fields, related, data, point_at)
        self.items.append(finding)
        return finding

    def error(self, code: Code, message: str, *fields: FieldPath, **kwargs: Any) -> Finding:
        return self.add(code, Severity.ERROR, message, *fields, **kwargs)

    def warning(self, code: Code, message: str, *fields: FieldPath, **kwargs: Any) -> Finding:
        return self.add(code, Severity.WARNING, message, *fields, **kwargs)

    def info(self, code: Code, message: str, *fields: FieldPath, **kwargs: Any) -> Finding:
        return self.add(code, Severity.INFO, message, *fields, **kwargs)

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.items)
