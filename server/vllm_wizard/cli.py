"""The `vllm-wizard` command line: argument parsing and dispatch only.

Each subcommand lives in `vllm_wizard.commands.<name>` and is imported only when it runs,
so `vllm-wizard check` never pays for pygls, huggingface_hub or pynvml.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from vllm_wizard import __version__

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNUSABLE = 2

EMIT_TARGETS = ("command", "profile", "compose", "k8s", "docker")
"""`outputs.emit`'s values (profile.schema.EmitTarget; not imported: `--help` stays instant)."""
INTERCONNECTS = ("pcie", "nvlink", "unknown")


class EmitTargets(argparse.Action):
    """`--emit` in every form users write: `command,profile` (the original CLI's), `command
    profile`, and repeated `--emit`; each value adds to the list.

    `--emit command,profile profile.yaml` (the profile after the list, which the original's
    one-value `--emit` allowed) must not take the profile for a target: a last word that is
    `-` or names a YAML file or an existing path is the profile (`main` puts it in place).
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[object] | None,
        option_string: str | None = None,
    ) -> None:
        targets: list[str] = list(getattr(namespace, self.dest, None) or [])
        words = [values] if isinstance(values, str) else [str(v) for v in values or ()]
        if len(words) > 1 and _is_profile_path(words[-1]):
            namespace.profile_after_emit = words.pop()
        for word in (w.strip() for value in words for w in value.split(",")):
            if not word:
                continue
            if word not in EMIT_TARGETS:
                parser.error(
                    f"argument --emit: invalid choice: {word!r} (choose from"
                    f" {', '.join(EMIT_TARGETS)})"
                )
            targets.append(word)
        if not targets:
            parser.error(f"argument --emit: name at least one of {', '.join(EMIT_TARGETS)}")
        setattr(namespace, self.dest, targets)


def _is_profile_path(word: str) -> bool:
    if word in EMIT_TARGETS or "," in word:
        return False
    return word == "-" or word.endswith((".yaml", ".yml")) or Path(word).exists()


def _tensor_parallel_size(text: str) -> int | str:
    """A whole number, or `auto` (the planner chooses, as `tp_size: auto` or null does)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number or `auto`; got {text!r}"
        ) from None


def _add_profile_overrides(parser: argparse.ArgumentParser) -> None:
    """The original CLI's flag overrides; each wins over the profile (DESIGN §7)."""
    model = parser.add_argument_group("model overrides")
    model.add_argument("--model", "-m", metavar="ID", help="Hugging Face repo id or local folder")
    model.add_argument("--revision", metavar="REV", help="branch, tag or commit of the repo")
    model.add_argument(
        "--trust-remote-code",
        action="store_true",
        default=None,
        help="allow the repository's own code to run",
    )
    model.add_argument("--dtype", help="auto, float16, bfloat16 or float32")
    model.add_argument("--quantization", "-q", metavar="METHOD", help="none, awq, gptq, fp8, ...")
    model.add_argument("--kv-cache-dtype", metavar="DTYPE", help="auto, fp8, fp8_e4m3, ...")
    model.add_argument("--max-model-len", metavar="N", help="tokens per request, or `auto`")
    model.add_argument("--params-b", type=float, metavar="B", help="parameter count, billions")
    model.add_argument("--vllm-version", metavar="X.Y.Z", help="the vLLM release to plan for")
    hardware = parser.add_argument_group("hardware overrides")
    hardware.add_argument("--gpu", metavar="NAME", help="GPU name or alias, or `auto`")
    hardware.add_argument("--gpus", type=int, metavar="N", help="GPUs per node")
    hardware.add_argument("--nodes", type=int, metavar="N", help="machines")
    hardware.add_argument("--vram-gb", type=float, metavar="GIB", help="GiB per GPU (CUDA)")
    hardware.add_argument(
        "--interconnect",
        type=str.lower,
        choices=INTERCONNECTS,
        help="pcie, nvlink or unknown (any case: NVLink)",
    )
    hardware.add_argument(
        "--tensor-parallel-size",
        "--tp",
        type=_tensor_parallel_size,
        metavar="N",
        dest="tensor_parallel_size",
        help="GPUs per model copy, or `auto` (the planner chooses)",
    )
    hardware.add_argument(
        "--pipeline-parallel-size", "--pp", type=int, metavar="N", dest="pipeline_parallel_size"
    )
    workload = parser.add_argument_group("workload overrides")
    workload.add_argument("--prompt-tokens", type=int, metavar="N")
    workload.add_argument("--gen-tokens", type=int, metavar="N")
    workload.add_argument("--concurrency", "-c", type=int, metavar="N")
    workload.add_argument("--batching-mode", choices=("throughput", "latency", "balanced"))
    policy = parser.add_argument_group("policy overrides")
    policy.add_argument("--gpu-memory-utilization", type=float, metavar="F")
    policy.add_argument("--overhead-gb", type=float, metavar="GIB")
    policy.add_argument("--fragmentation-factor", type=float, metavar="F")
    policy.add_argument("--headroom-gb", type=float, metavar="GIB")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="never ask the Hugging Face Hub (use the catalog and the local cache)",
    )


