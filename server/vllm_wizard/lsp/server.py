"""pygls wiring only: each handler converts LSP ⇄ engine types and calls a feature module.

Diagnostics are pulled (`textDocument/diagnostic`) when the client supports it and pushed
(with the document version) otherwise, never both. An edit is analysed as soon as the event
loop is free, with no fixed debounce (analysis takes about a millisecond); edits that arrive
before then are coalesced into one analysis of the latest text. Background work (publishes,
Hub lookups) runs as tasks the server keeps strong references to and whose exceptions are
logged. A feature that fails answers that one request with an error; the server keeps serving.
Only documents the client opened are answered for: the server never reads a file on its own
for a request (a FIFO or a slow network mount would block it).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from vllm_wizard import __version__
from vllm_wizard.lsp.convert import Converter, documentation_kind, encoding_of, hover_kind
from vllm_wizard.lsp.model import GENERATE_COMMAND, SHOW_PLAN_COMMAND, VERDICT_NOTIFICATION
from vllm_wizard.lsp.protocol import WizardProtocol
from vllm_wizard.lsp.settings import SECTION, Settings, merge_settings
from vllm_wizard.profile.positions import split_lines

if TYPE_CHECKING:
    from pygls.workspace import TextDocument

    from vllm_wizard.lsp.documents import Analyzer, HubLookup
    from vllm_wizard.pipeline import Analysis

log = logging.getLogger("vllm_wizard.lsp")

T = TypeVar("T")

FAULT_ENV = "VLLM_WIZARD_INJECT_FAULT"
"""Comma-separated feature names that raise on purpose (tests of the failure path only)."""

COMPLETION_TRIGGERS = [":", " ", "-", '"', "'", "/"]


class WizardServer(LanguageServer):
    """The vLLM Wizard language server's state: the analysis cache and background tasks."""

    def __init__(self) -> None:
        super().__init__(
            "vllm-wizard",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=WizardProtocol,
        )
        self._analyzer: Analyzer | None = None
        self.settings = Settings()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.publishing: dict[str, asyncio.Task[Any]] = {}
        """A publish waiting for the event loop, per URI; later edits join it."""
        self.published: set[str] = set()
        self.first_publish = asyncio.Event()
        self.pull = False
        self.faults = frozenset(filter(None, os.environ.get(FAULT_ENV, "").split(",")))

    @property
    def analyzer(self) -> Analyzer:
        """Created on first use: importing the pipeline (the planner, the catalogs) takes a while,
        and `initialize` must not wait for it."""
        if self._analyzer is None:
            from vllm_wizard.lsp.documents import Analyzer

            self._analyzer = Analyzer(
                schedule_lookup=self._schedule_lookup, on_lookup_done=self._lookup_done
            )
            self._analyzer.update_settings(self.settings)
        return self._analyzer

    # ---- tasks ---------------------------------------------------------------------

    def run_task(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Start `coro`, keep a strong reference until it ends, log what it raises."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("background task %s failed", task.get_name(), exc_info=error)

    def prune_finished_notifications(self) -> None:
        """Work around pygls 2.1: a notification handled by one of its built-in generator
        handlers (didOpen, didChange, didClose, ...) leaves its finished Future in
        `_request_futures` under a fresh id forever, ~2 KiB per keystroke. Requests pop their
        own futures when answered, so every finished future left there is such a leftover."""
        futures = getattr(self.protocol, "_request_futures", None)
        if isinstance(futures, dict):
            for msg_id in [key for key, future in futures.items() if future.done()]:
                del futures[msg_id]

    # ---- documents -----------------------------------------------------------------

    def open_document(self, uri: str) -> TextDocument | None:
        """The document as the client has it, None unless it is open (pygls would read an
        unopened one from disk, synchronously: a FIFO there blocks the server for good)."""
        document: TextDocument | None = self.workspace.text_documents.get(unquote(uri))
        return document

    def current(self, uri: str) -> tuple[Analysis | None, Converter]:
        """The analysis of the document as the client has it now, and its converter; no
        analysis for a document that is not open."""
        encoding = encoding_of(self.workspace.position_encoding)
        document = self.open_document(uri)
        if document is None:
            return None, Converter([], encoding)
        text = document.source
        analysis = self.analyzer.analysis(uri, text, document.version)
        lines = analysis.document.lines if analysis is not None else split_lines(text)
        return analysis, Converter(lines, encoding)

    def is_open(self, uri: str) -> bool:
        return self.open_document(uri) is not None

    def schedule_publish(self, uri: str) -> None:
        """Analyse and publish `uri` as soon as the event loop is free.

        Edits that arrive before then join the pending publish, which reads the latest
        text: a burst of keystrokes costs one analysis, a single one no wait at all. The
        `debounceMs` setting (default 0) adds a delay before that analysis.
        """
        if uri not in self.publishing:
            self.publishing[uri] = self.run_task(self._publish_soon(uri), f"publish {uri}")

    async def _publish_soon(self, uri: str) -> None:
        try:
            await asyncio.sleep(self.settings.debounce_ms / 1000)
        finally:
            self.publishing.pop(uri, None)
        if self.is_open(uri):
            self.publish(uri)

    def publish(self, uri: str) -> None:
        """Analyse the current text and tell the client (diagnostics if pushed, the verdict).

        Analysis runs on the event loop between messages, so the version analysed is the
        version published; the check below keeps it so should analysis ever yield."""
        document = self.open_document(uri)
        if document is None:
            return
        version = document.version
        analysis, converter = self.current(uri)
        if self.open_document(uri) is not document or document.version != version:
            return  # the text moved on: the next publish reports the new one
        if not self.pull and (analysis is not None or uri in self.published):
            items = (
                [converter.diagnostic(d, uri) for d in analysis.diagnostics]
                if analysis is not None
                else []
            )
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=version)
            )
            if analysis is not None:
                self.published.add(uri)
            else:
                self.published.discard(uri)
        self.first_publish.set()
        if analysis is not None:
            from vllm_wizard.lsp import lens

            found = lens.verdict(analysis)
            if found is not None:
                starts, fits, summary = found
                self.protocol.notify(
                    VERDICT_NOTIFICATION,
                    {"uri": uri, "fits": fits, "starts": starts, "summary": summary},
                )

    def clear(self, uri: str) -> None:
        pending = self.publishing.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self.analyzer.forget(uri)
        if not self.pull:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )
        self.published.discard(uri)

    def republish_all(self) -> None:
        """Something outside the texts changed: every open profile again, and refresh views."""
        open_documents = [document.uri for document in self.workspace.text_documents.values()]
        if not open_documents:
            return
        for uri in open_documents:  # the URI as the client wrote it (the keys are unquoted)
            self.schedule_publish(uri)
        capabilities = self.client_capabilities.workspace
        if capabilities is not None:
            diagnostics = capabilities.diagnostics
            if self.pull and diagnostics is not None and diagnostics.refresh_support:
                self.workspace_diagnostic_refresh(None)
            code_lens = capabilities.code_lens
            if code_lens is not None and code_lens.refresh_support:
                self.workspace_code_lens_refresh(None)

    # ---- Hub lookups ---------------------------------------------------------------

    def _schedule_lookup(self, key: HubLookup, lookup: Callable[[], Any]) -> None:
        self.run_task(self._lookup(key, lookup), f"hub {key[0]}")

    async def _lookup(self, key: HubLookup, lookup: Callable[[], Any]) -> None:
        """Ask the Hub in a thread; after `hubTimeout` seconds in all, stop waiting and
        publish the answer without it (a Hub that trickles bytes never times out a read)."""
        from vllm_wizard.lsp.documents import LookupTimedOut
        from vllm_wizard.lsp.progress import Progress

        seconds = self.settings.hub_timeout
        message = f"Looking up {key[0]} on the Hugging Face Hub"
        async with Progress(self, "vLLM Wizard", message):
            answer = in_daemon_thread(lookup, f"hub lookup {key[0]}")
            try:
                result: Any = await asyncio.wait_for(asyncio.shield(answer), seconds)
            except TimeoutError:
                log.warning("the Hub gave no answer about %s within %g s", key[0], seconds)
                result = LookupTimedOut(seconds)
                answer.add_done_callback(lambda late: self._late_answer(key, late))
            except Exception as error:  # reported as a diagnostic by lookup_finished
                result = error
        self.analyzer.lookup_finished(key, result)

    def _late_answer(self, key: HubLookup, answer: asyncio.Future[Any]) -> None:
        """The Hub answered after the deadline: a model found is used, a failure ignored."""
        if not answer.cancelled() and answer.exception() is None:
            self.analyzer.lookup_arrived_late(key, answer.result())

    def _lookup_done(self, key: HubLookup) -> None:
        log.info("Hub lookup of %s finished", key[0])
        self.republish_all()

    # ---- settings ------------------------------------------------------------------

    async def pull_settings(self) -> None:
        capabilities = self.client_capabilities.workspace
        if capabilities is None or not capabilities.configuration:
            return
        answer = await self.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
        )
        if answer:
            self.apply_settings(answer[0])

    def apply_settings(self, raw: Any) -> None:
        before = self.settings
        self.settings = merge_settings(before, raw)
        if self._analyzer is not None:
            self._analyzer.update_settings(self.settings)
        if self.settings != before:
            log.info("settings: %s", self.settings)
            self.republish_all()


