"""What `plan`, `generate` and `check` share: reading a profile, the CLI's engine context, and
the original CLI's flag overrides (DESIGN §7)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vllm_wizard.pipeline import Analysis, EngineContext, analyze
from vllm_wizard.profile.diagnostics import Diagnostic, Severity
from vllm_wizard.profile.io import decode

if TYPE_CHECKING:
    from vllm_wizard.hardware.nvml import Detection
    from vllm_wizard.profile.schema import Profile

STDIN = "-"
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


NOTED_CODES = frozenset(
    {
        "unknown-key",
        "deprecated-alias",
        "risky-value",
        "trust-remote-code",
        "gpu-ambiguous",
        "gpu-free-memory",
        "vram-marketing",
        "model-derived",
        "amd-artifacts",
    }
)
"""Warnings `plan` and `generate` repeat on standard error (their output is the plan or the
files, not diagnostics, and the report prints only the planner's findings): profile spellings
and risky values, a GPU name that fits several boards or a memory figure that is not what CUDA
reports, too little free memory on the detected GPU, a model planned as the catalog model
its name says it is, and an AMD GPU (the generated files target NVIDIA images). (`generate`
reports an `outputs.dir` outside the profile's folder itself.)"""


def noted_diagnostics(display: str | None, diagnostics: Iterable[Diagnostic]) -> list[str]:
    """The NOTED_CODES diagnostics as `format_diagnostic` lines."""
    return [format_diagnostic(display, d) for d in diagnostics if d.code.value in NOTED_CODES]


def format_diagnostic(display: str | None, diagnostic: Diagnostic) -> str:
    """`path:line:col: severity[code] message`, 1-based, code-point columns (like ruff).

    A finding about a value a flag set names the flag (`--gpu: error[…] …`); with no profile
    text (`display` None: flags alone) there is no position to give.
    """
    body = f"{diagnostic.severity.label}[{diagnostic.code.value}] {diagnostic.message}"
    if diagnostic.flag is not None:
        return f"{diagnostic.flag}: {body}"
    if display is None:
        return body
    start = diagnostic.range.start
    return f"{display}:{start.line + 1}:{start.character + 1}: {body}"


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


def flag_name(dest: str) -> str:
    """`tensor_parallel_size` → `--tensor-parallel-size` (each override's long spelling)."""
    return "--" + dest.replace("_", "-")


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
    from vllm_wizard.profile.check import ProfileInvalid, parse_profile
    from vllm_wizard.profile.schema import VALUE_ALIASES, profile_to_data

    data: dict[str, Any] = profile_to_data(profile) if profile is not None else {}
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
        return parse_profile(data)
    except ProfileInvalid as exc:
        from vllm_wizard.profile.validate import data_problems

        flags = {path: dest for dest, path in OVERRIDES.items()}
        problems = []
        for field, message in data_problems(data, exc):
            loc = tuple(str(s) for s in field)
            dest = next((flags[p] for p in (loc, loc[:2], loc[:1]) if p in flags), None)
            problems.append(f"{flag_name(dest)}: {message}" if dest else message)
        raise UsageError(" ".join(problems)) from None


FLAGS_ONLY_PROFILE = "model:\n  id: placeholder\n"
"""Text analysed when only flags are given (the flags then replace every value)."""

NO_PLAN_CODES = frozenset({"model-unresolved", "gpu-undetected"})
"""Warnings in `check` (offline CI can lint profiles, DESIGN §7) that leave `plan` and
`generate` without a plan: there they are errors."""


def _no_plan(analysis: Analysis, display: str | None) -> UsageError:
    """Why there is no plan: the errors, and the warnings that stopped planning, as errors."""
    blocking = [
        replace(d, severity=Severity.ERROR) if d.code.value in NO_PLAN_CODES else d
        for d in analysis.diagnostics
        if d.is_error or d.code.value in NO_PLAN_CODES
    ]
    reasons = [format_diagnostic(display, d) for d in blocking]
    return UsageError("no plan:\n" + "\n".join(reasons or ["the profile is not usable"]))


def analyze_args(args: argparse.Namespace, command: str) -> tuple[Analysis, str | None]:
    """The profile (or `-`, or flags alone) with the flags applied, analysed with every stage:
    what `plan` and `generate` both start from. Returns the analysis and the profile's display
    name (None for flags alone); UsageError when there is no plan."""
    raw = args.profile_path or args.profile_option
    values = override_values(args)
    display: str | None
    if raw is None:
        if ("model", "id") not in values:
            raise UsageError("give a profile, or at least --model")
        display, text, base = None, FLAGS_ONLY_PROFILE, Path.cwd()
    else:
        source = read_source(raw)
        display, text, base = source.display, source.text, source.base_dir

    def warn(message: str) -> None:
        sys.stderr.write(f"vllm-wizard {command}: warning: {message}\n")

    flags = {path: flag_name(dest) for dest, path in OVERRIDES.items() if path in values}
    context = cli_context(base, offline=bool(args.offline))
    override = (lambda profile: apply_overrides(profile, values, warn)) if values else None
    analysis = analyze(text, context, profile_override=override, flags=flags)
    if analysis.profile is None or analysis.plan is None:
        raise _no_plan(analysis, display)
    return analysis, display
