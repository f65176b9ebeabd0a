"""`outputs.vllm_args` against the pinned flag table, and their rendering (vllm/args.py)."""

from __future__ import annotations

from typing import Any

import pytest

from planner_testing import make_plan
from vllm_wizard.profile.diagnostics import Code, Severity
from vllm_wizard.vllm.args import (
    MODELLED,
    NOT_MODELLED,
    PROFILE_FLAGS,
    CheckedArgs,
    check_vllm_args,
    parse_human_int,
    render_flag,
)
from vllm_wizard.vllm.flags import flag_table

TABLE = flag_table()


def check(args: dict[str, Any]) -> CheckedArgs:
    return check_vllm_args(args, TABLE)


def problems(args: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(p.key, p.kind, p.message) for p in check(args).problems]


# ----------------------------------------------------------------------------- spellings


@pytest.mark.parametrize(
    "key", ["max_num_seqs", "max-num-seqs", "--max-num-seqs", "--max_num_seqs"]
)
def test_any_spelling_lands_on_vllms_dest(key: str) -> None:
    checked = check({key: 128})
    assert checked.values == {"max_num_seqs": 128}
    assert checked.keys == {"max_num_seqs": key}
    assert checked.specs["max_num_seqs"].name == "--max-num-seqs"
    assert checked.problems == []


def test_the_same_flag_twice_is_a_duplicate() -> None:
    checked = check({"max-num-seqs": 128, "max_num_seqs": 256})
    assert checked.values == {"max_num_seqs": 128}
    [problem] = checked.problems
    assert (problem.key, problem.kind) == ("max_num_seqs", "duplicate")
    assert (
        problem.message
        == "`max_num_seqs` sets `max-num-seqs` a second time (also as `max-num-seqs`)."
    )
    assert problem.point_at_key


# ----------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("8k", 8_000),
        ("8K", 8_192),
        ("1.5M", 1_572_864),
        ("2m", 2_000_000),
        ("1G", 1_073_741_824),
        ("3g", 3_000_000_000),
        (" 16384 ", 16_384),
        ("-1", -1),
        ("8 K", 8_192),
    ],
)
def test_human_readable_integers(text: str, value: int) -> None:
    assert parse_human_int(text) == value


@pytest.mark.parametrize("text", ["", "eight", "8KB", "8T", "1e3", "--5"])
def test_not_human_readable_integers(text: str) -> None:
    assert parse_human_int(text) is None


def test_human_readable_flags_take_8k() -> None:
    # --max-num-batched-tokens and --kv-cache-memory-bytes accept 1k/1K; --max-num-seqs does not
    checked = check({"max_num_batched_tokens": "8K", "kv_cache_memory_bytes": "10G"})
    assert checked.values == {"max_num_batched_tokens": 8192, "kv_cache_memory_bytes": 10 * 2**30}
    assert problems({"max_num_seqs": "8k"}) == [
        ("max_num_seqs", "invalid", "`max_num_seqs` takes a whole number; got '8k'.")
    ]
    # never a crash on a malformed number
    assert problems({"max_num_batched_tokens": "--5"}) == [
        (
            "max_num_batched_tokens",
            "invalid",
            "`max_num_batched_tokens` takes a whole number; got '--5'.",
        )
    ]


def test_numbers() -> None:
    assert check({"max_num_seqs": 256.0}).values == {"max_num_seqs": 256}
    assert problems({"max_num_seqs": 256.5}) == [
        ("max_num_seqs", "invalid", "`max_num_seqs` takes a whole number; got 256.5.")
    ]
    assert problems({"max_num_seqs": True}) == [
        ("max_num_seqs", "invalid", "`max_num_seqs` takes a whole number, not true/false.")
    ]
    assert check({"cpu_offload_gb": 4}).values == {"cpu_offload_gb": 4.0}
    assert problems({"cpu_offload_gb": "4"}) == [
        ("cpu_offload_gb", "invalid", "`cpu_offload_gb` takes a number; got '4'.")
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"max_num_seqs": 0}, "`max_num_seqs` must be at least 1; got 0."),
        ({"block_size": 0}, "`block_size` must be greater than 0; got 0."),
        ({"cpu_offload_gb": -1}, "`cpu_offload_gb` must be at least 0; got -1.0."),
        ({"max_num_batched_tokens": "0k"}, "`max_num_batched_tokens` must be at least 1; got 0."),
    ],
)
def test_bounds(args: dict[str, Any], message: str) -> None:
    [(_, kind, text)] = problems(args)
    assert (kind, text) == ("invalid", message)


def test_choices() -> None:
    assert check({"performance_mode": "throughput"}).values == {"performance_mode": "throughput"}
    assert problems({"performance_mode": "fast"}) == [
        (
            "performance_mode",
            "invalid",
            "`performance_mode` must be one of `balanced`, `interactivity`, `throughput`;"
            " got 'fast'.",
        )
    ]


