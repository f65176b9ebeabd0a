"""Derived checkpoints: a repo the catalog lacks whose *name* says which catalog model it is.

Half of the real start-ups we replay name a derivative of a catalog model: a quantized copy
(``…-AWQ``, ``…-GPTQ-Int4``, ``…-FP8-dynamic``, ``…-quantized.w8a8``), a re-upload under another
org (``unsloth/…``, ``NousResearch/…``), or the base/instruct sibling of a catalog entry. Offline,
the only way to plan those is to read the name, so this module does exactly that, and nothing
more clever:

1. **Parse** the name after the org into tokens, lower case: drop re-upload noise (``hf``,
   ``unsloth``, ``quantized``), split off the *variant* (``instruct``, ``chat``, ``it``, ``base``)
   and the *quantization tokens*; what is left is the *core* (``llama-3.1-8b``, ``qwen2.5-72b``).
   ``Meta-Llama-3.1`` and ``Llama3.1`` both become ``llama-3.1``. A name that names a format vLLM
   cannot load as a repo (GGUF, MLX, EXL2, ONNX, …) or a bare ``int4``/``4bit`` (which method?)
   derives nothing.
2. **Match** the core and variant exactly against the same parse of every catalog id (an index
   built once). Every token must agree, so a fine-tune (``…-Instruct-ko``, ``…-abliterated``), a
   different size or release (``…-2507``, ``Qwen2`` vs ``Qwen2.5``) never matches. A different
   variant matches only for the families in :data:`_SIBLINGS`, whose base and instruct
   ``config.json`` were read and agree (Qwen 2/2.5/3 do *not*: their base repos have other context
   lengths, and Mixtral-8x22B's instruct has another vocabulary).
3. **Imply** the ``quantization_config`` vLLM would read from such a checkpoint
   (:func:`implied_quantization`), each with the source of the typical file.

The result is a :class:`Derivation`: the catalog entry, the implied quantization, and whether it
is a sibling. The caller (``models/resolve.py``) plans with it and says so in a warning; the
Hub's own ``config.json`` replaces it whenever the Hub answers.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from vllm_wizard.catalog.models import CatalogModel, catalog_models, config_dict

__all__ = [
    "Derivation",
    "ImpliedQuantization",
    "NameParts",
    "derive",
    "derive_from",
    "derived_config",
    "implied_quantization",
    "parse_name",
]

# ---------------------------------------------------------------------------------------------
# Typical quantization_config of each kind of checkpoint, with where it comes from
# ---------------------------------------------------------------------------------------------

_CT_SCHEMES = (
    "https://github.com/vllm-project/compressed-tensors/blob/"
    "0bb1251a94b22353a7703e7adfdd6a36b0600660/src/compressed_tensors/quantization/quant_scheme.py"
)
"""compressed-tensors' PRESET_SCHEMES: what llm-compressor writes for FP8, FP8_DYNAMIC, W8A8,
W4A16, W8A16, NVFP4 and MXFP4 (the names RedHatAI, neuralmagic and most others give repos)."""

_AWQ_SOURCE = (
    "https://huggingface.co/TheBloke/CodeLlama-34B-AWQ/blob/main/config.json and "
    "https://huggingface.co/LDCC/Qwen2.5-72B-Instruct-ko-AWQ/blob/"
    "9a469eaf5dbcc3d50db7b990daea677ebaf65e68/config.json (AutoAWQ: 4 bits, group 128, gemm)"
)
_GPTQ_INT_SOURCE = (
    "https://huggingface.co/psyche/Qwen2-72B-Instruct-GPTQ-Int4/blob/main/quantize_config.json "
    "(bits 4, group 128, desc_act false) and "
    "https://huggingface.co/JunHowie/Seed-OSS-36B-Instruct-GPTQ-Int8/blob/main/"
    "quantize_config.json "
    "(bits 8, group 128)"
)
_GPTQ_SOURCE = (
    "https://huggingface.co/TheBloke/Llama-2-13B-chat-GPTQ/commit/"
    "95b68969a256b0f4322d215662f686a6a574ef4c (TheBloke's main branch: 4 bits, group 128)"
)
_QWEN_FP8_SOURCE = (
    "Qwen's model card of Qwen3-235B-A22B-FP8 (copy: https://github.com/akash-network/"
    "awesome-akash/blob/2199af2993737009b86d6424d705f30a290e7b86/Qwen3-235B-A22B-FP8/README.md): "
    "'fine-grained fp8 quantization with block size of 128'; transformers' FineGrainedFP8Config "
    "(https://huggingface.co/docs/transformers/quantization/finegrained_fp8) writes "
    "quant_method fp8 with weight_block_size [128, 128]"
)
_BNB_SOURCE = (
    "transformers' BitsAndBytesConfig as saved in config.json, e.g. "
    "https://huggingface.co/clejordan/MNLP_M3_bnbquantized8_last/blob/main/config.json"
)


def _ct_scheme(
    weights: dict[str, Any], activations: dict[str, Any] | None, fmt: str
) -> dict[str, Any]:
    group: dict[str, Any] = {"targets": ["Linear"], "weights": weights}
    if activations is not None:
        group["input_activations"] = activations
    return {
        "quant_method": "compressed-tensors",
        "format": fmt,
        "config_groups": {"group_0": group},
        "ignore": ["lm_head"],
    }


def _ct_args(bits: int, kind: str, strategy: str, **extra: Any) -> dict[str, Any]:
    return {"num_bits": bits, "type": kind, "strategy": strategy, "symmetric": True, **extra}


@dataclass(frozen=True, slots=True)
class ImpliedQuantization:
    """The quantization a checkpoint's name implies, as vLLM would read it from config.json."""

    label: str
    """How the warning says it: ``AWQ 4-bit``, ``FP8 (block-wise)``, ..."""
    config: Mapping[str, Any]
    """The ``quantization_config`` a checkpoint of that kind carries."""
    source: str
    """Where that typical config was read."""


