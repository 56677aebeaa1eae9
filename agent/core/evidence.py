"""Evidence verification: a score stands only if its quote is the interviewee's own words.

Pure functions. Real models do not copy exactly: they write "dont" for "don't", "80 percent" for
"80%", drop a comma or a word, elide with "...". So a quote is compared with what was said as
canonical word tokens (agent.common.wording: case, punctuation, quote and dash styles,
contractions, numbers and percent alike), then, if no span matches exactly, with a fuzzy match
against spans of the same messages (rapidfuzz) whose threshold was measured on labelled pairs
(tests/data/evidence_pairs.yaml). A fuzzy match must not change the meaning: negations,
quantifiers ("all", "some", "only") and numbers must be the same, no word may be swapped for
another, and a span may not be cut just after a "not" or a "some" that qualifies it.

What is kept as evidence is the interviewee's span, never the model's paraphrase.

Two more checks stop score injection (issue 13), whichever model read the reply: a quote must
come from the genuine part of what was said — text screened as aimed at the assessor (fake
system messages, markup, "note for the scoring system", self-ratings: agent.core.screening) is
not the interviewee's description of practice — and it must describe the option it is evidence
for (agent.core.concepts): a number, "level 5", the option's label recited as a claim, or an
earlier sentence about something less is not evidence for a higher option.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from rapidfuzz import fuzz

from agent.common.text import normalize
from agent.common.wording import FUNCTION_WORDS, NEGATIONS, QUANTIFIERS, TENSES, Words, words
from agent.core.concepts import load_concepts
from agent.core.schemas import RubricUpdate, ScoredAnswer
from agent.core.screening import fold, screen

_EDGE_PUNCT = " \t\n\"'.,;:!?()[]{}-…"
MIN_QUOTE_CHARS = 3
# Fewer tokens than this: only an exact match (a short fuzzy match is a coincidence).
MIN_FUZZY_TOKENS = 3
# Similarity (rapidfuzz ratio of the canonical token strings, 0-100) a span needs when no span
# matches exactly. Chosen on the dev half of tests/data/evidence_pairs.yaml (see tests/data/README.md).
FUZZY_THRESHOLD = 80.0
# A fuzzy match may add this many content words to the span, or leave out this many.
MAX_ADDED, MAX_DROPPED = 1, 2
# Pieces of an elided quote further apart than this (tokens) are kept as pieces joined by " … ".
MAX_GAP = 25
# How far a fuzzy span's ends may move from where the aligner put them, in tokens.
_REACH = 2

# Where a quote elides words: "...", "…", "[...]", "(...)", or a redaction placeholder the model
# kept ("[EMAIL_1]") — the words around it must match, in order.
_ELISION = re.compile(r"\s*(?:\.{3,}|…|\[\s*(?:\.{3}|…)\s*\]|\(\s*(?:\.{3}|…)\s*\)|\[[A-Z]+(?:_\d+)?\])\s*")

_CUT_OFF = 2  # tokens before a span checked for a qualifier the quote cut off
_CLAUSE_BREAK = re.compile(r"[.;:!?,()\n]")

# Why an answer was dropped: its quote is not in what the interviewee said, is in a part of it
# aimed at the assessor, mentions nothing of what the option means, or only recites its label.
Reason = Literal["not_said", "injected", "no_concept", "recital"]


@dataclass(frozen=True)
class Match:
    """Where a quote was found: the interviewee's own words it matched (`text`, cut at word
    boundaries), the index of the message they are in, and how close the quote was (100: the same
    words after normalisation; otherwise the fuzzy similarity)."""

    text: str
    source: int
    score: float


def locate(quote: str, sources: Sequence[str], threshold: float = FUZZY_THRESHOLD) -> Match | None:
    """The span of one of `sources` (the interviewee's messages) that `quote` reproduces, or None.

    A quote shorter than MIN_QUOTE_CHARS ("3", "no") counts only when it is a whole message."""
    q = normalize(quote).strip(_EDGE_PUNCT)
    if not q:
        return None
    if len(q) < MIN_QUOTE_CHARS:
        for k in range(len(sources) - 1, -1, -1):
            if normalize(sources[k]).strip(_EDGE_PUNCT) == q:
                said = sources[k].strip()
                return Match(text=quote.strip() if quote.strip() in said else said.strip(_EDGE_PUNCT) or said,
                             source=k, score=100.0)
        return None
    pieces = [words(p) for p in _ELISION.split(quote)]
    pieces = [p for p in pieces if p.tokens]
    if not pieces:
        return None
    best: Match | None = None
    # Later messages first: on a tie the reply being read wins over an earlier one.
    for k in range(len(sources) - 1, -1, -1):
        src = words(sources[k])
        found = _in_order(pieces, src, threshold)
        if found is None:
            continue
        spans, score = found
        if best is None or score > best.score:
            best = Match(text=_text(quote, src, spans), source=k, score=score)
            if score >= 100.0:
                break
    return best


def quote_in(quote: str, sources: Iterable[str]) -> bool:
    """True if `quote` reproduces some span of one of `sources` (see `locate`)."""
    return locate(quote, list(sources)) is not None


def is_instruction(quote: str) -> bool:
    """True for text aimed at the assessor (prompt injection, a self-rating, markup), not at what
    the organization does (agent.core.screening)."""
    return screen(quote).suspicious


@dataclass(frozen=True)
class Dropped:
    """An answer the evidence check refused, and why."""

    answer: ScoredAnswer
    reason: Reason


def check(update: RubricUpdate, user_messages: Iterable[str],
          asking: Collection[str] = ()) -> tuple[RubricUpdate, list[Dropped]]:
    """Split an update into (update with only verified answers, dropped answers with the reason).

    A kept answer's quote reproduces a genuine piece of what the interviewee said (not a segment
    screened as aimed at the assessor; pieces on either side of one are separate, so a quote cannot
    join them) and mentions what its option means — and, for a question not in `asking` (the
    questions the reply answers), its topic too; its evidence becomes the interviewee's own span,
    not the model's wording."""
    messages = [fold(m) for m in user_messages]
    sources = [p for m in messages for p in screen(m).pieces]
    # The last message is the reply being read; a quote of it answers the questions asked. A quote
    # of an earlier message was said about something else, so it must name its topic.
    reply_from = len(sources) - (len(screen(messages[-1]).pieces) if messages else 0)
    screened_out = [m for m in messages if screen(m).segments]  # where a quote could be injected text
    concepts = load_concepts()
    kept: list[ScoredAnswer] = []
    dropped: list[Dropped] = []
    for ans in update.answers:
        quote = fold(ans.evidence)
        found = locate(quote, sources)
        reason: Reason | None
        if found is None:
            injected = bool(screened_out) and locate(quote, screened_out) is not None
            dropped.append(Dropped(ans, "injected" if injected else "not_said"))
            continue
        asked = ans.question_id in asking and found.source >= reply_from
        evidence = found.text
        reason = concepts.shortfall(ans.question_id, ans.score, evidence, asked=asked)
        if reason is not None:
            # A clause quoted from a sentence that describes the practice ("... so quality doesn't
            # drop silently"): the sentence is the evidence. Never wider than the sentence, so an
            # unrelated sentence of the same reply cannot carry the score.
            source = sources[found.source]
            sentence = _sentence_of(source, evidence)
            if sentence and sentence != evidence and not concepts.shortfall(ans.question_id, ans.score, sentence,
                                                                          asked=asked):
                evidence, reason = sentence, None
            else:
                # A terse answer ("Self-healing."), or a clause quoted from the wrong sentence, stands
                # when another sentence of the same message describes the practice ("In-flight
                # requests are rerouted, ..."; for a question not asked, naming its topic too): that
                # sentence becomes the evidence. Never from another message or a screened segment.
                described = next((t for t in _sentences(source) if t != sentence and not concepts.shortfall(
                    ans.question_id, ans.score, t, asked=asked)), None)
                if described:
                    evidence, reason = described, None
        if reason is not None:
            dropped.append(Dropped(ans, reason))
        else:
            kept.append(ans if evidence == ans.evidence else ans.model_copy(update={"evidence": evidence}))
    return update.model_copy(update={"answers": kept}), dropped


