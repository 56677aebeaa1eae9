"""PII redaction at the provider boundary (pure).

Before any text goes to a model provider, e-mail addresses, phone numbers, API keys and tokens,
card numbers and IP addresses are replaced by typed, numbered placeholders ("[EMAIL_1]"); the same
value always gets the same placeholder within a call, so the model can still refer to it. The
model's reply is mapped back (`restore`) before anything else reads it, so evidence quotes match
the interviewee's own words and the local transcript never changes.

Detection is agent.common.privacy's (the trace masking) plus IP addresses, which traces keep but
providers need not see.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.common.privacy import sensitive_spans

_PLACEHOLDER = re.compile(r"\[(?:EMAIL|API_KEY|CARD|PHONE|IP)_\d+\]")
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}(?![\w:])")


def spans(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind) of the sensitive values in `text`, in order."""
    found = [(m.start(), m.end(), "IP") for p in (_IPV4, _IPV6) for m in p.finditer(text)]
    for s, e, kind in sensitive_spans(text):
        if all(e <= a or s >= b for a, b, _ in found):
            found.append((s, e, kind))
    return sorted(found)


class Redactor:
    """Redacts texts consistently (one instance per model call) and restores the reply."""

    def __init__(self) -> None:
        self._by_value: dict[str, str] = {}
        self._by_placeholder: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    @property
    def count(self) -> int:
        """How many distinct values were redacted."""
        return len(self._by_value)

    def _placeholder(self, kind: str, value: str) -> str:
        if value not in self._by_value:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            ph = f"[{kind}_{self._counts[kind]}]"
            self._by_value[value] = ph
            self._by_placeholder[ph] = value
        return self._by_value[value]

    def redact(self, text: str) -> str:
        """`text` with every sensitive value replaced by its placeholder."""
        if not text:
            return text
        out, pos = [], 0
        for s, e, kind in spans(text):
            out += [text[pos:s], self._placeholder(kind, text[s:e])]
            pos = e
        return "".join(out) + text[pos:]

    def restore(self, text: str | None) -> str | None:
        """The model's text with placeholders mapped back to the values they stand for."""
        if not text or not self._by_placeholder:
            return text
        return _PLACEHOLDER.sub(lambda m: self._by_placeholder.get(m.group(0), m.group(0)), text)

    def redact_messages(self, messages: Sequence[dict]) -> list[dict]:
        """Chat messages with their text content redacted (other fields untouched)."""
        return [{**m, "content": self.redact(m["content"])} if isinstance(m.get("content"), str) else dict(m)
                for m in messages]