def _guard(server: WizardServer, name: str, call: Callable[[], T]) -> T:
    """Run one feature; log its failure with the traceback and let pygls answer an error."""
    try:
        if name in server.faults:
            raise RuntimeError(f"injected fault in {name} ({FAULT_ENV})")
        return call()
    except Exception:
        log.exception("%s failed", name)
        raise


def in_daemon_thread(call: Callable[[], T], name: str) -> asyncio.Future[T]:
    """`call()` in a thread of its own whose result lands in the returned future.

    A daemon thread, unlike `asyncio.to_thread`'s pool, does not keep the process alive at
    exit while a Hub request hangs, nor take a pool worker others need."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: Exception | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        result: T | None = None
        error: Exception | None = None
        try:
            result = call()
        except Exception as raised:
            error = raised
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


def warm_pipeline() -> None:
    """What the first diagnostics need: the pipeline, the planner and the catalogs.

    Imported on the event loop, at `initialized`, not in a thread: editors send didOpen right
    behind it, and its analysis needs these modules anyway. Importing them in a thread made
    the analysis wait on the thread's module locks and on the GIL's 5 ms hand-over for each
    (~25 ms later first diagnostics, measured with benchmarks/bench_lsp.py)."""
    from vllm_wizard.catalog.gpus import all_gpus
    from vllm_wizard.catalog.models import catalog_models
    from vllm_wizard.lsp import documents
    from vllm_wizard.planning import plan

    del documents, plan
    all_gpus()
    catalog_models()
    gc.freeze()  # what was just loaded lives as long as the server: collections skip it


def warm_features() -> None:
    """What the first hover, completion or code action needs."""
    from vllm_wizard.lsp import actions, commands, completion, hover, lens, symbols

    del actions, commands, completion, hover, lens, symbols


FEATURES_WARM_UP_AFTER_S = 1.0
"""Feature modules are imported after the first publish, or this long after `initialized`
when no profile is opened: importing them sooner would compete with the first analysis."""


async def warm_features_later(server: WizardServer) -> None:
    """The feature modules, in a thread, once the first diagnostics are out."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(server.first_publish.wait(), FEATURES_WARM_UP_AFTER_S)
    await asyncio.to_thread(warm_features)


