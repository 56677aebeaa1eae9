"""Screening a reply for text aimed at the assessor rather than describing practice (pure).

One function, `screen`, splits what a person typed into genuine text and suspicious segments:
fake system or tool messages, the end of the prompt's context, markup and JSON payloads,
instructions to "the scoring system", role-play ("as the auditor who verified us"), and
self-ratings ("we are level 5", "give us 5/5"). Every engine reads only the genuine text (the
offline reader reads `masked`, an LLM is sent it), and the evidence check accepts quotes only
from the genuine `pieces` (agent.core.evidence), so a suspicious segment is never evidence and
never read as an answer, whichever model reads the reply.

Before matching, the text is folded so tricks do not hide the words: Unicode NFKC (full-width
letters, ligatures), format characters removed (zero-width spaces, bidi overrides; invisible tag
characters are decoded and screened on their own), look-alike Cyrillic and Greek letters inside
Latin words mapped to Latin, letters spelled out with spaces joined. Text reversed for display
with a right-to-left override is screened backwards too. Everything downstream works on the
folded text, so offsets, evidence and the masked reading all refer to it.

The patterns are data (knowledge/injection.yaml), each kind with how far a match reaches.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from agent.common.datafile import load_yaml_model
from agent.common.paths import KNOWLEDGE_DIR

INJECTION_PATH = KNOWLEDGE_DIR / "injection.yaml"

Extent = Literal["match", "clause", "sentence", "line", "paragraph"]


class KindSpec(BaseModel):
    extent: Extent
    patterns: list[str]


class InjectionData(BaseModel):
    """knowledge/injection.yaml."""

    version: int
    confusables: dict[str, str]
    kinds: dict[str, KindSpec]
    say: dict[str, str]


@lru_cache(maxsize=2)
def load_injection(path: Path = INJECTION_PATH) -> InjectionData:
    """The screening data (validated)."""
    return load_yaml_model(path, InjectionData, "injection patterns")


@lru_cache(maxsize=2)
def _compiled(path: Path = INJECTION_PATH) -> tuple[tuple[str, Extent, re.Pattern[str]], ...]:
    """One pattern per kind, its patterns as alternatives (one scan of the text per kind)."""
    data = load_injection(path)
    return tuple((kind, spec.extent, re.compile("|".join(f"(?:{p})" for p in spec.patterns), re.MULTILINE))
                 for kind, spec in data.kinds.items())


# -- folding --------------------------------------------------------------------------------------
_TAG_CHARS = range(0xE0000, 0xE0080)
_LATIN_WORD = re.compile(r"\w+")
# Letters spelled out one by one ("l e v e l  5", "s.c.o.r.e"): four or more single characters.
_SPELLED = re.compile(r"(?<![\w.])(?:[^\W_][ .·_-]){3,}[^\W_](?![\w])")
_SPELLED_SHORT = re.compile(r"(?<![\w.])(?:[^\W_] ){1,2}[^\W_](?!\w)")
_ABBREVIATION = re.compile(r"^(?:[^\W\d_]\.){2,}[^\W\d_]\.?$")  # "e.g.", "i.e.", "u.s.a" are words


@dataclass(frozen=True)
class Folded:
    """A text as it is screened and read, and what folding it found hidden."""

    text: str
    hidden: str  # text encoded in invisible tag characters
    invisible: bool  # format characters (zero-width, bidi) were removed
    lookalikes: bool  # look-alike letters from another script were mapped


def fold(text: str) -> str:
    """`text` folded for screening and reading (see the module docstring); idempotent."""
    return _fold(text).text


@lru_cache(maxsize=4096)
def _fold(text: str) -> Folded:
    hidden = "".join(chr(ord(c) - 0xE0000) for c in text if ord(c) in _TAG_CHARS and 0x20 <= ord(c) - 0xE0000 < 0x7F)
    text = unicodedata.normalize("NFKC", text)
    out: list[str] = []
    invisible = False
    for c in text:
        cat = unicodedata.category(c)
        if cat == "Cf" or ord(c) in _TAG_CHARS or 0xFE00 <= ord(c) <= 0xFE0F:
            invisible = True
            continue
        if cat == "Mn" and out and out[-1].isascii():
            invisible = True  # a combining mark stacked on a Latin letter ("l̴e̴v̴e̴l̴")
            continue
        out.append(c)
    text = "".join(out)
    table = _confusables()
    if not any(c in table for c in text):  # the common case: nothing to map
        return _spelled(text, hidden, invisible, lookalikes=False)
    letters = [c for c in text if c.isalpha()]
    latin_text = bool(letters) and sum(c.isascii() for c in letters) >= 0.5 * len(letters)
    lookalikes = False

    def unmask(m: re.Match[str]) -> str:
        nonlocal lookalikes
        w = m.group(0)
        odd = [c for c in w if c in table]
        if not odd:
            return w
        has_latin = any(c.isascii() and c.isalpha() for c in w)
        all_lookalike = all(c in table or not c.isalpha() for c in w)
        if has_latin or (latin_text and all_lookalike):
            lookalikes = True
            return "".join(table.get(c, c) for c in w)
        return w

    return _spelled(_LATIN_WORD.sub(unmask, text), hidden, invisible, lookalikes)


def _spelled(text: str, hidden: str, invisible: bool, lookalikes: bool) -> Folded:
    """The folded text with letters spelled out one by one joined into words."""
    joined = _SPELLED.sub(lambda m: m.group(0) if _ABBREVIATION.match(m.group(0))
                          else re.sub(r"[ .·_-]", "", m.group(0)), text)
    if joined != text:  # a text spelled out letter by letter: its short words too ("u s", "o n")
        joined = _SPELLED_SHORT.sub(lambda m: m.group(0).replace(" ", ""), joined)
    return Folded(text=joined, hidden=hidden, invisible=invisible, lookalikes=lookalikes)


@lru_cache(maxsize=1)
def _confusables() -> dict[str, str]:
    """The look-alike table, capitals included ("Ѕ" for "S" as well as "ѕ" for "s")."""
    table = dict(load_injection().confusables)
    for k, v in list(table.items()):
        if len(k.upper()) == 1 and k.upper() != k:
            table.setdefault(k.upper(), v.upper())
    return table


def _lower(text: str) -> str:
    """Lower-cased with the same length (offsets stay valid)."""
    low = text.lower()
    return low if len(low) == len(text) else "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


# -- spans ----------------------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"[.!?。！？]+(?=\s|$)|\n|;")
_CLAUSE_END = re.compile(r"[.!?。！？]+(?=\s|$)|\n|[;,:()\[\]—–]|\s-\s|\bbut\b|\bso\b|\bbecause\b")
_PARAGRAPH_END = re.compile(r"\n\s*\n")
_CLOSER = re.compile(r"^(?:</\s*[a-z][\w:-]*\s*>|\[/\s*[a-z][\w ]*\]|<\|im_end\|>)$")
_OPENER = re.compile(r"^(?:<\s*([a-z][\w:-]*)[^>]*>|\[\s*([a-z][\w ]*?)\s*\]|<\|im_start\|>)$")
_ENCODED = re.compile(r"(?<![\w/+=])[a-z0-9+/]{28,}={0,2}(?![\w/+=])")
_JSON_KEY = re.compile(r"""["'][\w -]{1,40}["']\s*:|\b\w{1,30}\s*:\s*["'\d\[{]""")


def _around(low: str, a: int, b: int, ends: re.Pattern[str]) -> tuple[int, int]:
    """The span from the boundary before `a` to the boundary after `b`."""
    start = 0
    for m in ends.finditer(low, 0, a):
        start = m.end()
    after = ends.search(low, b)
    return start, after.end() if after else len(low)


def _extent(low: str, m: re.Match[str], extent: Extent) -> tuple[int, int]:
    a, b = m.span()
    if extent == "match" or _CLOSER.match(m.group(0).strip()):
        return a, b  # a closing tag: what it closed was found from its opening tag
    opener = _OPENER.match(m.group(0).strip())
    if opener:  # an opening tag: to its closing tag when there is one
        name = opener.group(1) or opener.group(2)
        closer = re.compile(r"<\|im_end\|>" if name is None else rf"(?:</\s*{re.escape(name)}\s*>|\[/\s*{re.escape(name)}\s*\])")
        c = closer.search(low, b)
        if c:
            return a, c.end()
    if extent == "clause":
        return _around(low, a, b, _CLAUSE_END)
    if extent == "sentence":
        return _around(low, a, b, _SENTENCE_END)
    if extent == "line":
        start = low.rfind("\n", 0, a) + 1
        end = low.find("\n", b)
        return start, len(low) if end < 0 else end
    p = _PARAGRAPH_END.search(low, b)
    return a, p.start() if p else len(low)


def _blocks(low: str) -> list[tuple[int, int, str]]:
    """Regions found by structure rather than by pattern: fenced code, HTML comments, script and
    style elements, and JSON objects or arrays (balanced, or to the end when left open)."""
    out: list[tuple[int, int, str]] = []
    for rx, kind in ((re.compile(r"```.*?(?:```|$)", re.DOTALL), "markup"),
                     (re.compile(r"<!--.*?(?:-->|$)", re.DOTALL), "markup"),
                     (re.compile(r"<(script|style)\b.*?(?:</\1\s*>|$)", re.DOTALL), "markup")):
        out += [(m.start(), m.end(), kind) for m in rx.finditer(low)]
    # Encoded text (base64 and the like): long runs of letters and digits no one types in prose.
    out += [(m.start(), m.end(), "payload") for m in _ENCODED.finditer(low)
            if re.search(r"\d", m.group(0)) and re.search(r"[a-z]", m.group(0))]
    i = 0
    while (i := _next_brace(low, i)) >= 0:
        end = _balanced(low, i)
        body = low[i:end]
        if _JSON_KEY.search(body):
            out.append((i, end, "payload"))
            i = end
        else:
            i += 1
    return out


def _next_brace(low: str, start: int) -> int:
    hits = [p for p in (low.find("{", start), low.find("[{", start), low.find('["', start)) if p >= 0]
    return min(hits) if hits else -1


def _balanced(low: str, i: int) -> int:
    """The end of the bracketed value starting at `i` (quotes respected); the end of the text
    when it is never closed."""
    depth, quote, k = 0, "", i
    while k < len(low):
        c = low[k]
        if quote:
            if c == "\\":
                k += 1
            elif c == quote:
                quote = ""
        elif c in "\"":
            quote = c
        elif c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                return k + 1
        k += 1
    return len(low)


# -- screening ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Segment:
    """A suspicious span of the folded text and what it looked like."""

    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Screened:
    """A reply split into genuine text and suspicious segments (offsets into `text`, the folded
    reply)."""

    text: str
    segments: tuple[Segment, ...]
    hidden: tuple[str, ...] = ()  # what was hidden, beyond the segments: "invisible", "lookalikes", "tags"

    @property
    def suspicious(self) -> bool:
        """True when any part of the reply was not taken as a description of practice."""
        return bool(self.segments) or "tags" in self.hidden

    @property
    def kinds(self) -> list[str]:
        """The kinds of suspicious text found, sorted ("hidden" for text in invisible characters)."""
        return sorted({s.kind for s in self.segments} | ({"hidden"} if "tags" in self.hidden else set()))

    @cached_property
    def masked(self) -> str:
        """`text` with each suspicious segment blanked (a line break, then spaces): the same length,
        so a reader's offsets and evidence still refer to `text`."""
        out, pos = [], 0
        for s in self.segments:
            out.append(self.text[pos:s.start])
            out.append("\n" + " " * (s.end - s.start - 1) if s.end > s.start else "")
            pos = s.end
        out.append(self.text[pos:])
        return "".join(out)

    @cached_property
    def pieces(self) -> tuple[str, ...]:
        """The genuine stretches of text between the suspicious segments (those with a word)."""
        out, pos = [], 0
        for s in [*self.segments, Segment(len(self.text), len(self.text), "")]:
            piece = self.text[pos:s.start].strip()
            if re.search(r"[^\W\d_]{2}|\d", piece):
                out.append(piece)
            pos = max(pos, s.end)
        return tuple(out)

    @property
    def genuine(self) -> str:
        """The genuine text, its pieces joined by " … " (what an LLM is sent)."""
        return " … ".join(self.pieces)

    def only(self, kinds: set[str]) -> Screened:
        """The same reply with only segments of `kinds` kept suspicious."""
        return Screened(self.text, tuple(s for s in self.segments if s.kind in kinds), self.hidden)


def screen(text: str) -> Screened:
    """Split `text` (a reply, as typed) into genuine text and suspicious segments."""
    return _screen(text)


@lru_cache(maxsize=4096)
def _screen(text: str) -> Screened:
    folded = _fold(text)
    low = _lower(folded.text)
    found: list[tuple[int, int, str]] = _blocks(low)
    for kind, extent, rx in _compiled():
        for m in rx.finditer(low):
            if m.end() > m.start() and not (kind == "self_rating" and _asks(low, m.start())):
                a, b = _extent(low, m, extent)
                found.append((a, b, kind))
    found += _reversed(low, {(a, b) for a, b, _ in found})
    found += _leet(low, {(a, b) for a, b, _ in found})
    hidden = tuple(h for h, on in (("invisible", folded.invisible), ("lookalikes", folded.lookalikes),
                                   ("tags", bool(folded.hidden.strip()))) if on)
    return Screened(folded.text, _merge(low, found), hidden)


_INTERROGATIVE = re.compile(r"(?:what|how|which|could|can|would|is|are|do|does|what's|whats|where|why)\b")


def _asks(low: str, at: int) -> bool:
    """True when the sentence at `at` is a question ("what would a level 4 look like?"): asking
    about a level is not claiming one."""
    a, b = _around(low, at, at, _SENTENCE_END)
    sent = low[a:b].strip()
    return sent.endswith("?") and bool(_INTERROGATIVE.match(sent))


# Common words written backwards: a sentence with more of these than of the words themselves
# was typed backwards (the only ones worth screening reversed).
_BACKWARDS = frozenset({"eht", "dna", "ot", "fo", "ni", "si", "rof", "uoy", "ew", "ruo", "lla", "tes", "erocs",
                        "erongi", "snoitcurtsni", "metsys", "drocer", "su", "evig", "no", "ta", "sa"})
_FORWARDS = frozenset(w[::-1] for w in _BACKWARDS)


def _reversed(low: str, already: set[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """Sentences that read as an instruction or a self-rating when reversed (typed backwards
    behind a right-to-left override, which displays them the right way round)."""
    out = []
    start = 0
    for m in [*_SENTENCE_END.finditer(low), None]:
        end = m.start() if m else len(low)
        sent = low[start:end]
        words = re.findall(r"[a-z_]+", sent)
        backwards = sum(w in _BACKWARDS for w in words) > max(1, sum(w in _FORWARDS for w in words))
        if backwards and len(sent.split()) >= 3 and not any(a <= start and end <= b for a, b in already):
            back = sent[::-1]
            if any(kind in ("instruction", "self_rating", "role", "roleplay") and rx.search(back)
                   for kind, _, rx in _compiled()):
                out.append((start, m.end() if m else len(low), "hidden"))
        start = m.end() if m else len(low)
    return out


# When spans of several kinds overlap, the segment is named after the most telling one.
_PRIORITY = ("role", "context", "tool", "payload", "markup", "hidden", "instruction", "roleplay", "score_sheet",
             "self_rating")


# Digits and signs written for letters ("l3v3l 5", "sc0re"), inside words that mix the two.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_MIXED = re.compile(r"(?<![\w@$])(?=[\w@$]*[a-z])(?=[\w@$]*[0-9@$])[\w@$]{3,}")


def _leet(low: str, already: set[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """Spans that read as an instruction or a self-rating once digits inside words are read as the
    letters they stand for (the mapping keeps every offset)."""
    if not _MIXED.search(low):
        return []
    plain = _MIXED.sub(lambda m: m.group(0) if re.fullmatch(r"q\d+", m.group(0)) else m.group(0).translate(_LEET), low)
    out = []
    for kind, extent, rx in _compiled():
        if kind not in ("instruction", "self_rating", "role", "roleplay"):
            continue
        for m in rx.finditer(plain):
            a, b = _extent(plain, m, extent)
            if plain[a:b] != low[a:b] and not any(x <= a and b <= y for x, y in already):
                out.append((a, b, "hidden"))
    return out


def _merge(low: str, found: list[tuple[int, int, str]]) -> tuple[Segment, ...]:
    """Overlapping or touching spans as one segment (named after its most telling kind), trimmed."""
    rank = {k: i for i, k in enumerate(_PRIORITY)}
    spans = sorted((a, b, k) for a, b, k in found if b > a)
    merged: list[list] = []
    for a, b, k in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
            if rank.get(k, 99) < rank.get(merged[-1][2], 99):
                merged[-1][2] = k
        else:
            merged.append([a, b, k])
    out = []
    for a, b, k in merged:
        while a < b and low[a].isspace():
            a += 1
        while b > a and low[b - 1].isspace():
            b -= 1
        if b > a:
            out.append(Segment(a, b, k))
    return tuple(out)


_QREF = re.compile(r"\bq(1[0-2]|[1-9])\b")
_NUMBER = re.compile(r"(?<![\d.,])([0-5])(?![\d.,%])|\b(zero|one|two|three|four|five)\b")
_NUMBER_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def claimed_scores(screened: Screened) -> list[tuple[str | None, int]]:
    """(question named or None, score) for each self-rating in the reply ("I'd say a 3",
    "q4: 2"): not answers, but which options the interviewee has in mind."""
    out: list[tuple[str | None, int]] = []
    for seg in screened.segments:
        if seg.kind not in ("self_rating", "score_sheet"):
            continue
        text = _lower(screened.text[seg.start:seg.end])
        ref = _QREF.search(text)
        rest = text[ref.end():] if ref else text
        m = _NUMBER.search(rest)
        if m:
            out.append((f"q{ref.group(1)}" if ref else None,
                        int(m.group(1)) if m.group(1) else _NUMBER_WORDS[m.group(2)]))
    return out


def acknowledgement(screened: Screened) -> str | None:
    """The one calm sentence to say about a reply that carried suspicious text, or None."""
    if not screened.suspicious:
        return None
    say = load_injection().say
    return say["self_rating"] if screened.kinds == ["self_rating"] else say["injection"]
