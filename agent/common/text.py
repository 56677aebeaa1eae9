"""Text normalisation shared by every layer (pure): cleaning a reply, the matching form used to
compare quotes and commands, word stems, and making user text safe to print.

`offline/text.py` keeps its own offset-preserving lower-casing on purpose: the offline reader slices
evidence out of the reply by offset, which a normalisation that changes lengths would break.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_TRANSLATE = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"',
        "\u2013": "-", "\u2014": "-", "\u2212": "-",
        "\u00a0": " ", "\u2026": "...",
    }
)
_WS = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+")


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


def normalize(text: str) -> str:
    """Case-, whitespace- and punctuation-style-insensitive form used for matching ("Don’t" and
    "don't", "a—b" and "a-b", runs of spaces and line breaks)."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE).casefold()
    return _WS.sub(" ", text).strip()


def squash(text: str) -> str:
    """Whitespace runs (line breaks included) as single spaces, trimmed."""
    return " ".join(text.split())


@lru_cache(maxsize=1)
def stemmer():
    """The one English Snowball stemmer (PyStemmer) every stemmed match uses."""
    import Stemmer

    return Stemmer.Stemmer("english")


def stems(text: str) -> list[str]:
    """Lower-cased word stems of a text."""
    return stemmer().stemWords(_WORD.findall(text.lower().replace("'", "")))


def whole_sentences(text: str, limit: int = 400) -> str:
    """`text` flattened, cut after the last whole sentence (or line item) within `limit` chars."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s)|(?<=\w)\s-\s", flat[:limit])]
    return flat[:ends[-1]].rstrip(" -") if ends else flat[:flat.rfind(" ", 0, limit)].rstrip(",;:") + " …"
