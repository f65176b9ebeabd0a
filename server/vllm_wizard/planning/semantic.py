"""Rules vLLM enforces before it sizes memory, checked against the resolved model and GPU.

Each check names the profile fields to blame and quotes vLLM's own message where vLLM has
one (vLLM 0.33.0: `vllm/config/model.py`, `vllm/config/parallel.py`, `vllm/platforms/cuda.py`,
`vllm/config/vllm.py`).
"""

from __future__ import annotations

from collections.abc import Mapping

from vllm_wizard.findings import Findings, Fix, fixes_data
from vllm_wizard.hardware.resolve import ResolvedGpu
from vllm_wizard.models.arch import ModelArch
from vllm_wizard.profile.diagnostics import Code
from vllm_wizard.profile.schema import Profile

MIN_CAPABILITY: dict[str, tuple[int, int]] = {
    "awq": (7, 5), "awq_marlin": (7, 5), "auto_awq": (7, 5),
    "gptq": (6, 0), "gptq_marlin": (6, 0), "auto_gptq": (6, 0),
    "fp8": (7, 5), "fp8_per_tensor": (7, 5), "fp8_per_block": (7, 5),
    "fp8_per_channel": (7, 5), "online": (7, 5),
    "compressed-tensors": (7, 0), "mxfp4": (8, 0), "gpt_oss_mxfp4": (8, 0),
    "modelopt": (8, 0), "modelopt_fp4": (7, 5), "modelopt_mxfp8": (8, 0),
    "fbgemm_fp8": (8, 0), "experts_int8": (8, 0), "moe_wna16": (7, 0),
    "torchao": (7, 5), "quark": (7, 0),
}  # fmt: skip
"""`QuantizationConfig.get_min_capability` of each method in vLLM 0.33.0."""

CHECKPOINT_CONFIG_FILES: dict[str, tuple[str, ...]] = {
    "awq": ("quantize_config.json", "quant_config.json"),
    "awq_marlin": ("quantize_config.json", "quant_config.json"),
    "auto_awq": ("quantize_config.json", "quant_config.json"),
    "gptq": ("quantize_config.json",),
    "gptq_marlin": ("quantize_config.json",),
    "auto_gptq": ("quantize_config.json",),
    "moe_wna16": ("quantize_config.json",),
    "modelopt": ("hf_quant_config.json",),
    "modelopt_fp4": ("hf_quant_config.json",),
    "modelopt_mxfp8": ("hf_quant_config.json",),
    "modelopt_mixed": ("hf_quant_config.json",),
    "inc": ("quantization_config.json",),
}
"""Methods that read their settings from the checkpoint (`get_config_filenames()` is not
empty in vLLM 0.33.0): without a `quantization_config` in config.json and without one of
these files, `get_quant_config` (model_loader/weight_utils.py) raises
`ValueError: Cannot find the config file for <method>`. Online methods (fp8, fp8_per_tensor,
…) return no file names and quantize at load time."""

TP_FIELD = ("hardware", "tp_size")
PP_FIELD = ("hardware", "pp_size")
GPUS_FIELD = ("hardware", "gpus")
NODES_FIELD = ("hardware", "nodes")
GPU_FIELD = ("hardware", "gpu_name")
MODEL_FIELD = ("model", "id")
BASE_MODEL_FIELD = ("model", "base_model")
LEN_FIELD = ("model", "max_model_len")
DTYPE_FIELD = ("model", "dtype")
QUANT_FIELD = ("model", "quantization")


def valid_tp(arch: ModelArch, tp: int) -> bool:
    """Heads divide evenly (vLLM's check) and KV heads split or replicate evenly (the model's)."""
    if arch.num_attention_heads % tp:
        return False
    if arch.mla is not None or arch.num_kv_heads == 0:
        return True
    kv = arch.num_kv_heads
    return kv % tp == 0 if tp <= kv else tp % kv == 0


