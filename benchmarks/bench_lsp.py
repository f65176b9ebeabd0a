"""Language server speed (issue #5's bars), measured through a real client over stdio.

    .venv/bin/python benchmarks/bench_lsp.py [--yamlls]

1. spawn → `initialize` answered, against a bare pygls server doing nothing (≤ 1.10×), and
   spawn → the first publishDiagnostics after didOpen, against the same (≤ 1.3×);
2. analysis time per edit, in process, on the example profiles (≤ 10 ms median, ≤ 25 ms p95);
3. didChange → publishDiagnostics wall time through the client, default settings (≤ 10 ms p50);
4. hover and completion round trips (≤ 15 ms p95);
5. resident memory after 1,000 edits, and its growth per edit;
6. with --yamlls: yaml-language-server (npm) with our JSON Schema on the same file, and the
   ratio of edit-to-diagnostics wall times. It is installed on first use into
   benchmarks/.cache/ (ignored by git).

Servers run with their bytecode compiled, as a pip-installed package has it: the package is
byte-compiled first and PYTHONDONTWRITEBYTECODE is dropped from the servers' environment
(with it set, every spawn would compile vllm_wizard's sources again, ~0.1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import client_capabilities, make_test_lsp_client

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "profiles").glob("*.yaml"))
PROFILE = ROOT / "examples" / "profiles" / "llama3-8b-h100.profile.yaml"
CACHE = Path(__file__).resolve().parent / ".cache"
OURS = [sys.executable, "-m", "vllm_wizard", "lsp", "--stdio"]
BARE = [sys.executable, str(Path(__file__).with_name("bare_server.py"))]
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "HF_HUB_OFFLINE": "1",
}


def quantiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(values):7.2f} ms  p95 {p95:7.2f} ms  (n={len(values)})"


def make_client() -> Any:
    client = make_test_lsp_client()

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def code_lens_refresh(params: None) -> None:
        """Answered as an editor would."""

    @client.feature("vllmWizard/verdict")
    def verdict(params: Any) -> None:
        """A status bar would show it."""

    return client


async def start(command: list[str], options: Any = None) -> tuple[Any, float]:
    client = make_client()
    started = time.perf_counter()
    await client.start_io(*command, env=ENV)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options=options,
        )
    )
    return client, (time.perf_counter() - started) * 1e3


async def stop(client: Any) -> None:
    await client.shutdown_session()
    await client.stop()


async def first_diagnostics(tmp: Path) -> tuple[float, float]:
    """Spawn our server and open a profile: (ms to `initialize` answered, ms to the first
    publishDiagnostics), both from the spawn."""
    client, initialized = await start(OURS, {"offline": True})
    answered = time.perf_counter()
    profile = tmp / "first.profile.yaml"
    profile.write_text(PROFILE.read_text())
    waiting = asyncio.ensure_future(_published(client, profile.as_uri(), 1))
    _open(client, profile.as_uri(), profile.read_text())
    await asyncio.wait_for(waiting, 60)
    first = initialized + (time.perf_counter() - answered) * 1e3
    await stop(client)
    return initialized, first


async def bench_startup(runs: int, tmp: Path) -> None:
    ours, first, bare = [], [], []
    for _ in range(runs):
        client, elapsed = await start(BARE, {"offline": True})
        bare.append(elapsed)
        await stop(client)
        initialized, diagnosed = await first_diagnostics(tmp)
        ours.append(initialized)
        first.append(diagnosed)
    baseline = statistics.median(bare)
    print("1. spawn → initialize answered; spawn → first diagnostics after didOpen")
    print(f"   bare pygls initialize          {quantiles(bare)}")
    print(
        f"   vllm-wizard initialize         {quantiles(ours)}"
        f"   ratio {statistics.median(ours) / baseline:.2f}×"
    )
    print(
        f"   vllm-wizard first diagnostics  {quantiles(first)}"
        f"   ratio {statistics.median(first) / baseline:.2f}×"
    )


def bench_analysis(edits: int) -> None:
    from vllm_wizard.lsp.documents import Analyzer

    analyzer = Analyzer()
    print("2. analysis per edit, in process (architecture resolved from the catalog)")
    for kind in ("text only", "planning input"):
        times: list[float] = []
        for path in EXAMPLES:
            base = path.read_text()
            uri = path.as_uri()
            analyzer.analysis(uri, base, 0)
            for version in range(1, edits + 1):
                if kind == "text only":
                    text = base + f"# note {version}\n"
                else:
                    text = base + f"policy:\n  headroom_gb: {1 + version % 7}\n"
                started = time.perf_counter()
                analyzer.analysis(uri, text, version)
                times.append((time.perf_counter() - started) * 1e3)
        print(f"   {kind:<15} {quantiles(times)}")


def _edit(client: Any, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def _published(client: Any, uri: str, version: int | None) -> None:
    while True:
        params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if params.uri == uri and (version is None or params.version in (None, version)):
            return


async def edit_to_diagnostics(client: Any, uri: str, base: str, edits: int) -> list[float]:
    times = []
    for version in range(2, edits + 2):
        text = base.replace("concurrency: 32", f"concurrency: {8 + version % 40}")
        waiting = asyncio.ensure_future(_published(client, uri, version))
        started = time.perf_counter()
        _edit(client, uri, text, version)
        await asyncio.wait_for(waiting, 30)
        times.append((time.perf_counter() - started) * 1e3)
    return times


def _open(client: Any, uri: str, text: str) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
        )
    )


def rss_kib(client: Any) -> int:
    status = Path(f"/proc/{client._server.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1])


async def bench_server(edits: int, memory_edits: int, tmp: Path) -> list[float]:
    client, _ = await start(OURS, {"offline": True})
    base = PROFILE.read_text()
    profile = tmp / "profile.yaml"
    profile.write_text(base)
    uri = profile.as_uri()
    waiting = asyncio.ensure_future(_published(client, uri, 1))
    _open(client, uri, base)
    await asyncio.wait_for(waiting, 60)
    wall = await edit_to_diagnostics(client, uri, base, edits)
    print("3. didChange → publishDiagnostics, wall (default settings: no debounce)")
    print(f"   vllm-wizard  {quantiles(wall)}")

    hover, completion = [], []
    line = base.splitlines().index("  concurrency: 32")
    for _ in range(100):
        started = time.perf_counter()
        await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=4),
            )
        )
        hover.append((time.perf_counter() - started) * 1e3)
        started = time.perf_counter()
        await client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=3, character=12),
            )
        )
        completion.append((time.perf_counter() - started) * 1e3)
    print("4. round trips through the client")
    print(f"   hover        {quantiles(hover)}")
    print(f"   completion   {quantiles(completion)}")

    early = rss_kib(client)
    middle = early
    version = edits + 2
    for count in range(memory_edits):
        if count == memory_edits // 2:
            await asyncio.sleep(0.5)
            middle = rss_kib(client)
        version += 1
        text = base.replace("concurrency: 32", f"concurrency: {1 + count % 97}") + f"# {count}\n"
        _edit(client, uri, text, version)
        if count % 100 == 99:
            await client.text_document_hover_async(
                types.HoverParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=types.Position(line=line, character=4),
                )
            )
    await asyncio.sleep(1.0)
    late = rss_kib(client)
    half = memory_edits // 2
    print(
        f"5. resident memory: {early / 1024:.1f} MiB after {edits} edits,"
        f" {middle / 1024:.1f} MiB after {edits + half}, {late / 1024:.1f} MiB after"
        f" {edits + memory_edits}; over the last {half}: {(late - middle) / half:+.2f} KiB"
        " per edit"
    )
    await stop(client)
    return wall


def yamlls_command() -> list[str] | None:
    if shutil.which("npm") is None or shutil.which("node") is None:
        return None
    folder = CACHE / "yamlls"
    binary = folder / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
    if not binary.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(folder),
             "yaml-language-server@1"],
            check=True, capture_output=True,
        )  # fmt: skip
    return ["node", str(binary), "--stdio"]


async def bench_yamlls(edits: int, tmp: Path, ours: list[float]) -> None:
    command = yamlls_command()
    if command is None:
        print("6. yaml-language-server: skipped (node/npm not found)")
        return
    client = make_client()
    schema = (ROOT / "schemas" / "profile.schema.json").as_uri()
    client.set_configuration(
        {"validate": True, "schemas": {schema: ["*.yaml"]}, "completion": True, "hover": True},
        section="yaml",
    )
    await client.start_io(*command, env=ENV)
    await client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"))
    )
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"yaml": {"validate": True, "schemas": {schema: ["*.yaml"]}}}
        )
    )
    base = PROFILE.read_text()
    profile = tmp / "yamlls.profile.yaml"
    uri = profile.as_uri()
    waiting = asyncio.ensure_future(_published(client, uri, None))
    _open(client, uri, base)
    await asyncio.wait_for(waiting, 60)
    times = []
    for version in range(2, edits + 2):
        text = base.replace("concurrency: 32", f"concurrency: {8 + version % 40}")
        waiting = asyncio.ensure_future(_published(client, uri, None))
        started = time.perf_counter()
        _edit(client, uri, text, version)
        await asyncio.wait_for(waiting, 30)
        times.append((time.perf_counter() - started) * 1e3)
    print("6. yaml-language-server with our JSON Schema, didChange → publishDiagnostics")
    print(f"   yaml-language-server  {quantiles(times)}")
    ratio = statistics.median(ours) / statistics.median(times)
    print(f"   ratio vllm-wizard / yaml-language-server: {ratio:.2f}× (median wall)")
    await stop(client)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--yamlls", action="store_true", help="also run yaml-language-server")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--edits", type=int, default=60)
    args = parser.parse_args()
    tmp = CACHE / "work"
    tmp.mkdir(parents=True, exist_ok=True)
    compileall.compile_dir(ROOT / "server" / "vllm_wizard", quiet=1)
    await bench_startup(args.runs, tmp)
    bench_analysis(args.edits)
    ours = await bench_server(args.edits, 2000, tmp)
    if args.yamlls:
        await bench_yamlls(args.edits, tmp, ours)


if __name__ == "__main__":
    asyncio.run(main())
