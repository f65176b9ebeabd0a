"""Plain data → a `Profile`, or every problem with it: the profile's validator.

Strict, as the profile's JSON Schema is: `2.0` is not a whole number, `"8"` not a number and
`1` not `true`. Problems are reported per field in declaration order, shaped as pydantic's
errors are (`type`, `loc`, `ctx`, `msg`) so profile/validate.py words them; a union field
that fails every branch reports one problem per branch, all at the field. An enum's problem
carries its allowed values in `ctx["choices"]`.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypedDict, TypeVar, Union, get_args, get_origin

from vllm_wizard.profile.fields import FieldSpec, fields_of
from vllm_wizard.profile.schema import Profile, Section

Loc = tuple[int | str, ...]


class Problem(TypedDict):
    """One thing wrong with the data, where, and pydantic's name for its kind."""

    type: str
    loc: Loc
    msg: str
    ctx: dict[str, Any]


class ProfileInvalid(ValueError):
    """The data is not a valid profile; `problems` says why, field by field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the profile")
        self.problems = problems


class _Invalid:
    """The result of a value that failed (its problems are already recorded)."""


INVALID = _Invalid()

_TYPE_PROBLEMS: Mapping[type, tuple[str, str]] = {
    str: ("string_type", "Input should be a valid string"),
    int: ("int_type", "Input should be a valid integer"),
    float: ("float_type", "Input should be a valid number"),
    bool: ("bool_type", "Input should be a valid boolean"),
    list: ("list_type", "Input should be a valid list"),
    dict: ("dict_type", "Input should be a valid dictionary"),
}
_BOUND_PROBLEMS: Mapping[str, tuple[str, str]] = {
    "gt": ("greater_than", "Input should be greater than {}"),
    "ge": ("greater_than_equal", "Input should be greater than or equal to {}"),
    "le": ("less_than_equal", "Input should be less than or equal to {}"),
}
_NO_SPEC = FieldSpec(title="", description="")

SectionT = TypeVar("SectionT", bound=Section)


def parse_profile(data: object) -> Profile:
    """The profile `data` describes; ProfileInvalid with every problem otherwise."""
    problems: list[Problem] = []
    profile = _section(Profile, data, (), problems)
    if not isinstance(profile, Profile):
        raise ProfileInvalid(problems)
    return profile


def _problem(problems: list[Problem], kind: str, msg: str, loc: Loc, **ctx: Any) -> _Invalid:
    problems.append(Problem(type=kind, loc=loc, msg=msg, ctx=ctx))
    return INVALID


def _section(cls: type[SectionT], data: object, loc: Loc, problems: list[Problem]) -> Any:
    if data is None and cls.NULL_MEANS_DEFAULTS:
        data = {}
    if not isinstance(data, dict):
        return _problem(problems, "model_type", "Input should be a mapping", loc)
    declared = fields_of(cls)
    values: dict[str, Any] = {}
    failed = False
    for name, field in declared.items():
        if name not in data:
            if field.is_required():
                failed = True
                _problem(problems, "missing", "Field required", (*loc, name))
            continue
        value = _value(field.annotation, field.spec, data[name], (*loc, name), problems)
        if isinstance(value, _Invalid):
            failed = True
        else:
            values[name] = value
    for key in data:
        if key not in declared:
            failed = True
            _problem(problems, "extra_forbidden", "Extra inputs are not permitted", (*loc, key))
    return INVALID if failed else cls(**values)


def _value(annotation: Any, spec: FieldSpec, value: Any, loc: Loc, problems: list[Problem]) -> Any:
    if spec.auto_means_none and value == "auto":
        value = None
    if spec.lowercase and isinstance(value, str):
        value = value.lower()
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return _union(get_args(annotation), spec, value, loc, problems)
    if origin is Literal:
        return _literal(get_args(annotation), value, loc, problems)
    if origin is list:
        return _list(get_args(annotation)[0], value, loc, problems)
    if origin is dict:
        return _mapping(value, loc, problems)
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return _section(annotation, value, loc, problems)
    return _scalar(annotation, spec, value, loc, problems)


def _union(
    options: tuple[Any, ...], spec: FieldSpec, value: Any, loc: Loc, problems: list[Problem]
) -> Any:
    """`X | None` is X that may be null; a union of several types tries each in turn."""
    if value is None and type(None) in options:
        return None
    branches = [option for option in options if option is not type(None)]
    if len(branches) == 1:
        return _value(branches[0], spec, value, loc, problems)
    tried: list[Problem] = []
    for branch in branches:
        attempt: list[Problem] = []
        result = _value(branch, spec, value, loc, attempt)
        if not isinstance(result, _Invalid):
            return result
        tried.extend(attempt)
    problems.extend(tried)
    return INVALID


def _same(value: Any, choice: Any) -> bool:
    """Equal and of the same type: `true` is not the literal 1."""
    return type(value) is type(choice) and bool(value == choice)


def _expected(choices: Iterable[Any]) -> str:
    """Choices as pydantic lists them: `'a', 'b' or 'c'`."""
    quoted = [repr(choice) for choice in choices]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _literal(choices: tuple[Any, ...], value: Any, loc: Loc, problems: list[Problem]) -> Any:
    if any(_same(value, choice) for choice in choices):
        return value
    message = f"Input should be {_expected(choices)}"
    return _problem(problems, "literal_error", message, loc, choices=choices)


def _list(item_type: Any, value: Any, loc: Loc, problems: list[Problem]) -> Any:
    if not isinstance(value, list):
        return _problem(problems, *_TYPE_PROBLEMS[list], loc)
    items = [_value(item_type, _NO_SPEC, item, (*loc, i), problems) for i, item in enumerate(value)]
    return INVALID if any(isinstance(item, _Invalid) for item in items) else items


def _mapping(value: Any, loc: Loc, problems: list[Problem]) -> Any:
    """A free-form mapping (`outputs.vllm_args`): any values, text keys."""
    if not isinstance(value, dict):
        return _problem(problems, *_TYPE_PROBLEMS[dict], loc)
    failed = False
    for key in value:
        if not isinstance(key, str):
            failed = True
            _problem(problems, *_TYPE_PROBLEMS[str], (*loc, key, "[key]"))
    return INVALID if failed else dict(value)


def _scalar(kind: type, spec: FieldSpec, value: Any, loc: Loc, problems: list[Problem]) -> Any:
    if kind is float and type(value) is int:
        value = float(value)
    if type(value) is not kind:
        return _problem(problems, *_TYPE_PROBLEMS[kind], loc)
    if isinstance(value, str):
        return _text(value, spec, loc, problems)
    if isinstance(value, int | float):
        for bound, declared in spec.bounds:
            limit = kind(declared)  # a float field's bound reads `0.0`, as its values do
            if not _within(value, bound, limit):
                code, message = _BOUND_PROBLEMS[bound]
                return _problem(problems, code, message.format(limit), loc, **{bound: limit})
    return value


def _within(value: float, bound: str, limit: float) -> bool:
    if bound == "gt":
        return value > limit
    return value >= limit if bound == "ge" else value <= limit


def _text(value: str, spec: FieldSpec, loc: Loc, problems: list[Problem]) -> Any:
    if spec.min_length is not None and len(value) < spec.min_length:
        return _problem(
            problems,
            "string_too_short",
            f"String should have at least {spec.min_length} character",
            loc,
            min_length=spec.min_length,
        )
    if spec.pattern is not None and not re.search(spec.pattern.removesuffix("$") + r"\Z", value):
        return _problem(
            problems,
            "string_pattern_mismatch",
            f"String should match pattern '{spec.pattern}'",
            loc,
            pattern=spec.pattern,
        )
    choices = spec.choices() if spec.choices is not None else None
    if choices is not None and value not in choices:
        message = f"Input should be {_expected(choices)}"
        return _problem(problems, "enum", message, loc, choices=choices)
    return value