def build_server() -> WizardServer:
    """Register every feature on a new server; feature modules load on first use."""
    server = WizardServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: WizardServer, params: types.InitializeParams) -> None:
        ls.pull = params.capabilities.text_document is not None and (
            params.capabilities.text_document.diagnostic is not None
        )
        ls.apply_settings(params.initialization_options)
        log.info("vllm-wizard %s: %s diagnostics", __version__, "pull" if ls.pull else "push")

    @server.feature(types.INITIALIZED)
    def initialized(ls: WizardServer, params: types.InitializedParams) -> None:
        ls.run_task(ls.pull_settings(), "configuration")
        warm_pipeline()
        ls.run_task(warm_features_later(ls), "warm up")

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(
        ls: WizardServer, params: types.DidChangeConfigurationParams
    ) -> None:
        ls.apply_settings(params.settings)
        ls.run_task(ls.pull_settings(), "configuration")

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: WizardServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.prune_finished_notifications()
        ls.schedule_publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: WizardServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.prune_finished_notifications()
        ls.schedule_publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: WizardServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.prune_finished_notifications()
        ls.clear(params.text_document.uri)

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier="vllm-wizard", inter_file_dependencies=False, workspace_diagnostics=False
        ),
    )
    def diagnostic(
        ls: WizardServer, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        uri = params.text_document.uri

        def run() -> types.DocumentDiagnosticReport:
            analysis, converter = ls.current(uri)
            items = (
                [converter.diagnostic(d, uri) for d in analysis.diagnostics]
                if analysis is not None
                else []
            )
            return types.RelatedFullDocumentDiagnosticReport(items=items)

        return _guard(ls, "diagnostic", run)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: WizardServer, params: types.HoverParams) -> types.Hover | None:
        from vllm_wizard.lsp import hover

        def run() -> types.Hover | None:
            analysis, converter = ls.current(params.text_document.uri)
            if analysis is None:
                return None
            result = hover.hover(analysis, converter.from_position(params.position))
            if result is None:
                return None
            return converter.hover(result, hover_kind(ls.client_capabilities))

        return _guard(ls, "hover", run)

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=COMPLETION_TRIGGERS),
    )
    def on_completion(
        ls: WizardServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        from vllm_wizard.lsp import completion

        def run() -> types.CompletionList | None:
            uri = params.text_document.uri
            analysis, converter = ls.current(uri)
            if analysis is None:
                return None
            found = completion.complete(
                analysis.text, converter.from_position(params.position), analysis
            )
            snippets = _snippet_support(ls)
            docs = documentation_kind(ls.client_capabilities)
            return types.CompletionList(
                is_incomplete=found.incomplete,
                items=[converter.completion(item, snippets, docs) for item in found.items],
            )

        return _guard(ls, "completion", run)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.Source]
        ),
    )
    def on_code_action(
        ls: WizardServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        from vllm_wizard.lsp import actions

        def run() -> list[types.CodeAction] | None:
            uri = params.text_document.uri
            analysis, converter = ls.current(uri)
            if analysis is None:
                return None
            sent = [converter.from_diagnostic(d) for d in params.context.diagnostics]
            only = [str(kind) for kind in params.context.only] if params.context.only else None
            found = actions.code_actions(
                analysis,
                uri,
                converter.from_range(params.range),
                [d for d in sent if d is not None],
                only,
            )
            return [converter.action(action, uri) for action in found]

        return _guard(ls, "code action", run)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    def on_code_lens(ls: WizardServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        from vllm_wizard.lsp import lens

        def run() -> list[types.CodeLens]:
            uri = params.text_document.uri
            analysis, converter = ls.current(uri)
            if analysis is None:
                return []
            return [converter.lens(item) for item in lens.code_lenses(analysis, uri)]

        return _guard(ls, "code lens", run)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def on_symbols(
        ls: WizardServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol]:
        from vllm_wizard.lsp import symbols

        def run() -> list[types.DocumentSymbol]:
            analysis, converter = ls.current(params.text_document.uri)
            if analysis is None:
                return []
            return [converter.symbol(s) for s in symbols.document_symbols(analysis)]

        return _guard(ls, "document symbols", run)

    @server.command(GENERATE_COMMAND)
    async def generate(ls: WizardServer, uri: str, *rest: Any) -> dict[str, Any]:
        from vllm_wizard.lsp import commands

        if GENERATE_COMMAND in ls.faults:
            raise RuntimeError(f"injected fault in {GENERATE_COMMAND} ({FAULT_ENV})")
        return await commands.generate(ls, uri)

    @server.command(SHOW_PLAN_COMMAND)
    async def show_plan(ls: WizardServer, uri: str, *rest: Any) -> dict[str, Any]:
        from vllm_wizard.lsp import commands

        return await commands.show_plan(ls, uri)

    return server


def _snippet_support(server: WizardServer) -> bool:
    document = server.client_capabilities.text_document
    if document is None or document.completion is None:
        return False
    item = document.completion.completion_item
    return bool(item is not None and item.snippet_support)


class _ClientLogHandler(logging.Handler):
    """Our log records also go to the client (`window/logMessage`)."""

    LEVELS: ClassVar[dict[int, types.MessageType]] = {
        logging.ERROR: types.MessageType.Error,
        logging.WARNING: types.MessageType.Warning,
        logging.INFO: types.MessageType.Info,
        logging.DEBUG: types.MessageType.Log,
    }

    def __init__(self, server: WizardServer) -> None:
        super().__init__()
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(self.server.protocol, "writer", None) is None:
            return
        try:
            kind = self.LEVELS.get(record.levelno, types.MessageType.Log)
            self.server.window_log_message(
                types.LogMessageParams(type=kind, message=self.format(record))
            )
        except Exception:  # logging must never take the server down
            self.handleError(record)


def configure_logging(server: WizardServer, level: str, log_file: str | None) -> None:
    logger = logging.getLogger("vllm_wizard")
    logger.setLevel(getattr(logging, level.upper(), logging.INFO))
    logger.propagate = False
    client = _ClientLogHandler(server)
    client.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(client)
    if log_file:
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logger.addHandler(handler)
        logging.getLogger("pygls").addHandler(handler)


def serve(*, tcp: str | None, level: str, log_file: str | None) -> int:
    """Run until the client says exit."""
    # huggingface_hub reads this once, at import (first lookup): the server's lookups fetch
    # a config.json and nothing else.
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    server = build_server()
    configure_logging(server, level, log_file)
    # lsprotocol and pygls leave ~50,000 tracked objects that live as long as the process;
    # full collections walked them again and again (~20 ms before the first diagnostics).
    gc.freeze()
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return 0
