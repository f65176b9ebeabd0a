"""The vLLM flag table: facts of the pinned release, the loader, and the static extractor."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from vllm_wizard.vllm import PINNED_VLLM_VERSION
from vllm_wizard.vllm.flags import FlagSpec, FlagTable, available_versions, flag_table

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "extract_vllm_flags.py"
TABLE_FILE = REPO_ROOT / "server" / "vllm_wizard" / "vllm" / f"flags_{PINNED_VLLM_VERSION}.json"


def _load_script() -> ModuleType:
    name = "extract_vllm_flags"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def table() -> FlagTable:
    return flag_table()


# --------------------------------------------------------------------------------------
# Facts of vLLM 0.33.0, from the committed table
# --------------------------------------------------------------------------------------


def test_table_is_for_the_pinned_release(table: FlagTable) -> None:
    data = json.loads(TABLE_FILE.read_text(encoding="utf-8"))
    assert data["vllm_version"] == PINNED_VLLM_VERSION
    assert table.version == PINNED_VLLM_VERSION
    assert table.exact
    assert table.source_wheel.startswith(f"vllm-{PINNED_VLLM_VERSION}-")
    assert len(table.source_sha256) == 64
    assert PINNED_VLLM_VERSION in available_versions()


def test_swap_space_was_removed(table: FlagTable) -> None:
    # --swap-space went away in vLLM 0.18.0.
    assert table.get("--swap-space") is None
    assert "swap_space" not in table
    assert not any("swap" in name for name in table.names())


def test_dtype_choices(table: FlagTable) -> None:
    spec = table["--dtype"]
    assert spec.choices is not None
    assert sorted(spec.choices, key=str) == sorted(
        ["auto", "half", "float16", "bfloat16", "float", "float32"]
    )
    assert len(spec.choices) == 6
    assert table.model_dtypes() == ("auto", "half", "float16", "bfloat16", "float", "float32")
    assert spec.default == "auto"


def test_kv_cache_dtypes(table: FlagTable) -> None:
    spec = table["--kv-cache-dtype"]
    assert spec.dest == "kv_cache_dtype"
    assert spec.group == "CacheConfig"
    # CacheDType | str: argparse shows the Literal as a metavar and does not enforce it;
    # CacheConfig validates the value after parsing.
    assert spec.choices is None
    assert spec.known_values is not None
    for dtype in ("auto", "fp8", "fp8_e4m3", "fp8_e5m2"):
        assert dtype in spec.known_values
        assert dtype in table.kv_cache_dtypes()
    assert "fp8_e4m3fn" not in table.kv_cache_dtypes()
    assert spec.allowed_values == spec.known_values


def test_quantization_methods(table: FlagTable) -> None:
    methods = table.quantization_methods()
    for absent in ("int8", "bitsandbytes", "gguf"):
        assert absent not in methods
    for present in ("awq", "gptq", "fp8", "compressed-tensors"):
        assert present in methods
    assert len(set(methods)) == len(methods)
    spec = table["-q"]
    assert spec.name == "--quantization"
    assert spec.known_values == methods
    assert spec.nullable
    assert set(table.deprecated_quantization_methods()) <= set(methods)


def test_tensor_parallel_size(table: FlagTable) -> None:
    spec = table["--tensor-parallel-size"]
    assert spec.aliases == ("-tp",)
    assert spec.type == "int"
    assert spec.default == 1
    assert spec.group == "ParallelConfig"
    assert spec.negative is None


def test_enable_prefix_caching_negative_forms(table: FlagTable) -> None:
    spec = table["--enable-prefix-caching"]
    assert spec.is_bool
    assert spec.action == "boolean_optional"
    assert spec.negative == "--no-enable-prefix-caching"
    # vLLM's EnableDisableAction also accepts the inverse spelling.
    assert "--disable-prefix-caching" in spec.negative_aliases
    assert table.match_option("--no-enable-prefix-caching") == (spec, True)
    assert table.match_option("--disable-prefix-caching") == (spec, True)
    assert table.match_option("--enable-prefix-caching") == (spec, False)
    assert table.get("--no-enable-prefix-caching") is None


def test_store_true_flags_have_no_negative_form(table: FlagTable) -> None:
    spec = table["--disable-log-stats"]
    assert spec.action == "store_true"
    assert spec.is_bool
    assert spec.negative is None
    assert spec.negative_aliases == ()


def test_max_model_len(table: FlagTable) -> None:
    spec = table["--max-model-len"]
    assert spec.type == "int"
    assert spec.human_readable
    assert spec.group == "ModelConfig"
    assert spec.default is None


def test_frontend_flags(table: FlagTable) -> None:
    for name in ("--host", "--port", "--api-key", "--served-model-name"):
        assert name in table
    assert table["--port"].default == 8000
    assert table["--port"].group == "Frontend"
    api_key = table["--api-key"]
    assert api_key.multiple and api_key.nargs == "+" and not api_key.repeatable
    middleware = table["--middleware"]
    assert middleware.repeatable and middleware.multiple


def test_gpu_memory_utilization(table: FlagTable) -> None:
    spec = table["gpu_memory_utilization"]
    assert spec.type == "float"
    assert spec.aliases == ("--device-memory-utilization",)
    assert spec.constraints == {"gt": 0, "le": 1}
    assert table.get("--device-memory-utilization") is spec


@pytest.mark.parametrize(
    "spelling",
    [
        "--tensor-parallel-size",
        "tensor-parallel-size",
        "tensor_parallel_size",
        "--tensor_parallel_size",
        " --tensor-parallel-size ",
        "-tp",
    ],
)
def test_lookup_spellings(table: FlagTable, spelling: str) -> None:
    assert table[spelling].name == "--tensor-parallel-size"


def test_lookup_misses(table: FlagTable) -> None:
    assert table.get("tp") is None  # a short alias keeps its dash
    assert table.get("--not-a-flag") is None
    with pytest.raises(KeyError):
        table["--not-a-flag"]


def test_suggest(table: FlagTable) -> None:
    assert table.suggest("--max-model-length")[0] == "--max-model-len"
    assert table.suggest("tensor_paralel_size")[0] == "--tensor-parallel-size"
    assert len(table.suggest("gpu-memory-utilisation", limit=2)) <= 2
    assert table.suggest("zzzzzzzzzz") == []


def test_names_are_sorted_canonical_long_options(table: FlagTable) -> None:
    names = table.names()
    assert list(names) == sorted(names)
    assert all(name.startswith("--") for name in names)
    assert len(names) == len(set(names)) == len(table)


def test_every_spelling_is_unique(table: FlagTable) -> None:
    seen: dict[str, str] = {}
    for spec in table:
        for spelling in (*spec.option_strings, *spec.negative_forms):
            assert spelling not in seen, (spelling, seen.get(spelling))
            seen[spelling] = spec.name


def test_booleans_have_their_negative_form(table: FlagTable) -> None:
    for spec in table:
        if spec.action == "boolean_optional":
            assert spec.negative == "--no-" + spec.kebab
        else:
            assert spec.negative is None and spec.negative_aliases == ()


def test_unknown_version_gets_the_nearest_table() -> None:
    newer = flag_table("99.0.0")
    assert not newer.exact
    assert newer.requested_version == "99.0.0"
    assert newer.version == available_versions()[-1]
    older = flag_table("0.1.0")
    assert older.version == available_versions()[0]
    assert not older.exact
    assert flag_table(f"v{PINNED_VLLM_VERSION}").exact
    assert flag_table(PINNED_VLLM_VERSION) is flag_table()
    with pytest.raises(ValueError):
        flag_table("not-a-version")


def test_flag_spec_is_frozen(table: FlagTable) -> None:
    spec = table["--dtype"]
    assert isinstance(spec, FlagSpec)
    with pytest.raises(AttributeError):
        spec.name = "--x"  # type: ignore[misc]


def test_committed_json_is_stably_formatted() -> None:
    text = TABLE_FILE.read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    names = [row["name"] for row in data["flags"]]
    assert names == sorted(names)
    for row in data["flags"]:
        if row["default"] is None and row["notes"]:
            assert all(isinstance(note, str) and note for note in row["notes"])


@pytest.mark.skipif(not os.environ.get("VLLM_WHEEL"), reason="set VLLM_WHEEL to a vLLM wheel")
def test_regenerating_from_the_wheel_gives_the_committed_file(tmp_path: Path) -> None:
    script = _load_script()
    wheel = Path(os.environ["VLLM_WHEEL"])
    table = script.extract_wheel(wheel)
    if table["vllm_version"] != PINNED_VLLM_VERSION:
        pytest.skip(f"{wheel.name} is not vLLM {PINNED_VLLM_VERSION}")
    assert script.main(["--wheel", str(wheel), "--out-dir", str(tmp_path)]) == 0
    written = (tmp_path / TABLE_FILE.name).read_bytes()
    assert written == TABLE_FILE.read_bytes()
    assert script.main(["--wheel", str(wheel), "--check"]) == 0


# --------------------------------------------------------------------------------------
# The static reader, on a tiny synthetic vLLM source tree
# --------------------------------------------------------------------------------------

SYNTHETIC: dict[str, str] = {
    "vllm/__init__.py": "",
    "vllm/_version.py": """
        __version__ = version = '9.8.7'
    """,
    "vllm/envs.py": """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            SERVER_DEV_MODE: bool = False

        def __getattr__(name):
            import os
            return os.environ.get(name)
    """,
    "vllm/config/__init__.py": """
        from vllm.config.cache import CacheConfig
        from vllm.config.model import ModelConfig
        from vllm.config.parallel import ParallelConfig
        from vllm.config.utils import config, get_attr_docs
    """,
    "vllm/config/utils.py": """
        from pydantic.dataclasses import dataclass
        from typing_extensions import dataclass_transform
        from pydantic.fields import Field as PydanticField

        @dataclass_transform(field_specifiers=(PydanticField,))
        def config(cls=None, **kwargs):
            return dataclass(cls)

        def get_attr_docs(cls):
            return {}
    """,
    "vllm/config/cache.py": """
        from typing import Literal
        from pydantic import Field
        from vllm.config.utils import config

        CacheDType = Literal["auto", "bfloat16", "fp8", "fp8_e4m3"]
        BLOCK = 4 * 4

        @config
        class CacheConfig:
            \"\"\"Cache.\"\"\"

            block_size: int = Field(default=None, gt=0)
            \"\"\"Block size in tokens. More text.\"\"\"
            gpu_memory_utilization: float = Field(default=0.92, gt=0, le=1)
            \"\"\"The fraction of GPU memory, e.g. 0.5 for half. Second sentence.\"\"\"
            cache_dtype: CacheDType | str = "auto"
            \"\"\"KV cache dtype.\"\"\"
            enable_prefix_caching: bool = True
            \"\"\"Whether to enable prefix caching.\"\"\"
            skip_layers: list[str] = Field(default_factory=list)
            \"\"\"Layers to skip.\"\"\"
            hash_algo: Literal["sha256", "xxhash"] = "sha256"
            \"\"\"Hash algorithm.\"\"\"
            swa_tokens: int = BLOCK
            \"\"\"A default computed from a module constant.\"\"\"
    """,
    "vllm/config/model.py": """
        from typing import TYPE_CHECKING, Any, Literal
        import torch
        from pydantic import Field
        from vllm.config.utils import config

        if TYPE_CHECKING:
            from vllm.model_executor.layers.quantization import QuantizationMethods
        else:
            QuantizationMethods = str

        RunnerType = Literal["generate", "pooling"]
        RunnerOption = Literal["auto", RunnerType]
        ModelDType = Literal["auto", "half", "float16", "bfloat16", "float", "float32"]

        @config
        class ModelConfig:
            model: str = "Qwen/Qwen3-0.6B"
            \"\"\"Name or path of the model.\"\"\"
            runner: RunnerOption = "auto"
            \"\"\"The runner.\"\"\"
            dtype: ModelDType | torch.dtype = "auto"
            \"\"\"Data type.\"\"\"
            max_model_len: int = Field(default=None, ge=-1)
            \"\"\"Model context length.\"\"\"
            quantization: QuantizationMethods | str | None = None
            \"\"\"Method used to quantize the weights.\"\"\"
            served_model_name: str | list[str] | None = None
            \"\"\"The model name(s).\"\"\"
            hf_token: bool | str | None = None
            \"\"\"The token.\"\"\"
            hf_overrides: dict[str, Any] = Field(default_factory=dict)
            \"\"\"Overrides.\"\"\"
            max_lora_rank: Literal[8, 16, 32] = 16
            \"\"\"Max LoRA rank.\"\"\"
    """,
    "vllm/config/parallel.py": """
        from typing import Literal
        from vllm.config.utils import config

        Backend = Literal["naive", "passthrough", "pplx"]
        PASSTHROUGH = "passthrough"

        @config
        class EPLBConfig:
            window: int = 1000
            \"\"\"Window.\"\"\"

        @config
        class ParallelConfig:
            tensor_parallel_size: int = 1
            \"\"\"Number of tensor parallel groups.\"\"\"
            all2all_backend: Backend = "naive"
            \"\"\"All2All backend.\"\"\"
            eplb_config: EPLBConfig = None
            \"\"\"EPLB config.\"\"\"
            cudagraph_sizes: tuple[int, int] | None = None
            \"\"\"Two sizes.\"\"\"
    """,
    "vllm/model_executor/__init__.py": "",
    "vllm/model_executor/layers/__init__.py": "",
    "vllm/model_executor/layers/quantization/__init__.py": """
        from typing import Literal, get_args

        QuantizationMethods = Literal["awq", "fp8", "gptq", "old_method"]
        QUANTIZATION_METHODS: list[str] = list(get_args(QuantizationMethods))
        DEPRECATED_QUANTIZATION_METHODS = ["old_method"]
    """,
    "vllm/utils/__init__.py": "",
    "vllm/utils/argparse_utils.py": """
        from argparse import ArgumentParser, BooleanOptionalAction

        def human_readable_int(value: str) -> int:
            return int(value)

        def human_readable_int_or_auto(value: str) -> int:
            return int(value)

        class EnableDisableAction(BooleanOptionalAction):
            _inverse_prefixes = {"--enable-": "--disable-", "--disable-": "--enable-"}

        class FlexibleArgumentParser(ArgumentParser):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.register("action", BooleanOptionalAction, EnableDisableAction)
    """,
    "vllm/engine/__init__.py": "",
    "vllm/engine/arg_utils.py": """
        import argparse
        import json
        import sys
        from dataclasses import dataclass
        from vllm.config import CacheConfig, ModelConfig, ParallelConfig
        from vllm.config.parallel import PASSTHROUGH
        from vllm.utils.argparse_utils import FlexibleArgumentParser

        def optional_type(return_type):
            return return_type

        def _compute_kwargs(cls):
            for field in fields(cls):
                if contains_type(type_hints, int):
                    human_readable_int_args = {"max_num_batched_tokens", "block_size"}
                    if name == "max_model_len":
                        kwargs[name]["type"] = human_readable_int_or_auto
                    elif name in human_readable_int_args:
                        kwargs[name]["type"] = human_readable_int

        def get_kwargs(cls):
            return _compute_kwargs(cls)

        _DEPRECATED = "--old-flag is deprecated and does nothing. Remove it."
        _SWA_DEPRECATION_MESSAGE = (
            "swa_tokens (--swa-tokens) is deprecated and will go. "
            "Use --block-size instead, it is not deprecated."
        )

        @dataclass
        class EngineArgs:
            @staticmethod
            def add_cli_args(parser):
                model_kwargs = get_kwargs(ModelConfig)
                model_group = parser.add_argument_group(title="ModelConfig")
                if not ("serve" in sys.argv[1:] and "--help" in sys.argv[1:]):
                    model_group.add_argument("--model", **model_kwargs["model"])
                model_group.add_argument("--runner", **model_kwargs["runner"])
                model_group.add_argument("--dtype", **model_kwargs["dtype"])
                model_group.add_argument("--max-model-len", **model_kwargs["max_model_len"])
                model_group.add_argument("--quantization", "-q", **model_kwargs["quantization"])
                model_group.add_argument(
                    "--served-model-name", **model_kwargs["served_model_name"]
                )
                model_group.add_argument("--hf-token", **model_kwargs["hf_token"])
                model_group.add_argument("--hf-overrides", **model_kwargs["hf_overrides"])
                model_group.add_argument("--max-lora-rank", **model_kwargs["max_lora_rank"])
                model_group.add_argument(
                    "--old-flag",
                    action=argparse.BooleanOptionalAction,
                    default=None,
                    help=_DEPRECATED,
                )

                parallel_kwargs = get_kwargs(ParallelConfig)
                parallel_kwargs["all2all_backend"]["choices"].remove(PASSTHROUGH)
                parallel_group = parser.add_argument_group(title="ParallelConfig")
                parallel_group.add_argument(
                    "--tensor-parallel-size", "-tp", **parallel_kwargs["tensor_parallel_size"]
                )
                parallel_group.add_argument(
                    "--all2all-backend", **parallel_kwargs["all2all_backend"]
                )
                parallel_group.add_argument("--eplb-config", **parallel_kwargs["eplb_config"])
                parallel_group.add_argument(
                    "--cudagraph-sizes", **parallel_kwargs["cudagraph_sizes"]
                )
                parallel_group.add_argument(
                    "--device-ids",
                    type=lambda s: s.split(","),
                    default=None,
                    help="Comma-separated device IDs (e.g. 2,3). Avoids CUDA_VISIBLE_DEVICES.",
                )

                cache_kwargs = get_kwargs(CacheConfig)
                cache_group = parser.add_argument_group(title="CacheConfig")
                cache_group.add_argument("--block-size", **cache_kwargs["block_size"])
                cache_group.add_argument(
                    "--gpu-memory-utilization",
                    "--device-memory-utilization",
                    dest="gpu_memory_utilization",
                    **cache_kwargs["gpu_memory_utilization"],
                )
                cache_group.add_argument("--kv-cache-dtype", **cache_kwargs["cache_dtype"])
                cache_group.add_argument(
                    "--enable-prefix-caching",
                    **{**cache_kwargs["enable_prefix_caching"], "default": None},
                )
                cache_group.add_argument("--skip-layers", **cache_kwargs["skip_layers"])
                cache_group.add_argument("--hash-algo", **cache_kwargs["hash_algo"])
                cache_group.add_argument("--swa-tokens", **cache_kwargs["swa_tokens"])

                parser.add_argument(
                    "--disable-log-stats", action="store_true", help="Disable logging statistics."
                )
                parser.add_argument(
                    "--speculative-config",
                    "-sc",
                    type=optional_type(json.loads),
                    default=None,
                    help="Speculative decoding configuration.",
                )
                return parser

        @dataclass
        class AsyncEngineArgs(EngineArgs):
            enable_log_requests: bool = False

            @staticmethod
            def add_cli_args(parser, async_args_only: bool = False):
                if not async_args_only:
                    parser = EngineArgs.add_cli_args(parser)
                parser.add_argument(
                    "--enable-log-requests",
                    action=argparse.BooleanOptionalAction,
                    default=AsyncEngineArgs.enable_log_requests,
                    help="Enable logging request information.",
                )
                return parser
    """,
    "vllm/renderers/__init__.py": """
        from .types import *
        from .types import __all__ as all_types
    """,
    "vllm/renderers/types.py": """
        from typing import Literal

        __all__ = ["ContentFormat"]
        ContentFormat = Literal["auto", "string", "openai"]
    """,
    "vllm/entrypoints/__init__.py": "",
    "vllm/entrypoints/common/__init__.py": "",
    "vllm/entrypoints/common/cli_args.py": """
        import argparse
        import json
        from dataclasses import field
        import vllm.envs as envs
        from vllm.config import config
        from vllm.engine.arg_utils import AsyncEngineArgs
        from vllm.renderers import ContentFormat

        DEFAULT_PORT = 8000

        @config
        class BaseFrontendArgs:
            \"\"\"Base.\"\"\"

            chat_template: str | None = None
            \"\"\"The chat template.\"\"\"
            log_error_stack: bool = envs.SERVER_DEV_MODE
            \"\"\"Log stack traces.\"\"\"
            content_format: ContentFormat = "auto"
            \"\"\"Reached through a star import.\"\"\"

            @classmethod
            def _customize_cli_kwargs(cls, frontend_kwargs):
                frontend_kwargs["chat_template"]["metavar"] = "TEMPLATE"
                return frontend_kwargs

            @classmethod
            def add_cli_args(cls, parser):
                from vllm.engine.arg_utils import get_kwargs

                frontend_kwargs = get_kwargs(cls)
                frontend_kwargs = cls._customize_cli_kwargs(frontend_kwargs)
                group = parser.add_argument_group(title=cls.__name__.replace("Args", ""))
                for key, value in frontend_kwargs.items():
                    extra_flags = value.pop("flags", [])
                    group.add_argument(*extra_flags, f"--{key.replace('_', '-')}", **value)
                return parser

        @config
        class FrontendArgs(BaseFrontendArgs):
            host: str | None = None
            \"\"\"Host name.\"\"\"
            port: int = DEFAULT_PORT
            \"\"\"Port number.\"\"\"
            api_key: list[str] | None = None
            \"\"\"API keys.\"\"\"
            middleware: list[str] = field(default_factory=lambda: [])
            \"\"\"Middleware.\"\"\"
            allowed_origins: list[str] = field(default_factory=lambda: ["*"])
            \"\"\"Allowed origins.\"\"\"

            @classmethod
            def _customize_cli_kwargs(cls, frontend_kwargs):
                frontend_kwargs = super()._customize_cli_kwargs(frontend_kwargs)
                frontend_kwargs["allowed_origins"]["type"] = json.loads
                del frontend_kwargs["allowed_origins"]["nargs"]
                frontend_kwargs["middleware"]["action"] = "append"
                frontend_kwargs["middleware"]["type"] = str
                if "nargs" in frontend_kwargs["middleware"]:
                    del frontend_kwargs["middleware"]["nargs"]
                frontend_kwargs["host"]["flags"] = ["-H"]
                return frontend_kwargs

        def make_arg_parser(parser):
            parser.add_argument("model_tag", type=str, nargs="?", help="The model tag.")
            parser.add_argument(
                "--api-server-count", "-asc", type=int, default=None, help="How many."
            )
            parser = FrontendArgs.add_cli_args(parser)
            parser = AsyncEngineArgs.add_cli_args(parser)
            return parser
    """,
}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("vllm-src")
    for relpath, text in SYNTHETIC.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    script = _load_script()
    tree = script.SourceTree.from_dir(root)
    version = script.read_version(tree)
    result: dict[str, Any] = script.extract(tree, version, {"dir": "synthetic"})
    return result


def _flags(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in data["flags"]}


def test_synthetic_table_header(synthetic: dict[str, Any]) -> None:
    assert synthetic["vllm_version"] == "9.8.7"
    assert synthetic["quantization_methods"] == ["awq", "fp8", "gptq", "old_method"]
    assert synthetic["deprecated_quantization_methods"] == ["old_method"]
    assert synthetic["kv_cache_dtypes"] == ["auto", "bfloat16", "fp8", "fp8_e4m3"]
    assert synthetic["model_dtypes"] == ["auto", "half", "float16", "bfloat16", "float", "float32"]
    assert synthetic["positionals"] == ["model_tag"]


def test_synthetic_flag_set_and_groups(synthetic: dict[str, Any]) -> None:
    flags = _flags(synthetic)
    assert list(flags) == sorted(flags)
    assert flags["--dtype"]["group"] == "ModelConfig"
    assert flags["--tensor-parallel-size"]["group"] == "ParallelConfig"
    assert flags["--block-size"]["group"] == "CacheConfig"
    assert flags["--host"]["group"] == "Frontend"  # cls.__name__.replace("Args", "")
    assert flags["--chat-template"]["group"] == "Frontend"  # inherited field
    assert flags["--disable-log-stats"]["group"] == "EngineArgs"
    assert flags["--enable-log-requests"]["group"] == "AsyncEngineArgs"
    assert flags["--api-server-count"]["group"] == "serve"
    assert "model_tag" not in flags


def test_synthetic_literal_choices_and_metavar(synthetic: dict[str, Any]) -> None:
    flags = _flags(synthetic)
    dtype = flags["--dtype"]  # Literal | torch.dtype: argparse choices, sorted as vLLM does
    assert dtype["choices"] == sorted(["auto", "half", "float16", "bfloat16", "float", "float32"])
    assert dtype["type"] == "str"
    assert dtype["default"] == "auto"
    assert dtype["source"] == "ModelConfig.dtype"
    runner = flags["--runner"]  # a Literal nested in a Literal is flattened
    assert runner["choices"] == ["auto", "generate", "pooling"]
    kv = flags["--kv-cache-dtype"]  # Literal | str: metavar only
    assert kv["choices"] is None
    assert kv["known_values"] == ["auto", "bfloat16", "fp8", "fp8_e4m3"]
    quant = flags["--quantization"]  # the Literal only exists for type checkers
    assert quant["choices"] is None
    assert quant["known_values"] == ["awq", "fp8", "gptq", "old_method"]
    assert quant["aliases"] == ["-q"]
    assert quant["nullable"] is True
    rank = flags["--max-lora-rank"]
    assert rank["type"] == "int"
    assert rank["choices"] == [8, 16, 32]
    assert flags["--hash-algo"]["choices"] == ["sha256", "xxhash"]
    assert flags["--content-format"]["choices"] == ["auto", "openai", "string"]  # import *


def test_synthetic_kwargs_edits_are_applied(synthetic: dict[str, Any]) -> None:
    flags = _flags(synthetic)
    # parallel_kwargs["all2all_backend"]["choices"].remove(PASSTHROUGH)
    assert flags["--all2all-backend"]["choices"] == ["naive", "pplx"]
    # **{**cache_kwargs["enable_prefix_caching"], "default": None}
    prefix = flags["--enable-prefix-caching"]
    assert prefix["default"] is None
    assert prefix["source"] == "CacheConfig.enable_prefix_caching"
    # FrontendArgs._customize_cli_kwargs, after super()'s
    origins = flags["--allowed-origins"]
    assert origins["type"] == "json"
    assert origins["nargs"] is None
    assert origins["default"] == ["*"]
    middleware = flags["--middleware"]
    assert middleware["action"] == "append"
    assert middleware["repeatable"] is True
    assert middleware["nargs"] is None
    assert flags["--host"]["aliases"] == ["-H"]  # value.pop("flags", [])


def test_synthetic_booleans(synthetic: dict[str, Any]) -> None:
    flags = _flags(synthetic)
    prefix = flags["--enable-prefix-caching"]
    assert prefix["type"] == "bool"
    assert prefix["action"] == "boolean_optional"
    assert prefix["negative"] == "--no-enable-prefix-caching"
    assert prefix["negative_aliases"] == ["--disable-prefix-caching"]
    old = flags["--old-flag"]
    assert old["negative"] == "--no-old-flag"
    assert old["negative_aliases"] == []
    assert old["deprecated"] is True
    assert old["help"] == "--old-flag is deprecated and does nothing."
    stats = flags["--disable-log-stats"]
    assert stats["action"] == "store_true"
    assert stats["default"] is False
    assert stats["negative"] is None
    requests = flags["--enable-log-requests"]
    assert requests["default"] is False  # AsyncEngineArgs.enable_log_requests
    assert requests["negative_aliases"] == ["--disable-log-requests"]
    # bool | str | None: an optional value, bare flag = True
    token = flags["--hf-token"]
    assert (token["type"], token["nargs"], token["const"]) == ("str", "?", True)


def test_synthetic_types_and_defaults(synthetic: dict[str, Any]) -> None:
    flags = _flags(synthetic)
    tp = flags["--tensor-parallel-size"]
    assert (tp["type"], tp["default"], tp["aliases"]) == ("int", 1, ["-tp"])
    mml = flags["--max-model-len"]
    assert mml["type"] == "int" and mml["human_readable"] is True
    assert mml["constraints"] == {"ge": -1}
    assert any("'auto'" in note for note in mml["notes"])
    block = flags["--block-size"]
    assert block["human_readable"] is True and block["constraints"] == {"gt": 0}
    gmu = flags["--gpu-memory-utilization"]
    assert gmu["aliases"] == ["--device-memory-utilization"]
    assert gmu["dest"] == "gpu_memory_utilization"
    assert (gmu["type"], gmu["default"]) == ("float", 0.92)
    assert gmu["constraints"] == {"gt": 0, "le": 1}
    assert gmu["help"] == "The fraction of GPU memory, e.g. 0.5 for half."
    served = flags["--served-model-name"]
    assert (served["type"], served["nargs"], served["multiple"]) == ("str", "+", True)
    assert served["nullable"] is True
    sizes = flags["--cudagraph-sizes"]
    assert (sizes["type"], sizes["nargs"]) == ("int", 2)
    assert flags["--skip-layers"]["default"] == []
    assert flags["--hf-overrides"]["type"] == "json"
    assert flags["--hf-overrides"]["default"] == {}
    assert flags["--eplb-config"]["type"] == "json"  # a dataclass field
    spec = flags["--speculative-config"]
    assert (spec["type"], spec["nullable"], spec["aliases"]) == ("json", True, ["-sc"])
    assert flags["--port"]["default"] == 8000  # a module constant
    assert flags["--swa-tokens"]["default"] == 16  # 4 * 4
    assert flags["--swa-tokens"]["deprecated"] is True  # from _SWA_DEPRECATION_MESSAGE
    assert flags["--block-size"]["deprecated"] is False
    assert flags["--tensor-parallel-size"]["deprecated"] is False
    assert flags["--api-server-count"]["aliases"] == ["-asc"]


def test_synthetic_unresolved_values_are_null_with_a_note(synthetic: dict[str, Any]) -> None:
    flags = _flags(synthetic)
    stack = flags["--log-error-stack"]  # envs.SERVER_DEV_MODE comes from __getattr__
    assert stack["default"] is None
    assert any("default not resolved statically" in note for note in stack["notes"])
    device_ids = flags["--device-ids"]
    assert device_ids["type"] == "str"
    assert any("lambda" in note for note in device_ids["notes"])
    model = flags["--model"]  # registered under a condition on sys.argv
    assert model["default"] == "Qwen/Qwen3-0.6B"
    assert any(note.startswith("only if") for note in model["notes"])


def test_synthetic_render_is_deterministic(synthetic: dict[str, Any]) -> None:
    script = _load_script()
    text = script.render(synthetic)
    assert text == script.render(json.loads(text))
    assert text.endswith("}\n")


def test_synthetic_table_loads_into_flag_table(synthetic: dict[str, Any]) -> None:
    table = FlagTable.from_json(synthetic)
    assert table.version == "9.8.7" and table.exact
    assert table["-tp"].name == "--tensor-parallel-size"
    assert table["-H"].name == "--host"
    assert table.quantization_methods() == ("awq", "fp8", "gptq", "old_method")
    assert table.match_option("--disable-log-requests") == (table["--enable-log-requests"], True)


def test_first_sentence() -> None:
    script = _load_script()
    assert script.first_sentence("One two. Three.") == "One two."
    assert script.first_sentence("Use e.g. this, i.e. that. Next.") == "Use e.g. this, i.e. that."
    assert script.first_sentence("Wrapped\n  line. Next") == "Wrapped line."
    assert script.first_sentence("Para one\n\nPara two.") == "Para one"
    assert script.first_sentence("Version 1.5 is fine. Next.") == "Version 1.5 is fine."
    assert script.first_sentence("") == ""


def test_missing_compute_kwargs_is_an_error(tmp_path: Path) -> None:
    script = _load_script()
    for relpath, text in SYNTHETIC.items():
        path = tmp_path / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        body = textwrap.dedent(text).lstrip()
        if relpath == "vllm/engine/arg_utils.py":
            body = body.replace("def _compute_kwargs(cls):", "def _renamed(cls):")
        path.write_text(body, encoding="utf-8")
    tree = script.SourceTree.from_dir(tmp_path)
    with pytest.raises(script.ExtractionError, match="_compute_kwargs"):
        script.extract(tree, "9.8.7", {})