_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|\n|;")


def _sentences(source: str) -> list[str]:
    """The sentences of one genuine piece of a message."""
    out, start = [], 0
    for m in [*_SENTENCE_END.finditer(source), None]:
        end = m.end() if m else len(source)
        text = source[start:end].strip(_EDGE_PUNCT)
        if text:
            out.append(text)
        start = end
    return out


def _sentence_of(source: str, span: str) -> str | None:
    """The sentence(s) of `source` around `span` (a matched span, its pieces joined by " … ")."""
    parts = span.split(" … ")
    a = source.find(parts[0])
    b = source.find(parts[-1], max(a, 0))
    if a < 0 or b < 0:
        return None
    b += len(parts[-1])
    start = 0
    for m in _SENTENCE_END.finditer(source, 0, a):
        start = m.end()
    end = _SENTENCE_END.search(source, b)
    return source[start:end.end() if end else len(source)].strip(_EDGE_PUNCT) or None


def verify(update: RubricUpdate, user_messages: Iterable[str],
           asking: Collection[str] = ()) -> tuple[RubricUpdate, list[ScoredAnswer]]:
    """`check`, with the dropped answers without their reasons."""
    kept, dropped = check(update, user_messages, asking)
    return kept, [d.answer for d in dropped]


# -- matching -------------------------------------------------------------------------------------
def _find(q: Words, src: Words, start: int, threshold: float) -> tuple[int, int, float] | None:
    """(i, j, score): tokens i..j-1 of `src` (from token `start` on) that `q` reproduces."""
    n = len(q.tokens)
    if n == 0 or len(src.tokens) - start < 1:
        return None
    pos = src.offsets[start] if start < len(src.offsets) else len(src.joined)
    while (at := src.joined.find(q.joined, pos)) >= 0:
        end = at + len(q.joined)
        if (at == 0 or src.joined[at - 1] == " ") and (end == len(src.joined) or src.joined[end] == " "):
            i = src.token_at(at)
            if not _cuts_off_a_qualifier(src, i, q):
                return i, i + n, 100.0
        pos = at + 1
    if n < MIN_FUZZY_TOKENS:
        return None
    return _fuzzy(q, src, start, threshold)


