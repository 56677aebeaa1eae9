"""Short replies to closed questions (pure): picking one of numbered options ("2", "the second",
"option 3", or the option's words), and yes/no to "so it's X?". Read before any model call, so
they cost none and mean the same for every engine."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from agent.common.text import normalize
from agent.core.schemas import Choice

OTHER: Literal["other"] = "other"
_ORDINALS = {
    "first": 1, "1st": 1, "one": 1, "second": 2, "2nd": 2, "two": 2, "third": 3, "3rd": 3, "three": 3,
    "fourth": 4, "4th": 4, "four": 4, "fifth": 5, "5th": 5, "five": 5,
}
_NUMBER = re.compile(
    r"^(?:(?:i'?d\s+say|i\s+(?:pick|choose|go\s+with|think)|let'?s\s+say|probably|maybe|definitely|it'?s|that'?s|"
    r"we'?re|we\s+are|answer|choice|option|number|no\.?|#)\s*)*[(#]?\s*(?P<n>[1-9])\s*[).:]?(?:\s*[-–—:,]\s*.*|\s+(?:please|then|i\s+think|i\s+guess))?[.!]*$"
)
_ORDINAL = re.compile(
    r"^(?:(?:i'?d\s+say|i\s+(?:pick|choose|go\s+with)|let'?s\s+say|probably|maybe|definitely|it'?s|that'?s|we'?re)\s+)*"
    r"(?:the\s+)?(?P<o>first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)(?:\s+(?:one|option|answer|choice))?"
    r"(?:\s*[-–—:,].*)?[.!]*$"
)
_OTHER = re.compile(
    r"^(?:(?:none|neither)(?:\s+of\s+(?:these|those|them|the\s+above))?|something\s+else|other|nothing\s+like\s+that|"
    r"not\s+(?:really\s+)?any(?:\s+of\s+(?:these|those|them))?)\b"
)
_YES = re.compile(
    r"^(?:y|yes|yeah|yep|yup|yes\s+please|correct|right|exactly|indeed|sure|true|that'?s\s+(?:right|correct|it|true)|"
    r"spot\s+on|pretty\s+much|mostly|basically(?:\s+yes)?|more\s+or\s+less|affirmative|ok|okay|that\s+sums\s+it\s+up)"
    r"(?:[\s,.!]+(?:that'?s\s+(?:right|correct|it)|correct|right|exactly|yes|thanks|thank\s+you))*[\s.!]*$"
)
_NO = re.compile(
    r"^(?:n|no|nope|nah|not\s+(?:really|quite|exactly)|wrong|incorrect|that'?s\s+(?:wrong|not\s+right|not\s+it))\b"
)


_FILLER = frozenset({"yes", "no", "we", "our", "it", "its", "is", "are", "do", "have", "i", "say", "think", "that"})


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text)) - {"a", "an", "the", "and", "or", "of", "to", "with", "for", "only"}


def parse_choice(text: str, choices: Sequence[Choice]) -> Choice | Literal["other"] | None:
    """The option a reply picks: by number (1..n, or n+1 for "something else"), by ordinal, or by
    the option's own words; OTHER for "something else"/"none of these"; None when it is not a
    pick (then the reply is read as an answer in its own words)."""
    t = normalize(text).rstrip()
    if not t or not choices:
        return None
    if _OTHER.match(t):
        return OTHER
    n: int | None = None
    if m := _NUMBER.match(t):
        n = int(m.group("n"))
    elif m := _ORDINAL.match(t):
        o = m.group("o")
        n = len(choices) if o == "last" else _ORDINALS[o]
    if n is not None:
        if 1 <= n <= len(choices):
            return choices[n - 1]
        return OTHER if n == len(choices) + 1 else None
    words = _words(t) - _FILLER
    if len(words) > 12 or not words:
        return None  # a description: read it, don't guess a pick from its words
    scored = []
    for c in choices:
        lw = _words(normalize(c.label)) - _FILLER
        if lw:
            scored.append((len(lw & words) / len(lw), len(lw & words) / len(words), c))
    good = [c for a, b, c in scored if a >= 0.75 and b >= 0.6]
    return good[0] if len(good) == 1 else None


def parse_yes_no(text: str) -> bool | None:
    """True for a plain yes ("yes", "that's right", "exactly"), False for a plain no ("no",
    "not really"), None otherwise (a description to read)."""
    t = normalize(text)
    if len(t.split()) > 8:
        return None
    if _YES.match(t):
        return True
    if _NO.match(t) and len(t.split()) <= 4:
        return False
    return None


_LEAD_YES = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|correct|right|exactly|indeed|that'?s\s+(?:right|correct|it))\b(?:[^.!?;]{0,30}[.!?;]|,)\s+"
)
_LEAD_NO = re.compile(r"^\W*(?:no|nope|not\s+(?:really|quite|exactly)|that'?s\s+not\s+(?:it|right))\b(?:[^.!?;]{0,30}[.!?;]|,)\s+")


def split_yes_no(text: str) -> tuple[bool | None, str]:
    """A yes or no that opens a longer reply, and the rest ("Yes, that's right. We also log
    every request" → True, "We also log every request"); (parse_yes_no(text), "") otherwise."""
    t = normalize(text)
    for rx, value in ((_LEAD_YES, True), (_LEAD_NO, False)):
        m = rx.match(t)
        if m and len(t) > m.end():
            return value, text[m.end():].strip()
    return parse_yes_no(text), ""


_PICKS_LEAD = re.compile(r"^\W*(?:(?:i'?d\s+say|let'?s\s+say|so)\s+)?")
_PICK_SEP = re.compile(r"^\s*(?:[,;/&+]|and|then|\s)\s*(?:(?:and|then)\s+)?")


def _numbers(t: str) -> list[int] | None:
    """"2, 1 and 3" → [2, 1, 3]; None unless the reply is only numbers."""
    rest = t[_PICKS_LEAD.match(t).end():].rstrip(" .!")  # type: ignore[union-attr]
    out: list[int] = []
    while rest:
        m = re.match(r"[1-9]", rest)
        if not m:
            return None
        out.append(int(m.group()))
        rest = rest[1:]
        if rest:
            sep = _PICK_SEP.match(rest)
            if not sep or not sep.end():
                return None
            rest = rest[sep.end():]
    return out or None


def parse_choices(text: str, sets: Sequence[Sequence[Choice]]) -> list[Choice | Literal["other"] | None]:
    """Picks for several numbered lists asked at once, in their order ("2, 1, 3"); a single pick
    answers the first list only (None for the others); "none of them" declines them all; all
    None when the reply is not a pick."""
    if len(sets) == 1:
        return [parse_choice(text, sets[0])]
    t = normalize(text)
    nums = _numbers(t)
    if nums and len(nums) == len(sets):
        return [choices[n - 1] if 1 <= n <= len(choices) else OTHER if n == len(choices) + 1 else None
                for n, choices in zip(nums, sets, strict=True)]
    if _OTHER.match(t) and re.search(r"\b(?:both|either|all|any)\b", t):
        return [OTHER for _ in sets]
    return [parse_choice(text, sets[0]), *(None for _ in sets[1:])]


_UNKNOWN = re.compile(
    r"^\W*(?:(?:sorry|honestly|hmm+|um+|well|no)[,.!\s]+)*"
    r"(?:i\s+(?:really\s+)?(?:don'?t|do\s+not)\s+know|i'?m\s+not\s+sure|not\s+sure|no\s+idea|no\s+clue|(?:i\s+)?can'?t\s+say|"
    r"i\s+have\s+no\s+idea|dunno|pass|i'?ve\s+(?:already\s+)?(?:told|said)|(?:i\s+)?already\s+(?:told|said|answered)|"
    r"nothing\s+(?:more\s+)?to\s+add|that'?s\s+all\s+i\s+know)\b"
)


def says_unknown(text: str) -> bool:
    """A short reply that says the interviewee does not know, or has nothing more to say ("not
    sure", "no idea", "I've told you what I know"): asking the same again would not help."""
    t = normalize(text)
    if re.search(r"\b(?:what|which)\b.*\b(?:mean|means|meant|is|are)\b|\?", t):
        return False  # "not sure what you mean by tracing" asks for an explanation
    return len(t.split()) <= 14 and bool(_UNKNOWN.match(t))
