"""Masking of personal data and secrets in free text, before anything leaves for a trace store.

Pure functions, no I/O. `mask_text` replaces what it recognises with a typed placeholder:

    e-mail addresses                                        → [EMAIL]
    API keys and tokens: sk-…, pk-lf-…, Bearer …, AKIA…/ASIA…,
      ghp_…, xox…-…, AIza…, JSON web tokens, long hex (32+)
      or base64 (40+, mixed case and digits) strings        → [API_KEY]
    card numbers (13-19 digits that pass the Luhn check)    → [CARD]
    phone numbers (8-15 digits in groups, 7+ after a "+",
      or a bare number of 9+ digits starting with 0)        → [PHONE]

`mask` applies `mask_text` to every string inside nested dicts, lists and tuples (keys are kept),
so a whole chat transcript or a model's input can be masked in one call. Masking is idempotent:
the placeholders themselves are never matched again.

It is deliberately conservative about numbers: ISO dates, times, IP addresses, percentages and
ordinary quantities ("1 000 000 requests a day") are left alone, so a trace still reads like the
interview it records.
"""

from __future__ import annotations

import re
from typing import Any

EMAIL, PHONE, API_KEY, CARD = "[EMAIL]", "[PHONE]", "[API_KEY]", "[CARD]"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")

# Secrets with a recognisable shape, most specific first.
_KEYS = [
    re.compile(r"(?i)\bbearer\s+(?!\[API_KEY\])[A-Za-z0-9._~+/=-]{8,}"),     # Authorization: Bearer …
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),  # JSON web token
    re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{12,}"),                          # OpenAI, Anthropic, Langfuse, Stripe
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),                              # AWS access key id
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}\b"),                             # GitHub
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),                             # Slack
    re.compile(r"\bAIza[0-9A-Za-z_-]{30,}"),                                   # Google
]
# Generic high-entropy strings: long hex, or long base64 mixing letters and digits.
_HEX = re.compile(r"(?<![A-Za-z0-9])[0-9a-fA-F]{32,}(?![A-Za-z0-9])")
_B64 = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{40,}={0,2}(?![A-Za-z0-9+/_=-])")

_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d[\d .-]{5,}\d(?!\w)")
# ISO dates, IPv4 addresses, thousands-grouped amounts ("10 000 000").
_NOT_PHONE = re.compile(r"\d{4}-\d{2}-\d{2}(?:\D|$)|\d{1,3}(?:\.\d{1,3}){3}$|\d{1,3}(?:[ .]\d{3})+$")


def _bearer(m: re.Match) -> str:
    return m.group(0).split()[0] + " " + API_KEY


def _b64(m: re.Match) -> str:
    s = m.group(0)
    # Random base64 mixes upper case, lower case and digits; paths and slugs do not.
    secret = any(c.isdigit() for c in s) and any(c.isupper() for c in s) and any(c.islower() for c in s)
    return API_KEY if secret else s


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _card(m: re.Match) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return CARD if 13 <= len(digits) <= 19 and _luhn(digits) else m.group(0)


def _phone(m: re.Match) -> str:
    s = m.group(0).rstrip(" .-")
    digits = re.sub(r"\D", "", s)
    if _NOT_PHONE.match(s) or not (7 if s.startswith("+") else 8) <= len(digits) <= 15:
        return m.group(0)
    if s.isdigit() and not (s.startswith("0") and len(s) >= 9):
        return m.group(0)  # a bare number is an amount or a count, unless it looks like 06 12 …
    return PHONE + m.group(0)[len(s):]


def mask_text(text: str) -> str:
    """`text` with e-mails, API keys/tokens, card and phone numbers replaced by placeholders."""
    if not text:
        return text
    text = _EMAIL.sub(EMAIL, text)
    text = _KEYS[0].sub(_bearer, text)
    for pattern in _KEYS[1:]:
        text = pattern.sub(API_KEY, text)
    text = _HEX.sub(API_KEY, text)
    text = _B64.sub(_b64, text)
    text = _CARD.sub(_card, text)
    return _PHONE.sub(_phone, text)


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


def sensitive_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of what `mask_text` would replace, found on the original text; kind is
    EMAIL, API_KEY, CARD or PHONE. Used where the values must be put back (agent.common.privacy)."""
    taken: list[tuple[int, int, str]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e, _ in taken)

    def scan(pattern: re.Pattern, kind: str, judge=None) -> None:
        for m in pattern.finditer(text):
            start, end = m.span()
            if judge is not None:
                verdict = judge(m)
                if verdict == m.group(0):
                    continue  # the pattern matched but the value is not sensitive
                if kind == "PHONE":  # _phone keeps trailing separators outside the number
                    end = start + len(m.group(0).rstrip(" .-"))
            if kind == "API_KEY" and pattern is _KEYS[0]:
                start = start + len(m.group(0).split()[0]) + 1  # keep the word "Bearer"
            if free(start, end):
                taken.append((start, end, kind))

    scan(_EMAIL, "EMAIL")
    for pattern in _KEYS:
        scan(pattern, "API_KEY")
    scan(_HEX, "API_KEY")
    scan(_B64, "API_KEY", _b64)
    scan(_CARD, "CARD", _card)
    scan(_PHONE, "PHONE", _phone)
    return sorted(taken)
