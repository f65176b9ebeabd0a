"""The package's data files (catalogs, flag tables), read from where the package is installed.

`importlib.resources` costs ~35 ms to import (zipfile, tempfile, ...), a tenth of the whole
`vllm-wizard plan` process; the package is always installed as files, so a path will do.
"""

from __future__ import annotations

import sys
from pathlib import Path


def package_folder(package: str) -> Path:
    """The folder of an imported package, e.g. `vllm_wizard.catalog`."""
    module = sys.modules[package]
    assert module.__file__ is not None, f"{package} has no file"
    return Path(module.__file__).parent


def read_data(package: str, name: str) -> str:
    return (package_folder(package) / name).read_text(encoding="utf-8")


def data_names(package: str) -> list[str]:
    return sorted(entry.name for entry in package_folder(package).iterdir())
