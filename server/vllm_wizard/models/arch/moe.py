"""Mixture-of-experts facts: expert counts, sizes, shared experts and which layers are MoE.

Follows ``ModelArchConfigConvertorBase.get_num_experts`` and each family's own way of
naming its MoE layers (dense prefix, sparse step, period, pattern).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vllm_wizard.models.arch.reader import _Cfg
from vllm_wizard.models.arch.results import LayerKind, MoEInfo

_NUM_EXPERT_KEYS = ("num_experts", "moe_num_experts", "n_routed_experts", "num_local_experts")
_TOP_K_KEYS = (
    "num_experts_per_tok",
    "num_experts_per_token",
    "top_k_experts",
    "moe_topk",
    "moe_top_k",
    "top_k",
)


def _moe(text: _Cfg, text_type: str, kinds: Sequence[LayerKind], num_layers: int) -> MoEInfo | None:
    found = text.first_present(_NUM_EXPERT_KEYS)
    experts_raw: Any = found[1] if found else None
    if isinstance(experts_raw, list | tuple):  # Ernie VL: one value per modality, all equal
        experts_raw = experts_raw[0] if experts_raw else 0
    if experts_raw is None or experts_raw == 0:
        return None
    assert found is not None
    experts = text._as_int(found[0], experts_raw, 1)
    if experts <= 1 and text_type not in ("llama4_text",):
        return None

    top = text.first_present(_TOP_K_KEYS)
    top_raw: Any = top[1] if top else 0
    if isinstance(top_raw, list | tuple):
        top_raw = max(top_raw, default=0)
    top_k = text._as_int(top[0], top_raw, 0) if top and top_raw is not None else 0

    dense_inter = text.int_("intermediate_size", 0, minimum=0)
    moe_inter = text.opt_int("moe_intermediate_size") or dense_inter
    shared_count = 0
    shared_inter = 0
    n_shared = text.first_present(("n_shared_experts", "moe_num_shared_experts"))
    if n_shared and n_shared[1]:
        shared_count = text._as_int(n_shared[0], n_shared[1], 0)
        shared_inter = shared_count * moe_inter
    for key in (
        "shared_expert_intermediate_size",
        "shared_intermediate_size",
        "moe_shared_expert_intermediate_size",
    ):
        value = text.opt_int(key)
        if value:
            shared_count = max(shared_count, 1)
            shared_inter = value
            break
    if text_type == "llama4_text":  # one shared expert of intermediate_size per MoE layer
        shared_count, shared_inter = 1, moe_inter

    if text_type == "llama4_text":
        listed = text.opt_list("moe_layers")
        if listed is not None:
            moe_layers = [int(i) for i in listed]
        else:
            step = text.int_("interleave_moe_layer_step", 1)
            moe_layers = list(range(step - 1, num_layers, step))
        dense_inter = text.opt_int("intermediate_size_mlp") or dense_inter
    elif text.has("first_k_dense_replace") or text_type.startswith(
        ("deepseek", "kimi", "glm4_moe")
    ):
        first = text.int_("first_k_dense_replace", 0, minimum=0)
        freq = text.int_("moe_layer_freq", 1)
        moe_layers = [i for i in range(num_layers) if i >= first and i % freq == 0]
    elif text.has("decoder_sparse_step") or text.has("mlp_only_layers"):
        step = text.int_("decoder_sparse_step", 1)
        only_mlp = {int(i) for i in text.opt_list("mlp_only_layers") or []}
        moe_layers = [i for i in range(num_layers) if i not in only_mlp and (i + 1) % step == 0]
    elif text_type == "jamba":
        period = text.int_("expert_layer_period", 2)
        offset = text.int_("expert_layer_offset", 1, minimum=0)
        moe_layers = [i for i in range(num_layers) if i % period == offset]
    elif text_type == "nemotron_h":
        pattern = text.raw("hybrid_override_pattern")
        moe_layers = (
            [i for i, c in enumerate(pattern) if c == "E"] if isinstance(pattern, str) else []
        )
    else:
        moe_layers = list(range(num_layers))
    if text_type == "nemotron_h":
        moe_inter = text.opt_int("moe_intermediate_size") or moe_inter
    return MoEInfo(
        num_experts=experts,
        experts_per_token=top_k,
        moe_intermediate_size=moe_inter,
        num_shared_experts=shared_count,
        shared_expert_intermediate_size=shared_inter,
        moe_layers=tuple(i for i in moe_layers if 0 <= i < len(kinds)),
        dense_intermediate_size=dense_inter,
    )
