"""pygls' protocol, with `$/cancelRequest` for a request already answered taken quietly.

Clients cancel requests they no longer need (VS Code cancels a hover when the mouse moves on,
a completion when the user types on, code lenses when the document changes), and most often
the answer is already sent: our hover, completion and code-lens handlers are synchronous, so
pygls never even keeps their ids. pygls 2.1 logs every such cancellation as a warning,
"Cancel notification for unknown message id", which reaches the user as an error line in
VS Code's output channel. Nothing went wrong, so it is logged at debug level here; a
cancellation of a request still running is handed to pygls as before.
"""

from __future__ import annotations

import logging
from typing import Any

from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)


class WizardProtocol(LanguageServerProtocol):
    """`LanguageServerProtocol` that treats a late `$/cancelRequest` as the normal event it is."""

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        if msg_id not in self._request_futures:
            log.debug("$/cancelRequest for %r: already answered, nothing to cancel", msg_id)
            return
        super()._handle_cancel_notification(msg_id)
