"""Helpers of the model tests: a fake Hugging Face Hub behind huggingface_hub's own HTTP client,
and narrowing a resolver's answer.

``set_client_factory`` hands huggingface_hub an ``httpx2.Client`` over an
``httpx2.MockTransport`` that answers the URLs huggingface_hub 2.x requests (HEAD/GET
``resolve/<rev>/config.json`` with ``X-Repo-Commit`` and ``ETag``,
``/api/models/<id>/revision/<sha>?expand=safetensors``, ranged GETs of ``model.safetensors``),
and the Hub's error answers (``X-Error-Code: GatedRepo | RepoNotFound | RevisionNotFound |
EntryNotFound``). No request leaves the process. The ``fake_hub`` fixture lives in
tests/models/conftest.py.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from vllm_wizard.models import hub
from vllm_wizard.models.resolve import ModelUnresolved, ResolvedModel

SHA = "0123456789abcdef0123456789abcdef01234567"
SHA2 = "89abcdef0123456789abcdef0123456789abcdef"


@dataclass
class FakeRepo:
    files: dict[str, bytes]
    revisions: dict[str, str] = field(default_factory=lambda: {"main": SHA})
    api_safetensors: dict[str, Any] | None = None
    gated: bool = False


class FakeHub:
    """Answers the requests huggingface_hub makes; records them as (method, path?query)."""

    def __init__(self) -> None:
        self.repos: dict[str, FakeRepo] = {}
        self.requests: list[tuple[str, str]] = []
        self.fail: Callable[[Any], Any] | None = None
        """Answers (or raises) first; returning None lets the repo answer."""
        self.delay_s = 0.0
        """Each answer waits this long: a Hub that answers every request, slowly."""
        self.agent_registry_requests = 0
        """huggingface_hub's telemetry asks for its agent registry; counted, never recorded."""

    def add(self, model_id: str, repo: FakeRepo) -> None:
        self.repos[model_id] = repo

    def handler(self, request: Any) -> Any:
        import httpx2

        path = request.url.path
        if path == "/api/agent-harnesses":  # huggingface_hub's user-agent registry
            self.agent_registry_requests += 1
            return httpx2.Response(404)
        if self.delay_s:
            time.sleep(self.delay_s)
        query = request.url.query.decode() if isinstance(request.url.query, bytes) else ""
        self.requests.append((request.method, path + (f"?{query}" if query else "")))
        if self.fail is not None:
            failed = self.fail(request)
            if failed is not None:
                return failed
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "models"]:
            return self._api(request, parts[2:])
        if len(parts) >= 5 and parts[2] == "resolve":
            return self._resolve(request, "/".join(parts[:2]), parts[3], "/".join(parts[4:]))
        return httpx2.Response(404)

    def _repo(self, request: Any, model_id: str, *, files: bool = True) -> Any:
        """The repo, or the Hub's error answer; a gated repo's API info stays public."""
        import httpx2

        repo = self.repos.get(model_id)
        if repo is None:
            return httpx2.Response(
                401,
                headers={"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"},
                request=request,
            )
        if files and repo.gated and "authorization" not in request.headers:
            return httpx2.Response(
                401,
                headers={
                    "X-Error-Code": "GatedRepo",
                    "X-Error-Message": f"Access to model {model_id} is restricted.",
                },
                request=request,
            )
        return repo

    def _commit(self, request: Any, repo: FakeRepo, revision: str) -> Any:
        import httpx2

        if revision in repo.revisions.values():
            return revision
        if revision in repo.revisions:
            return repo.revisions[revision]
        return httpx2.Response(
            404,
            headers={"X-Error-Code": "RevisionNotFound", "X-Error-Message": "Invalid rev id"},
            request=request,
        )

    def _resolve(self, request: Any, model_id: str, revision: str, filename: str) -> Any:
        import httpx2

        repo = self._repo(request, model_id)
        if not isinstance(repo, FakeRepo):
            return repo
        commit = self._commit(request, repo, revision)
        if not isinstance(commit, str):
            return commit
        content = repo.files.get(filename)
        if content is None:
            return httpx2.Response(
                404,
                headers={"X-Error-Code": "EntryNotFound", "X-Repo-Commit": commit},
                request=request,
            )
        headers = {
            "X-Repo-Commit": commit,
            "ETag": f'"{hashlib.sha256(content).hexdigest()}"',
            "Content-Length": str(len(content)),
        }
        if request.method == "HEAD":
            return httpx2.Response(200, headers=headers, request=request)
        ranged = request.headers.get("range")
        if ranged:
            start, end = (int(x) for x in ranged.removeprefix("bytes=").split("-"))
            part = content[start : end + 1]
            headers["Content-Length"] = str(len(part))
            return httpx2.Response(206, headers=headers, content=part, request=request)
        return httpx2.Response(200, headers=headers, content=content, request=request)

    def _api(self, request: Any, parts: list[str]) -> Any:
        import httpx2

        model_id = "/".join(parts[:2])
        repo = self._repo(request, model_id, files=False)
        if not isinstance(repo, FakeRepo):
            return repo
        revision = parts[3] if len(parts) >= 4 and parts[2] == "revision" else "main"
        commit = self._commit(request, repo, revision)
        if not isinstance(commit, str):
            return commit
        body: dict[str, Any] = {"id": model_id, "modelId": model_id, "sha": commit}
        if repo.api_safetensors is not None:
            body["safetensors"] = repo.api_safetensors
        return httpx2.Response(200, json=body, request=request)


@contextmanager
def online_fake_hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    """huggingface_hub online, talking to a FakeHub; no token from the developer's machine."""
    import httpx2
    import huggingface_hub
    from huggingface_hub import constants
    from huggingface_hub.utils import _http

    fake = FakeHub()
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # read at import; conftest set it
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))

    def factory() -> httpx2.Client:
        return httpx2.Client(
            transport=httpx2.MockTransport(fake.handler),
            event_hooks={"request": [_http.hf_request_event_hook]},
            follow_redirects=True,
        )

    huggingface_hub.set_client_factory(factory)
    hub.clear_hub_memo()
    try:
        yield fake
    finally:
        huggingface_hub.set_client_factory(_http.default_client_factory)
        hub.clear_hub_memo()


def resolved(result: object) -> ResolvedModel:
    assert isinstance(result, ResolvedModel), result
    return result


def unresolved(result: object) -> ModelUnresolved:
    assert isinstance(result, ModelUnresolved), result
    return result
