"""The recommendation search (planning/search/, DESIGN §4): layouts, combinations, other
GPUs, and the bar: every profile that does not start gets a setup that starts, and every
setup offered starts (or fits) when its edits are applied to the profile and it is planned
again from scratch.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from planner_testing import gpu, make_plan, make_profile, plan_of, resolved
from vllm_wizard.hardware.resolve import ResolvedGpu
from vllm_wizard.models.resolve import ResolvedModel, resolve_model_locally
from vllm_wizard.pipeline import EngineContext, analyze, plan_options
from vllm_wizard.planning.plan import Plan, default_pp, plan_core, plan_profile
from vllm_wizard.planning.result import Recommendation
from vllm_wizard.planning.search import PlanOptions, search
from vllm_wizard.profile.check import parse_profile
from vllm_wizard.profile.diagnostics import Code
from vllm_wizard.profile.schema import Profile, profile_to_data
from vllm_wizard.render.plan_json import plan_json_data
from vllm_wizard.render.report import render_report, verdict_line
from wizard_testing import EXAMPLES, REPO_ROOT

LLAMA_70B = "meta-llama/Llama-3.1-70B-Instruct"
LLAMA_405B = "meta-llama/Llama-3.1-405B"
DEEPSEEK_V3 = "deepseek-ai/DeepSeek-V3"
RTX_4090 = "RTX 4090"


# ----------------------------------------------------------------------------- helpers


def apply(profile: Profile, rec: Recommendation) -> Profile:
    """The profile with a recommendation's edits, as a user's file would read: the document
    is dumped, edited and validated again (strict types), independently of the planner's
    own `edited_profile`."""
    data = profile_to_data(profile)
    for edit in rec.edits:
        *parents, name = edit.field.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if edit.value is None:
            node.pop(name, None)
        else:
            node[name] = edit.value
    return parse_profile(data)


def replan(plan: Plan, rec: Recommendation) -> Plan:
    """Plan the edited profile again, resolving a changed model or GPU as the engine does."""
    profile = apply(plan.profile, rec)
    model: ResolvedModel = plan.model
    if profile.model.id != plan.profile.model.id:
        model = resolved(profile.model.id)
    found: ResolvedGpu = plan.gpu
    hw, old = profile.hardware, plan.profile.hardware
    if (hw.gpu_name, hw.vram_gb) != (old.gpu_name, old.vram_gb):
        found = gpu(hw.gpu_name, hw.vram_gb)
    return plan_profile(profile, model, found, plan_options(model, found))


def assert_every_recommendation_holds(plan: Plan) -> None:
    """Each recommendation, applied and planned again, starts/fits as it says, with its figures."""
    for rec in plan.recommendations:
        again = replan(plan, rec)
        assert (again.starts, again.fits) == (rec.starts, rec.fits), rec.title
        assert rec.starts, rec.title  # nothing that does not start is ever offered
        if rec.goal == "fit":
            assert rec.fits, rec.title
        assert again.memory.kv_tokens == rec.kv_cache_tokens, rec.title
        assert (again.setup.tp, again.setup.pp) == (
            rec.tensor_parallel_size,
            rec.pipeline_parallel_size,
        ), rec.title
        assert again.gpu.name == rec.gpu_name
        hw = again.profile.hardware
        assert (hw.gpus * hw.nodes, hw.nodes) == (rec.gpus, rec.nodes), rec.title
        assert rec.title.endswith(f"{again.memory.kv_tokens:,} tokens)"), rec.title


# ----------------------------------------------------------------------------- the bar


def _fixture_texts() -> Iterator[tuple[str, str]]:
    """Every profile the repository holds: examples, goldens, and the YAML profiles written
    inside the tests (string constants with a `model:` section)."""
    for path in sorted(EXAMPLES.glob("*.yaml")):
        yield path.relative_to(REPO_ROOT).as_posix(), path.read_text()
    for path in sorted((REPO_ROOT / "tests" / "golden").glob("*/profile.yaml")):
        yield path.relative_to(REPO_ROOT).as_posix(), path.read_text()
    for path in sorted((REPO_ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if "model:" in text and "\n" in text and "id:" in text:
                    where = f"{path.relative_to(REPO_ROOT).as_posix()}:{node.lineno}"
                    yield where, text


CONTEXT = EngineContext(
    resolve_model=lambda i, r, b, p: resolve_model_locally(i, r, base_dir=b, params_b=p)
)

HARD = {
    "70B on one RTX 4090": make_profile(LLAMA_70B, RTX_4090),
    "405B on one RTX 4090": make_profile(LLAMA_405B, RTX_4090),
    "405B on 8 RTX 4090s": make_profile(LLAMA_405B, RTX_4090, hardware={"gpus": 8}),
    "DeepSeek-V3 on 8 H100s": make_profile(DEEPSEEK_V3, "H100 SXM", hardware={"gpus": 8}),
    "AWQ asked of an unquantized checkpoint": make_profile(
        "meta-llama/Llama-2-7b-hf", RTX_4090, model={"quantization": "awq"}
    ),
    "bfloat16 on a T4": make_profile(model={"dtype": "bfloat16"}, gpu_name="T4"),
    "auto max_model_len before 0.14": make_profile(
        vllm_version="0.11.0", model={"max_model_len": "auto"}
    ),
}


def _all_plans() -> Iterator[tuple[str, Plan]]:
    for name, text in _fixture_texts():
        analysis = analyze(text, CONTEXT)
        if analysis.plan is not None:
            yield name, analysis.plan
    for name, profile in HARD.items():
        yield name, plan_of(profile)


ALL_PLANS = list(_all_plans())
NOT_STARTING = [(name, plan) for name, plan in ALL_PLANS if not plan.starts]


def test_the_enumeration_covers_the_repositorys_profiles() -> None:
    # the bar's population: all examples and goldens plan offline, and enough of the test
    # files' own profiles do that the scan is not silently empty
    names = [name for name, _ in ALL_PLANS]
    assert sum(n.startswith("examples/") for n in names) == len(list(EXAMPLES.glob("*.yaml")))
    assert sum(n.startswith("tests/golden/") for n in names) == len(
        list((REPO_ROOT / "tests" / "golden").glob("*/profile.yaml"))
    )
    assert sum(n.startswith("tests/") and ".py:" in n for n in names) >= 15
    assert len(NOT_STARTING) >= len(HARD) + 2


@pytest.mark.parametrize(("name", "plan"), NOT_STARTING, ids=[n for n, _ in NOT_STARTING])
def test_every_profile_that_does_not_start_gets_a_setup_that_starts(name: str, plan: Plan) -> None:
    assert any(r.starts for r in plan.recommendations), name
    assert_every_recommendation_holds(plan)


@pytest.mark.parametrize(
    ("name", "plan"),
    [(n, p) for n, p in ALL_PLANS if p.starts and not p.fits],
    ids=[n for n, p in ALL_PLANS if p.starts and not p.fits],
)
def test_every_fit_recommendation_fits_when_applied(name: str, plan: Plan) -> None:
    assert any(r.fits for r in plan.recommendations), name
    assert_every_recommendation_holds(plan)


def test_accuracy_cases_vllm_refused_get_a_setup_that_starts() -> None:
    # the real refusals of tests/accuracy/cases.yaml, planned with the engine's options
    from accuracy.replay import load_cases, profile_for, replayable, resolved_gpu, resolved_model

    refused = 0
    for case in load_cases():
        if not replayable(case):
            continue
        model, found = resolved_model(case["model"]), resolved_gpu(case)
        plan = plan_profile(profile_for(case), model, found, plan_options(model, found))
        if plan.starts:
            continue
        refused += 1
        assert any(r.starts for r in plan.recommendations), case["id"]
        for rec in plan.recommendations:
            again = plan_profile(apply(plan.profile, rec), model, found, plan_options(model, found))
            if all(e.field not in ("model.id", "hardware.gpu_name") for e in rec.edits):
                assert again.starts and again.memory.kv_tokens == rec.kv_cache_tokens, case["id"]
    assert refused >= 3


# ----------------------------------------------------------------------------- named setups


def test_70b_on_one_rtx_4090_names_a_setup() -> None:
    plan = make_plan(LLAMA_70B, RTX_4090)
    assert not plan.starts
    best = plan.recommendations[0]
    assert best.starts and best.gpus == 4 and best.tensor_parallel_size == 4
    # the cheapest: 4 GPUs (the planner picks tp 4 itself) with fp8 weights, at the longest
    # length that starts there
    assert [e.field for e in best.edits] == [
        "hardware.gpus",
        "model.quantization",
        "model.max_model_len",
    ]
    assert verdict_line(plan).startswith("✘ does not start · needs 4 GPUs, tp 4, quantization ")
    # and the cheapest that fits the workload: 8 GPUs with fp8 weights
    fit = next(r for r in plan.recommendations if r.fits)
    assert (fit.gpus, fit.tensor_parallel_size) == (8, 8)
    report = render_report(plan)
    assert f"  ▸ {best.title}" in report and f"  ✔ {fit.title}" in report


def test_405b_on_rtx_4090s_names_a_multi_node_setup() -> None:
    plan = make_plan(LLAMA_405B, RTX_4090, hardware={"gpus": 8})
    assert not plan.starts
    best = plan.recommendations[0]
    # fp8 weights (378 GiB) over 24 GPUs: three nodes of 8, tp 8 within each, pp 3 across
    assert (best.nodes, best.gpus, best.tensor_parallel_size, best.pipeline_parallel_size) == (
        3,
        24,
        8,
        3,
    )
    # (0.71 GiB of non-torch memory per GPU at tp 8 leaves the fp8 weights room for 2.6 GiB of
    # KV only with an fp8 KV cache; memory.py)
    assert best.title.startswith(
        "Use 3 nodes × 8 GPUs, tp 8 × pp 3; set kv_cache_dtype: fp8 and quantization:"
        " fp8_per_tensor (fits: "
    )
    assert verdict_line(plan) == (
        "✘ does not start · needs 3 nodes × 8, pp 3, kv_cache_dtype fp8, quantization"
        " fp8_per_tensor"
    )
    # more nodes buy more KV tokens: 4 nodes with fp8 weights
    assert [(r.nodes, r.pipeline_parallel_size) for r in plan.recommendations[1:]] == [
        (3, 3),
        (4, 4),
    ]
    # the serve config of the fixed profile runs pipeline stages over Ray (vLLM: more GPUs
    # than one node needs `--distributed-executor-backend ray`)
    again = replan(plan, best)
    assert again.config["pipeline_parallel_size"] == 3
    assert again.config["tensor_parallel_size"] == 8
    assert again.config["distributed_executor_backend"] == "ray"


def test_deepseek_v3_on_eight_h100s_needs_two_nodes() -> None:
    # an fp8 checkpoint (no smaller weights to offer) of 642 GiB: 16 GPUs
    plan = make_plan(DEEPSEEK_V3, "H100 SXM", hardware={"gpus": 8})
    assert verdict_line(plan) == "✘ does not start · needs 2 nodes × 8, pp 2"
    [rec] = plan.recommendations
    assert rec.title.startswith("Use 2 nodes × 8 GPUs, tp 8 × pp 2 (fits: ")
    assert [(e.field, e.value) for e in rec.edits] == [("hardware.nodes", 2)]


def test_the_code_lens_shows_what_the_best_setup_needs() -> None:
    from vllm_wizard.lsp.lens import code_lenses

    text = "model:\n  id: deepseek-ai/DeepSeek-V3\nhardware:\n  gpu_name: H100 SXM\n  gpus: 8\n"
    [lens] = code_lenses(analyze(text, CONTEXT), "file:///p.yaml")
    assert lens.command.title == "✘ does not start · needs 2 nodes × 8, pp 2"


@pytest.mark.parametrize(
    ("model", "hardware", "needs"),
    [
        # AWQ asked of a checkpoint that has no AWQ config: vLLM stops loading
        ({"quantization": "awq", "max_model_len": 8192}, {}, "quantization none"),
        # tp 3 on one GPU, which 32 heads do not divide either
        ({"max_model_len": 8192}, {"tp_size": 3}, "tp 1"),
    ],
)
def test_a_profile_vllm_refuses_says_what_it_needs_not_the_error_code(
    model: dict[str, object], hardware: dict[str, object], needs: str
) -> None:
    plan = make_plan("meta-llama/Llama-3.1-8B-Instruct", "L4", model=model, hardware=hardware)
    assert not plan.starts
    assert verdict_line(plan) == f"✘ does not start · needs {needs}"


def test_a_quick_fix_never_changes_more_than_it_needs() -> None:
    # one GPU and tp left to the planner: the fix adds GPUs and lets the planner pick tp 4
    plan = make_plan(LLAMA_70B, "H100 SXM")
    alone = next(
        r for r in plan.recommendations if len(r.edits) == 1 and r.field == "hardware.gpus"
    )
    assert [(e.field, e.value) for e in alone.edits] == [("hardware.gpus", 4)]
    assert replan(plan, alone).setup.tp == 4


# ----------------------------------------------------------------------------- other GPUs


def test_when_nothing_starts_on_this_gpu_the_smallest_catalog_gpu_that_works() -> None:
    # 405B on a 2 GiB board: even 16 nodes of 8 hold too little. On one node of 8, fp8 weights
    # (378 GiB, 47 GiB per GPU) need a board of about 60 GiB: the H100 PCIe (79.11 GiB) is the
    # smallest of the catalog's NVIDIA boards that has the room.
    profile = make_profile(LLAMA_405B, "Tiny", hardware={"vram_gb": 2.0})
    plan = plan_of(profile)
    [rec] = plan.recommendations
    assert rec.gpu_name == "H100 PCIe" and rec.gpus == 8 and rec.nodes == 1
    assert rec.reason.startswith("the smallest catalog GPU on which it starts; ")
    assert [(e.field, e.value) for e in rec.edits][:2] == [
        ("hardware.gpu_name", "H100 PCIe"),
        ("hardware.vram_gb", None),
    ]
    assert rec.title.startswith("Use 8 × H100 PCIe, tp 8; set quantization: fp8_per_tensor (")
    assert_every_recommendation_holds(plan)
    # no smaller board does it on one node, with every knob the search has
    for name in ("L40S", "A100 SXM 40GB", "RTX 6000 Ada"):
        smaller = make_plan(
            LLAMA_405B,
            name,
            hardware={"gpus": 8, "tp_size": 8},
            model={"quantization": "fp8_per_tensor", "kv_cache_dtype": "fp8", "max_model_len": 768},
            policy={"gpu_memory_utilization": 0.95},
        )
        assert not smaller.starts, name


def test_without_catalog_gpus_nothing_is_invented() -> None:
    profile = make_profile(LLAMA_405B, "Tiny", hardware={"vram_gb": 2.0})
    model, found = resolved(LLAMA_405B), gpu("Tiny", 2.0)
    plan = plan_profile(profile, model, found, PlanOptions())
    assert plan.recommendations == ()
    assert verdict_line(plan) == "✘ does not start · no setup tried starts"
    assert plan.performance.decode_tokens_per_s is None
    assert "does not start" in plan.performance.assumptions[0]


def test_no_board_is_searched_when_no_gpu_lifts_the_refusal() -> None:
    # vLLM 0.33 has no bitsandbytes: no GPU, layout or knob makes this checkpoint load (its
    # unquantized model would, but here none is handed in), and searching every catalog
    # board for one took ~50 ms of each keystroke (1,685 memory runs).
    profile = make_profile("unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit", "RTX 3090")
    model, found = resolved(profile.model.id), gpu("RTX 3090")
    replans: list[str] = []

    def counting(profile: Profile, model: Any, gpu: Any) -> Any:
        replans.append(gpu.name)
        return plan_core(profile, model, gpu)

    core = plan_core(profile, model, found)
    options = replace(plan_options(model, found), unquantized=None)
    assert search(core, options, counting).starting == ()
    assert len(set(replans) - {"RTX 3090"}) <= 1  # one probe on the most capable board


# ----------------------------------------------------------------------------- layout rules


def test_tp_spanning_nodes_gives_the_pipeline_stages_that_fill_the_gpus() -> None:
    # DeepSeek-V3 with gpus 8, nodes 2, tp_size 16: vLLM's world size is tp × pp
    # (vllm/config/parallel.py, ParallelConfig.__post_init__) and must be the 16 GPUs, so
    # pp is 1, not one stage per node (which made tp 16 × pp 2 on 32 GPUs)
    plan = make_plan(DEEPSEEK_V3, "H200 SXM", hardware={"gpus": 8, "nodes": 2, "tp_size": 16})
    assert (plan.setup.tp, plan.setup.pp) == (16, 1)
    assert plan.starts
    assert "pipeline_parallel_size" not in plan.config
    assert plan.config["tensor_parallel_size"] == 16
    assert plan.config["distributed_executor_backend"] == "ray"
    assert Code.CROSS_NODE_TP in [f.code for f in plan.findings]
    assert Code.PARALLEL_LAYOUT not in [f.code for f in plan.findings]


@pytest.mark.parametrize(
    ("gpus", "nodes", "tp", "pp"),
    [
        (8, 1, None, 1),  # tp left to the planner: one stage per node
        (8, 2, None, 2),
        (8, 2, 8, 2),  # tp within a node: one stage per node
        (8, 2, 4, 2),  # tp smaller than a node: still one stage per node (8 of 16 GPUs used)
        (8, 2, 16, 1),  # tp across both nodes: 16 / 16
        (8, 4, 16, 2),  # tp over two nodes, two such groups: 32 / 16
        (4, 3, 8, 1),  # 12 GPUs, tp 8: one stage (12 // 8)
    ],
)
def test_the_default_pipeline_size(gpus: int, nodes: int, tp: int | None, pp: int) -> None:
    assert default_pp(gpus, nodes, tp) == pp


def test_tp_times_pp_above_the_gpus_is_vllms_world_size_error() -> None:
    plan = make_plan(LLAMA_70B, hardware={"gpus": 8, "nodes": 2, "tp_size": 8, "pp_size": 4})
    [finding] = [f for f in plan.findings if f.code is Code.PARALLEL_LAYOUT]
    assert finding.is_error
    assert finding.message.startswith(
        "World size (32) is larger than the number of available GPUs (16)"
    )


def test_recommended_layouts_keep_tp_within_a_node_and_respect_the_heads() -> None:
    from vllm_wizard.planning.semantic import valid_tp

    for _, plan in ALL_PLANS:
        for rec in plan.recommendations:
            per_node = rec.gpus // rec.nodes
            assert valid_tp(replan(plan, rec).arch, rec.tensor_parallel_size)
            assert rec.tensor_parallel_size * rec.pipeline_parallel_size <= rec.gpus
            if rec.nodes > 1 and "hardware.tp_size" in [e.field for e in rec.edits]:
                assert rec.tensor_parallel_size <= per_node, rec.title


# ----------------------------------------------------------------------------- quantization


def test_awq_on_an_unquantized_checkpoint_is_an_error_with_vllms_words() -> None:
    # vLLM 0.33.0, model_executor/model_loader/weight_utils.py get_quant_config: with no
    # quantization_config in config.json and none of AWQ's quantize_config.json /
    # quant_config.json in the repo: ValueError(f"Cannot find the config file for {method}")
    plan = make_plan("meta-llama/Llama-2-7b-hf", RTX_4090, model={"quantization": "awq"})
    assert not plan.starts
    [finding] = [f for f in plan.findings if f.code is Code.QUANTIZATION]
    assert finding.is_error and finding.fields[0] == ("model", "quantization")
    assert finding.message == (
        "quantization awq needs a checkpoint quantized with it, and meta-llama/Llama-2-7b-hf is"
        " not one (no quantization_config in its config.json): vLLM stops loading with"
        ' "Cannot find the config file for awq" (unless the repo ships quantize_config.json'
        " or quant_config.json). Serve a checkpoint quantized with awq, or use fp8_per_tensor,"
        " which vLLM quantizes at load time."
    )
    assert finding.data is not None
    titles = [f["title"] for f in finding.data["fixes"]]
    assert titles[0].startswith("Set quantization: fp8_per_tensor (fits: ")
    assert titles[1].startswith("Set quantization: none (fits: ")
    # the recommendation: the checkpoint as it is
    [rec] = plan.recommendations
    assert [(e.field, e.value) for e in rec.edits] == [("model.quantization", "none")]
    assert_every_recommendation_holds(plan)


def test_awq_of_an_awq_checkpoint_is_fine() -> None:
    plan = make_plan("TheBloke/CodeLlama-34B-AWQ", "L40S", model={"quantization": "awq"})
    errors = [f for f in plan.findings if f.is_error]
    assert not any(f.code is Code.QUANTIZATION for f in errors)


def test_a_quantized_copy_of_the_same_model_from_the_hf_cache() -> None:
    # a GPTQ copy of Meta-Llama-3-70B-Instruct in the local HF cache is offered like the
    # catalog's (its config.json is the catalog's GPTQ entry's, under another org)
    import json

    from vllm_wizard.catalog.models import catalog_model, config_dict
    from vllm_wizard.models import hub

    entry = catalog_model("cortecs/Meta-Llama-3-70B-Instruct-GPTQ")
    assert entry is not None
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = hub.hf_cache_dir() / "models--someone--Meta-Llama-3-70B-Instruct-GPTQ-Int4"
    (repo / "snapshots" / commit).mkdir(parents=True)
    (repo / "snapshots" / commit / "config.json").write_text(json.dumps(config_dict(entry)))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    model = resolved("meta-llama/Meta-Llama-3-70B-Instruct")
    options = plan_options(model, gpu("H100 SXM"))
    ids = [m.model_id for m in options.quantized]
    assert ids == [
        "cortecs/Meta-Llama-3-70B-Instruct-GPTQ",
        "someone/Meta-Llama-3-70B-Instruct-GPTQ-Int4",
    ]


# ----------------------------------------------------------------------------- what is shown


def test_a_plan_that_does_not_start_estimates_performance_for_the_recommended_setup() -> None:
    plan = make_plan(LLAMA_70B, RTX_4090)
    best = plan.recommendations[0]
    assert plan.performance_for == best.title.rsplit(" (", 1)[0]
    assert plan.performance.assumptions[0].startswith(
        f"For the recommended setup ({plan.performance_for}), not the profile as written"
    )
    fixed = replan(plan, best)
    assert plan.performance.decode_tokens_per_s == fixed.performance.decode_tokens_per_s
    [heading] = [line for line in render_report(plan).splitlines() if line.startswith("Perf")]
    assert heading.endswith(f", for the recommended setup: {plan.performance_for}")
    # scripts reading plan.json's figures can tell they are not the profile's own
    performance = plan_json_data(plan, ())["performance"]
    assert performance["for_setup"] == best.title.rsplit(" (", 1)[0]


def test_a_plan_that_starts_estimates_its_own_performance() -> None:
    plan = make_plan()
    assert plan.performance_for is None
    assert plan_json_data(plan, ())["performance"]["for_setup"] is None
    [heading] = [line for line in render_report(plan).splitlines() if line.startswith("Perf")]
    assert "recommended" not in heading


def test_no_contradictory_figures_when_it_does_not_start() -> None:
    # Llama-3.1-8B on an L4: vLLM refuses 131,072 tokens; no "0 blocks" next to a longest
    # request, and the one longest max_model_len everywhere
    plan = make_plan(gpu_name="L4")
    assert plan.memory.num_blocks == 0 and plan.memory.kv_tokens == 0
    assert plan.memory.max_context_at_concurrency == 0
    report = render_report(plan)
    assert "blocks)" not in report and "longest request at concurrency" not in report
    assert "  longest max_model_len that starts: 27,312 tokens" in report
    [finding] = [f for f in plan.findings if f.code is Code.DOES_NOT_START]
    assert "The longest max_model_len that starts is 27,312." in finding.message
    assert finding.data is not None
    [length] = [f for f in finding.data["fixes"] if f["edits"][0]["path"][-1] == "max_model_len"]
    assert length["edits"][0]["value"] == 27_312


def test_plan_json_recommendations_keep_the_old_fields_and_add_the_setup() -> None:
    plan = make_plan(DEEPSEEK_V3, "H100 SXM", hardware={"gpus": 8})
    [rec] = plan_json_data(plan, ())["recommendations"]
    assert rec["field"] == "hardware.nodes" and rec["value"] == 2
    assert set(rec) >= {"field", "value", "reason", "effect", "title", "edits", "starts", "fits"}
    assert rec["edits"] == [{"field": "hardware.nodes", "value": 2}]
    assert (rec["gpus"], rec["nodes"], rec["pipeline_parallel_size"]) == (16, 2, 2)


def _search_options_key(options: PlanOptions) -> Any:
    return options.key


def test_the_plan_cache_keys_on_the_search_options() -> None:
    a = PlanOptions()
    b = PlanOptions(quantized=(resolved("cortecs/Meta-Llama-3-70B-Instruct-GPTQ"),))
    assert _search_options_key(a) != _search_options_key(b)


@pytest.mark.parametrize(
    ("args", "needs"),
    [
        (["-m", LLAMA_70B], "✘ does not start · needs 4 GPUs, tp 4, quantization fp8_per_tensor"),
        (["-m", LLAMA_405B, "--gpus", "8"], "✘ does not start · needs 3 nodes × 8, pp 3"),
    ],
)
def test_plan_names_a_setup_for_big_models_on_rtx_4090s(
    args: list[str], needs: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from vllm_wizard.cli import main

    code = main(["plan", "--offline", "--gpu", RTX_4090, *args])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert f"  {needs}" in out
    section = out.split("Recommendations (each re-planned: the figures are what it gives)\n")[1]
    first = section.splitlines()[0]
    assert first.startswith(("  ▸ Use ", "  ✔ Use ")), first


def test_tp_across_nodes_stays_a_candidate_only_where_the_profile_asks() -> None:
    from vllm_wizard.planning.plan import plan_core
    from vllm_wizard.planning.search.layouts import _layouts

    def layouts(hardware: dict[str, Any]) -> set[tuple[int, int, int, int]]:
        profile = make_profile(LLAMA_405B, "A100 SXM 40GB", hardware=hardware)
        core = plan_core(profile, resolved(LLAMA_405B), gpu("A100 SXM 40GB"))
        return {(x.tp, x.pp, x.gpus_per_node, x.nodes) for g in _layouts(core, 8) for x in g}

    asked = layouts({"gpus": 8, "nodes": 2, "tp_size": 16})
    assert (16, 1, 8, 2) in asked and (8, 2, 8, 2) in asked
    plain = layouts({"gpus": 8, "nodes": 2})
    assert all(tp <= per_node for tp, _, per_node, _ in plain)
    # and the plan of that profile offers tp inside the nodes first: more KV tokens (tp 16
    # replicates the 8 KV heads), the same 16 GPUs
    plan = make_plan(
        LLAMA_405B,
        "A100 SXM 40GB",
        model={"max_model_len": 8192},
        hardware={"gpus": 8, "nodes": 2, "tp_size": 16},
    )
    best = plan.recommendations[0]
    assert (best.tensor_parallel_size, best.pipeline_parallel_size, best.gpus) == (8, 2, 16)
    assert verdict_line(plan) == (
        "✘ does not start · needs tp 8 × pp 2, quantization fp8_per_tensor"
    )