def check_parallel(profile: Profile, arch: ModelArch, tp: int, pp: int, findings: Findings) -> bool:
    """tp and pp against the model and the GPUs; False when vLLM would refuse."""
    hw = profile.hardware
    ok = True
    available = hw.gpus * hw.nodes
    if tp * pp > available:
        findings.error(
            Code.PARALLEL_LAYOUT,
            f"World size ({tp * pp}) is larger than the number of available GPUs ({available}):"
            f" tensor_parallel_size {tp} × pipeline_parallel_size {pp} needs {tp * pp} GPUs,"
            f" the profile has {hw.gpus} per node × {hw.nodes} node(s).",
            TP_FIELD,
            PP_FIELD,
            GPUS_FIELD,
            related=((GPUS_FIELD, "GPUs per node"), (NODES_FIELD, "nodes")),
            data=fixes_data(
                [
                    Fix.set(
                        f"Set gpus: {-(-tp * pp // hw.nodes)}", GPUS_FIELD, -(-tp * pp // hw.nodes)
                    )
                ]
            ),
        )
        ok = False
    heads = arch.num_attention_heads
    if heads % tp:
        choices = [t for t in range(1, min(available, 64) + 1) if valid_tp(arch, t)]
        fixes = [Fix.set(f"Set tp_size: {t}", TP_FIELD, t) for t in choices[-2:]]
        findings.error(
            Code.PARALLEL_LAYOUT,
            f"Total number of attention heads ({heads}) must be divisible by tensor parallel"
            f" size ({tp}).",
            TP_FIELD,
            GPUS_FIELD,
            related=((MODEL_FIELD, f"{heads} attention heads"),),
            data=fixes_data(fixes),
        )
        ok = False
    elif not valid_tp(arch, tp):
        kv = arch.num_kv_heads
        rule = (
            f"tp {tp} must divide the {kv} KV heads"
            if tp <= kv
            else f"above the {kv} KV heads, tp must be a multiple of them"
        )
        findings.error(
            Code.PARALLEL_LAYOUT,
            f"tensor_parallel_size {tp} does not split the model's {kv} KV heads evenly: {rule}.",
            TP_FIELD,
            GPUS_FIELD,
            related=((MODEL_FIELD, f"{kv} KV heads"),),
        )
        ok = False
    if pp > arch.num_layers:
        findings.error(
            Code.PARALLEL_LAYOUT,
            f"pipeline_parallel_size {pp} is more than the model's {arch.num_layers} layers.",
            PP_FIELD,
            NODES_FIELD,
        )
        ok = False
    if tp > hw.gpus and ok:
        findings.warning(
            Code.CROSS_NODE_TP,
            f"tensor_parallel_size {tp} spans nodes ({hw.gpus} GPUs per node): every layer then"
            " waits on the network. Use tp within a node and pipeline parallelism across nodes.",
            TP_FIELD,
            related=((GPUS_FIELD, "GPUs per node"),),
        )
    return ok


def check_max_model_len(profile: Profile, arch: ModelArch, findings: Findings) -> bool:
    """A user max_model_len above the model's derived limit (vLLM refuses it)."""
    value = profile.model.max_model_len
    if not isinstance(value, int):
        return True
    limit = arch.derived_max_model_len
    if value <= limit:
        return True
    if arch.model_max_length is not None and value <= arch.model_max_length:
        return True
    key = arch.max_len_key or "max_position_embeddings"
    findings.error(
        Code.MAX_MODEL_LEN,
        f"User-specified max_model_len ({value}) is greater than the derived max_model_len"
        f" ({key}={limit} or model_max_length={arch.model_max_length} in model's"
        " config.json). vLLM refuses it unless VLLM_ALLOW_LONG_MAX_MODEL_LEN=1.",
        LEN_FIELD,
        related=((MODEL_FIELD, f"{key} = {limit:,}"),),
        data=fixes_data([Fix.set(f"Set max_model_len: {limit}", LEN_FIELD, limit, preferred=True)]),
    )
    return False


def check_quantization(
    profile: Profile,
    arch: ModelArch,
    gpu: ResolvedGpu,
    method: str | None,
    findings: Findings,
    *,
    online_fp8: str = "fp8",
    removed: Mapping[str, str] | None = None,
) -> bool:
    """The requested method against the checkpoint's and against the GPU.

    `online_fp8` is the targeted vLLM's spelling of fp8 quantized at load time; `removed`
    maps the methods the targeted vLLM no longer has to the last release that has them.
    """
    requested = profile.model.quantization
    declared = arch.quantization.method if arch.quantization is not None else None
    last = (removed or {}).get(declared) if declared is not None else None
    ok = True
    if last is not None:
        findings.error(
            Code.QUANTIZATION,
            f"{profile.model.id} is a {declared} checkpoint, and vLLM {profile.target_vllm_version}"
            f' no longer has that method: it stops with "Unknown quantization method:'
            f' {declared}". Serve the unquantized model (with quantization: {online_fp8} to'
            f" halve its weights), another quantized copy, or vLLM {last}, the"
            f" last release with {declared}.",
            MODEL_FIELD,
            related=((MODEL_FIELD, f"quantization_config.quant_method = {declared}"),),
            data={"removed_method": declared, "last_release": last},
        )
        return False
    if declared is None and requested in CHECKPOINT_CONFIG_FILES:
        files = " or ".join(CHECKPOINT_CONFIG_FILES[requested])
        findings.error(
            Code.QUANTIZATION,
            f"quantization {requested} needs a checkpoint quantized with it, and"
            f" {profile.model.id} is not one (no quantization_config in its config.json):"
            f' vLLM stops loading with "Cannot find the config file for {requested}" (unless'
            f" the repo ships {files}). Serve a checkpoint quantized with {requested}, or use"
            f" {online_fp8}, which vLLM quantizes at load time.",
            QUANT_FIELD,
            related=((MODEL_FIELD, "no quantization_config in config.json"),),
            data=fixes_data(
                [
                    Fix.set(f"Set quantization: {online_fp8}", QUANT_FIELD, online_fp8, True),
                    Fix.set("Set quantization: none", QUANT_FIELD, "none"),
                ],
                needs_checkpoint_config=requested,
            ),
        )
        return False
    if requested != "none" and declared is not None and requested != declared:
        compatible = {declared, f"{declared}_marlin", declared.removesuffix("_marlin")}
        if requested not in compatible:
            findings.error(
                Code.QUANTIZATION,
                f"Quantization method specified in the model config ({declared}) does not match"
                f" the quantization method specified in the `quantization` argument"
                f" ({requested}).",
                QUANT_FIELD,
                related=((MODEL_FIELD, f"quantization_config.quant_method = {declared}"),),
                data=fixes_data([Fix.set("Set quantization: none", QUANT_FIELD, "none", True)]),
            )
            ok = False
    elif requested != "none" and requested == declared:
        findings.info(
            Code.QUANTIZATION,
            f"The checkpoint already declares `{declared}`; the serve command leaves"
            " `--quantization` out so vLLM picks its fastest kernel.",
            QUANT_FIELD,
        )
    capability = gpu.compute_capability
    minimum = MIN_CAPABILITY.get(method or "")
    if method and minimum and capability is not None and capability < minimum:
        have = f"{capability[0]}{capability[1]}"
        findings.error(
            Code.QUANTIZATION,
            f"The quantization method {method} is not supported for the current GPU. Minimum"
            f" capability: {minimum[0]}{minimum[1]}. Current capability: {have} ({gpu.name}).",
            QUANT_FIELD if requested != "none" else MODEL_FIELD,
            GPU_FIELD,
            related=(
                (GPU_FIELD, f"{gpu.name}: compute capability {capability[0]}.{capability[1]}"),
            ),
        )
        ok = False
    return ok


def check_kv_cache_dtype(
    profile: Profile, served_dtype: str, gpu: ResolvedGpu, findings: Findings
) -> bool:
    """A 16-bit KV cache must match the model dtype (vLLM's `VllmConfig` check)."""
    kv = profile.model.kv_cache_dtype
    if kv in ("float16", "bfloat16") and kv != served_dtype:
        findings.error(
            Code.KV_CACHE_DTYPE,
            f'kv_cache_dtype="{kv}" is incompatible with dtype="{served_dtype}". Please set'
            f" `kv_cache_dtype` to `auto` or `{served_dtype}`.",
            ("model", "kv_cache_dtype"),
            related=((DTYPE_FIELD, f"the model is served in {served_dtype}"),),
            data=fixes_data(
                [Fix.set("Set kv_cache_dtype: auto", ("model", "kv_cache_dtype"), "auto")]
            ),
        )
        return False
    if kv.startswith("fp8") and gpu.spec is not None and not gpu.spec.fp8:
        findings.warning(
            Code.KV_CACHE_DTYPE,
            f"{gpu.name} has no FP8 tensor cores: an fp8 KV cache still halves its size, but"
            " vLLM converts it on every step, which costs speed.",
            ("model", "kv_cache_dtype"),
            related=((GPU_FIELD, gpu.name),),
        )
    return True