def _awq(group: int | None) -> ImpliedQuantization:
    return ImpliedQuantization(
        "AWQ 4-bit",
        {
            "quant_method": "awq",
            "bits": 4,
            "group_size": group or 128,
            "zero_point": True,
            "version": "gemm",
        },
        _AWQ_SOURCE,
    )


def _gptq(bits: int, group: int | None, desc_act: bool, source: str) -> ImpliedQuantization:
    return ImpliedQuantization(
        f"GPTQ {bits}-bit",
        {
            "quant_method": "gptq",
            "bits": bits,
            "group_size": group or 128,
            "desc_act": desc_act,
            "sym": True,
        },
        source,
    )


_FP8_BLOCK = ImpliedQuantization(
    "FP8 (block-wise, 128 × 128)",
    {
        "quant_method": "fp8",
        "activation_scheme": "dynamic",
        "fmt": "e4m3",
        "weight_block_size": [128, 128],
    },
    _QWEN_FP8_SOURCE,
)
_FP8_DYNAMIC = ImpliedQuantization(
    "FP8 (compressed-tensors, dynamic activations)",
    _ct_scheme(
        _ct_args(8, "float", "channel", dynamic=False),
        _ct_args(8, "float", "token", dynamic=True),
        "float-quantized",
    ),
    _CT_SCHEMES + " (FP8_DYNAMIC)",
)
_FP8_STATIC = ImpliedQuantization(
    "FP8 (compressed-tensors)",
    _ct_scheme(
        _ct_args(8, "float", "tensor", dynamic=False),
        _ct_args(8, "float", "tensor", dynamic=False),
        "float-quantized",
    ),
    _CT_SCHEMES + " (FP8)",
)
_W8A8 = ImpliedQuantization(
    "INT8 W8A8 (compressed-tensors)",
    _ct_scheme(
        _ct_args(8, "int", "channel", dynamic=False),
        _ct_args(8, "int", "token", dynamic=True),
        "int-quantized",
    ),
    _CT_SCHEMES + " (W8A8)",
)


def _weight_only(bits: int, group: int | None) -> ImpliedQuantization:
    return ImpliedQuantization(
        f"INT{bits} W{bits}A16 (compressed-tensors)",
        _ct_scheme(
            _ct_args(bits, "int", "group", group_size=group or 128, dynamic=False),
            None,
            "pack-quantized",
        ),
        _CT_SCHEMES + f" (W{bits}A16)",
    )


_NVFP4 = ImpliedQuantization(
    "NVFP4 (compressed-tensors)",
    _ct_scheme(
        _ct_args(4, "float", "tensor_group", group_size=16, dynamic=False),
        _ct_args(4, "float", "tensor_group", group_size=16, dynamic="local"),
        "nvfp4-pack-quantized",
    ),
    _CT_SCHEMES + " (NVFP4)",
)
_MXFP4 = ImpliedQuantization(
    "MXFP4 (compressed-tensors)",
    _ct_scheme(
        _ct_args(4, "float", "group", group_size=32, dynamic=False),
        _ct_args(4, "float", "group", group_size=32, dynamic=True),
        "mxfp4-pack-quantized",
    ),
    _CT_SCHEMES + " (MXFP4)",
)


