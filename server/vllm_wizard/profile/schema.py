"""The profile (profile_version 1) as frozen dataclasses, each field declared with its spec.

Titles and descriptions are written for users: they become the JSON Schema that
yaml-language-server shows and the hover text of our own server. Enums that mirror vLLM
flags (quantization, kv_cache_dtype, dtype) come from the pinned vLLM release's flag table.

Deprecated spellings (`fp16`, `fp8_e4m3fn`, ...) are not validated here: the schema stage
rewrites them to the canonical value and warns (see `VALUE_ALIASES`), so the models only
ever see vLLM's own spelling. profile/check.py validates data into these classes;
profile/jsonschema.py writes their JSON Schema.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

from vllm_wizard.profile.fields import declare, to_data
from vllm_wizard.vllm import PINNED_VLLM_VERSION
from vllm_wizard.vllm.flags import flag_table

PROFILE_VERSION = 1

ModelDType = Literal["auto", "float16", "bfloat16", "float32"]
KvCacheDType = Literal["auto", "float16", "bfloat16", "fp8", "fp8_e4m3", "fp8_e5m2"]
Interconnect = Literal["pcie", "nvlink", "unknown"]
WorkloadMode = Literal["throughput", "latency", "balanced"]
EmitTarget = Literal["command", "profile", "compose", "k8s", "docker"]
DEFAULT_EMIT: tuple[EmitTarget, ...] = ("command", "profile")

VALUE_ALIASES: Mapping[tuple[str, str], Mapping[str, str]] = {
    ("model", "dtype"): {
        "fp16": "float16",
        "half": "float16",
        "bf16": "bfloat16",
        "fp32": "float32",
        "float": "float32",
    },
    ("model", "kv_cache_dtype"): {"fp8_e4m3fn": "fp8_e4m3", "fp16": "float16", "bf16": "bfloat16"},
}
"""Old or informal spellings → vLLM's spelling. Accepted with a `deprecated-alias` warning."""


def quantization_choices() -> tuple[str, ...]:
    """`none` and every quantization method the pinned vLLM release accepts."""
    return ("none", *flag_table().quantization_methods())


