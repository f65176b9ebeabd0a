"""The schema stage: a parsed YAML tree → a `Profile`, or diagnostics at the right places.

Unknown keys and deprecated spellings are warnings, not errors: they are reported, then
dropped or rewritten before the validator (profile/check.py) sees the data, so a typo never
hides the rest of the analysis. Every problem it finds is mapped back to the node it concerns.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from vllm_wizard.findings import Fix
from vllm_wizard.profile.check import Problem, ProfileInvalid, parse_profile
from vllm_wizard.profile.diagnostics import Code, Diagnostic, Listing, Severity
from vllm_wizard.profile.document import Node, Pair, Path, lookup, to_python
from vllm_wizard.profile.fields import REQUIRED, fields_of
from vllm_wizard.profile.positions import Position, Range
from vllm_wizard.profile.schema import (
    SECTIONS,
    SUBSECTIONS,
    VALUE_ALIASES,
    Profile,
)

TOP_LEVEL_KEYS: tuple[str, ...] = tuple(fields_of(Profile))

UNION_EXPECTATIONS: Mapping[tuple[str, ...], str] = {
    ("model", "max_model_len"): "a whole number greater than 0, `auto` or null",
    ("hardware", "tp_size"): "a whole number of at least 1, `auto` or null",
}
"""How to describe fields whose type is a union (one problem is reported per branch)."""


MAX_LISTED_CHOICES = 8

REQUIRED_HINTS: Mapping[str, str] = {
    "id": "the Hugging Face repo id (`org/name`) or a local directory with config.json",
    "model": "at least `id:`, the Hugging Face repo id of the model to serve",
}
"""What to tell a user who left out, or left empty, a required field."""

ENUM_ADVICE: Mapping[tuple[str, object], str] = {
    ("model.quantization", "int8"): (
        "vLLM has no `int8` method: use `fp8` (8-bit weights, quantized on the fly), or serve"
        " a pre-quantized checkpoint (AWQ, GPTQ or compressed-tensors W8A8)."
    ),
}
"""Extra advice for values users commonly carry over from other tools."""

ENUM_REPLACEMENTS: Mapping[tuple[str, object], tuple[str, str]] = {
    ("model.quantization", "int8"): ("fp8", "8-bit weights, quantized by vLLM at load time"),
}
"""The value to offer instead, and what it does (the quick fix's title)."""


@dataclass(slots=True)
class SchemaResult:
    """The profile when valid, and what was found on the way."""

    profile: Profile | None
    diagnostics: list[Diagnostic] = field(default_factory=list)


def dotted(path: Path) -> str:
    """`('hardware', 'gpus')` → `hardware.gpus`; list indices as `[0]`."""
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
        else:
            text += f".{segment}" if text else segment
    return text


def describe_node(node: Node) -> str:
    """How a value reads in a message: `the number 5`, `"abc"`, `a list`, `null`."""
    node = node.resolved
    if node.kind == "mapping":
        return "a mapping"
    if node.kind == "sequence":
        return "a list"
    value = node.value
    if value is None:
        return "nothing" if node.is_missing else "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {node.source}"
    if isinstance(value, str):
        return f'"{value}"'
    return f"`{node.source}`"


def key_or_value_range(key: Node | None, value: Node | None) -> Range:
    """The value's own range, or the key's when the value is missing (DESIGN §2)."""
    if value is not None and not value.is_missing:
        return value.range
    if key is not None:
        return key.range
    return value.range if value is not None else Range.at(0, 0)


def did_you_mean(word: str, candidates: list[str] | tuple[str, ...]) -> str | None:
    """The closest candidate, if one is close enough to be what the user meant."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _section_fields(section: str) -> tuple[str, ...]:
    return tuple(fields_of(SECTIONS[section]))


def _unknown_keys(root: Node) -> list[Diagnostic]:
    """Keys the schema does not know, with a suggestion when one is close (for the first
    `MAX_LISTED`: the suggestion is the costly part)."""
    sections_of_field: dict[str, str] = {}
    for section, model in SECTIONS.items():
        for name in fields_of(model):
            sections_of_field.setdefault(name, section)

    def report(pair_key: Node, known: tuple[str, ...], where: str) -> Diagnostic:
        name = str(pair_key.resolved.value)
        message = f"Unknown key `{name}` {where}."
        data: dict[str, Any] = {"key": name}
        if found.full(Code.UNKNOWN_KEY):
            return Diagnostic(pair_key.range, Severity.WARNING, Code.UNKNOWN_KEY, message)
        suggestion = did_you_mean(name, known)
        home = sections_of_field.get(name)
        if suggestion is not None:
            message += f" Did you mean `{suggestion}`?"
            data["replacement"] = suggestion
        elif home is not None and where == "at the top level":
            message += f" It belongs under `{home}:`."
            data["section"] = home
        return Diagnostic(pair_key.range, Severity.WARNING, Code.UNKNOWN_KEY, message, data=data)

    found = Listing()
    for pair in root.mapping_pairs():
        name = pair.key.resolved.value
        if name not in TOP_LEVEL_KEYS:
            found.add(report(pair.key, TOP_LEVEL_KEYS, "at the top level"))
            continue
        if name in SECTIONS and pair.value.resolved.kind == "mapping":
            known = _section_fields(name)
            for inner in pair.value.mapping_pairs():
                if inner.key.resolved.value not in known:
                    found.add(report(inner.key, known, f"in `{name}`"))
                    continue
                nested = SUBSECTIONS.get((name, str(inner.key.resolved.value)))
                if nested is not None and inner.value.resolved.kind == "mapping":
                    fields = tuple(fields_of(nested))
                    where = f"in `{name}.{inner.key.resolved.value}`"
                    for leaf in inner.value.mapping_pairs():
                        if leaf.key.resolved.value not in fields:
                            found.add(report(leaf.key, fields, where))
    return found.result({Code.UNKNOWN_KEY: "unknown keys"})


def _aliases(root: Node) -> Iterator[tuple[tuple[str, str], Node, str]]:
    """(field path, value node, canonical value) for each deprecated spelling used."""
    for (section, name), aliases in VALUE_ALIASES.items():
        section_pair = root.get(section)
        pair = section_pair.value.get(name) if section_pair is not None else None
        if pair is None:
            continue
        value = pair.value.resolved.value
        if isinstance(value, str) and value in aliases:
            yield (section, name), pair.value, aliases[value]


def _clean_data(root: Node, aliases: list[tuple[tuple[str, str], Node, str]]) -> Any:
    """The tree as plain data, minus unknown keys, with canonical spellings."""
    data = to_python(root)
    if not isinstance(data, dict):
        return data
    for key in [k for k in data if k not in TOP_LEVEL_KEYS]:
        del data[key]
    for section in SECTIONS:
        body = data.get(section)
        if isinstance(body, dict):
            known = _section_fields(section)
            for key in [k for k in body if k not in known]:
                del body[key]
            for (home, name), nested in SUBSECTIONS.items():
                inner = body.get(name) if home == section else None
                if isinstance(inner, dict):
                    for key in [k for k in inner if k not in fields_of(nested)]:
                        del inner[key]
    for (section, name), _node, canonical in aliases:
        data[section][name] = canonical
    return data


def _enum_choices(error: Problem) -> list[str]:
    """The allowed values named in an enum/literal problem, in order."""
    return [str(choice) for choice in error["ctx"].get("choices", ())]


def _error_message(error: Problem, path: Path, value: Node | None) -> str:
    """One sentence in the user's terms for one problem; for an explicit null, where
    the field has a default, the advice to leave the key out."""
    message = _value_message(error, path, value)
    resolved = value.resolved if value is not None else None
    null = resolved is not None and resolved.kind == "scalar" and resolved.value is None
    default = _default_text(path) if null and value is not None and not value.is_missing else None
    if default is None:
        return message
    return f"{message} Leave the key out for the default, `{default}`."


QUOTE_HINT = " Quote it if it is meant as text."


def _default_text(path: Path) -> str | None:
    """A field's default as a profile writes it, or None (required, or itself null)."""
    model = SECTIONS.get(str(path[0])) if len(path) == 2 else None
    if len(path) == 3:
        model = SUBSECTIONS.get((str(path[0]), str(path[1])))
    info = fields_of(model).get(str(path[-1])) if model is not None else None
    if info is None or info.is_required():
        return None
    default = info.get_default()
    if default is None or default is REQUIRED or isinstance(default, dict | list):
        return None
    return str(default).lower() if isinstance(default, bool) else str(default)


def _value_message(error: Problem, path: Path, value: Node | None) -> str:
    name = f"`{dotted(path)}`"
    got = describe_node(value) if value is not None else "nothing"
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "string_type":
        return f"{name} must be a string; got {got}." + ("" if got == "null" else QUOTE_HINT)
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{name} must be a whole number; got {got}."
    if kind in ("float_type", "float_parsing"):
        return f"{name} must be a number; got {got}."
    if kind == "bool_type":
        return f"{name} must be true or false; got {got}."
    if kind in ("list_type",):
        return f"{name} must be a list; got {got}."
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        if value is not None and value.is_missing:
            hint = REQUIRED_HINTS.get(str(path[-1]))
            return f"{name} has no value" + (f": it needs {hint}." if hint else ".")
        return f"{name} must be a mapping of keys to values; got {got}."
    if kind == "greater_than":
        return f"{name} must be greater than {ctx.get('gt')}; got {got}."
    if kind == "greater_than_equal":
        return f"{name} must be at least {ctx.get('ge')}; got {got}."
    if kind == "less_than_equal":
        return f"{name} must be at most {ctx.get('le')}; got {got}."
    if kind == "less_than":
        return f"{name} must be less than {ctx.get('lt')}; got {got}."
    if kind == "string_too_short":
        return f"{name} must not be empty."
    if kind == "string_pattern_mismatch":
        return f"{name} must look like a release number such as `0.33.0`; got {got}."
    if kind in ("literal_error", "enum"):
        choices = _enum_choices(error)
        listed = ", ".join(f"`{c}`" for c in choices[:MAX_LISTED_CHOICES])
        if len(choices) > MAX_LISTED_CHOICES:
            listed = f"one of {len(choices)} values ({listed}, ...)"
        else:
            listed = f"one of {listed}"
        message = f"{name} must be {listed}; got {got}."
        advice = ENUM_ADVICE.get((dotted(path), value.resolved.value if value else None))
        if advice is not None:
            return f"{message} {advice}"
        if value is not None and isinstance(value.resolved.value, str):
            suggestion = did_you_mean(value.resolved.value, choices)
            if suggestion is not None:
                message += f" Did you mean `{suggestion}`?"
        return message
    return f"{name}: {error['msg']}; got {got}."


def _real_path(root: Node, loc: tuple[int | str, ...]) -> Path:
    """A problem's location as far as the tree has nodes: a key that is not text
    (`outputs.vllm_args: {1: x}`) ends it."""
    path: list[int | str] = []
    node: Node | None = root
    for segment in loc:
        if node is None:
            break
        current = node.resolved
        if isinstance(segment, int) and current.kind == "sequence":
            path.append(segment)
            node = current.items[segment] if segment < len(current.items) else None
        elif isinstance(segment, str) and current.kind == "mapping":
            pair = current.get(segment)
            path.append(segment)
            node = pair.value if pair is not None else None
        else:
            path.append(segment)
            node = None
    return tuple(path)


def data_problems(data: Mapping[str, Any], exc: ProfileInvalid) -> list[tuple[Path, str]]:
    """(field, message) for each problem `exc` found in `data`, a profile as plain data (the
    CLI's flags applied to one), worded as the profile's own diagnostics are."""
    return [(path, d.message) for path, d in _worded_problems(_tree(data), exc)]


def _tree(value: Any) -> Node:
    """Plain data as a node tree (no positions), for wording messages about it."""
    here = Range.at(0, 0)
    if isinstance(value, Mapping):
        pairs = [
            Pair(Node("scalar", here, value=k, source=str(k)), _tree(v)) for k, v in value.items()
        ]
        return Node("mapping", here, pairs=pairs)
    if isinstance(value, list | tuple):
        return Node("sequence", here, items=[_tree(v) for v in value])
    source = (
        "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    )
    return Node("scalar", here, value=value, source=source)


def _worded_problems(root: Node, exc: ProfileInvalid) -> Iterator[tuple[Path, Diagnostic]]:
    grouped: dict[Path, list[Problem]] = {}
    for error in exc.problems:
        grouped.setdefault(_real_path(root, tuple(error["loc"])), []).append(error)
    for path, errors in grouped.items():
        key, value = lookup(root, path)
        first = errors[0]
        if first["type"] == "missing":
            yield path, _missing(root, path)
            continue
        if value is None:
            value = key
        range_ = key_or_value_range(key, value)
        expectation = UNION_EXPECTATIONS.get(tuple(str(s) for s in path))
        if expectation is not None and value is not None:
            message = f"`{dotted(path)}` must be {expectation}; got {describe_node(value)}."
            data: dict[str, Any] | None = None
        else:
            message = _error_message(first, path, value)
            choices = _enum_choices(first) if first["type"] in ("literal_error", "enum") else []
            data = {"field": dotted(path), "choices": choices} if choices else None
            written = value.resolved.value if value is not None else None
            replacement = ENUM_REPLACEMENTS.get((dotted(path), written))
            if replacement is not None and data is not None:
                fix = Fix.set(
                    f"Set {path[-1]}: {replacement[0]} ({replacement[1]})",
                    tuple(str(p) for p in path),
                    replacement[0],
                    preferred=True,
                )
                data["fixes"] = [fix.as_data()]
        if path == ("profile_version",):
            code = Code.UNSUPPORTED_VERSION
            message = (
                f"`profile_version` {describe_node(value) if value else ''} is not supported:"
                " this vLLM Wizard reads profile_version 1."
            )
        else:
            code = Code.INVALID_VALUE
        yield path, Diagnostic(range_, Severity.ERROR, code, message, data=data)


def _missing(root: Node, path: Path) -> Diagnostic:
    """A required field is absent: point at its parent's key (or the top of the file)."""
    parent_key, _parent_value = lookup(root, path[:-1]) if len(path) > 1 else (None, None)
    name = str(path[-1])
    if parent_key is not None:
        range_ = parent_key.range
        where = f"`{dotted(path[:-1])}` needs `{name}`"
    else:
        range_ = Range(Position(0, 0), Position(0, 0))
        where = f"The profile needs a `{name}` section"
    hint = REQUIRED_HINTS.get(name)
    message = f"{where}: {hint}." if hint else f"{where}."
    return Diagnostic(
        range_, Severity.ERROR, Code.MISSING_FIELD, message, data={"field": dotted(path)}
    )


class Lint(NamedTuple):
    """A valid value that is probably not what the user wants: where, and why."""

    path: tuple[str, ...]
    code: Code
    message: str


def profile_lints(profile: Profile) -> Iterator[Lint]:
    """Values that are valid but probably not what the user wants, wherever they were set
    (the profile's text, or a command-line flag: the CLI checks its flags with this too)."""
    util = profile.policy.gpu_memory_utilization
    if not 0.5 <= util <= 0.98:
        reason = (
            "leaves most of the GPU unused and little room for the KV cache"
            if util < 0.5
            else "leaves almost nothing for the CUDA context and other processes: vLLM may"
            " run out of memory at start-up"
        )
        yield Lint(
            ("policy", "gpu_memory_utilization"),
            Code.RISKY_VALUE,
            f"`policy.gpu_memory_utilization` {util} {reason}; 0.5 to 0.98 is sensible"
            " (vLLM's default is 0.92).",
        )
    if profile.model.trust_remote_code:
        yield Lint(
            ("model", "trust_remote_code"),
            Code.TRUST_REMOTE_CODE,
            "`trust_remote_code: true` runs Python code from the model repository on the"
            " server. Enable it only for repositories you trust.",
        )


def _lints(root: Node, profile: Profile) -> Iterator[Diagnostic]:
    for lint in profile_lints(profile):
        key, value = lookup(root, lint.path)
        range_ = key_or_value_range(key, value)
        yield Diagnostic(range_, Severity.WARNING, lint.code, lint.message)


def validate_tree(root: Node) -> SchemaResult:
    """Validate a mapping root against the profile schema."""
    diagnostics = _unknown_keys(root)
    aliases = list(_aliases(root))
    for (section, name), node, canonical in aliases:
        diagnostics.append(
            Diagnostic(
                node.range,
                Severity.WARNING,
                Code.DEPRECATED_ALIAS,
                f"`{section}.{name}: {node.resolved.value}` is an old spelling; vLLM calls it"
                f" `{canonical}`.",
                data={"replacement": canonical, "field": f"{section}.{name}"},
            )
        )
    try:
        profile = parse_profile(_clean_data(root, aliases))
    except ProfileInvalid as exc:
        diagnostics.extend(diagnostic for _path, diagnostic in _worded_problems(root, exc))
        return SchemaResult(None, diagnostics)
    diagnostics.extend(_lints(root, profile))
    return SchemaResult(profile, diagnostics)
