"""What the performance model is given: the GPU, the model, the setup and the workload."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Link = Literal["nvlink", "pcie", "unknown"]
Arrival = Literal["steady", "burst"]


@dataclass(frozen=True, slots=True)
class PerfInputs:
    """All per GPU (per pipeline stage) unless said otherwise."""

    bandwidth_gb_s: float
    peak_tflops: float
    """Dense peak of the arithmetic the weights use (bf16, or fp8 on GPUs that have it)."""
    weights_bytes: float
    """Weights one GPU holds."""
    active_fraction: float
    """Of those weights, the part one token reads (MoE: shared + active experts)."""
    experts_per_token: int
    num_experts: int
    kv_bytes_per_token: int
    """One token's KV on one GPU, all its layers (per pipeline stage)."""
    active_params: float
    """Parameters one token multiplies through (all GPUs together), embeddings included."""
    num_layers: int
    hidden_size: int
    attention_width: int
    """num_attention_heads × head_dim, for the attention FLOPs."""
    tp: int
    pp: int
    nodes: int
    interconnect: Link
    """The link the profile states; `unknown` ranges from the catalog's link to PCIe."""
    concurrency: int
    prompt_tokens: int
    gen_tokens: int
    embedding_params: float = 0.0
    """vocab × hidden: a lookup, not a matmul; untied, the LM head is a second such matrix."""
    tied_embeddings: bool = False
    moe_layers: int = 0
    """Decoder layers whose MLP is routed experts."""
    catalog_link: Link = "pcie"
    """The GPU's usual link (catalog), the optimistic end when the profile says `unknown`."""
    max_num_seqs: int = 256
    max_num_batched_tokens: int = 8192
    kv_tokens: int = 0
    """KV cache capacity in tokens (vLLM's "GPU KV cache size"); 0 = not limiting."""
    enforce_eager: bool = False
    cudagraph_max_batch: int = 512
    """The largest decode batch replayed as a CUDA graph; larger steps run without one."""
    arrival: Arrival = "steady"
    """`steady`: `concurrency` users each send the next request when one finishes (what a
    profile's concurrency means); `burst`: they all arrive at the same moment."""
    slo_ttft_ms: float | None = None
    slo_tpot_ms: float | None = None

    @property
    def decode_params_per_gpu(self) -> float:
        """Parameters one decode token multiplies on one GPU (the input embedding is a lookup)."""
        matmul = self.active_params - (0.0 if self.tied_embeddings else self.embedding_params)
        return max(0.0, matmul) / (self.tp * self.pp)

    @property
    def prefill_params_per_gpu(self) -> float:
        """As decode, less the LM head: prefill computes logits for the last position only."""
        return max(0.0, self.decode_params_per_gpu - self.embedding_params / (self.tp * self.pp))

    @property
    def request_tokens(self) -> int:
        return self.prompt_tokens + self.gen_tokens

    @property
    def kv_requests(self) -> int | None:
        """Whole requests the KV cache holds at once; None when not known."""
        if self.kv_tokens <= 0:
            return None
        return max(1, self.kv_tokens // max(1, self.request_tokens))

    @property
    def capacity(self) -> int:
        """Requests that can run at once: max_num_seqs, and the KV cache's whole requests."""
        kv = self.kv_requests
        return max(1, min(self.max_num_seqs, kv)) if kv is not None else max(1, self.max_num_seqs)

    @property
    def kv_bound(self) -> bool:
        """More users than the KV cache holds (vLLM then preempts and recomputes)."""
        kv = self.kv_requests
        return kv is not None and kv < self.max_num_seqs and self.concurrency > kv
