"""Parameter counts estimated from a :class:`ModelArch` when no exact count is known.

Callers must label the result an estimate: details the config does not state (extra norms,
fused projections of remote-code models) are not known here.
"""

from __future__ import annotations

import math

from vllm_wizard.models.arch.results import MambaInfo, ModelArch, ParamCounts, VisionInfo


def _attention_params(arch: ModelArch) -> int:
    hidden = arch.hidden_size
    heads = arch.num_attention_heads
    if arch.mla is not None:
        mla = arch.mla
        qk_head = mla.qk_nope_head_dim + mla.qk_rope_head_dim
        if mla.q_lora_rank:
            q = hidden * mla.q_lora_rank + mla.q_lora_rank + mla.q_lora_rank * heads * qk_head
        else:
            q = hidden * heads * qk_head
        kv_a = hidden * (mla.kv_lora_rank + mla.qk_rope_head_dim) + mla.kv_lora_rank
        kv_b = mla.kv_lora_rank * heads * (mla.qk_nope_head_dim + mla.v_head_dim)
        o = heads * mla.v_head_dim * hidden
        return q + kv_a + kv_b + o + _indexer_params(arch)
    hd = arch.head_dim
    q_out = heads * hd * (2 if arch.gated_attention else 1)
    kv_out = 2 * arch.num_kv_heads * hd
    params = hidden * (q_out + kv_out) + heads * hd * hidden
    if arch.attention_bias:
        params += q_out + kv_out + hidden
    elif arch.qkv_bias:
        params += q_out + kv_out
    if arch.qk_norm:
        params += 2 * hd
    if arch.attention_sinks:
        params += heads
    return params


def _indexer_params(arch: ModelArch) -> int:
    """One layer's lightning indexer (deepseek_v2.py ``Indexer``): wq_b (q_lora_rank →
    heads × head_dim), wk (hidden → head_dim), weights_proj (hidden → heads) and a LayerNorm
    with bias on the key. vLLM replicates them on every tensor-parallel rank."""
    mla = arch.mla
    if mla is None or mla.indexer_head_dim is None:
        return 0
    dim, heads = mla.indexer_head_dim, mla.indexer_heads
    q_rank = mla.q_lora_rank or arch.hidden_size
    return q_rank * heads * dim + arch.hidden_size * (dim + heads) + 2 * dim


def _mlp_params(arch: ModelArch, intermediate: int) -> int:
    matrices = 3 if arch.gated_mlp else 2
    return matrices * arch.hidden_size * intermediate


def _mamba_params(arch: ModelArch, info: MambaInfo) -> int:
    hidden = arch.hidden_size
    if info.kind == "mamba1":
        inner = info.intermediate_size
        dt_rank = math.ceil(hidden / 16)
        return (
            hidden * 2 * inner
            + inner * info.conv_kernel
            + inner
            + inner * (dt_rank + 2 * info.state_size)
            + dt_rank * inner
            + inner
            + inner * info.state_size
            + inner
            + inner * hidden
        )
    if info.kind == "mamba2":
        inner = info.intermediate_size
        conv_dim = inner + 2 * info.n_groups * info.state_size
        in_proj = hidden * (inner + conv_dim + info.num_heads)
        return (
            in_proj
            + conv_dim * info.conv_kernel
            + conv_dim
            + 3 * info.num_heads
            + inner
            + inner * hidden
        )
    key_dim = info.num_k_heads * info.head_k_dim
    value_dim = info.num_v_heads * info.head_v_dim
    conv_dim = 2 * key_dim + value_dim
    return (
        hidden * (2 * key_dim + 2 * value_dim)
        + hidden * 2 * info.num_v_heads
        + conv_dim * info.conv_kernel
        + 2 * info.num_v_heads
        + info.head_v_dim
        + value_dim * hidden
    )


