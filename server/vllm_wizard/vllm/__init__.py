"""The vLLM release this version of the wizard targets, and its flag table."""

PINNED_VLLM_VERSION = "0.33.0"
"""The vLLM release plans and artifacts target unless a profile names another."""

VLLM_IMAGE = f"vllm/vllm-openai:v{PINNED_VLLM_VERSION}"
"""The official OpenAI-compatible server image for the pinned release."""