def test_long_choice_lists_are_cut_after_ten() -> None:
    [(_, _, message)] = problems({"moe_backend": "nope"})
    assert message.startswith("`moe_backend` must be one of `aiter`, ")
    assert message.endswith(", ...; got 'nope'.")
    assert message.count("`") == 2 * 11  # the key and ten choices


def test_switches() -> None:
    assert check({"enforce_eager": True, "enable_prefix_caching": False}).values == {
        "enforce_eager": True,
        "enable_prefix_caching": False,
    }
    assert problems({"enforce_eager": "yes"}) == [
        ("enforce_eager", "invalid", "`enforce_eager` is a switch: write true or false, not 'yes'.")
    ]


def test_null() -> None:
    # --kv-cache-memory-bytes takes "None"; --max-num-seqs needs a number
    assert check({"kv_cache_memory_bytes": None}).values == {"kv_cache_memory_bytes": None}
    assert problems({"max_num_seqs": None}) == [
        ("max_num_seqs", "invalid", "`max_num_seqs` needs a value.")
    ]


def test_lists() -> None:
    checked = check({"served_model_name": ["a", "b"], "middleware": ["m.one", "m.two"]})
    assert checked.values == {"served_model_name": ["a", "b"], "middleware": ["m.one", "m.two"]}
    assert problems({"max_num_seqs": [1, 2]}) == [
        ("max_num_seqs", "invalid", "`max_num_seqs` takes one value, not a list.")
    ]
    assert problems({"cudagraph_capture_sizes": [1, "two"]})[0][2] == (
        "`cudagraph_capture_sizes` takes a whole number; got 'two'."
    )


def test_mappings() -> None:
    spec = {"model": "org/draft", "num_speculative_tokens": 3}
    assert check({"speculative_config": spec}).values == {"speculative_config": spec}
    assert problems({"max_num_seqs": {"a": 1}})[0][2] == (
        "`max_num_seqs` takes a int value, not a mapping."
    )


# ----------------------------------------------------------------------------- problems


def test_unknown_flag_with_did_you_mean() -> None:
    [problem] = check({"max_num_seq": 64}).problems
    assert problem.kind == "unknown"
    assert problem.message == (
        "`max_num_seq` is not a `vllm serve` flag in vLLM 0.33.0. Did you mean `max-num-seqs`?"
    )
    assert problem.replacement == "max-num-seqs" and problem.point_at_key
    [nothing] = check({"zzzqqq": 1}).problems
    assert nothing.message == "`zzzqqq` is not a `vllm serve` flag in vLLM 0.33.0."
    assert nothing.replacement is None


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("tensor_parallel_size", ("hardware", "tp_size")),
        ("tensor-parallel-size", ("hardware", "tp_size")),
        ("-tp", ("hardware", "tp_size")),
        ("pipeline_parallel_size", ("hardware", "pp_size")),
        ("max_model_len", ("model", "max_model_len")),
        ("gpu-memory-utilization", ("policy", "gpu_memory_utilization")),
        ("dtype", ("model", "dtype")),
        ("kv_cache_dtype", ("model", "kv_cache_dtype")),
        ("quantization", ("model", "quantization")),
        ("trust_remote_code", ("model", "trust_remote_code")),
    ],
)
def test_a_flag_a_profile_field_sets_is_a_duplicate(key: str, field: tuple[str, ...]) -> None:
    checked = check({key: 2})
    [problem] = checked.problems
    assert problem.kind == "duplicate" and problem.profile_field == field
    assert problem.message == (
        f"`{key}` is set by the profile field `{'.'.join(field)}`; set it there so the planner"
        " sees it."
    )
    assert problem.replacement == ".".join(field)
    assert checked.values == {}


def test_memory_flags_the_planner_does_not_model_warn() -> None:
    checked = check({"enable_lora": True, "data_parallel_size": 2, "speculative_config": {"a": 1}})
    assert [(p.key, p.kind) for p in checked.problems] == [
        ("enable_lora", "not-modelled"),
        ("data_parallel_size", "not-modelled"),
        ("speculative_config", "not-modelled"),
    ]
    assert checked.problems[0].message == (
        "`enable_lora` changes memory in a way the plan does not model (LoRA adapters take"
        " weight memory and activation space); leave extra headroom."
    )
    # the values are still passed on
    assert checked.values["enable_lora"] is True


@pytest.mark.parametrize(
    "args",
    [{"enable_lora": False}, {"data_parallel_size": 1}, {"speculative_config": None}],
)
def test_inert_values_of_those_flags_do_not_warn(args: dict[str, Any]) -> None:
    assert check(args).problems == []