def _fuzzy(q: Words, src: Words, start: int, threshold: float) -> tuple[int, int, float] | None:
    """The best span near where rapidfuzz aligns `q` in `src` that is similar enough and says the same."""
    text = src.joined[src.offsets[start]:]
    # partial_ratio compares windows as long as the quote; a span one word longer or shorter scores
    # a little higher once re-cut at word boundaries, hence the lower cut-off here.
    al = fuzz.partial_ratio_alignment(q.joined, text, score_cutoff=threshold - 10)
    if al is None:
        return None
    base = src.offsets[start]
    i0 = src.token_at(base + al.dest_start)
    j0 = src.token_at(base + max(al.dest_end - 1, al.dest_start)) + 1
    candidates: list[tuple[float, int, int]] = []
    for i in range(max(start, i0 - _REACH), min(len(src.tokens) - 1, i0 + _REACH) + 1):
        for j in range(max(i + 1, j0 - _REACH), min(len(src.tokens), j0 + _REACH) + 1):
            window = src.joined[src.offsets[i]:src.offsets[j - 1] + len(src.tokens[j - 1])]
            score = fuzz.ratio(q.joined, window, score_cutoff=threshold)
            if score:
                candidates.append((score, i, j))
    for score, i, j in sorted(candidates, key=lambda c: (-c[0], c[2] - c[1])):
        if (_same_claim(q.tokens, src.tokens[i:j]) and not _swaps_an_edge_word(q, src, i, j)
                and not _cuts_off_a_qualifier(src, i, q)):
            return i, j, score
    return None


def _in_order(pieces: list[Words], src: Words, threshold: float) -> tuple[list[tuple[int, int]], float] | None:
    """The spans of an elided quote's pieces, found in order in one message, and the lowest score."""
    spans: list[tuple[int, int]] = []
    lowest, at = 100.0, 0
    for piece in pieces:
        found = _find(piece, src, at, threshold)
        if found is None:
            return None
        i, j, score = found
        spans.append((i, j))
        lowest, at = min(lowest, score), j
    return spans, lowest


def _text(quote: str, src: Words, spans: list[tuple[int, int]]) -> str:
    """The evidence to keep: the span from the first piece to the last (the pieces joined by " … "
    when they lie far apart). A quote that is already the interviewee's text is kept as written."""
    first, last = spans[0][0], spans[-1][1]
    start = src.spans[first][0]
    exact = quote.strip()
    if src.text.startswith(exact, start) and len(spans) == 1:
        return exact
    if sum(b[0] - a[1] for a, b in pairwise(spans)) > MAX_GAP:
        return " … ".join(src.span(i, j) for i, j in spans)
    return src.span(first, last)


