"""Personal data and secrets in free text: ONE detector, two policies.

Everything that leaves the process passes through here: provider requests (and the streamed or
structured replies mapped back), traces, exported data sets. `find` is the only detector; the
policies differ only in what they put in place of a value:

    mask_text / mask   irreversible, typed:        "[EMAIL]"    traces, exports
    Redactor           reversible, typed, numbered: "[EMAIL_1]"  provider boundary (`restore` maps
                                                                  the model's reply back)

Kinds (most specific first; a later kind never overlaps an earlier one):

    EMAIL    e-mail addresses
    API_KEY  Bearer tokens, JSON web tokens, sk-/pk-/rk-, AKIA/ASIA, gh?_, xox?-, AIza… keys, long
             hex (32+) and long mixed-case base64 (40+) strings
    IBAN     international bank account numbers (checksum validated by python-stdnum)
    CARD     13-19 digit card numbers that pass the Luhn check
    IP       IPv4 and IPv6 addresses (compressed forms too; validated by `ipaddress`)
    PHONE    8-15 digits in groups, 7+ after a "+", or a bare number of 9+ digits starting with 0

Numbers are treated conservatively: ISO dates, times, percentages, versions and ordinary quantities
("1 000 000 requests a day") are left alone, so a trace still reads like the interview it records.
Person names and street addresses are NOT detected (docs/security.md says so). Placeholders are
never matched again, so both policies are idempotent. Pure functions, no I/O.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from stdnum import iban as _iban

Kind = Literal["EMAIL", "API_KEY", "IBAN", "CARD", "IP", "PHONE"]
KINDS: tuple[Kind, ...] = ("EMAIL", "API_KEY", "IBAN", "CARD", "IP", "PHONE")


@dataclass(frozen=True, slots=True)
class Span:
    """A sensitive value at text[start:end]."""

    start: int
    end: int
    kind: Kind


# Both policies' placeholders; text inside them is never detected again.
PLACEHOLDER = re.compile(r"\[(?:EMAIL|API_KEY|IBAN|CARD|IP|PHONE)(?:_\d+)?\]")

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_BEARER = re.compile(r"(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{8,})")
_KEYS = (
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),  # JSON web token
    re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{12,}"),                          # OpenAI, Anthropic, Langfuse, Stripe
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),                              # AWS access key id
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}\b"),                             # GitHub
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),                             # Slack
    re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"),                                   # Google
)
_HEX = re.compile(r"(?<![A-Za-z0-9])[0-9a-fA-F]{32,}(?![A-Za-z0-9])")
_B64 = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{40,}={0,2}(?![A-Za-z0-9+/_=-])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d[\d .-]{5,}\d(?!\w)")
# ISO dates, IPv4 addresses, thousands-grouped amounts ("10 000 000").
_NOT_PHONE = re.compile(r"\d{4}-\d{2}-\d{2}(?:\D|$)|\d{1,3}(?:\.\d{1,3}){3}$|\d{1,3}(?:[ .]\d{3})+$")

# A digit group right before a candidate ("4111-" in "4111-1111-1111-1112"): the candidate is the
# tail of a longer number that was judged not sensitive, not a number of its own.
_NUMBER_BEFORE = re.compile(r"(?:^|[^\w.])\d+[ .-]$")
_NUMERIC: frozenset[str] = frozenset({"CARD", "PHONE"})

# A judge returns the (start, end) of the sensitive part of a candidate match, or None.
Judge = Callable[[re.Match[str]], tuple[int, int] | None]


def _whole(m: re.Match[str]) -> tuple[int, int]:
    return m.span()


def _bearer(m: re.Match[str]) -> tuple[int, int]:
    return m.span(1)  # keep the word "Bearer"


def _b64(m: re.Match[str]) -> tuple[int, int] | None:
    s = m.group(0)
    # Random base64 mixes upper case, lower case and digits; paths and slugs do not.
    secret = any(c.isdigit() for c in s) and any(c.isupper() for c in s) and any(c.islower() for c in s)
    return m.span() if secret else None


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _card(m: re.Match[str]) -> tuple[int, int] | None:
    digits = re.sub(r"\D", "", m.group(0))
    return m.span() if 13 <= len(digits) <= 19 and _luhn(digits) else None


def _iban_ok(m: re.Match[str]) -> tuple[int, int] | None:
    return m.span() if _iban.is_valid(m.group(0)) else None


def _ipv6(m: re.Match[str]) -> tuple[int, int] | None:
    s = m.group(0)
    if not any(c.isalnum() for c in s):
        return None
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return None
    return m.span()


def _phone(m: re.Match[str]) -> tuple[int, int] | None:
    s = m.group(0).rstrip(" .-")
    digits = re.sub(r"\D", "", s)
    if _NOT_PHONE.match(s) or not (7 if s.startswith("+") else 8) <= len(digits) <= 15:
        return None
    if s.isdigit() and not (s.startswith("0") and len(s) >= 9):
        return None  # a bare number is an amount or a count, unless it looks like 06 12 …
    return m.start(), m.start() + len(s)


# (pattern, kind, judge) in order of precedence.
_DETECTORS: tuple[tuple[re.Pattern[str], Kind, Judge], ...] = (
    (_EMAIL, "EMAIL", _whole),
    (_BEARER, "API_KEY", _bearer),
    *((p, "API_KEY", _whole) for p in _KEYS),
    (_HEX, "API_KEY", _whole),
    (_B64, "API_KEY", _b64),
    (_IBAN, "IBAN", _iban_ok),
    (_CARD, "CARD", _card),
    (_IPV4, "IP", _whole),
    (_IPV6, "IP", _ipv6),
    (_PHONE, "PHONE", _phone),
)


def find(text: str) -> list[Span]:
    """The sensitive values in `text`: non-overlapping spans, in text order."""
    if not text:
        return []
    taken: list[Span] = [Span(m.start(), m.end(), "EMAIL") for m in PLACEHOLDER.finditer(text)]
    blocked = len(taken)  # placeholders are reserved, not reported

    def free(a: int, b: int) -> bool:
        return all(b <= s.start or a >= s.end for s in taken)

    for pattern, kind, judge in _DETECTORS:
        pos = 0
        while (m := pattern.search(text, pos)) is not None:
            span = judge(m)
            if span is not None and kind in _NUMERIC and _NUMBER_BEFORE.search(text, max(0, m.start() - 24), m.start()):
                span = None
            if span is not None and span[1] > span[0] and free(*span):
                taken.append(Span(span[0], span[1], kind))
                pos = max(span[1], m.start() + 1)
            else:
                # Retry from the next character: in "Bearer abc1 4111 1111 1111 1111" the first
                # candidate card starts at the "1" of the token, the real one four characters on.
                pos = m.start() + 1
    return sorted(taken[blocked:], key=lambda s: s.start)


def _replace(text: str, placeholder: Callable[[Span, str], str]) -> str:
    out, pos = [], 0
    for s in find(text):
        out += [text[pos:s.start], placeholder(s, text[s.start:s.end])]
        pos = s.end
    return "".join(out) + text[pos:]


# --- policy 1: irreversible masks (traces, exports) --------------------------------------------

def mask_text(text: str) -> str:
    """`text` with every sensitive value replaced by its kind, e.g. "[EMAIL]"."""
    return _replace(text, lambda s, _: f"[{s.kind}]") if text else text


def mask(data: Any) -> Any:
    """`data` with `mask_text` applied to every string in it (dicts, lists and tuples are walked;
    dict keys and other values are kept as they are)."""
    if isinstance(data, str):
        return mask_text(data)
    if isinstance(data, dict):
        return {k: mask(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(mask(v) for v in data)
    return data


# --- policy 2: reversible placeholders (the provider boundary) ----------------------------------

class Redactor:
    """Redacts texts consistently (one instance per model call) and restores the reply: the same
    value always gets the same placeholder within a call, so the model can still refer to it."""

    def __init__(self) -> None:
        self._by_value: dict[str, str] = {}
        self._by_placeholder: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    @property
    def count(self) -> int:
        """How many distinct values were redacted."""
        return len(self._by_value)

    def _placeholder(self, span: Span, value: str) -> str:
        if value not in self._by_value:
            self._counts[span.kind] = self._counts.get(span.kind, 0) + 1
            ph = f"[{span.kind}_{self._counts[span.kind]}]"
            self._by_value[value] = ph
            self._by_placeholder[ph] = value
        return self._by_value[value]

    def redact(self, text: str) -> str:
        """`text` with every sensitive value replaced by its numbered placeholder."""
        return _replace(text, self._placeholder) if text else text

    def restore(self, text: str | None) -> str | None:
        """The model's text with placeholders mapped back to the values they stand for."""
        if not text or not self._by_placeholder:
            return text
        return PLACEHOLDER.sub(lambda m: self._by_placeholder.get(m.group(0), m.group(0)), text)

    def redact_messages(self, messages: Sequence[dict]) -> list[dict]:
        """Chat messages with their text content redacted (other fields untouched)."""
        return [{**m, "content": self.redact(m["content"])} if isinstance(m.get("content"), str) else dict(m)
                for m in messages]
