"""models/hub.py: the HF cache read from disk, safetensors headers, and the Hub through a fake.

The Hub is faked at huggingface_hub's HTTP transport (tests/models_testing.py; the ``fake_hub``
fixture is in tests/models/conftest.py). No request leaves the process.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

import pytest

from models_testing import SHA, SHA2, FakeHub, FakeRepo
from vllm_wizard.models import hub

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "configs"
LLAMA = "meta-llama--Llama-3.1-8B-Instruct"


def fixture_config(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return data


# ---------------------------------------------------------------------------------------------
# Builders shared by these tests
# ---------------------------------------------------------------------------------------------

_DTYPE_BYTES = {"BF16": 2, "F16": 2, "F32": 4, "I32": 4, "U8": 1, "F8_E4M3": 1}


def safetensors_bytes(tensors: dict[str, tuple[str, list[int]]]) -> bytes:
    """A safetensors header (8-byte length + JSON) with no tensor data: all we ever read."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        size = math.prod(shape) * _DTYPE_BYTES[dtype]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return len(raw).to_bytes(8, "little") + raw


def llama_8b_tensors() -> dict[str, tuple[str, list[int]]]:
    """Llama-3.1-8B's tensor shapes (its safetensors.total is 8,030,261,248)."""
    h, kv, ffn, vocab = 4096, 1024, 14336, 128256
    tensors: dict[str, tuple[str, list[int]]] = {"model.embed_tokens.weight": ("BF16", [vocab, h])}
    for i in range(32):
        p = f"model.layers.{i}."
        tensors[p + "self_attn.q_proj.weight"] = ("BF16", [h, h])
        tensors[p + "self_attn.k_proj.weight"] = ("BF16", [kv, h])
        tensors[p + "self_attn.v_proj.weight"] = ("BF16", [kv, h])
        tensors[p + "self_attn.o_proj.weight"] = ("BF16", [h, h])
        tensors[p + "mlp.gate_proj.weight"] = ("BF16", [ffn, h])
        tensors[p + "mlp.up_proj.weight"] = ("BF16", [ffn, h])
        tensors[p + "mlp.down_proj.weight"] = ("BF16", [h, ffn])
        tensors[p + "input_layernorm.weight"] = ("BF16", [h])
        tensors[p + "post_attention_layernorm.weight"] = ("BF16", [h])
    tensors["model.norm.weight"] = ("BF16", [h])
    tensors["lm_head.weight"] = ("BF16", [vocab, h])
    return tensors


def make_cache_repo(
    cache: Path,
    model_id: str,
    files: dict[str, bytes],
    *,
    commit: str = SHA,
    refs: tuple[str, ...] = ("main",),
) -> Path:
    """A repo in a fake HF cache laid out as huggingface_hub writes it (blobs + symlinks)."""
    folder = cache / ("models--" + model_id.replace("/", "--"))
    snapshot = folder / "snapshots" / commit
    (folder / "blobs").mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        blob = folder / "blobs" / hashlib.sha256(content).hexdigest()
        blob.write_bytes(content)
        link = snapshot / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(blob)
    (folder / "refs").mkdir(exist_ok=True)
    for ref in refs:
        (folder / "refs" / ref).write_text(commit)
    return snapshot


def llama_repo(**kwargs: Any) -> FakeRepo:
    config = (FIXTURES / f"{LLAMA}.json").read_bytes()
    return FakeRepo(files={"config.json": config}, **kwargs)


LLAMA_ID = "meta-llama/Llama-3.1-8B-Instruct"


# ---------------------------------------------------------------------------------------------
# Paths, ids, the cache
# ---------------------------------------------------------------------------------------------


def test_cache_dir_follows_huggingface_hub_precedence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert hub.hf_cache_dir() == tmp_path / "home" / ".cache" / "huggingface" / "hub"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.hf_cache_dir() == tmp_path / "xdg" / "huggingface" / "hub"
    monkeypatch.setenv("HF_HOME", "~/hf")
    assert hub.hf_cache_dir() == tmp_path / "home" / "hf" / "hub"
    monkeypatch.setenv("HUGGINGFACE_HUB_CACHE", str(tmp_path / "legacy"))
    assert hub.hf_cache_dir() == tmp_path / "legacy"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "explicit"))
    assert hub.hf_cache_dir() == tmp_path / "explicit"


