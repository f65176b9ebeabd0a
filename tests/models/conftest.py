"""The fake Hub every model test may ask for (see tests/models_testing.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from models_testing import FakeHub, online_fake_hub


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    """huggingface_hub online, talking to a FakeHub; no token from the developer's machine."""
    with online_fake_hub(monkeypatch, tmp_path) as fake:
        yield fake
