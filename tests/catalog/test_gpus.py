"""Tests of the GPU catalog (``vllm_wizard.catalog.gpus`` and its ``gpus.json``)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import resources
from typing import Any

import pytest

from vllm_wizard.catalog.gpus import (
    GpuSpec,
    all_gpus,
    gpu_by_nvml_name,
    gpu_names,
    match_gpu,
    normalize_gpu_name,
    suggest_gpus,
)

GIB = 2**30
FIGURES = ("memory", "identity", "bandwidth", "tflops", "compute_capability", "interconnect")

REQUIRED = [
    # datacenter
    "B200", "GB200", "H200 SXM", "H100 SXM", "H100 PCIe", "H100 NVL", "H20 96GB", "H20 141GB",
    "H800 SXM", "L20",
    "A100 SXM 40GB", "A100 SXM 80GB", "A100 PCIe 40GB", "A100 PCIe 80GB", "A800 SXM 80GB",
    "L40S", "L40", "L4", "A10", "A10G", "A30", "A40", "V100 SXM2 16GB", "V100 SXM2 32GB", "T4",
    # workstation
    "RTX PRO 6000 Blackwell Workstation", "RTX 6000 Ada", "RTX A6000", "RTX A5000", "RTX A4000",
    # consumer
    "RTX 5090", "RTX 5080", "RTX 4090", "RTX 4080", "RTX 4070 Ti", "RTX 4060 Ti 16GB",
    "RTX 3090", "RTX 3090 Ti", "RTX 3080 10GB", "RTX 3060 12GB",
    # AMD
    "MI300X", "MI308X", "MI325X", "MI355X",
]  # fmt: skip

# Normalized names that deliberately fit several entries (the safe, smallest one is used).
INTENDED_AMBIGUOUS = {
    "h100": {"H100 SXM", "H100 PCIe", "H100 NVL"},
    "h10080g": {"H100 SXM", "H100 PCIe"},
    "h800": {"H800 SXM", "H800 PCIe"},
    "h80080g": {"H800 SXM", "H800 PCIe"},
    "a100": {"A100 SXM 40GB", "A100 SXM 80GB", "A100 PCIe 40GB", "A100 PCIe 80GB"},
    "a10040g": {"A100 SXM 40GB", "A100 PCIe 40GB"},
    "a10080g": {"A100 SXM 80GB", "A100 PCIe 80GB"},
    "a100sxm": {"A100 SXM 40GB", "A100 SXM 80GB"},
    "a100sxm4": {"A100 SXM 40GB", "A100 SXM 80GB"},
    "a100pcie": {"A100 PCIe 40GB", "A100 PCIe 80GB"},
    "a800": {"A800 SXM 80GB", "A800 PCIe 80GB"},
    "a80080g": {"A800 SXM 80GB", "A800 PCIe 80GB"},
    "v100": {"V100 SXM2 16GB", "V100 SXM2 32GB", "V100 PCIe 16GB", "V100 PCIe 32GB"},
    "v10016g": {"V100 SXM2 16GB", "V100 PCIe 16GB"},
    "v10032g": {"V100 SXM2 32GB", "V100 PCIe 32GB"},
    "v100sxm": {"V100 SXM2 16GB", "V100 SXM2 32GB"},
    "v100sxm2": {"V100 SXM2 16GB", "V100 SXM2 32GB"},
    "v100pcie": {"V100 PCIe 16GB", "V100 PCIe 32GB"},
    **{
        key: {
            "RTX PRO 6000 Blackwell Workstation",
            "RTX PRO 6000 Blackwell Server",
            "RTX PRO 6000 Blackwell Max-Q",
        }
        for key in ("pro6000", "6000pro", "pro6000blackwell", "6000blackwell")
    },
    "h20": {"H20 96GB", "H20 141GB"},
    "hgxh20": {"H20 96GB", "H20 141GB"},
    **{key: {"H200 SXM", "H200 NVL"} for key in ("h200", "h200141g")},
    "4060ti": {"RTX 4060 Ti 16GB", "RTX 4060 Ti 8GB"},
    "3080": {"RTX 3080 10GB", "RTX 3080 12GB"},
    "3060": {"RTX 3060 12GB", "RTX 3060 8GB"},
}
# NVML names shared by boards that differ only in memory size.
SHARED_NVML_NAMES = {
    "NVIDIA GeForce RTX 4060 Ti",
    "NVIDIA GeForce RTX 3080",
    "NVIDIA GeForce RTX 3060",
}


def by_name(name: str) -> GpuSpec:
    (spec,) = [s for s in all_gpus() if s.name == name]
    return spec


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    text = resources.files("vllm_wizard.catalog").joinpath("gpus.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


# --------------------------------------------------------------------------- the data


def test_catalog_has_at_least_40_gpus() -> None:
    assert len(all_gpus()) >= 40
    assert gpu_names() == [s.name for s in all_gpus()]


@pytest.mark.parametrize("name", REQUIRED)
def test_required_gpu_present(name: str) -> None:
    assert name in gpu_names()


def test_metadata_states_units_and_date(raw: dict[str, Any]) -> None:
    assert "2**30" in raw["$comment"] and "CUDA" in raw["$comment"]
    assert raw["compiled"] == "2026-11-22"
    assert raw["units"]["memory_gib"].startswith("GiB")


def test_every_figure_of_every_entry_cites_a_known_source(raw: dict[str, Any]) -> None:
    table = raw["sources"]
    for entry in raw["gpus"]:
        assert set(entry["sources"]) == set(FIGURES), entry["name"]
        for figure in FIGURES:
            tags = entry["sources"][figure]
            assert tags, (entry["name"], figure)
            assert all(tag in table for tag in tags), (entry["name"], figure, tags)
    used = {t for e in raw["gpus"] for tags in e["sources"].values() for t in tags}
    assert used == set(table), "every listed source is used"
    for spec in all_gpus():
        assert spec.sources and spec.memory_sources
        assert set(spec.memory_sources) <= set(spec.sources)


# A citation a user can follow: a URL, a pinned file in a repository, or a section of the
# project's sourced GPU notes. Anything else is a search-index id, which must say what the file
# is and what it shows, since nobody outside this project can open it.
URL = re.compile(r"https://\S+")
PINNED_FILE = re.compile(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}:\S+")
GPU_NOTES = re.compile(r"shared/data/gpus\.md(#\S+)?")
DESCRIBED_INDEX_FILE = re.compile(r"index file idx:(\d+) \(repository not found\): (.+)")
BARE_INDEX_ID = re.compile(r"(project search-index file |index file )?idx:\d+( \([^)]*\))?")


def openable(citation: str) -> bool:
    return any(p.fullmatch(citation) for p in (URL, PINNED_FILE, GPU_NOTES))


def test_every_source_can_be_opened_or_says_what_the_index_file_is(raw: dict[str, Any]) -> None:
    for tag, citation in raw["sources"].items():
        described = DESCRIBED_INDEX_FILE.fullmatch(citation)
        assert openable(citation) or described, (tag, citation)
        if described:
            # a description, not a restatement of the id: what the file is and the figure in it
            assert len(described[2]) >= 60 and "idx:" not in described[2], (tag, citation)
        if tag.startswith("idx:"):
            # a tag named after an index id is kept only while the file stays unresolved
            assert described and tag == f"idx:{described[1]}", (tag, citation)


def test_no_gpu_shows_a_bare_index_id_as_its_first_source() -> None:
    for spec in all_gpus():
        assert not BARE_INDEX_ID.fullmatch(spec.sources[0]), (spec.name, spec.sources[0])
        assert all(openable(c) or DESCRIBED_INDEX_FILE.fullmatch(c) for c in spec.sources)


def test_within_a_figure_a_source_the_user_can_open_comes_first(raw: dict[str, Any]) -> None:
    table = raw["sources"]
    for entry in raw["gpus"]:
        for figure, tags in entry["sources"].items():
            kinds = [openable(table[tag]) for tag in tags]
            assert kinds == sorted(kinds, reverse=True), (entry["name"], figure, tags)


def test_tags_quoted_in_the_notes_are_listed_sources(raw: dict[str, Any]) -> None:
    for entry in raw["gpus"]:
        for field in ("memory_source", "memory_note", "perf_note", "interconnect_detail"):
            for group in re.findall(r"\[([^\]]*)\]", entry.get(field) or ""):
                for tag in group.split(", "):
                    assert tag in raw["sources"], (entry["name"], field, tag)


@pytest.mark.parametrize("spec", all_gpus(), ids=lambda s: s.name)
def test_figures_are_plausible(spec: GpuSpec) -> None:
    # CUDA's total sits below the marketing figure and nvidia-smi's memory.total.
    assert 0.90 * spec.marketing_memory_gb < spec.memory_gib < spec.marketing_memory_gb
    if spec.vendor == "nvidia":
        assert spec.nvml_memory_total_mib
        assert spec.memory_gib * 1024 < max(spec.nvml_memory_total_mib)
        assert spec.memory_gib * 1024 > 0.9 * max(spec.nvml_memory_total_mib)
    assert 200 <= spec.bandwidth_gb_s <= 10_000
    assert 20 <= spec.bf16_tflops <= 3_000
    if spec.fp8:
        assert spec.fp8_tflops is not None
        assert 1.9 <= spec.fp8_tflops / spec.bf16_tflops <= 2.1
    else:
        assert spec.fp8_tflops is None
    assert spec.interconnect in ("nvlink", "pcie") and spec.interconnect_detail
    assert spec.memory_source
    if not spec.memory_measured:
        assert spec.memory_source.startswith("derived")
        assert spec.memory_note, "a derived figure says why"


@pytest.mark.parametrize("spec", all_gpus(), ids=lambda s: s.name)
def test_compute_capability_arch_and_fp8_agree(spec: GpuSpec) -> None:
    if spec.vendor == "amd":
        assert spec.compute_capability is None
        assert spec.arch.startswith("gfx")
        assert spec.fp8 and spec.bf16
        return
    cc = spec.compute_capability
    assert cc is not None and (7, 0) <= cc <= (12, 9)
    assert spec.arch == f"sm_{cc[0]}{cc[1]}"
    assert spec.fp8 == (cc >= (8, 9)), "hardware FP8 starts at compute capability 8.9"
    assert spec.bf16 == (cc >= (8, 0))


def test_no_bfloat16_on_volta_and_turing() -> None:
    assert not by_name("T4").bf16
    assert not by_name("V100 SXM2 16GB").bf16
    assert by_name("A100 SXM 80GB").bf16
    assert by_name("MI300X").bf16


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("H100 SXM", 79.0, 79.4),  # nvidia-smi says 81559 MiB (79.65 GiB)
        ("H100 PCIe", 79.0, 79.4),
        ("A100 SXM 80GB", 79.0, 79.4),
        ("A100 PCIe 40GB", 39.2, 39.6),
        ("H200 SXM", 139.5, 140.0),
        ("RTX 3090", 23.4, 23.8),
        ("RTX 4090", 23.5, 23.8),
        ("L4", 21.8, 22.1),
        ("L40S", 44.3, 44.7),
        ("T4", 14.5, 14.9),
        ("MI300X", 191.5, 192.0),
    ],
)
def test_memory_is_what_cuda_reports_not_the_marketing_figure(
    name: str, low: float, high: float
) -> None:
    assert low <= by_name(name).memory_gib <= high


def test_h100_budget_matches_vllm_logs() -> None:
    # vLLM's H100 logs show a 71.26 GiB budget at gpu_memory_utilization 0.90.
    assert round(by_name("H100 SXM").memory_gib * 0.90, 2) == 71.26


def test_a100_family_is_what_vllm_checks() -> None:
    # vLLM's batch defaults test '"a100" in device_name.lower()'.
    for spec in all_gpus():
        is_a100 = any("a100" in n.lower() for n in spec.nvml_names)
        assert is_a100 == (spec.family == "A100"), spec.name


# --------------------------------------------------------------------------- uniqueness


def test_canonical_and_nvml_names_are_unique() -> None:
    names = [s.name.casefold() for s in all_gpus()]
    assert len(names) == len(set(names))
    owners: dict[str, set[str]] = {}
    for spec in all_gpus():
        for nvml in spec.nvml_names:
            owners.setdefault(nvml, set()).add(spec.name)
    shared = {nvml for nvml, who in owners.items() if len(who) > 1}
    assert shared == SHARED_NVML_NAMES
    # A canonical name is never another entry's NVML name.
    for spec in all_gpus():
        assert owners.get(spec.name, {spec.name}) == {spec.name}


def test_only_intended_names_are_ambiguous() -> None:
    index: dict[str, set[str]] = {}
    for spec in all_gpus():
        for text in (spec.name, *spec.nvml_names, *spec.aliases):
            index.setdefault(normalize_gpu_name(text), set()).add(spec.name)
    ambiguous = {key: names for key, names in index.items() if len(names) > 1}
    assert ambiguous == INTENDED_AMBIGUOUS


def test_canonical_names_are_not_ambiguous() -> None:
    for spec in all_gpus():
        m = match_gpu(spec.name)
        assert m is not None and m.how == "exact" and not m.ambiguous and m.spec == spec
        m = match_gpu(spec.name.upper().replace(" ", "-"))
        assert m is not None and m.spec == spec and not m.ambiguous, spec.name


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("spec", "nvml"), [(s, n) for s in all_gpus() for n in s.nvml_names], ids=str
)
def test_exact_match_by_every_nvml_name(spec: GpuSpec, nvml: str) -> None:
    for text in (nvml, nvml.upper(), nvml.lower(), f"  {nvml} "):
        m = match_gpu(text)
        assert m is not None and m.how == "exact"
        assert spec in m.candidates
        assert m.ambiguous == (nvml in SHARED_NVML_NAMES)
    for total in spec.nvml_memory_total_mib:
        assert gpu_by_nvml_name(nvml, total) == spec
    assert gpu_by_nvml_name(nvml) == min(
        (s for s in all_gpus() if nvml in s.nvml_names), key=lambda s: s.memory_gib
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("H100 SXM", "H100 SXM"),
        ("h100-sxm", "H100 SXM"),
        ("H100_SXM5_80GB", "H100 SXM"),
        ("NVIDIA_H100_80GB_HBM3", "H100 SXM"),  # vLLM's tuned-config spelling
        ("h100 pcie", "H100 PCIe"),
        ("H100 NVL", "H100 NVL"),
        ("h100-94g", "H100 NVL"),
        ("4090", "RTX 4090"),
        ("rtx4090", "RTX 4090"),
        ("RTX 4090", "RTX 4090"),
        ("GeForce RTX 4090", "RTX 4090"),
        ("rtx-4080", "RTX 4080"),
        ("4070ti", "RTX 4070 Ti"),
        ("3090 Ti", "RTX 3090 Ti"),
        ("3090", "RTX 3090"),
        ("A100-SXM4-80GB", "A100 SXM 80GB"),
        ("a100 sxm 80 gb", "A100 SXM 80GB"),
        ("A100 80GB PCIe", "A100 PCIe 80GB"),
        ("L40s", "L40S"),
        ("L40", "L40"),
        ("l4", "L4"),
        ("A10", "A10"),
        ("a10g", "A10G"),
        ("A6000", "RTX A6000"),
        ("rtxa6000", "RTX A6000"),
        ("6000 Ada", "RTX 6000 Ada"),
        ("RTX6000Ada", "RTX 6000 Ada"),
        ("t4", "T4"),
        ("H200 SXM", "H200 SXM"),
        ("h200 nvl", "H200 NVL"),
        ("NVIDIA H20", "H20 96GB"),
        ("h20 96gb", "H20 96GB"),
        ("H20-3e", "H20 141GB"),
        ("NVIDIA H20-3e", "H20 141GB"),
        ("H20 141GB", "H20 141GB"),
        ("L20", "L20"),
        ("nvidia l20", "L20"),
        ("MI308X", "MI308X"),
        ("AMD Instinct MI355X", "MI355X"),
        ("gb200 nvl72", "GB200"),
        ("mi300x", "MI300X"),
        ("AMD MI325X", "MI325X"),
        ("4060 Ti 16GB", "RTX 4060 Ti 16GB"),
        ("4060Ti-16G", "RTX 4060 Ti 16GB"),
        ("RTX PRO 6000 Server", "RTX PRO 6000 Blackwell Server"),
    ],
)
def test_alias_matching(typed: str, expected: str) -> None:
    m = match_gpu(typed)
    assert m is not None
    assert (m.spec.name, m.ambiguous) == (expected, False)


def test_l4_l40_a10_do_not_prefix_match() -> None:
    for typed, expected in [("L4", "L4"), ("L40", "L40"), ("A10", "A10"), ("A10G", "A10G")]:
        m = match_gpu(typed)
        assert m is not None and m.spec.name == expected and not m.ambiguous


@pytest.mark.parametrize(
    ("typed", "expected", "count"),
    [
        ("H100", "H100 PCIe", 3),
        ("h100 80gb", "H100 PCIe", 2),
        ("A100", "A100 PCIe 40GB", 4),
        ("A100 80GB", "A100 PCIe 80GB", 2),
        ("a100-80g", "A100 PCIe 80GB", 2),
        ("A100 40GB", "A100 PCIe 40GB", 2),
        ("V100", "V100 SXM2 16GB", 4),
        ("V100 32GB", "V100 PCIe 32GB", 2),  # same memory: the slower board
        ("H800", "H800 PCIe", 2),
        ("H20", "H20 96GB", 2),
        ("H200", "H200 NVL", 2),  # same memory: the slower board
        ("A800", "A800 PCIe 80GB", 2),
        ("RTX PRO 6000", "RTX PRO 6000 Blackwell Max-Q", 3),
        ("4060 Ti", "RTX 4060 Ti 8GB", 2),
        ("RTX 3080", "RTX 3080 10GB", 2),
        ("3060", "RTX 3060 8GB", 2),
        ("NVIDIA GeForce RTX 3060", "RTX 3060 8GB", 2),
    ],
)
def test_ambiguous_name_gives_all_candidates_and_the_smallest(
    typed: str, expected: str, count: int
) -> None:
    m = match_gpu(typed)
    assert m is not None and m.ambiguous, "warn-worthy"
    assert len(m.candidates) == count
    assert m.spec.name == expected
    assert m.spec == m.candidates[0]
    assert m.spec.memory_gib == min(c.memory_gib for c in m.candidates)
    assert [c.memory_gib for c in m.candidates] == sorted(c.memory_gib for c in m.candidates)


def test_ambiguous_h100_names_every_form_factor() -> None:
    m = match_gpu("H100")
    assert m is not None and m.how == "alias"
    assert {c.name for c in m.candidates} == {"H100 SXM", "H100 PCIe", "H100 NVL"}
    assert m.spec.memory_gib < 79.4


@pytest.mark.parametrize("typed", ["RTX 9090", "H1000", "Quadro RTX 6000", "A100 120GB"])
def test_unknown_name_is_none_with_suggestions(typed: str) -> None:
    assert match_gpu(typed) is None
    suggestions = suggest_gpus(typed)
    assert 1 <= len(suggestions) <= 3
    assert all(s in gpu_names() for s in suggestions)


def test_suggestions_start_with_the_boards_the_name_begins() -> None:
    assert suggest_gpus("RTX 6000") == [
        "RTX PRO 6000 Blackwell Max-Q",
        "RTX 6000 Ada",
        "RTX PRO 6000 Blackwell Server",
    ]
    assert suggest_gpus("H10") == ["H100 PCIe", "H100 SXM", "H100 NVL"]
    assert suggest_gpus("MI300")[:2] == ["MI300X", "MI308X"]


def test_unrelated_name_is_none() -> None:
    assert match_gpu("Radeon RX 7900 XTX") is None
    assert match_gpu("Apple M3 Max") is None


def test_suggestions_are_close() -> None:
    assert "RTX 4090" in suggest_gpus("RTX 4900")
    assert any(s.startswith("H100") for s in suggest_gpus("H10"))
    assert suggest_gpus("RTX 9090", limit=1) in (["RTX 5090"], ["RTX 4090"], ["RTX 3090"])
    assert len(suggest_gpus("A100", limit=2)) == 2
    assert suggest_gpus("zzzz") == []
    assert suggest_gpus("") == []


def test_empty_and_blank_names() -> None:
    assert match_gpu("") is None
    assert match_gpu("   ") is None
    assert match_gpu("nvidia") is None  # normalizes to nothing


# --------------------------------------------------------------------------- NVML


def test_nvml_memory_total_tells_same_named_boards_apart() -> None:
    name = "NVIDIA GeForce RTX 4060 Ti"
    assert gpu_by_nvml_name(name, 16380) == by_name("RTX 4060 Ti 16GB")
    assert gpu_by_nvml_name(name, 8188) == by_name("RTX 4060 Ti 8GB")
    assert gpu_by_nvml_name(name) == by_name("RTX 4060 Ti 8GB"), "no memory: the safe one"
    assert gpu_by_nvml_name("NVIDIA GeForce RTX 3080", 12288) == by_name("RTX 3080 12GB")
    assert gpu_by_nvml_name("NVIDIA GeForce RTX 3080", 10240) == by_name("RTX 3080 10GB")


def test_nvml_memory_total_tolerates_old_drivers_but_not_unknown_variants() -> None:
    assert gpu_by_nvml_name("Tesla T4", 15079) == by_name("T4")  # old driver's reduced total
    assert gpu_by_nvml_name("Tesla T4", 15360) == by_name("T4")
    assert gpu_by_nvml_name("NVIDIA RTX A6000", 46068) == by_name("RTX A6000")  # ECC on
    assert gpu_by_nvml_name("NVIDIA RTX A6000", 49140) == by_name("RTX A6000")  # ECC off
    assert gpu_by_nvml_name("NVIDIA RTX A5000", 23028) is None  # ECC on: not in the catalog
    assert gpu_by_nvml_name("NVIDIA H100 80GB HBM3", 40960) is None
    assert gpu_by_nvml_name("NVIDIA GeForce RTX 4060", 8188) is None  # not catalogued
    assert gpu_by_nvml_name("H100") is None, "aliases are not NVML names"


def test_nvml_name_distinguishes_h100_form_factors() -> None:
    # SXM and PCIe report the same memory.total; only the NVML name tells them apart.
    assert gpu_by_nvml_name("NVIDIA H100 80GB HBM3", 81559) == by_name("H100 SXM")
    assert gpu_by_nvml_name("NVIDIA H100 PCIe", 81559) == by_name("H100 PCIe")
    assert gpu_by_nvml_name("NVIDIA A100 80GB PCIe") == by_name("A100 PCIe 80GB")
    assert gpu_by_nvml_name("NVIDIA A100-PCIE-40GB") == by_name("A100 PCIe 40GB")


# --------------------------------------------------------------------------- loader


def test_catalog_is_loaded_once() -> None:
    assert all_gpus() is all_gpus()


def test_import_is_light() -> None:
    code = (
        "import sys, vllm_wizard.catalog.gpus as g; g.all_gpus(); g.match_gpu('H100'); "
        "heavy = {'pynvml', 'huggingface_hub', 'pygls', 'pydantic', 'yaml', 'torch'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_specs_are_frozen() -> None:
    spec = by_name("H100 SXM")
    with pytest.raises(AttributeError):
        spec.memory_gib = 80.0  # type: ignore[misc]
    assert hash(spec) == hash(by_name("H100 SXM"))
