"""Multi-head latent attention (DeepSeek V2/V3, Kimi K2, GLM-5, ...): which models use it, and
its sizes.

An MLA model caches one latent vector per token and layer, so its head size and
KV cache follow these facts instead of the attention heads.
"""

from __future__ import annotations

from vllm_wizard.models.arch.reader import _Cfg
from vllm_wizard.models.arch.results import MLAInfo

_MLA_TYPES = frozenset(
    {
        "axk1",
        "deepseek_v2",
        "deepseek_v3",
        "deepseek_v32",
        "deepseek_mtp",
        "dots3_note",
        "k3_dspark",
        "glm5_next",
        "glm5_next_text",
        "glm_moe_dsa",
        "glm4_moe_lite",
        "glm4_moe_lite_mtp",
        "kimi_k2",
        "kimi_linear",
        "longcat_flash",
        "pangu_ultra_moe",
        "pangu_ultra_moe_mtp",
        "bailing_hybrid",
        "bailing_hybrid_mtp",
        "bailing_hybrid_v3_mtp",
        "hy_v4",
        "hy_v4_mtp",
    }
)


def _mla(text: _Cfg, text_type: str) -> MLAInfo | None:
    """``ModelArchConfigConvertorBase.is_deepseek_mla``: an MLA model type with ``kv_lora_rank``."""
    if text_type not in _MLA_TYPES or text.raw("kv_lora_rank") is None:
        return None
    sparse = text.raw("index_topk") is not None
    return MLAInfo(
        kv_lora_rank=text.int_("kv_lora_rank"),
        qk_rope_head_dim=text.int_("qk_rope_head_dim", 0, minimum=0),
        qk_nope_head_dim=text.int_("qk_nope_head_dim", 0, minimum=0),
        v_head_dim=text.int_("v_head_dim", 0, minimum=0),
        q_lora_rank=text.opt_int("q_lora_rank"),
        indexer_head_dim=text.int_("index_head_dim") if sparse else None,
        indexer_heads=text.int_("index_n_heads") if sparse else 0,
    )