def _any_case_pattern(choices: tuple[str, ...]) -> str:
    """A JSON Schema pattern (ECMA regex, no inline flags) matching `choices` in any case."""
    words = ("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in w) for w in choices)
    return f"^({'|'.join(words)})$"


_INTERCONNECTS: tuple[str, ...] = get_args(Interconnect)
ANY_CASE_INTERCONNECT_SCHEMA: Mapping[str, Any] = {
    "type": "string",
    "anyOf": [
        {"enum": list(_INTERCONNECTS)},
        {"pattern": _any_case_pattern(_INTERCONNECTS)},
    ],
}
"""`NVLink` is how NVIDIA writes it and how the original CLI took it: any case, stored lowercase."""

TENSOR_PARALLEL_SIZE_SCHEMA: Mapping[str, Any] = {
    "anyOf": [
        {"type": "integer", "minimum": 1},
        {"type": "string", "enum": ["auto"]},
        {"type": "null"},
    ]
}
"""`tp_size: auto` (the original CLI's spelling) means what null means: the planner chooses."""


class Section:
    """A mapping of the profile whose keys are declared fields."""

    TITLE: ClassVar[str]
    NULL_MEANS_DEFAULTS: ClassVar[bool] = True
    """An explicit `null` section means "all defaults"."""

    # Sections are frozen values: a change is a copy (`dataclasses.replace`).


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelSection(Section):
    """`model:` what to serve."""

    TITLE = "Model"
    NULL_MEANS_DEFAULTS = False

    id: str = declare(
        min_length=1,
        title="Model",
        description=(
            "The Hugging Face repository id (`org/name`, e.g. `meta-llama/Llama-3.1-8B-Instruct`)"
            " or a local directory containing `config.json`. Passed to `vllm serve`."
        ),
    )
    revision: str | None = declare(
        default=None,
        min_length=1,
        title="Revision",
        description=(
            "A branch, tag or commit of the repository. Pins the architecture lookup and is"
            " passed to vLLM as `--revision`. `null` uses the default branch."
        ),
    )
    base_model: str | None = declare(
        default=None,
        min_length=1,
        title="Base model",
        description=(
            "The catalog model this checkpoint is a copy, quantization or sibling of (Hugging"
            " Face's own term), e.g. `meta-llama/Llama-3.1-8B-Instruct` for"
            " `neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8`. Used only when no config.json of"
            " `id` can be read (offline, a private repo): the plan then takes the base's"
            " architecture, with the quantization the id's name implies (AWQ, GPTQ-Int4, FP8,"
            " W8A8, ...). Setting it confirms the assumption the `model-derived` warning states."
            " Not passed to vLLM."
        ),
    )
    dtype: ModelDType = declare(
        default="auto",
        title="Weights dtype",
        description=(
            "Data type of the weights and activations (`--dtype`). `auto` uses the checkpoint's"
            " `torch_dtype` (bfloat16 for most recent models). bfloat16 needs compute capability"
            " 8.0 or newer (not T4 or V100)."
        ),
    )
    quantization: str = declare(
        default="none",
        choices=quantization_choices,
        title="Quantization",
        description=(
            "Weight quantization method (`--quantization`). `none` serves the checkpoint as it"
            " is. A pre-quantized checkpoint (AWQ, GPTQ, FP8, ...) declares its method in"
            " `quantization_config` and needs no flag; `fp8` on an unquantized checkpoint"
            " quantizes it on the fly, halving the weights."
        ),
    )
    kv_cache_dtype: KvCacheDType = declare(
        default="auto",
        title="KV cache dtype",
        description=(
            "Data type of the KV cache (`--kv-cache-dtype`). `auto` follows the model dtype;"
            " `fp8` stores one byte per value, doubling the tokens that fit."
        ),
    )
    max_model_len: int | Literal["auto"] | None = declare(
        default=None,
        gt=0,
        title="Maximum context length",
        description=(
            "Longest request (prompt + output tokens) the server accepts (`--max-model-len`)."
            " `null` uses the model's own limit, derived as vLLM does; `auto` lets vLLM pick"
            " the largest length that fits in memory."
        ),
    )
    params_b: float | None = declare(
        default=None,
        gt=0,
        title="Parameters (billions)",
        description=(
            "Override the parameter count, in billions, when the architecture cannot be"
            " looked up (offline, private model) or to plan for a variant."
        ),
    )
    trust_remote_code: bool = declare(
        default=False,
        title="Trust remote code",
        description=(
            "Allow the repository's own Python code to run (`--trust-remote-code`). Needed by"
            " some custom architectures; it executes code from the repository."
        ),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class HardwareSection(Section):
    """`hardware:` where it runs."""

    TITLE = "Hardware"

    gpu_name: str = declare(
        default="auto",
        min_length=1,
        title="GPU",
        description=(
            "The GPU model, by catalog name or alias (`H100 SXM`, `A100 80GB`, `RTX 4090`)."
            " `auto` detects the local GPU through NVML."
        ),
    )
    gpus: int = declare(
        default=1, ge=1, title="GPUs per node", description="GPUs per node used by vLLM."
    )
    nodes: int = declare(
        default=1,
        ge=1,
        title="Nodes",
        description="Machines in the deployment; more than one needs pipeline parallelism or Ray.",
    )
    vram_gb: float | None = declare(
        default=None,
        gt=0,
        title="Memory per GPU (GiB)",
        description=(
            "Override the memory of one GPU, in GiB (2^30 bytes) as CUDA reports it, which is"
            " less than the marketing figure: an H100 80GB shows 79.2 GiB."
        ),
    )
    interconnect: Interconnect = declare(
        default="unknown",
        lowercase=True,
        json_schema=ANY_CASE_INTERCONNECT_SCHEMA,
        title="Interconnect",
        description=(
            "How the GPUs talk to each other: `nvlink`, `pcie` or `unknown` (the GPU's usual"
            " one), in any case (`NVLink`). Affects the tensor-parallel communication estimate."
        ),
    )
    tp_size: int | None = declare(
        default=None,
        ge=1,
        auto_means_none=True,
        json_schema=TENSOR_PARALLEL_SIZE_SCHEMA,
        title="Tensor parallel size",
        description=(
            "GPUs one copy of the model is split across (`--tensor-parallel-size`). It must"
            " divide the attention heads. `auto` or `null` lets the planner choose the smallest"
            " that fits."
        ),
    )
    pp_size: int | None = declare(
        default=None,
        ge=1,
        title="Pipeline parallel size",
        description=(
            "Pipeline stages (`--pipeline-parallel-size`), usually one per node."
            " `null` means one stage per node."
        ),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class SloSection(Section):
    """`workload.slo:` latency targets."""

    TITLE = "Latency targets"

    ttft_ms: float | None = declare(
        default=None,
        gt=0,
        title="Time to first token (ms)",
        description=(
            "Target for the 90th-percentile time to first token at the workload's concurrency,"
            " in milliseconds. The planner says when its estimate misses it and which"
            " concurrency meets it."
        ),
    )
    tpot_ms: float | None = declare(
        default=None,
        gt=0,
        title="Time per output token (ms)",
        description=(
            "Target for the mean time per output token after the first (what `vllm bench"
            " serve` calls TPOT), in milliseconds."
        ),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkloadSection(Section):
    """`workload:` the traffic to plan for."""

    TITLE = "Workload"

    prompt_tokens: int = declare(
        default=512, ge=1, title="Prompt tokens", description="Typical prompt length in tokens."
    )
    gen_tokens: int = declare(
        default=256,
        ge=1,
        title="Generated tokens",
        description="Typical number of tokens generated per request.",
    )
    concurrency: int = declare(
        default=1,
        ge=1,
        title="Concurrent requests",
        description="Requests served at the same time; each holds its own KV cache.",
    )
    streaming: bool = declare(
        default=True,
        title="Streaming",
        description="Whether clients stream tokens; affects the latency figures reported.",
    )
    mode: WorkloadMode = declare(
        default="balanced",
        title="Batching mode",
        description=(
            "What to optimise the scheduler limits for: `throughput` (large batches),"
            " `latency` (small batches, fast first token) or `balanced`."
        ),
    )
    slo: SloSection | None = declare(
        default=None,
        title="Latency targets",
        description=(
            "Optional service-level targets, e.g. `{ttft_ms: 2000, tpot_ms: 50}`: a warning when"
            " the estimate misses one, with a quick fix to the largest concurrency that meets both."
        ),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicySection(Section):
    """`policy:` memory safety margins."""

    TITLE = "Policy"

    gpu_memory_utilization: float = declare(
        default=0.90,
        gt=0,
        le=1,
        title="GPU memory utilization",
        description=(
            "Fraction of each GPU's memory vLLM may use (`--gpu-memory-utilization`); the KV"
            " cache gets what is left after weights and activations. Between 0.5 and 0.98 is"
            " sensible; vLLM's own default is 0.92."
        ),
    )
    overhead_gb: float | None = declare(
        default=None,
        ge=0,
        title="Overhead (GiB)",
        description=(
            "Replace the estimate of activation, CUDA context and CUDA graph memory with a"
            " figure you measured, in GiB per GPU (e.g. from vLLM's start-up log)."
        ),
    )
    fragmentation_factor: float = declare(
        default=1.15,
        ge=1.0,
        le=2.0,
        title="Fragmentation factor",
        description=(
            "Safety margin on the workload's KV cache need: 1.15 plans 15 % more KV memory"
            " than the concurrent requests strictly use."
        ),
    )
    headroom_gb: float = declare(
        default=1.0,
        ge=0,
        title="Headroom (GiB)",
        description=(
            "KV cache memory, in GiB per GPU, that must stay free beyond the workload's need"
            " for the profile to count as fitting."
        ),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class OutputsSection(Section):
    """`outputs:` what `generate` writes."""

    TITLE = "Outputs"

    emit: list[EmitTarget] = declare(
        factory=lambda: list(DEFAULT_EMIT),
        title="Artifacts",
        description=(
            "Deployment files `generate` writes: `command` (serve_command.sh), `profile`"
            " (normalized profile.yaml), `compose` (docker-compose.yaml), `k8s`"
            " (production-stack Helm values), `docker` (docker_run.sh). plan.json is always"
            " written."
        ),
    )
    vllm_args: dict[str, Any] = declare(
        factory=dict,
        title="Extra vLLM arguments",
        description=(
            "Further `vllm serve` flags, snake_case or kebab-case: `true` gives `--flag`,"
            " `false` its negative form, a mapping becomes JSON and a list repeats the flag."
        ),
    )
    dir: str | None = declare(
        default=None,
        min_length=1,
        title="Output folder",
        description=(
            "Where `generate` writes, relative to this profile. `null` uses the editor setting"
            " or `deploy/` next to the profile."
        ),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Profile(Section):
    """A whole profile.yaml."""

    TITLE = "vLLM Wizard profile"
    DESCRIPTION: ClassVar[str] = (
        "A vLLM deployment plan: which model, on which GPUs, for which workload."
        " See https://github.com/vllm-wizard/vllm-wizard."
    )
    NULL_MEANS_DEFAULTS = False

    profile_version: Literal[1] = declare(
        default=1,
        title="Profile version",
        description="Version of this file's format. Only 1 exists today.",
    )
    vllm_version: str | None = declare(
        default=None,
        pattern=r"^v?\d+\.\d+(\.\d+)?([.+-]?[0-9A-Za-z.]+)?$",
        title="vLLM version",
        description=(
            "The vLLM release the plan and the generated files target, e.g. `0.33.0`."
            f" `null` means the release this wizard pins ({PINNED_VLLM_VERSION})."
        ),
    )
    model: ModelSection = declare(
        title="Model", description="What to serve: the checkpoint and how to load it."
    )
    hardware: HardwareSection = declare(
        factory=HardwareSection,
        title="Hardware",
        description="Where it runs: the GPU model, how many, and how they are split.",
    )
    workload: WorkloadSection = declare(
        factory=WorkloadSection,
        title="Workload",
        description="What traffic to plan for: request sizes and concurrency.",
    )
    policy: PolicySection = declare(
        factory=PolicySection,
        title="Policy",
        description="Memory safety margins.",
    )
    outputs: OutputsSection = declare(
        factory=OutputsSection,
        title="Outputs",
        description="What `generate` writes and any extra vLLM flags.",
    )

    @property
    def target_vllm_version(self) -> str:
        """The vLLM release to plan for: the profile's, else the pinned one."""
        return (self.vllm_version or PINNED_VLLM_VERSION).removeprefix("v")


SECTIONS: Mapping[str, type[Section]] = {
    "model": ModelSection,
    "hardware": HardwareSection,
    "workload": WorkloadSection,
    "policy": PolicySection,
    "outputs": OutputsSection,
}
"""Top-level keys that hold a section, and the model of each."""

SUBSECTIONS: Mapping[tuple[str, str], type[Section]] = {("workload", "slo"): SloSection}
"""Mappings nested in a section: their keys are checked like a section's."""

OPEN_MAPPINGS: frozenset[tuple[str, str]] = frozenset({("outputs", "vllm_args")})
"""Fields whose keys are free-form (checked against the flag table, not the schema)."""


def profile_to_data(profile: Profile) -> dict[str, Any]:
    """Every field of the profile as plain data, in declaration order."""
    data: dict[str, Any] = to_data(profile)
    return data
