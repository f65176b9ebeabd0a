"""A Hugging Face ``config.json`` turned into what the memory model needs (DESIGN §3, §7).

Pure and typed: :func:`arch_from_config` reads a parsed ``config.json`` mapping and returns a
frozen :class:`ModelArch`; it does no I/O and imports nothing heavy. Every rule here mirrors
what the pinned vLLM release (0.33.0, with the ``transformers`` 5.x config classes it requires)
does with the same file, and names the vLLM function it follows:

* the text model's keys come from a nested ``text_config`` (multimodal models), as
  ``vllm.transformers_utils.config.get_hf_text_config`` does;
* head size, KV heads and expert counts follow
  ``vllm.transformers_utils.model_arch_config_convertor.ModelArchConfigConvertorBase``
  (``get_head_size``, ``get_total_num_kv_heads``, ``get_num_experts``, ``is_deepseek_mla``);
* the model's maximum length follows ``vllm.config.model._get_and_verify_max_len`` together with
  ``ModelArchConfigConvertorBase.derive_max_model_len_and_key``;
* per-layer attention kinds follow the model code (``llama.py``, ``gemma2.py``, ``gemma3.py``,
  ``gpt_oss.py``, ``llama4.py``, ``commandr.py``, ``qwen2.py``), ``EngineArgs.create_engine_config``
  (a model-wide ``sliding_window`` applies only when ``layer_types`` is absent or all sliding)
  and the ``layer_types`` the ``transformers`` config classes compute when the file has none;
* Mamba / linear-attention state shapes follow
  ``vllm.model_executor.layers.mamba.mamba_utils.MambaStateShapeCalculator``.

Where ``transformers`` fills a key the file leaves out (a class default), the few defaults that
change the answer are listed in ``class_defaults._CLASS_DEFAULTS`` with the class they come from.

:func:`estimate_params` counts parameters from the same facts when no exact count is known;
callers must label its result an estimate.

One module per concern: ``results`` (the types below), ``reader`` (typed reading of the
mapping), ``class_defaults``, ``context_length`` (length and rope), ``layer_kinds`` (sliding
windows, chunks), ``hybrid`` (Mamba / linear attention), ``moe``, ``mla``, ``quantization``,
``vision``, ``from_config`` (:func:`arch_from_config`) and ``params`` (:func:`estimate_params`).
This package only re-exports their public names.
"""

from __future__ import annotations

from vllm_wizard.models.arch.from_config import arch_from_config
from vllm_wizard.models.arch.params import estimate_params
from vllm_wizard.models.arch.results import (
    AttentionKind,
    LayerKind,
    MambaInfo,
    MLAInfo,
    ModelArch,
    ModelConfigError,
    MoEInfo,
    ParamCounts,
    QuantizationInfo,
    VisionInfo,
)

__all__ = [
    "AttentionKind",
    "LayerKind",
    "MLAInfo",
    "MambaInfo",
    "MoEInfo",
    "ModelArch",
    "ModelConfigError",
    "ParamCounts",
    "QuantizationInfo",
    "VisionInfo",
    "arch_from_config",
    "estimate_params",
]
