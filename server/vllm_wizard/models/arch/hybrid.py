"""Hybrid models (Mamba / linear attention): their layer layout and recurrent-state facts.

One branch per family vLLM supports (Nemotron-H, Jamba, Falcon-H1, Granite-MoE-hybrid /
Bamba, Qwen3-Next / Qwen3.5), each reading its own keys; the state shapes themselves live on
:class:`MambaInfo`.
"""

from __future__ import annotations

from typing import Any, cast

from vllm_wizard.models.arch.layer_kinds import _NEXT_TYPES, _map_layer_type
from vllm_wizard.models.arch.reader import _Cfg
from vllm_wizard.models.arch.results import LayerKind, MambaInfo, ModelConfigError


def _hybrid(
    text: _Cfg, text_type: str, num_layers: int
) -> tuple[list[LayerKind], MambaInfo, int] | None:
    """(layer kinds, state facts, layer count) for the hybrid families vLLM supports here."""
    if text_type == "nemotron_h":
        pattern: Any = text.raw("hybrid_override_pattern")
        block_types = text.opt_list("layers_block_type")
        if isinstance(pattern, str) and pattern:
            symbols = {"M": "mamba", "*": "full", "-": "none", "E": "none"}
            kinds = [cast(LayerKind, symbols.get(c, "full")) for c in pattern]
        elif block_types:
            path = text.path("layers_block_type")
            kinds = [_map_layer_type(t, path) for t in block_types]
        else:
            raise ModelConfigError(
                f"config.json has neither `{text.path('hybrid_override_pattern')}` nor "
                f"`{text.path('layers_block_type')}`; the Nemotron-H layer layout is unknown"
            )
        heads = text.int_("mamba_num_heads")
        head_dim = text.int_("mamba_head_dim")
        dtype = text.opt_str("mamba_ssm_cache_dtype") or "float32"
        info = MambaInfo(
            kind="mamba2",
            num_layers=kinds.count("mamba"),
            conv_kernel=text.int_("conv_kernel", 4),
            state_size=text.int_("ssm_state_size"),
            intermediate_size=heads * head_dim,
            n_groups=text.int_("n_groups", 1),
            num_heads=heads,
            head_dim=head_dim,
            ssm_state_dtype=dtype,
        )
        return kinds, info, len(kinds)

    if text_type == "jamba":
        period = text.int_("attn_layer_period", 8)
        offset = text.int_("attn_layer_offset", 4, minimum=0)
        kinds = ["full" if i % period == offset else "mamba" for i in range(num_layers)]
        hidden = text.int_("hidden_size")
        info = MambaInfo(
            kind="mamba1",
            num_layers=kinds.count("mamba"),
            conv_kernel=text.int_("mamba_d_conv", 4),
            state_size=text.int_("mamba_d_state", 16),
            intermediate_size=text.int_("mamba_expand", 2) * hidden,
        )
        return kinds, info, num_layers

    if text_type == "falcon_h1":
        hidden = text.int_("hidden_size")
        d_ssm = text.opt_int("mamba_d_ssm")
        expand = text.opt_number("mamba_expand") or 2.0
        info = MambaInfo(
            kind="mamba2",
            num_layers=num_layers,  # attention and Mamba run side by side in every layer
            conv_kernel=text.int_("mamba_d_conv", 4),
            state_size=text.int_("mamba_d_state"),
            intermediate_size=d_ssm if d_ssm else int(expand * hidden),
            n_groups=text.int_("mamba_n_groups", 1),
            num_heads=text.int_("mamba_n_heads"),
            head_dim=text.int_("mamba_d_head"),
        )
        return ["full"] * num_layers, info, num_layers

    if text_type in ("granitemoehybrid", "bamba"):
        layer_types = text.opt_list("layer_types")
        if layer_types:
            path = text.path("layer_types")
            kinds = [_map_layer_type(t, path) for t in layer_types[:num_layers]]
        else:
            attn = set(text.opt_list("attn_layer_indices") or [])
            kinds = ["full" if i in attn else "mamba" for i in range(num_layers)]
        hidden = text.int_("hidden_size")
        info = MambaInfo(
            kind="mamba2",
            num_layers=kinds.count("mamba"),
            conv_kernel=text.int_("mamba_d_conv", 4),
            state_size=text.int_("mamba_d_state"),
            intermediate_size=text.int_("mamba_expand", 2) * hidden,
            n_groups=text.int_("mamba_n_groups", 1),
            num_heads=text.int_("mamba_n_heads"),
            head_dim=text.int_("mamba_d_head"),
        )
        return kinds, info, num_layers

    if text_type in _NEXT_TYPES:
        layer_types = text.opt_list("layer_types")
        if layer_types:
            path = text.path("layer_types")
            kinds = [_map_layer_type(t, path) for t in layer_types[:num_layers]]
        else:
            interval = text.int_("full_attention_interval", 4)
            kinds = ["linear" if (i + 1) % interval else "full" for i in range(num_layers)]
        info = MambaInfo(
            kind="gated_delta_net",
            num_layers=kinds.count("linear"),
            conv_kernel=text.int_("linear_conv_kernel_dim", 4),
            num_k_heads=text.int_("linear_num_key_heads"),
            num_v_heads=text.int_("linear_num_value_heads"),
            head_k_dim=text.int_("linear_key_head_dim"),
            head_v_dim=text.int_("linear_value_head_dim"),
            ssm_state_dtype=text.opt_str("mamba_ssm_dtype"),
        )
        return kinds, info, num_layers
    return None
