"""Canonical word tokens of a text, each with its place in the original (pure).

Used to match a model's quote against what the interviewee said (agent.core.evidence): two ways
of writing the same words give the same tokens — case, quote and dash styles, punctuation,
contractions with or without the apostrophe ("don't", "dont", "do not"), numbers ("80%",
"80 percent", "eighty per cent"; "1,000" and "1000"), "&" and "and" — while every token keeps the
character span of the word it came from, so a match can be cut out of the original text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# A number (with thousands separators, decimals, a currency sign before or a percent sign after),
# a word (letters or digits, with inner apostrophes: "don't", "l'API"), or a symbol that is a word.
_UNIT = re.compile(r"[$€£]?\d+(?:,\d{3})*(?:\.\d+)?(?:\s?%)?|[^\W_]+(?:['’‘`´][^\W_]+)*|[%&+]")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})

# Contractions written without their apostrophe, as models often do. Only unambiguous forms:
# "were", "its", "well", "lets", "id", "wed", "hell" are words of their own.
_BARE = {
    "dont": ("do", "not"), "doesnt": ("does", "not"), "didnt": ("did", "not"), "isnt": ("is", "not"),
    "arent": ("are", "not"), "wasnt": ("was", "not"), "werent": ("were", "not"), "cant": ("can", "not"),
    "cannot": ("can", "not"), "wont": ("will", "not"), "wouldnt": ("would", "not"),
    "couldnt": ("could", "not"), "shouldnt": ("should", "not"), "havent": ("have", "not"),
    "hasnt": ("has", "not"), "hadnt": ("had", "not"), "mustnt": ("must", "not"), "neednt": ("need", "not"),
    "im": ("i", "am"), "ive": ("i", "have"), "youre": ("you", "are"), "theyre": ("they", "are"),
    "weve": ("we", "have"), "youve": ("you", "have"), "theyve": ("they", "have"),
    "thats": ("that", "is"), "whats": ("what", "is"), "theres": ("there", "is"), "heres": ("here", "is"),
}
_NOT_STEMS = {"ca": "can", "wo": "will", "sha": "shall", "ai": "is"}  # "can't", "won't", ...: the stem before "n't"
_SUFFIXES = {"re": "are", "ve": "have", "ll": "will", "m": "am", "d": "would"}
# "'s" is "is" after these; elsewhere it is a possessive (or "has"), kept as part of the word.
_S_IS = frozenset({"it", "that", "what", "there", "here", "he", "she", "who", "where", "how", "this"})
_SYMBOLS = {"&": "and", "+": "plus", "%": "percent"}
_CURRENCY = {"$": "dollars", "€": "euros", "£": "pounds"}
_SINGLE = {"pct": "percent", "dollar": "dollars", "euro": "euros", "pound": "pounds"}

# Word classes for telling whether two wordings make the same claim (agent.core.evidence).
NEGATIONS = frozenset({"not", "no", "never", "none", "nothing", "nobody", "nowhere", "neither", "nor",
                       "without", "noone"})
# Words that say how much of something, by class: "every" and "all" say the same, "some" does not.
QUANTIFIERS = {
    **dict.fromkeys(("all", "every", "each", "always", "everyone", "everybody", "everything", "entire",
                     "whole", "both"), "all"),
    **dict.fromkeys(("some", "few", "several", "most", "many", "half", "part", "partly", "partially",
                     "sometimes", "occasionally", "rarely", "seldom", "couple", "minority", "majority",
                     "usually", "often", "mostly"), "some"),
    "only": "only",
}
# Auxiliaries that place a claim in the past or the present ("we had a gateway" is not "we have").
TENSES = {**dict.fromkeys(("was", "were", "had", "did", "used"), "past"),
          **dict.fromkeys(("is", "am", "are", "has", "have", "do", "does"), "present")}
# Words that carry no claim of their own: articles, pronouns, prepositions, conjunctions,
# auxiliaries and fillers.
FUNCTION_WORDS = frozenset((
    "a", "an", "the", "this", "that", "these", "those", "there", "here", "it", "its", "i", "me", "my", "mine",
    "we", "us", "our", "ours", "you", "your", "yours", "they", "them", "their", "theirs", "he", "him", "his",
    "she", "her", "who", "whom", "whose", "which", "what", "when", "where", "why", "how", "one", "ones",
    "someone", "somebody", "something", "anyone", "anybody", "anything",
    "and", "or", "but", "so", "if", "then", "than", "as", "because", "while", "though", "although", "yet",
    "also", "too", "just", "really", "very", "quite", "pretty", "honestly", "basically", "actually",
    "currently", "right", "now", "still", "already", "even", "like", "well",
    "of", "in", "on", "at", "to", "from", "by", "for", "with", "within", "into", "onto", "over", "under",
    "about", "around", "through", "via", "across", "per", "up", "down", "out", "off", "between", "after",
    "before", "during", "until", "till", "upon",
    "is", "am", "are", "was", "were", "be", "been", "being", "have", "has", "had", "do", "does", "did",
    "will", "would", "shall", "should", "can", "could", "may", "might", "must", "get", "got", "gets", "getting",
))

_ONES = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"])}
_TENS = {w: 10 * i for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2)}


@dataclass(frozen=True)
class Words:
    """A text's canonical tokens, their spans in the original text, and the tokens joined by
    single spaces (`joined`, with `offsets[i]` where token i starts in it)."""

    text: str
    tokens: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    joined: str
    offsets: tuple[int, ...]

    def span(self, i: int, j: int) -> str:
        """The original text of tokens i..j-1 (from the first one's word to the last one's)."""
        return self.text[self.spans[i][0]:self.spans[j - 1][1]]

    def token_at(self, char: int) -> int:
        """The index of the token that covers (or follows) position `char` of `joined`."""
        lo, hi = 0, len(self.offsets)
        while lo < hi:  # the last token starting at or before `char`
            mid = (lo + hi) // 2
            if self.offsets[mid] <= char:
                lo = mid + 1
            else:
                hi = mid
        return max(lo - 1, 0)


@lru_cache(maxsize=1024)
def words(text: str) -> Words:
    """The canonical tokens of `text` (cached: the same user messages are matched every turn)."""
    raw: list[tuple[str, int, int]] = []
    for m in _UNIT.finditer(text):
        for tok in _canonical(m.group()):
            raw.append((tok, m.start(), m.end()))
    merged = _numbers(raw)
    tokens = tuple(t for t, _, _ in merged)
    offsets, pos = [], 0
    for t in tokens:
        offsets.append(pos)
        pos += len(t) + 1
    return Words(text=text, tokens=tokens, spans=tuple((s, e) for _, s, e in merged),
                 joined=" ".join(tokens), offsets=tuple(offsets))


def _canonical(unit: str) -> list[str]:
    """The tokens one word or number stands for."""
    w = unicodedata.normalize("NFKC", unit).translate(_APOSTROPHES).casefold()
    if w in _SYMBOLS:
        return [_SYMBOLS[w]]
    if w[0].isdigit() or w[0] in _CURRENCY:
        out: list[str] = []
        currency = _CURRENCY.get(w[0])
        w = w.lstrip("$€£")
        percent = w.endswith("%")
        number = w.rstrip("% ").replace(",", "")
        # "1" and "one" alike, and "one" stays a word: it is more often a pronoun ("the next one").
        out.append("one" if number == "1" else number)
        if percent:
            out.append("percent")
        if currency:
            out.append(currency)
        return out
    if "'" in w:
        if w.endswith("n't"):
            stem = w[:-3]
            return [_NOT_STEMS.get(stem, stem), "not"]
        stem, _, suffix = w.rpartition("'")
        if suffix in _SUFFIXES:
            return [*stem.split("'"), _SUFFIXES[suffix]]
        if suffix == "s":
            if stem == "let":
                return ["let", "us"]
            return [*stem.split("'"), "is"] if stem in _S_IS else [*stem.split("'")[:-1], stem.split("'")[-1] + "s"]
        return w.split("'")  # "l'api" (French elision), "o'brien"
    if w in _BARE:
        return list(_BARE[w])
    return [_SINGLE.get(w, w)]


def _numbers(raw: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Number words as digits ("eighty five" → "85", "two hundred" → "200") and "per cent" as
    "percent", each merged token spanning the words it came from."""
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(raw):
        tok, start, end = raw[i]
        if tok in ("hundred", "thousand"):  # "a hundred percent"
            out.append(("100" if tok == "hundred" else "1000", start, end))
            i += 1
            continue
        if (tok in _ONES or tok in _TENS) and not (tok == "one" and not _multiplied(raw, i)):
            value = _ONES.get(tok, _TENS.get(tok, 0))
            j = i + 1
            if tok in _TENS and j < len(raw) and 0 < _ONES.get(raw[j][0], 0) < 10:
                value += _ONES[raw[j][0]]
                j += 1
            if j < len(raw) and raw[j][0] in ("hundred", "thousand"):
                value *= 100 if raw[j][0] == "hundred" else 1000
                j += 1
            out.append((str(value), start, raw[j - 1][2]))
            i = j
            continue
        if tok == "per" and i + 1 < len(raw) and raw[i + 1][0] == "cent":
            out.append(("percent", start, raw[i + 1][2]))
            i += 2
            continue
        out.append((tok, start, end))
        i += 1
    return out


def _multiplied(raw: list[tuple[str, int, int]], i: int) -> bool:
    """True when token i is followed by "hundred" or "thousand" ("one hundred")."""
    return i + 1 < len(raw) and raw[i + 1][0] in ("hundred", "thousand")
