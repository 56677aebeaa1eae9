"""Cleaning a reply before it enters the interview (pure)."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def clean_reply(text: str, max_chars: int) -> tuple[str, list[str]]:
    """(cleaned text, notices). Removes terminal escapes and control characters, replaces
    undecodable bytes' stand-ins, collapses blank runs and truncates to `max_chars`."""
    notices: list[str] = []
    text = _ANSI.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFC", text)
    if "\ufffd" in text:
        text = text.replace("\ufffd", "")
        notices.append("Part of your reply was not valid text and was left out.")
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) > max_chars:
        cut = text[:max_chars]
        # Prefer to cut at a sentence end so evidence quotes stay whole.
        end = max(cut.rfind(". "), cut.rfind("\n"))
        text = cut[: end + 1].strip() if end > max_chars * 0.6 else cut.strip()
        notices.append(f"Your reply was long, so I read only its first {len(text):,} characters "
                       f"(the limit is {max_chars:,}; set input.max_reply_chars to change it).")
    return text, notices
