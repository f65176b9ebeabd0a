"""The server's settings: section `vllmWizard` (DESIGN §6), from initializationOptions and
`workspace/configuration`, re-read on `workspace/didChangeConfiguration`.

Clients send more than we read (VS Code adds `server` and `trace`); unknown keys and values
of the wrong type are ignored, keeping the previous value, so a typo in a user's settings
never stops the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

SECTION = "vllmWizard"

DEFAULT_DEBOUNCE_MS = 0
"""No wait after an edit: analysis takes about a millisecond, and edits that arrive while
the server is busy are coalesced anyway. A delay here only makes the editor feel slow."""

DEFAULT_HUB_TIMEOUT_S = 10.0
MAX_DEBOUNCE_MS = 2000


@dataclass(frozen=True, slots=True)
class Settings:
    """The editor's `vllmWizard.*` settings, as the server uses them."""

    offline: bool = False
    """Never ask the Hugging Face Hub (`local_files_only=True`)."""
    hub_timeout: float = DEFAULT_HUB_TIMEOUT_S
    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    """An extra wait before analysing an edit, for clients that want one."""
    output_dir: str | None = None
    """Where "Generate deployment files" writes when the profile has no `outputs.dir`."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def merge_settings(current: Settings, raw: Any) -> Settings:
    """`current` updated with whatever `raw` holds that is valid.

    `raw` is the `vllmWizard` object itself, or a mapping that has it under `vllmWizard`
    (didChangeConfiguration sends the whole settings tree in some clients).
    """
    if not isinstance(raw, Mapping):
        return current
    section = raw.get(SECTION)
    values: Mapping[str, Any] = section if isinstance(section, Mapping) else raw
    updated = current
    offline = values.get("offline")
    if isinstance(offline, bool):
        updated = replace(updated, offline=offline)
    timeout = _number(values.get("hubTimeout"))
    if timeout is not None and timeout > 0:
        updated = replace(updated, hub_timeout=timeout)
    debounce = _number(values.get("debounceMs"))
    if debounce is not None and 0 <= debounce <= MAX_DEBOUNCE_MS:
        updated = replace(updated, debounce_ms=int(debounce))
    output = values.get("outputDir")
    if isinstance(output, str):
        updated = replace(updated, output_dir=output.strip() or None)
    return updated
