"""What a reply at the review step (or a correction at any time) asks for, in plain words (pure):
confirm ("yes that looks right now"), see the list again, or change answers — by the topic named
("tracing should be higher"), by number ("q3: 2"), or by new facts ("actually we do have
automatic failover now"). The facts are what is left once the meta-text ("our knowledge answer is
wrong", "change memory to") is taken out; they are read like any answer, and they, not the
meta-text, become the evidence.

Only the reply's genuine text is read (agent.core.screening): markup, JSON, fake system messages
and instructions typed as a correction are never applied. A typed number ("q3: 2") is the
interviewee's own correction and is read; but a correction that raises several answers at once,
or one answer by more than one option with nothing said about how the practice changed, is put
back to the interviewee as a question before it is applied (`raises_to_confirm`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from agent.common.text import normalize
from agent.core.concepts import load_concepts
from agent.core.rubric import Rubric
from agent.core.screening import fold, screen
from agent.core.topics import Topics, named_questions

Direction = Literal["up", "down"]

_SHOW = re.compile(
    r"\b(?:show|see|list|repeat|display|give|read|remind|go\s+over|run\s+through)\b.{0,40}"
    r"\b(?:list|answers|summary|everything|all\s+of\s+(?:it|them)|again|what\s+you\s+(?:have|put|got|wrote)|"
    r"the\s+(?:whole|full)\s+thing)\b|\bwhat\s+did\s+you\s+(?:put|get|write|have|record|note)\b|"
    r"\b(?:the\s+)?list\s+again\b|\bone\s+more\s+time\b"
)
_AFFIRM = re.compile(
    r"^(?:y|yes|yeah|yep|yup|ok|okay|sure|correct|right|perfect|great|good|fine|lgtm|spot\s+on|exactly|agreed|"
    r"confirm(?:ed)?|go\s+ahead|all\s+(?:good|correct|right|fine)|looks?\s+(?:good|right|fine|correct|ok|okay|accurate)|"
    r"sounds?\s+(?:good|right|fine|about\s+right)|that'?s\s+(?:right|correct|it|fine|good|accurate|all)|"
    r"(?:no|nope|nah),?\s+(?:that'?s|it'?s|all'?s|looks|sounds)\s+(?:right|correct|fine|good|accurate)|"
    r"(?:no|nope|nah),?\s+nothing\s+(?:to\s+change|else|more)|nothing\s+to\s+change|"
    r"(?:it'?s|this\s+is|all\s+of\s+it\s+is|everything'?s|everything\s+is)\s+(?:right|correct|fine|accurate|good))\b"
)
_BUT = re.compile(r"\b(?:but|except|apart\s+from|other\s+than|besides|however|although|only\s+thing)\b")
_UP = re.compile(
    r"\b(?:higher|up|more|better|too\s+(?:low|harsh|strict|modest)|underrated|undersold|under-?scored|"
    r"sell(?:ing)?\s+us\s+short|more\s+advanced|further\s+along)\b"
)
_DOWN = re.compile(
    r"\b(?:lower|down|less|worse|too\s+(?:high|generous|kind|optimistic)|overrated|oversold|over-?scored|"
    r"not\s+that\s+(?:good|advanced|mature)|less\s+advanced|behind)\b"
)
_EXPLICIT = re.compile(
    r"\b(?:(?P<q>q(?:1[0-2]|[1-9]))\b\s*(?:[:=→-]|->|should\s+be|is|to|as)?\s*|"
    r"(?:should\s+be|make\s+it|set\s+it\s+to|change\s+it\s+to|it'?s|that'?s)\s+)"
    r"(?:a\s+|an\s+|option\s+|level\s+|score\s+)?(?P<n>[0-5])\b(?!\s*(?:%|percent|teams?|apps?|people|x\b))"
)
# Meta-text: what the message says about the answers rather than about the organization's practice.
_META = [
    re.compile(p, re.IGNORECASE) for p in (
        r"^\s*(?:(?:ok(?:ay)?|so|well|hmm+|um+|also|and|plus|actually|oh|correction|sorry|hang\s+on|wait|"
        r"one\s+(?:more\s+)?(?:thing|correction)|just\s+one\s+thing|small\s+correction)[\s,:!.-]+)+",
        r"\b(?:our|the|your|my|that|this)\s+(?:[\w/-]+\s+){0,4}?(?:answer|one|score|rating|bit|part|question|item|entry|line|"
        r"reading)\s+(?:is|was|'s|are|seems|looks)\s+(?:a\s+bit\s+|slightly\s+|completely\s+|totally\s+)?"
        r"(?:wrong|off|not\s+right|incorrect|mistaken|inaccurate|outdated|too\s+(?:low|high|generous|harsh))[\s,.:;!-]*",
        r"\b(?:[\w/-]+\s+){0,4}?(?:answer\s+|one\s+|score\s+|rating\s+)?(?:should|needs?\s+to|ought\s+to)\s+(?:be\s+|go\s+)?"
        r"(?:a\s+bit\s+|one\s+|slightly\s+|much\s+)?(?:higher|lower|up|down|more|less)\b(?:\s+than\s+that)?[\s,.:;!-]*",
        r"\b(?:please\s+)?(?:change|set|put|make|move|update|bump|raise|lower|drop|mark|switch|correct)\s+"
        r"(?:[\w/-]+\s+){0,5}?(?:to|as|down|up)\b[\s:,-]*",
        r"\byou\s+(?:got|have|put|marked|rated|scored|underrated|overrated|undersold|misread|misunderstood)\s+"
        r"(?:[\w/-]+\s+){0,4}?(?:wrong|too\s+(?:low|high)|incorrectly|badly)?[\s,.:;!-]*",
        r"\b(?:re|regarding|about|on|for|as\s+for)\s+(?:[\w/-]+\s+){0,3}?[\w/-]+\s*[:–—-]\s*",
        r"^\s*(?:yes|yeah|yep|ok(?:ay)?|looks\s+(?:good|right|fine)|all\s+good|mostly\s+right|right)[\s,.]*"
        r"(?:but|except|apart\s+from|other\s+than)\s+(?:that\s+)?",
        r"\bq(?:1[0-2]|[1-9])\s*[:=-]\s*",
        r"\b(?:that'?s|it'?s|this\s+is)\s+(?:wrong|not\s+right|incorrect)[\s,.:;!-]*",
    )
]


class ReviewIntent(BaseModel):
    """What a review reply asks for."""

    kind: Literal["confirm", "show_list", "correct", "unclear"]
    targets: list[str] = Field(default_factory=list)  # the questions it names
    direction: dict[str, Direction] = Field(default_factory=dict)  # per named question
    explicit: dict[str, int] = Field(default_factory=dict)  # "q3: 2", "tracing should be a 2"
    facts: str = ""  # the reply's own words about the practice (verbatim pieces), "" when none
    flags: list[str] = Field(default_factory=list)  # kinds of text aimed at the assessor it carried


def strip_meta(text: str) -> str:
    """The reply without its meta-text: verbatim pieces joined with " ... " (which the evidence
    check accepts as an elision), "" when nothing but meta-text is left."""
    spans: list[tuple[int, int]] = []
    for rx in _META:
        spans += [m.span() for m in rx.finditer(text) if m.end() > m.start()]
    keep, pos = [], 0
    for a, b in sorted(spans):
        if a > pos:
            keep.append(text[pos:a])
        pos = max(pos, b)
    keep.append(text[pos:])
    pieces = [p.strip(" \t\n,.;:!-–—") for p in keep]
    pieces = [p for p in pieces if len(re.findall(r"[A-Za-z]{2,}", p)) >= 2]
    return " ... ".join(pieces)


# At the review step a typed number or a score-sheet line is the interviewee's own correction
# (checked with them before anything is raised); every other kind of screened text is ignored.
CORRECTION_KINDS = frozenset({"self_rating", "score_sheet"})


def classify(text: str, rubric: Rubric, topics: Topics | None = None) -> ReviewIntent:
    """What `text`, typed while the answers are shown for review, asks for (from its genuine
    text: see the module docstring)."""
    screened = screen(text)
    flags = screened.kinds
    ignored = [k for k in flags if k not in CORRECTION_KINDS]
    # Markup, payloads, fake messages and instructions are blanked; typed numbers stay readable.
    text = screened.only(set(ignored)).masked if ignored else screened.text
    facts = strip_meta(screened.masked)
    intent = _classify(text, facts, rubric, topics)
    if ignored and intent.kind == "confirm":
        intent = ReviewIntent(kind="unclear")  # "yes" around an injected block is not a confirmation
    return intent.model_copy(update={"flags": flags})


def _classify(text: str, facts: str, rubric: Rubric, topics: Topics | None) -> ReviewIntent:
    t = normalize(text)
    if not t:
        return ReviewIntent(kind="unclear")
    if _SHOW.search(t) and not _EXPLICIT.search(t):
        return ReviewIntent(kind="show_list")
    targets = named_questions(text, rubric, topics)
    explicit: dict[str, int] = {}
    for m in _EXPLICIT.finditer(t):
        q = m.group("q") or (targets[0] if len(targets) == 1 else None)
        if q:
            explicit[q] = int(m.group("n"))
    direction: dict[str, Direction] = {}
    for q in targets:
        if q in explicit:
            continue
        up, down = bool(_UP.search(t)), bool(_DOWN.search(t))
        if up != down:
            direction[q] = "up" if up else "down"
    affirm = bool(_AFFIRM.match(t))
    if affirm and not targets and not explicit and not _BUT.search(t):
        return ReviewIntent(kind="confirm")
    if targets or explicit or facts:
        return ReviewIntent(kind="correct", targets=targets, direction=direction, explicit=explicit, facts=facts)
    return ReviewIntent(kind="unclear")


def raises_to_confirm(before: Mapping[str, dict], changes: Sequence[Mapping], reply: str) -> list[str]:
    """The questions whose change by a review reply must be confirmed before it is applied: every
    raise when the reply raises several answers at once; a single raise by more than one option
    when the reply says nothing new that describes the new option (a typed number, or a reading
    whose evidence is an earlier message). An unanswered question counts as 0."""
    ups = [c for c in changes if c["new"] > ((before.get(c["question_id"]) or {}).get("score") or 0)]
    if len(ups) >= 2:
        return [c["question_id"] for c in ups]
    return [c["question_id"] for c in ups
            if c["new"] - ((before.get(c["question_id"]) or {}).get("score") or 0) > 1 and not described(c, reply)]


def described(change: Mapping, reply: str) -> bool:
    """True when a change's evidence is in `reply` and describes the new option (new facts, not a
    typed number or an earlier sentence)."""
    evidence = fold(change.get("evidence") or "")
    return (bool(evidence.strip()) and evidence.lower().strip(" .") in fold(reply).lower()
            and load_concepts().shortfall(change["question_id"], change["new"], evidence, asked=True) is None)
