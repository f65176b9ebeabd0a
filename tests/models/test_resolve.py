"""models/resolve.py: model.id → ModelArch + parameter count, source by source.

Local folders and HF caches are built in tmp_path from the real config.json fixtures
(tests/fixtures/configs, see SOURCES.md). The Hub is an ``httpx2.MockTransport`` installed
with huggingface_hub's ``set_client_factory``: it answers the three requests a fetch makes
(``GET /api/models/<id>[/revision/<rev>]``, ``HEAD`` and ``GET resolve/<rev>/config.json``)
and the Hub's error headers.
"""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from models_testing import resolved, unresolved
from vllm_wizard.catalog.models import catalog_model
from vllm_wizard.models import hub
from vllm_wizard.models.arch import arch_from_config, estimate_params
from vllm_wizard.models.resolve import (
    resolve_model,
    resolve_model_locally,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "configs"
SHA = "0123456789abcdef0123456789abcdef01234567"
SHA2 = "89abcdef0123456789abcdef0123456789abcdef"


def config_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def config(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(config_bytes(name))
    return data


def safetensors_header(tensors: dict[str, tuple[str, list[int]]]) -> bytes:
    """The 8-byte length and JSON header of a safetensors file; the data is never read."""
    header: dict[str, Any] = {}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        size = math.prod(shape) * 2
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw


def cache_repo(
    model_id: str, files: dict[str, bytes], *, commit: str = SHA, ref: str | None = "main"
) -> Path:
    """A repo in the HF cache under this test's HF_HOME, as huggingface_hub lays it out."""
    folder = hub.hf_cache_dir() / ("models--" + model_id.replace("/", "--"))
    snapshot = folder / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (folder / "blobs").mkdir(exist_ok=True)
    for name, content in files.items():
        blob = folder / "blobs" / hashlib.sha256(content).hexdigest()
        blob.write_bytes(content)
        (snapshot / name).symlink_to(blob)
    if ref is not None:
        (folder / "refs").mkdir(exist_ok=True)
        (folder / "refs" / ref).write_text(commit)
    return snapshot


@pytest.fixture(autouse=True)
def _fresh_memo() -> Iterator[None]:
    hub.clear_hub_memo()
    yield
    hub.clear_hub_memo()


# ---------------------------------------------------------------------------------------------
# Local folders
# ---------------------------------------------------------------------------------------------


def test_local_folder_relative_to_base_dir(tmp_path: Path) -> None:
    folder = tmp_path / "profiles" / "models" / "phi"
    folder.mkdir(parents=True)
    (folder / "config.json").write_bytes(config_bytes("microsoft--phi-4"))
    result = resolved(resolve_model_locally("./models/phi", base_dir=tmp_path / "profiles"))

    assert result.source == "local"
    assert result.source_detail == str(folder)
    assert result.arch.model_type == "phi3"
    expected = estimate_params(arch_from_config(config("microsoft--phi-4"))).total
    assert (result.params_total, result.params_source) == (expected, "estimate")
    assert result.params_by_dtype is None
    assert any("estimated from config.json" in note for note in result.notes)
    # a repo-id-shaped relative path is a folder too when it exists (as vLLM decides)
    again = resolved(resolve_model_locally("models/phi", base_dir=tmp_path / "profiles"))
    assert again.source == "local"


def test_local_folder_absolute_and_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / "llama"
    folder.mkdir()
    (folder / "config.json").write_bytes(config_bytes("meta-llama--Llama-3.1-8B-Instruct"))
    assert resolved(resolve_model_locally(str(folder))).source == "local"
    assert resolved(resolve_model_locally("~/llama")).source_detail == str(folder)


def test_local_folder_with_weights_counts_exactly(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_bytes(config_bytes("mistralai--Mixtral-8x7B-Instruct-v0.1"))
    (tmp_path / "model.safetensors").write_bytes(
        safetensors_header({"a": ("BF16", [1000, 1000]), "b": ("F32", [10])})
    )
    result = resolved(resolve_model_locally(str(tmp_path), revision="v1"))
    assert (result.params_total, result.params_source) == (1_000_010, "safetensors")
    assert dict(result.params_by_dtype or {}) == {"BF16": 1_000_000, "F32": 10}
    # Mixtral is MoE: the active count is estimated, and said so
    arch = arch_from_config(config("mistralai--Mixtral-8x7B-Instruct-v0.1"))
    assert result.params_active == estimate_params(arch).active
    assert "active parameters estimated from config.json" in result.notes
    assert "revision is ignored for a local folder" in result.notes


def test_tied_lm_head_stored_anyway_is_not_counted(tmp_path: Path) -> None:
    data = config("meta-llama--Llama-3.1-8B-Instruct")
    data["tie_word_embeddings"] = True
    (tmp_path / "config.json").write_text(json.dumps(data))
    (tmp_path / "model.safetensors").write_bytes(
        safetensors_header(
            {
                "model.embed_tokens.weight": ("BF16", [128256, 4096]),
                "lm_head.weight": ("BF16", [128256, 4096]),
            }
        )
    )
    result = resolved(resolve_model_locally(str(tmp_path)))
    assert result.params_total == 128256 * 4096
    assert any("lm_head.weight" in note for note in result.notes)


def test_local_folder_with_broken_json(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "llama",\n  "hidden_size": }')
    result = unresolved(resolve_model_locally(str(tmp_path)))
    assert result.reason == "invalid-config"
    assert "is not valid JSON" in result.message
    assert "line 2" in result.message


def test_local_folder_with_unusable_config_carries_the_arch_message(tmp_path: Path) -> None:
    from vllm_wizard.models.arch import ModelConfigError

    data = config("meta-llama--Llama-3.1-8B-Instruct")
    del data["num_hidden_layers"]
    (tmp_path / "config.json").write_text(json.dumps(data))
    with pytest.raises(ModelConfigError) as expected:
        arch_from_config(data)
    result = unresolved(resolve_model_locally(str(tmp_path)))
    assert result.reason == "invalid-config"
    assert expected.value.message in result.message


def test_folder_without_config(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = unresolved(resolve_model_locally("./empty", base_dir=tmp_path))
    assert result.reason == "not-found"
    assert "has no config.json" in result.message
    assert result.tried == (f"local folder {tmp_path / 'empty'} (no config.json)",)


def test_repo_shaped_folder_without_config_falls_through_to_the_catalog(tmp_path: Path) -> None:
    (tmp_path / "meta-llama" / "Llama-3.1-8B-Instruct").mkdir(parents=True)
    result = resolved(resolve_model_locally("meta-llama/Llama-3.1-8B-Instruct", base_dir=tmp_path))
    assert result.source == "catalog"


# ---------------------------------------------------------------------------------------------
# Catalog
# ---------------------------------------------------------------------------------------------


def test_catalog_hit() -> None:
    result = resolved(resolve_model_locally("meta-llama/Llama-3.1-8B-Instruct"))
    assert result.source == "catalog"
    assert result.source_detail == "bundled catalog"
    assert (result.params_total, result.params_source) == (8_030_261_248, "safetensors")
    assert result.params_active is None
    assert result.arch.num_layers == 32
    assert result.notes == ()


def test_catalog_moe_and_model_card_counts() -> None:
    result = resolved(resolve_model_locally("deepseek-ai/DeepSeek-V3"))
    entry = catalog_model("deepseek-ai/DeepSeek-V3")
    assert entry is not None
    assert (result.params_total, result.params_active) == (entry.params_total, entry.params_active)
    assert result.params_source == "model_card"
    assert result.arch.is_mla


def test_catalog_ignores_case_and_reports_the_canonical_id() -> None:
    result = resolved(resolve_model_locally("META-LLAMA/llama-3.1-8b-instruct"))
    assert result.model_id == "meta-llama/Llama-3.1-8B-Instruct"
    assert any("catalog entry" in note for note in result.notes)


@pytest.mark.parametrize(
    ("model_id", "source", "limit_s"),
    [
        ("Qwen/Qwen3-32B", "catalog", 0.002),  # DESIGN: < 2 ms for a catalog hit after the load
        # a quantized copy planned from its name (models/derived.py): ~0.6 ms on a loaded machine
        ("acme-quant/Meta-Llama-3.1-8B-Instruct-AWQ-INT4", "derived", 0.01),
    ],
)
def test_local_hits_do_not_import_huggingface_hub_and_are_fast(
    model_id: str, source: str, limit_s: float
) -> None:
    code = (
        "import sys, time\n"
        "from vllm_wizard.models.resolve import resolve_model_locally\n"
        f"resolve_model_locally({model_id!r})\n"
        "start = time.perf_counter()\n"
        "for _ in range(200):\n"
        f"    r = resolve_model_locally({model_id!r})\n"
        "per_call = (time.perf_counter() - start) / 200\n"
        f"assert r.source == {source!r}, r\n"
        "assert 'huggingface_hub' not in sys.modules, 'huggingface_hub was imported'\n"
        "print(per_call)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) < limit_s


def test_offline_miss_does_not_import_huggingface_hub() -> None:
    code = (
        "import sys\n"
        "from vllm_wizard.models.resolve import resolve_model\n"
        "r = resolve_model('org/unknown', offline=True)\n"
        "assert r.reason == 'offline', r\n"
        "assert 'huggingface_hub' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_revision_pinned_skips_the_catalog() -> None:
    result = unresolved(resolve_model("meta-llama/Llama-3.1-8B-Instruct", revision="v1"))
    assert result.reason == "offline"  # conftest: HF_HUB_OFFLINE=1
    assert "bundled catalog (skipped: revision pinned)" in result.tried
    assert "drop `model.revision`" in result.message
    assert result.suggestions == ()


# ---------------------------------------------------------------------------------------------
# HF cache
# ---------------------------------------------------------------------------------------------


def test_hf_cache_hit_follows_refs_main() -> None:
    snapshot = cache_repo("acme/phi-ft", {"config.json": config_bytes("microsoft--phi-4")})
    result = resolved(resolve_model_locally("acme/phi-ft"))
    assert result.source == "hf-cache"
    assert result.source_detail == str(snapshot)
    assert result.params_source == "estimate"
    assert "the weights are not in the Hugging Face cache" in " ".join(result.notes)


def test_hf_cache_with_weights_is_exact() -> None:
    weights = safetensors_header({"w": ("BF16", [4096, 4096])})
    cache_repo(
        "acme/llama-ft",
        {
            "config.json": config_bytes("meta-llama--Llama-3.1-8B-Instruct"),
            "model.safetensors": weights,
        },
    )
    result = resolved(resolve_model("acme/llama-ft"))
    assert (result.source, result.params_source) == ("hf-cache", "safetensors")
    assert result.params_total == 4096 * 4096
    assert "parameter count from the cached safetensors headers" in result.notes


def test_revision_pinned_finds_its_cached_snapshot() -> None:
    cache_repo("Qwen/Qwen3-32B", {"config.json": config_bytes("Qwen--Qwen3-32B")}, ref=None)
    cache_repo(
        "Qwen/Qwen3-32B",
        {"config.json": config_bytes("Qwen--Qwen3-32B")},
        commit=SHA2,
        ref="v1",
    )
    by_ref = resolved(resolve_model_locally("Qwen/Qwen3-32B", revision="v1"))
    assert (by_ref.source, by_ref.revision) == ("hf-cache", "v1")
    assert by_ref.source_detail.endswith(SHA2)
    by_commit = resolved(resolve_model_locally("Qwen/Qwen3-32B", revision=SHA))
    assert by_commit.source_detail.endswith(SHA)


def test_quantized_checkpoint_counts_are_not_parameters() -> None:
    cache_repo(
        "TheBloke/CodeLlama-34B-AWQ",
        {
            "config.json": config_bytes("TheBloke--CodeLlama-34B-AWQ"),
            "model.safetensors": safetensors_header(
                {"q.qweight": ("I32", [8192, 1024]), "q.scales": ("F16", [64, 8192])}
            ),
        },
        ref=None,
        commit=SHA,
    )
    result = resolved(resolve_model_locally("TheBloke/CodeLlama-34B-AWQ", revision=SHA))
    arch = arch_from_config(config("TheBloke--CodeLlama-34B-AWQ"))
    assert (result.params_total, result.params_source) == (estimate_params(arch).total, "estimate")
    assert dict(result.params_by_dtype or {}) == {"I32": 8192 * 1024, "F16": 64 * 8192}
    assert any("packs weights" in note for note in result.notes)


def test_cached_config_that_is_broken() -> None:
    cache_repo("acme/broken", {"config.json": b"{not json"})
    result = unresolved(resolve_model_locally("acme/broken"))
    assert result.reason == "invalid-config"
    assert "delete that snapshot" in result.message


# ---------------------------------------------------------------------------------------------
# Failures without the Hub
# ---------------------------------------------------------------------------------------------


def test_unknown_id_offline_suggests_catalog_names() -> None:
    result = unresolved(resolve_model("meta-llama/Llama-3.1-8B-Instruc", offline=True))
    assert result.reason == "offline"
    assert result.suggestions[0] == "meta-llama/Llama-3.1-8B-Instruct"
    assert "did you mean meta-llama/Llama-3.1-8B-Instruct" in result.message
    assert "point `model.id` at a local folder with the model's config.json" in result.message
    assert "params_b" not in result.message  # it cannot stand in for the architecture
    assert result.tried == (
        "bundled catalog",
        f"Hugging Face cache ({hub.display_path(hub.hf_cache_dir())})",
        "Hugging Face Hub (offline)",
    )


def test_locally_a_miss_says_the_hub_was_not_asked() -> None:
    result = unresolved(resolve_model_locally("org/unknown"))
    assert result.reason == "offline"
    assert result.tried[-1] == "Hugging Face Hub (not asked)"


@pytest.mark.parametrize("model_id", ["not a model", "org/na..me", "a/b/c", "./missing", ""])
def test_bad_id(model_id: str, tmp_path: Path) -> None:
    result = unresolved(resolve_model(model_id, base_dir=tmp_path))
    assert result.reason == "bad-id"
    assert "`model.id`" in result.message


def test_params_b_override() -> None:
    result = resolved(resolve_model_locally("deepseek-ai/DeepSeek-V3", params_b=685.5))
    assert (result.params_total, result.params_source) == (685_500_000_000, "params_b")
    assert result.params_active == 37_000_000_000  # the catalog's, unchanged
    assert result.params_by_dtype is None
    assert "parameter count from model.params_b (685.5B)" in result.notes


def test_params_b_without_an_architecture_is_still_unresolved() -> None:
    result = unresolved(resolve_model("org/unknown", params_b=7.0, offline=True))
    assert result.reason == "offline"
    assert "params_b" not in result.message  # already given: no point suggesting it


# ---------------------------------------------------------------------------------------------
# The Hub, behind a mock transport
# ---------------------------------------------------------------------------------------------

Handler = Callable[[Any], Any]


@pytest.fixture
def mock_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[Handler]]:
    """Online huggingface_hub over a MockTransport; append a handler to answer requests."""
    import httpx2
    import huggingface_hub
    from huggingface_hub import constants
    from huggingface_hub.utils import _http

    handlers: list[Handler] = []

    def dispatch(request: Any) -> Any:
        if request.url.path == "/api/agent-harnesses":
            return httpx2.Response(404)
        return handlers[-1](request)

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    huggingface_hub.set_client_factory(
        lambda: httpx2.Client(
            transport=httpx2.MockTransport(dispatch),
            event_hooks={"request": [_http.hf_request_event_hook]},
            follow_redirects=True,
        )
    )
    try:
        yield handlers
    finally:
        huggingface_hub.set_client_factory(_http.default_client_factory)


def hub_repo(
    model_id: str,
    config_file: bytes,
    *,
    safetensors: dict[str, int] | None,
    revisions: dict[str, str] | None = None,
) -> Handler:
    """One public repo: the model API, and HEAD/GET of config.json at its revisions."""
    import httpx2

    known = revisions or {"main": SHA}

    def handle(request: Any) -> Any:
        path = request.url.path
        api = f"/api/models/{model_id}"
        if path == api or path.startswith(api + "/revision/"):
            revision = path.removeprefix(api + "/revision/") if path != api else "main"
            if revision not in known and revision not in known.values():
                return httpx2.Response(404, headers={"X-Error-Code": "RevisionNotFound"})
            body: dict[str, Any] = {"id": model_id, "sha": known.get(revision, revision)}
            if safetensors is not None:
                body["safetensors"] = {
                    "parameters": safetensors,
                    "total": sum(safetensors.values()),
                }
            return httpx2.Response(200, json=body)
        prefix = f"/{model_id}/resolve/"
        if path.startswith(prefix) and path.endswith("/config.json"):
            revision = path.removeprefix(prefix).removesuffix("/config.json")
            commit = known.get(revision, revision)
            headers = {
                "X-Repo-Commit": commit,
                "ETag": f'"{hashlib.sha256(config_file).hexdigest()}"',
                "Content-Length": str(len(config_file)),
            }
            content = b"" if request.method == "HEAD" else config_file
            return httpx2.Response(200, headers=headers, content=content)
        return httpx2.Response(404, headers={"X-Error-Code": "EntryNotFound", "X-Repo-Commit": SHA})

    return handle


QWEN_NEXT = "Qwen/Qwen3-Next-80B-A3B-Thinking"
QWEN_NEXT_COUNTS = {"BF16": 81_324_862_720}


def test_hub_success_with_safetensors_counts(mock_hub: list[Handler]) -> None:
    mock_hub.append(
        hub_repo(
            QWEN_NEXT,
            config_bytes("Qwen--Qwen3-Next-80B-A3B-Thinking"),
            safetensors=QWEN_NEXT_COUNTS,
        )
    )
    result = resolved(resolve_model(QWEN_NEXT, timeout=2))
    assert result.source == "hub"
    assert result.source_detail == f"https://huggingface.co/{QWEN_NEXT}"
    assert (result.params_total, result.params_source) == (81_324_862_720, "safetensors")
    assert dict(result.params_by_dtype or {}) == QWEN_NEXT_COUNTS
    assert result.arch.attention == "hybrid"
    arch = arch_from_config(config("Qwen--Qwen3-Next-80B-A3B-Thinking"))
    assert result.params_active == estimate_params(arch).active
    assert f"commit {SHA[:12]}" in result.notes
    assert "parameter count from the Hub's safetensors metadata" in result.notes

    # now free: the memo answers locally, without the network
    mock_hub.append(lambda request: pytest.fail(f"unexpected request {request.url}"))
    assert resolve_model_locally(QWEN_NEXT) == result
    assert resolve_model(QWEN_NEXT) == result
    # the config landed in the HF cache; with the memo gone the cache answers offline
    hub.clear_hub_memo()
    cached = resolved(resolve_model(QWEN_NEXT, offline=True))
    assert cached.source == "hf-cache"
    assert cached.params_source == "estimate"


def test_hub_params_b_override(mock_hub: list[Handler]) -> None:
    mock_hub.append(
        hub_repo(
            QWEN_NEXT,
            config_bytes("Qwen--Qwen3-Next-80B-A3B-Thinking"),
            safetensors=QWEN_NEXT_COUNTS,
        )
    )
    result = resolved(resolve_model(QWEN_NEXT, params_b=80))
    assert (result.params_total, result.params_source) == (80_000_000_000, "params_b")
    assert result.params_by_dtype is None


def test_hub_at_a_pinned_revision(mock_hub: list[Handler]) -> None:
    mock_hub.append(
        hub_repo(
            "Qwen/Qwen3-32B",
            config_bytes("Qwen--Qwen3-32B"),
            safetensors={"BF16": 32_762_123_264},
            revisions={"main": SHA, "v1": SHA2},
        )
    )
    result = resolved(resolve_model("Qwen/Qwen3-32B", revision="v1"))
    assert (result.source, result.revision) == ("hub", "v1")
    assert result.source_detail.endswith("/Qwen/Qwen3-32B/tree/v1")
    assert f"commit {SHA2[:12]}" in result.notes


def test_cached_config_without_weights_gets_exact_counts_online(mock_hub: list[Handler]) -> None:
    cache_repo("acme/qwen-ft", {"config.json": config_bytes("Qwen--Qwen3-32B")})
    mock_hub.append(
        hub_repo("acme/qwen-ft", config_bytes("Qwen--Qwen3-32B"), safetensors={"BF16": 123})
    )
    assert resolved(resolve_model_locally("acme/qwen-ft")).params_source == "estimate"
    online = resolved(resolve_model("acme/qwen-ft"))
    assert (online.source, online.params_source, online.params_total) == ("hub", "safetensors", 123)


def test_cached_config_keeps_its_estimate_when_the_hub_fails(mock_hub: list[Handler]) -> None:
    import httpx2

    cache_repo("acme/qwen-ft", {"config.json": config_bytes("Qwen--Qwen3-32B")})

    def slow(request: Any) -> Any:
        raise httpx2.ReadTimeout("timed out", request=request)

    mock_hub.append(slow)
    result = resolved(resolve_model("acme/qwen-ft", timeout=3))
    assert (result.source, result.params_source) == ("hf-cache", "estimate")
    assert "no exact count from the Hub: the Hub did not answer within 3 s" in result.notes


def error(status: int, headers: dict[str, str]) -> Handler:
    import httpx2

    return lambda request: httpx2.Response(status, headers=headers)


def test_hub_gated(mock_hub: list[Handler]) -> None:
    import httpx2

    gated_file = error(403, {"X-Error-Code": "GatedRepo", "X-Error-Message": "Access restricted"})

    def handle(request: Any) -> Any:
        if request.url.path.startswith("/api/models/"):
            return httpx2.Response(200, json={"id": "meta-llama/Llama-4-x", "sha": SHA})
        return gated_file(request)

    mock_hub.append(handle)
    result = unresolved(resolve_model("meta-llama/Llama-4-x"))
    assert result.reason == "gated"
    assert "accept its licence on https://huggingface.co/meta-llama/Llama-4-x" in result.message
    assert "HF_TOKEN" in result.message
    assert result.tried[-1] == "Hugging Face Hub (gated)"


def test_hub_not_found(mock_hub: list[Handler]) -> None:
    mock_hub.append(error(401, {"X-Error-Code": "RepoNotFound"}))
    result = unresolved(resolve_model("meta-llama/Llama-3.1-8B-Instruction"))
    assert result.reason == "not-found"
    assert "the Hub has no model `meta-llama/Llama-3.1-8B-Instruction`" in result.message
    assert "meta-llama/Llama-3.1-8B-Instruct" in result.suggestions
    assert "check `model.id`" in result.message


def test_hub_revision_not_found(mock_hub: list[Handler]) -> None:
    mock_hub.append(error(404, {"X-Error-Code": "RevisionNotFound"}))
    result = unresolved(resolve_model("acme/model", revision="v9"))
    assert result.reason == "not-found"
    assert "has no revision `v9`" in result.message
    assert "`model.revision`" in result.message


def test_hub_timeout(mock_hub: list[Handler]) -> None:
    import httpx2

    def slow(request: Any) -> Any:
        raise httpx2.ConnectTimeout("timed out", request=request)

    mock_hub.append(slow)
    result = unresolved(resolve_model("acme/model", timeout=4))
    assert result.reason == "timeout"
    assert "did not answer within 4 s" in result.message
    assert "retry" in result.message


def test_hub_network_error(mock_hub: list[Handler]) -> None:
    mock_hub.append(error(502, {}))
    result = unresolved(resolve_model("acme/model"))
    assert result.reason == "network"


def test_hub_invalid_config(mock_hub: list[Handler]) -> None:
    mock_hub.append(hub_repo("acme/odd", b'{"model_type": "llama"}', safetensors=None))
    result = unresolved(resolve_model("acme/odd"))
    assert result.reason == "invalid-config"
    assert "config.json has no `hidden_size`" in result.message or "config.json" in result.message


def test_offline_setting_keeps_off_the_hub(mock_hub: list[Handler]) -> None:
    mock_hub.append(lambda request: pytest.fail(f"unexpected request {request.url}"))
    result = unresolved(resolve_model("acme/model", offline=True))
    assert result.reason == "offline"
    assert result.tried[-1] == "Hugging Face Hub (offline)"
