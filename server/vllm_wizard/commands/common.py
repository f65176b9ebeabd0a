"""What `plan`, `generate` and `check` share: reading a profile, the CLI's engine context, and
the original CLI's flag overrides (DESIGN §7)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vllm_wizard.engine import EngineContext
from vllm_wizard.profile.diagnostics import Diagnostic
from vllm_wizard.profile.io import decode

if TYPE_CHECKING:
    from vllm_wizard.hardware.nvml import Detection
    from vllm_wizard.profile.schema import Profile

STDIN = "-"
FLAGS_ONLY_DISPLAY = "<flags>"
"""What `plan` and `generate` call the input when only flags were given."""
HUB_TIMEOUT_S = 10.0

OVERRIDES: Mapping[str, tuple[str, ...]] = {
    "model": ("model", "id"),
    "revision": ("model", "revision"),
    "trust_remote_code": ("model", "trust_remote_code"),
    "dtype": ("model", "dtype"),
    "quantization": ("model", "quantization"),
    "kv_cache_dtype": ("model", "kv_cache_dtype"),
    "max_model_len": ("model", "max_model_len"),
    "params_b": ("model", "params_b"),
    "vllm_version": ("vllm_version",),
    "gpu": ("hardware", "gpu_name"),
    "gpus": ("hardware", "gpus"),
    "nodes": ("hardware", "nodes"),
    "vram_gb": ("hardware", "vram_gb"),
    "interconnect": ("hardware", "interconnect"),
    "tensor_parallel_size": ("hardware", "tp_size"),
    "pipeline_parallel_size": ("hardware", "pp_size"),
    "prompt_tokens": ("workload", "prompt_tokens"),
    "gen_tokens": ("workload", "gen_tokens"),
    "concurrency": ("workload", "concurrency"),
    "batching_mode": ("workload", "mode"),
    "gpu_memory_utilization": ("policy", "gpu_memory_utilization"),
    "overhead_gb": ("policy", "overhead_gb"),
    "fragmentation_factor": ("policy", "fragmentation_factor"),
    "headroom_gb": ("policy", "headroom_gb"),
}
"""argparse dest → profile field."""

NOTED_CODES: Mapping[str, tuple[str, ...] | None] = {
    "unknown-key": None,
    "deprecated-alias": None,
    "gpu-ambiguous": ("hardware", "gpu_name"),
}
"""Profile warnings `plan` and `generate` repeat on standard error (their output is the plan or
the files, not diagnostics), with the field a flag may have set: a diagnostic about a value
that came from a flag has no place in the profile to point at."""


class UsageError(Exception):
    """Unusable input: the command prints the message and exits 2."""


@dataclass(frozen=True, slots=True)
class Source:
    """A profile's text and where it came from."""

    display: str
    text: str
    path: Path | None

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()


def read_source(raw: str) -> Source:
    """A profile from a path or `-` (standard input); UsageError when unreadable."""
    if raw == STDIN:
        data = sys.stdin.buffer.read()
        display, path = "<stdin>", None
    else:
        path = Path(raw)
        display = raw
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {raw}: {exc.strerror or exc}") from exc
    decoded = decode(data)
    if decoded.text is None:
        assert decoded.error is not None
        raise UsageError(format_diagnostic(display, decoded.error))
    return Source(display, decoded.text, path)


def noted_diagnostics(
    command: str,
    display: str,
    diagnostics: Iterable[Diagnostic],
    flags: Mapping[tuple[str, ...], Any],
) -> list[str]:
    """The NOTED_CODES lines: `path:line:col: …` for the profile's own values, `vllm-wizard
    COMMAND: …` for values given as flags (or when there is no profile, only flags)."""
    lines = []
    for diagnostic in diagnostics:
        code = diagnostic.code.value
        if code not in NOTED_CODES:
            continue
        field = NOTED_CODES[code]
        if display == FLAGS_ONLY_DISPLAY or (field is not None and field in flags):
            label = diagnostic.severity.label
            lines.append(f"vllm-wizard {command}: {label}[{code}] {diagnostic.message}")
        else:
            lines.append(format_diagnostic(display, diagnostic))
    return lines


def format_diagnostic(display: str, diagnostic: Diagnostic) -> str:
    """`path:line:col: severity[code] message`, 1-based, code-point columns (like ruff)."""
    start = diagnostic.range.start
    return (
        f"{display}:{start.line + 1}:{start.character + 1}:"
        f" {diagnostic.severity.label}[{diagnostic.code.value}] {diagnostic.message}"
    )


@cache
def _detect_once() -> Detection:
    from vllm_wizard.hardware.nvml import detect_gpus

    return detect_gpus()


def cli_context(base_dir: Path | None, *, offline: bool) -> EngineContext:
    """The CLI resolves the model fully (the Hub unless offline) and detects GPUs on demand."""

    def resolve(
        model_id: str, revision: str | None, base: Path | None, params_b: float | None
    ) -> Any:
        from vllm_wizard.models.resolve import resolve_model

        return resolve_model(
            model_id,
            revision,
            base_dir=base,
            params_b=params_b,
            offline=offline,
            timeout=HUB_TIMEOUT_S,
        )

    return EngineContext(resolve_model=resolve, detect=_detect_once, base_dir=base_dir)


def override_values(args: argparse.Namespace) -> dict[tuple[str, ...], Any]:
    """The flags given on the command line, by profile field."""
    values: dict[tuple[str, ...], Any] = {}
    for dest, path in OVERRIDES.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        if dest == "max_model_len":
            value = _max_model_len(str(value))
        values[path] = value
    return values


def _max_model_len(text: str) -> int | str:
    if text.strip().lower() in ("auto", "-1"):
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise UsageError(
            f"--max-model-len: expected a whole number or `auto`; got {text!r}"
        ) from None


def apply_overrides(
    profile: Profile | None, values: Mapping[tuple[str, ...], Any], warn: Callable[[str], None]
) -> Profile:
    """The profile with the flags applied (flags win); UsageError when the result is invalid."""
    from pydantic import ValidationError

    from vllm_wizard.profile.schema import VALUE_ALIASES, Profile

    data: dict[str, Any] = profile.model_dump() if profile is not None else {}
    for path, value in values.items():
        aliases = VALUE_ALIASES.get((path[0], path[-1])) if len(path) == 2 else None
        if aliases and isinstance(value, str) and value in aliases:
            warn(f"`{value}` is an old spelling of {path[-1]}; vLLM calls it `{aliases[value]}`.")
            value = aliases[value]
        target = data
        for segment in path[:-1]:
            target = target.setdefault(segment, {})
            if target is None:
                target = data[segment] = {}
        target[path[-1]] = value
    if "model" not in data or not data["model"].get("id"):
        raise UsageError("no model: give a profile, or --model with a Hugging Face repo id")
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        flags = {path: dest for dest, path in OVERRIDES.items()}
        problems = []
        for error in exc.errors(include_url=False):
            loc = tuple(str(s) for s in error["loc"] if isinstance(s, str))
            flag = next((flags[p] for p in (loc, loc[:2], loc[:1]) if p in flags), ".".join(loc))
            problems.append(f"--{flag.replace('_', '-')}: {error['msg']}")
        raise UsageError("; ".join(problems)) from None
