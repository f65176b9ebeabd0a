"""Reading profiles from disk, and which files are profiles (DESIGN §6)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePath

from vllm_wizard.profile.diagnostics import Code, Diagnostic, Severity
from vllm_wizard.profile.positions import Range

PROFILE_FOLDER = "vllm-wizard"
_PROFILE_VERSION_KEY = re.compile(r"^profile_version[ \t]*:", re.MULTILINE)
_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class DecodedText:
    """A file's text, or the diagnostic explaining why it could not be decoded."""

    text: str | None
    error: Diagnostic | None


def decode(data: bytes) -> DecodedText:
    """UTF-8 (a BOM is allowed); other bytes → one diagnostic at the first bad byte."""
    try:
        return DecodedText(data.decode("utf-8-sig"), None)
    except UnicodeDecodeError as exc:
        start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        good = data[start : exc.start].decode("utf-8")
        line = good.count("\n")
        column = len(good) - (good.rfind("\n") + 1)
        byte = data[exc.start]
        return DecodedText(
            None,
            Diagnostic(
                Range.at(line, column, 1),
                Severity.ERROR,
                Code.ENCODING,
                f"The file is not valid UTF-8: byte 0x{byte:02x} cannot be decoded. Save it"
                " as UTF-8.",
            ),
        )


def has_profile_name(path: PurePath) -> bool:
    """`profile.yaml`, `*.profile.yaml` or any YAML under a `vllm-wizard/` folder."""
    name = path.name.lower()
    if not name.endswith(_YAML_SUFFIXES):
        return False
    stem = name.rsplit(".", 1)[0]
    if stem == "profile" or stem.endswith(".profile"):
        return True
    return PROFILE_FOLDER in path.parts[:-1]


def declares_profile_version(text: str) -> bool:
    """True when the top-level mapping has a `profile_version` key (cheap, no parse)."""
    return _PROFILE_VERSION_KEY.search(text) is not None


def is_profile(path: PurePath, text: str) -> bool:
    """DESIGN §6's rule: a profile by its name or by its `profile_version` key."""
    if has_profile_name(path):
        return True
    return path.name.lower().endswith(_YAML_SUFFIXES) and declares_profile_version(text)


def find_profiles(folder: Path) -> list[Path]:
    """Profile files under `folder`, sorted; hidden folders and environments are skipped."""
    skipped = {"node_modules", "__pycache__", "site-packages"}
    found: list[Path] = []
    for candidate in sorted(folder.rglob("*")):
        relative = candidate.relative_to(folder).parts
        if any(part.startswith(".") or part in skipped for part in relative[:-1]):
            continue
        if not candidate.is_file() or not candidate.name.lower().endswith(_YAML_SUFFIXES):
            continue
        if has_profile_name(candidate):
            found.append(candidate)
            continue
        try:
            head = candidate.read_bytes()[:65536].decode("utf-8", "replace")
        except OSError:
            continue
        if declares_profile_version(head):
            found.append(candidate)
    return found


def outside_profile_folder(profile_dir: Path, written: str) -> Path | None:
    """Where `outputs.dir` (relative to the profile, `~` expanded) resolves when that leaves
    the profile's folder; None when it stays inside. A profile alone must not send files
    anywhere on disk: `generate` and the editor's command ask first (DESIGN §2)."""
    base = profile_dir.resolve()
    target = (base / Path(written).expanduser()).resolve()
    return None if target == base or base in target.parents else target
