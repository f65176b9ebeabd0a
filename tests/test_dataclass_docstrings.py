"""Every dataclass of the package says what it is for.

Style asks for it, and start-up speed depends on it: on Python 3.11 a dataclass without a
docstring gets one made from `inspect.signature`, ~0.3 ms per class, and some 90 dataclasses
load before the server's first diagnostics (issue 12, item 30).
"""

from __future__ import annotations

import ast
from pathlib import Path

import vllm_wizard

PACKAGE = Path(vllm_wizard.__file__).parent


def _is_dataclass(node: ast.ClassDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "dataclass":
            return True
    return False


def test_every_dataclass_has_a_docstring() -> None:
    missing = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and _is_dataclass(node) and not ast.get_docstring(node)
    ]
    assert missing == []