@pytest.mark.parametrize(
    "model_id",
    [
        "gpt2",
        "meta-llama/Llama-3.1-8B-Instruct",
        "Qwen/Qwen2.5-7B-Instruct",
        "a/b",
        "org/name.v1_2",
        "org/name/extra",
        "org--name/x",
        "org/na..me",
        "org/name.git",
        "-org/name",
        "org/name-",
        "has space/x",
        "./local",
        "/abs/path",
        "café/x",
        "",
        "x" * 97,
    ],
)
def test_repo_id_rules_match_huggingface_hub(model_id: str) -> None:
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils._validators import validate_repo_id

    try:
        validate_repo_id(model_id)
        expected = model_id != ""
    except HFValidationError:
        expected = False
    assert hub.is_valid_repo_id(model_id) is expected


def test_find_cached_snapshot_follows_refs(tmp_path: Path) -> None:
    cache = tmp_path / "hub"
    config = (FIXTURES / f"{LLAMA}.json").read_bytes()
    snapshot = make_cache_repo(cache, LLAMA_ID, {"config.json": config})
    make_cache_repo(cache, LLAMA_ID, {"config.json": config}, commit=SHA2, refs=("v2",))

    found = hub.find_cached_snapshot(LLAMA_ID, cache_dir=cache)
    assert found is not None
    assert (found.model_id, found.revision, found.commit, found.path) == (
        LLAMA_ID,
        "main",
        SHA,
        snapshot,
    )
    assert json.loads(found.config_path.read_text())["model_type"] == "llama"
    tagged = hub.find_cached_snapshot(LLAMA_ID, "v2", cache_dir=cache)
    assert tagged is not None and tagged.commit == SHA2
    by_commit = hub.find_cached_snapshot(LLAMA_ID, SHA2, cache_dir=cache)
    assert by_commit is not None and by_commit.commit == SHA2
    assert hub.find_cached_snapshot(LLAMA_ID, "v3", cache_dir=cache) is None
    assert hub.find_cached_snapshot(LLAMA_ID, "../../etc", cache_dir=cache) is None
    assert hub.find_cached_snapshot("meta-llama/Other", cache_dir=cache) is None
    # the Hub ignores case; the cache folder keeps the spelling it was downloaded with
    upper = hub.find_cached_snapshot(LLAMA_ID.upper(), cache_dir=cache)
    assert upper is not None and upper.model_id == LLAMA_ID


def test_find_cached_snapshot_needs_config_json(tmp_path: Path) -> None:
    cache = tmp_path / "hub"
    make_cache_repo(cache, "org/weights-only", {"model.safetensors": b"x"})
    assert hub.find_cached_snapshot("org/weights-only", cache_dir=cache) is None


def test_find_cached_snapshot_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    make_cache_repo(tmp_path / "home" / "hub", "org/m", {"config.json": b"{}"})
    assert hub.find_cached_snapshot("org/m") is not None


def test_cached_model_ids_lists_repos_with_a_config(tmp_path: Path) -> None:
    cache = tmp_path / "hub"
    make_cache_repo(cache, "Qwen/Qwen3-8B", {"config.json": b"{}"})
    make_cache_repo(cache, "gpt2", {"config.json": b"{}"})
    make_cache_repo(cache, "acme/zeta", {"config.json": b"{}"}, refs=())
    make_cache_repo(cache, "org/no-config", {"tokenizer.json": b"{}"})
    (cache / "datasets--org--data" / "snapshots" / SHA).mkdir(parents=True)
    (cache / "datasets--org--data" / "snapshots" / SHA / "config.json").write_text("{}")
    (cache / ".locks").mkdir()
    (cache / "CACHEDIR.TAG").write_text("")
    assert hub.cached_model_ids(cache) == ["acme/zeta", "gpt2", "Qwen/Qwen3-8B"]
    assert hub.cached_model_ids(tmp_path / "missing") == []


def test_cached_model_ids_default_cache_is_hf_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    make_cache_repo(tmp_path / "hub", "org/m", {"config.json": b"{}"})
    assert hub.cached_model_ids() == ["org/m"]


def test_cache_functions_do_not_import_huggingface_hub(tmp_path: Path) -> None:
    make_cache_repo(tmp_path / "hub", "org/m", {"config.json": b"{}"})
    code = (
        "import sys; from pathlib import Path; from vllm_wizard.models import hub\n"
        f"cache = Path({str(tmp_path / 'hub')!r})\n"
        "assert hub.cached_model_ids(cache) == ['org/m']\n"
        "assert hub.find_cached_snapshot('org/m', cache_dir=cache) is not None\n"
        "assert 'huggingface_hub' not in sys.modules, 'imported huggingface_hub'\n"
    )
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------------------------------------
# safetensors headers
# ---------------------------------------------------------------------------------------------


