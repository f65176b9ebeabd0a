"""lsp/hover.py: field docs, deprecated spellings, the model, the GPU, the memory breakdown."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lsp.cursor_marker import OFFLINE, analyzed, at_cursor
from vllm_wizard.catalog.gpus import all_gpus, match_gpu
from vllm_wizard.lsp.hover import hover
from vllm_wizard.lsp.model import HoverResult
from vllm_wizard.models import hub
from vllm_wizard.pipeline import EngineContext, ModelPending, analyze
from vllm_wizard.profile.document import walk
from vllm_wizard.profile.fields import fields_of
from vllm_wizard.profile.positions import Position, Range
from vllm_wizard.profile.schema import SECTIONS, Profile
from vllm_wizard.render.report import breakdown_rows, verdict_line
from vllm_wizard.vllm.flags import flag_table
from wizard_testing import EXAMPLES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "configs"
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"


def hover_at(marked: str, context: EngineContext = OFFLINE) -> HoverResult:
    analysis, position = analyzed(marked, context)
    found = hover(analysis, position)
    assert found is not None, marked
    return found


def lines_of(result: HoverResult) -> list[str]:
    return result.markdown.splitlines()


def on_line(text: str, line: int, word: str) -> Range:
    """The range of `word` on `line` of `text`, in code points."""
    start = text.splitlines()[line].index(word)
    return Range.at(line, start, len(word))


# ----------------------------------------------------------------------------- field docs


def test_a_key_shows_title_description_default_and_allowed_values() -> None:
    marked = f"model:\n  id: {LLAMA}\n  dty<CURSOR>pe: auto\n"
    result = hover_at(marked)
    info = fields_of(SECTIONS["model"])["dtype"]
    lines = lines_of(result)
    assert lines[0] == "**Weights dtype** · `model.dtype`"
    assert info.description is not None and info.description in lines
    assert "- Default: `auto`" in lines
    assert "- Allowed: `auto`, `float16`, `bfloat16`, `float32`" in lines
    assert result.range == Range.at(2, 2, 5)


def test_quantization_lists_the_pinned_vllm_methods() -> None:
    result = hover_at(f"model:\n  id: {LLAMA}\n  quantiz<CURSOR>ation: fp8\n")
    allowed = next(line for line in lines_of(result) if line.startswith("- Allowed: "))
    methods = ["none", *flag_table().quantization_methods()]
    assert allowed == "- Allowed: " + ", ".join(f"`{m}`" for m in methods)


def test_types_and_bounds_come_from_the_field() -> None:
    result = hover_at("policy:\n  gpu_memory_util<CURSOR>ization: 0.9\n")
    assert "- Type: number > 0, ≤ 1" in lines_of(result)
    assert "- Default: `0.9`" in lines_of(result)
    union = hover_at("model:\n  max_model<CURSOR>_len: 4096\n")
    assert "- Type: whole number > 0 or `auto` or `null`" in lines_of(union)
    # `auto` exists only in the field's published JSON Schema (the validator reads it as null)
    tp = lines_of(hover_at("hardware:\n  tp_si<CURSOR>ze: 2\n"))
    assert "- Type: whole number ≥ 1 or `auto` or `null`" in tp
    assert "- Allowed: `auto`, `null`" in tp


def test_a_section_key_lists_its_fields() -> None:
    result = hover_at("model:\n  id: a/b\nhard<CURSOR>ware:\n  gpus: 2\n")
    lines = lines_of(result)
    assert lines[0] == "**Hardware** · `hardware`"
    assert fields_of(Profile)["hardware"].description in lines
    assert lines[-1].startswith("Fields: `gpu_name`, `gpus`, `nodes`, `vram_gb`")
    assert result.range == Range.at(2, 0, 8)


def test_the_model_section_says_it_is_required() -> None:
    result = hover_at("# a profile\nmod<CURSOR>el:\n  id: a/b\n")
    assert lines_of(result)[-1].startswith("Fields: `id` (required), `revision`")
    assert lines_of(result)[-1].endswith("Required.")


def test_an_emit_item_shows_the_emit_field() -> None:
    marked = "outputs:\n  emit:\n    - command\n    - comp<CURSOR>ose\n"
    result = hover_at(marked)
    assert lines_of(result)[0] == "**Artifacts** · `outputs.emit`"
    assert "- Allowed: `command`, `profile`, `compose`, `k8s`, `docker`" in lines_of(result)
    assert result.range == Range.at(3, 6, 7)


def test_a_deprecated_spelling_names_the_canonical_one() -> None:
    marked = f"model:\n  id: {LLAMA}\n  dtype: bf1<CURSOR>6\n"
    result = hover_at(marked)
    assert lines_of(result)[0] == (
        "`bf16` is an old spelling: vLLM calls it `bfloat16`. It still works, with a warning;"
        " write `bfloat16`."
    )
    assert "**Weights dtype** · `model.dtype`" in lines_of(result)
    assert result.range == Range.at(2, 9, 4)


def test_kv_cache_alias_and_positions_in_code_points_after_cjk_and_emoji() -> None:
    marked = 'model: {id: "模型😀/x", kv_cache_dtype: fp8_e4<CURSOR>m3fn}\n'
    text, _ = at_cursor(marked)
    result = hover_at(marked)
    assert lines_of(result)[0].startswith(
        "`fp8_e4m3fn` is an old spelling: vLLM calls it `fp8_e4m3`."
    )
    assert result.range == on_line(text, 0, "fp8_e4m3fn")
    assert result.range == Range.at(0, 37, 10)  # 😀 is one code point, two UTF-16 units


def test_docs_still_show_with_a_schema_error_elsewhere() -> None:
    marked = f"model:\n  id: {LLAMA}\n  kv_cache<CURSOR>_dtype: fp8\nhardware:\n  gpus: zero\n"
    analysis, position = analyzed(marked)
    assert analysis.profile is None
    result = hover(analysis, position)
    assert result is not None
    assert lines_of(result)[0] == "**KV cache dtype** · `model.kv_cache_dtype`"


def test_docs_still_show_when_the_yaml_does_not_parse() -> None:
    marked = 'model:\n  id: "unclosed\n  dtype: auto\nhardware:\n  gpu_na<CURSOR>me: H100\n'
    analysis, position = analyzed(marked)
    assert not analysis.document.syntax_ok
    result = hover(analysis, position)
    assert result is not None
    assert lines_of(result)[0] == "**GPU** · `hardware.gpu_name`"
    assert result.range == Range.at(4, 2, 8)


def test_nothing_to_say_on_a_blank_line() -> None:
    analysis, position = analyzed(f"model:\n  id: {LLAMA}\n\n<CURSOR>\n")
    assert hover(analysis, position) is None


def test_an_unknown_key_has_no_docs() -> None:
    analysis, position = analyzed(f"model:\n  id: {LLAMA}\n  colo<CURSOR>ur: red\n")
    assert hover(analysis, position) is None


# ----------------------------------------------------------------------------- the model


def test_model_id_value_shows_the_architecture() -> None:
    marked = "model:\n  id: meta-llama/Llama<CURSOR>-3.1-8B-Instruct\nhardware:\n  gpu_name: L4\n"
    text, _ = at_cursor(marked)
    result = hover_at(marked)
    assert lines_of(result) == [
        f"**`{LLAMA}`** · LlamaForCausalLM (`llama`)",
        "",
        "- parameters: 8.03 B (safetensors)",
        "- layers: 32 · hidden size: 4,096",
        "- attention heads / KV heads: 32 / 8 · head_dim: 128",
        "- attention: full",
        "- max length: 131,072 tokens (`max_position_embeddings`)",
        "- quantization: none",
        "- from: the bundled catalog",
    ]
    assert result.range == on_line(text, 1, LLAMA)


def test_model_id_key_shows_docs_then_the_architecture() -> None:
    result = hover_at(f"model:\n  i<CURSOR>d: {LLAMA}\n")
    parts = result.markdown.split("\n\n---\n\n")
    assert parts[0].startswith("**Model** · `model.id`")
    assert parts[1].startswith(f"**`{LLAMA}`** · LlamaForCausalLM")
    assert result.range == Range.at(1, 2, 2)


def test_mla_moe_model() -> None:
    result = hover_at("model:\n  id: deepseek-ai/DeepSeek-V3<CURSOR>\n")
    lines = lines_of(result)
    assert "- parameters: 671 B (model_card), 37 B active" in lines
    assert (
        "- attention heads / KV heads: 128 / 128 · head_dim: 576"
        " (MLA latent: kv_lora_rank 512 + rope 64)"
    ) in lines
    assert "- attention: mla" in lines
    assert "- MoE: 256 experts, 8 per token" in lines
    assert "- quantization: fp8, 8-bit" in lines


def test_sliding_window_model() -> None:
    result = hover_at("model:\n  id: google/gemma-3-27b-it<CURSOR>\n")
    assert "- attention: sliding · sliding window 1,024 tokens in 52 of 62 layers" in (
        lines_of(result)
    )


def test_hybrid_model() -> None:
    result = hover_at("model:\n  id: ibm-granite/granite-4.0-h-small<CURSOR>\n")
    assert "- attention: hybrid · 4 attention layers of 40" in lines_of(result)


def test_model_from_the_hugging_face_cache() -> None:
    folder = hub.hf_cache_dir() / "models--acme--phi-ft"
    sha = "0123456789abcdef0123456789abcdef01234567"
    snapshot = folder / "snapshots" / sha
    snapshot.mkdir(parents=True)
    content = (FIXTURES / "microsoft--phi-4.json").read_bytes()
    blob = folder / "blobs" / hashlib.sha256(content).hexdigest()
    blob.parent.mkdir()
    blob.write_bytes(content)
    (snapshot / "config.json").symlink_to(blob)
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text(sha)
    lines = lines_of(hover_at("model:\n  id: acme/phi-<CURSOR>ft\n"))
    assert f"- from: the Hugging Face cache (`{snapshot}`)" in lines
    assert lines[2].startswith("- parameters: ") and lines[2].endswith("(estimate)")


def test_model_from_a_local_folder(tmp_path: Path) -> None:
    folder = tmp_path / "phi"
    folder.mkdir()
    (folder / "config.json").write_bytes((FIXTURES / "microsoft--phi-4.json").read_bytes())
    context = EngineContext(resolve_model=OFFLINE.resolve_model, base_dir=tmp_path)
    lines = lines_of(hover_at("model:\n  id: ./ph<CURSOR>i\n", context))
    assert f"- from: a local folder (`{folder}`)" in lines


def test_unresolved_model_says_why() -> None:
    result = hover_at("model:\n  id: acme/no-such-<CURSOR>model\n")
    lines = lines_of(result)
    assert lines[0].startswith("**`acme/no-such-model`** is not resolved: `acme/no-such-model`")
    assert any(line.startswith("Tried: bundled catalog; Hugging Face cache") for line in lines)


def test_pending_model_says_it_is_loading() -> None:
    context = EngineContext(resolve_model=lambda i, r, b, p: ModelPending(i, "Looking it up…"))
    result = hover_at("model:\n  id: acme/x<CURSOR>\n", context)
    assert result.markdown == "**`acme/x`**: Looking it up…"


def test_model_falls_back_to_the_catalog_when_the_profile_is_invalid() -> None:
    result = hover_at(f"model:\n  id: {LLAMA}<CURSOR>\nhardware:\n  gpus: zero\n")
    assert "- from: the bundled catalog" in lines_of(result)


# ----------------------------------------------------------------------------- the GPU


def test_gpu_value_shows_the_catalog_entry() -> None:
    match = match_gpu("H100 SXM")
    assert match is not None
    spec = match.spec
    result = hover_at(f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: H100 S<CURSOR>XM\n")
    assert lines_of(result) == [
        "**H100 SXM** · NVIDIA H100",
        "",
        "- memory: 79.18 GiB as CUDA reports it (80 GB on the box)",
        "- NVML names: `NVIDIA H100 80GB HBM3`",
        "- bandwidth: 3,350 GB/s",
        "- BF16: 989 TFLOP/s · FP8: 1,979 TFLOP/s (dense)",
        "- compute capability: 9.0 (`sm_90`)",
        f"- interconnect: nvlink ({spec.interconnect_detail})",
        f"- sources: {len(spec.sources)}, e.g. {spec.sources[0]}",
    ]
    assert result.range == Range.at(3, 12, 8)


@pytest.mark.parametrize("name", [spec.name for spec in all_gpus()])
def test_the_gpu_hover_shows_a_source_the_user_can_open(name: str) -> None:
    """Some catalog entries list a note or an unresolved search-index reference first; the
    hover names a link (every entry has one)."""
    result = hover_at(f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: {name}<CURSOR>\n")
    [line] = [line for line in lines_of(result) if line.startswith("- sources: ")]
    assert ", e.g. https://" in line, line


def test_gpu_key_shows_docs_then_the_gpu() -> None:
    result = hover_at('hardware:\n  gpu_<CURSOR>name: "L4"\nmodel:\n  id: a/b\n')
    parts = result.markdown.split("\n\n---\n\n")
    assert parts[0].startswith("**GPU** · `hardware.gpu_name`")
    assert parts[1].startswith("**L4** · NVIDIA")


def test_ambiguous_gpu_names_the_candidates() -> None:
    result = hover_at(f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: H10<CURSOR>0\n")
    assert lines_of(result)[0] == "**H100 PCIe** · NVIDIA H100"
    assert lines_of(result)[-1] == (
        "`H100` could be 3 GPUs (80 or 94 GB): H100 PCIe (79.11 GiB), H100 SXM (79.18 GiB),"
        " H100 NVL (93.00 GiB); planning for the smallest, H100 PCIe, until you name one."
    )


def test_unknown_gpu() -> None:
    result = hover_at(f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: Voodoo<CURSOR> 5\n")
    assert result.markdown.startswith("Unknown GPU `Voodoo 5`.")
    assert result.range == Range.at(3, 12, 8)


def test_gpu_override_says_vram_gb_sets_the_memory() -> None:
    marked = f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: L4<CURSOR>\n  vram_gb: 20\n"
    assert "Memory set by `hardware.vram_gb`: 20.00 GiB per GPU." in lines_of(hover_at(marked))


# ----------------------------------------------------------------------------- memory


def example(name: str) -> str:
    return (EXAMPLES / name).read_text("utf-8")


def test_the_memory_breakdown_names_the_profiles_gpus_and_the_layout_apart() -> None:
    # tp 3 on one GPU: "3 × RTX 4090" would be hardware the profile does not have
    text = example("sample.yaml").replace("  tp_size: null", "  tp_size: 3")
    assert "tp_size: 3" in text
    analysis = analyze(text, OFFLINE)
    result = hover(analysis, Position(0, 3))
    assert result is not None
    assert lines_of(result)[0] == "**Memory per GPU** · 1 × RTX 4090 · tp 3 · pp 1 · vLLM 0.33.0"


def test_top_of_the_file_shows_the_memory_breakdown() -> None:
    text = example("llama3-8b-h100.profile.yaml")
    analysis = analyze(text, OFFLINE)
    plan = analysis.plan
    assert plan is not None
    result = hover(analysis, Position(0, 3))
    assert result is not None
    lines = lines_of(result)
    assert lines[0] == "**Memory per GPU** · 1 × H100 SXM · tp 1 · pp 1 · vLLM 0.33.0"
    assert lines[2] == verdict_line(plan) + " · OOM risk low"
    table = lines.index("| per GPU | GiB | |")
    assert lines[table + 1] == "|---|---:|---|"
    rows = breakdown_rows(plan)
    weights = next(value for label, value, _ in rows if label == "weights")
    assert f"| weights | {weights:,.2f} | safetensors |" in lines
    assert "| weights | 14.99 | safetensors |" in lines
    assert lines[table + 2 : table + 2 + len(rows)] == [
        f"| {label} | {value:,.2f} | {note} |" for label, value, note in rows
    ]
    memory = plan.memory
    assert "- KV bytes per token: 131,072" in lines
    assert f"- KV cache tokens: {memory.kv_tokens:,}" in lines
    assert f"- max concurrency: {memory.max_concurrency:,.2f}× at 131,072 tokens" in lines
    assert f"- block size: 16 · blocks: {memory.num_blocks:,}" in lines
    performance = plan.performance
    output = performance.decode_tokens_per_s
    assert output is not None and output.point is not None
    assert lines[lines.index("**Performance** at concurrency 32 (estimates)") + 2] == (
        f"- output: {output.point:,.0f} tokens/s ({output.low:,.0f}–{output.high:,.0f})"
    )
    for head in ("- time per output token: ", "- prefill: ", "- time to first token: ", "- p90: "):
        assert any(line.startswith(head) and line[-1] == ")" for line in lines), head
    # the curve: a row per concurrency, the workload's in bold, then the sparklines
    header = lines.index("| users | running | tokens/s | TPOT ms | TTFT ms | p90 ms |")
    rows = lines[header + 2 : header + 2 + len(performance.curve)]
    assert [r.split(" | ")[0].strip("| *") for r in rows] == [
        str(p.concurrency) for p in performance.curve
    ]
    [bold] = [r for r in rows if r.startswith("| **")]
    assert bold.startswith("| **32** | **32** |")
    assert lines[header + 3 + len(performance.curve)].startswith("tokens/s ")
    assert result.range == Range.at(0, 0, len(text.splitlines()[0]))


def test_max_model_len_shows_docs_and_the_breakdown() -> None:
    text = example("qwen3-32b-one-h100.profile.yaml")
    line = next(n for n, ln in enumerate(text.splitlines()) if "max_model_len:" in ln)
    analysis = analyze(text, OFFLINE)
    result = hover(analysis, Position(line, 4))
    assert result is not None
    parts = result.markdown.split("\n\n---\n\n")
    assert parts[0].startswith("**Maximum context length** · `model.max_model_len`")
    assert parts[1].startswith("**Memory per GPU** · ")
    assert result.range == on_line(text, line, "max_model_len")
    # it does not start: the one longest max_model_len (the finding's, the fix's), and the
    # performance figures say which setup they are for
    plan = analysis.plan
    assert plan is not None and plan.longest_max_model_len == 23_136
    memory_lines = parts[1].splitlines()
    assert "- longest max_model_len that starts: 23,136" in memory_lines
    [heading] = [line for line in memory_lines if line.startswith("**Performance**")]
    assert heading.endswith(f"(estimates), for the recommended setup: {plan.performance_for}")


@pytest.mark.parametrize(
    "where", ["workload:\n  concurrency: 3<CURSOR>2", "profile_<CURSOR>version: 1"]
)
def test_concurrency_and_profile_version_show_the_breakdown(where: str) -> None:
    marked = f"{where}\nmodel:\n  id: {LLAMA}\nhardware:\n  gpu_name: H100 SXM\n"
    assert "| per GPU | GiB | |" in lines_of(hover_at(marked))


def test_no_plan_says_why_in_one_line() -> None:
    invalid = hover_at(
        f"# top\nmodel:\n  id: {LLAMA}\n  max_model_len: 409<CURSOR>6\nhardware:\n  gpus: zero\n"
    )
    last = invalid.markdown.split("\n\n---\n\n")[-1]
    assert last.startswith("No memory plan: line 6: `hardware.gpus` must be a whole number")
    assert "\n" not in last
    unknown = hover_at("<CURSOR># top\nmodel:\n  id: acme/none\nhardware:\n  gpu_name: L4\n")
    assert unknown.markdown.startswith("No memory plan: `acme/none` is not in the bundled catalog")
    broken = hover_at('<CURSOR># top\nmodel:\n  id: "open\n')
    assert broken.markdown.startswith("No memory plan: the YAML does not parse (line ")


# ----------------------------------------------------------------------------- vLLM flags


def vllm_args(lines: str) -> str:
    return f"model:\n  id: {LLAMA}\nhardware:\n  gpu_name: L4\noutputs:\n  vllm_args:\n{lines}"


def test_flag_key_shows_help_type_default_and_choices() -> None:
    result = hover_at(vllm_args("    performance_<CURSOR>mode: throughput\n"))
    spec = flag_table()["performance_mode"]
    assert lines_of(result) == [
        "**`--performance-mode`** · vLLM 0.33.0",
        "",
        spec.help,
        "",
        "- type: str",
        "- default: `balanced`",
        "- choices: `balanced`, `interactivity`, `throughput`",
    ]
    assert result.range == Range.at(6, 4, 16)


def test_boolean_flag_and_kebab_case_key() -> None:
    result = hover_at(vllm_args("    enable-prefix-<CURSOR>caching: true\n"))
    assert (
        "- type: bool (`true` → `--enable-prefix-caching`, `false` → `--no-enable-prefix-caching`)"
    ) in lines_of(result)
    assert "- default: none (vLLM decides)" in lines_of(result)


def test_flags_the_profile_sets_or_the_planner_ignores() -> None:
    owned = hover_at(vllm_args("    tensor_parallel_size: <CURSOR>2\n"))
    assert lines_of(owned)[-1] == (
        "- set by the profile's `hardware.tp_size`: write it there, not here"
    )
    lora = hover_at(vllm_args("    enable_lo<CURSOR>ra: true\n"))
    assert lines_of(lora)[-1].startswith("- not modelled by the planner: LoRA adapters")
    modelled = hover_at(vllm_args("    max_num_<CURSOR>seqs: 64\n"))
    assert lines_of(modelled)[-1] == "- the memory plan takes it into account"


def test_unknown_flag_suggests_a_close_one() -> None:
    result = hover_at(vllm_args("    max_num_seq<CURSOR>: 64\n"))
    assert result.markdown.startswith("`max_num_seq` is not a `vllm serve` flag in vLLM 0.33.0.")
    assert "`--max-num-seqs`" in result.markdown


# ----------------------------------------------------------------------------- speed


def test_hover_is_fast_on_every_node_of_the_examples() -> None:
    """Well under 15 ms a hover once the catalogs are loaded (best of three per position)."""
    worst = 0.0
    for path in sorted(EXAMPLES.glob("*.yaml")):
        analysis = analyze(path.read_text("utf-8"), OFFLINE)
        assert analysis.document.root is not None
        positions = [Position(0, 0)] + [n.range.start for n in walk(analysis.document.root)]
        for position in positions:
            hover(analysis, position)
            best = min(_timed(hover, analysis, position) for _ in range(3))
            worst = max(worst, best)
    assert worst < 0.015, f"slowest hover took {worst * 1000:.1f} ms"


def _timed(call: Callable[..., object], *args: object) -> float:
    start = time.perf_counter()
    call(*args)
    return time.perf_counter() - start


def test_the_hover_says_why_there_is_no_performance_estimate() -> None:
    from vllm_wizard.lsp.hover import performance_markdown
    from vllm_wizard.planning.perf import unknown_performance

    reason = "no performance estimate: X is not in the GPU catalog"
    assert performance_markdown(unknown_performance(reason)) == [
        "No performance estimate: X is not in the GPU catalog."
    ]
