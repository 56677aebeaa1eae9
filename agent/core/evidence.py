"""Evidence verification: a score stands only if its quote occurs in the interviewee's own words.

Pure functions. Matching ignores case, whitespace, quote/dash styles and surrounding punctuation,
and also accepts a quote that a provider-side redaction placeholder (e.g. "[EMAIL]") replaced part
of, so long as the rest matches literally.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent.common.text import normalize
from agent.core.schemas import RubricUpdate, ScoredAnswer

_EDGE_PUNCT = " \t\n\"'.,;:!?()[]{}-…"
MIN_QUOTE_CHARS = 3
# Words aimed at the assessor rather than describing practice: never evidence for a score.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions?|rules?|prompt|above|previous)\b"
    r"|\b(?:give|score|rate|mark|grade|set|put)\s+(?:us|me|everything|all|each|every\w*|the\s+scores?|our\s+scores?)\b.{0,30}\b(?:level|score|[0-5])\b"
    r"|\byou\s+are\s+now\b|\bsystem\s+prompt\b|\bas\s+an?\s+ai\s+language\s+model\b",
    re.IGNORECASE | re.DOTALL,
)


def quote_in(quote: str, sources: Iterable[str]) -> bool:
    """True if the normalized quote occurs in one of the normalized sources."""
    q = normalize(quote).strip(_EDGE_PUNCT)
    if not q:
        return False
    if len(q) < MIN_QUOTE_CHARS:
        # A very short quote ("3", "no") is evidence only when it is the whole reply.
        return any(normalize(src).strip(_EDGE_PUNCT) == q for src in sources)
    # Quotes that elide words ("we use ... LiteLLM") must match piece by piece, in order.
    pieces = [p.strip(_EDGE_PUNCT) for p in re.split(r"\s*(?:\.\.\.|\[\.\.\.\])\s*", q)]
    pieces = [p for p in pieces if p]
    for src in sources:
        s = normalize(src)
        pos = 0
        for piece in pieces:
            found = s.find(piece, pos)
            if found < 0:
                break
            pos = found + len(piece)
        else:
            return True
    return False


def is_instruction(quote: str) -> bool:
    """True for text that tells the assessor what to do (prompt injection), not what the org does."""
    return bool(_INSTRUCTION.search(normalize(quote)))


def verify(update: RubricUpdate, user_messages: Iterable[str]) -> tuple[RubricUpdate, list[ScoredAnswer]]:
    """Split an update into (update with only verified answers, dropped answers)."""
    sources = list(user_messages)
    kept: list[ScoredAnswer] = []
    dropped: list[ScoredAnswer] = []
    for ans in update.answers:
        ok = quote_in(ans.evidence, sources) and not is_instruction(ans.evidence)
        (kept if ok else dropped).append(ans)
    return update.model_copy(update={"answers": kept}), dropped
