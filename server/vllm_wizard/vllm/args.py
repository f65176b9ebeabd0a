"""`outputs.vllm_args`: checked against the pinned release's flag table, and rendered.

A key may be written snake_case or kebab-case, with or without dashes. Values render as
DESIGN §2 says: true → `--flag`, false → vLLM's negative form, a mapping → JSON, a list →
the flag repeated (or its values after one flag, where the flag takes several).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vllm_wizard.vllm.flags import FlagSpec, FlagTable

PROFILE_FLAGS: Mapping[str, tuple[str, ...]] = {
    "model": ("model", "id"),
    "model_tag": ("model", "id"),
    "revision": ("model", "revision"),
    "dtype": ("model", "dtype"),
    "quantization": ("model", "quantization"),
    "kv_cache_dtype": ("model", "kv_cache_dtype"),
    "max_model_len": ("model", "max_model_len"),
    "trust_remote_code": ("model", "trust_remote_code"),
    "tensor_parallel_size": ("hardware", "tp_size"),
    "pipeline_parallel_size": ("hardware", "pp_size"),
    "gpu_memory_utilization": ("policy", "gpu_memory_utilization"),
}
"""vLLM flags (by dest) that a profile field already sets: naming them again is an error."""

MODELLED: frozenset[str] = frozenset(
    {
        "max_num_batched_tokens",
        "max_num_seqs",
        "block_size",
        "enforce_eager",
        "kv_cache_memory_bytes",
        "cpu_offload_gb",
    }
)
"""Flags that change memory and that the planner takes into account."""

NOT_MODELLED: Mapping[str, str] = {
    "enable_lora": "LoRA adapters take weight memory and activation space",
    "max_loras": "LoRA adapters take weight memory and activation space",
    "max_lora_rank": "LoRA adapters take weight memory and activation space",
    "lora_modules": "LoRA adapters take weight memory and activation space",
    "max_cpu_loras": "LoRA adapters take weight memory and activation space",
    "speculative_config": "a draft model takes weights and KV cache of its own",
    "data_parallel_size": "each data-parallel rank is a separate replica with its own memory",
    "data_parallel_size_local": "each data-parallel rank is a separate replica",
    "enable_expert_parallel": "expert parallelism splits the experts differently from tp",
    "enable_eplb": "redundant experts take extra weight memory",
    "decode_context_parallel_size": "context parallelism splits the KV cache differently",
    "prefill_context_parallel_size": "context parallelism splits the KV cache differently",
    "compilation_config": "CUDA-graph capture sizes change graph memory",
    "cudagraph_capture_sizes": "CUDA-graph capture sizes change graph memory",
    "max_cudagraph_capture_size": "CUDA-graph capture sizes change graph memory",
    "kv_offloading_size": "KV offloading changes where the cache lives",
    "kv_transfer_config": "a KV connector changes where the cache lives",
    "limit_mm_per_prompt": "multimodal inputs change the profiling run",
    "mamba_ssm_cache_dtype": "the recurrent state dtype changes its size",
    "calculate_kv_scales": "KV scales change the cache layout",
}
"""Memory-relevant flags the planner does not model, and why that matters."""

MAX_SUGGESTED = 100
"""Unknown flags that get a "did you mean" (a few ms each); a profile with thousands of them
is pasted by mistake, and the rest are still reported."""

_HUMAN_INT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMgG])\s*$")
_HUMAN_FACTORS = {"k": 1_000, "K": 1_024, "m": 1_000_000, "M": 1_024**2, "g": 10**9, "G": 1_024**3}


@dataclass(frozen=True, slots=True)
class ArgProblem:
    """One problem with one `vllm_args` entry."""

    key: str
    kind: str
    """`unknown`, `duplicate`, `invalid` or `not-modelled`."""
    message: str
    point_at_key: bool
    replacement: str | None = None
    """For `unknown`: the closest real flag (kebab-case); for `duplicate`: the profile field."""
    profile_field: tuple[str, ...] | None = None


@dataclass(slots=True)
class CheckedArgs:
    """The valid entries by vLLM's dest name (parsed values) and the problems found."""

    values: dict[str, Any] = field(default_factory=dict)
    specs: dict[str, FlagSpec] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    """dest → the key as written in the profile."""
    problems: list[ArgProblem] = field(default_factory=list)


def parse_human_int(value: str) -> int | None:
    """vLLM's human-readable integers: `8k` = 8,000, `8K` = 8,192, `1.5M`, or plain digits."""
    text = value.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    match = _HUMAN_INT.match(text)
    if match is None:
        return None
    return int(float(match.group(1)) * _HUMAN_FACTORS[match.group(2)])


def _check_value(spec: FlagSpec, value: Any) -> tuple[Any, str | None]:
    """(parsed value, problem) for one value of one flag."""
    if value is None:
        if spec.nullable:
            return None, None
        return None, "needs a value"
    if isinstance(value, list) and spec.type != "json":
        if not spec.multiple:
            return None, "takes one value, not a list"
        parsed_items = []
        for item in value:
            parsed, problem = _check_scalar(spec, item)
            if problem is not None:
                return None, problem
            parsed_items.append(parsed)
        return parsed_items, None
    return _check_scalar(spec, value)


