"""Values written as YAML the way a user would type them.

Every edit writes its value through `render_value`: `2`, `0.95`, `fp8`, `true`,
`null`; a string is quoted only when YAML needs it, or in the quote style of the value it
replaces. The one place that asks PyYAML how a text reads back.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Literal

import yaml

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Raw:
    """A value already written as YAML (moved verbatim, so `0.90` stays `0.90`)."""

    text: str


def _loads(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # a safe loader (CSafeLoader)
    except yaml.YAMLError:
        return _Unparsable


class _Unparsable:
    """Marker: the probe did not parse."""


Context = Literal["block", "flow", "key"]


def _plain_ok(text: str, context: Context) -> bool:
    """True when `text` reads back as this very string written without quotes."""
    if not text or text != text.strip() or any(c in text for c in "\r\n\t"):
        return False
    if context == "key":
        return bool(_loads(f"{text}: 0\n") == {text: 0})
    if context == "flow":
        return bool(_loads(f"{{k: {text}}}\n") == {"k": text})
    return bool(_loads(f"k: {text}\n") == {"k": text})


def _quoted(text: str, quote: str) -> str:
    if quote == "'" and not any(c in text for c in "\r\n"):
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text, ensure_ascii=False)


def _float(value: float) -> str:
    """A float as YAML 1.1 (PyYAML) reads it back: `0.95`, `1.0e-05`, `.inf`."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def render_value(value: Any, quote: str | None = None, context: Context = "block") -> str:
    """`value` as a YAML scalar (or a flow collection) a user would type.

    `quote` ('"' or "'") keeps the quote style of the value being replaced; it applies to
    strings only, so a number never turns into a quoted string.
    """
    if isinstance(value, Raw):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        if quote in ('"', "'"):
            return _quoted(value, quote)
        return value if _plain_ok(value, context) else _quoted(value, '"')
    if isinstance(value, dict):
        items = (
            f"{render_value(k, context='key')}: {render_value(v, context='flow')}"
            for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render_value(v, context="flow") for v in value) + "]"
    return _quoted(str(value), '"')
