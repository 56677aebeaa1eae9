"""Streamed replies: redaction placeholders mapped back as the tokens arrive, and answers that
turn out to be data (JSON) held back instead of shown."""

from __future__ import annotations

from collections.abc import Callable

from agent.common.privacy import Redactor

# The longest placeholder a token may be the start of ("[API_KEY_12]").
_MAX_PLACEHOLDER = 16


class RestoringStream:
    """Passes streamed tokens on with redaction placeholders mapped back; a token that may be the
    start of a placeholder ("[EM") is held until the placeholder is complete."""

    def __init__(self, redactor: Redactor, on_token: Callable[[str], None]) -> None:
        self.redactor, self.on_token, self.pending = redactor, on_token, ""

    def __call__(self, token: str) -> None:
        self.pending += token
        cut = self.pending.rfind("[")
        if cut != -1 and "]" not in self.pending[cut:] and len(self.pending) - cut <= _MAX_PLACEHOLDER:
            ready, self.pending = self.pending[:cut], self.pending[cut:]
        else:
            ready, self.pending = self.pending, ""
        if ready:
            self.on_token(self.redactor.restore(ready) or "")

    def flush(self) -> None:
        if self.pending:
            self.on_token(self.redactor.restore(self.pending) or "")
            self.pending = ""


class ProseOnly:
    """Passes streamed tokens on unless the answer starts like JSON ("{", "[", a code fence): then
    they are held until the end, when `finish` shows them if they were prose after all."""

    def __init__(self, on_token: Callable[[str], None]) -> None:
        self.on_token, self.held, self.passing = on_token, "", False

    def __call__(self, token: str) -> None:
        if self.passing:
            self.on_token(token)
            return
        self.held += token
        start = self.held.lstrip()
        if start and not start.startswith(("{", "[", "`")):
            self.passing = True
            self.on_token(self.held)
            self.held = ""

    def finish(self, is_data: bool) -> None:
        """End of the stream: show what was held unless it is data."""
        if self.held and not is_data:
            self.on_token(self.held)
        self.held = ""
