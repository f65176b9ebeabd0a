"""Typed reading of an untyped ``config.json`` mapping.

Every rule module reads keys through :class:`_Cfg`, so a missing or mistyped key is one
:class:`ModelConfigError` that names the key's path, never a ``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from vllm_wizard.models.arch.results import ModelConfigError

_MISSING = object()


class _Cfg:
    """A config mapping with typed getters whose errors name the key's path."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    def path(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def first_present(self, keys: Sequence[str]) -> tuple[str, Any] | None:
        """The first key present (even as null), as ``getattr_iter`` picks it."""
        for key in keys:
            if key in self.data:
                return key, self.data[key]
        return None

    def int_(self, key: str, default: Any = _MISSING, *, minimum: int = 1) -> int:
        value = self.data.get(key)
        if value is None:
            if default is _MISSING or default is None:
                raise ModelConfigError(f"config.json has no `{self.path(key)}`")
            return cast(int, default)
        return self._as_int(key, value, minimum)

    def opt_int(self, key: str, *, minimum: int = 0) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        return self._as_int(key, value, minimum)

    def _as_int(self, key: str, value: Any, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ModelConfigError(
                f"config.json `{self.path(key)}` must be an integer, not {_describe(value)}"
            )
        if isinstance(value, float):
            if not value.is_integer():
                raise ModelConfigError(
                    f"config.json `{self.path(key)}` must be an integer, not {value!r}"
                )
            value = int(value)
        if value < minimum:
            raise ModelConfigError(
                f"config.json `{self.path(key)}` must be >= {minimum}, not {value}"
            )
        return int(value)

    def opt_number(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ModelConfigError(
                f"config.json `{self.path(key)}` must be a number, not {_describe(value)}"
            )
        return float(value)

    def bool_(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ModelConfigError(
                f"config.json `{self.path(key)}` must be true or false, not {_describe(value)}"
            )
        return value

    def opt_str(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ModelConfigError(
                f"config.json `{self.path(key)}` must be a string, not {_describe(value)}"
            )
        return value

    def opt_list(self, key: str) -> list[Any] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, list | tuple):
            raise ModelConfigError(
                f"config.json `{self.path(key)}` must be a list, not {_describe(value)}"
            )
        return list(value)

    def opt_mapping(self, key: str) -> Mapping[str, Any] | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise ModelConfigError(
                f"config.json `{self.path(key)}` must be an object, not {_describe(value)}"
            )
        return cast(Mapping[str, Any], value)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return repr(value)
