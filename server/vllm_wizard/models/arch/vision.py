"""A ViT-style vision tower (``vision_config``), read only for parameter estimates."""

from __future__ import annotations

from vllm_wizard.models.arch.reader import _Cfg
from vllm_wizard.models.arch.results import VisionInfo


def _vision(top: _Cfg) -> VisionInfo | None:
    vision = top.opt_mapping("vision_config")
    if vision is None:
        return None
    cfg = _Cfg(vision, "vision_config.")
    hidden = cfg.opt_int("hidden_size", minimum=1)
    layers = cfg.opt_int("num_hidden_layers", minimum=1) or cfg.opt_int("depth", minimum=1)
    if not hidden or not layers:
        return None
    return VisionInfo(
        hidden_size=hidden,
        intermediate_size=cfg.opt_int("intermediate_size", minimum=1) or 4 * hidden,
        num_layers=layers,
        patch_size=cfg.opt_int("patch_size", minimum=1) or 14,
        image_size=cfg.opt_int("image_size", minimum=1) or 224,
        num_channels=cfg.opt_int("num_channels", minimum=1) or 3,
    )