def _bnb(bits: int) -> ImpliedQuantization:
    config: dict[str, Any] = {
        "quant_method": "bitsandbytes",
        "load_in_4bit": bits == 4,
        "load_in_8bit": bits == 8,
    }
    if bits == 4:
        config |= {"bnb_4bit_quant_type": "nf4", "bnb_4bit_use_double_quant": True}
    return ImpliedQuantization(f"bitsandbytes {bits}-bit", config, _BNB_SOURCE)


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

_SPLIT = re.compile(r"[-_\s]+|\.(?=[a-z])")
"""Token separators: dashes, underscores, and a dot before a letter (``quantized.w8a8``,
``Qwen3-30B-A3B.w4a16``) but not inside a version (``3.1``, ``v0.3``, ``qwen2.5``)."""
_FAMILY_DIGITS = re.compile(r"(llama|gemma)(\d[\d.]*)")
"""``llama3.1`` → ``llama`` ``3.1``, as Meta and Google spell their releases."""
_GROUP = re.compile(r"g(\d+)|(\d+)g")
_BPW = re.compile(r"\d+(\.\d+)?bpw")
_VARIANTS = frozenset({"instruct", "chat", "it", "base"})
_NOISE = frozenset({"hf", "unsloth", "quantized", "actorder"})
_METHODS = frozenset({"awq", "gptq", "fp8", "w8a8", "w4a16", "w8a16", "nvfp4", "mxfp4", "bnb"})
_BITS = {"int4": 4, "4bit": 4, "int8": 8, "8bit": 8}
_FORMATS = frozenset(
    {"gguf", "ggml", "mlx", "exl2", "exl3", "onnx", "openvino", "ov", "ct2", "mlc", "coreml"}
)
"""Checkpoints vLLM does not load as a Hugging Face repo with a config.json of this model."""


@dataclass(frozen=True, slots=True)
class NameParts:
    """A repo name cut into what identifies the model and what says how it is stored."""

    org: str
    core: str
    """The model without variant or storage tokens: ``llama-3.1-8b``, ``qwen2.5-72b``."""
    variant: str
    """``instruct``, ``chat``, ``it``, ``base`` or ``""`` (none written)."""
    methods: frozenset[str]
    bits: int | None
    group: int | None
    dynamic: bool


def parse_name(model_id: str) -> NameParts | None:
    """The parts of ``org/name``; None when the name cannot name a derivative we can plan."""
    org, _, name = model_id.strip().rpartition("/")
    if not name or len(name) > 200:
        return None
    tokens: list[str] = []
    for raw in _SPLIT.split(name.lower()):
        family = _FAMILY_DIGITS.fullmatch(raw)
        tokens.extend(family.groups() if family else (raw,) if raw else ())
    if len(tokens) >= 2 and tokens[0] == "meta" and tokens[1] == "llama":
        tokens = tokens[1:]  # Meta-Llama-3.1-8B is Llama-3.1-8B
    core: list[str] = []
    variants: list[str] = []
    methods: set[str] = set()
    bits: list[int] = []
    group: int | None = None
    dynamic = False
    for token in tokens:
        if token in _FORMATS or _BPW.fullmatch(token):
            return None
        if token in _NOISE:
            continue
        if token in _VARIANTS:
            variants.append(token)
        elif token in _METHODS:
            methods.add(token)
        elif token in _BITS:
            bits.append(_BITS[token])
        elif token == "dynamic":
            dynamic = True
        elif (found := _GROUP.fullmatch(token)) is not None:
            group = int(found.group(1) or found.group(2))
        else:
            core.append(token)
    if not core or len(variants) > 1 or len(set(bits)) > 1:
        return None
    if (dynamic or group is not None) and not methods:
        return None  # "…-dynamic" or "…-g128" alone: not a storage suffix we know
    return NameParts(
        org=org.lower(),
        core="-".join(core),
        variant=variants[0] if variants else "",
        methods=frozenset(methods),
        bits=bits[0] if bits else None,
        group=group,
        dynamic=dynamic,
    )


def _storage(parts: NameParts) -> tuple[frozenset[str], int | None, int | None, bool]:
    """What a name says about how the weights are stored (equal for two copies of one file)."""
    return parts.methods, parts.bits, parts.group, parts.dynamic


_UNSURE: Literal["unsure"] = "unsure"


