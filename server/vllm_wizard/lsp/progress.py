"""`$/progress` for work the server does in the background (Hub lookups, writing files).

Reported only when the client says it supports it (`window.workDoneProgress`); a client that
refuses the token still gets the work done, just without the progress bar.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)


class Progress:
    """An async context manager: begin on enter, end on exit, `report` in between."""

    def __init__(self, server: LanguageServer, title: str, message: str | None = None) -> None:
        self.server = server
        self.title = title
        self.message = message
        self.token = f"vllm-wizard-{uuid.uuid4().hex}"
        window = server.client_capabilities.window
        self.enabled = window is not None and bool(window.work_done_progress)

    async def __aenter__(self) -> Progress:
        if self.enabled:
            try:
                await self.server.work_done_progress.create_async(self.token)
                self.server.work_done_progress.begin(
                    self.token,
                    types.WorkDoneProgressBegin(
                        title=self.title, message=self.message, percentage=0
                    ),
                )
            except Exception:
                log.warning("the client refused a progress token", exc_info=True)
                self.enabled = False
        return self

    def report(self, message: str, percentage: int) -> None:
        if self.enabled:
            self.server.work_done_progress.report(
                self.token, types.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    async def __aexit__(self, *exc: object) -> None:
        if self.enabled:
            self.server.work_done_progress.end(self.token, types.WorkDoneProgressEnd())