def _add_profile_argument(parser: argparse.ArgumentParser) -> None:
    """PROFILE (or -p/--profile); optional: flags alone will do, with --model."""
    parser.add_argument(
        "profile_path",
        nargs="?",
        metavar="PROFILE",
        help="the profile (`-` for standard input)",
    )
    parser.add_argument(
        "-p", "--profile", dest="profile_option", metavar="PROFILE", help=argparse.SUPPRESS
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; subcommand modules add nothing at import time."""
    parser = argparse.ArgumentParser(
        prog="vllm-wizard",
        description="Plan vLLM deployments: does the model fit, how fast, and how to serve it.",
    )
    parser.add_argument("-v", "--version", action="version", version=f"vllm-wizard {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    detect = commands.add_parser(
        "detect",
        help="list the local NVIDIA GPUs as vLLM sees them",
        description="Detect local GPUs through NVML. Exit 0 with GPUs, 1 when none or no driver.",
    )
    detect.add_argument("--json", action="store_true", help="print JSON (a list; [] when none)")

    plan = commands.add_parser(
        "plan",
        help="plan a deployment: memory per GPU, verdict, performance, recommendations",
        description=(
            "Plan a deployment from a profile, flags, or both (flags win). Exit 0 when a plan"
            " was computed, whether it fits or not; 2 when the input is unusable."
        ),
    )
    _add_profile_argument(plan)
    plan.add_argument("--json", action="store_true", help="print plan.json")
    plan.add_argument("--explain", action="store_true", help="show how each figure was derived")
    _add_profile_overrides(plan)

    generate = commands.add_parser(
        "generate",
        help="write the deployment files: serve command, Compose, Helm values, plan.json",
        description=(
            "Write deployment artifacts from a profile, flags, or both (flags win). Exit 0 when"
            " every requested file was written; 1 when refused (a changed file without --force,"
            " a requested file the plan cannot have, a plan that does not start without"
            " --allow-infeasible, outputs.dir outside the profile's folder without -o or"
            " --force); 2 when the input is unusable."
        ),
    )
    _add_profile_argument(generate)
    generate.add_argument(
        "-o", "--output", "--output-dir", dest="output", metavar="DIR", help="output folder"
    )
    generate.add_argument(
        "--emit",
        nargs="+",
        action=EmitTargets,
        metavar="TARGET",
        help=(
            "what to write: command, profile, compose, k8s, docker; comma- or space-separated,"
            " or repeated (default: the profile's outputs.emit); plan.json is always written"
        ),
    )
    generate.add_argument(
        "--force",
        action="store_true",
        help="replace files that differ; write to an outputs.dir outside the profile's folder",
    )
    generate.add_argument(
        "--allow-infeasible",
        action="store_true",
        help="write files even when the plan says vLLM will not start",
    )
    _add_profile_overrides(generate)

    check = commands.add_parser(
        "check",
        help="check profiles and report problems at their line and column",
        description=(
            "Check profiles. Directories are searched for profile files; files named"
            " explicitly are always checked; `-` reads standard input. Exit 0 when clean,"
            " 1 on any error, 2 when a path cannot be read."
        ),
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="profile, directory or -")
    check.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="text (path:line:col: severity[code] message), json, or GitHub annotations",
    )
    check.add_argument("--offline", action="store_true", help="never ask the Hugging Face Hub")

    lsp = commands.add_parser(
        "lsp",
        help="run the language server (stdio by default)",
        description="Run the vLLM Wizard language server.",
    )
    lsp.add_argument("--stdio", action="store_true", help="speak over stdin/stdout (default)")
    lsp.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port (for debugging)")
    lsp.add_argument("--log-file", metavar="PATH", help="also write the log to this file")
    lsp.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default="info",
        help="how much to log",
    )

    schema = commands.add_parser(
        "schema", help="print a JSON Schema", description="Print a JSON Schema."
    )
    schema.add_argument("which", nargs="?", choices=("profile", "plan"), default="profile")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of `python -m vllm_wizard`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    after_emit = getattr(args, "profile_after_emit", None)
    if after_emit is not None:
        if args.profile_path is not None or args.profile_option is not None:
            parser.error(f"two profiles: {after_emit!r} and the one given before --emit")
        args.profile_path = after_emit
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_UNUSABLE
    module = importlib.import_module(f"vllm_wizard.commands.{args.command}")
    try:
        code: int = module.run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return code
