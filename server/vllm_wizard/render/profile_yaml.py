"""The normalized profile.yaml, and the YAML writer every YAML artifact shares.

The profile is written with every field, vLLM's canonical spellings and explicit nulls, so a
reader sees every default the plan used; comments are not kept. It loads back through the
profile engine with no diagnostics and to an equal `Profile`.

`dump_yaml` quotes every string that is not plainly a word, so a value reads back as the same
string under YAML 1.1 (PyYAML, our own loader) and YAML 1.2 (Go: Docker Compose, Helm):
`0o17`, `1e3`, `yes`, `8000:8000` and anything with a space, a quote, `#` or a line break
are double-quoted, with unprintable characters escaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import yaml

from vllm_wizard.profile.jsonschema import SCHEMA_ID
from vllm_wizard.render.serve import one_line

if TYPE_CHECKING:
    from vllm_wizard.profile.schema import EmitTarget, Profile

MODELINE = f"# yaml-language-server: $schema={SCHEMA_ID}"
"""Lets yaml-language-server (and editors using it) validate the file without our server."""

_PLAIN = re.compile(r"^(?:[A-Za-z_/]|--?[A-Za-z])[A-Za-z0-9_./@+=-]*(?::[A-Za-z0-9_./@+=-]+)*$")
"""Strings safe unquoted in YAML 1.1 and 1.2: a word that starts with a letter, `_`, `/` or
`-`/`--` + letter, with no space, quote, `#`, `,`, bracket or trailing `:`."""
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"})
"""Words some YAML reader takes for a boolean, null or number (compared lower-case)."""


class _Dumper(yaml.SafeDumper):
    """Block style, indented sequences, no anchors, conservative string quoting."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    plain = _PLAIN.match(value) is not None and value.lower() not in _RESERVED
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=None if plain else '"')


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """`data` as a block-style YAML document (no `---`, a final newline)."""
    text: str = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=2**16,
    )
    return text


def comment_lines(lines: Iterable[str]) -> list[str]:
    """`# text` for each line of each entry: user text never ends its comment early."""
    out: list[str] = []
    for entry in lines:
        for line in entry.splitlines() or [""]:
            text = one_line(line).rstrip()
            out.append(f"# {text}" if text else "#")
    return out


def profile_data(profile: Profile) -> dict[str, Any]:
    """Every field of the profile in its canonical spelling, in the schema's order."""
    from vllm_wizard.profile.schema import profile_to_data

    return profile_to_data(profile)


def profile_yaml(
    profile: Profile, banner: str | None = None, emit: Sequence[EmitTarget] | None = None
) -> str:
    """profile.yaml: the modeline, an optional banner, then every field.

    `emit`, when given, is written as `outputs.emit`: the targets actually generated (e.g. by
    `generate --emit`), so generating again from the written file gives the same files.
    """
    if emit is not None:
        profile = replace(profile, outputs=replace(profile.outputs, emit=list(emit)))
    header = [MODELINE]
    if banner:
        header += comment_lines([banner])
    header += comment_lines(
        [
            "Normalized by vllm-wizard: every field with its value (defaults written out);"
            " comments of the original are not kept."
        ]
    )
    return "\n".join(header) + "\n" + dump_yaml(profile_data(profile))
