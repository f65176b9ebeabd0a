"""Which vLLM release's memory rules a `vllm_version` gets (planning/versions.py)."""

from __future__ import annotations

import pytest

from vllm_wizard.planning.versions import (
    KNOWN_RELEASES,
    nearest_known,
    rules_for,
    version_key,
)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("0.11.0", (0, 11, 0)),
        ("v0.33.0", (0, 33, 0)),
        ("0.8", (0, 8, 0)),
        (" 0.10.1.1 ", (0, 10, 1)),
        ("0.29.1rc1+g4ba787ec9", (0, 29, 1)),
        ("1.2.3.dev4", (1, 2, 3)),
    ],
)
def test_version_key_ignores_prefix_and_suffixes(text: str, key: tuple[int, int, int]) -> None:
    assert version_key(text) == key


@pytest.mark.parametrize("text", ["", "latest", "x0.11", "0"])
def test_version_key_rejects_what_is_not_a_version(text: str) -> None:
    with pytest.raises(ValueError, match="not a vLLM version"):
        version_key(text)


def test_known_releases_are_sorted_and_end_at_the_pinned_release() -> None:
    keys = [version_key(r) for r in KNOWN_RELEASES]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert KNOWN_RELEASES[0] == "0.10.1" and KNOWN_RELEASES[-1] == "0.33.0"


@pytest.mark.parametrize(
    ("asked", "release"),
    [
        ("0.33.0", "0.33.0"),
        ("0.10.1.1", "0.10.1"),  # 0.10.1 stands for 0.10.1.1
        ("0.12.3", "0.11.0"),  # between two known releases: the older one
        ("0.16.0", "0.14.0"),
        ("0.31.0", "0.30.0"),
        ("0.29.1rc1", "0.29.0"),
        ("0.40.0", "0.33.0"),  # newer than any known: the newest
        ("0.6.4", "0.10.1"),  # older than any known: the oldest
    ],
)
def test_nearest_known(asked: str, release: str) -> None:
    assert nearest_known(asked) == release
    assert rules_for(asked).release == release


def test_exact_and_newer_than_known() -> None:
    assert rules_for("0.33.0").exact and not rules_for("0.33.0").newer_than_known
    assert rules_for("0.10.1.1").exact  # the patch digit past the third is ignored
    assert not rules_for("0.12.0").exact and not rules_for("0.12.0").newer_than_known
    assert not rules_for("0.34.0").exact and rules_for("0.34.0").newer_than_known
    assert rules_for("v0.11.0").requested == "0.11.0"


# Each switch: the last known release without it, then the first with it (DESIGN §3 and the
# research notes' §11 table, read from the wheels), and the first release without it again for
# the V1 runner's windows (its lean sampler warm-up and larger non-torch memory, from the 0.19
# H100 logs in tests/accuracy, end with Model Runner V2 at 0.29).
SWITCHES = [
    ("budget_ceil", "0.11.0", "0.14.0", None),
    ("auto_max_model_len", "0.11.0", "0.14.0", None),
    ("full_and_piecewise_graphs", "0.10.1", "0.11.0", None),
    ("capture_stride_16", "0.10.1", "0.11.0", None),
    ("pp_checked_per_stage", "0.14.0", "0.17.0", None),
    ("performance_mode", "0.14.0", "0.17.0", None),
    ("cuda_graph_in_budget", "0.19.0", "0.20.0", None),
    ("tokens_from_concurrency", "0.21.0", "0.22.0", None),
    ("async_in_flight", "0.24.0", "0.26.0", None),
    ("batch_tier_160", "0.27.0", "0.28.0", None),
    ("model_runner_v2", "0.28.0", "0.29.0", None),
    ("null_block_reserved", "0.28.0", "0.29.0", None),
    ("online_fp8_per_tensor", "0.30.0", "0.32.0", None),
    ("lean_v1_sampler", "0.14.0", "0.17.0", "0.29.0"),
    ("larger_non_torch_tp", "0.14.0", "0.17.0", None),
    ("fi_allreduce_fusion", "0.14.0", "0.17.0", None),
    ("fi_standalone_allreduce", "0.28.0", "0.29.0", None),
    ("fi_mnnvl_first", "0.24.0", "0.26.0", None),
]


# Switches whose window closes before 0.28: (switch, last without, first with, first without)
WINDOWS = [
    ("larger_non_torch_tp1", "0.17.0", "0.18.0", "0.27.0"),
    ("fi_fusion_single_stage_only", "0.14.0", "0.17.0", "0.21.0"),
    ("fi_buffers_multicast_granular", "0.14.0", "0.17.0", "0.27.0"),
]


@pytest.mark.parametrize(
    ("switch", "before", "since", "until"), WINDOWS, ids=[w[0] for w in WINDOWS]
)
def test_each_window_opens_and_closes(switch: str, before: str, since: str, until: str) -> None:
    assert getattr(rules_for(before), switch) is False
    assert getattr(rules_for(since), switch) is True
    assert getattr(rules_for(until), switch) is False
    assert getattr(rules_for("0.33.0"), switch) is False


@pytest.mark.parametrize(
    ("switch", "before", "since", "until"), SWITCHES, ids=[s[0] for s in SWITCHES]
)
def test_each_rule_switches_on_at_its_release(
    switch: str, before: str, since: str, until: str | None
) -> None:
    assert getattr(rules_for(before), switch) is False
    assert getattr(rules_for(since), switch) is True
    assert getattr(rules_for("0.10.1"), switch) is False
    if until is None:
        assert getattr(rules_for("0.33.0"), switch) is True
    else:
        assert getattr(rules_for("0.28.0"), switch) is True
        assert getattr(rules_for(until), switch) is False
        assert getattr(rules_for("0.33.0"), switch) is False


def test_a_release_between_two_known_ones_gets_the_older_rules() -> None:
    # 0.19.5 is planned as 0.19.0: CUDA graphs are not yet in the budget
    assert rules_for("0.19.5").cuda_graph_in_budget is False
    assert rules_for("0.20.2").cuda_graph_in_budget is True


def test_refusal_wording_and_default_utilization() -> None:
    assert rules_for("0.21.0").refusal_wording == "models's"
    assert rules_for("0.22.0").refusal_wording == "model's"
    assert rules_for("0.19.0").default_utilization == 0.90
    assert rules_for("0.20.0").default_utilization == 0.92


def test_v0_engine_before_0_8() -> None:
    assert rules_for("0.7.3").v0_engine is True
    assert rules_for("0.6.4").release == "0.10.1"  # otherwise the oldest known rules
    assert rules_for("0.8.0").v0_engine is False
    assert rules_for("0.10.1").v0_engine is False