def implied_quantization(parts: NameParts) -> ImpliedQuantization | Literal["unsure"] | None:
    """What the storage tokens say, or ``"unsure"`` when they do not say it clearly enough.

    ``None`` means the name has no storage tokens (a re-upload, or the sibling itself).
    """
    methods, bits = set(parts.methods), parts.bits
    if not methods:
        return None if bits is None else _UNSURE  # "-Int4" alone: AWQ? GPTQ? bitsandbytes?
    if "fp8" in methods:
        methods.discard("w8a8")  # "FP8-W8A8" is still fp8
        if methods != {"fp8"} or bits is not None:
            return _UNSURE
        if parts.dynamic:
            return _FP8_DYNAMIC
        # Qwen and DeepSeek publish block-wise fp8; llm-compressor's FP8 is everyone else's
        return _FP8_BLOCK if parts.org in ("qwen", "deepseek-ai") else _FP8_STATIC
    if len(methods) > 1 or parts.dynamic:
        return _UNSURE
    method = methods.pop()
    if method == "awq":
        return _awq(parts.group) if bits in (None, 4) else _UNSURE
    if method == "gptq":
        if bits is None:
            return _gptq(4, parts.group, True, _GPTQ_SOURCE)
        return _gptq(bits, parts.group, False, _GPTQ_INT_SOURCE)
    if method == "bnb":
        return _bnb(bits) if bits is not None else _UNSURE
    if bits is not None and not (method == "w8a8" and bits == 8):
        return _UNSURE
    if method == "w8a8":
        return _W8A8
    if method in ("w4a16", "w8a16"):
        return _weight_only(4 if method == "w4a16" else 8, parts.group)
    return _NVFP4 if method == "nvfp4" else _MXFP4


# ---------------------------------------------------------------------------------------------
# Siblings whose config.json agree
# ---------------------------------------------------------------------------------------------

_SIBLINGS: tuple[tuple[re.Pattern[str], frozenset[str], str], ...] = (
    (
        re.compile(r"llama-2-7b"),
        frozenset({"", "chat"}),
        "https://huggingface.co/bienpr/Llama-2-7b-chat-hf/blob/main/config.json (a fork of "
        "meta-llama/Llama-2-7b-chat-hf: same layers, heads, vocab 32000 and 4096 positions as "
        "Llama-2-7b-hf)",
    ),
    (
        re.compile(r"llama-3-(8b|70b)"),
        frozenset({"", "instruct"}),
        "shared/data/models.md Table 1 (Meta-Llama-3-8B, -8B-Instruct, -70B: vocab 128256, 8192 "
        "positions) and https://huggingface.co/jerryzh168/llama3-8B/blob/main/config.json "
        "(_name_or_path meta-llama/Meta-Llama-3-8B)",
    ),
    (
        re.compile(r"llama-3\.1-(8b|70b)"),
        frozenset({"", "instruct"}),
        "shared/data/models.md Table 1 (Llama-3.1-8B and -8B-Instruct identical; -70B's "
        "Instruct twin has the same values)",
    ),
    (
        re.compile(r"mixtral-8x7b-v0\.1"),
        frozenset({"", "instruct"}),
        "shared/data/models.md Table 1 (Mixtral-8x7B base v0.1 identical to the Instruct file)",
    ),
)
"""Families whose base and instruct/chat releases ship the same config.json apart from token
ids, each with where that was read. Qwen2/2.5/3 are absent on purpose: their base repos have
other context lengths (Qwen2.5-7B: 131072 vs 32768; models.md note on Qwen2.5-32B)."""


def _sibling_source(core: str, variant: str, other: str) -> str | None:
    for pattern, variants, source in _SIBLINGS:
        if pattern.fullmatch(core) and variant in variants and other in variants:
            return source
    return None


# ---------------------------------------------------------------------------------------------
# The catalog, indexed by the same parse
# ---------------------------------------------------------------------------------------------

_QUANT_KEYS = ("quantization_config", "compression_config")


def _quantized(entry: CatalogModel) -> bool:
    """The entry's config declares a quantization (its own file, or a natively fp8 model's)."""
    text = entry.config.get("text_config")
    holders = (entry.config, text) if isinstance(text, Mapping) else (entry.config,)
    return any(key in holder for holder in holders for key in _QUANT_KEYS)


def _quantized_copy(entry: CatalogModel) -> bool:
    """The entry is a quantized copy (its name says so), not a natively quantized model."""
    parts = parse_name(entry.id)
    return parts is not None and bool(parts.methods)


_Index = Mapping[str, Mapping[str, tuple[CatalogModel, ...]]]
"""core → variant → catalog entries, unquantized ones first, then in file order."""