def test_local_counts_single_file_exact(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(safetensors_bytes(llama_8b_tensors()))
    counts = hub.local_safetensors_counts(tmp_path)
    assert counts is not None
    assert dict(counts.by_dtype) == {"BF16": 8_030_261_248}
    assert counts.total == 8_030_261_248
    assert counts.lm_head == 128256 * 4096


def test_local_counts_sharded_needs_every_shard(tmp_path: Path) -> None:
    tensors = llama_8b_tensors()
    names = list(tensors)
    shards = {
        "model-00001-of-00002.safetensors": {n: tensors[n] for n in names[:150]},
        "model-00002-of-00002.safetensors": {n: tensors[n] for n in names[150:]},
    }
    weight_map = {n: shard for shard, part in shards.items() for n in part}
    index = {"metadata": {"total_size": 16_060_522_496}, "weight_map": weight_map}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    for shard, part in shards.items():
        (tmp_path / shard).write_bytes(safetensors_bytes(part))
    counts = hub.local_safetensors_counts(tmp_path)
    assert counts is not None and counts.total == 8_030_261_248

    (tmp_path / "model-00002-of-00002.safetensors").unlink()
    assert hub.local_safetensors_counts(tmp_path) is None  # a partial download is no count


def test_local_counts_mixed_dtypes_and_bad_files(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(
        safetensors_bytes(
            {
                "a.qweight": ("I32", [64, 512]),
                "a.scales": ("F16", [4, 4096]),
                "norm.weight": ("F16", [4096]),
            }
        )
    )
    counts = hub.local_safetensors_counts(tmp_path)
    assert counts is not None
    assert dict(counts.by_dtype) == {"I32": 32768, "F16": 20480}
    assert counts.lm_head == 0

    (tmp_path / "model.safetensors").write_bytes(b"\xff" * 8 + b"{}")
    assert hub.local_safetensors_counts(tmp_path) is None
    (tmp_path / "model.safetensors").write_bytes(b"\x02\x00")
    assert hub.local_safetensors_counts(tmp_path) is None
    assert hub.local_safetensors_counts(tmp_path / "nowhere") is None


def test_local_counts_follow_cache_symlinks(tmp_path: Path) -> None:
    snapshot = make_cache_repo(
        tmp_path / "hub",
        "org/m",
        {"config.json": b"{}", "model.safetensors": safetensors_bytes({"w": ("BF16", [3, 5])})},
    )
    counts = hub.local_safetensors_counts(snapshot)
    assert counts is not None and dict(counts.by_dtype) == {"BF16": 15}


def test_read_config_file_errors_are_model_config_errors(tmp_path: Path) -> None:
    from vllm_wizard.models.arch import ModelConfigError

    path = tmp_path / "config.json"
    path.write_text('{"model_type": "llama",')
    with pytest.raises(ModelConfigError, match="not valid JSON"):
        hub.read_config_file(path)
    path.write_text("[1, 2]")
    with pytest.raises(ModelConfigError, match="JSON object"):
        hub.read_config_file(path)
    with pytest.raises(ModelConfigError, match="cannot be read"):
        hub.read_config_file(tmp_path / "missing.json")


# ---------------------------------------------------------------------------------------------
# The Hub
# ---------------------------------------------------------------------------------------------


def test_fetch_downloads_config_into_cache_and_reads_api_counts(fake_hub: FakeHub) -> None:
    fake_hub.add(
        LLAMA_ID,
        llama_repo(api_safetensors={"parameters": {"BF16": 8_030_261_248}, "total": 8_030_261_248}),
    )
    found = hub.fetch_from_hub(LLAMA_ID, timeout=3)

    assert found.commit == SHA
    assert found.config["model_type"] == "llama"
    assert found.url == "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct"
    assert found.params is not None
    assert dict(found.params.by_dtype) == {"BF16": 8_030_261_248}
    assert found.params.lm_head is None  # the API gives totals, not tensor names
    assert found.params_problem is None
    assert fake_hub.requests == [
        ("GET", f"/api/models/{LLAMA_ID}?expand=safetensors&expand=sha"),
        ("HEAD", f"/{LLAMA_ID}/resolve/main/config.json"),
        ("GET", f"/{LLAMA_ID}/resolve/main/config.json"),
    ]
    # it landed in the cache (HF_HOME is this test's temp dir), where the local path finds it
    cached = hub.find_cached_snapshot(LLAMA_ID)
    assert cached is not None and cached.config_path == found.config_path
    assert hub.cached_model_ids() == [LLAMA_ID]


def test_fetch_is_memoized(fake_hub: FakeHub) -> None:
    fake_hub.add(LLAMA_ID, llama_repo(api_safetensors={"parameters": {"BF16": 1}, "total": 1}))
    first = hub.fetch_from_hub(LLAMA_ID)
    count = len(fake_hub.requests)
    assert hub.fetch_from_hub(LLAMA_ID) is first
    assert hub.memoized_hub_model(LLAMA_ID) is first
    assert hub.memoized_hub_model(LLAMA_ID, "main") is None  # keyed by (id, revision)
    assert len(fake_hub.requests) == count
    hub.clear_hub_memo()
    assert hub.memoized_hub_model(LLAMA_ID) is None
    hub.fetch_from_hub(LLAMA_ID)
    assert len(fake_hub.requests) > count


def test_failures_are_memoized_too(fake_hub: FakeHub) -> None:
    with pytest.raises(hub.HubError):
        hub.fetch_from_hub("org/missing")
    count = len(fake_hub.requests)
    with pytest.raises(hub.HubError) as again:
        hub.fetch_from_hub("org/missing")
    assert again.value.kind == "not-found"
    assert len(fake_hub.requests) == count


def test_fetch_falls_back_to_safetensors_headers(fake_hub: FakeHub) -> None:
    """A mirror that does not fill the API's safetensors field: the file header is read."""
    weights = safetensors_bytes(
        {
            "model.embed_tokens.weight": ("BF16", [1000, 64]),
            "model.layers.0.mlp.up_proj.weight": ("BF16", [256, 64]),
            "lm_head.weight": ("BF16", [1000, 64]),
            "scale": ("F32", [4]),
        }
    )
    repo = llama_repo()
    repo.files["model.safetensors"] = weights
    fake_hub.add(LLAMA_ID, repo)
    found = hub.fetch_from_hub(LLAMA_ID)
    assert found.params is not None
    assert dict(found.params.by_dtype) == {"BF16": 144_384, "F32": 4}
    assert found.params.lm_head == 64_000
    assert ("HEAD", f"/{LLAMA_ID}/resolve/{SHA}/model.safetensors") in fake_hub.requests


def test_fetch_without_safetensors_says_why(fake_hub: FakeHub) -> None:
    fake_hub.add(LLAMA_ID, llama_repo())
    found = hub.fetch_from_hub(LLAMA_ID)
    assert found.params is None
    assert found.params_problem == "the repo has no safetensors weights"


def test_fetch_at_a_revision(fake_hub: FakeHub) -> None:
    fake_hub.add(LLAMA_ID, llama_repo(revisions={"main": SHA, "v2": SHA2}))
    found = hub.fetch_from_hub(LLAMA_ID, "v2")
    assert found.commit == SHA2
    assert found.url.endswith("/tree/v2")
    assert fake_hub.requests[:2] == [
        ("GET", f"/api/models/{LLAMA_ID}/revision/v2?expand=safetensors&expand=sha"),
        ("HEAD", f"/{LLAMA_ID}/resolve/v2/config.json"),
    ]
    cached = hub.find_cached_snapshot(LLAMA_ID, "v2")
    assert cached is not None and cached.commit == SHA2


def test_gated(fake_hub: FakeHub) -> None:
    fake_hub.add(LLAMA_ID, llama_repo(gated=True))
    with pytest.raises(hub.HubError) as raised:
        hub.fetch_from_hub(LLAMA_ID)
    assert raised.value.kind == "gated"
    assert "accept its licence on https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct" in (
        raised.value.message
    )
    assert "HF_TOKEN" in raised.value.message


def test_not_found(fake_hub: FakeHub) -> None:
    with pytest.raises(hub.HubError) as raised:
        hub.fetch_from_hub("org/does-not-exist")
    assert raised.value.kind == "not-found"
    assert "has no model `org/does-not-exist`" in raised.value.message
    assert "private" in raised.value.message


def test_revision_not_found(fake_hub: FakeHub) -> None:
    fake_hub.add(LLAMA_ID, llama_repo())
    with pytest.raises(hub.HubError) as raised:
        hub.fetch_from_hub(LLAMA_ID, "no-such-branch")
    assert raised.value.kind == "not-found"
    assert "no revision `no-such-branch`" in raised.value.message


def test_repo_without_config_json(fake_hub: FakeHub) -> None:
    fake_hub.add("org/gguf-only", FakeRepo(files={"model.gguf": b"GGUF"}))
    with pytest.raises(hub.HubError) as raised:
        hub.fetch_from_hub("org/gguf-only")
    assert raised.value.kind == "not-found"
    assert "has no config.json" in raised.value.message


def test_timeout_raised_from_the_transport(fake_hub: FakeHub) -> None:
    import httpx2

    def timeout(request: Any) -> Any:
        raise httpx2.ReadTimeout("timed out", request=request)

    fake_hub.fail = timeout
    with pytest.raises(hub.HubError) as raised:
        hub.fetch_from_hub(LLAMA_ID, timeout=2.5)
    assert raised.value.kind == "timeout"
    assert raised.value.message == "the Hub did not answer within 2.5 s"


def test_connection_error_is_network(fake_hub: FakeHub) -> None:
    import httpx2

    def refused(request: Any) -> Any:
        raise httpx2.ConnectError("connection refused", request=request)

    fake_hub.fail = refused
    with pytest.raises(hub.HubError) as raised:
        hub.fetch_from_hub(LLAMA_ID)
    assert raised.value.kind == "network"


def test_server_error_is_network(fake_hub: FakeHub) -> None:
    import httpx2

    fake_hub.fail = lambda request: httpx2.Response(500, request=request)
    with pytest.raises(hub.HubError) as raised:
        hub.fetch_from_hub(LLAMA_ID)
    assert raised.value.kind == "network"
    assert "HTTP 500" in raised.value.message


def test_counts_failure_keeps_the_config(fake_hub: FakeHub) -> None:
    """The API has no counts and reading the headers times out: the config still counts."""
    import httpx2

    fake_hub.add(LLAMA_ID, llama_repo())

    def headers_time_out(request: Any) -> Any:
        if request.url.path.endswith(".safetensors"):
            raise httpx2.ReadTimeout("timed out", request=request)
        return None

    fake_hub.fail = headers_time_out
    found = hub.fetch_from_hub(LLAMA_ID, timeout=1)
    assert found.config["model_type"] == "llama"
    assert found.params is None
    assert found.params_problem == "the Hub did not answer within 1 s"


def test_slow_hub_fails_within_the_timeout(fake_hub: FakeHub) -> None:
    """No back-off retries: hf_hub_download alone would sleep ~23 s before giving up."""
    import time

    import httpx2

    def timeout(request: Any) -> Any:
        raise httpx2.ConnectTimeout("timed out", request=request)

    fake_hub.fail = timeout
    started = time.monotonic()
    with pytest.raises(hub.HubError):
        hub.fetch_from_hub(LLAMA_ID, timeout=1)
    assert time.monotonic() - started < 5
    assert len(fake_hub.requests) == 1


def test_offline_flag_means_local_files_only(fake_hub: FakeHub) -> None:
    fake_hub.add(LLAMA_ID, llama_repo())
    with pytest.raises(hub.HubError) as raised:
        hub.fetch_from_hub(LLAMA_ID, offline=True)
    assert raised.value.kind == "offline"
    assert fake_hub.requests == []

    config = (FIXTURES / f"{LLAMA}.json").read_bytes()
    make_cache_repo(hub.hf_cache_dir(), LLAMA_ID, {"config.json": config})
    found = hub.fetch_from_hub(LLAMA_ID, offline=True)
    assert found.commit == SHA and found.params is None
    assert fake_hub.requests == []


def test_hf_hub_offline_read_at_import_is_offline() -> None:
    """conftest sets HF_HUB_OFFLINE=1 before huggingface_hub is imported: no request is made."""
    from huggingface_hub import constants

    assert constants.HF_HUB_OFFLINE
    hub.clear_hub_memo()
    with pytest.raises(hub.HubError) as raised:
        hub.fetch_from_hub("org/anything", timeout=1)
    assert raised.value.kind == "offline"
    assert "HF_HUB_OFFLINE" in raised.value.message
    assert hub.env_offline()


def test_bad_id_is_refused_before_any_request(fake_hub: FakeHub) -> None:
    with pytest.raises(hub.HubError) as raised:
        hub.fetch_from_hub("not a repo")
    assert raised.value.kind == "bad-id"
    assert fake_hub.requests == []


def test_env_offline_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    for value, expected in (("1", True), ("yes", True), ("ON", True), ("0", False), ("", False)):
        monkeypatch.setenv("HF_HUB_OFFLINE", value)
        assert hub.env_offline() is expected
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert not hub.env_offline()
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    assert hub.env_offline()


def test_hub_url_honours_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "https://mirror.example/")
    assert hub.hub_url("org/m", "v1") == "https://mirror.example/org/m/tree/v1"


def test_fixture_config_is_real() -> None:
    assert fixture_config(LLAMA)["num_hidden_layers"] == 32


# ---------------------------------------------------------------------------------------------
# Issue 12 item 19: `timeout` is a deadline for the whole lookup; no telemetry
# ---------------------------------------------------------------------------------------------


def test_a_trickling_hub_is_cut_off_at_the_total_deadline(fake_hub: FakeHub) -> None:
    """Every request answers within its own timeout, slowly: before, a lookup took the sum of
    them (3 requests × 1 s here, and "Looking up…" stayed for minutes on a real slow Hub)."""
    import time

    fake_hub.add(LLAMA_ID, llama_repo(api_safetensors={"parameters": {"BF16": 1}, "total": 1}))
    fake_hub.delay_s = 1.0
    started = time.monotonic()
    with pytest.raises(hub.HubError) as raised:
        hub.fetch_from_hub(LLAMA_ID, timeout=1.5)
    waited = time.monotonic() - started
    assert raised.value.kind == "timeout"
    assert raised.value.message == "the Hub did not answer within 1.5 s"
    assert 1.4 <= waited < 2.7  # the deadline, not 3 × 1 s (generous: the machine is shared)
    # the lookup goes on in its thread; the next call joins it instead of starting another
    found = hub.fetch_from_hub(LLAMA_ID, timeout=30)
    assert found.config["model_type"] == "llama"
    assert [r for r in fake_hub.requests if r[0] == "GET" and "/api/" in r[1]] == [
        ("GET", f"/api/models/{LLAMA_ID}?expand=safetensors&expand=sha")
    ]
    assert hub.memoized_hub_model(LLAMA_ID) is found


def test_a_deadline_failure_is_remembered_and_the_late_answer_kept(fake_hub: FakeHub) -> None:
    import time

    fake_hub.delay_s = 0.5
    with pytest.raises(hub.HubError) as first:
        hub.fetch_from_hub("org/slow", timeout=0.2)
    assert first.value.kind == "timeout"
    for _ in range(200):  # the thread gets its (late) answer: the repo does not exist
        if not hub._IN_FLIGHT:
            break
        time.sleep(0.05)
    with pytest.raises(hub.HubError) as late:  # within the minute: no second lookup
        hub.fetch_from_hub("org/slow", timeout=0.2)
    assert late.value.kind == "not-found"
    assert [r for r in fake_hub.requests if "/api/models/" in r[1]] == [
        ("GET", "/api/models/org/slow?expand=safetensors&expand=sha")
    ]


def test_lookups_send_no_telemetry(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    """huggingface_hub adds telemetry unless HF_HUB_DISABLE_TELEMETRY was set at its import:
    the agent registry request and the torch version in the user agent. Our lookups turn it off."""
    from huggingface_hub import constants
    from huggingface_hub.utils import _detect_agent

    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", False)  # as on a user's machine
    monkeypatch.setattr(_detect_agent, "_registry", None)
    monkeypatch.setattr(constants, "AGENT_HARNESSES_PATH", str(fake_hub_home(monkeypatch)))
    agents: list[str] = []
    fake_hub.fail = lambda request: agents.append(request.headers.get("user-agent", "")) or None
    fake_hub.add(LLAMA_ID, llama_repo(api_safetensors={"parameters": {"BF16": 1}, "total": 1}))
    hub.fetch_from_hub(LLAMA_ID, timeout=5)
    assert fake_hub.agent_registry_requests == 0
    assert constants.HF_HUB_DISABLE_TELEMETRY is True
    assert agents and not any("torch/" in a or "agent/" in a for a in agents)


def fake_hub_home(monkeypatch: pytest.MonkeyPatch) -> Path:
    """A registry cache path that does not exist, so huggingface_hub would ask the Hub."""
    import os

    return Path(os.environ["HF_HOME"]) / "no-agent-registry.json"