def _vision_params(vision: VisionInfo, text_hidden: int) -> int:
    h = vision.hidden_size
    per_layer = 4 * h * h + 4 * h + 2 * h * vision.intermediate_size + vision.intermediate_size
    per_layer += h + 4 * h  # fc2 bias, two LayerNorms
    patches = (vision.image_size // vision.patch_size) ** 2
    embed = vision.num_channels * vision.patch_size**2 * h + h + patches * h
    projector = h * text_hidden + h
    return vision.num_layers * per_layer + embed + 2 * h + projector


def estimate_params(arch: ModelArch) -> ParamCounts:
    """Count parameters from the architecture when no exact count is known.

    Counts embeddings, per-layer attention (MHA/GQA/MLA, biases, q/k norms, sinks), dense MLPs,
    routed and shared experts with their routers, Mamba / gated-delta-net mixers, norms, the
    ``lm_head`` unless tied, and a ViT-style vision tower when ``vision_config`` describes one.
    It is an estimate: architecture details the config does not state (extra norms, fused
    projections of remote-code models) are not known here. Callers must say so.
    """
    hidden = arch.hidden_size
    embedding = arch.vocab_size * hidden
    lm_head = 0 if arch.tie_word_embeddings else arch.vocab_size * hidden
    attn_one = _attention_params(arch)
    attention = 0
    mlp = 0
    experts_total = 0
    experts_active = 0
    moe_other = 0
    mamba = 0
    norms = hidden  # final norm
    moe_layers = set(arch.moe.moe_layers) if arch.moe else set()
    parallel_mamba = (
        arch.mamba is not None
        and arch.mamba.num_layers == arch.num_layers
        and all(k == "full" for k in arch.layer_kinds)
    )

    for index, kind in enumerate(arch.layer_kinds):
        if kind in ("full", "sliding", "chunked"):
            attention += attn_one
        if arch.mamba is not None and (kind in ("mamba", "linear") or parallel_mamba):
            mamba += _mamba_params(arch, arch.mamba)
        norms += arch.norms_per_layer * hidden
        has_ffn = arch.text_model_type != "nemotron_h" or kind == "none"
        if not has_ffn:
            continue
        if arch.moe is not None and index in moe_layers:
            moe = arch.moe
            per_expert = 3 * hidden * moe.moe_intermediate_size
            if arch.text_model_type == "gpt_oss":
                per_expert += 2 * moe.moe_intermediate_size + hidden
            if arch.text_model_type == "nemotron_h":
                per_expert = 2 * hidden * moe.moe_intermediate_size
            experts_total += moe.num_experts * per_expert
            experts_active += moe.experts_per_token * per_expert
            router = hidden * moe.num_experts
            if arch.text_model_type == "gpt_oss" or (
                arch.mla is not None and arch.text_model_type.startswith("deepseek_v3")
            ):
                router += moe.num_experts
            shared = 0
            if moe.shared_expert_intermediate_size:
                matrices = 2 if arch.text_model_type == "nemotron_h" else 3
                shared = matrices * hidden * moe.shared_expert_intermediate_size
                if arch.text_model_type in ("qwen2_moe", "qwen3_next"):
                    shared += hidden  # shared_expert_gate
            moe_other += router + shared
        else:
            intermediate = arch.moe.dense_intermediate_size if arch.moe else arch.intermediate_size
            mlp += _mlp_params(arch, intermediate)

    vision = _vision_params(arch.vision, hidden) if arch.vision is not None else 0
    base = embedding + lm_head + attention + mlp + moe_other + mamba + norms + vision
    total = base + experts_total
    active = base + experts_active
    return ParamCounts(
        embedding=embedding,
        lm_head=lm_head,
        attention=attention,
        mlp=mlp,
        moe_experts=experts_total,
        moe_other=moe_other,
        mamba=mamba,
        norms=norms,
        vision=vision,
        total=total,
        active=active,
        replicated=_indexer_params(arch) * arch.kv_layers,
    )
