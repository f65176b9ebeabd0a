"""How the profile's fields are declared: type, default, bounds and the words users read.

The profile is plain dataclasses (profile/schema.py) whose fields carry a `FieldSpec` in their
metadata. One declaration feeds the validator (profile/check.py), the hover and completion
texts and the JSON Schema (profile/jsonschema.py). Not pydantic models: importing pydantic and
building its validators took ~120 ms of the ~235 ms between `initialize` and the first
diagnostics (issue 12, item 30); pydantic is still what writes the JSON Schema, at the edge.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

REQUIRED: Any = dataclasses.MISSING
"""The default of a field the profile must give."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """What a field allows beyond its Python type, and how it is explained."""

    title: str
    description: str
    gt: float | None = None
    ge: float | None = None
    le: float | None = None
    min_length: int | None = None
    pattern: str | None = None
    """A regular expression the whole text must match (JSON Schema's `pattern`)."""
    choices: Callable[[], tuple[str, ...]] | None = None
    """The allowed strings, when they come from a table (the vLLM release's quantizations)."""
    lowercase: bool = False
    """Text is accepted in any case and stored lowercase (`NVLink`)."""
    auto_means_none: bool = False
    """`auto` is read as null (`tp_size: auto`, the original CLI's spelling)."""
    json_schema: Mapping[str, Any] | None = None
    """The field's JSON Schema, where the Python type says less than what is accepted."""

    @property
    def bounds(self) -> tuple[tuple[str, float], ...]:
        """(`gt`/`ge`/`le`, limit) for each bound set, in the order they are checked."""
        return tuple(
            (name, limit)
            for name, limit in (("gt", self.gt), ("ge", self.ge), ("le", self.le))
            if limit is not None
        )


def declare(
    default: Any = REQUIRED,
    *,
    factory: Callable[[], Any] | None = None,
    title: str,
    description: str,
    **limits: Any,
) -> Any:
    """A dataclass field with its `FieldSpec`; `default` or `factory`, neither when required."""
    spec = FieldSpec(title=title, description=description, **limits)
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata={"spec": spec})
    return dataclasses.field(default=default, metadata={"spec": spec})


@dataclass(frozen=True, slots=True)
class ProfileField:
    """One declared field: its name, Python type, default and spec."""

    name: str
    annotation: Any
    spec: FieldSpec
    default: Any
    factory: Callable[[], Any] | None

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def description(self) -> str:
        return self.spec.description

    def is_required(self) -> bool:
        return self.default is REQUIRED and self.factory is None

    def get_default(self) -> Any:
        """The default value (a fresh one for a factory); REQUIRED when there is none."""
        return self.factory() if self.factory is not None else self.default


_DECLARED: dict[object, Mapping[str, ProfileField]] = {}


def fields_of(cls: Any) -> Mapping[str, ProfileField]:
    """The declared fields of a profile dataclass (the class), in declaration order."""
    known = _DECLARED.get(cls)
    if known is not None:
        return known
    found: dict[str, ProfileField] = {}
    for item in dataclasses.fields(cls):
        factory = item.default_factory
        found[item.name] = ProfileField(
            name=item.name,
            annotation=item.type,
            spec=item.metadata["spec"],
            default=item.default,
            factory=None if factory is dataclasses.MISSING else factory,
        )
    _DECLARED[cls] = found
    return found


def to_data(value: Any) -> Any:
    """A profile (or a part of one) as plain data, fields in declaration order."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: to_data(getattr(value, name)) for name in fields_of(type(value))}
    if isinstance(value, list):
        return [to_data(item) for item in value]
    if isinstance(value, dict):
        return {key: to_data(item) for key, item in value.items()}
    return value
