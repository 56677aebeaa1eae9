"""Text helpers of the offline interpreter: offset-preserving lower-casing, sentence and clause
spans, negation/hedge scope, and a small language guess. Pure functions."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right

from agent.offline.lexicon import CompiledLexicon

# One-to-one replacements only, so offsets in the matching text equal offsets in the reply and
# evidence can be sliced from the reply verbatim.
_SAME_LEN = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201b": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ",
})


def matchable(text: str) -> str:
    """Lower-cased copy of `text` with the same length (offsets stay valid)."""
    text = text.translate(_SAME_LEN)
    low = text.lower()
    if len(low) != len(text):
        # Some characters grow when lower-cased (e.g. "İ"); keep those as they are.
        low = "".join(c if len(lc := c.lower()) != 1 else lc for c in text)
    # Control characters become spaces so they act as separators, not as word characters.
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in low) if not low.isprintable() else low


# Sentence ends: terminal punctuation before a space/end, semicolons, line breaks. Abbreviations
# like "e.g." and decimals ("3.5") are not ends because no space follows the inner dot.
_SENT_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\betc)[.!?]+(?=\s|$)|[;\n\r]+|\?+")
_CLAUSE_SEP = re.compile(
    r"[,:()\[\]]|\s-+\s|\s-+(?=\w)|\b(?:but|although|though|whereas|however|except|instead|while)\b"
)
_MAX_SENT = 600  # very long unpunctuated text is cut so scope and evidence stay local


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and not text[a].isalnum() and text[a] not in "'\"$€£#":
        a += 1
    while b > a and (text[b - 1].isspace() or text[b - 1] in ",;:-"):
        b -= 1
    return a, b


def sentence_spans(low: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty sentence; ends include the terminal punctuation."""
    spans, start = [], 0
    for m in _SENT_END.finditer(low):
        spans.extend(_cut(low, start, m.end()))
        start = m.end()
    spans.extend(_cut(low, start, len(low)))
    return spans


def _cut(low: str, a: int, b: int) -> list[tuple[int, int]]:
    out = []
    while b - a > _MAX_SENT:
        cut = low.rfind(" ", a + _MAX_SENT // 2, a + _MAX_SENT)
        cut = cut if cut > a else a + _MAX_SENT
        out.append((a, cut))
        a = cut
    out.append((a, b))
    res = []
    for s, e in out:
        s, e = _trim(low, s, e)
        if e > s:
            res.append((s, e))
    return res


def clause_spans(low: str, a: int, b: int) -> list[tuple[int, int]]:
    """Clauses of the sentence low[a:b]: the scope of negations and hedges."""
    spans, start = [], a
    for m in _CLAUSE_SEP.finditer(low, a, b):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.start() if m.group(0)[:1].isalpha() else m.end()
    spans.append((start, b))
    return [s for s in spans if low[s[0]:s[1]].strip()] or [(a, b)]


class SpanIndex:
    """Finds the sentence/clause containing an offset."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.spans = spans
        self._starts = [s for s, _ in spans]

    def find(self, pos: int) -> int:
        i = bisect_right(self._starts, pos) - 1
        if i >= 0 and pos < self.spans[i][1]:
            return i
        return -1


class NegationIndex:
    """Positions of negators and of their exceptions in the whole reply, found in one scan each
    (scanning a window per cue match was the main cost on long replies)."""

    def __init__(self, low: str, lex: CompiledLexicon):
        self.low = low
        self.lex = lex
        self.neg = [(m.start(), m.end()) for rx in lex.negators for m in rx.finditer(low)]
        self.neg.sort()
        self._starts = [a for a, _ in self.neg]
        self.exc = [(m.start(), m.end()) for rx in lex.negation_exceptions for m in rx.finditer(low)]

    def negated(self, clause: tuple[int, int], m_start: int, m_end: int) -> bool:
        """Is the match at low[m_start:m_end] denied within its clause?"""
        lo = max(clause[0], m_start - 60)
        i = bisect_right(self._starts, m_start - 1) - 1
        while i >= 0 and self.neg[i][0] >= lo:
            n_start, n_end = self.neg[i]
            if n_end <= m_start:
                excepted = any(a <= n_start < b for a, b in self.exc)
                if not excepted and len(self.low[n_end:m_start].split()) <= 6:
                    return True
                break
            i -= 1
        after = self.low[m_end:min(clause[1], m_end + 40)]
        return any(rx.search(after) for rx in self.lex.post_negators)


def any_match(rxs, text: str) -> re.Match[str] | None:
    """First match of any pattern in text (patterns tried in order)."""
    for rx in rxs:
        m = rx.search(text)
        if m:
            return m
    return None


_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_SCRIPTS = (
    ("zh", re.compile(r"[\u4e00-\u9fff]")), ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")), ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")), ("he", re.compile(r"[\u0590-\u05ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")), ("hi", re.compile(r"[\u0900-\u097f]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
)


def guess_language(low: str, lex: CompiledLexicon) -> str:
    """"en" unless the text is clearly in another language; ISO 639-1 code or "und"."""
    sample = low[:4000]
    letters = sum(1 for c in sample if c.isalpha())
    if letters == 0:
        return "en"
    counts = {code: len(rx.findall(sample)) for code, rx in _SCRIPTS}
    if counts["ja"] and counts["ja"] + counts["zh"] >= 0.3 * letters:
        return "ja"
    code, n = max(counts.items(), key=lambda kv: kv[1])
    if n >= 0.3 * letters:
        return code
    words = _WORD.findall(sample)
    if len(words) < 3:
        return "en"
    hits = {lang: sum(1 for w in words if w in vocab) for lang, vocab in lex.languages.items()}
    en = hits.pop("en", 0)
    if not hits:
        return "en"
    lang, best = max(hits.items(), key=lambda kv: kv[1])
    # Tool names and English loanwords are common in any language, so only a clear majority of
    # foreign function words over English ones counts.
    if best >= 3 and best >= 2 * max(en, 1) and best >= 0.25 * len(words):
        return lang
    non_latin = sum(1 for c in sample if c.isalpha() and not c.isascii() and unicodedata.name(c, "").find("LATIN") < 0)
    return "und" if non_latin >= 0.5 * letters else "en"
