"""vLLM Wizard: plan vLLM deployments from a profile.yaml.

Importing the package stays cheap (no pygls, huggingface_hub or pynvml): the CLI and
the language server import what they need when they need it.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
