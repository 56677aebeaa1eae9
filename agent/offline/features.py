"""Features of a sentence for the offline engine's statistical reader (pure, deterministic).

Words are lower-cased with typographic quotes and dashes folded; a negation ("no", "not", "n't",
"never", "without", "none", "nothing") marks the words after it in the same clause with "~", so
"we don't have failover" and "we have failover" differ; numbers become "<n>" (and percentages
"<pct>"), so "80%" and "75 percent" look alike. Features: word unigrams and bigrams, and character
4-grams of each word (with its boundaries), which carry typos and word forms across.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator

_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "`": "'", "\u201c": '"', "\u201d": '"',
                       "\u2013": "-", "\u2014": "-", "\u00a0": " "})
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?\s*(?:%|percent\b|per\s+cent\b)|\d+(?:[.,]\d+)?|[a-z]+(?:'[a-z]+)?|[.,;:!?()]")
_NEGATORS = frozenset({"no", "not", "never", "without", "none", "nothing", "nobody", "neither", "nor", "cannot",
                       "can't", "don't", "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't", "won't",
                       "haven't", "hasn't", "hadn't", "wouldn't", "shouldn't", "couldn't", "lack", "lacks"})
_CLAUSE_END = frozenset({".", ",", ";", ":", "!", "?", "(", ")", "but", "although", "though", "however", "except"})
NEGATION_REACH = 4  # words after a negator that it marks


def tokens(text: str) -> list[str]:
    """The sentence's words, normalised, negated words marked with "~"."""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD).lower()
    out: list[str] = []
    reach = 0
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if tok[0].isdigit():
            tok = "<pct>" if re.search(r"%|per", tok) else "<n>"
        if tok in _CLAUSE_END:
            reach = 0
            continue
        if tok in _NEGATORS or tok.endswith("n't"):
            out.append(tok)
            reach = NEGATION_REACH
            continue
        out.append(f"~{tok}" if reach else tok)
        reach = max(0, reach - 1)
    return out


def features(text: str) -> Iterator[str]:
    """Every feature of a sentence (repeats mean weight)."""
    toks = tokens(text)
    for t in toks:
        yield f"w:{t}"
    for a, b in itertools.pairwise(toks):
        yield f"b:{a} {b}"
    for t in toks:
        w = f"<{t.lstrip('~')}>"
        if len(w) > 5:
            for i in range(len(w) - 3):
                yield f"c:{w[i:i + 4]}"
