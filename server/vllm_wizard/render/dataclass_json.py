"""planning/result.py's dataclasses as JSON values, the way their annotations say.

Written by hand rather than by pydantic so that `plan --json` and `generate` do not import it
(~85 ms, and more to build a serializer) for a walk over a few plain fields. It writes what
pydantic's `mode="json"` writes for these types, which tests/render/test_plan_json.py checks
against pydantic on every example profile: a `GiB` figure rounded to 3 decimals, a float field
as a float (an int the planner holds becomes `1.0`), a tuple as a list, and `Any` values by
their runtime type (an infinite or NaN float there as null; in a float field pydantic keeps it,
and so does this).
"""

from __future__ import annotations

import dataclasses
import math
import types
from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal, Union, get_args, get_origin, get_type_hints

from vllm_wizard.planning.result import GiB

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Writer = Callable[[Any], Any]


Writers = tuple[tuple[str, Writer], ...]
"""Each field's name and how to write its value."""

_WRITERS: dict[type[DataclassInstance], Writers] = {}
"""Per class, worked out from its annotations once."""


def section_data(section: DataclassInstance) -> dict[str, Any]:
    """A dataclass instance as a JSON object, its fields in their declared order."""
    return {name: write(getattr(section, name)) for name, write in _writers(type(section))}


def _writers(cls: type[DataclassInstance]) -> Writers:
    writers = _WRITERS.get(cls)
    if writers is None:
        hints = get_type_hints(cls, include_extras=True)
        writers = tuple((f.name, _writer(hints[f.name])) for f in dataclasses.fields(cls))
        _WRITERS[cls] = writers
    return writers


def _writer(hint: Any) -> Writer:
    origin, args = get_origin(hint), get_args(hint)
    if hint == GiB:
        return _gib
    if hint is float:
        return _float
    if hint in (int, str, bool) or origin is Literal:
        return _same
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return section_data
    if origin in (Union, types.UnionType) and type(None) in args:
        [inner] = [arg for arg in args if arg is not type(None)]
        return _optional(_writer(inner))
    if origin is list:
        return _list_of(_writer(args[0]))
    if hint is Any or origin is dict:
        return _any
    raise TypeError(f"plan.json has no way to write a {hint!r}")


def _same(value: Any) -> Any:
    return value


def _float(value: float) -> float:
    return float(value)


def _gib(value: float) -> float:
    return float(round(value, 3))


def _optional(write: Writer) -> Writer:
    return lambda value: None if value is None else write(value)


def _list_of(write: Writer) -> Writer:
    return lambda values: [write(value) for value in values]


def _any(value: Any) -> Any:
    """A value typed `Any` (a profile value, an engine argument), by what it is at run time."""
    if isinstance(value, Enum):
        return _any(value.value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list | tuple):
        return [_any(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _any(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return section_data(value)
    raise TypeError(f"plan.json has no way to write {value!r}")
