"""A real `vllm-wizard lsp` over stdio, driven by pytest-lsp with the capability sets of
VS Code (utf-16, pushed diagnostics) and Neovim 0.11 (utf-8, pulled diagnostics)."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

CLIENTS = ["visual-studio-code", "neovim@v0.11.0"]


def server_env(**extra: str) -> dict[str, str]:
    """pytest-lsp replaces the server's whole environment: start from ours."""
    env = dict(os.environ)
    env.update({"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", **extra})
    return env


def config(**extra: str) -> ClientServerConfig:
    return ClientServerConfig(
        server_command=[sys.executable, "-m", "vllm_wizard", "lsp", "--stdio"],
        server_env=server_env(**extra),
    )


def initialize_params(
    spec: str, options: dict[str, object] | None = None
) -> types.InitializeParams:
    return types.InitializeParams(
        capabilities=client_capabilities(spec),
        initialization_options=options if options is not None else {"offline": True},
    )


def answer_refresh_requests(client: LanguageClient) -> None:
    """The test client does not answer `workspace/codeLens/refresh`; real editors do."""

    @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
    def code_lens_refresh(params: None) -> None:
        client.code_lens_refreshes = getattr(client, "code_lens_refreshes", 0) + 1


@pytest_lsp.fixture(config=config(), params=CLIENTS)
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient) -> AsyncIterator[None]:
    """One server per test, offline (the Hub is never asked), with each client's capabilities."""
    answer_refresh_requests(lsp_client)
    await lsp_client.initialize_session(initialize_params(request.param))
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