def _build_index(entries: Sequence[CatalogModel]) -> _Index:
    found: dict[str, dict[str, list[CatalogModel]]] = {}
    for entry in entries:
        parts = parse_name(entry.id)
        if parts is not None:
            found.setdefault(parts.core, {}).setdefault(parts.variant, []).append(entry)
    return {
        core: {variant: tuple(sorted(group, key=_quantized)) for variant, group in by.items()}
        for core, by in found.items()
    }


@cache
def _catalog_index() -> _Index:
    return _build_index(catalog_models())


@dataclass(frozen=True, slots=True)
class Derivation:
    """``model_id`` planned as the catalog entry ``base`` with ``quantization``."""

    model_id: str
    base: CatalogModel
    quantization: ImpliedQuantization | None
    quantization_unsure: bool
    """The name has storage tokens that do not say one method (``-Int4``): planned with the
    base's 16-bit weights, which can only overstate them."""
    sibling_source: str | None
    """Set when ``base`` is the instruct/base sibling: where their configs were read to agree."""


def _pick(candidates: Sequence[CatalogModel], parts: NameParts) -> CatalogModel:
    """A catalog copy of the very checkpoint (same storage suffix) if any, else the unquantized
    entry (sorted first); the same org's before another's."""
    copies = [
        c
        for c in candidates
        if parts.methods and (p := parse_name(c.id)) is not None and _storage(p) == _storage(parts)
    ]
    best = copies or [c for c in candidates if _quantized(c) == _quantized(candidates[0])]
    same_org = [c for c in best if c.id.lower().startswith(parts.org + "/")]
    return (same_org or best)[0]


def _derivation(model_id: str, parts: NameParts | None, base: CatalogModel) -> Derivation:
    base_parts = parse_name(base.id)
    if parts is not None and base_parts is not None and _storage(parts) == _storage(base_parts):
        # a copy of the very checkpoint (a quantized one too): its config.json as it is
        return Derivation(model_id, base, None, False, None)
    quantization = implied_quantization(parts) if parts is not None else None
    implied = quantization if isinstance(quantization, ImpliedQuantization) else None
    return Derivation(model_id, base, implied, quantization == _UNSURE, None)


def derive(model_id: str, entries: Sequence[CatalogModel] | None = None) -> Derivation | None:
    """The catalog model ``model_id``'s name says it is a copy, quantization or sibling of.

    ``entries`` defaults to the bundled catalog (indexed once). None when no catalog entry
    matches confidently.
    """
    parts = parse_name(model_id)
    if parts is None or "mlx" in parts.org:  # mlx-community: Apple MLX weights, not for vLLM
        return None
    index = _catalog_index() if entries is None else _build_index(entries)
    by_variant = index.get(parts.core)
    if not by_variant:
        return None
    exact = by_variant.get(parts.variant)
    if exact:
        return _derivation(model_id, parts, _pick(exact, parts))
    for variant, candidates in by_variant.items():
        source = _sibling_source(parts.core, parts.variant, variant)
        if source is not None:
            found = _derivation(model_id, parts, _pick(candidates, parts))
            return dataclasses.replace(found, sibling_source=source)
    return None


def derive_from(model_id: str, base: CatalogModel) -> Derivation:
    """``model_id`` planned as ``base`` because the profile says so (``model.base_model``).

    The quantization still comes from the name; a name that says none plans ``base`` as it is.
    """
    return _derivation(model_id, parse_name(model_id), base)


def derived_config(derivation: Derivation) -> dict[str, Any]:
    """The base's config.json with the quantization the name implies in place of its own.

    A natively quantized base (DeepSeek-V3's fp8, gpt-oss's mxfp4) keeps its own when the name
    implies none; a base that is itself a quantized copy keeps its file's quantization_config
    when the name has the same storage suffix or implies the same method (its file is more
    precise than the typical one).
    """
    config = config_dict(derivation.base)
    implied = derivation.quantization
    mine, base = parse_name(derivation.model_id), parse_name(derivation.base.id)
    if mine is not None and base is not None and _storage(mine) == _storage(base):
        return config  # a copy of the very checkpoint: its own file is right
    text = config.get("text_config")
    holders = [config, text] if isinstance(text, dict) else [config]
    own = next((h[k] for h in holders for k in _QUANT_KEYS if isinstance(h.get(k), dict)), None)
    if own is None and implied is None:
        return config
    if implied is None:
        if not derivation.quantization_unsure and not _quantized_copy(derivation.base):
            return config
    elif own is not None and own.get("quant_method") == implied.config["quant_method"]:
        return config
    for holder in holders:
        for key in _QUANT_KEYS:
            holder.pop(key, None)
    if implied is not None:
        config["quantization_config"] = copy.deepcopy(dict(implied.config))
    return config
