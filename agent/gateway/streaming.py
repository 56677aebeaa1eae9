"""Streamed replies with redaction placeholders mapped back as the tokens arrive."""

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