def _check_scalar(spec: FlagSpec, value: Any) -> tuple[Any, str | None]:
    kind = spec.type
    if kind == "bool":
        if isinstance(value, bool):
            return value, None
        return None, f"is a switch: write true or false, not {value!r}"
    if kind in ("json", "json_or_str"):
        if isinstance(value, dict | list | str | int | float | bool):
            return value, None
        return None, "needs a mapping or a JSON string"
    if isinstance(value, dict | list):
        return (
            None,
            f"takes a {kind} value, not a {'mapping' if isinstance(value, dict) else 'list'}",
        )
    parsed: Any = value
    if kind == "int":
        if isinstance(value, bool):
            return None, "takes a whole number, not true/false"
        if isinstance(value, str) and spec.human_readable:
            parsed = parse_human_int(value)
        elif isinstance(value, float) and value.is_integer():
            parsed = int(value)
        if not isinstance(parsed, int):
            return None, f"takes a whole number; got {value!r}"
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, f"takes a number; got {value!r}"
        parsed = float(value)
    elif kind == "str":
        parsed = value if isinstance(value, str) else json.dumps(value)
    problem = _bounds_problem(spec, parsed)
    if problem is not None:
        return None, problem
    if spec.choices is not None and parsed not in spec.choices:
        listed = ", ".join(f"`{c}`" for c in spec.choices[:10])
        more = ", ..." if len(spec.choices) > 10 else ""
        return None, f"must be one of {listed}{more}; got {value!r}"
    return parsed, None


def _bounds_problem(spec: FlagSpec, value: Any) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    bounds = spec.constraints
    if "ge" in bounds and value < bounds["ge"]:
        return f"must be at least {bounds['ge']}; got {value}"
    if "gt" in bounds and value <= bounds["gt"]:
        return f"must be greater than {bounds['gt']}; got {value}"
    if "le" in bounds and value > bounds["le"]:
        return f"must be at most {bounds['le']}; got {value}"
    if "lt" in bounds and value >= bounds["lt"]:
        return f"must be less than {bounds['lt']}; got {value}"
    return None


def check_vllm_args(args: Mapping[str, Any], table: FlagTable) -> CheckedArgs:
    """Check every entry; valid ones land in `values` keyed by vLLM's dest name."""
    checked = CheckedArgs()
    unknown = 0
    for raw_key, value in args.items():
        key = str(raw_key)
        spec = table.get(key)
        if spec is None:
            unknown += 1
            suggestions = table.suggest(key) if unknown <= MAX_SUGGESTED else []
            hint = f" Did you mean `{suggestions[0].lstrip('-')}`?" if suggestions else ""
            checked.problems.append(
                ArgProblem(
                    key,
                    "unknown",
                    f"`{key}` is not a `vllm serve` flag in vLLM {table.version}.{hint}",
                    point_at_key=True,
                    replacement=suggestions[0].lstrip("-") if suggestions else None,
                )
            )
            continue
        profile_field = PROFILE_FLAGS.get(spec.dest)
        if profile_field is not None:
            checked.problems.append(
                ArgProblem(
                    key,
                    "duplicate",
                    f"`{key}` is set by the profile field `{'.'.join(profile_field)}`; set it"
                    " there so the planner sees it.",
                    point_at_key=True,
                    replacement=".".join(profile_field),
                    profile_field=profile_field,
                )
            )
            continue
        if spec.dest in checked.values:
            checked.problems.append(
                ArgProblem(
                    key,
                    "duplicate",
                    f"`{key}` sets `{spec.kebab}` a second time (also as"
                    f" `{checked.keys[spec.dest]}`).",
                    point_at_key=True,
                )
            )
            continue
        parsed, problem = _check_value(spec, value)
        if problem is not None:
            checked.problems.append(
                ArgProblem(key, "invalid", f"`{key}` {problem}.", point_at_key=False)
            )
            continue
        checked.values[spec.dest] = parsed
        checked.specs[spec.dest] = spec
        checked.keys[spec.dest] = key
        reason = NOT_MODELLED.get(spec.dest)
        # `True in (1, ...)` holds in Python: test booleans by identity
        inert = (
            parsed is None
            or parsed is False
            or (not isinstance(parsed, bool) and parsed in (1, 0, "", {}, []))
        )
        if reason is not None and not inert:
            checked.problems.append(
                ArgProblem(
                    key,
                    "not-modelled",
                    f"`{key}` changes memory in a way the plan does not model ({reason});"
                    " leave extra headroom.",
                    point_at_key=True,
                )
            )
    return checked


def render_flag(spec: FlagSpec, value: Any) -> list[str]:
    """The argv words for one flag and its parsed value (unquoted: callers quote)."""
    if spec.is_bool:
        if value:
            return [spec.name]
        negative = spec.negative or (spec.negative_aliases[0] if spec.negative_aliases else None)
        return [negative] if negative is not None else []
    if value is None:
        return [spec.name, "None"]
    if isinstance(value, list) and spec.type != "json":
        if spec.repeatable:
            words: list[str] = []
            for item in value:
                words += [spec.name, _word(item)]
            return words
        return [spec.name, *(_word(item) for item in value)]
    word = _word(value)
    if word.startswith("-") and not _is_number(word):
        return [f"{spec.name}={word}"]  # a value argparse would otherwise take for a flag
    return [spec.name, word]


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def _word(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), sort_keys=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)