# -- meaning guards -------------------------------------------------------------------------------
def _same_claim(quote: Sequence[str], span: Sequence[str]) -> bool:
    """True when a fuzzy match keeps the meaning: the same negations, quantifier classes and
    numbers, no content word swapped for another, at most MAX_ADDED content words added and
    MAX_DROPPED left out (spelling variants such as "costs"/"cost", "centre"/"center" are alike)."""
    if Counter(t for t in quote if t in NEGATIONS) != Counter(t for t in span if t in NEGATIONS):
        return False
    if _quantities(quote) != _quantities(span):
        return False
    if Counter(t for t in quote if t[0].isdigit()) != Counter(t for t in span if t[0].isdigit()):
        return False
    tenses = _tenses(quote), _tenses(span)
    if all(tenses) and not tenses[0] & tenses[1]:
        return False  # "we have a gateway" for "we had a gateway"
    added = list((Counter(t for t in quote if _content(t)) - Counter(t for t in span if _content(t))).elements())
    left_out = list((Counter(t for t in span if _content(t)) - Counter(t for t in quote if _content(t))).elements())
    for a in list(added):
        twin = next((b for b in left_out if _variant(a, b)), None)
        if twin is not None:
            added.remove(a)
            left_out.remove(twin)
    if added and left_out:
        return False  # a word swapped for another: "automatically" → "manually", "week" → "month"
    if len(added) > MAX_ADDED or len(left_out) > MAX_DROPPED:
        return False
    # The words both have must come in the same order: "short prompts to X and long ones to Y" is
    # not "long prompts to X and short ones to Y".
    shared = set(quote) & set(span)
    return _in_same_order([t for t in quote if t in shared and _content(t)],
                          [t for t in span if t in shared and _content(t)])


def _swaps_an_edge_word(q: Words, src: Words, i: int, j: int) -> bool:
    """True when the quote's first or last content word is not in the span and the span stops
    just short of a content word (or a qualifier) of the same clause that the quote left out: a
    swap the window cut around ("fails over to Anthropic [automatically]" quoted as "... to
    Anthropic manually", "[mask names]" quoted as "block it")."""
    content = [t for t in q.tokens if _content(t)]
    if not content:
        return False
    span = set(src.tokens[i:j])
    if content[-1] not in span and _left_out_nearby(q, src, j, 1):
        return True
    return content[0] not in span and _left_out_nearby(q, src, i - 1, -1)


def _left_out_nearby(q: Words, src: Words, k: int, step: int) -> bool:
    """True when, from token k on in direction `step` (1: after the span, -1: before it), a content
    word the quote does not have comes within _CUT_OFF + 1 tokens of the same clause."""
    for _ in range(_CUT_OFF + 1):
        if not 0 <= k < len(src.tokens):
            return False
        a, b = (k - 1, k) if step > 0 else (k, k + 1)
        if a >= 0 and b < len(src.tokens) and _CLAUSE_BREAK.search(src.text[src.spans[a][1]:src.spans[b][0]]):
            return False
        tok = src.tokens[k]
        if tok in NEGATIONS or tok in QUANTIFIERS:
            return tok not in q.tokens  # "... but there's [no] tracing" quoted as "... there's tracing"
        if _content(tok):
            return tok not in q.tokens
        k += step
    return False


def _in_same_order(a: list[str], b: list[str]) -> bool:
    """True when the words of `a` occur in `b` in the same order (a repeated word may repeat)."""
    if not a or not b:
        return True
    firsts: dict[str, int] = {}
    for pos, t in enumerate(b):
        firsts.setdefault(t, pos)
    order = [firsts[t] for t in dict.fromkeys(a)]
    return order == sorted(order)


def _quantities(tokens: Sequence[str]) -> Counter[str]:
    """The quantifier classes of a text ("at all" is emphasis, not a quantity)."""
    return Counter(QUANTIFIERS[t] for k, t in enumerate(tokens)
                   if t in QUANTIFIERS and not (t == "all" and k > 0 and tokens[k - 1] == "at"))


def _tenses(tokens: Sequence[str]) -> set[str]:
    return {TENSES[t] for t in tokens if t in TENSES}


def _content(token: str) -> bool:
    return (len(token) > 1 and not token[0].isdigit() and token not in FUNCTION_WORDS
            and token not in NEGATIONS and token not in QUANTIFIERS)


def _variant(a: str, b: str) -> bool:
    """Two spellings of one word: a prefix of the other ("app"/"application", "regex"/"regexes")
    or nearly the same letters ("centre"/"center", "mails"/"emails")."""
    short, long_ = sorted((a, b), key=len)
    return (len(short) >= 3 and long_.startswith(short)) or fuzz.ratio(a, b) >= 75


def _cuts_off_a_qualifier(src: Words, i: int, q: Words) -> bool:
    """True when the span starting at token i leaves out a negation or quantifier just before it
    in the same clause ("[some] teams use Langfuse", "we [don't] route by cost") that the quote
    does not carry itself."""
    for k in range(i - 1, max(i - 1 - _CUT_OFF, -1), -1):
        between = src.text[src.spans[k][1]:src.spans[k + 1][0]]
        if _CLAUSE_BREAK.search(between):
            return False
        tok = src.tokens[k]
        if (tok in NEGATIONS or tok in QUANTIFIERS) and tok not in q.tokens:
            return True
    return False