def test_the_tables_are_consistent() -> None:
    # every flag named here exists in the pinned table, but `model_tag` (`vllm serve`'s
    # positional argument) and `calculate_kv_scales` (gone from vLLM 0.33's flags: a stale entry
    # that never matches); none is both modelled and not
    missing = [d for d in (*PROFILE_FLAGS, *MODELLED, *NOT_MODELLED) if TABLE.get(d) is None]
    assert missing == ["model_tag", "calculate_kv_scales"]
    assert not MODELLED & set(NOT_MODELLED)
    assert not set(PROFILE_FLAGS) & (MODELLED | set(NOT_MODELLED))


# ----------------------------------------------------------------------------- rendering


@pytest.mark.parametrize(
    ("dest", "value", "words"),
    [
        ("enforce_eager", True, ["--enforce-eager"]),
        ("enforce_eager", False, ["--no-enforce-eager"]),
        ("enable_prefix_caching", False, ["--no-enable-prefix-caching"]),
        ("disable_log_stats", True, ["--disable-log-stats"]),
        ("disable_log_stats", False, []),  # store_true: no negative form
        ("max_num_seqs", 128, ["--max-num-seqs", "128"]),
        ("cpu_offload_gb", 4.0, ["--cpu-offload-gb", "4"]),
        ("cpu_offload_gb", 2.5, ["--cpu-offload-gb", "2.5"]),
        ("max_model_len", -1, ["--max-model-len", "-1"]),
        ("kv_cache_memory_bytes", None, ["--kv-cache-memory-bytes", "None"]),
        ("served_model_name", ["a", "b"], ["--served-model-name", "a", "b"]),
        ("middleware", ["m.one", "m.two"], ["--middleware", "m.one", "--middleware", "m.two"]),
        (
            "speculative_config",
            {"model": "org/draft", "num_speculative_tokens": 3},
            ["--speculative-config", '{"model":"org/draft","num_speculative_tokens":3}'],
        ),
        ("allowed_origins", ["*"], ["--allowed-origins", '["*"]']),
        ("chat_template", "-weird", ["--chat-template=-weird"]),
    ],
)
def test_render_flag(dest: str, value: Any, words: list[str]) -> None:
    assert render_flag(TABLE[dest], value) == words


def test_the_plan_reports_each_problem_on_its_entry() -> None:
    plan = make_plan(
        vllm_args={
            "max_num_seq": 64,
            "tensor_parallel_size": 2,
            "block_size": 0,
            "enable_lora": True,
            "enforce_eager": True,
        }
    )
    found = [(f.code, f.severity, f.fields, f.point_at, f.data) for f in plan.findings[:4]]
    assert found == [
        (
            Code.VLLM_ARG_UNKNOWN,
            Severity.ERROR,
            (("outputs", "vllm_args", "max_num_seq"),),
            "key",
            {"key": "max_num_seq", "replacement": "max-num-seqs"},
        ),
        (
            Code.VLLM_ARG_DUPLICATE,
            Severity.ERROR,
            (("outputs", "vllm_args", "tensor_parallel_size"),),
            "key",
            {
                "key": "tensor_parallel_size",
                "move_to": ["hardware", "tp_size"],
                # one GPU in the profile: moving tp 2 there needs a second one too
                "also": [{"path": ["hardware", "gpus"], "value": 2}],
                "why": "tp 2 × pp 1 needs 2 GPUs",
            },
        ),
        (
            Code.VLLM_ARG_INVALID,
            Severity.ERROR,
            (("outputs", "vllm_args", "block_size"),),
            "value",
            None,
        ),
        (
            Code.VLLM_ARG_NOT_MODELLED,
            Severity.WARNING,
            (("outputs", "vllm_args", "enable_lora"),),
            "key",
            None,
        ),
    ]
    # the valid ones reach the planner and the serve command
    assert plan.setup.enforce_eager and plan.memory.graphs == 0
    assert plan.config["enforce_eager"] is True and plan.config["enable_lora"] is True
    assert "block_size" not in plan.config and "max_num_seq" not in plan.config


def test_memory_flags_reach_the_planner() -> None:
    plan = make_plan(
        vllm_args={
            "max-num-seqs": 64,
            "max_num_batched_tokens": "4k",
            "block_size": 32,
            "cpu_offload_gb": 2,
            "kv_cache_memory_bytes": "20G",
        }
    )
    setup = plan.setup
    assert (setup.max_num_seqs, setup.max_num_batched_tokens, setup.block_size) == (64, 4000, 32)
    assert setup.cpu_offload_gb == 2.0 and setup.kv_cache_memory_bytes == 20 * 2**30
    assert plan.memory.stage.kv_cache == 20 * 2**30 and plan.memory.block_size == 32
    assert plan.config["max_num_batched_tokens"] == 4000
