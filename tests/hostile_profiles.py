"""Hostile profiles (issue 12's list and what the fuzzer found), shared by the engine, the
language server and `check` tests: each must get a diagnostic with its code within
`LIMIT_S`, never a hang or a traceback.

Built in code rather than stored: several are megabytes of text.
"""

from __future__ import annotations

from dataclasses import dataclass

from vllm_wizard.profile.document import MAX_CHARS, MAX_NODES

LIMIT_S = 1.0
"""Seconds from sending the text to its diagnostics (the server already warm)."""

VALID = "model:\n  id: meta-llama/Llama-3.1-8B-Instruct\nhardware:\n  gpu_name: H100 SXM\n"


@dataclass(frozen=True, slots=True)
class Hostile:
    name: str
    text: str
    code: str
    """A code the diagnostics must include."""
    line: int | None = None
    """The 0-based line of that diagnostic, where it matters."""


def _alias_chain(links: int, depth: int) -> str:
    """Each anchor nests the previous one `depth` lists deeper: deep only once expanded."""
    lines = []
    for i in range(links):
        inner = f"*a{i - 1}" if i else "1"
        lines.append(f"x{i}: &a{i} " + "[" * depth + inner + "]" * depth)
    return VALID + "\n".join(lines) + "\n"


def _merge_bomb(levels: int) -> str:
    """Each mapping merges the previous one twice: 2^levels values once expanded."""
    lines = ["m0: &m0 {a: 1}"]
    lines += [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}]}}" for i in range(1, levels)]
    return VALID + "\n".join(lines) + "\n"


def _cases() -> list[Hostile]:
    keys_below_limit = MAX_NODES // 2 - 10
    return [
        # 12: the duplicate-key check compared each key with every earlier one
        Hostile(
            "duplicate keys",
            VALID
            + "".join(f"k{i % (keys_below_limit // 2)}: {i}\n" for i in range(keys_below_limit)),
            "duplicate-key",
            line=4 + keys_below_limit // 2,
        ),
        Hostile(
            "20,000 keys",
            VALID + "".join(f"k{i}: {i}\n" for i in range(20_000)),
            "document-too-large",
        ),
        Hostile(
            "unknown keys",
            VALID + "".join(f"key{i}: 1\n" for i in range(keys_below_limit)),
            "unknown-key",
        ),
        # 13: an alias inside the collection it names
        Hostile("self-referencing alias", "model: &m {id: x, self: *m}\n", "alias-expansion"),
        Hostile("self-merging mapping", "model: &m\n  id: a/b\n  <<: *m\n", "alias-expansion"),
        Hostile("list holding itself", VALID + "x: &e [1, *e]\n", "alias-expansion", line=4),
        # 16: half a surrogate pair, which JSON lets a client send
        Hostile("lone surrogate", VALID + "x: a\ud800b\n", "encoding", line=4),
        # 17: a long list was reported as an alias bomb
        Hostile(
            "200,000-item flow list",
            VALID + "x: [" + ",".join(["1"] * 200_000) + "]\n",
            "document-too-large",
        ),
        Hostile("100,000 nested lists", "x: " + "[" * 100_000 + "]" * 100_000, "yaml-syntax"),
        Hostile("nesting through aliases", _alias_chain(30, 40), "alias-expansion"),
        Hostile("merge bomb", _merge_bomb(40), "alias-expansion"),
        Hostile("huge scalar", VALID + "x: " + "a" * MAX_CHARS + "\n", "document-too-large"),
        Hostile("millions of lines", "\n" * MAX_CHARS + VALID, "document-too-large"),
        Hostile(
            "thousands of vLLM flags",
            VALID + "outputs:\n  vllm_args:\n" + "".join(f"    k{i}: {i}\n" for i in range(3000)),
            "vllm-arg-unknown",
        ),
        Hostile("NUL in outputs.dir", VALID + 'outputs:\n  dir: "a\\0b"\n', "output-dir"),
        Hostile("home of no user", "model:\n  id: ~nouser/x\n", "model-unresolved", line=1),
        # "did you mean" compared a 50,000-character id with every catalog id: seconds
        Hostile("long model id", f"model:\n  id: {'a' * 50_000}\n", "model-unresolved"),
        Hostile(
            "long dtype",
            f"model:\n  id: a/b\n  dtype: {'b' * 50_000}\n",
            "invalid-value",
            line=2,
        ),
        # 15: completion on the marker of a second document
        Hostile("second document", VALID + "---\n" + VALID, "multiple-documents", line=4),
    ]


CASES = _cases()
